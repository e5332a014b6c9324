/*
 * rate-settings.h: where an instance's rate limits come from (its row,
 * then its pool's, then wapool.conf), and the SQL that sets them per
 * instance or per pool.  Shared by wapoold (the gates), wapool.fcgi and
 * wapoolctl (what they show), so all three agree on the effective limits.
 */
#ifndef WAPOOL_RATE_SETTINGS_H
#define WAPOOL_RATE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "db.h"
#include "instances.h"
#include "rate.h"

/*
 * The effective limits of instance i: each value from the instance row,
 * else the first pool holding it, else the configuration.  Spacing and
 * typing apply to unofficial gateways only (Meta has real limits).
 * l keeps pointers into i (time zone, warm-up date).
 */
void	 rate_limits_resolve(const struct config *c, const struct instance_row *i,
	    const struct pool_row *pools, size_t npools, struct rate_limits *l);

/* The settings an operator may set per instance or per pool. */
enum rate_setting {
	RATE_SET_TIER,		/* daily limit of the messaging tier (tier_daily_limit) */
	RATE_SET_MPS,		/* target messages per second */
	RATE_SET_BURST,
	RATE_SET_PAIR,		/* per recipient per minute */
	RATE_SET_SPACING_MIN,	/* seconds */
	RATE_SET_SPACING_MAX,
	RATE_SET_TYPING,	/* 0 or 1 */
	RATE_SET__MAX
};

/* The option name of a setting in wapoolctl ("mps", "spacing-min" ...). */
const char *rate_setting_name(enum rate_setting s);
/*
 * Set one setting of the instance or pool called name; value < 0 clears
 * it (the next layer's value applies).  DB_NOT_FOUND when no such live
 * instance (or pool), DB_DUPLICATE when several pools share the name.
 */
int	 rate_setting_set(struct db *db, bool pool, const char *name, enum rate_setting s,
	    long long value);

#endif
