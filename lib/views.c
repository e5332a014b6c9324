/* views.c: read-only SQL of the admin lists: webhook events and queued messages. */
#include "views.h"

#define EVENT_COLUMNS \
    "SELECT id, DATE_FORMAT(received_at, '%Y-%m-%d %H:%i:%s'), tenant_slug, event, status," \
    " http_status, reason, request_key, body_size, remote_addr"

static const char sql_events[] =
    EVENT_COLUMNS " FROM webhook_events"
    " WHERE (? IS NULL OR tenant_slug = ?) AND (? IS NULL OR event = ?)"
    " AND (? IS NULL OR status = ?) AND (? = 0 OR id < ?)"
    " ORDER BY id DESC LIMIT 51";
static const char sql_event[] =
    EVENT_COLUMNS ", content_type, body FROM webhook_events WHERE id = ?";
static const char sql_messages[] =
    "SELECT m.id, DATE_FORMAT(m.created_at, '%Y-%m-%d %H:%i:%s'), t.slug, p.name, m.recipient,"
    " m.attempts, m.max_attempts, DATE_FORMAT(m.not_before, '%Y-%m-%d %H:%i:%s'),"
    " m.wait_reason, m.last_error, COALESCE(si.name, fi.name),"
    /* The lease columns mean something only while the row is being sent (009). */
    " IF(m.state = 'sending', m.lease_owner, NULL),"
    " IF(m.state = 'sending', DATE_FORMAT(m.lease_until, '%Y-%m-%d %H:%i:%s'), NULL)"
    " FROM messages m LEFT JOIN tenants t ON t.id = m.tenant_id"
    " LEFT JOIN pools p ON p.id = m.pool_id"
    " LEFT JOIN instances si ON si.id = m.sent_instance_id"
    " LEFT JOIN instances fi ON fi.id = m.instance_id"
    " WHERE m.state = ? AND (? = 0 OR m.id < ?) ORDER BY m.id DESC LIMIT 51";
static const char sql_queue_counts[] =
    "SELECT state, COUNT(*) FROM messages WHERE state IN ('pending', 'sending', 'dead')"
    " GROUP BY state";

int
views_events(struct db *db, const struct views_event_filter *f, struct db_result *out)
{
	return db_query(db, sql_events, (struct db_param[]){ DB_TEXT(f->tenant),
	    DB_TEXT(f->tenant), DB_TEXT(f->event), DB_TEXT(f->event), DB_TEXT(f->status),
	    DB_TEXT(f->status), DB_INT(f->before_id), DB_INT(f->before_id) }, 8, out);
}

int
views_event(struct db *db, long long id, struct db_result *out)
{
	int rc = db_query(db, sql_event, (struct db_param[]){ DB_INT(id) }, 1, out);

	if (rc == DB_OK && out->nrows == 0) {
		db_result_free(out);
		return DB_NOT_FOUND;
	}
	return rc;
}

int
views_messages(struct db *db, const char *state, long long before_id, struct db_result *out)
{
	return db_query(db, sql_messages, (struct db_param[]){ DB_TEXT(state), DB_INT(before_id),
	    DB_INT(before_id) }, 3, out);
}

int
views_queue_counts(struct db *db, struct db_result *out)
{
	return db_query(db, sql_queue_counts, NULL, 0, out);
}
