/*
 * queue.c: the dispatch daemon's SQL: claim due messages, write outcomes
 * back in batches, recover expired leases, expire overdue messages.
 *
 * Statements whose length depends on a batch size are padded to the next
 * power of two (with id 0, which matches nothing) so a connection caches
 * a dozen prepared statements, not one per batch size.
 *
 * The UPDATEs that name their rows by id force the primary key.  Their
 * guard (state = 'pending' / 'sending') is also the first column of
 * idx_messages_claim, and the optimizer, planning on stale statistics,
 * took that index instead: each claim then scanned every pending row and
 * each outcome batch every sending row (plus the delete-marked entries
 * purge had not removed yet), so a 20,000-message backlog drained at a
 * fraction of the rate a batch of primary-key lookups gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"
#include "util.h"

/* Transactional lane first, then bulk (campaigns). */
static const int lanes[] = { 10, 0 };

static const char sql_claim_select[] =
    "SELECT id, tenant_id, pool_id, instance_id, priority, attempts, max_attempts,"
    " last_backoff_ms, recipient, body, campaign_id,"
    " expires_at IS NOT NULL AND expires_at <= NOW(6)"
    " FROM messages WHERE state = 'pending' AND priority = ? AND not_before <= NOW(6)"
    " ORDER BY not_before, id LIMIT ? FOR UPDATE SKIP LOCKED";
static const char sql_claim_update_head[] =
    "UPDATE messages FORCE INDEX (PRIMARY) SET state = 'sending', lease_owner = ?,"
    " lease_until = NOW(6) + INTERVAL ? SECOND, claimed_at = NOW(6), wait_reason = NULL"
    " WHERE state = 'pending' AND id IN (";
static const char sql_expire_head[] =
    "UPDATE messages FORCE INDEX (PRIMARY) SET state = 'expired', finished_at = NOW(6),"
    " last_error = 'expired before it could be sent'"
    " WHERE state = 'pending' AND id IN (";
static const char sql_sticky_head[] =
    "SELECT tenant_id, recipient, instance_id FROM recipient_affinity"
    " WHERE (tenant_id, recipient) IN (";

/*
 * The batch travels as one JSON array of rows, unpacked by JSON_TABLE,
 * instead of a UNION ALL of 256 rows of 8 parameters: one prepared
 * statement for any batch size (no padding rows), one parameter instead
 * of 2,049 (Connector/C keeps 112 bytes per parameter of every cached
 * statement).  Rows come out in array order, sorted by id, and each finds
 * its message by primary key.
 */
/* Every column in one statement; the guard keeps a recovered lease untouched. */
static const char sql_outcome[] =
    "UPDATE messages m FORCE INDEX (PRIMARY) JOIN JSON_TABLE(?, '$[*]' COLUMNS("
    " id BIGINT UNSIGNED PATH '$[0]', new_state VARCHAR(16) PATH '$[1]',"
    " spent INT PATH '$[2]', delay_ms BIGINT PATH '$[3]',"
    " error TEXT CHARACTER SET utf8mb4 PATH '$[4]', instance_id BIGINT UNSIGNED PATH '$[5]',"
    " gateway_id TEXT CHARACTER SET utf8mb4 PATH '$[6]', failover_from BIGINT UNSIGNED PATH '$[7]'))"
    " v ON v.id = m.id SET"
    " m.state = v.new_state,"
    " m.attempts = m.attempts + v.spent,"
    " m.not_before = IF(v.new_state = 'pending', NOW(6) + INTERVAL v.delay_ms * 1000 MICROSECOND,"
    "   m.not_before),"
    " m.last_backoff_ms = IF(v.new_state = 'pending' AND v.spent = 1, v.delay_ms, m.last_backoff_ms),"
    /*
     * Texts are cut to their columns here: the error may quote a gateway's
     * answer, and a strict server refusing one over-long text would refuse
     * the whole batch, again at every retry, while its leases are extended.
     */
    " m.last_error = IF(v.new_state = 'sent' OR (v.new_state = 'pending' AND v.spent = 0),"
    "   m.last_error, LEFT(v.error, 500)),"
    " m.wait_reason = IF(v.new_state = 'pending' AND v.spent = 0, LEFT(v.error, 64), NULL),"
    " m.sent_instance_id = IF(v.new_state = 'sent', v.instance_id, m.sent_instance_id),"
    " m.gateway_message_id = IF(v.new_state = 'sent', LEFT(v.gateway_id, 128), m.gateway_message_id),"
    " m.failover_from_instance_id = COALESCE(v.failover_from, m.failover_from_instance_id),"
    " m.sent_at = IF(v.new_state = 'sent', NOW(6), m.sent_at),"
    " m.finished_at = IF(v.new_state IN ('failed', 'dead', 'expired'), NOW(6), m.finished_at),"
    /*
     * A send adds 8 + 8 + 1 + the id's length: the reserve gives that up so
     * the row keeps its size (010-row-reserve.sql).  Other outcomes end or
     * rewrite the row's story; their reserve goes whole.
     */
    " m.row_reserve = IF(v.new_state = 'sent', " ROW_RESERVE_LESS("m.", "17 + COALESCE(LENGTH(v.gateway_id), 0)") ", ''),"
    /* lease_until stays: fixed width, read only while sending (009-fixed-width-lease.sql). */
    " m.lease_owner = ''"
    " WHERE m.state = 'sending' AND m.lease_owner = ?";
