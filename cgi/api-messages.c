/*
 * api-messages.c: POST /api/messages, the send API for systems that are
 * not webhooks: {"tenant", "to", "text", optional "pool" or "instance"}.
 *
 * Raises 401 (router), 413 (body over 256 KiB), 415 (not JSON), 400
 * (malformed JSON, missing or wrong-typed field, both pool and instance),
 * 422 (invalid phone, text too long, unknown tenant/pool/instance, no pool
 * to choose), 503 (database down: nothing stored).  Answers 202
 * {message_id, status:"pending"} and rings the daemons.
 */
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "handlers.h"
#include "outbox.h"
#include "phone.h"
#include "wake.h"

#define MESSAGES_MAX_BODY	(256 * 1024)
#define MAX_TEXT_LENGTH		60000

/* The string member key of o: *out set (NULL when absent); false when present but not a string. */
static bool
member(struct json_object *o, const char *key, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	*out = json_object_get_string(v);
	if (**out == '\0')
		*out = NULL;
	return true;
}

void
api_messages_send(struct req *r)
{
	struct outbox_message m = { 0 };
	char parse_error[160];
	struct json_object *body = NULL, *o;
	struct buf why = BUF_INIT;
	const char *to = NULL, *ct = r->content_type;
	char phone[32];
	enum phone_result pr;
	long long id = 0;
	int rc;

	req_read_body(r, MESSAGES_MAX_BODY);
	if (r->body_too_large) {
		json_error(r, 413, "body_too_large", "the body is larger than %d bytes",
		    MESSAGES_MAX_BODY);
		goto out;
	}
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		json_error(r, 415, "unsupported_media_type", "Content-Type must be application/json");
		goto out;
	}
	if ((body = req_json_object(r, 16, parse_error, sizeof(parse_error))) == NULL) {
		json_error(r, 400, "malformed_json", "%s", parse_error);
		goto out;
	}
	if (!member(body, "tenant", &m.tenant) || !member(body, "to", &to) ||
	    !member(body, "text", &m.text) || !member(body, "pool", &m.pool) ||
	    !member(body, "instance", &m.instance)) {
		json_error(r, 400, "invalid_field", "tenant, to, text, pool and instance are strings");
		goto out;
	}
	if (m.tenant == NULL || to == NULL || m.text == NULL) {
		json_error(r, 400, "missing_field", "tenant, to and text are required");
		goto out;
	}
	if (m.pool != NULL && m.instance != NULL) {
		json_error(r, 400, "invalid_field", "give pool or instance, not both");
		goto out;
	}
	if ((pr = phone_normalize(to, phone, sizeof(phone))) != PHONE_OK) {
		json_error(r, 422, "invalid_phone", "\"to\" is not a valid phone number: %s",
		    phone_result_str(pr));
		goto out;
	}
	if (strlen(m.text) > MAX_TEXT_LENGTH) {
		json_error(r, 422, "message_too_long", "text has %zu bytes; the limit is %d",
		    strlen(m.text), MAX_TEXT_LENGTH);
		goto out;
	}
	m.recipient = phone;
	m.priority = 10;
	m.max_attempts = (int)r->app->config.max_attempts;
	rc = outbox_enqueue(r->db, &m, &id, &why);
	if (rc == DB_NOT_FOUND || rc == DB_CONFLICT) {
		json_error(r, 422, rc == DB_NOT_FOUND ? "unknown_reference" : "no_pool", "%s",
		    buf_cstr(&why));
		goto out;
	}
	if (rc != DB_OK) {
		json_unavailable(r);
		goto out;
	}
	wake_send(r->app->wake);
	o = json_object_new_object();
	json_object_object_add(o, "message_id", json_object_new_int64(id));
	json_object_object_add(o, "status", json_object_new_string("pending"));
	json_object_object_add(o, "to", json_object_new_string(phone));
	json_reply(r, 202, o);
out:
	if (body != NULL)
		json_object_put(body);
	buf_free(&why);
}
