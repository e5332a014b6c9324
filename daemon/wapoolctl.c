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
#include "instances.h"
#include "jsonpath.h"
#include "log.h"
#include "mc.h"
#include "migrate.h"
#include "orphans.h"
#include "queue-ops.h"
#include "queue.h"
#include "rate-settings.h"
#include "rate.h"
#include "stats.h"
#include "template.h"
#include "users.h"
#include "util.h"
#include "wake.h"

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
	    "  queue retry-dlq [--id N] [--queue webhooks|campaigns]\n"
	    "  queue clear [--id N] [--queue webhooks|campaigns]\n"
	    "  queue recover\n"
	    "  instance suspend|resume|drain NAME\n"
	    "  pool suspend|resume|drain NAME\n"
	    "  breaker trip|reset INSTANCE\n"
	    "  user add NAME --password-stdin\n"
	    "  user password NAME --password-stdin\n"
	    "  instances orphans [--log]\n"
	    "  instance set NAME SETTING...\n"
	    "  pool set NAME SETTING...\n"
	    "              SETTING: --tier-daily-limit N --mps N --burst N --pair-per-minute N\n"
	    "              --spacing-min SECONDS --spacing-max SECONDS --typing yes|no;\n"
	    "              \"default\" instead of a value: the pool's or wapool.conf's applies\n"
	    "  rate show [INSTANCE] [--json]\n"
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

/* Ring the daemons after messages became pending again; loss-tolerant. */
static void
wake_daemons(struct ctl *c)
{
	struct wake_sender *w = wake_sender_open(c->config.wake_addresses);

	wake_send(w);
	wake_sender_close(w);
}

/* queue retry-dlq / queue clear: one message (--id) or a queue (default both). */
static int
queue_move(struct ctl *c, bool retry)
{
	const char *id_text = NULL, *queue_text = NULL;
	struct option_spec specs[] = { { "id", &id_text, false }, { "queue", &queue_text, false },
	    { NULL, NULL, false } };
	enum queue_kind q = QUEUE_ALL;
	struct buf why = BUF_INIT;
	long long id = 0, affected = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, NULL, 0, specs)) != 0)
		return rc;
	if (id_text != NULL && (!safe_strtoll(id_text, &id) || id <= 0))
		return usage_error("%s", "--id needs a positive message id");
	if (queue_text != NULL && !queue_kind_parse(queue_text, &q))
		return usage_error("--queue must be webhooks or campaigns, not \"%s\"", queue_text);
	rc = retry ? queue_ops_retry_dlq(c->db, q, id, &affected, &why) :
	    queue_ops_clear(c->db, q, id, &affected, &why);
	if (rc == DB_NOT_FOUND || rc == DB_CONFLICT) {
		fprintf(stderr, "wapoolctl: %s\n", buf_cstr(&why));
		buf_free(&why);
		return 1;
	}
	buf_free(&why);
	if (rc != DB_OK) {
		fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
		return 1;
	}
	if (retry && affected > 0)
		wake_daemons(c);
	if (id > 0)
		printf("message %lld %s\n", id, retry ? "back to pending" : "cancelled");
	else
		printf("%lld %s message%s %s (%s)\n", affected, retry ? "dead" : "pending",
		    affected == 1 ? "" : "s", retry ? "back to pending" : "cancelled",
		    q == QUEUE_ALL ? "both queues" : queue_kind_str(q));
	return 0;
}

static int
cmd_queue_retry_dlq(struct ctl *c)
{
	return queue_move(c, true);
}

static int
cmd_queue_clear(struct ctl *c)
{
	return queue_move(c, false);
}

static int
cmd_queue_recover(struct ctl *c)
{
	long long count = 0;

	if (parse_args(c->argc, c->argv, NULL, 0, NULL) != 0)
		return EXIT_USAGE;
	if (queue_recover_expired_leases(c->db, &count) != DB_OK) {
		fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
		return 1;
	}
	if (count > 0)
		wake_daemons(c);
	printf("%lld message%s with an expired lease back to pending\n", count,
	    count == 1 ? "" : "s");
	return 0;
}

