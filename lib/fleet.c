/* fleet.c: SQL for gateway servers and instances: lists, edits, server choice, capacity alerts. */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "instances.h"
#include "log.h"
#include "util.h"

#define GATEWAY_COLUMNS \
    "SELECT g.id, g.name, g.kind, g.base_url, g.api_key, g.capacity, g.priority, g.active," \
    " COUNT(i.id), COALESCE(SUM(i.state = 'connected'), 0), g.last_check_at," \
    " g.last_check_result FROM gateways g" \
    " LEFT JOIN instances i ON i.gateway_id = g.id AND i.deleted_at IS NULL"

static const char sql_gateways[] =
    GATEWAY_COLUMNS " GROUP BY g.id ORDER BY g.priority DESC, g.name";
static const char sql_gateway_get[] = GATEWAY_COLUMNS " WHERE g.id = ? GROUP BY g.id";
static const char sql_gateway_exists[] = "SELECT id FROM gateways WHERE id = ?";
static const char sql_gateway_update[] =
    "UPDATE gateways SET name = ?, kind = ?, base_url = ?, api_key = IF(? = '', api_key, ?),"
    " capacity = ?, priority = ?, active = ? WHERE id = ?";
static const char sql_gateway_active[] = "UPDATE gateways SET active = ? WHERE id = ?";
static const char sql_gateway_check[] =
    "UPDATE gateways SET last_check_at = NOW(6), last_check_result = LEFT(?, 500) WHERE id = ?";
/* Locks every gateway row: concurrent creates take turns for the last slots. */
static const char sql_choose[] =
    "SELECT g.id, g.name, g.capacity, g.priority, g.active,"
    " (SELECT COUNT(*) FROM instances i WHERE i.gateway_id = g.id AND i.deleted_at IS NULL)"
    " FROM gateways g ORDER BY g.id FOR UPDATE";

#define INSTANCE_COLUMNS \
    "SELECT i.id, i.gateway_id, g.name, g.kind, i.tenant_id, t.slug, i.client_ref, i.name," \
    " i.phone, i.token, i.state, i.admin_state, i.health, i.breaker_state, i.last_health_at," \
    " i.last_state_change_at," \
    " (SELECT COUNT(*) FROM messages m WHERE m.sent_instance_id = i.id" \
    "   AND m.sent_at >= UTC_DATE())," \
    " (SELECT COUNT(*) FROM messages m WHERE m.sent_instance_id = i.id" \
    "   AND m.sent_at >= UTC_DATE() AND m.state = 'failed')" \
    " FROM instances i JOIN gateways g ON g.id = i.gateway_id" \
    " LEFT JOIN tenants t ON t.id = i.tenant_id WHERE i.deleted_at IS NULL"

static const char sql_instances[] =
    INSTANCE_COLUMNS " AND (? = 0 OR i.gateway_id = ?) AND (? = 0 OR i.tenant_id = ?)"
    " AND (? IS NULL OR i.state = ?) ORDER BY g.name, i.name";
static const char sql_instance_get[] = INSTANCE_COLUMNS " AND i.id = ?";
static const char sql_instance_of_client[] =
    "SELECT id FROM instances WHERE tenant_id = ? AND client_ref = ? AND deleted_at IS NULL";
static const char sql_instance_name_used[] = "SELECT id FROM instances WHERE name = ?";
static const char sql_instance_by_name[] =
    "SELECT id FROM instances WHERE (? = 0 OR gateway_id = ?) AND name = ? AND deleted_at IS NULL";
static const char sql_instance_insert[] =
    "INSERT INTO instances (gateway_id, tenant_id, client_ref, name, phone, state,"
    " last_state_change_at) VALUES (?, ?, ?, ?, ?, 'unknown', NOW(6))";
static const char sql_instance_credentials[] =
    "UPDATE instances SET token = COALESCE(?, token), external_id = COALESCE(?, external_id)"
    " WHERE id = ?";
