/*
 * queue-ops.c: the SQL of the queue API and wapoolctl's queue and fleet
 * commands: all-time stats, DLQ retry, clear, admin states, breakers.
 *
 * Each state change is one UPDATE guarded by the old state, like the
 * daemon's own: an operator's retry can never resurrect a message that
 * was meanwhile sent, nor a clear cancel one already claimed.
 */
#include <stdio.h>
#include <string.h>

#include "queue-ops.h"
#include "util.h"

/* Bulk actions change at most this many rows per statement (autocommit each). */
#define CHUNK_ROWS 1000
#define STRINGIFY(x) #x
#define XSTRINGIFY(x) STRINGIFY(x)

static const char *const message_states[] = {
	"pending", "sending", "sent", "delivered", "read", "failed", "dead", "expired", "cancelled",
};

/*
 * All time means counting: each is one covering index scan, no row read
 * (idx_messages_claim or _lease for state, idx_messages_sent for the
 * instances).
 */
static const char sql_by_state[] =
    "SELECT state, COUNT(*) FROM messages GROUP BY state";
/* MIN(id) from the state index, then one primary-key read: ids grow with created_at. */
static const char sql_oldest_pending[] =
    "SELECT TIMESTAMPDIFF(SECOND, created_at, NOW(6)) FROM messages"
    " WHERE id = (SELECT MIN(id) FROM messages WHERE state = 'pending')";
/* "sent_at IS NOT NULL" (implied by sent_instance_id) steers both to idx_messages_sent. */
static const char sql_per_instance[] =
    "SELECT i.id, i.name, t.state, t.n FROM instances i LEFT JOIN"
    " (SELECT sent_instance_id, state, COUNT(*) AS n FROM messages"
    "  WHERE sent_at IS NOT NULL AND sent_instance_id IS NOT NULL"
    "  GROUP BY sent_instance_id, state) t"
    " ON t.sent_instance_id = i.id WHERE i.deleted_at IS NULL ORDER BY i.id";
static const char sql_one_instance[] =
    "SELECT i.id, i.name, t.state, t.n FROM instances i LEFT JOIN"
    " (SELECT state, COUNT(*) AS n FROM messages"
    "  WHERE sent_at IS NOT NULL AND sent_instance_id = ? GROUP BY state) t"
    " ON 1 WHERE i.deleted_at IS NULL AND i.id = ?";
/* Waiting messages are not the instance's until sent, unless they name it outright. */
static const char sql_instance_waiting[] =
    "SELECT state, COUNT(*), TIMESTAMPDIFF(SECOND, MIN(created_at), NOW(6)) FROM messages"
    " WHERE state IN ('pending', 'sending') AND instance_id = ? GROUP BY state";

static const char sql_max_id[] = "SELECT COALESCE(MAX(id), 0) FROM messages";
static const char sql_message_where[] =
    "SELECT state, campaign_id IS NOT NULL FROM messages WHERE id = ?";

/*
 * Parameters: [id,] not_webhooks, not_campaigns, then (bulk) max id.  The
 * two flags select the queue: (0,1) webhooks, (1,0) campaigns, (1,1) both.
 */
#define QUEUE_GUARD " AND (? OR campaign_id IS NULL) AND (? OR campaign_id IS NOT NULL)"
#define RETRY_SET \
    "UPDATE messages SET state = 'pending', attempts = 0, not_before = NOW(6)," \
    " last_backoff_ms = 0, finished_at = NULL, wait_reason = NULL," \
    " lease_owner = ''"
#define CLEAR_SET \
    "UPDATE messages SET state = 'cancelled', finished_at = NOW(6), wait_reason = NULL"

static const char sql_retry_one[] = RETRY_SET " WHERE id = ? AND state = 'dead'" QUEUE_GUARD;
static const char sql_retry_bulk[] = RETRY_SET " WHERE state = 'dead'" QUEUE_GUARD
    " AND id <= ? LIMIT " XSTRINGIFY(CHUNK_ROWS);
static const char sql_clear_one[] = CLEAR_SET " WHERE id = ? AND state = 'pending'" QUEUE_GUARD;
static const char sql_clear_bulk[] = CLEAR_SET " WHERE state = 'pending'" QUEUE_GUARD
    " AND id <= ? LIMIT " XSTRINGIFY(CHUNK_ROWS);

static const char sql_instance_by_name[] =
    "SELECT id FROM instances WHERE name = ? AND deleted_at IS NULL";
static const char sql_instance_row[] =
    "SELECT id, name, admin_state, breaker_state, breaker_trips FROM instances"
    " WHERE id = ? AND deleted_at IS NULL";
