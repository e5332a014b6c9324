/* orphans.c: find instances to clean up, in wapool's tables and on the gateway servers. */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gateway-admin.h"
#include "log.h"
#include "orphans.h"
#include "util.h"

static const char sql_local[] =
    "SELECT i.id, i.gateway_id, g.name, i.name, t.slug, t.active, i.state,"
    " DATE_FORMAT(COALESCE(i.disconnected_since, i.last_state_change_at, i.created_at),"
    "   '%Y-%m-%d'),"
    " COALESCE(i.disconnected_since, i.last_state_change_at, i.created_at)"
    "   < DATE_SUB(NOW(6), INTERVAL ? DAY)"
    " FROM instances i JOIN gateways g ON g.id = i.gateway_id"
    " LEFT JOIN tenants t ON t.id = i.tenant_id WHERE i.deleted_at IS NULL ORDER BY i.id";
static const char sql_servers[] =
    "SELECT id, name, kind, base_url, api_key FROM gateways WHERE active = 1 AND kind = 'evolution'"
    " ORDER BY id";
/* Two gateway rows may name one server: what any of them holds is known there. */
static const char sql_known[] =
    "SELECT i.name FROM instances i JOIN gateways g ON g.id = i.gateway_id"
    " WHERE TRIM(TRAILING '/' FROM g.base_url) = TRIM(TRAILING '/' FROM ?)"
    " AND i.deleted_at IS NULL";

static const char *const kind_names[ORPHAN_KIND__MAX] = {
	"unknown to wapool",		/* ORPHAN_UNKNOWN */
	"no active client",		/* ORPHAN_NO_CLIENT */
	"disconnected too long",	/* ORPHAN_STALE */
};

const char *
orphan_kind_str(enum orphan_kind k)
{
	return (unsigned)k < ORPHAN_KIND__MAX ? kind_names[k] : "?";
}

static struct orphan *
orphan_push(struct orphan **list, size_t *n, enum orphan_kind kind, long long gateway_id,
    const char *gateway_name, long long instance_id, const char *name, char *detail)
{
	struct orphan *o;

	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	o = &(*list)[(*n)++];
	o->kind = kind;
	o->gateway_id = gateway_id;
	o->gateway_name = xstrdup(gateway_name != NULL ? gateway_name : "");
	o->instance_id = instance_id;
	o->name = xstrdup(name != NULL ? name : "");
	o->detail = detail;
	return o;
}

/* Orphans the database alone can tell. */
static int
orphans_local(struct db *db, struct orphan **out, size_t *n)
{
	struct db_result r;
	size_t row;
	int rc;

	if ((rc = db_query(db, sql_local, (struct db_param[]){ DB_INT(FLEET_ORPHAN_DAYS) }, 1,
	    &r)) != DB_OK)
		return rc;
	for (row = 0; row < r.nrows; row++) {
		const char *slug = db_value(&r, row, 4), *state = db_value(&r, row, 6);
		long long id = db_int(&r, row, 0, 0), gid = db_int(&r, row, 1, 0);

		if (slug == NULL || db_int(&r, row, 5, 0) == 0)
			orphan_push(out, n, ORPHAN_NO_CLIENT, gid, db_value(&r, row, 2), id,
			    db_value(&r, row, 3), slug == NULL ? xstrdup("belongs to no tenant") :
			    xasprintf("tenant \"%s\" is inactive", slug));
		else if (state != NULL && strcmp(state, "connected") != 0 &&
		    db_int(&r, row, 8, 0) != 0)
			orphan_push(out, n, ORPHAN_STALE, gid, db_value(&r, row, 2), id,
			    db_value(&r, row, 3), xasprintf("%s since %s (more than %d days)", state,
			    db_value(&r, row, 7) != NULL ? db_value(&r, row, 7) : "?",
			    FLEET_ORPHAN_DAYS));
	}
	db_result_free(&r);
	return DB_OK;
}