/* instance/pool/breaker controls on the row called NAME. */
static int
control(struct ctl *c, bool pool, enum control what)
{
	const char *name = NULL;
	struct control_result res;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, &name, 1, NULL)) != 0)
		return rc;
	rc = pool ? queue_ops_pool_control(c->db, 0, name, what, &res) :
	    queue_ops_instance_control(c->db, 0, name, what, &res);
	if (rc == DB_NOT_FOUND) {
		fprintf(stderr, "wapoolctl: %s \"%s\" does not exist\n", pool ? "pool" : "instance",
		    name);
		return 1;
	}
	if (rc != DB_OK) {
		fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
		return 1;
	}
	if (what == CONTROL_TRIP)
		printf("instance %s: breaker open until reset by hand%s\n", res.name,
		    res.changed ? "" : " (it already was)");
	else if (what == CONTROL_RESET)
		printf("instance %s: breaker closed, trips 0%s\n", res.name,
		    res.changed ? "" : " (it already was)");
	else
		printf("%s %s: %s%s\n", pool ? "pool" : "instance", res.name, res.admin_state,
		    res.changed ? "" : " (it already was)");
	return 0;
}

static int cmd_instance_suspend(struct ctl *c) { return control(c, false, CONTROL_SUSPEND); }
static int cmd_instance_resume(struct ctl *c) { return control(c, false, CONTROL_RESUME); }
static int cmd_instance_drain(struct ctl *c) { return control(c, false, CONTROL_DRAIN); }
static int cmd_pool_suspend(struct ctl *c) { return control(c, true, CONTROL_SUSPEND); }
static int cmd_pool_resume(struct ctl *c) { return control(c, true, CONTROL_RESUME); }
static int cmd_pool_drain(struct ctl *c) { return control(c, true, CONTROL_DRAIN); }
static int cmd_breaker_trip(struct ctl *c) { return control(c, false, CONTROL_TRIP); }
static int cmd_breaker_reset(struct ctl *c) { return control(c, false, CONTROL_RESET); }

/* One line from stdin (the password), without its newline; NULL when empty or too long. */
static char *
read_password(void)
{
	char line[1100];
	size_t len;

	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	len = strcspn(line, "\r\n");
	if (line[len] == '\0' && len == sizeof(line) - 1)
		return NULL;
	line[len] = '\0';
	return len > 0 ? xstrdup(line) : NULL;
}

/* user add|password NAME --password-stdin: the password is never an argument (ps would show it). */
static int
cmd_user(struct ctl *c, bool add)
{
	const char *name = NULL, *from_stdin = NULL;
	struct option_spec specs[] = { { "password-stdin", &from_stdin, true },
	    { NULL, NULL, false } };
	char *password = NULL;
	long long id = 0;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, &name, 1, specs)) != 0)
		return rc;
	if (from_stdin == NULL)
		return usage_error("%s", "--password-stdin is required");
	if (strlen(name) == 0 || strlen(name) > 100)
		return usage_error("%s", "the user name must have 1 to 100 characters");
	if ((password = read_password()) == NULL || strlen(password) < USER_PASSWORD_MIN) {
		fprintf(stderr, "wapoolctl: the password on stdin must have at least %d characters\n",
		    USER_PASSWORD_MIN);
		free(password);
		return 1;
	}
	rc = add ? user_add(c->db, name, password, &id) : user_set_password(c->db, name, password);
	explicit_bzero(password, strlen(password));
	free(password);
	if (!add && rc == DB_OK) {
		printf("password of user %s changed\n", name);
		return 0;
	}
	if (!add && rc == DB_NOT_FOUND) {
		fprintf(stderr, "wapoolctl: user \"%s\" does not exist\n", name);
		return 1;
	}
	return report(rc, "user", name, id, c->db, NULL);
}

static int
cmd_user_add(struct ctl *c)
{
	return cmd_user(c, true);
}

static int
cmd_user_password(struct ctl *c)
{
	return cmd_user(c, false);
}

/* instances orphans [--log]: a table, or the daemon's log lines. Exit 0 even when some exist. */
static int
cmd_instances_orphans(struct ctl *c)
{
	const char *as_log = NULL;
	struct option_spec specs[] = { { "log", &as_log, true }, { NULL, NULL, false } };
	struct buf warnings = BUF_INIT;
	struct orphan *list = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = parse_args(c->argc, c->argv, NULL, 0, specs)) != 0)
		return rc;
	if (as_log != NULL) {
		if ((rc = orphans_log(c->db, &c->config, &n)) != DB_OK) {
			fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
			return 1;
		}
		return 0;
	}
	if ((rc = orphans_find(c->db, &c->config, &list, &n, &warnings)) != DB_OK) {
		fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
		buf_free(&warnings);
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%lld\t%s\t%s\n", list[i].name, list[i].gateway_name,
		    list[i].instance_id, orphan_kind_str(list[i].kind), list[i].detail);
	if (warnings.len > 0)
		fprintf(stderr, "wapoolctl: warning: %s\n", warnings.ptr);
	printf("%zu orphan instance(s)\n", n);
	orphans_free(list, n);
	buf_free(&warnings);
	return 0;
}