/* state is assigned last: MariaDB evaluates SET left to right with updated values. */
static const char sql_instance_state[] =
    "UPDATE instances SET"
    " last_state_change_at = IF(state <> ?, NOW(6), last_state_change_at),"
    " connected_since = IF(? = 'connected', IF(state = 'connected', connected_since, NOW(6)),"
    "   NULL),"
    " disconnected_since = IF(? = 'connected', NULL,"
    "   IF(state = 'connected' OR disconnected_since IS NULL, NOW(6), disconnected_since)),"
    " last_health_at = NOW(6), state = ? WHERE id = ? AND deleted_at IS NULL";
static const char sql_instance_delete[] =
    "UPDATE instances SET deleted_at = NOW(6), client_ref = NULL,"
    " name = CONCAT(LEFT(name, 70), '~', id), last_state_change_at = NOW(6),"
    " disconnected_since = COALESCE(disconnected_since, NOW(6)), connected_since = NULL,"
    " state = 'disconnected' WHERE id = ? AND deleted_at IS NULL";
static const char sql_members_delete[] = "DELETE FROM pool_members WHERE instance_id = ?";
static const char sql_affinity_delete[] = "DELETE FROM recipient_affinity WHERE instance_id = ?";
static const char sql_instance_discard[] =
    "DELETE FROM instances WHERE id = ? AND last_sent_at IS NULL";

static const char sql_capacity[] =
    "SELECT g.id, g.name, g.capacity, g.active,"
    " (SELECT COUNT(*) FROM instances i WHERE i.gateway_id = g.id AND i.deleted_at IS NULL),"
    " (SELECT COUNT(*) FROM alerts a WHERE a.kind = 'gateway_capacity' AND a.gateway_id = g.id"
    "   AND a.resolved_at IS NULL)"
    " FROM gateways g";
static const char sql_alert_resolve[] =
    "UPDATE alerts SET resolved_at = NOW(6) WHERE kind = 'gateway_capacity' AND gateway_id = ?"
    " AND resolved_at IS NULL";
static const char sql_alerts[] =
    "SELECT id, kind, message, created_at FROM alerts WHERE resolved_at IS NULL"
    " ORDER BY id DESC LIMIT 50";
static const char sql_tenants[] = "SELECT id, slug, name, active FROM tenants ORDER BY slug";
static const char sql_states[] =
    "SELECT state, COUNT(*) FROM instances WHERE deleted_at IS NULL GROUP BY state";

static char *
dup_value(const struct db_result *r, size_t row, size_t col)
{
	const char *v = db_value(r, row, col);

	return v != NULL ? xstrdup(v) : NULL;
}

static void
gateway_from_row(const struct db_result *r, size_t row, struct fleet_gateway *g)
{
	g->id = db_int(r, row, 0, 0);
	g->name = dup_value(r, row, 1);
	g->kind = dup_value(r, row, 2);
	g->base_url = dup_value(r, row, 3);
	g->api_key = dup_value(r, row, 4);
	g->capacity = db_int(r, row, 5, 0);
	g->priority = db_int(r, row, 6, 0);
	g->active = db_int(r, row, 7, 0) != 0;
	g->assigned = db_int(r, row, 8, 0);
	g->connected = db_int(r, row, 9, 0);
	g->last_check_at = dup_value(r, row, 10);
	g->last_check_result = dup_value(r, row, 11);
}

void
fleet_gateway_free(struct fleet_gateway *g)
{
	free(g->name);
	free(g->kind);
	free(g->base_url);
	if (g->api_key != NULL)
		explicit_bzero(g->api_key, strlen(g->api_key));
	free(g->api_key);
	free(g->last_check_at);
	free(g->last_check_result);
	memset(g, 0, sizeof(*g));
}

void
fleet_gateways_free(struct fleet_gateway *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fleet_gateway_free(&g[i]);
	free(g);
}

int
fleet_gateways(struct db *db, struct fleet_gateway **out, size_t *n)
{
	struct db_result r;
	size_t row;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = db_query(db, sql_gateways, NULL, 0, &r)) != DB_OK)
		return rc;
	*out = xcalloc(r.nrows, sizeof(**out));
	for (row = 0; row < r.nrows; row++)
		gateway_from_row(&r, row, &(*out)[row]);
	*n = r.nrows;
	db_result_free(&r);
	return DB_OK;
}

