/* intake.c: the durable part of webhook intake: events and messages in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "intake.h"
#include "log.h"
#include "util.h"

#define TOKEN_SIZE 16
#define EVENT_COLUMNS 13
#define MESSAGE_COLUMNS 9

static const char sql_events_head[] =
    "INSERT INTO webhook_events (tenant_id, tenant_slug, event, idem_key, request_key,"
    " intake_token, status, http_status, reason, content_type, body, body_size, remote_addr)"
    " VALUES ";
/*
 * Request-derived texts are cut to their columns (reason 500, content_type
 * 200, remote_addr 64): a strict server refuses an over-long value, and
 * with it every other event of the committer's batch.  The rest are
 * checked before they get here (tenant, event, key lengths).
 */
static const char sql_events_row[] = "(?,?,?,?,?,?,?,?,LEFT(?,500),LEFT(?,200),?,?,LEFT(?,64))";
/* A duplicate key leaves the first row untouched; the token lookup below tells which. */
static const char sql_events_tail[] = " ON DUPLICATE KEY UPDATE id = id";
static const char sql_tokens_head[] = "SELECT id, intake_token FROM webhook_events WHERE intake_token IN (";
static const char sql_messages_head[] =
    "INSERT INTO messages (tenant_id, event_id, route_id, pool_id, priority, recipient,"
    " body, expires_at, max_attempts) VALUES ";
static const char sql_messages_row[] = "(?,?,?,?,?,?,?,DATE_ADD(NOW(6), INTERVAL ? SECOND),?)";
static const char sql_message_ids_head[] = "SELECT event_id, id FROM messages WHERE event_id IN (";
static const char sql_first_of_key[] =
    "SELECT e.id, m.id, m.state FROM webhook_events e"
    " LEFT JOIN messages m ON m.event_id = e.id"
    " WHERE e.tenant_id = ? AND e.event = ? AND e.idem_key = ?"
    " ORDER BY m.id LIMIT 1";

/* "head" + n copies of row separated by commas + tail. */
static void
sql_rows(struct buf *sql, const char *head, const char *row, size_t n, const char *tail)
{
	size_t i;

	buf_reset(sql);
	buf_puts(sql, head);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(sql, ',');
		buf_puts(sql, row);
	}
	buf_puts(sql, tail);
}

static bool
event_accepted(const struct intake_event *e)
{
	return e->http_status >= 200 && e->http_status < 300;
}

/*
 * Insert every event row; *inserted is how many rows were new (a
 * duplicate key counts 0: the connection does not ask for found rows) and
 * *first_id the id of the first new one.
 */
static int
intake_insert_events(struct db *db, struct intake_event *events, size_t n,
    unsigned char (*tokens)[TOKEN_SIZE], struct buf *sql, unsigned long long *inserted,
    unsigned long long *first_id)
{
	struct db_param *p = xcalloc(n * EVENT_COLUMNS, sizeof(*p));
	size_t i, k = 0;
	int rc;

	for (i = 0; i < n; i++) {
		struct intake_event *e = &events[i];
		size_t keep = e->body_size < INTAKE_BODY_KEEP ? e->body_size : INTAKE_BODY_KEEP;

		p[k++] = DB_ID_OR_NULL(e->tenant_id);
		p[k++] = DB_TEXT(e->tenant_slug);
		p[k++] = DB_TEXT(e->event);
		p[k++] = event_accepted(e) ? DB_TEXT(e->idem_key) : DB_NULL;
		p[k++] = DB_TEXT(e->request_key);
		p[k++] = DB_BLOB((const char *)tokens[i], TOKEN_SIZE);
		p[k++] = DB_TEXT(event_accepted(e) ? "accepted" : "rejected");
		p[k++] = DB_INT(e->http_status);
		p[k++] = DB_TEXT(e->reason);
		p[k++] = DB_TEXT(e->content_type);
		p[k++] = e->body != NULL ? DB_BLOB(e->body, keep) : DB_NULL;
		p[k++] = DB_INT(e->body_size);
		p[k++] = DB_TEXT(e->remote_addr);
	}
	sql_rows(sql, sql_events_head, sql_events_row, n, sql_events_tail);
	rc = db_exec(db, sql->ptr, p, k, inserted, first_id);
	free(p);
	return rc;
}