static const char sql_instance_admin[] =
    "UPDATE instances SET admin_state = ? WHERE id = ? AND deleted_at IS NULL";
/* breaker_until NULL with state open means "until an operator resets it". */
static const char sql_instance_trip[] =
    "UPDATE instances SET breaker_state = 'open', breaker_until = NULL"
    " WHERE id = ? AND deleted_at IS NULL";
static const char sql_instance_reset[] =
    "UPDATE instances SET breaker_state = 'closed', breaker_trips = 0, breaker_until = NULL"
    " WHERE id = ? AND deleted_at IS NULL";
static const char sql_pool_by_name[] = "SELECT id FROM pools WHERE name = ?";
static const char sql_pool_row[] = "SELECT id, name, admin_state FROM pools WHERE id = ?";
static const char sql_pool_admin[] = "UPDATE pools SET admin_state = ? WHERE id = ?";

static const char *const queue_names[QUEUE_KIND__MAX] = {
	"webhooks",	/* QUEUE_WEBHOOKS */
	"campaigns",	/* QUEUE_CAMPAIGNS */
	"all",		/* QUEUE_ALL */
};

static const char *const control_names[CONTROL__MAX] = {
	"suspend",	/* CONTROL_SUSPEND */
	"resume",	/* CONTROL_RESUME */
	"drain",	/* CONTROL_DRAIN */
	"trip",		/* CONTROL_TRIP */
	"reset",	/* CONTROL_RESET */
};

/* The admin_state each of the first three controls sets. */
static const char *const control_admin_states[] = {
	"suspended",	/* CONTROL_SUSPEND */
	"active",	/* CONTROL_RESUME */
	"draining",	/* CONTROL_DRAIN */
};

bool
queue_kind_parse(const char *s, enum queue_kind *out)
{
	size_t i;

	for (i = 0; s != NULL && i < QUEUE_ALL; i++)
		if (strcmp(s, queue_names[i]) == 0) {
			*out = (enum queue_kind)i;
			return true;
		}
	return false;
}

const char *
queue_kind_str(enum queue_kind q)
{
	return q < QUEUE_KIND__MAX ? queue_names[q] : "?";
}

bool
control_parse(const char *s, enum control *out)
{
	size_t i;

	for (i = 0; s != NULL && i < CONTROL__MAX; i++)
		if (strcmp(s, control_names[i]) == 0) {
			*out = (enum control)i;
			return true;
		}
	return false;
}

const char *
control_str(enum control c)
{
	return c < CONTROL__MAX ? control_names[c] : "?";
}

/* {pending: 0, ..., cancelled: 0} */
static struct json_object *
zero_counts(void)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(message_states); i++)
		json_object_object_add(o, message_states[i], json_object_new_int64(0));
	return o;
}

/* Copy o's counts into top (the stats object keeps them at its top level). */
static void
add_count(struct json_object *o, const char *state, long long n)
{
	struct json_object *v;
	long long before = 0;

	if (state == NULL)
		return;
	if (json_object_object_get_ex(o, state, &v))
		before = json_object_get_int64(v);
	json_object_object_add(o, state, json_object_new_int64(before + n));
}

/* Rows (id, name, state, count) ordered by id -> [{instance_id, name, counts...}]. */
static struct json_object *
per_instance_list(const struct db_result *r)
{
	struct json_object *list = json_object_new_array(), *current = NULL;
	long long current_id = -1;
	size_t row;

	for (row = 0; row < r->nrows; row++) {
		long long id = db_int(r, row, 0, 0);

		if (current == NULL || id != current_id) {
			struct json_object *counts = zero_counts();

			current = json_object_new_object();
			json_object_object_add(current, "instance_id", json_object_new_int64(id));
			json_object_object_add(current, "name",
			    json_object_new_string(db_value(r, row, 1) ? db_value(r, row, 1) : ""));
			/* The counts sit beside the id, as in the top level. */
			json_object_object_foreach(counts, key, value)
				json_object_object_add(current, key, json_object_get(value));
			json_object_put(counts);
			json_object_array_add(list, current);
			current_id = id;
		}
		add_count(current, db_value(r, row, 2), db_int(r, row, 3, 0));
	}
	return list;
}

