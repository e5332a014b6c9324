/*
 * api-controls.c: POST /api/instances/{id}/{suspend|resume|drain|trip|reset}
 * and POST /api/pools/{id}/{suspend|resume|drain}: the operator's controls,
 * the same as wapoolctl's.  The daemons reload instance and pool rows
 * every second and adopt the new states.
 */
#include <string.h>

#include "handlers.h"
#include "log.h"
#include "queue-ops.h"
#include "util.h"
#include "wake.h"

/* Parse {id} and {action}; on failure answers 404 and returns -1. */
static int
control_target(struct req *r, bool pool, long long *id, enum control *c)
{
	if (!safe_strtoll(r->params[0], id) || *id <= 0) {
		json_error(r, 404, "not_found", "%s ids are positive integers",
		    pool ? "pool" : "instance");
		return -1;
	}
	if (!control_parse(r->params[1], c) || (pool && *c > CONTROL_DRAIN)) {
		json_error(r, 404, "unknown_action", "unknown action: use %s",
		    pool ? "suspend, resume or drain" : "suspend, resume, drain, trip or reset");
		return -1;
	}
	return 0;
}

static void
control_reply(struct req *r, bool pool, enum control c, int rc, long long id,
    const struct control_result *res)
{
	struct json_object *o, *breaker;

	if (rc == DB_NOT_FOUND) {
		json_error(r, 404, "not_found", "%s %lld does not exist", pool ? "pool" : "instance", id);
		return;
	}
	if (rc != DB_OK) {
		json_unavailable(r);
		return;
	}
	log_info("API: %s %s %s%s", pool ? "pool" : "instance", res->name, control_str(c),
	    res->changed ? "" : " (it already was)");
	/* A suspended instance must stop taking sends now, not within a second. */
	if (res->changed)
		wake_send_kind(r->app->wake, WAKE_RELOAD);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(res->id));
	json_object_object_add(o, "name", json_object_new_string(res->name));
	json_object_object_add(o, "admin_state", json_object_new_string(res->admin_state));
	if (!pool) {
		breaker = json_object_new_object();
		json_object_object_add(breaker, "state", json_object_new_string(res->breaker_state));
		json_object_object_add(breaker, "trips", json_object_new_int64(res->breaker_trips));
		json_object_object_add(o, "breaker", breaker);
	}
	json_object_object_add(o, "changed", json_object_new_boolean(res->changed));
	json_reply(r, 200, o);
}

/* Raises 401 (router), 404 (no such instance or action), 503. */
void
api_instance_control(struct req *r)
{
	struct control_result res;
	enum control c;
	long long id;
	int rc;

	if (control_target(r, false, &id, &c) != 0)
		return;
	rc = queue_ops_instance_control(r->db, id, NULL, c, &res);
	control_reply(r, false, c, rc, id, &res);
}

/* Raises 401 (router), 404 (no such pool or action), 503. */
void
api_pool_control(struct req *r)
{
	struct control_result res;
	enum control c;
	long long id;
	int rc;

	if (control_target(r, true, &id, &c) != 0)
		return;
	rc = queue_ops_pool_control(r->db, id, NULL, c, &res);
	control_reply(r, true, c, rc, id, &res);
}
