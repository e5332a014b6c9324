/*
 * callbacks.c: the SQL behind gateway callbacks: delivery statuses move a
 * message only forward, connection states are written to the instance.
 *
 * Messages are found through idx_messages_gateway_id; every UPDATE names
 * the states it may leave, so a repeated or late callback matches no row.
 */
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "instances.h"
#include "log.h"
#include "queue.h"
#include "util.h"

static const char sql_instance[] =
    "SELECT i.id, i.gateway_id, i.name, i.token, g.api_key, g.kind, i.state,"
    " i.health = 'degraded',"
    " i.last_ack_at IS NULL OR i.last_ack_at < NOW(6) - INTERVAL 1 SECOND"
    " FROM instances i JOIN gateways g ON g.id = i.gateway_id"
    " WHERE i.name = ? AND i.deleted_at IS NULL";

/* Parameters of each: gateway_message_id, sent_instance_id (failed: last_error first). */
static const char *const sql_advance[DELIVERY_STATUS__MAX] = {
	/* DELIVERY_SENT: the daemon writes sent itself; this only covers a row still leased */
	"UPDATE messages SET state = 'sent', sent_at = COALESCE(sent_at, NOW(6))"
	" WHERE gateway_message_id = ? AND sent_instance_id = ? AND state = 'sending'",
	/* DELIVERY_DELIVERED */
	"UPDATE messages SET state = 'delivered', delivered_at = COALESCE(delivered_at, NOW(6)),"
	" row_reserve = " ROW_RESERVE_LESS("", "8")
	" WHERE gateway_message_id = ? AND sent_instance_id = ? AND state IN ('sending', 'sent')",
	/* DELIVERY_READ: delivered may never be reported, so read stamps it too */
	"UPDATE messages SET state = 'read',"
	" row_reserve = " ROW_RESERVE_LESS("", "IF(delivered_at IS NULL, 16, 8)") ","
	" read_at = COALESCE(read_at, NOW(6)), delivered_at = COALESCE(delivered_at, NOW(6))"
	" WHERE gateway_message_id = ? AND sent_instance_id = ?"
	" AND state IN ('sending', 'sent', 'delivered')",
	/* DELIVERY_FAILED: a message already delivered or read stays so */
	"UPDATE messages SET state = 'failed', finished_at = NOW(6), last_error = LEFT(?, 500), row_reserve = ''"
	" WHERE gateway_message_id = ? AND sent_instance_id = ? AND state = 'sent'",
};

static const char sql_find[] =
    "SELECT id FROM messages WHERE gateway_message_id = ? AND sent_instance_id = ? LIMIT 1";

/*
 * A receipt only rises: sent < failed < delivered < read (failed beats a
 * bare ack but not a delivery).  received_at is assigned first because
 * MariaDB evaluates the assignments left to right.
 */
static const char sql_receipt[] =
    "INSERT INTO delivery_receipts (instance_id, gateway_message_id, status) VALUES (?, ?, ?)"
    " ON DUPLICATE KEY UPDATE"
    " received_at = IF(FIELD(VALUES(status), 'sent', 'failed', 'delivered', 'read') >"
    "   FIELD(status, 'sent', 'failed', 'delivered', 'read'), NOW(6), received_at),"
    " status = IF(FIELD(VALUES(status), 'sent', 'failed', 'delivered', 'read') >"
    "   FIELD(status, 'sent', 'failed', 'delivered', 'read'), VALUES(status), status)";

static const char sql_ack[] =
    "UPDATE instances SET last_ack_at = NOW(6) WHERE id = ?";
static const char sql_ack_recover[] =
    "UPDATE instances SET last_ack_at = NOW(6), health = 'ok' WHERE id = ? AND health = 'degraded'";

/*
 * Assignments run left to right: the *_since columns read the old state
 * before state itself is overwritten.  Parameters: new state four times,
 * then id and the new state again for the guard.
 */
static const char sql_connection[] =
    "UPDATE instances SET"
    " connected_since = IF(? = 'connected', NOW(6), connected_since),"
    " disconnected_since = IF(? IN ('disconnected', 'refused', 'banned'),"
    "   IF(state IN ('disconnected', 'refused', 'banned') AND disconnected_since IS NOT NULL,"
    "     disconnected_since, NOW(6)),"
    "   disconnected_since),"
    /* A new session gets a new chance: the ack watchdog judges it afresh. */
    " health = IF(? = 'connected', 'ok', health),"
    " state = ?, last_state_change_at = NOW(6)"
    " WHERE id = ? AND state <> ?";

/* The receipts table's word for each status. */
static const char *const receipt_status[DELIVERY_STATUS__MAX] = {
	"sent",		/* DELIVERY_SENT */
	"delivered",	/* DELIVERY_DELIVERED */
	"read",		/* DELIVERY_READ */
	"failed",	/* DELIVERY_FAILED */
};

static const char *const result_names[DELIVERY_RESULT__MAX] = {
	"applied",	/* DELIVERY_APPLIED */
	"unchanged",	/* DELIVERY_UNCHANGED */
	"unknown",	/* DELIVERY_UNKNOWN */
};

const char *
delivery_status_str(enum delivery_status s)
{
	return s < DELIVERY_STATUS__MAX ? receipt_status[s] : "?";
}

const char *
delivery_result_str(enum delivery_result r)
{
	return r < DELIVERY_RESULT__MAX ? result_names[r] : "?";
}

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

