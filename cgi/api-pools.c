/* api-pools.c: GET /api/webhooks/pools: every pool with its members' state, breaker and today's sends. */
#include "handlers.h"
#include "pools.h"

/* Raises 401 (router, no API key) and 503 (database down). */
void
api_pools(struct req *r)
{
	struct json_object *list = NULL, *o;

	if (pools_describe(r->db, &r->app->config, req_rate(r), &list) != DB_OK) {
		json_unavailable(r);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "pools", list);
	req_header(r, "Cache-Control: no-store");
	json_reply(r, 200, o);
}