/*
 * instance set / pool set NAME --SETTING VALUE...: each named setting is
 * written; "default" clears it so the next layer (pool, wapool.conf)
 * applies.  Every value is checked before anything is written.
 */
static int
set_rate_settings(struct ctl *c, bool pool)
{
	const char *name = NULL, *values[RATE_SET__MAX] = { NULL };
	struct option_spec specs[RATE_SET__MAX + 1];
	long long v[RATE_SET__MAX];
	int rc, s, given = 0;

	for (s = 0; s < RATE_SET__MAX; s++)
		specs[s] = (struct option_spec){ rate_setting_name(s), &values[s], false };
	specs[RATE_SET__MAX] = (struct option_spec){ NULL, NULL, false };
	if ((rc = parse_args(c->argc, c->argv, &name, 1, specs)) != 0)
		return rc;
	for (s = 0; s < RATE_SET__MAX; s++) {
		v[s] = -1;
		if (values[s] == NULL)
			continue;
		given++;
		if (strcmp(values[s], "default") == 0)
			continue;
		if (s == RATE_SET_TYPING) {
			if (strcmp(values[s], "yes") != 0 && strcmp(values[s], "no") != 0)
				return usage_error("%s", "--typing must be yes, no or default");
			v[s] = strcmp(values[s], "yes") == 0;
		} else if ((rc = number_option(rate_setting_name(s), values[s], 0, &v[s])) != 0)
			return rc;
	}
	if (given == 0)
		return usage_error("%s", "name at least one setting");
	if (v[RATE_SET_SPACING_MIN] >= 0 && v[RATE_SET_SPACING_MAX] >= 0 &&
	    v[RATE_SET_SPACING_MAX] < v[RATE_SET_SPACING_MIN])
		return usage_error("%s", "--spacing-max must not be below --spacing-min");
	for (s = 0; s < RATE_SET__MAX; s++) {
		if (values[s] == NULL)
			continue;
		rc = rate_setting_set(c->db, pool, name, s, v[s]);
		if (rc == DB_NOT_FOUND) {
			fprintf(stderr, "wapoolctl: %s \"%s\" does not exist\n",
			    pool ? "pool" : "instance", name);
			return 1;
		}
		if (rc != DB_OK) {
			fprintf(stderr, "wapoolctl: %s \"%s\": %s\n", pool ? "pool" : "instance", name,
			    db_error(c->db));
			return 1;
		}
		printf("%s %s: %s %s\n", pool ? "pool" : "instance", name, rate_setting_name(s),
		    values[s]);
	}
	return 0;
}

static int cmd_instance_set(struct ctl *c) { return set_rate_settings(c, false); }
static int cmd_pool_set(struct ctl *c) { return set_rate_settings(c, true); }

/* A "rate" figure of rate_describe(), or "-" when null. */
static const char *
describe_field(struct json_object *o, const char *key, char *buf, size_t bufsz)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "-";
	snprintf(buf, bufsz, "%s", json_object_get_string(v));
	return buf;
}

/*
 * rate show [INSTANCE] [--json]: each instance's effective limits (after
 * the instance, pool and wapool.conf layers, as the daemons resolve them)
 * and the gates' live state in memcached.  Reads only: no slot is taken.
 */
