/* stats.c: the one producer of queue statistics. */
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

static const char *const message_states[] = {
	"pending", "sending", "sent", "delivered", "read", "failed", "dead", "expired", "cancelled",
};

static const char sql_by_state[] =
    "SELECT state, COUNT(*) FROM messages WHERE created_at >= UTC_DATE() GROUP BY state";
static const char sql_by_pool[] =
    "SELECT p.name, m.state, COUNT(*) FROM messages m JOIN pools p ON p.id = m.pool_id"
    " WHERE m.created_at >= UTC_DATE() GROUP BY p.name, m.state ORDER BY p.name";
static const char sql_by_instance[] =
    "SELECT i.name, m.state, COUNT(*) FROM messages m JOIN instances i ON i.id = m.sent_instance_id"
    " WHERE m.created_at >= UTC_DATE() GROUP BY i.name, m.state ORDER BY i.name";
/* Depth and DLQ are not "today": they are what is waiting now. */
static const char sql_queue_now[] =
    "SELECT SUM(state = 'pending'), SUM(state = 'sending'), SUM(state = 'dead'),"
    " TIMESTAMPDIFF(SECOND, MIN(IF(state = 'pending', created_at, NULL)), NOW(6))"
    " FROM messages WHERE state IN ('pending', 'sending', 'dead')";
static const char sql_delay[] =
    "SELECT ROUND(AVG(TIMESTAMPDIFF(MICROSECOND, created_at, sent_at)) / 1000, 1)"
    " FROM messages WHERE created_at >= UTC_DATE() AND sent_at IS NOT NULL";
static const char sql_active_pools[] =
    "SELECT COUNT(*) FROM pools WHERE enabled = 1 AND admin_state = 'active'";

static struct json_object *
states_object(void)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(message_states); i++)
		json_object_object_add(o, message_states[i], json_object_new_int64(0));
	return o;
}

/* Rows of (name, state, count) grouped into {name: {state: count}} as an array. */
static struct json_object *
grouped(const struct db_result *r, const char *label)
{
	struct json_object *list = json_object_new_array(), *current = NULL, *states = NULL;
	const char *current_name = NULL;
	size_t row;

	for (row = 0; row < r->nrows; row++) {
		const char *name = db_value(r, row, 0), *state = db_value(r, row, 1);

		if (name == NULL || state == NULL)
			continue;
		if (current_name == NULL || strcmp(current_name, name) != 0) {
			current = json_object_new_object();
			states = states_object();
			json_object_object_add(current, label, json_object_new_string(name));
			json_object_object_add(current, "messages", states);
			json_object_array_add(list, current);
			current_name = name;
		}
		json_object_object_add(states, state, json_object_new_int64(db_int(r, row, 2, 0)));
	}
	return list;
}

int
stats_today(struct db *db, struct json_object **out)
{
	struct db_result by_state = { 0 }, by_pool = { 0 }, by_instance = { 0 };
	struct db_result now = { 0 }, delay = { 0 }, pools = { 0 };
	struct json_object *o = NULL, *states;
	long long total = 0, good = 0, bad = 0;
	size_t row;
	int rc;

	if ((rc = db_query(db, sql_by_state, NULL, 0, &by_state)) != DB_OK ||
	    (rc = db_query(db, sql_by_pool, NULL, 0, &by_pool)) != DB_OK ||
	    (rc = db_query(db, sql_by_instance, NULL, 0, &by_instance)) != DB_OK ||
	    (rc = db_query(db, sql_queue_now, NULL, 0, &now)) != DB_OK ||
	    (rc = db_query(db, sql_delay, NULL, 0, &delay)) != DB_OK ||
	    (rc = db_query(db, sql_active_pools, NULL, 0, &pools)) != DB_OK)
		goto out;
	o = json_object_new_object();
	states = states_object();
	for (row = 0; row < by_state.nrows; row++) {
		const char *state = db_value(&by_state, row, 0);
		long long count = db_int(&by_state, row, 1, 0);

		if (state == NULL)
			continue;
		json_object_object_add(states, state, json_object_new_int64(count));
		total += count;
		if (strcmp(state, "sent") == 0 || strcmp(state, "delivered") == 0 ||
		    strcmp(state, "read") == 0)
			good += count;
		else if (strcmp(state, "failed") == 0 || strcmp(state, "dead") == 0 ||
		    strcmp(state, "expired") == 0)
			bad += count;
	}
	json_object_object_add(o, "messages_today", json_object_new_int64(total));
	json_object_object_add(o, "by_state", states);
	/* Success among finished messages; null before anything finished. */
	json_object_object_add(o, "success_rate", good + bad > 0 ?
	    json_object_new_double((double)good / (double)(good + bad)) : NULL);
	json_object_object_add(o, "average_delay_ms", db_value(&delay, 0, 0) != NULL ?
	    /* A decimal ("12.3"): db_int would refuse it and report 0. */
	    json_object_new_double(strtod(db_value(&delay, 0, 0), NULL)) : NULL);
	json_object_object_add(o, "active_pools", json_object_new_int64(db_int(&pools, 0, 0, 0)));
	json_object_object_add(o, "queue_depth", json_object_new_int64(db_int(&now, 0, 0, 0)));
	json_object_object_add(o, "in_flight", json_object_new_int64(db_int(&now, 0, 1, 0)));
	json_object_object_add(o, "dead_letter", json_object_new_int64(db_int(&now, 0, 2, 0)));
	json_object_object_add(o, "oldest_pending_seconds", db_value(&now, 0, 3) != NULL ?
	    json_object_new_int64(db_int(&now, 0, 3, 0)) : NULL);
	json_object_object_add(o, "pools", grouped(&by_pool, "pool"));
	json_object_object_add(o, "instances", grouped(&by_instance, "instance"));
	*out = o;
	rc = DB_OK;
out:
	db_result_free(&by_state);
	db_result_free(&by_pool);
	db_result_free(&by_instance);
	db_result_free(&now);
	db_result_free(&delay);
	db_result_free(&pools);
	return rc;
}
