/* routes.c: SQL for webhook routes. */
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "util.h"

/* LEFT JOIN so one round trip tells "no tenant" from "no route". */
static const char sql_lookup[] =
    "SELECT t.id, r.id, r.pool_id, r.template, r.phone_path, r.key_path, r.secret,"
    " r.validity_seconds, r.priority"
    " FROM tenants t"
    " LEFT JOIN routes r ON r.tenant_id = t.id AND r.event = ? AND r.active = 1"
    " WHERE t.slug = ? AND t.active = 1";

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int
route_lookup(struct db *db, const char *tenant_slug, const char *event, struct route *out)
{
	struct db_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_query(db, sql_lookup, (struct db_param[]){ DB_TEXT(event), DB_TEXT(tenant_slug) },
	    2, &r);
	if (rc != DB_OK)
		return rc;
	if (r.nrows > 0) {
		out->tenant_id = db_int(&r, 0, 0, 0);
		out->route_id = db_int(&r, 0, 1, 0);
		if (out->route_id != 0) {
			out->pool_id = db_int(&r, 0, 2, 0);
			out->template = dup_or_null(db_value(&r, 0, 3));
			out->phone_path = dup_or_null(db_value(&r, 0, 4));
			out->key_path = dup_or_null(db_value(&r, 0, 5));
			if (out->key_path != NULL && out->key_path[0] == '\0') {
				free(out->key_path);
				out->key_path = NULL;
			}
			out->secret = dup_or_null(db_value(&r, 0, 6));
			out->validity_seconds = db_int(&r, 0, 7, 0);
			out->priority = (int)db_int(&r, 0, 8, 10);
		}
	}
	db_result_free(&r);
	return DB_OK;
}

void
route_copy(struct route *dst, const struct route *src)
{
	*dst = *src;
	dst->template = dup_or_null(src->template);
	dst->phone_path = dup_or_null(src->phone_path);
	dst->key_path = dup_or_null(src->key_path);
	dst->secret = dup_or_null(src->secret);
}

void
route_free(struct route *r)
{
	free(r->template);
	free(r->phone_path);
	free(r->key_path);
	free(r->secret);
	memset(r, 0, sizeof(*r));
}
