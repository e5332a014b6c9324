/*
 * wapoolctl.c: the operator's command line.
 *
 * Exit codes: 0 done, 1 the command failed (database, duplicate, missing
 * reference), 2 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "admin.h"
#include "config.h"
#include "db.h"
#include "jsonpath.h"
#include "log.h"
#include "migrate.h"
#include "stats.h"
#include "template.h"
#include "util.h"

#ifndef SCHEMADIR
#define SCHEMADIR "/usr/share/wapool/schema"
#endif

#define EXIT_USAGE 2

struct ctl {
	struct config	 config;
	struct db	*db;
	int		 argc;
	char		**argv;
};

/* One "--name value" option of a subcommand. */
struct option_spec {
	const char	*name;
	const char	**value;
	bool		 flag;		/* no value: presence sets *value to "yes" */
};

static void
usage(void)
{
	fputs("usage: wapoolctl [-f wapool.conf] command ...\n"
	    "  migrate [--schema-dir DIR]\n"
	    "  tenant add SLUG [--name NAME] [--timezone ZONE]\n"
	    "  gateway add NAME --kind evolution|wppconnect|meta --url URL --api-key KEY\n"
	    "              [--capacity N] [--priority N] [--inactive]\n"
	    "  instance add NAME --gateway GATEWAY [--tenant SLUG] [--client REF] [--phone E164]\n"
	    "              [--token TOKEN] [--state connected|disconnected|unknown]\n"
	    "              [--daily-limit N] [--mps N]\n"
	    "  pool add NAME --tenant SLUG [--strategy round_robin|priority]\n"
	    "  pool member add POOL INSTANCE\n"
	    "  route add TENANT EVENT --pool POOL --template TEXT --phone-path PATH\n"
	    "              --secret SECRET [--key-path PATH] [--validity SECONDS] [--bulk]\n"
	    "  queue stats\n"
	    "  config\n", stderr);
}

static int usage_error(const char *fmt, const char *arg)
    __attribute__((format(printf, 1, 0)));

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "wapoolctl: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, arg);
#pragma GCC diagnostic pop
	fputc('\n', stderr);
	usage();
	return EXIT_USAGE;
}

/*
 * Split argv into positionals (exactly npositional of them) and the
 * options in specs.  Returns 0 or EXIT_USAGE after printing why.
 */
static int
parse_args(int argc, char **argv, const char **positional, int npositional,
    const struct option_spec *specs)
{
	int i, seen = 0;

	for (i = 0; i < argc; i++) {
		const struct option_spec *s;

		if (strncmp(argv[i], "--", 2) != 0) {
			if (seen == npositional)
				return usage_error("unexpected argument \"%s\"", argv[i]);
			positional[seen++] = argv[i];
			continue;
		}
		for (s = specs; s != NULL && s->name != NULL; s++)
			if (strcmp(argv[i] + 2, s->name) == 0)
				break;
		if (s == NULL || s->name == NULL)
			return usage_error("unknown option \"%s\"", argv[i]);
		if (s->flag) {
			*s->value = "yes";
			continue;
		}
		if (i + 1 >= argc)
			return usage_error("option \"%s\" needs a value", argv[i]);
		*s->value = argv[++i];
	}
	if (seen != npositional)
		return usage_error("%s", "missing argument");
	return 0;
}

static int
number_option(const char *name, const char *value, long long fallback, long long *out)
{
	if (value == NULL) {
		*out = fallback;
		return 0;
	}
	if (!safe_strtoll(value, out) || *out < 0)
		return usage_error("--%s needs a non-negative integer", name);
	return 0;
}

/* Report a DB_* result for an insert of what/name; 0 or 1. */
static int
report(int rc, const char *what, const char *name, long long id, struct db *db, struct buf *err)
{
	switch (rc) {
	case DB_OK:
		printf("%s %s added (id %lld)\n", what, name, id);
		return 0;
	case DB_DUPLICATE:
		fprintf(stderr, "wapoolctl: %s \"%s\" already exists\n", what, name);
		return 1;
	case DB_NOT_FOUND:
		fprintf(stderr, "wapoolctl: %s\n", buf_cstr(err));
		return 1;
	case DB_DOWN:
		fprintf(stderr, "wapoolctl: database unreachable: %s\n", db_error(db));
		return 1;
	default:
		fprintf(stderr, "wapoolctl: %s \"%s\": %s\n", what, name, db_error(db));
		return 1;
	}
}

static int
cmd_migrate(struct ctl *c)
{
	const char *dir = getenv("WAPOOL_SCHEMA_DIR");
	struct option_spec specs[] = { { "schema-dir", &dir, false }, { NULL, NULL, false } };
	struct buf out = BUF_INIT, err = BUF_INIT;
	long long version = 0;
	int rc;

	if (dir == NULL)
		dir = SCHEMADIR;
	if ((rc = parse_args(c->argc, c->argv, NULL, 0, specs)) != 0)
		return rc;
	rc = migrate_apply(c->db, dir, &out, &err);
	fputs(buf_cstr(&out), stdout);
	if (rc != DB_OK)
		fprintf(stderr, "wapoolctl: migrate: %s\n", buf_cstr(&err));
	else if (migrate_current_version(c->db, &version) == DB_OK)
		printf("schema at version %lld\n", version);
	buf_free(&out);
	buf_free(&err);
	return rc == DB_OK ? 0 : 1;
}