/* Fill event_id of the rows this batch inserted (duplicates stay 0). */
static int
intake_fetch_event_ids(struct db *db, struct intake_event *events, size_t n,
    unsigned char (*tokens)[TOKEN_SIZE], struct buf *sql)
{
	struct db_param *p = xcalloc(n, sizeof(*p));
	struct db_result r;
	size_t i, row;
	int rc;

	for (i = 0; i < n; i++)
		p[i] = DB_BLOB((const char *)tokens[i], TOKEN_SIZE);
	sql_rows(sql, sql_tokens_head, "?", n, ")");
	rc = db_query(db, sql->ptr, p, n, &r);
	free(p);
	if (rc != DB_OK)
		return rc;
	for (row = 0; row < r.nrows; row++) {
		const char *token = db_value(&r, row, 1);

		for (i = 0; token != NULL && i < n; i++)
			if (r.lengths[row * r.ncols + 1] == TOKEN_SIZE &&
			    memcmp(token, tokens[i], TOKEN_SIZE) == 0)
				events[i].event_id = db_int(&r, row, 0, 0);
	}
	db_result_free(&r);
	return DB_OK;
}

/*
 * One message per accepted new event.  With consecutive ids (see
 * intake_store) the k-th row's id is LAST_INSERT_ID() + k; otherwise they
 * are read back by event id.
 */
static int
intake_insert_messages(struct db *db, struct intake_event *events, size_t n, struct buf *sql,
    bool consecutive)
{
	unsigned long long inserted = 0, first_id = 0;
	struct db_param *p = xcalloc(n * MESSAGE_COLUMNS, sizeof(*p));
	struct db_result r;
	size_t i, k = 0, rows = 0, row;
	int rc;

	for (i = 0; i < n; i++) {
		struct intake_event *e = &events[i];

		if (!event_accepted(e) || e->event_id == 0)
			continue;
		p[k++] = DB_INT(e->tenant_id);
		p[k++] = DB_INT(e->event_id);
		p[k++] = DB_ID_OR_NULL(e->route_id);
		p[k++] = DB_ID_OR_NULL(e->pool_id);
		p[k++] = DB_INT(e->priority);
		p[k++] = DB_TEXT(e->recipient);
		p[k++] = DB_TEXT(e->text);
		p[k++] = e->validity_seconds > 0 ? DB_INT(e->validity_seconds) : DB_NULL;
		p[k++] = DB_INT(e->max_attempts > 0 ? e->max_attempts : 8);
		rows++;
	}
	if (rows == 0) {
		free(p);
		return DB_OK;
	}
	sql_rows(sql, sql_messages_head, sql_messages_row, rows, "");
	rc = db_exec(db, sql->ptr, p, k, &inserted, &first_id);
	if (rc != DB_OK)
		goto out;
	if (consecutive && inserted == rows && first_id != 0) {
		for (i = 0, k = 0; i < n; i++) {
			if (!event_accepted(&events[i]) || events[i].event_id == 0)
				continue;
			events[i].message_id = (long long)(first_id + k++);
			snprintf(events[i].message_state, sizeof(events[i].message_state),
			    "pending");
		}
		goto out;
	}
	/* Ids back by event id: the server does not promise consecutive ids. */
	k = 0;
	for (i = 0; i < n; i++)
		if (event_accepted(&events[i]) && events[i].event_id != 0)
			p[k++] = DB_INT(events[i].event_id);
	sql_rows(sql, sql_message_ids_head, "?", k, ")");
	if ((rc = db_query(db, sql->ptr, p, k, &r)) != DB_OK)
		goto out;
	for (row = 0; row < r.nrows; row++) {
		long long event_id = db_int(&r, row, 0, 0);

		for (i = 0; i < n; i++)
			if (events[i].event_id == event_id && events[i].message_id == 0) {
				events[i].message_id = db_int(&r, row, 1, 0);
				snprintf(events[i].message_state, sizeof(events[i].message_state),
				    "pending");
			}
	}
	db_result_free(&r);
out:
	free(p);
	return rc;
}