/* [tenant_id, recipient, instance_id] per send, as JSON, like sql_outcome. */
static const char sql_affinity[] =
    "INSERT INTO recipient_affinity (tenant_id, recipient, instance_id)"
    " SELECT v.tenant_id, v.recipient, v.instance_id FROM JSON_TABLE(?, '$[*]' COLUMNS("
    " tenant_id BIGINT UNSIGNED PATH '$[0]', recipient VARCHAR(32) CHARACTER SET utf8mb4 PATH '$[1]',"
    " instance_id BIGINT UNSIGNED PATH '$[2]')) v"
    " ON DUPLICATE KEY UPDATE instance_id = VALUES(instance_id), updated_at = NOW(6)";
static const char sql_last_sent_head[] =
    "UPDATE instances SET last_sent_at = NOW(6) WHERE id IN (";
/* Receipts that arrived before the send was recorded (see 004-receipts.sql). */
/*
 * Driven from the batch's sends ([id, instance_id, gateway id] as JSON):
 * one primary-key probe of delivery_receipts each, and only a receipt
 * found leads to its message.  Driven from the messages it took a probe
 * of each table per send, and receipts rarely beat the record.
 */
static const char sql_apply_receipts[] =
    "UPDATE JSON_TABLE(?, '$[*]' COLUMNS(id BIGINT UNSIGNED PATH '$[0]',"
    " instance_id BIGINT UNSIGNED PATH '$[1]',"
    " gateway_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[2]')) v"
    " JOIN delivery_receipts r ON r.instance_id = v.instance_id AND r.gateway_message_id = v.gateway_id"
    " JOIN messages m ON m.id = v.id AND m.sent_instance_id = r.instance_id"
    "   AND m.gateway_message_id = r.gateway_message_id"
    " SET m.state = r.status,"
    " m.delivered_at = IF(r.status IN ('delivered', 'read'), COALESCE(m.delivered_at, r.received_at),"
    "   m.delivered_at),"
    " m.read_at = IF(r.status = 'read', COALESCE(m.read_at, r.received_at), m.read_at),"
    " m.finished_at = IF(r.status = 'failed', r.received_at, m.finished_at),"
    " m.row_reserve = " ROW_RESERVE_LESS("m.", "IF(r.status = 'read', 16, 8)")
    /* Guard on rank, not on 'sent' alone: a live ack may land between the two statements. */
    " WHERE ((m.state = 'sent' AND r.status IN ('delivered', 'read', 'failed'))"
    "   OR (m.state = 'delivered' AND r.status = 'read'))";
/*
 * The timers' sweeps read ids first (a consistent read: no locks) and then
 * update those rows by primary key, guarded by the state they were read
 * in.  An UPDATE that scanned a state range instead would take next-key
 * locks on it and deadlock with other daemons' claims, which write into
 * the same range (seen with two daemons starting together).
 */
static const char sql_recover_select[] =
    "SELECT id FROM messages WHERE state = 'sending' AND lease_until < NOW(6) LIMIT 1000";
static const char sql_recover_head[] =
    "UPDATE messages FORCE INDEX (PRIMARY) SET state = 'pending', lease_owner = '',"
    " wait_reason = 'lease recovered', not_before = NOW(6)"
    " WHERE state = 'sending' AND lease_until < NOW(6) AND id IN (";
