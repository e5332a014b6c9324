/* stats.h: queue and delivery figures, produced once for the JSON API, the pages and wapoolctl. */
#ifndef WAPOOL_STATS_H
#define WAPOOL_STATS_H

#include <json-c/json.h>
#include "db.h"

/*
 * Messages created today (UTC) by state, per pool and per instance, plus
 * queue depth, DLQ size, success rate and average queue-to-sent delay.
 * On DB_OK *out is a new object the caller releases with json_object_put.
 */
int	stats_today(struct db *db, struct json_object **out);

#endif