int
fleet_gateway_get(struct db *db, long long id, struct fleet_gateway *out)
{
	struct db_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_query(db, sql_gateway_get, (struct db_param[]){ DB_INT(id) }, 1, &r)) != DB_OK)
		return rc;
	if (r.nrows == 0)
		rc = DB_NOT_FOUND;
	else
		gateway_from_row(&r, 0, out);
	db_result_free(&r);
	return rc;
}

static int
row_exists(struct db *db, const char *sql, long long id)
{
	struct db_result r;
	int rc;

	if ((rc = db_query(db, sql, (struct db_param[]){ DB_INT(id) }, 1, &r)) != DB_OK)
		return rc;
	rc = r.nrows > 0 ? DB_OK : DB_NOT_FOUND;
	db_result_free(&r);
	return rc;
}

int
fleet_gateway_update(struct db *db, long long id, const struct gateway_spec *g)
{
	const char *key = g->api_key != NULL ? g->api_key : "";
	int rc;

	if ((rc = row_exists(db, sql_gateway_exists, id)) != DB_OK)
		return rc;
	return db_exec(db, sql_gateway_update, (struct db_param[]){ DB_TEXT(g->name),
	    DB_TEXT(g->kind), DB_TEXT(g->base_url), DB_TEXT(key), DB_TEXT(key),
	    DB_INT(g->capacity), DB_INT(g->priority), DB_INT(g->active), DB_INT(id) }, 9,
	    NULL, NULL);
}

int
fleet_gateway_set_active(struct db *db, long long id, bool active)
{
	int rc;

	if ((rc = row_exists(db, sql_gateway_exists, id)) != DB_OK)
		return rc;
	return db_exec(db, sql_gateway_active, (struct db_param[]){ DB_INT(active), DB_INT(id) },
	    2, NULL, NULL);
}

int
fleet_gateway_record_check(struct db *db, long long id, const char *result)
{
	return db_exec(db, sql_gateway_check, (struct db_param[]){ DB_TEXT(result), DB_INT(id) },
	    2, NULL, NULL);
}

double
fleet_usage_percent(const struct fleet_gateway *g)
{
	if (g->capacity <= 0)
		return 100.0;
	return 100.0 * (double)g->assigned / (double)g->capacity;
}

const char *
fleet_gateway_status(const struct fleet_gateway *g)
{
	if (!g->active)
		return "inactive";
	if (g->assigned >= g->capacity)
		return "full";
	if (g->assigned * 100 >= g->capacity * FLEET_WARN_PERCENT)
		return "warning";
	return "ok";
}

int
fleet_choose_gateway(struct db *db, long long forced_id, long long *id, struct buf *why)
{
	struct db_result r;
	struct buf full = BUF_INIT;
	long long best = -1, best_priority = 0, best_used = 0, active = 0;
	size_t row;
	int rc;

	*id = 0;
	if ((rc = db_query(db, sql_choose, NULL, 0, &r)) != DB_OK)
		return rc;
	for (row = 0; row < r.nrows; row++) {
		long long gid = db_int(&r, row, 0, 0), capacity = db_int(&r, row, 2, 0);
		long long priority = db_int(&r, row, 3, 0), used = db_int(&r, row, 5, 0);
		const char *name = db_value(&r, row, 1);
		bool is_active = db_int(&r, row, 4, 0) != 0;

		if (forced_id > 0 && gid != forced_id)
			continue;
		if (!is_active) {
			if (forced_id > 0)
				buf_printf(why, "gateway server \"%s\" is inactive", name);
			continue;
		}
		active++;
		if (used >= capacity) {
			buf_printf(&full, "%s%s %lld/%lld", full.len > 0 ? ", " : "", name, used,
			    capacity);
			continue;
		}
		/* Highest priority first, then the least used, then the oldest. */
		if (best < 0 || priority > best_priority ||
		    (priority == best_priority && used < best_used)) {
			best = gid;
			best_priority = priority;
			best_used = used;
		}
	}
	if (best > 0) {
		*id = best;
		rc = DB_OK;
	} else {
		rc = DB_NOT_FOUND;
		/* An inactive forced server has its reason written already. */
		if (why->len > 0)
			rc = DB_NOT_FOUND;
		else if (forced_id > 0 && active == 0)
			buf_puts(why, "that gateway server does not exist");
		else if (forced_id > 0)
			buf_printf(why, "gateway server is full: %s", buf_cstr(&full));
		else if (r.nrows == 0)
			buf_puts(why, "no gateway server available: none is configured yet");
		else if (active == 0)
			buf_printf(why, "no gateway server available: all %zu gateway server%s %s "
			    "inactive", r.nrows, r.nrows == 1 ? "" : "s", r.nrows == 1 ? "is" : "are");
		else
			buf_printf(why, "no gateway server available: every active server is full (%s)",
			    buf_cstr(&full));
	}
	buf_free(&full);
	db_result_free(&r);
	return rc;
}