/* The same base URL, give or take trailing slashes. */
static bool
same_server(const char *a, const char *b)
{
	size_t la = a != NULL ? strlen(a) : 0, lb = b != NULL ? strlen(b) : 0;

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && (la == 0 || strncmp(a, b, la) == 0);
}

static bool
name_known(const struct db_result *known, const char *name)
{
	size_t row;

	for (row = 0; row < known->nrows; row++)
		if (db_value(known, row, 0) != NULL && strcmp(db_value(known, row, 0), name) == 0)
			return true;
	return false;
}

int
orphans_find(struct db *db, const struct config *c, struct orphan **out, size_t *n,
    struct buf *warnings)
{
	struct db_result servers = { 0 };
	size_t row, i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = orphans_local(db, out, n)) != DB_OK ||
	    (rc = db_query(db, sql_servers, NULL, 0, &servers)) != DB_OK)
		goto out;
	for (row = 0; row < servers.nrows; row++) {
		struct gwa_server s = { db_value(&servers, row, 2), db_value(&servers, row, 3),
		    db_value(&servers, row, 4), (long)c->connect_timeout_ms, (long)c->send_timeout_ms };
		long long gid = db_int(&servers, row, 0, 0);
		const char *gname = db_value(&servers, row, 1);
		struct db_result known = { 0 };
		struct gwa_remote *remote = NULL;
		struct buf err = BUF_INIT;
		size_t count = 0;

		for (i = 0; i < row; i++)
			if (same_server(db_value(&servers, i, 3), s.base_url))
				break;
		if (i < row)
			continue;	/* listed already under another gateway row */
		if (gwa_fetch(&s, &remote, &count, &err) != GWA_OK) {
			buf_printf(warnings, "%sgateway server \"%s\" could not be listed: %s",
			    warnings->len > 0 ? "; " : "", gname, buf_cstr(&err));
			buf_free(&err);
			continue;
		}
		buf_free(&err);
		if ((rc = db_query(db, sql_known, (struct db_param[]){ DB_TEXT(s.base_url) }, 1,
		    &known)) !=
		    DB_OK) {
			gwa_remote_free(remote, count);
			goto out;
		}
		for (i = 0; i < count; i++)
			if (!name_known(&known, remote[i].name))
				orphan_push(out, n, ORPHAN_UNKNOWN, gid, gname, 0, remote[i].name,
				    xasprintf("on the server (state %s%s%s) but not in wapool",
				    remote[i].state != NULL ? remote[i].state : "?",
				    remote[i].number != NULL ? ", number " : "",
				    remote[i].number != NULL ? remote[i].number : ""));
		db_result_free(&known);
		gwa_remote_free(remote, count);
	}
	rc = DB_OK;
out:
	db_result_free(&servers);
	if (rc != DB_OK) {
		orphans_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
orphans_free(struct orphan *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(o[i].gateway_name);
		free(o[i].name);
		free(o[i].detail);
	}
	free(o);
}

int
orphans_log(struct db *db, const struct config *c, size_t *count)
{
	struct buf warnings = BUF_INIT;
	struct orphan *list = NULL;
	char name[128], detail[256];
	size_t n = 0, i;
	int rc;

	*count = 0;
	if ((rc = orphans_find(db, c, &list, &n, &warnings)) != DB_OK) {
		buf_free(&warnings);
		return rc;
	}
	for (i = 0; i < n; i++) {
		/* Names come from gateway answers: escaped before they reach a log line. */
		log_escape(list[i].name, strlen(list[i].name), name, sizeof(name));
		log_escape(list[i].detail, strlen(list[i].detail), detail, sizeof(detail));
		log_warnx("orphan instance %s on gateway %lld: %s: %s", name, list[i].gateway_id,
		    orphan_kind_str(list[i].kind), detail);
	}
	if (warnings.len > 0) {
		char escaped[512];

		log_escape(warnings.ptr, warnings.len, escaped, sizeof(escaped));
		log_warnx("orphan check incomplete: %s", escaped);
	}
	if (n == 0)
		log_info("orphan check: no orphan instances");
	*count = n;
	orphans_free(list, n);
	buf_free(&warnings);
	return DB_OK;
}
