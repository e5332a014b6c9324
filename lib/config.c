/* config.c: table-driven configuration: defaults, file, environment. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum config_type { CONFIG_STRING, CONFIG_SECRET, CONFIG_INT, CONFIG_DOUBLE, CONFIG_BOOL };

struct config_key {
	const char	*name;
	enum config_type type;
	size_t		 offset;
	const char	*default_value;
	double		 min, max;	/* numbers only */
};

#define KEY(name, type, def, min, max) \
	{ #name, type, offsetof(struct config, name), def, min, max }

/* The one list of keys: unknown keys in a file are an error, not ignored. */
static const struct config_key keys[] = {
	KEY(db_host,		CONFIG_STRING, "127.0.0.1", 0, 0),
	KEY(db_port,		CONFIG_INT,    "3306", 1, 65535),
	KEY(db_socket,		CONFIG_STRING, "", 0, 0),
	KEY(db_user,		CONFIG_STRING, "wapool", 0, 0),
	KEY(db_password,	CONFIG_SECRET, "", 0, 0),
	KEY(db_name,		CONFIG_STRING, "wapool", 0, 0),
	KEY(memcached_servers,	CONFIG_STRING, "127.0.0.1:11211", 0, 0),
	KEY(log_level,		CONFIG_STRING, "info", 0, 0),
	KEY(access_log,		CONFIG_STRING, "", 0, 0),
	KEY(webhook_max_body,	CONFIG_INT,    "1048576", 1024, 64 * 1024 * 1024),
	KEY(webhook_max_depth,	CONFIG_INT,    "32", 2, 1000),
	KEY(webhook_replay_window, CONFIG_INT, "300", 1, 86400),
	KEY(fcgi_threads,	CONFIG_INT,    "32", 1, 256),
	KEY(intake_batch_max,	CONFIG_INT,    "64", 1, 1000),
	KEY(api_key,		CONFIG_SECRET, "", 0, 0),
	KEY(gateway_callback_token, CONFIG_SECRET, "", 0, 0),
	KEY(public_url,		CONFIG_STRING, "http://127.0.0.1:8080", 0, 0),
	KEY(wake_addresses,	CONFIG_STRING, "", 0, 0),
	KEY(daemon_wake_listen,	CONFIG_STRING, "", 0, 0),
	KEY(poll_interval_ms,	CONFIG_INT,    "200", 10, 60000),
	KEY(claim_batch_max,	CONFIG_INT,    "500", 1, 10000),
	KEY(lease_seconds,	CONFIG_INT,    "60", 5, 3600),
	KEY(max_in_flight,	CONFIG_INT,    "128", 1, 10000),
	KEY(max_leases,		CONFIG_INT,    "512", 1, 100000),
	KEY(health_interval,	CONFIG_INT,    "30", 1, 3600),
	KEY(send_timeout_ms,	CONFIG_INT,    "15000", 100, 600000),
	KEY(connect_timeout_ms,	CONFIG_INT,    "3000", 50, 60000),
	KEY(retry_base_ms,	CONFIG_INT,    "2000", 1, 3600000),
	KEY(retry_cap_ms,	CONFIG_INT,    "300000", 1, 86400000),
	KEY(max_attempts,	CONFIG_INT,    "8", 1, 1000),
	KEY(no_instance_delay_ms, CONFIG_INT,  "1000", 10, 600000),
	KEY(heartbeat_interval,	CONFIG_INT,    "30", 1, 3600),
	KEY(recover_interval,	CONFIG_INT,    "60", 1, 3600),
	KEY(ack_timeout_seconds, CONFIG_INT,   "300", 1, 86400),
	KEY(shutdown_grace_seconds, CONFIG_INT, "10", 0, 600),
	KEY(housekeeping_delay,	CONFIG_INT,    "60", 0, 86400),
	KEY(orphan_report_interval, CONFIG_INT, "86400", 60, 30 * 86400),
	KEY(breaker_window_seconds, CONFIG_INT, "60", 1, 3600),
	KEY(breaker_min_calls,	CONFIG_INT,    "10", 1, 100000),
	KEY(breaker_failure_rate, CONFIG_DOUBLE, "0.5", 0.01, 1),
	KEY(breaker_open_seconds, CONFIG_INT,  "30", 1, 86400),
	KEY(breaker_probes,	CONFIG_INT,    "3", 1, 1000),
	KEY(breaker_max_trips,	CONFIG_INT,    "5", 1, 1000),
	KEY(rate_mps,		CONFIG_INT,    "80", 0, 100000),
	KEY(rate_burst,		CONFIG_INT,    "0", 0, 100000),
	KEY(rate_daily_limit,	CONFIG_INT,    "0", 0, 100000000),
	KEY(rate_pair_per_minute, CONFIG_INT,  "10", 0, 100000),
	KEY(rate_guard_ms,	CONFIG_INT,    "50", 0, 500),
	KEY(rate_daemons,	CONFIG_INT,    "0", 0, 1000),
	KEY(spacing_min_seconds, CONFIG_INT,   "15", 0, 86400),
	KEY(spacing_max_seconds, CONFIG_INT,   "45", 0, 86400),
	KEY(typing,		CONFIG_BOOL,   "yes", 0, 0),
	KEY(session_hours,	CONFIG_INT,    "12", 1, 24 * 90),
	KEY(login_max_failures,	CONFIG_INT,    "5", 1, 1000),
	KEY(login_lockout_minutes, CONFIG_INT, "15", 1, 10000),
	KEY(cookie_secure,	CONFIG_BOOL,   "no", 0, 0),
};

const char *
config_default_path(void)
{
	const char *env = getenv("WAPOOL_CONF");

	return env != NULL && *env != '\0' ? env : SYSCONFDIR "/wapool.conf";
}

static const struct config_key *
config_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].name) == len && strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* Store value into the field; on error writes the reason into why. */
static int
config_set(struct config *c, const struct config_key *k, const char *value,
    char *why, size_t whysz)
{
	char *field = (char *)c + k->offset;
	long long n;
	double d;

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_SECRET:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case CONFIG_INT:
		if (!safe_strtoll(value, &n)) {
			snprintf(why, whysz, "%s: \"%s\" is not an integer", k->name, value);
			return -1;
		}
		if ((double)n < k->min || (double)n > k->max) {
			snprintf(why, whysz, "%s: %lld is out of range %.0f..%.0f",
			    k->name, n, k->min, k->max);
			return -1;
		}
		*(long long *)field = n;
		return 0;
	case CONFIG_DOUBLE:
		if (!safe_strtod(value, &d) || d < k->min || d > k->max) {
			snprintf(why, whysz, "%s: \"%s\" is not a number in %g..%g",
			    k->name, value, k->min, k->max);
			return -1;
		}
		*(double *)field = d;
		return 0;
	case CONFIG_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0 || strcmp(value, "on") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
		    strcmp(value, "0") == 0 || strcmp(value, "off") == 0)
			*(bool *)field = false;
		else {
			snprintf(why, whysz, "%s: \"%s\" is not yes or no", k->name, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
config_read_file(struct config *c, const char *path, bool must_exist, struct buf *err)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int lineno = 0, rc = -1;
	char why[512];

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		char *s, *eq, *name, *value;
		const struct config_key *k;

		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			buf_printf(err, "%s:%d: expected \"key = value\"", path, lineno);
			goto out;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		/* Values may be quoted to keep leading/trailing spaces or a '#'. */
		if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		if ((k = config_find(name, strlen(name))) == NULL) {
			buf_printf(err, "%s:%d: unknown key \"%s\"", path, lineno, name);
			goto out;
		}
		if (config_set(c, k, value, why, sizeof(why)) != 0) {
			buf_printf(err, "%s:%d: %s", path, lineno, why);
			goto out;
		}
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

int
config_load(struct config *c, const char *path, struct buf *err)
{
	char why[512], envname[128];
	size_t i, j;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (config_set(c, &keys[i], keys[i].default_value, why, sizeof(why)) != 0) {
			buf_printf(err, "built-in default: %s", why);
			return -1;
		}
	if (config_read_file(c, path != NULL ? path : config_default_path(),
	    path != NULL || getenv("WAPOOL_CONF") != NULL, err) != 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *value;

		snprintf(envname, sizeof(envname), "WAPOOL_%s", keys[i].name);
		for (j = 7; envname[j] != '\0'; j++)
			envname[j] = (char)toupper((unsigned char)envname[j]);
		if ((value = getenv(envname)) == NULL)
			continue;
		if (config_set(c, &keys[i], value, why, sizeof(why)) != 0) {
			buf_printf(err, "environment %s: %s", envname, why);
			return -1;
		}
	}
	if (log_level_parse(c->log_level) < 0) {
		buf_printf(err, "log_level: \"%s\" is not error, warn, info or debug", c->log_level);
		return -1;
	}
	if (c->spacing_min_seconds > c->spacing_max_seconds) {
		buf_printf(err, "spacing_min_seconds (%lld) is above spacing_max_seconds (%lld)",
		    c->spacing_min_seconds, c->spacing_max_seconds);
		return -1;
	}
	return 0;
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].type == CONFIG_STRING || keys[i].type == CONFIG_SECRET) {
			char **field = (char **)((char *)c + keys[i].offset);

			free(*field);
			*field = NULL;
		}
}

void
config_dump(const struct config *c, struct buf *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *field = (const char *)c + keys[i].offset;

		switch (keys[i].type) {
		case CONFIG_STRING:
			buf_printf(out, "%s = %s\n", keys[i].name, *(char *const *)field);
			break;
		case CONFIG_SECRET:
			buf_printf(out, "%s = %s\n", keys[i].name,
			    **(char *const *)field ? "********" : "");
			break;
		case CONFIG_INT:
			buf_printf(out, "%s = %lld\n", keys[i].name, *(const long long *)field);
			break;
		case CONFIG_DOUBLE:
			buf_printf(out, "%s = %g\n", keys[i].name, *(const double *)field);
			break;
		case CONFIG_BOOL:
			buf_printf(out, "%s = %s\n", keys[i].name, *(const bool *)field ? "yes" : "no");
			break;
		}
	}
}
