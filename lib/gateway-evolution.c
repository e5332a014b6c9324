/*
 * gateway-evolution.c: the Evolution API v2 driver (gateways.md section 1).
 *
 * Sends go to POST /message/sendText/{instance} with the instance token as
 * apikey; "typing" is POST /chat/sendPresence/{instance}, whose call blocks
 * for the delay on the gateway side (the daemon's event loop does not).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "gateway.h"
#include "util.h"

/* Evolution wants digits with the country code; our numbers are "+55...". */
static const char *
digits_of(const char *recipient)
{
	return recipient[0] == '+' ? recipient + 1 : recipient;
}

/* The instance's own token opens its routes; the global key opens all. */
static const char *
auth_key(const struct gateway_endpoint *e)
{
	return e->instance_token != NULL && e->instance_token[0] != '\0' ?
	    e->instance_token : e->api_key;
}

static void
json_request(struct gateway_request *out, const char *method, char *url,
    const struct gateway_endpoint *e, struct json_object *body)
{
	gateway_request_init(out, method, url);
	free(url);
	gateway_request_header(out, "apikey", auth_key(e));
	gateway_request_header(out, "Content-Type", "application/json");
	/* No "Expect: 100-continue" round trip for our small bodies. */
	gateway_request_header(out, "Expect", "");
	if (body != NULL) {
		out->body = xstrdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
		json_object_put(body);
	}
}

static int
evolution_build_text(const struct gateway_endpoint *e, const char *recipient, const char *text,
    struct gateway_request *out)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "number", json_object_new_string(digits_of(recipient)));
	json_object_object_add(body, "text", json_object_new_string(text));
	json_request(out, "POST", gateway_url(e->base_url, "/message/sendText/", e->instance_name),
	    e, body);
	return 0;
}

static int
evolution_build_typing(const struct gateway_endpoint *e, const char *recipient, int typing_ms,
    struct gateway_request *out)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "number", json_object_new_string(digits_of(recipient)));
	json_object_object_add(body, "presence", json_object_new_string("composing"));
	json_object_object_add(body, "delay", json_object_new_int(typing_ms));
	json_request(out, "POST", gateway_url(e->base_url, "/chat/sendPresence/", e->instance_name),
	    e, body);
	return 0;
}

/* Flatten response.message (string, array of strings, nested arrays, objects) to text. */
static void
message_text(struct json_object *message, char *out, size_t outsz)
{
	const char *s = json_object_is_type(message, json_type_string) ?
	    json_object_get_string(message) :
	    json_object_to_json_string_ext(message, JSON_C_TO_STRING_PLAIN);

	snprintf(out, outsz, "%s", s != NULL ? s : "");
}

/* True when response.message holds {"exists": false}: the number is not on WhatsApp. */
static bool
number_missing(struct json_object *message)
{
	size_t i, n;

	if (!json_object_is_type(message, json_type_array))
		return false;
	n = json_object_array_length(message);
	for (i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(message, i), *exists;

		if (json_object_is_type(item, json_type_object) &&
		    json_object_object_get_ex(item, "exists", &exists) &&
		    !json_object_get_boolean(exists))
			return true;
	}
	return false;
}

static void
evolution_parse_send(CURLcode curl_code, long http_status, const char *body, size_t len,
    struct send_result *out)
{
	struct json_object *root = NULL, *key, *id, *response, *message = NULL;
	char text[200] = "";