static int
cmd_rate_show(struct ctl *c)
{
	const char *only = NULL, *as_json = NULL;
	struct option_spec specs[] = { { "json", &as_json, true }, { NULL, NULL, false } };
	struct instance_row *rows = NULL;
	struct pool_row *pools = NULL;
	struct json_object *list = NULL;
	size_t nrows = 0, npools = 0, i, shown = 0;
	struct mc *mc = NULL;
	struct rate *gates = NULL;
	int rc;

	/* One optional positional: parse_args wants an exact count. */
	if (c->argc > 0 && strncmp(c->argv[0], "--", 2) != 0) {
		only = c->argv[0];
		c->argc--;
		c->argv++;
	}
	if ((rc = parse_args(c->argc, c->argv, NULL, 0, specs)) != 0)
		return rc;
	if (instances_load(c->db, &rows, &nrows) != DB_OK ||
	    pools_load(c->db, &pools, &npools) != DB_OK) {
		fprintf(stderr, "wapoolctl: %s\n", db_error(c->db));
		rc = 1;
		goto out;
	}
	mc = mc_open(c->config.memcached_servers);
	gates = rate_open(mc, &c->config, 1);
	list = json_object_new_array();
	for (i = 0; i < nrows; i++) {
		struct json_object *o;
		struct rate_limits l;
		char a[32], b[32], d[32], e[32], f[32];

		if (only != NULL && strcmp(rows[i].name, only) != 0)
			continue;
		shown++;
		rate_limits_resolve(&c->config, &rows[i], pools, npools, &l);
		o = json_object_new_object();
		json_object_object_add(o, "instance", json_object_new_string(rows[i].name));
		json_object_object_add(o, "mps", json_object_new_int(l.mps));
		json_object_object_add(o, "burst", json_object_new_int(l.burst));
		json_object_object_add(o, "daily_limit", json_object_new_int64(l.daily_limit));
		json_object_object_add(o, "pair_per_minute", json_object_new_int(l.pair_per_minute));
		json_object_object_add(o, "spacing_min_seconds",
		    json_object_new_int(l.spacing_min_ms / 1000));
		json_object_object_add(o, "spacing_max_seconds",
		    json_object_new_int(l.spacing_max_ms / 1000));
		json_object_object_add(o, "typing", json_object_new_boolean(l.typing));
		rate_describe(gates, &l, clock_wall_ms(), o);
		json_object_array_add(list, o);
		if (as_json != NULL)
			continue;
		printf("%s: mps %d (burst %d, current %s), daily %lld (remaining %s), pair %d/min,"
		    " spacing %d-%d s, typing %s; next slot in %s ms, throttled until %s,"
		    " paused until %s%s\n", rows[i].name, l.mps, l.burst,
		    describe_field(o, "current_rate", a, sizeof(a)), l.daily_limit,
		    describe_field(o, "daily_remaining", b, sizeof(b)), l.pair_per_minute,
		    l.spacing_min_ms / 1000, l.spacing_max_ms / 1000, l.typing ? "on" : "off",
		    describe_field(o, "next_slot_in_ms", d, sizeof(d)),
		    describe_field(o, "throttled_until", e, sizeof(e)),
		    describe_field(o, "paused_until", f, sizeof(f)),
		    rate_degraded(gates) ? " (memcached unreachable: local view only)" : "");
	}
	if (as_json != NULL)
		printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
	if (only != NULL && shown == 0) {
		fprintf(stderr, "wapoolctl: instance \"%s\" does not exist\n", only);
		rc = 1;
	}
out:
	json_object_put(list);
	rate_close(gates);
	mc_close(mc);
	instance_rows_free(rows, nrows);
	pool_rows_free(pools, npools);
	return rc;
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
	{ { "queue", "retry-dlq", NULL },	cmd_queue_retry_dlq,	true },
	{ { "queue", "clear", NULL },		cmd_queue_clear,	true },
	{ { "queue", "recover", NULL },		cmd_queue_recover,	true },
	{ { "instance", "suspend", NULL },	cmd_instance_suspend,	true },
	{ { "instance", "resume", NULL },	cmd_instance_resume,	true },
	{ { "instance", "drain", NULL },	cmd_instance_drain,	true },
	{ { "pool", "suspend", NULL },		cmd_pool_suspend,	true },
	{ { "pool", "resume", NULL },		cmd_pool_resume,	true },
	{ { "pool", "drain", NULL },		cmd_pool_drain,		true },
	{ { "breaker", "trip", NULL },		cmd_breaker_trip,	true },
	{ { "breaker", "reset", NULL },		cmd_breaker_reset,	true },
	{ { "user", "add", NULL },		cmd_user_add,		true },
	{ { "user", "password", NULL },		cmd_user_password,	true },
	{ { "instances", "orphans", NULL },	cmd_instances_orphans,	true },
	{ { "instance", "set", NULL },		cmd_instance_set,	true },
	{ { "pool", "set", NULL },		cmd_pool_set,		true },
	{ { "rate", "show", NULL },		cmd_rate_show,		true },
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