static const char sql_expire_select[] =
    "SELECT id FROM messages WHERE state = 'pending' AND expires_at IS NOT NULL"
    " AND expires_at <= NOW(6) LIMIT 1000";
static const char sql_extend_select[] =
    "SELECT id FROM messages WHERE state = 'sending' AND lease_owner = ?";
static const char sql_extend_head[] =
    "UPDATE messages FORCE INDEX (PRIMARY) SET lease_until = NOW(6) + INTERVAL ? SECOND"
    " WHERE state = 'sending' AND lease_owner = ? AND id IN (";

static const char *const outcome_states[OUTCOME_KIND__MAX] = {
	"sent",		/* OUTCOME_SENT */
	"pending",	/* OUTCOME_RETRY */
	"pending",	/* OUTCOME_DEFER */
	"failed",	/* OUTCOME_FAILED */
	"dead",		/* OUTCOME_DEAD */
	"expired",	/* OUTCOME_EXPIRED */
	"pending",	/* OUTCOME_RELEASE */
};

/* Attempts spent: a send that reached the gateway, or failed through the message's fault. */
static const int outcome_spends[OUTCOME_KIND__MAX] = { 1, 1, 0, 1, 1, 0, 0 };

/*
 * Most rows one id-list or sticky statement names; longer lists take
 * several statements.  Connector/C keeps 112 bytes per parameter of every
 * prepared statement a connection caches, and a connection caches one per
 * padded size: claims of up to claim_batch_max (500) rows cached 512-row
 * claim and sticky statements (~0.2 MiB of wapoold's peak heap, heaptrack)
 * and sweeps of up to 1,000 ids 1,024-row ones.  Outcome batches are cut
 * at 256 already (queue_record).  Under load a claim is ~220 rows, so the
 * second statement is for the first claim of a backlog and the odd sweep.
 */
#define STATEMENT_ROWS_MAX 256

