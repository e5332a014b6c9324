/* health.c: GET /healthz: can this process reach MariaDB and memcached right now? */
#include <json-c/json.h>

#include "handlers.h"

static const char sql_ping[] = "SELECT 1";

/* 200 when the database answers (memcached down is "degraded", still 200); 503 otherwise. */
void
health_check(struct req *r)
{
	struct json_object *o = json_object_new_object();
	struct db_result result;
	bool db_ok = false, mc_ok = false;

	if (db_query(r->db, sql_ping, NULL, 0, &result) == DB_OK) {
		db_ok = true;
		db_result_free(&result);
	}
	mc_ok = r->mc != NULL && mc_ping(r->mc);
	json_object_object_add(o, "status", json_object_new_string(
	    !db_ok ? "down" : mc_ok ? "ok" : "degraded"));
	json_object_object_add(o, "db", json_object_new_string(db_ok ? "ok" : "down"));
	json_object_object_add(o, "memcached", json_object_new_string(mc_ok ? "ok" : "down"));
	json_object_object_add(o, "rate_gates", json_object_new_string(mc_ok ? "shared" : "degraded"));
	if (!db_ok)
		req_header(r, "Retry-After: 5");
	req_header(r, "Cache-Control: no-store");
	json_reply(r, db_ok ? 200 : 503, o);
}