static int
cmd_tenant_add(struct ctl *c)
{
	const char *slug = NULL, *name = NULL, *timezone = NULL;
	struct option_spec specs[] = { { "name", &name, false }, { "timezone", &timezone, false },
	    { NULL, NULL, false } };
	long long id = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, &slug, 1, specs)) != 0)
		return rc;
	rc = tenant_add(c->db, slug, name, timezone, &id);
	return report(rc, "tenant", slug, id, c->db, NULL);
}

static int
cmd_gateway_add(struct ctl *c)
{
	const char *name = NULL, *kind = NULL, *url = NULL, *key = NULL, *capacity = NULL;
	const char *priority = NULL, *inactive = NULL;
	struct option_spec specs[] = { { "kind", &kind, false }, { "url", &url, false },
	    { "api-key", &key, false }, { "capacity", &capacity, false },
	    { "priority", &priority, false }, { "inactive", &inactive, true },
	    { NULL, NULL, false } };
	struct gateway_spec g = { 0 };
	long long id = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, &name, 1, specs)) != 0)
		return rc;
	if (kind == NULL || (strcmp(kind, "evolution") != 0 && strcmp(kind, "wppconnect") != 0 &&
	    strcmp(kind, "meta") != 0))
		return usage_error("%s", "--kind must be evolution, wppconnect or meta");
	if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return usage_error("%s", "--url must be an http:// or https:// URL");
	g.name = name;
	g.kind = kind;
	g.base_url = url;
	g.api_key = key;
	g.active = inactive == NULL;
	if ((rc = number_option("capacity", capacity, 20, &g.capacity)) != 0 ||
	    (rc = number_option("priority", priority, 0, &g.priority)) != 0)
		return rc;
	rc = gateway_add(c->db, &g, &id);
	return report(rc, "gateway", name, id, c->db, NULL);
}

static int
cmd_instance_add(struct ctl *c)
{
	const char *name = NULL, *daily = NULL, *mps = NULL;
	struct instance_spec s = { 0 };
	struct option_spec specs[] = { { "gateway", &s.gateway, false },
	    { "tenant", &s.tenant, false }, { "client", &s.client_ref, false },
	    { "phone", &s.phone, false }, { "token", &s.token, false },
	    { "state", &s.state, false }, { "daily-limit", &daily, false },
	    { "mps", &mps, false }, { NULL, NULL, false } };
	struct buf err = BUF_INIT;
	long long id = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, &name, 1, specs)) != 0)
		return rc;
	if (s.gateway == NULL)
		return usage_error("%s", "--gateway is required");
	if (s.state != NULL && strcmp(s.state, "connected") != 0 &&
	    strcmp(s.state, "disconnected") != 0 && strcmp(s.state, "unknown") != 0 &&
	    strcmp(s.state, "connecting") != 0)
		return usage_error("%s", "--state must be connected, connecting, disconnected or unknown");
	if ((rc = number_option("daily-limit", daily, 0, &s.daily_limit)) != 0 ||
	    (rc = number_option("mps", mps, 0, &s.rate_mps)) != 0)
		return rc;
	s.name = name;
	rc = instance_add(c->db, &s, &id, &err);
	rc = report(rc, "instance", name, id, c->db, &err);
	buf_free(&err);
	return rc;
}

static int
cmd_pool_add(struct ctl *c)
{
	const char *name = NULL, *tenant = NULL, *strategy = NULL;
	struct option_spec specs[] = { { "tenant", &tenant, false },
	    { "strategy", &strategy, false }, { NULL, NULL, false } };
	struct buf err = BUF_INIT;
	long long id = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, &name, 1, specs)) != 0)
		return rc;
	if (tenant == NULL)
		return usage_error("%s", "--tenant is required");
	if (strategy != NULL && strcmp(strategy, "round_robin") != 0 &&
	    strcmp(strategy, "priority") != 0)
		return usage_error("%s", "--strategy must be round_robin or priority");
	rc = pool_add(c->db, name, tenant, strategy, &id, &err);
	rc = report(rc, "pool", name, id, c->db, &err);
	buf_free(&err);
	return rc;
}

