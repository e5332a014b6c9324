/*
 * rate-settings.c: the layering of rate limits (instance, pool,
 * wapool.conf) and the SQL that sets them (lib/rate-settings.h).
 */
#include <string.h>

#include "rate-settings.h"

/* An optional limit: instance, else pool, else the configuration. */
static long long
layered(long long instance_value, long long pool_value, long long config_value)
{
	if (instance_value >= 0)
		return instance_value;
	if (pool_value >= 0)
		return pool_value;
	return config_value;
}

void
rate_limits_resolve(const struct config *c, const struct instance_row *i,
    const struct pool_row *pools, size_t npools, struct rate_limits *l)
{
	const struct pool_row *pool = NULL;
	bool official = i->kind != NULL && strcmp(i->kind, "meta") == 0;
	size_t p, m;

	/* Pool-level overrides come from the first pool that holds the instance. */
	for (p = 0; p < npools && pool == NULL; p++)
		for (m = 0; m < pools[p].nmembers; m++)
			if (pools[p].members[m] == i->id) {
				pool = &pools[p];
				break;
			}
	memset(l, 0, sizeof(*l));
	l->instance_id = i->id;
	l->mps = (int)layered(i->mps, pool ? pool->mps : -1, c->rate_mps);
	l->burst = (int)layered(i->burst, pool ? pool->burst : -1, c->rate_burst);
	l->daily_limit = layered(i->daily_limit, pool ? pool->daily_limit : -1,
	    c->rate_daily_limit);
	l->pair_per_minute = (int)layered(i->pair_per_minute, pool ? pool->pair_per_minute : -1,
	    c->rate_pair_per_minute);
	if (!official) {
		l->spacing_min_ms = (int)layered(i->spacing_min_seconds,
		    pool ? pool->spacing_min_seconds : -1, c->spacing_min_seconds) * 1000;
		l->spacing_max_ms = (int)layered(i->spacing_max_seconds,
		    pool ? pool->spacing_max_seconds : -1, c->spacing_max_seconds) * 1000;
		if (l->spacing_max_ms < l->spacing_min_ms)
			l->spacing_max_ms = l->spacing_min_ms;
		l->typing = layered(i->typing, pool ? pool->typing : -1, c->typing ? 1 : 0) == 1;
	}
	l->timezone = i->timezone;
	l->quiet_start_minute = i->quiet_start_minute;
	l->quiet_end_minute = i->quiet_end_minute;
	l->warmup_started_on = i->warmup_started_on;
}

static const char *const setting_names[RATE_SET__MAX] = {
	"tier-daily-limit", "mps", "burst", "pair-per-minute", "spacing-min", "spacing-max",
	"typing",
};

/* Same columns in instances and pools (schema 001 and 006). */
static const char *const sql_set_instance[RATE_SET__MAX] = {
	"UPDATE instances SET tier_daily_limit = ? WHERE id = ?",
	"UPDATE instances SET rate_mps = ? WHERE id = ?",
	"UPDATE instances SET rate_burst = ? WHERE id = ?",
	"UPDATE instances SET pair_per_minute = ? WHERE id = ?",
	"UPDATE instances SET spacing_min_seconds = ? WHERE id = ?",
	"UPDATE instances SET spacing_max_seconds = ? WHERE id = ?",
	"UPDATE instances SET typing = ? WHERE id = ?",
};
static const char *const sql_set_pool[RATE_SET__MAX] = {
	"UPDATE pools SET tier_daily_limit = ? WHERE id = ?",
	"UPDATE pools SET rate_mps = ? WHERE id = ?",
	"UPDATE pools SET rate_burst = ? WHERE id = ?",
	"UPDATE pools SET pair_per_minute = ? WHERE id = ?",
	"UPDATE pools SET spacing_min_seconds = ? WHERE id = ?",
	"UPDATE pools SET spacing_max_seconds = ? WHERE id = ?",
	"UPDATE pools SET typing = ? WHERE id = ?",
};
static const char sql_find_instance[] =
    "SELECT id FROM instances WHERE name = ? AND deleted_at IS NULL";
static const char sql_find_pool[] = "SELECT id FROM pools WHERE name = ?";

const char *
rate_setting_name(enum rate_setting s)
{
	return (unsigned)s < RATE_SET__MAX ? setting_names[s] : "?";
}

int
rate_setting_set(struct db *db, bool pool, const char *name, enum rate_setting s,
    long long value)
{
	struct db_result r = { 0 };
	long long id;
	int rc;

	if ((unsigned)s >= RATE_SET__MAX)
		return DB_ERROR;
	if ((rc = db_query(db, pool ? sql_find_pool : sql_find_instance,
	    (struct db_param[]){ DB_TEXT(name) }, 1, &r)) != DB_OK)
		goto out;
	if (r.nrows != 1) {
		rc = r.nrows == 0 ? DB_NOT_FOUND : DB_DUPLICATE;
		goto out;
	}
	id = db_int(&r, 0, 0, 0);
	rc = db_exec(db, pool ? sql_set_pool[s] : sql_set_instance[s],
	    (struct db_param[]){ value < 0 ? DB_NULL : DB_INT(value), DB_INT(id) }, 2, NULL, NULL);
out:
	db_result_free(&r);
	return rc;
}