static void
instance_from_row(const struct db_result *r, size_t row, struct fleet_instance *v)
{
	v->id = db_int(r, row, 0, 0);
	v->gateway_id = db_int(r, row, 1, 0);
	v->gateway_name = dup_value(r, row, 2);
	v->gateway_kind = dup_value(r, row, 3);
	v->tenant_id = db_int(r, row, 4, 0);
	v->tenant_slug = dup_value(r, row, 5);
	v->client_ref = dup_value(r, row, 6);
	v->name = dup_value(r, row, 7);
	v->phone = dup_value(r, row, 8);
	v->token = dup_value(r, row, 9);
	v->state = dup_value(r, row, 10);
	v->admin_state = dup_value(r, row, 11);
	v->health = dup_value(r, row, 12);
	v->breaker_state = dup_value(r, row, 13);
	v->last_health_at = dup_value(r, row, 14);
	v->last_state_change_at = dup_value(r, row, 15);
	v->sent_today = db_int(r, row, 16, 0);
	v->failed_today = db_int(r, row, 17, 0);
}

void
fleet_instance_free(struct fleet_instance *v)
{
	free(v->gateway_name);
	free(v->gateway_kind);
	free(v->tenant_slug);
	free(v->client_ref);
	free(v->name);
	free(v->phone);
	if (v->token != NULL)
		explicit_bzero(v->token, strlen(v->token));
	free(v->token);
	free(v->state);
	free(v->admin_state);
	free(v->health);
	free(v->breaker_state);
	free(v->last_health_at);
	free(v->last_state_change_at);
	memset(v, 0, sizeof(*v));
}

void
fleet_instances_free(struct fleet_instance *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fleet_instance_free(&v[i]);
	free(v);
}

int
fleet_instances(struct db *db, const struct fleet_filter *f, struct fleet_instance **out,
    size_t *n)
{
	static const struct fleet_filter none = { 0, 0, NULL };
	struct db_result r;
	size_t row;
	int rc;

	if (f == NULL)
		f = &none;
	*out = NULL;
	*n = 0;
	rc = db_query(db, sql_instances, (struct db_param[]){ DB_INT(f->gateway_id),
	    DB_INT(f->gateway_id), DB_INT(f->tenant_id), DB_INT(f->tenant_id), DB_TEXT(f->state),
	    DB_TEXT(f->state) }, 6, &r);
	if (rc != DB_OK)
		return rc;
	*out = xcalloc(r.nrows, sizeof(**out));
	for (row = 0; row < r.nrows; row++)
		instance_from_row(&r, row, &(*out)[row]);
	*n = r.nrows;
	db_result_free(&r);
	return DB_OK;
}

int
fleet_instance_get(struct db *db, long long id, struct fleet_instance *out)
{
	struct db_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_query(db, sql_instance_get, (struct db_param[]){ DB_INT(id) }, 1, &r)) !=
	    DB_OK)
		return rc;
	if (r.nrows == 0)
		rc = DB_NOT_FOUND;
	else
		instance_from_row(&r, 0, out);
	db_result_free(&r);
	return rc;
}