int
queue_ops_stats(struct db *db, long long instance_id, struct json_object **out)
{
	struct db_result states = { 0 }, oldest = { 0 }, instances = { 0 }, waiting = { 0 };
	struct json_object *o = NULL, *list;
	size_t row;
	int rc;

	*out = NULL;
	if (instance_id > 0) {
		if ((rc = db_query(db, sql_one_instance, (struct db_param[]){ DB_INT(instance_id),
		    DB_INT(instance_id) }, 2, &instances)) != DB_OK)
			goto out;
		if (instances.nrows == 0) {
			rc = DB_NOT_FOUND;
			goto out;
		}
		if ((rc = db_query(db, sql_instance_waiting, (struct db_param[]){
		    DB_INT(instance_id) }, 1, &waiting)) != DB_OK)
			goto out;
	} else if ((rc = db_query(db, sql_by_state, NULL, 0, &states)) != DB_OK ||
	    (rc = db_query(db, sql_oldest_pending, NULL, 0, &oldest)) != DB_OK ||
	    (rc = db_query(db, sql_per_instance, NULL, 0, &instances)) != DB_OK)
		goto out;

	o = zero_counts();
	list = per_instance_list(&instances);
	if (instance_id > 0) {
		struct json_object *mine = json_object_array_get_idx(list, 0);
		struct json_object *age = NULL;

		/* What it sent, by state now, then what waits for it by name. */
		json_object_object_foreach(mine, key, value)
			if (strcmp(key, "instance_id") != 0 && strcmp(key, "name") != 0 &&
			    strcmp(key, "pending") != 0 && strcmp(key, "sending") != 0)
				add_count(o, key, json_object_get_int64(value));
		for (row = 0; row < waiting.nrows; row++) {
			add_count(o, db_value(&waiting, row, 0), db_int(&waiting, row, 1, 0));
			if (db_value(&waiting, row, 0) != NULL &&
			    strcmp(db_value(&waiting, row, 0), "pending") == 0 &&
			    db_value(&waiting, row, 2) != NULL)
				age = json_object_new_int64(db_int(&waiting, row, 2, 0));
		}
		json_object_object_add(o, "instance_id", json_object_new_int64(instance_id));
		json_object_object_add(o, "oldest_pending_seconds", age);
	} else {
		for (row = 0; row < states.nrows; row++)
			add_count(o, db_value(&states, row, 0), db_int(&states, row, 1, 0));
		json_object_object_add(o, "oldest_pending_seconds",
		    oldest.nrows > 0 && db_value(&oldest, 0, 0) != NULL ?
		    json_object_new_int64(db_int(&oldest, 0, 0, 0)) : NULL);
	}
	json_object_object_add(o, "per_instance", list);
	*out = o;
	rc = DB_OK;
out:
	db_result_free(&states);
	db_result_free(&oldest);
	db_result_free(&instances);
	db_result_free(&waiting);
	return rc;
}

/* Why one message did not move: DB_NOT_FOUND or DB_CONFLICT, with the reason. */
static int
explain_unchanged(struct db *db, long long id, const char *wanted, enum queue_kind q,
    struct buf *why)
{
	struct db_result r;
	const char *state;
	bool campaign;
	int rc;

	if ((rc = db_query(db, sql_message_where, (struct db_param[]){ DB_INT(id) }, 1, &r)) !=
	    DB_OK)
		return rc;
	if (r.nrows == 0) {
		buf_printf(why, "message %lld does not exist", id);
		rc = DB_NOT_FOUND;
		goto out;
	}
	state = db_value(&r, 0, 0) != NULL ? db_value(&r, 0, 0) : "?";
	campaign = db_int(&r, 0, 1, 0) == 1;
	if (strcmp(state, wanted) != 0)
		buf_printf(why, "message %lld is %s, not %s", id, state, wanted);
	else
		buf_printf(why, "message %lld belongs to the %s queue, not %s", id,
		    campaign ? "campaigns" : "webhooks", queue_kind_str(q));
	rc = DB_CONFLICT;
out:
	db_result_free(&r);
	return rc;
}

/* One message (id > 0) or every matching one of queue q, chunk by chunk. */
static int
move_messages(struct db *db, const char *sql_one, const char *sql_bulk, const char *from,
    enum queue_kind q, long long id, long long *affected, struct buf *why)
{
	long long not_webhooks = q != QUEUE_WEBHOOKS, not_campaigns = q != QUEUE_CAMPAIGNS;
	unsigned long long n = 0;
	struct db_result r;
	long long max_id;
	int rc;