static int
cmd_pool_member_add(struct ctl *c)
{
	const char *positional[2] = { NULL, NULL };
	struct buf err = BUF_INIT;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, positional, 2, NULL)) != 0)
		return rc;
	rc = pool_member_add(c->db, positional[0], positional[1], &err);
	if (rc == DB_OK)
		printf("instance %s added to pool %s\n", positional[1], positional[0]);
	else if (rc == DB_DUPLICATE)
		fprintf(stderr, "wapoolctl: instance %s is already in pool %s\n", positional[1],
		    positional[0]);
	else
		report(rc, "pool member", positional[1], 0, c->db, &err);
	buf_free(&err);
	return rc == DB_OK ? 0 : 1;
}

static int
cmd_route_add(struct ctl *c)
{
	const char *positional[2] = { NULL, NULL }, *validity = NULL, *bulk = NULL;
	struct route_spec s = { 0 };
	struct option_spec specs[] = { { "pool", &s.pool, false },
	    { "template", &s.template, false }, { "phone-path", &s.phone_path, false },
	    { "key-path", &s.key_path, false }, { "secret", &s.secret, false },
	    { "validity", &validity, false }, { "bulk", &bulk, true }, { NULL, NULL, false } };
	struct buf err = BUF_INIT;
	long long id = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, positional, 2, specs)) != 0)
		return rc;
	if (s.pool == NULL || s.template == NULL || s.phone_path == NULL || s.secret == NULL)
		return usage_error("%s", "--pool, --template, --phone-path and --secret are required");
	if (!jsonpath_valid(s.phone_path) || (s.key_path != NULL && !jsonpath_valid(s.key_path)))
		return usage_error("%s", "--phone-path and --key-path must be paths like billing.phone");
	if (template_check(s.template) != 0)
		return usage_error("%s", "--template holds a {{...}} that is not a valid path");
	if (strlen(s.secret) < 16)
		return usage_error("%s", "--secret must be at least 16 characters");
	if ((rc = number_option("validity", validity, 0, &s.validity_seconds)) != 0)
		return rc;
	s.tenant = positional[0];
	s.event = positional[1];
	s.priority = bulk != NULL ? 0 : 10;
	rc = route_add(c->db, &s, &id, &err);
	rc = report(rc, "route", s.event, id, c->db, &err);
	buf_free(&err);
	return rc;
}

static int
cmd_queue_stats(struct ctl *c)
{
	struct json_object *o = NULL;

	if (parse_args(c->argc, c->argv, NULL, 0, NULL) != 0)
		return EXIT_USAGE;
	if (stats_today(c->db, &o) != DB_OK) {
		fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
		return 1;
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return 0;
}

static int
cmd_config(struct ctl *c)
{
	struct buf out = BUF_INIT;

	config_dump(&c->config, &out);
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	return 0;
}

struct command {
	const char	*words[3];
	int		(*run)(struct ctl *);
	bool		 needs_db;
};

static const struct command commands[] = {
	{ { "migrate", NULL, NULL },		cmd_migrate,		true },
	{ { "tenant", "add", NULL },		cmd_tenant_add,		true },
	{ { "gateway", "add", NULL },		cmd_gateway_add,	true },
	{ { "instance", "add", NULL },		cmd_instance_add,	true },
	{ { "pool", "member", "add" },		cmd_pool_member_add,	true },
	{ { "pool", "add", NULL },		cmd_pool_add,		true },
	{ { "route", "add", NULL },		cmd_route_add,		true },
	{ { "queue", "stats", NULL },		cmd_queue_stats,	true },
	{ { "config", NULL, NULL },		cmd_config,		false },
};

int
main(int argc, char **argv)
{
	const char *config_path = NULL;
	const struct command *cmd = NULL;
	struct buf err = BUF_INIT;
	struct ctl c;
	size_t i, words = 0;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt(argc, argv, "+f:h")) != -1) {
		switch (ch) {
		case 'f':
			config_path = optarg;
			break;
		default:
			usage();
			return ch == 'h' ? 0 : EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < ARRAY_SIZE(commands) && cmd == NULL; i++) {
		size_t w;

		for (w = 0; w < 3 && commands[i].words[w] != NULL; w++)
			if ((int)w >= argc || strcmp(argv[w], commands[i].words[w]) != 0)
				break;
		if (w == 3 || commands[i].words[w] == NULL) {
			cmd = &commands[i];
			words = w;
		}
	}
	if (cmd == NULL) {
		if (argc > 0)
			fprintf(stderr, "wapoolctl: unknown command \"%s\"\n", argv[0]);
		usage();
		return EXIT_USAGE;
	}
	if (config_load(&c.config, config_path, &err) != 0) {
		fprintf(stderr, "wapoolctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	log_init("wapoolctl", true, (enum log_level)log_level_parse(c.config.log_level));
	c.argc = argc - (int)words;
	c.argv = argv + words;
	if (cmd->needs_db && db_open(&c.db, &c.config, &err) != DB_OK) {
		fprintf(stderr, "wapoolctl: database unreachable: %s\n", buf_cstr(&err));
		rc = 1;
		goto out;
	}
	rc = cmd->run(&c);
out:
	db_close(c.db);
	config_free(&c.config);
	buf_free(&err);
	return rc;
}
