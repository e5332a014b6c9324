/*
 * webhook.c: POST /webhook/{tenant}/{event}, the business webhook.
 *
 * Raises 404 (unknown tenant or event), 413 (body over webhook_max_body),
 * 401 (no or wrong secret/signature), 415 (not JSON), 400 (malformed
 * JSON), 422 (phone missing or invalid, key too long), 503 (database
 * down: nothing stored).  Answers 202 with the new ids, or 200 with the
 * first ids for a repeated idempotency key.  Every rejected request is
 * recorded too, with its reason, for the Events view.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "committer.h"
#include "handlers.h"
#include "intake.h"
#include "jsonpath.h"
#include "log.h"
#include "phone.h"
#include "route-cache.h"
#include "signature.h"
#include "template.h"
#include "util.h"
#include "wake.h"

#define MAX_KEY_LENGTH 200
#define MAX_TEXT_LENGTH 60000

/*
 * What a webhook's event points into, kept until it is answered: by the
 * worker, or for an accepted event under FastCGI by the committer thread
 * once the batch holding it is committed (webhook_committed).
 */
struct webhook {
	struct req		*r;
	struct intake_event	 ev;
	char			 phone[32];
	struct buf		 key;
	struct buf		 text;
};

static void
webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	buf_free(&w->key);
	buf_free(&w->text);
	free(w);
}

/* 202 with the new ids, 200 with the first ones for a duplicate, 503 when not stored. */
static void
webhook_answer(struct req *r, const struct intake_event *ev, int rc)
{
	struct json_object *o;

	if (rc != DB_OK) {
		json_unavailable(r);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "event_id", json_object_new_int64(ev->event_id));
	json_object_object_add(o, "message_id", json_object_new_int64(ev->message_id));
	json_object_object_add(o, "status", json_object_new_string(ev->message_state));
	if (ev->duplicate)
		json_object_object_add(o, "duplicate", json_object_new_boolean(1));
	json_reply(r, ev->duplicate ? 200 : 202, o);
}

/* On the committer thread, after the batch: answer, end the request, free it all. */
static void
webhook_committed(struct intake_event *ev, int rc, void *arg)
{
	struct webhook *w = arg;

	webhook_answer(w->r, ev, rc);
	req_end(w->r);
	webhook_free(w);
}

/* Store through the process's committer, or inline in plain CGI mode. */
static int
webhook_store(struct req *r, struct intake_event *ev)
{
	int rc;

	if (r->app->committer != NULL)
		return committer_submit(r->app->committer, ev);
	rc = intake_store(r->db, ev, 1);
	if (rc == DB_OK && ev->message_id != 0 && !ev->duplicate)
		wake_send(r->app->wake);
	return rc;
}

/* Answer a 4xx and record the rejected event with the same reason. */
static void
webhook_reject(struct req *r, struct intake_event *ev, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
webhook_reject(struct req *r, struct intake_event *ev, int status, const char *code,
    const char *fmt, ...)
{
	struct buf message = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&message, fmt, ap);
	va_end(ap);
	ev->http_status = status;
	ev->reason = buf_cstr(&message);
	ev->body = r->body.ptr;
	ev->body_size = r->content_length > 0 ? (size_t)r->content_length : r->body.len;
	/* The answer does not depend on the record: a lost record is only logged. */
	if (webhook_store(r, ev) != DB_OK)
		log_warnx("webhook: could not record a rejected event (%d %s)", status, code);
	json_error(r, status, code, "%s", buf_cstr(&message));
	buf_free(&message);
}

static bool
is_json_type(const char *content_type)
{
	size_t len = strlen("application/json");

	if (content_type == NULL || strncasecmp(content_type, "application/json", len) != 0)
		return false;
	return content_type[len] == '\0' || content_type[len] == ';' || content_type[len] == ' ';
}

/* Bearer secret, or X-Wapool-Signature over the raw body. */
static bool
webhook_authenticate(struct req *r, const struct route *route, const char **why)
{
	const char *authorization = req_param(r, "HTTP_AUTHORIZATION");
	const char *signature = req_param(r, "HTTP_X_WAPOOL_SIGNATURE");
	enum signature_result result;

	if (signature != NULL) {
		result = signature_verify(signature, route->secret, r->body.ptr, r->body.len,
		    (int64_t)time(NULL), r->app->config.webhook_replay_window);
		*why = signature_result_str(result);
		return result == SIGNATURE_OK;
	}
	if (authorization != NULL) {
		*why = "the bearer secret does not match the route's secret";
		return bearer_verify(authorization, route->secret);
	}
	*why = "send the route secret as \"Authorization: Bearer <secret>\" or sign the body "
	    "with X-Wapool-Signature";
	return false;
}

static void
template_missing(const char *name, void *arg)
{
	struct buf *missing = arg;

	buf_printf(missing, "%s%s", missing->len ? ", " : "", name);
}

/* Tenant and event names: what a route can hold, so anything else is a 404 at once. */
static bool
valid_segment(const char *s, size_t max)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

