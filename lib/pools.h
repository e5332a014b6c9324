/* pools.h: the pools view: each pool with its members' state, breaker and today's figures. */
#ifndef WAPOOL_POOLS_H
#define WAPOOL_POOLS_H

#include <json-c/json.h>

#include "config.h"
#include "db.h"
#include "rate.h"

/*
 * Every pool {id, name, tenant, strategy, enabled, admin_state, instances:
 * [{id, name, state, admin_state, health, breaker: {state, until, trips},
 * sent_today, failed_today, last_health_at, gateway, rate}]} in two
 * queries.  Times are ISO 8601 UTC ("2026-01-31T12:00:00.000000Z") or
 * null; "today" is the UTC day; sent_today counts messages the instance
 * sent today, failed_today those of them that then failed.  "rate" is
 * filled by pools_rate() (see there); its live gate state needs c and
 * gates (pass NULL for both to get only what the rows configure).  On DB_OK *out is a new array; release it with
 * json_object_put.
 */
int	pools_describe(struct db *db, const struct config *c, struct rate *gates,
	    struct json_object **out);

#endif
