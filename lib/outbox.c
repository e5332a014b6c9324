/* outbox.c: the send API's one INSERT, after resolving tenant, pool and instance names. */
#include "outbox.h"

static const char sql_tenant[] = "SELECT id, active FROM tenants WHERE slug = ?";
static const char sql_pool[] = "SELECT id, tenant_id, enabled FROM pools WHERE name = ?";
static const char sql_pools_of_tenant[] =
    "SELECT id, name FROM pools WHERE tenant_id = ? AND enabled = 1 ORDER BY id LIMIT 2";
static const char sql_instance[] =
    "SELECT id, tenant_id FROM instances WHERE name = ? AND deleted_at IS NULL";
static const char sql_insert[] =
    "INSERT INTO messages (tenant_id, pool_id, instance_id, priority, recipient, body,"
    " max_attempts) VALUES (?, ?, ?, ?, ?, ?, ?)";

/* One row of sql for name, or DB_NOT_FOUND; *res is freed by the caller. */
static int
lookup(struct db *db, const char *sql, const char *name, struct db_result *res)
{
	int rc = db_query(db, sql, (struct db_param[]){ DB_TEXT(name) }, 1, res);

	if (rc == DB_OK && res->nrows == 0)
		rc = DB_NOT_FOUND;
	return rc;
}

int
outbox_enqueue(struct db *db, const struct outbox_message *m, long long *id, struct buf *why)
{
	struct db_result t = { 0 }, p = { 0 }, i = { 0 };
	unsigned long long new_id = 0;
	long long tenant_id, pool_id = 0, instance_id = 0;
	int rc;

	*id = 0;
	if ((rc = lookup(db, sql_tenant, m->tenant, &t)) != DB_OK || db_int(&t, 0, 1, 0) == 0) {
		if (rc == DB_OK || rc == DB_NOT_FOUND) {
			buf_printf(why, "tenant \"%s\" %s", m->tenant, rc == DB_OK ? "is inactive" :
			    "does not exist");
			rc = DB_NOT_FOUND;
		}
		goto out;
	}
	tenant_id = db_int(&t, 0, 0, 0);
	if (m->instance != NULL) {
		if ((rc = lookup(db, sql_instance, m->instance, &i)) == DB_NOT_FOUND ||
		    (rc == DB_OK && db_value(&i, 0, 1) != NULL && db_int(&i, 0, 1, 0) != tenant_id)) {
			buf_printf(why, "instance \"%s\" does not exist for tenant \"%s\"", m->instance,
			    m->tenant);
			rc = DB_NOT_FOUND;
		}
		if (rc != DB_OK)
			goto out;
		instance_id = db_int(&i, 0, 0, 0);
	}
	if (m->pool != NULL) {
		if ((rc = lookup(db, sql_pool, m->pool, &p)) == DB_NOT_FOUND ||
		    (rc == DB_OK && db_int(&p, 0, 1, 0) != tenant_id)) {
			buf_printf(why, "pool \"%s\" does not exist for tenant \"%s\"", m->pool, m->tenant);
			rc = DB_NOT_FOUND;
		}
		if (rc != DB_OK)
			goto out;
		pool_id = db_int(&p, 0, 0, 0);
	} else if (instance_id == 0) {
		if ((rc = db_query(db, sql_pools_of_tenant, (struct db_param[]){ DB_INT(tenant_id) }, 1,
		    &p)) != DB_OK)
			goto out;
		if (p.nrows != 1) {
			buf_printf(why, p.nrows == 0 ? "tenant \"%s\" has no enabled pool" :
			    "tenant \"%s\" has several pools: name one with \"pool\"", m->tenant);
			rc = DB_CONFLICT;
			goto out;
		}
		pool_id = db_int(&p, 0, 0, 0);
	}
	rc = db_exec(db, sql_insert, (struct db_param[]){ DB_INT(tenant_id), DB_ID_OR_NULL(pool_id),
	    DB_ID_OR_NULL(instance_id), DB_INT(m->priority), DB_TEXT(m->recipient), DB_TEXT(m->text),
	    DB_INT(m->max_attempts) }, 7, NULL, &new_id);
	*id = (long long)new_id;
out:
	db_result_free(&t);
	db_result_free(&p);
	db_result_free(&i);
	return rc;
}