	memset(out, 0, sizeof(*out));
	out->signal = RATE_SIGNAL_OK;
	if (curl_code != CURLE_OK) {
		/* Never connected: the gateway is down, the message is blameless. */
		out->class = curl_code == CURLE_COULDNT_CONNECT || curl_code == CURLE_COULDNT_RESOLVE_HOST ?
		    SEND_UNAVAILABLE : SEND_RETRY;
		snprintf(out->error, sizeof(out->error), "gateway: %s", curl_easy_strerror(curl_code));
		return;
	}
	root = json_tokener_parse(len > 0 ? body : "null");
	if (root != NULL && json_object_object_get_ex(root, "response", &response))
		json_object_object_get_ex(response, "message", &message);
	if (message != NULL)
		message_text(message, text, sizeof(text));
	if (http_status >= 200 && http_status < 300) {
		out->class = SEND_OK;
		if (root != NULL && json_object_object_get_ex(root, "key", &key) &&
		    json_object_object_get_ex(key, "id", &id))
			snprintf(out->gateway_message_id, sizeof(out->gateway_message_id), "%s",
			    json_object_get_string(id));
	} else if (http_status == 400 && message != NULL && number_missing(message)) {
		out->class = SEND_PERMANENT;
		snprintf(out->error, sizeof(out->error), "number is not on WhatsApp");
	} else if (http_status == 400 && strstr(text, "not connected") == NULL &&
	    strstr(text, "Connection Closed") == NULL) {
		out->class = SEND_PERMANENT;
		snprintf(out->error, sizeof(out->error), "gateway refused the message (400): %s", text);
	} else if (http_status == 400 || http_status == 404 ||
	    (http_status >= 500 && (strstr(text, "Connection Closed") != NULL ||
	    strstr(text, "not connected") != NULL))) {
		/*
		 * The session is down (Baileys' "Connection Closed" escapes the
		 * send's try/catch as a 500): our outage, not the message's.
		 */
		out->class = SEND_UNAVAILABLE;
		snprintf(out->error, sizeof(out->error), "instance cannot send (%ld): %s",
		    http_status, text);
	} else if (http_status == 401 || http_status == 403) {
		/* Our key was refused or the number is forbidden: stop using this instance. */
		out->class = SEND_UNAVAILABLE;
		out->signal = http_status == 403 ? RATE_SIGNAL_WARNING : RATE_SIGNAL_OK;
		snprintf(out->error, sizeof(out->error), "gateway refused the instance (%ld): %s",
		    http_status, text);
	} else if (http_status == 429) {
		out->class = SEND_THROTTLED;
		out->signal = RATE_SIGNAL_429;
		snprintf(out->error, sizeof(out->error), "gateway rate limit (429)");
	} else {
		out->class = SEND_RETRY;
		snprintf(out->error, sizeof(out->error), "gateway error %ld: %s", http_status, text);
	}
	if (root != NULL)
		json_object_put(root);
}

static int
evolution_build_state(const struct gateway_endpoint *e, struct gateway_request *out)
{
	json_request(out, "GET", gateway_url(e->base_url, "/instance/connectionState/",
	    e->instance_name), e, NULL);
	return 0;
}

static enum gateway_state
evolution_parse_state(CURLcode curl_code, long http_status, const char *body, size_t len,
    char *detail, size_t detailsz)
{
	struct json_object *root = NULL, *instance, *state;
	enum gateway_state result = GATEWAY_STATE_UNREACHABLE;
	const char *s = NULL;

	if (curl_code != CURLE_OK) {
		snprintf(detail, detailsz, "%s", curl_easy_strerror(curl_code));
		return GATEWAY_STATE_UNREACHABLE;
	}
	if (http_status == 404) {
		snprintf(detail, detailsz, "the gateway does not know this instance");
		return GATEWAY_STATE_DISCONNECTED;
	}
	root = json_tokener_parse(len > 0 ? body : "null");
	if (http_status == 200 && root != NULL &&
	    json_object_object_get_ex(root, "instance", &instance) &&
	    json_object_object_get_ex(instance, "state", &state))
		s = json_object_get_string(state);
	if (s == NULL)
		snprintf(detail, detailsz, "unexpected answer (HTTP %ld)", http_status);
	else {
		snprintf(detail, detailsz, "state %s", s);
		if (strcmp(s, "open") == 0)
			result = GATEWAY_STATE_CONNECTED;
		else if (strcmp(s, "connecting") == 0)
			result = GATEWAY_STATE_CONNECTING;
		else if (strcmp(s, "refused") == 0)
			result = GATEWAY_STATE_REFUSED;
		else
			result = GATEWAY_STATE_DISCONNECTED;
	}
	if (root != NULL)
		json_object_put(root);
	return result;
}

const struct gateway_driver gateway_evolution = {
	.kind = "evolution",
	.build_text = evolution_build_text,
	.build_typing = evolution_build_typing,
	.parse_send = evolution_parse_send,
	.build_state = evolution_build_state,
	.parse_state = evolution_parse_state,
};