	*affected = 0;
	if (id > 0) {
		if ((rc = db_exec(db, sql_one, (struct db_param[]){ DB_INT(id), DB_INT(not_webhooks),
		    DB_INT(not_campaigns) }, 3, &n, NULL)) != DB_OK)
			return rc;
		*affected = (long long)n;
		return n > 0 ? DB_OK : explain_unchanged(db, id, from, q, why);
	}
	/* Only what exists now: intake running meanwhile cannot keep the loop going. */
	if ((rc = db_query(db, sql_max_id, NULL, 0, &r)) != DB_OK)
		return rc;
	max_id = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	do {
		if ((rc = db_exec(db, sql_bulk, (struct db_param[]){ DB_INT(not_webhooks),
		    DB_INT(not_campaigns), DB_INT(max_id) }, 3, &n, NULL)) != DB_OK)
			return rc;
		*affected += (long long)n;
	} while (n == CHUNK_ROWS);
	return DB_OK;
}

int
queue_ops_retry_dlq(struct db *db, enum queue_kind q, long long message_id, long long *affected,
    struct buf *why)
{
	return move_messages(db, sql_retry_one, sql_retry_bulk, "dead", q, message_id, affected,
	    why);
}

int
queue_ops_clear(struct db *db, enum queue_kind q, long long message_id, long long *affected,
    struct buf *why)
{
	return move_messages(db, sql_clear_one, sql_clear_bulk, "pending", q, message_id, affected,
	    why);
}

/* id of the row sql finds by name, or DB_NOT_FOUND. */
static int
id_by_name(struct db *db, const char *sql, const char *name, long long *id)
{
	struct db_result r;
	int rc;

	if (name == NULL)
		return DB_NOT_FOUND;
	if ((rc = db_query(db, sql, (struct db_param[]){ DB_TEXT(name) }, 1, &r)) != DB_OK)
		return rc;
	rc = r.nrows > 0 ? DB_OK : DB_NOT_FOUND;
	if (rc == DB_OK)
		*id = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	return rc;
}

static void
copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

int
queue_ops_instance_control(struct db *db, long long id, const char *name, enum control c,
    struct control_result *out)
{
	unsigned long long n = 0;
	struct db_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (c >= CONTROL__MAX)
		return DB_ERROR;
	if (id <= 0 && (rc = id_by_name(db, sql_instance_by_name, name, &id)) != DB_OK)
		return rc;
	switch (c) {
	case CONTROL_TRIP:
		rc = db_exec(db, sql_instance_trip, (struct db_param[]){ DB_INT(id) }, 1, &n, NULL);
		break;
	case CONTROL_RESET:
		rc = db_exec(db, sql_instance_reset, (struct db_param[]){ DB_INT(id) }, 1, &n, NULL);
		break;
	default:
		rc = db_exec(db, sql_instance_admin, (struct db_param[]){
		    DB_TEXT(control_admin_states[c]), DB_INT(id) }, 2, &n, NULL);
		break;
	}
	if (rc != DB_OK)
		return rc;
	/* MariaDB counts changed rows: 0 also when it was already so; the read tells which. */
	if ((rc = db_query(db, sql_instance_row, (struct db_param[]){ DB_INT(id) }, 1, &r)) != DB_OK)
		return rc;
	if (r.nrows == 0) {
		db_result_free(&r);
		return DB_NOT_FOUND;
	}
	out->id = db_int(&r, 0, 0, 0);
	copy_text(out->name, sizeof(out->name), db_value(&r, 0, 1));
	copy_text(out->admin_state, sizeof(out->admin_state), db_value(&r, 0, 2));
	copy_text(out->breaker_state, sizeof(out->breaker_state), db_value(&r, 0, 3));
	out->breaker_trips = db_int(&r, 0, 4, 0);
	out->changed = n > 0;
	db_result_free(&r);
	return DB_OK;
}

int
queue_ops_pool_control(struct db *db, long long id, const char *name, enum control c,
    struct control_result *out)
{
	unsigned long long n = 0;
	struct db_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (c != CONTROL_SUSPEND && c != CONTROL_RESUME && c != CONTROL_DRAIN)
		return DB_ERROR;
	if (id <= 0 && (rc = id_by_name(db, sql_pool_by_name, name, &id)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, sql_pool_admin, (struct db_param[]){
	    DB_TEXT(control_admin_states[c]), DB_INT(id) }, 2, &n, NULL)) != DB_OK)
		return rc;
	if ((rc = db_query(db, sql_pool_row, (struct db_param[]){ DB_INT(id) }, 1, &r)) != DB_OK)
		return rc;
	if (r.nrows == 0) {
		db_result_free(&r);
		return DB_NOT_FOUND;
	}
	out->id = db_int(&r, 0, 0, 0);
	copy_text(out->name, sizeof(out->name), db_value(&r, 0, 1));
	copy_text(out->admin_state, sizeof(out->admin_state), db_value(&r, 0, 2));
	out->changed = n > 0;
	db_result_free(&r);
	return DB_OK;
}