/* The live instance of (tenant, client): DB_OK with *id, or DB_NOT_FOUND. */
static int
instance_of_client(struct db *db, long long tenant_id, const char *client_ref, long long *id)
{
	struct db_result r;
	int rc;

	rc = db_query(db, sql_instance_of_client, (struct db_param[]){ DB_INT(tenant_id),
	    DB_TEXT(client_ref) }, 2, &r);
	if (rc != DB_OK)
		return rc;
	if (r.nrows == 0)
		rc = DB_NOT_FOUND;
	else
		*id = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	return rc;
}

int
fleet_instance_by_name(struct db *db, long long gateway_id, const char *name, long long *id)
{
	struct db_result r;
	int rc;

	rc = db_query(db, sql_instance_by_name, (struct db_param[]){ DB_INT(gateway_id),
	    DB_INT(gateway_id), DB_TEXT(name) }, 3, &r);
	if (rc != DB_OK)
		return rc;
	if (r.nrows == 0)
		rc = DB_NOT_FOUND;
	else
		*id = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	return rc;
}

enum fleet_create
fleet_instance_create(struct db *db, const struct fleet_new_instance *in, long long *id,
    struct buf *why, int *rc)
{
	unsigned long long new_id = 0;
	long long gateway_id = 0, other = 0;
	struct db_result r;

	*id = 0;
	/* Check before create: the client's instance is reconnected, never doubled. */
	if (in->client_ref != NULL && in->tenant_id > 0) {
		*rc = instance_of_client(db, in->tenant_id, in->client_ref, id);
		if (*rc == DB_OK)
			return FLEET_EXISTS;
		if (*rc != DB_NOT_FOUND)
			return FLEET_DB_FAILED;
	}
	if ((*rc = db_query(db, sql_instance_name_used, (struct db_param[]){ DB_TEXT(in->name) },
	    1, &r)) != DB_OK)
		return FLEET_DB_FAILED;
	other = r.nrows > 0 ? db_int(&r, 0, 0, 0) : 0;
	db_result_free(&r);
	if (other > 0)
		return FLEET_NAME_TAKEN;
	if ((*rc = db_begin(db)) != DB_OK)
		return FLEET_DB_FAILED;
	if ((*rc = fleet_choose_gateway(db, in->gateway_id, &gateway_id, why)) != DB_OK) {
		db_rollback(db);
		return *rc == DB_NOT_FOUND ? FLEET_NO_GATEWAY : FLEET_DB_FAILED;
	}
	*rc = db_exec(db, sql_instance_insert, (struct db_param[]){ DB_INT(gateway_id),
	    DB_ID_OR_NULL(in->tenant_id), DB_TEXT(in->client_ref), DB_TEXT(in->name),
	    DB_TEXT(in->phone) }, 5, NULL, &new_id);
	if (*rc == DB_OK)
		*rc = db_commit(db);
	else
		db_rollback(db);
	if (*rc == DB_OK) {
		*id = (long long)new_id;
		return FLEET_CREATED;
	}
	if (*rc != DB_DUPLICATE)
		return FLEET_DB_FAILED;
	/* Lost a race: another request created the client's instance (or took the name). */
	if (in->client_ref != NULL && in->tenant_id > 0 &&
	    instance_of_client(db, in->tenant_id, in->client_ref, id) == DB_OK)
		return FLEET_EXISTS;
	return FLEET_NAME_TAKEN;
}

int
fleet_instance_set_credentials(struct db *db, long long id, const char *token,
    const char *external_id)
{
	return db_exec(db, sql_instance_credentials, (struct db_param[]){ DB_TEXT(token),
	    DB_TEXT(external_id), DB_INT(id) }, 3, NULL, NULL);
}

int
fleet_instance_set_state(struct db *db, long long id, const char *state)
{
	return db_exec(db, sql_instance_state, (struct db_param[]){ DB_TEXT(state),
	    DB_TEXT(state), DB_TEXT(state), DB_TEXT(state), DB_INT(id) }, 5, NULL, NULL);
}