void
webhook_business(struct req *r)
{
	const char *tenant = r->params[0], *event = r->params[1], *why = NULL;
	struct webhook *w = xcalloc(1, sizeof(*w));
	struct intake_event *ev = &w->ev;
	struct route route = { 0 };
	char parse_error[160];
	struct json_object *payload = NULL;
	struct buf phone_text = BUF_INIT, missing = BUF_INIT;
	char escaped[256];
	enum phone_result phone_result;
	const char *header_key;
	int rc;

	w->r = r;
	ev->tenant_slug = tenant;
	ev->event = event;
	ev->content_type = r->content_type;
	ev->remote_addr = r->remote_addr;

	if (!valid_segment(tenant, 64) || !valid_segment(event, 100)) {
		json_error(r, 404, "unknown_route", "no route for this tenant and event");
		goto out;
	}
	if ((rc = route_cache_lookup(r->app->routes, r->db, tenant, event, &route)) != DB_OK) {
		json_unavailable(r);
		goto out;
	}
	ev->tenant_id = route.tenant_id;
	header_key = req_param(r, "HTTP_IDEMPOTENCY_KEY");
	ev->request_key = header_key;
	req_read_body(r, (size_t)r->app->config.webhook_max_body);
	if (route.tenant_id == 0) {
		webhook_reject(r, ev, 404, "unknown_tenant", "tenant \"%s\" does not exist", tenant);
		goto out;
	}
	if (route.route_id == 0) {
		webhook_reject(r, ev, 404, "unknown_event",
		    "tenant \"%s\" has no route for event \"%s\"", tenant, event);
		goto out;
	}
	if (r->body_too_large) {
		webhook_reject(r, ev, 413, "body_too_large", "the body is larger than %lld bytes",
		    r->app->config.webhook_max_body);
		goto out;
	}
	if (!webhook_authenticate(r, &route, &why)) {
		webhook_reject(r, ev, 401, "unauthorized", "%s", why);
		goto out;
	}
	if (!is_json_type(r->content_type)) {
		log_escape(r->content_type ? r->content_type : "(none)",
		    strlen(r->content_type ? r->content_type : "(none)"), escaped, sizeof(escaped));
		webhook_reject(r, ev, 415, "unsupported_media_type",
		    "Content-Type must be application/json, not %s", escaped);
		goto out;
	}
	if ((payload = req_json_object(r, (int)r->app->config.webhook_max_depth, parse_error,
	    sizeof(parse_error))) == NULL) {
		webhook_reject(r, ev, 400, "malformed_json", "%s", parse_error);
		goto out;
	}
	if (jsonpath_get_text(payload, route.phone_path, &phone_text) != 0) {
		webhook_reject(r, ev, 422, "missing_phone", "field %s (the phone) is missing",
		    route.phone_path);
		goto out;
	}
	if ((phone_result = phone_normalize(phone_text.ptr, w->phone, sizeof(w->phone))) !=
	    PHONE_OK) {
		log_escape(phone_text.ptr, phone_text.len, escaped, 64);
		webhook_reject(r, ev, 422, "invalid_phone", "field %s: \"%s\" is not a valid "
		    "phone number: %s", route.phone_path, escaped, phone_result_str(phone_result));
		goto out;
	}
	if (header_key != NULL && *header_key != '\0')
		buf_puts(&w->key, header_key);
	else if (route.key_path != NULL)
		(void)jsonpath_get_text(payload, route.key_path, &w->key);
	if (w->key.len > MAX_KEY_LENGTH) {
		webhook_reject(r, ev, 422, "key_too_long", "the idempotency key is longer than "
		    "%d characters", MAX_KEY_LENGTH);
		goto out;
	}
	if (ev->request_key == NULL && w->key.len > 0)
		ev->request_key = w->key.ptr;
	template_render(route.template, payload, &w->text, template_missing, &missing);
	if (missing.len > 0) {
		log_escape(missing.ptr, missing.len, escaped, sizeof(escaped));
		log_info("webhook %s/%s: template variables missing from the payload: %s",
		    tenant, event, escaped);
	}
	if (w->text.len > MAX_TEXT_LENGTH) {
		webhook_reject(r, ev, 422, "message_too_long", "the rendered message has %zu "
		    "bytes; the limit is %d", w->text.len, MAX_TEXT_LENGTH);
		goto out;
	}

	ev->http_status = 202;
	ev->idem_key = w->key.len > 0 ? w->key.ptr : NULL;
	ev->body = r->body.ptr;
	ev->body_size = r->body.len;
	ev->route_id = route.route_id;
	ev->pool_id = route.pool_id;
	ev->priority = route.priority;
	ev->recipient = w->phone;
	ev->text = buf_cstr(&w->text);
	ev->validity_seconds = route.validity_seconds;
	ev->max_attempts = (int)r->app->config.max_attempts;
	if (r->app->committer != NULL && r->fcgx != NULL) {
		/*
		 * The committer answers once the batch is committed, so this
		 * worker takes the next request meanwhile instead of sleeping
		 * until then and being woken for the answer: a third of
		 * wapool.fcgi's context switches per webhook.  From here on
		 * r and w belong to the committer thread.
		 */
		req_hand_off(r);
		committer_submit_async(r->app->committer, ev, webhook_committed, w);
		w = NULL;
		goto out;
	}
	webhook_answer(r, ev, webhook_store(r, ev));
out:
	if (payload != NULL)
		json_object_put(payload);
	route_free(&route);
	buf_free(&phone_text);
	buf_free(&missing);
	webhook_free(w);
}