static size_t
padded(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

/* head + "?,?,...?" (count placeholders) + tail. */
static void
sql_list(struct buf *sql, const char *head, size_t count, const char *tail)
{
	size_t i;

	buf_reset(sql);
	buf_puts(sql, head);
	for (i = 0; i < count; i++)
		buf_puts(sql, i ? ",?" : "?");
	buf_puts(sql, tail);
}

void
queued_message_free(struct queued_message *m)
{
	free(m->recipient);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

void
outcome_free(struct outcome *o)
{
	free(o->recipient);
	free(o->gateway_message_id);
	free(o->error);
	memset(o, 0, sizeof(*o));
}

/*
 * UPDATE ... WHERE id IN (ids), ids padded with 0; extra leading params
 * first.  At most STATEMENT_ROWS_MAX ids a statement; affected is the sum.
 */
static int
update_ids(struct db *db, const char *head, const struct db_param *lead, size_t nlead,
    const long long *ids, size_t n, unsigned long long *affected)
{
	unsigned long long sum = 0, chunk_affected;
	size_t done = 0, chunk, total, i;
	struct db_param *p;
	struct buf sql = BUF_INIT;
	int rc = DB_OK;

	while (done < n) {
		chunk = n - done > STATEMENT_ROWS_MAX ? STATEMENT_ROWS_MAX : n - done;
		total = padded(chunk);
		p = xcalloc(nlead + total, sizeof(*p));
		for (i = 0; i < nlead; i++)
			p[i] = lead[i];
		for (i = 0; i < total; i++)
			p[nlead + i] = DB_INT(i < chunk ? ids[done + i] : 0);
		sql_list(&sql, head, total, ")");
		rc = db_exec(db, sql.ptr, p, nlead + total, &chunk_affected, NULL);
		free(p);
		if (rc != DB_OK)
			break;
		sum += chunk_affected;
		done += chunk;
	}
	buf_free(&sql);
	if (affected != NULL)
		*affected = sum;
	return rc;
}

/* Fill sticky_instance_id from recipient_affinity for up to STATEMENT_ROWS_MAX messages. */
static int
load_sticky_chunk(struct db *db, struct queued_message *m, size_t n)
{
	size_t total = padded(n), i, row;
	struct db_param *p = xcalloc(2 * total, sizeof(*p));
	struct buf sql = BUF_INIT;
	struct db_result r;
	int rc;

	buf_puts(&sql, sql_sticky_head);
	for (i = 0; i < total; i++) {
		buf_puts(&sql, i ? ",(?,?)" : "(?,?)");
		p[2 * i] = DB_INT(i < n ? m[i].tenant_id : 0);
		p[2 * i + 1] = DB_TEXT(i < n ? m[i].recipient : "");
	}
	buf_puts(&sql, ")");
	rc = db_query(db, sql.ptr, p, 2 * total, &r);
	buf_free(&sql);
	free(p);
	if (rc != DB_OK)
		return rc;
	for (row = 0; row < r.nrows; row++) {
		long long tenant = db_int(&r, row, 0, 0), instance = db_int(&r, row, 2, 0);
		const char *recipient = db_value(&r, row, 1);

		for (i = 0; recipient != NULL && i < n; i++)
			if (m[i].tenant_id == tenant && strcmp(m[i].recipient, recipient) == 0)
				m[i].sticky_instance_id = instance;
	}
	db_result_free(&r);
	return DB_OK;
}

/* Fill sticky_instance_id from recipient_affinity for the claimed messages. */
static int
queue_load_sticky(struct db *db, struct queued_message *m, size_t n)
{
	size_t done, chunk;
	int rc;

	for (done = 0; done < n; done += chunk) {
		chunk = n - done > STATEMENT_ROWS_MAX ? STATEMENT_ROWS_MAX : n - done;
		if ((rc = load_sticky_chunk(db, m + done, chunk)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

int
queue_claim(struct db *db, const char *owner, int lease_seconds, size_t max,
    struct queued_message **out, size_t *count, size_t *expired)
{
	struct queued_message *claimed = NULL;
	long long *ids = NULL, *expired_ids = NULL;
	size_t n = 0, nexpired = 0, lane, row;
	int rc;

	*out = NULL;
	*count = 0;
	*expired = 0;
	if (max == 0)
		return DB_OK;
	claimed = xcalloc(max, sizeof(*claimed));
	ids = xcalloc(max, sizeof(*ids));
	expired_ids = xcalloc(max, sizeof(*expired_ids));
	if ((rc = db_begin(db)) != DB_OK)
		goto out;
	for (lane = 0; lane < ARRAY_SIZE(lanes) && n + nexpired < max; lane++) {
		struct db_result r;

		rc = db_query(db, sql_claim_select, (struct db_param[]){ DB_INT(lanes[lane]),
		    DB_INT((long long)(max - n - nexpired)) }, 2, &r);
		if (rc != DB_OK)
			goto rollback;
		for (row = 0; row < r.nrows; row++) {
			struct queued_message *m;

			if (db_int(&r, row, 11, 0) == 1) {
				expired_ids[nexpired++] = db_int(&r, row, 0, 0);
				continue;
			}
			m = &claimed[n];
			m->id = db_int(&r, row, 0, 0);
			m->tenant_id = db_int(&r, row, 1, 0);
			m->pool_id = db_int(&r, row, 2, 0);
			m->forced_instance_id = db_int(&r, row, 3, 0);
			m->priority = (int)db_int(&r, row, 4, 10);
			m->attempts = (int)db_int(&r, row, 5, 0);
			m->max_attempts = (int)db_int(&r, row, 6, 8);
			m->last_backoff_ms = db_int(&r, row, 7, 0);
			m->recipient = xstrdup(db_value(&r, row, 8) ? db_value(&r, row, 8) : "");
			m->body = xstrdup(db_value(&r, row, 9) ? db_value(&r, row, 9) : "");
			m->campaign_id = db_int(&r, row, 10, 0);
			ids[n++] = m->id;
		}
		db_result_free(&r);
	}
	if (n > 0 && (rc = update_ids(db, sql_claim_update_head, (struct db_param[]){
	    DB_TEXT(owner), DB_INT(lease_seconds) }, 2, ids, n, NULL)) != DB_OK)
		goto rollback;
	if (nexpired > 0 &&
	    (rc = update_ids(db, sql_expire_head, NULL, 0, expired_ids, nexpired, NULL)) != DB_OK)
		goto rollback;
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	/* Outside the claim transaction: the affinity rows need no lock. */
	if (n > 0 && queue_load_sticky(db, claimed, n) != DB_OK)
		log_warnx("queue: sticky recipients not loaded: %s", db_error(db));
	*out = claimed;
	*count = n;
	*expired = nexpired;
	claimed = NULL;
	rc = DB_OK;
	goto out;
rollback:
	db_rollback(db);
fail:
	for (row = 0; row < n; row++)
		queued_message_free(&claimed[row]);
out:
	free(claimed);
	free(ids);
	free(expired_ids);
	return rc;
}

/* A JSON string for s (NULL: null); s is well-formed UTF-8 (utf8_scrub). */
static void
json_text(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

static void
json_id(struct buf *b, long long id)
{
	if (id > 0)
		buf_printf(b, "%lld", id);
	else
		buf_puts(b, "null");
}

static int
queue_write_outcomes(struct db *db, const char *owner, struct outcome *o, size_t n)
{
	struct buf rows = BUF_INIT;
	size_t i;
	int rc;

	buf_putc(&rows, '[');
	for (i = 0; i < n; i++) {
		buf_printf(&rows, "%s[%lld,\"%s\",%d,%lld,", i ? "," : "", o[i].message_id,
		    outcome_states[o[i].kind], outcome_spends[o[i].kind], o[i].delay_ms);
		json_text(&rows, o[i].error);
		buf_putc(&rows, ',');
		json_id(&rows, o[i].instance_id);
		buf_putc(&rows, ',');
		json_text(&rows, o[i].gateway_message_id);
		buf_putc(&rows, ',');
		json_id(&rows, o[i].failover_from);
		buf_putc(&rows, ']');
	}
	buf_putc(&rows, ']');
	rc = db_exec(db, sql_outcome, (struct db_param[]){ DB_BLOB(rows.ptr, rows.len),
	    DB_TEXT(owner) }, 2, NULL, NULL);
	buf_free(&rows);
	return rc;
}

/*
 * Remember who wrote to whom, apply receipts that beat the send record,
 * stamp last_sent_at.  Stops at the first failure and returns it: inside
 * the outcome transaction a deadlock has rolled everything back, and the
 * caller must know.  Outside one (transaction false) every statement is
 * tried and failures are only logged: none of them can lose a message.
 */
static int
queue_after_sent(struct db *db, struct outcome *o, size_t n, bool transaction)
{
	size_t i, j, sent = 0, ninst = 0;
	long long *instances = xcalloc(n, sizeof(*instances));
	struct buf sends = BUF_INIT, uses = BUF_INIT;
	int rc = DB_OK, r;

	buf_putc(&sends, '[');
	buf_putc(&uses, '[');
	for (i = 0; i < n; i++) {
		if (o[i].kind != OUTCOME_SENT)
			continue;
		buf_printf(&sends, "%s[%lld,%lld,", sent ? "," : "", o[i].message_id,
		    o[i].instance_id);
		json_text(&sends, o[i].gateway_message_id);
		buf_putc(&sends, ']');
		buf_printf(&uses, "%s[%lld,", sent ? "," : "", o[i].tenant_id);
		json_text(&uses, o[i].recipient);
		buf_printf(&uses, ",%lld]", o[i].instance_id);
		sent++;
		/* A batch goes through a handful of instances: one id each. */
		for (j = 0; j < ninst && instances[j] != o[i].instance_id; j++)
			;
		if (j == ninst)
			instances[ninst++] = o[i].instance_id;
	}
	if (sent == 0)
		goto out;
	buf_putc(&sends, ']');
	buf_putc(&uses, ']');
	/* Best effort: a lost affinity only loses stickiness, never a message. */
	if ((r = db_exec(db, sql_affinity, (struct db_param[]){ DB_BLOB(uses.ptr, uses.len) }, 1,
	    NULL, NULL)) != DB_OK) {
		if (transaction) {
			rc = r;
			goto out;
		}
		log_warnx("queue: recipient affinity not written: %s", db_error(db));
	}
	if ((r = db_exec(db, sql_apply_receipts, (struct db_param[]){
	    DB_BLOB(sends.ptr, sends.len) }, 1, NULL, NULL)) != DB_OK) {
		if (transaction) {
			rc = r;
			goto out;
		}
		log_warnx("queue: early receipts not applied: %s", db_error(db));
	}
	if ((r = update_ids(db, sql_last_sent_head, NULL, 0, instances, ninst, NULL)) != DB_OK) {
		if (transaction) {
			rc = r;
			goto out;
		}
		log_warnx("queue: last_sent_at not written: %s", db_error(db));
	}
out:
	buf_free(&sends);
	buf_free(&uses);
	free(instances);
	return rc;
}

/*
 * One chunk of outcomes and what follows from them, in one transaction:
 * one commit (one log flush) instead of one per statement.  When a
 * follow-up statement fails, the outcomes are written again on their
 * own, as they would be without the transaction, and the follow-ups are
 * tried once more statement by statement.
 */
static int
queue_record_chunk(struct db *db, const char *owner, struct outcome *o, size_t n)
{
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = queue_write_outcomes(db, owner, o, n)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	if (queue_after_sent(db, o, n, true) == DB_OK)
		return db_commit(db);
	log_warnx("queue: writing outcomes with their follow-ups failed (%s); "
	    "writing them apart", db_error(db));
	db_rollback(db);
	if ((rc = queue_write_outcomes(db, owner, o, n)) != DB_OK)
		return rc;
	(void)queue_after_sent(db, o, n, false);
	return DB_OK;
}

static int
outcome_by_message_id(const void *a, const void *b)
{
	const struct outcome *x = a, *y = b;

	return (x->message_id > y->message_id) - (x->message_id < y->message_id);
}

/*
 * A chunk the server refused (not for being busy or away): one row's
 * value it would not take must not hold the others back, nor itself for
 * ever while its lease is extended.  Each outcome alone, then the one
 * still refused without its texts (error, gateway id): its state is what
 * must not be lost; a gateway id the row cannot hold would match no
 * receipt anyway.
 */
static int
queue_record_each(struct db *db, const char *owner, struct outcome *o, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct outcome plain;

		if ((rc = queue_record_chunk(db, owner, &o[i], 1)) == DB_OK)
			continue;
		if (rc != DB_ERROR || db_busy(db))
			return rc;
		log_error("queue: message %lld: the database refused its outcome (%s); "
		    "writing it without its texts", o[i].message_id, db_error(db));
		plain = o[i];
		plain.error = NULL;
		plain.gateway_message_id = NULL;
		if ((rc = queue_record_chunk(db, owner, &plain, 1)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

int
queue_record(struct db *db, const char *owner, struct outcome *outcomes, size_t n)
{
	size_t done = 0;
	int rc;

	/*
	 * Rows locked in primary-key order, as the claim and the lease sweeps
	 * lock them: two connections taking the same rows in opposite orders
	 * is how deadlocks start (wapoold writes outcomes on one connection
	 * and extends leases on another).
	 */
	qsort(outcomes, n, sizeof(*outcomes), outcome_by_message_id);

	/*
	 * Chunks of STATEMENT_ROWS_MAX keep each statement well under the
	 * server's packet limit and the cached statements small.
	 */
	while (done < n) {
		size_t chunk = n - done > STATEMENT_ROWS_MAX ? STATEMENT_ROWS_MAX : n - done;

		rc = queue_record_chunk(db, owner, outcomes + done, chunk);
		if (rc == DB_ERROR && !db_busy(db))
			rc = queue_record_each(db, owner, outcomes + done, chunk);
		if (rc != DB_OK)
			return rc;
		done += chunk;
	}
	return DB_OK;
}

/* The ids select_sql finds (its LIMIT bounds a sweep), then head over them by primary key. */
static int
sweep(struct db *db, const char *select_sql, const struct db_param *select_params,
    size_t nselect, const char *head, const struct db_param *lead, size_t nlead,
    long long *count)
{
	unsigned long long affected = 0;
	struct db_result r;
	long long *ids = NULL;
	size_t i;
	int rc;

	*count = 0;
	if ((rc = db_query(db, select_sql, select_params, nselect, &r)) != DB_OK)
		return rc;
	if (r.nrows > 0) {
		ids = xcalloc(r.nrows, sizeof(*ids));
		for (i = 0; i < r.nrows; i++)
			ids[i] = db_int(&r, i, 0, 0);
		rc = update_ids(db, head, lead, nlead, ids, r.nrows, &affected);
		*count = (long long)affected;
	}
	db_result_free(&r);
	free(ids);
	return rc;
}

int
queue_recover_expired_leases(struct db *db, long long *count)
{
	return sweep(db, sql_recover_select, NULL, 0, sql_recover_head, NULL, 0, count);
}

int
queue_expire_overdue(struct db *db, long long *count)
{
	return sweep(db, sql_expire_select, NULL, 0, sql_expire_head, NULL, 0, count);
}

int
queue_extend_leases(struct db *db, const char *owner, int lease_seconds)
{
	long long count;

	return sweep(db, sql_extend_select, (struct db_param[]){ DB_TEXT(owner) }, 1,
	    sql_extend_head, (struct db_param[]){ DB_INT(lease_seconds), DB_TEXT(owner) }, 2,
	    &count);
}
