/* api-stats.c: GET /api/webhooks/stats: today's messages by state, pool and instance. */
#include "handlers.h"
#include "stats.h"

/* Raises 401 (router, no API key) and 503 (database down). */
void
api_stats_today(struct req *r)
{
	struct json_object *o = NULL;

	if (stats_today(r->db, &o) != DB_OK) {
		json_unavailable(r);
		return;
	}
	req_header(r, "Cache-Control: no-store");
	json_reply(r, 200, o);
}
