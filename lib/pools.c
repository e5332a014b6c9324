/*
 * pools.c: the SQL of GET /api/webhooks/pools: pools, then all members
 * with their gateway and today's figures (two queries, whatever the
 * number of pools).
 */
#include <string.h>

#include "pools.h"
#include "util.h"

#define ISO_TIME(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"

static const char sql_pools[] =
    "SELECT p.id, p.name, t.slug, p.strategy, p.enabled, p.admin_state"
    " FROM pools p JOIN tenants t ON t.id = p.tenant_id ORDER BY p.id";

/* Column numbers of sql_members, in order. */
enum member_col {
	COL_POOL_ID, COL_ID, COL_NAME, COL_STATE, COL_ADMIN_STATE, COL_HEALTH,
	COL_BREAKER_STATE, COL_BREAKER_UNTIL, COL_BREAKER_TRIPS, COL_LAST_HEALTH_AT,
	COL_GATEWAY, COL_MEMBER_ENABLED, COL_SENT_TODAY, COL_FAILED_TODAY,
	COL_RATE_MPS, COL_DAILY_LIMIT, COL_SPACING_MIN, COL_SPACING_MAX,
	COL__MAX
};

/*
 * Today's counts come from one covering range over today's sends in
 * idx_messages_sent (sent_at, sent_instance_id, state), grouped once for
 * every instance; a correlated subquery per member would read each
 * instance's whole history (only its first index column is usable there).
 */
static const char sql_members[] =
    "SELECT pm.pool_id, i.id, i.name, i.state, i.admin_state, i.health,"
    " i.breaker_state, " ISO_TIME("i.breaker_until") ", i.breaker_trips,"
    " " ISO_TIME("i.last_health_at") ", g.name, pm.enabled,"
    " COALESCE(t.sent, 0), COALESCE(t.failed, 0),"
    " i.rate_mps, i.tier_daily_limit, i.spacing_min_seconds, i.spacing_max_seconds"
    " FROM pool_members pm JOIN instances i ON i.id = pm.instance_id"
    " JOIN gateways g ON g.id = i.gateway_id"
    " LEFT JOIN (SELECT sent_instance_id, COUNT(*) AS sent, SUM(state = 'failed') AS failed"
    "   FROM messages WHERE sent_at >= UTC_DATE() GROUP BY sent_instance_id) t"
    "   ON t.sent_instance_id = i.id"
    " WHERE i.deleted_at IS NULL ORDER BY pm.pool_id, pm.position, i.id";

static struct json_object *
text_or_null(const struct db_result *r, size_t row, size_t col)
{
	const char *v = db_value(r, row, col);

	return v != NULL ? json_object_new_string(v) : NULL;
}

static struct json_object *
int_or_null(const struct db_result *r, size_t row, size_t col)
{
	return db_value(r, row, col) != NULL ? json_object_new_int64(db_int(r, row, col, 0)) : NULL;
}

/*
 * The "rate" object of one member.  Today it holds what the instance row
 * configures (null: the pool's or wapool.conf's default applies).  The
 * rate gates' live figures (current rate, daily budget left, next send
 * slot, throttled until) belong here too: add them with rate_describe()
 * (lib/rate.h) once the handler has a struct rate and the resolved limits.
 */
static struct json_object *
pools_rate(const struct db_result *r, size_t row)
{
	struct json_object *rate = json_object_new_object(), *configured = json_object_new_object();

	json_object_object_add(configured, "mps", int_or_null(r, row, COL_RATE_MPS));
	json_object_object_add(configured, "daily_limit", int_or_null(r, row, COL_DAILY_LIMIT));
	json_object_object_add(configured, "spacing_min_seconds",
	    int_or_null(r, row, COL_SPACING_MIN));
	json_object_object_add(configured, "spacing_max_seconds",
	    int_or_null(r, row, COL_SPACING_MAX));
	json_object_object_add(rate, "configured", configured);
	return rate;
}

static struct json_object *
member_object(const struct db_result *r, size_t row)
{
	struct json_object *o = json_object_new_object(), *breaker = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(db_int(r, row, COL_ID, 0)));
	json_object_object_add(o, "name", text_or_null(r, row, COL_NAME));
	json_object_object_add(o, "state", text_or_null(r, row, COL_STATE));
	json_object_object_add(o, "admin_state", text_or_null(r, row, COL_ADMIN_STATE));
	json_object_object_add(o, "health", text_or_null(r, row, COL_HEALTH));
	json_object_object_add(breaker, "state", text_or_null(r, row, COL_BREAKER_STATE));
	json_object_object_add(breaker, "until", text_or_null(r, row, COL_BREAKER_UNTIL));
	json_object_object_add(breaker, "trips",
	    json_object_new_int64(db_int(r, row, COL_BREAKER_TRIPS, 0)));
	json_object_object_add(o, "breaker", breaker);
	json_object_object_add(o, "sent_today",
	    json_object_new_int64(db_int(r, row, COL_SENT_TODAY, 0)));
	json_object_object_add(o, "failed_today",
	    json_object_new_int64(db_int(r, row, COL_FAILED_TODAY, 0)));
	json_object_object_add(o, "last_health_at", text_or_null(r, row, COL_LAST_HEALTH_AT));
	json_object_object_add(o, "gateway", text_or_null(r, row, COL_GATEWAY));
	json_object_object_add(o, "member_enabled",
	    json_object_new_boolean(db_int(r, row, COL_MEMBER_ENABLED, 1) == 1));
	json_object_object_add(o, "rate", pools_rate(r, row));
	return o;
}

int
pools_describe(struct db *db, struct json_object **out)
{
	struct db_result pools = { 0 }, members = { 0 };
	struct json_object *list = NULL;
	size_t p, m = 0;
	int rc;

	*out = NULL;
	if ((rc = db_query(db, sql_pools, NULL, 0, &pools)) != DB_OK ||
	    (rc = db_query(db, sql_members, NULL, 0, &members)) != DB_OK)
		goto out;
	list = json_object_new_array();
	/* Both ordered by pool id: one merge pass. */
	for (p = 0; p < pools.nrows; p++) {
		struct json_object *o = json_object_new_object(), *instances = json_object_new_array();
		long long id = db_int(&pools, p, 0, 0);

		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "name", text_or_null(&pools, p, 1));
		json_object_object_add(o, "tenant", text_or_null(&pools, p, 2));
		json_object_object_add(o, "strategy", text_or_null(&pools, p, 3));
		json_object_object_add(o, "enabled",
		    json_object_new_boolean(db_int(&pools, p, 4, 0) == 1));
		json_object_object_add(o, "admin_state", text_or_null(&pools, p, 5));
		while (m < members.nrows && db_int(&members, m, COL_POOL_ID, 0) < id)
			m++;
		for (; m < members.nrows && db_int(&members, m, COL_POOL_ID, 0) == id; m++)
			json_object_array_add(instances, member_object(&members, m));
		json_object_object_add(o, "instances", instances);
		json_object_array_add(list, o);
	}
	*out = list;
	rc = DB_OK;
out:
	db_result_free(&pools);
	db_result_free(&members);
	return rc;
}