/* Accepted events the unique key refused: answer with the first one's ids. */
static int
intake_resolve_duplicates(struct db *db, struct intake_event *events, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct intake_event *e = &events[i];
		struct db_result r;

		if (!event_accepted(e) || e->event_id != 0)
			continue;
		rc = db_query(db, sql_first_of_key, (struct db_param[]){ DB_INT(e->tenant_id),
		    DB_TEXT(e->event), DB_TEXT(e->idem_key) }, 3, &r);
		if (rc != DB_OK)
			return rc;
		if (r.nrows == 0) {
			/* Refused by a key we cannot find again: a bug, not a duplicate. */
			db_result_free(&r);
			log_error("intake: event %s/%s refused but no first event found",
			    e->tenant_slug, e->event);
			return DB_ERROR;
		}
		e->duplicate = true;
		e->event_id = db_int(&r, 0, 0, 0);
		e->message_id = db_int(&r, 0, 1, 0);
		snprintf(e->message_state, sizeof(e->message_state), "%s",
		    db_value(&r, 0, 2) != NULL ? db_value(&r, 0, 2) : "unknown");
		db_result_free(&r);
	}
	return DB_OK;
}

int
intake_store(struct db *db, struct intake_event *events, size_t n)
{
	unsigned char (*tokens)[TOKEN_SIZE] = NULL;
	unsigned long long inserted = 0, first_id = 0;
	struct buf sql = BUF_INIT;
	bool consecutive = false;
	size_t i;
	int rc;

	if (n == 0)
		return DB_OK;
	tokens = xcalloc(n, TOKEN_SIZE);
	if (random_bytes(tokens, n * TOKEN_SIZE) != 0) {
		rc = DB_ERROR;
		goto out;
	}
	for (i = 0; i < n; i++) {
		events[i].event_id = events[i].message_id = 0;
		events[i].duplicate = false;
		events[i].message_state[0] = '\0';
	}
	if ((rc = db_begin(db)) != DB_OK)
		goto out;
	if ((rc = intake_insert_events(db, events, n, tokens, &sql, &inserted,
	    &first_id)) != DB_OK ||
	    (rc = db_autoinc_consecutive(db, &consecutive)) != DB_OK)
		goto rollback;
	/*
	 * Every row new and the server's ids consecutive (db.c says when):
	 * the i-th row's id is first_id + i, without the token lookup.  Its
	 * round trip, and the message ids' below, were a third of a batch's
	 * statements.  With a duplicate among the rows (inserted < n) the
	 * tokens tell which rows are new.
	 */
	if (consecutive && inserted == n && first_id != 0) {
		for (i = 0; i < n; i++)
			events[i].event_id = (long long)(first_id + i);
	} else if ((rc = intake_fetch_event_ids(db, events, n, tokens, &sql)) != DB_OK)
		goto rollback;
	if ((rc = intake_insert_messages(db, events, n, &sql, consecutive)) != DB_OK ||
	    (rc = intake_resolve_duplicates(db, events, n)) != DB_OK)
		goto rollback;
	rc = db_commit(db);
	goto out;
rollback:
	db_rollback(db);
out:
	if (rc != DB_OK) {
		/* Nothing of this batch is durable: the callers answer 503. */
		for (i = 0; i < n; i++)
			events[i].event_id = events[i].message_id = 0;
		if (rc == DB_ERROR)
			log_error("intake: %s", db_error(db));
	}
	buf_free(&sql);
	free(tokens);
	return rc;
}