int
callbacks_instance_lookup(struct db *db, const char *name, struct callback_instance *out)
{
	struct db_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_query(db, sql_instance, (struct db_param[]){ DB_TEXT(name) }, 1, &r)) != DB_OK)
		return rc;
	if (r.nrows == 0) {
		db_result_free(&r);
		return DB_NOT_FOUND;
	}
	out->id = db_int(&r, 0, 0, 0);
	out->gateway_id = db_int(&r, 0, 1, 0);
	out->name = dup_or_empty(db_value(&r, 0, 2));
	out->token = dup_or_empty(db_value(&r, 0, 3));
	out->gateway_key = dup_or_empty(db_value(&r, 0, 4));
	out->gateway_kind = dup_or_empty(db_value(&r, 0, 5));
	out->state = dup_or_empty(db_value(&r, 0, 6));
	out->degraded = db_int(&r, 0, 7, 0) == 1;
	out->ack_stale = db_int(&r, 0, 8, 1) == 1;
	db_result_free(&r);
	return DB_OK;
}

void
callback_instance_free(struct callback_instance *in)
{
	free(in->name);
	free(in->token);
	free(in->gateway_key);
	free(in->gateway_kind);
	free(in->state);
	memset(in, 0, sizeof(*in));
}

/* Run the guarded UPDATE for status; *moved tells whether a row changed. */
static int
advance(struct db *db, long long instance_id, const char *gateway_message_id,
    enum delivery_status status, const char *error, bool *moved)
{
	unsigned long long affected = 0;
	int rc;

	if (status == DELIVERY_FAILED)
		rc = db_exec(db, sql_advance[status], (struct db_param[]){
		    DB_TEXT(error != NULL ? error : "the gateway reported ERROR"),
		    DB_TEXT(gateway_message_id), DB_INT(instance_id) }, 3, &affected, NULL);
	else
		rc = db_exec(db, sql_advance[status], (struct db_param[]){
		    DB_TEXT(gateway_message_id), DB_INT(instance_id) }, 2, &affected, NULL);
	*moved = rc == DB_OK && affected > 0;
	return rc;
}

int
callbacks_apply_delivery(struct db *db, long long instance_id, const char *gateway_message_id,
    enum delivery_status status, const char *error, enum delivery_result *result)
{
	struct db_result r;
	bool moved = false, found;
	int rc;

	*result = DELIVERY_UNCHANGED;
	if (status >= DELIVERY_STATUS__MAX)
		return DB_ERROR;
	if ((rc = advance(db, instance_id, gateway_message_id, status, error, &moved)) != DB_OK)
		return rc;
	if (moved) {
		*result = DELIVERY_APPLIED;
		return DB_OK;
	}
	/* Nothing moved: a duplicate or late status, or a message not written yet. */
	if ((rc = db_query(db, sql_find, (struct db_param[]){ DB_TEXT(gateway_message_id),
	    DB_INT(instance_id) }, 2, &r)) != DB_OK)
		return rc;
	found = r.nrows > 0;
	db_result_free(&r);
	if (found)
		return DB_OK;
	*result = DELIVERY_UNKNOWN;
	/*
	 * A bare ack carries nothing the daemon's own write does not: no
	 * receipt for it (nor for the many ids of messages typed on the phone).
	 */
	if (status == DELIVERY_SENT)
		return DB_OK;
	if ((rc = db_exec(db, sql_receipt, (struct db_param[]){ DB_INT(instance_id),
	    DB_TEXT(gateway_message_id), DB_TEXT(receipt_status[status]) }, 3, NULL, NULL)) != DB_OK)
		return rc;
	/*
	 * The daemon applies receipts right after writing the send.  If that
	 * write landed between our UPDATE and the receipt, it saw no receipt:
	 * trying the message again now closes the gap.
	 */
	if ((rc = advance(db, instance_id, gateway_message_id, status, error, &moved)) != DB_OK)
		return rc;
	if (moved)
		*result = DELIVERY_APPLIED;
	return DB_OK;
}

int
callbacks_note_ack(struct db *db, const struct callback_instance *in, bool *recovered)
{
	unsigned long long affected = 0;
	int rc;

	*recovered = false;
	if (in->degraded) {
		/* Guarded: only one of several concurrent acks logs the recovery. */
		rc = db_exec(db, sql_ack_recover, (struct db_param[]){ DB_INT(in->id) }, 1,
		    &affected, NULL);
		*recovered = rc == DB_OK && affected > 0;
		return rc;
	}
	if (!in->ack_stale)
		return DB_OK;
	return db_exec(db, sql_ack, (struct db_param[]){ DB_INT(in->id) }, 1, NULL, NULL);
}

int
callbacks_apply_connection(struct db *db, const struct callback_instance *in, const char *state,
    bool *changed)
{
	unsigned long long affected = 0;
	int rc;

	rc = db_exec(db, sql_connection, (struct db_param[]){ DB_TEXT(state), DB_TEXT(state),
	    DB_TEXT(state), DB_TEXT(state), DB_INT(in->id), DB_TEXT(state) }, 6, &affected, NULL);
	*changed = rc == DB_OK && affected > 0;
	return rc;
}

int
callbacks_alert(struct db *db, const struct callback_instance *in, const char *kind,
    const char *message)
{
	return alert_add(db, kind, in->gateway_id, in->id, message);
}
