/* admin.c: SQL that configures tenants, gateways, instances, pools and routes. */
#include <string.h>

#include "admin.h"
#include "util.h"

static const char sql_tenant_add[] =
    "INSERT INTO tenants (slug, name, timezone) VALUES (?, ?, ?)";
static const char sql_gateway_add[] =
    "INSERT INTO gateways (name, kind, base_url, api_key, capacity, priority, active)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char sql_tenant_id[] = "SELECT id FROM tenants WHERE slug = ?";
static const char sql_gateway_id[] = "SELECT id FROM gateways WHERE name = ?";
static const char sql_pool_id[] = "SELECT id, tenant_id FROM pools WHERE name = ?";
static const char sql_instance_id[] = "SELECT id FROM instances WHERE name = ? AND deleted_at IS NULL";
static const char sql_instance_add[] =
    "INSERT INTO instances (gateway_id, tenant_id, client_ref, name, phone, token, state,"
    " tier_daily_limit, rate_mps, connected_since, last_state_change_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, IF(? = 'connected', NOW(6), NULL), NOW(6))";
static const char sql_pool_add[] =
    "INSERT INTO pools (tenant_id, name, strategy) VALUES (?, ?, ?)";
static const char sql_member_add[] =
    "INSERT INTO pool_members (pool_id, instance_id, position)"
    " SELECT ?, ?, COALESCE(MAX(position) + 1, 0) FROM pool_members WHERE pool_id = ?";
static const char sql_route_add[] =
    "INSERT INTO routes (tenant_id, event, pool_id, template, phone_path, key_path, secret,"
    " validity_seconds, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* id of the row named by name through sql, or DB_NOT_FOUND with what in err. */
static int
lookup_id(struct db *db, const char *sql, const char *name, const char *what,
    long long *id, struct buf *err)
{
	struct db_result r;
	int rc;

	if ((rc = db_query(db, sql, (struct db_param[]){ DB_TEXT(name) }, 1, &r)) != DB_OK)
		return rc;
	if (r.nrows == 0) {
		db_result_free(&r);
		if (err != NULL)
			buf_printf(err, "%s \"%s\" does not exist", what, name);
		return DB_NOT_FOUND;
	}
	*id = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	return DB_OK;
}

int
tenant_add(struct db *db, const char *slug, const char *name, const char *timezone,
    long long *id)
{
	unsigned long long new_id = 0;
	int rc;

	rc = db_exec(db, sql_tenant_add, (struct db_param[]){ DB_TEXT(slug),
	    DB_TEXT(name != NULL ? name : slug),
	    DB_TEXT(timezone != NULL ? timezone : "America/Sao_Paulo") }, 3, NULL, &new_id);
	*id = (long long)new_id;
	return rc;
}

int
gateway_add(struct db *db, const struct gateway_spec *g, long long *id)
{
	unsigned long long new_id = 0;
	int rc;

	rc = db_exec(db, sql_gateway_add, (struct db_param[]){ DB_TEXT(g->name),
	    DB_TEXT(g->kind), DB_TEXT(g->base_url), DB_TEXT(g->api_key != NULL ? g->api_key : ""),
	    DB_INT(g->capacity), DB_INT(g->priority), DB_INT(g->active) }, 7, NULL, &new_id);
	*id = (long long)new_id;
	return rc;
}

int
instance_add(struct db *db, const struct instance_spec *s, long long *id, struct buf *err)
{
	unsigned long long new_id = 0;
	long long gateway_id = 0, tenant_id = 0;
	const char *state = s->state != NULL ? s->state : "unknown";
	int rc;

	if ((rc = lookup_id(db, sql_gateway_id, s->gateway, "gateway", &gateway_id, err)) != DB_OK)
		return rc;
	if (s->tenant != NULL &&
	    (rc = lookup_id(db, sql_tenant_id, s->tenant, "tenant", &tenant_id, err)) != DB_OK)
		return rc;
	rc = db_exec(db, sql_instance_add, (struct db_param[]){ DB_INT(gateway_id),
	    DB_ID_OR_NULL(tenant_id), DB_TEXT(s->client_ref), DB_TEXT(s->name), DB_TEXT(s->phone),
	    DB_TEXT(s->token != NULL ? s->token : ""), DB_TEXT(state),
	    DB_ID_OR_NULL(s->daily_limit), DB_ID_OR_NULL(s->rate_mps), DB_TEXT(state) },
	    10, NULL, &new_id);
	*id = (long long)new_id;
	return rc;
}

int
pool_add(struct db *db, const char *name, const char *tenant, const char *strategy,
    long long *id, struct buf *err)
{
	unsigned long long new_id = 0;
	long long tenant_id = 0;
	int rc;

	if ((rc = lookup_id(db, sql_tenant_id, tenant, "tenant", &tenant_id, err)) != DB_OK)
		return rc;
	rc = db_exec(db, sql_pool_add, (struct db_param[]){ DB_INT(tenant_id), DB_TEXT(name),
	    DB_TEXT(strategy != NULL ? strategy : "round_robin") }, 3, NULL, &new_id);
	*id = (long long)new_id;
	return rc;
}

int
pool_member_add(struct db *db, const char *pool, const char *instance, struct buf *err)
{
	long long pool_id = 0, instance_id = 0;
	int rc;

	if ((rc = lookup_id(db, sql_pool_id, pool, "pool", &pool_id, err)) != DB_OK ||
	    (rc = lookup_id(db, sql_instance_id, instance, "instance", &instance_id, err)) != DB_OK)
		return rc;
	return db_exec(db, sql_member_add, (struct db_param[]){ DB_INT(pool_id),
	    DB_INT(instance_id), DB_INT(pool_id) }, 3, NULL, NULL);
}

int
route_add(struct db *db, const struct route_spec *r, long long *id, struct buf *err)
{
	unsigned long long new_id = 0;
	long long tenant_id = 0, pool_id = 0;
	int rc;

	if ((rc = lookup_id(db, sql_tenant_id, r->tenant, "tenant", &tenant_id, err)) != DB_OK ||
	    (rc = lookup_id(db, sql_pool_id, r->pool, "pool", &pool_id, err)) != DB_OK)
		return rc;
	rc = db_exec(db, sql_route_add, (struct db_param[]){ DB_INT(tenant_id), DB_TEXT(r->event),
	    DB_INT(pool_id), DB_TEXT(r->template), DB_TEXT(r->phone_path), DB_TEXT(r->key_path),
	    DB_TEXT(r->secret), DB_ID_OR_NULL(r->validity_seconds), DB_INT(r->priority) },
	    9, NULL, &new_id);
	*id = (long long)new_id;
	return rc;
}
