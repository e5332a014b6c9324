/*
 * api-queue.c: GET and POST /api/whatsapp/queue/stats: the queue's
 * all-time figures, and the operator's actions on it (retry the DLQ,
 * clear pending messages, recover expired leases now).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "handlers.h"
#include "log.h"
#include "queue-ops.h"
#include "queue.h"
#include "util.h"
#include "wake.h"

#define ACTION_MAX_BODY (64 * 1024)

enum queue_action {
	ACTION_RETRY_DLQ,
	ACTION_CLEAR,
	ACTION_RECOVER_STUCK,
	ACTION__MAX
};

static const char *const action_names[ACTION__MAX] = {
	"retry_dlq",		/* ACTION_RETRY_DLQ */
	"clear",		/* ACTION_CLEAR */
	"recover_stuck",	/* ACTION_RECOVER_STUCK */
};

/* The POST body, validated. */
struct queue_request {
	enum queue_action	 action;
	enum queue_kind		 queue;		/* QUEUE_ALL: not given */
	long long		 job_id;	/* 0: not given */
};

/*
 * Raises 400 (instanceId not a positive integer), 401 (router, no API
 * key), 404 (no such instance), 503 (database down).
 */
void
api_queue_stats(struct req *r)
{
	struct json_object *o = NULL;
	char *arg = req_query_arg(r, "instanceId");
	long long instance_id = 0;
	int rc;

	if (arg != NULL && (!safe_strtoll(arg, &instance_id) || instance_id <= 0)) {
		json_error(r, 400, "invalid_instance_id", "instanceId must be a positive integer");
		goto out;
	}
	if ((rc = queue_ops_stats(r->db, instance_id, &o)) == DB_NOT_FOUND) {
		json_error(r, 404, "unknown_instance", "instance %lld does not exist", instance_id);
		goto out;
	}
	if (rc != DB_OK) {
		json_unavailable(r);
		goto out;
	}
	req_header(r, "Cache-Control: no-store");
	json_reply(r, 200, o);
out:
	free(arg);
}

static bool
content_type_ok(const char *type)
{
	size_t len = strlen("application/json");

	/* No type at all is taken as JSON: curl -d users forget it, the body still has to parse. */
	if (type == NULL || *type == '\0')
		return true;
	return strncasecmp(type, "application/json", len) == 0 &&
	    (type[len] == '\0' || type[len] == ';' || type[len] == ' ');
}

/* Parse and validate the body into q; on failure answers 4xx and returns -1. */
static int
queue_request_parse(struct req *r, struct queue_request *q)
{
	char parse_error[160];
	struct json_object *o = NULL, *v;
	const char *s;
	size_t i;
	int rc = -1;

	memset(q, 0, sizeof(*q));
	q->queue = QUEUE_ALL;
	req_read_body(r, ACTION_MAX_BODY);
	if (r->body_too_large) {
		json_error(r, 413, "body_too_large", "the body is larger than %d bytes",
		    ACTION_MAX_BODY);
		goto out;
	}
	if (!content_type_ok(r->content_type)) {
		json_error(r, 415, "unsupported_media_type", "Content-Type must be application/json");
		goto out;
	}
	if ((o = req_json_object(r, (int)r->app->config.webhook_max_depth, parse_error,
	    sizeof(parse_error))) == NULL) {
		json_error(r, 400, "malformed_json", "%s", parse_error);
		goto out;
	}
	if (!json_object_object_get_ex(o, "action", &v) || !json_object_is_type(v, json_type_string)) {
		json_error(r, 400, "missing_action",
		    "\"action\" is required: retry_dlq, clear or recover_stuck");
		goto out;
	}
	s = json_object_get_string(v);
	for (i = 0; i < ACTION__MAX && strcmp(s, action_names[i]) != 0; i++)
		;
	if (i == ACTION__MAX) {
		json_error(r, 400, "unknown_action",
		    "unknown action \"%.64s\": use retry_dlq, clear or recover_stuck", s);
		goto out;
	}
	q->action = (enum queue_action)i;
	if (json_object_object_get_ex(o, "queue", &v) && v != NULL) {
		s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		if (!queue_kind_parse(s, &q->queue)) {
			json_error(r, 400, "unknown_queue",
			    "unknown queue \"%.64s\": use webhooks or campaigns",
			    json_object_is_type(v, json_type_string) ? s :
			    json_object_to_json_string(v));
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "jobId", &v) && v != NULL) {
		/* A number, or digits in a string (ids travel as strings in some clients). */
		if (!((json_object_is_type(v, json_type_int) &&
		    (q->job_id = json_object_get_int64(v)) > 0) ||
		    (json_object_is_type(v, json_type_string) &&
		    safe_strtoll(json_object_get_string(v), &q->job_id) && q->job_id > 0))) {
			json_error(r, 400, "invalid_job_id", "jobId must be a positive integer");
			goto out;
		}
	}
	/* Acting on a whole queue must name it: no action empties both by omission. */
	if (q->action != ACTION_RECOVER_STUCK && q->job_id == 0 && q->queue == QUEUE_ALL) {
		json_error(r, 400, "missing_queue",
		    "\"queue\" is required (webhooks or campaigns) unless jobId names one message");
		goto out;
	}
	rc = 0;
out:
	if (o != NULL)
		json_object_put(o);
	return rc;
}

/*
 * Raises 400 (malformed JSON, missing or unknown action or queue, bad
 * jobId), 401 (router), 404 (jobId names no message), 409 (the message is
 * not dead/pending, or in the other queue), 413, 415, 503.
 */
void
api_queue_action(struct req *r)
{
	struct queue_request q;
	struct json_object *o;
	struct buf why = BUF_INIT;
	long long affected = 0;
	int rc;

	if (queue_request_parse(r, &q) != 0)
		return;
	switch (q.action) {
	case ACTION_RETRY_DLQ:
		rc = queue_ops_retry_dlq(r->db, q.queue, q.job_id, &affected, &why);
		break;
	case ACTION_CLEAR:
		rc = queue_ops_clear(r->db, q.queue, q.job_id, &affected, &why);
		break;
	default:
		rc = queue_recover_expired_leases(r->db, &affected);
		break;
	}
	if (rc == DB_NOT_FOUND || rc == DB_CONFLICT) {
		json_error(r, rc == DB_NOT_FOUND ? 404 : 409, rc == DB_NOT_FOUND ? "not_found" :
		    "conflict", "%s", buf_cstr(&why));
		goto out;
	}
	if (rc != DB_OK) {
		log_warnx("queue API: %s failed: %s", action_names[q.action], db_error(r->db));
		json_unavailable(r);
		goto out;
	}
	/* Messages pending again: the daemons need not wait for their next poll. */
	if (affected > 0 && q.action != ACTION_CLEAR)
		wake_send(r->app->wake);
	if (q.job_id > 0)
		log_info("queue API: %s message %lld: %lld changed", action_names[q.action],
		    q.job_id, affected);
	else
		log_info("queue API: %s %s: %lld changed", action_names[q.action],
		    queue_kind_str(q.queue), affected);
	o = json_object_new_object();
	json_object_object_add(o, "action", json_object_new_string(action_names[q.action]));
	if (q.queue != QUEUE_ALL)
		json_object_object_add(o, "queue", json_object_new_string(queue_kind_str(q.queue)));
	if (q.job_id > 0)
		json_object_object_add(o, "jobId", json_object_new_int64(q.job_id));
	json_object_object_add(o, "affected", json_object_new_int64(affected));
	json_reply(r, 200, o);
out:
	buf_free(&why);
}