int
fleet_instance_delete(struct db *db, long long id)
{
	unsigned long long affected = 0;
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, sql_instance_delete, (struct db_param[]){ DB_INT(id) }, 1,
	    &affected, NULL)) != DB_OK ||
	    (rc = db_exec(db, sql_members_delete, (struct db_param[]){ DB_INT(id) }, 1,
	    NULL, NULL)) != DB_OK ||
	    (rc = db_exec(db, sql_affinity_delete, (struct db_param[]){ DB_INT(id) }, 1,
	    NULL, NULL)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	if (affected == 0) {
		db_rollback(db);
		return DB_NOT_FOUND;
	}
	return db_commit(db);
}

int
fleet_instance_discard(struct db *db, long long id)
{
	return db_exec(db, sql_instance_discard, (struct db_param[]){ DB_INT(id) }, 1, NULL, NULL);
}

int
fleet_capacity_alerts(struct db *db, long long *open)
{
	struct db_result r;
	long long count = 0;
	size_t row;
	int rc;

	if ((rc = db_query(db, sql_capacity, NULL, 0, &r)) != DB_OK)
		return rc;
	for (row = 0; row < r.nrows && rc == DB_OK; row++) {
		long long gid = db_int(&r, row, 0, 0), capacity = db_int(&r, row, 2, 0);
		long long used = db_int(&r, row, 4, 0), alerts = db_int(&r, row, 5, 0);
		bool active = db_int(&r, row, 3, 0) != 0;
		bool over = active && capacity > 0 && used * 100 >= capacity * FLEET_WARN_PERCENT;
		const char *name = db_value(&r, row, 1);

		if (over) {
			count++;
			if (alerts == 0) {
				char *message = xasprintf("gateway server \"%s\" is at %lld%% of its "
				    "capacity (%lld of %lld instances)", name != NULL ? name : "?",
				    used * 100 / capacity, used, capacity);

				/*
				 * The unique key on open capacity alerts makes one
				 * process of all those that noticed it the one that
				 * raises the alert, and only that one logs it.
				 */
				rc = alert_add(db, "gateway_capacity", gid, 0, message);
				if (rc == DB_OK)
					log_warnx("%s", message);
				else if (rc == DB_DUPLICATE)
					rc = DB_OK;
				free(message);
			}
		} else if (alerts > 0)
			rc = db_exec(db, sql_alert_resolve, (struct db_param[]){ DB_INT(gid) }, 1,
			    NULL, NULL);
	}
	db_result_free(&r);
	if (open != NULL)
		*open = count;
	return rc;
}

int
fleet_alerts(struct db *db, struct fleet_alert **out, size_t *n)
{
	struct db_result r;
	size_t row;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = db_query(db, sql_alerts, NULL, 0, &r)) != DB_OK)
		return rc;
	*out = xcalloc(r.nrows, sizeof(**out));
	for (row = 0; row < r.nrows; row++) {
		(*out)[row].id = db_int(&r, row, 0, 0);
		(*out)[row].kind = dup_value(&r, row, 1);
		(*out)[row].message = dup_value(&r, row, 2);
		(*out)[row].created_at = dup_value(&r, row, 3);
	}
	*n = r.nrows;
	db_result_free(&r);
	return DB_OK;
}

void
fleet_alerts_free(struct fleet_alert *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].kind);
		free(a[i].message);
		free(a[i].created_at);
	}
	free(a);
}

int
fleet_tenants(struct db *db, struct fleet_tenant **out, size_t *n)
{
	struct db_result r;
	size_t row;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = db_query(db, sql_tenants, NULL, 0, &r)) != DB_OK)
		return rc;
	*out = xcalloc(r.nrows, sizeof(**out));
	for (row = 0; row < r.nrows; row++) {
		(*out)[row].id = db_int(&r, row, 0, 0);
		(*out)[row].slug = dup_value(&r, row, 1);
		(*out)[row].name = dup_value(&r, row, 2);
		(*out)[row].active = db_int(&r, row, 3, 0) != 0;
	}
	*n = r.nrows;
	db_result_free(&r);
	return DB_OK;
}

void
fleet_tenants_free(struct fleet_tenant *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].slug);
		free(t[i].name);
	}
	free(t);
}

int
fleet_instance_states(struct db *db, struct db_result *out)
{
	return db_query(db, sql_states, NULL, 0, out);
}
