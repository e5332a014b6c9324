/*
 * pools.c: the SQL of GET /api/webhooks/pools: pools, then all members
 * with their gateway and today's figures (two queries, whatever the
 * number of pools).
 */
#include <string.h>

#include "pools.h"
#include "rate-settings.h"
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
	COL_BURST, COL_PAIR, COL_TYPING,
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
    " i.rate_mps, i.tier_daily_limit, i.spacing_min_seconds, i.spacing_max_seconds,"
    " i.rate_burst, i.pair_per_minute, i.typing"
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

/* What the daemons know of the instances and pools: the layers of the rate limits. */
struct model {
	struct instance_row	*instances;
	size_t			 ninstances;
	struct pool_row		*pools;
	size_t			 npools;
};

static const struct instance_row *
model_instance(const struct model *m, long long id)
{
	return instance_rows_find(m->instances, m->ninstances, id);
}

/* The limits the daemons apply, after the instance, pool and wapool.conf layers. */
static struct json_object *
effective_object(const struct rate_limits *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "mps", json_object_new_int(l->mps));
	json_object_object_add(o, "burst", json_object_new_int(l->burst));
	json_object_object_add(o, "daily_limit", json_object_new_int64(l->daily_limit));
	json_object_object_add(o, "pair_per_minute", json_object_new_int(l->pair_per_minute));
	json_object_object_add(o, "spacing_min_seconds",
	    json_object_new_int(l->spacing_min_ms / 1000));
	json_object_object_add(o, "spacing_max_seconds",
	    json_object_new_int(l->spacing_max_ms / 1000));
	json_object_object_add(o, "typing", json_object_new_boolean(l->typing));
	return o;
}

/*
 * The "rate" object of one member: what the instance row configures
 * (null: the pool's or wapool.conf's value applies), the effective
 * limits, and the gates' live state from memcached (rate_describe:
 * current_rate, daily_remaining, next_slot_in_ms, throttled_until,
 * throttle_level, paused_until, degraded).
 */
static struct json_object *
pools_rate(const struct db_result *r, size_t row, const struct config *c, struct rate *gates,
    const struct model *m)
{
	struct json_object *rate = json_object_new_object(), *configured = json_object_new_object();
	const struct instance_row *i = model_instance(m, db_int(r, row, COL_ID, 0));
	struct rate_limits l;

	json_object_object_add(configured, "mps", int_or_null(r, row, COL_RATE_MPS));
	json_object_object_add(configured, "daily_limit", int_or_null(r, row, COL_DAILY_LIMIT));
	json_object_object_add(configured, "spacing_min_seconds",
	    int_or_null(r, row, COL_SPACING_MIN));
	json_object_object_add(configured, "spacing_max_seconds",
	    int_or_null(r, row, COL_SPACING_MAX));
	json_object_object_add(configured, "burst", int_or_null(r, row, COL_BURST));
	json_object_object_add(configured, "pair_per_minute", int_or_null(r, row, COL_PAIR));
	json_object_object_add(configured, "typing", db_value(r, row, COL_TYPING) == NULL ? NULL :
	    json_object_new_boolean(db_int(r, row, COL_TYPING, 0) == 1));
	json_object_object_add(rate, "configured", configured);
	if (i != NULL && c != NULL && gates != NULL) {
		rate_limits_resolve(c, i, m->pools, m->npools, &l);
		json_object_object_add(rate, "effective", effective_object(&l));
		rate_describe(gates, &l, clock_wall_ms(), rate);
	}
	return rate;
}

static struct json_object *
member_object(const struct db_result *r, size_t row, const struct config *c, struct rate *gates,
    const struct model *m)
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
	json_object_object_add(o, "rate", pools_rate(r, row, c, gates, m));
	return o;
}

int
pools_describe(struct db *db, const struct config *c, struct rate *gates, struct json_object **out)
{
	struct db_result pools = { 0 }, members = { 0 };
	struct json_object *list = NULL;
	struct model model = { 0 };
	size_t p, m = 0;
	int rc;

	*out = NULL;
	if ((rc = db_query(db, sql_pools, NULL, 0, &pools)) != DB_OK ||
	    (rc = db_query(db, sql_members, NULL, 0, &members)) != DB_OK)
		goto out;
	/* The live figures need the limits as the daemons resolve them. */
	if (gates != NULL && c != NULL &&
	    ((rc = instances_load(db, &model.instances, &model.ninstances)) != DB_OK ||
	    (rc = pools_load(db, &model.pools, &model.npools)) != DB_OK))
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
			json_object_array_add(instances,
			    member_object(&members, m, c, gates, &model));
		json_object_object_add(o, "instances", instances);
		json_object_array_add(list, o);
	}
	*out = list;
	rc = DB_OK;
out:
	instance_rows_free(model.instances, model.ninstances);
	pool_rows_free(model.pools, model.npools);
	db_result_free(&pools);
	db_result_free(&members);
	return rc;
}
