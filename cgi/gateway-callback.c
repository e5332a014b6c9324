/*
 * gateway-callback.c: POST /webhook/gateway/evolution/{token}[/{event}],
 * the webhooks an Evolution API server posts about our instances.
 *
 * Raises 404 (wrong path token: the same answer as an unknown path, so
 * the endpoint does not reveal itself; Evolution does not retry a 404),
 * 413 (body over 1 MiB), 400 (malformed JSON, no event), 401 (the
 * envelope's apikey is neither the instance's token nor its gateway's
 * key), 503 (database down: Evolution retries).  Everything else is a
 * 200, also for events we do not use, unknown instances and unknown
 * message ids, because Evolution retries anything slow or non-2xx.
 *
 * messages.update moves a message forward only (sent < delivered <
 * read; failed only from sent); connection.update writes the instance's
 * session state.  Both are safe to receive twice or out of order.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "callbacks.h"
#include "handlers.h"
#include "log.h"
#include "util.h"
#include "wake.h"

#define CALLBACK_MAX_BODY	(1024 * 1024)
#define MAX_NAME_LENGTH		100	/* instances.name */
#define MAX_GATEWAY_ID_LENGTH	128	/* messages.gateway_message_id */

/* The envelope, as the handler sees it; strings point into the parsed tree. */
struct evo_envelope {
	const char		*event;
	const char		*instance;
	const char		*apikey;	/* NULL when absent or null */
	struct json_object	*data;
};

/* Evolution's status words (and renderStatus codes 0..5) -> ours; -1 for those we skip. */
static const struct {
	const char	*name;
	int		 code;
	int		 status;
} evo_statuses[] = {
	{ "ERROR",		0,	DELIVERY_FAILED },
	{ "PENDING",		1,	-1 },
	{ "SERVER_ACK",		2,	DELIVERY_SENT },
	{ "DELIVERY_ACK",	3,	DELIVERY_DELIVERED },
	{ "READ",		4,	DELIVERY_READ },
	{ "PLAYED",		5,	DELIVERY_READ },
	{ "DELETED",		-1,	-1 },
};

/* Evolution connection states -> instances.state. */
static const struct {
	const char	*name;
	const char	*state;
} evo_states[] = {
	{ "open",	"connected" },
	{ "connecting",	"connecting" },
	{ "close",	"disconnected" },
	{ "refused",	"refused" },
};

static const char *
json_string_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A status given as a word or as renderStatus' number; -1 when not one we act on. */
static int
evo_status(struct json_object *v)
{
	size_t i;

	if (json_object_is_type(v, json_type_int)) {
		int64_t code = json_object_get_int64(v);

		for (i = 0; i < ARRAY_SIZE(evo_statuses); i++)
			if (evo_statuses[i].code >= 0 && evo_statuses[i].code == code)
				return evo_statuses[i].status;
		return -1;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	for (i = 0; i < ARRAY_SIZE(evo_statuses); i++)
		if (strcmp(json_object_get_string(v), evo_statuses[i].name) == 0)
			return evo_statuses[i].status;
	return -1;
}

/* Parse the body into env; on failure answers 400 and returns -1. */
static int
evo_parse(struct req *r, struct json_object **tree, struct evo_envelope *env)
{
	struct json_object *o, *v;
	char why[160];
	int rc = -1;

	memset(env, 0, sizeof(*env));
	if ((o = req_json_object(r, (int)r->app->config.webhook_max_depth, why, sizeof(why))) ==
	    NULL) {
		json_error(r, 400, "malformed_json", "%s", why);
		goto out;
	}
	*tree = o;
	if ((env->event = json_string_member(o, "event")) == NULL) {
		json_error(r, 400, "missing_event", "the envelope has no \"event\" string");
		goto out;
	}
	env->instance = json_string_member(o, "instance");
	env->apikey = json_string_member(o, "apikey");
	if (json_object_object_get_ex(o, "apikey", &v) && v != NULL && env->apikey == NULL) {
		json_error(r, 400, "malformed_json", "\"apikey\" must be a string or null");
		goto out;
	}
	if (json_object_object_get_ex(o, "data", &v))
		env->data = v;
	rc = 0;
out:
	return rc;
}

/* apikey, when sent, must be the instance's token or its gateway's key. */
static bool
evo_apikey_valid(const struct evo_envelope *env, const struct callback_instance *in)
{
	size_t len;

	if (env->apikey == NULL)
		return true;
	len = strlen(env->apikey);
	/* Both compared every time, so the timing does not tell which one matched. */
	return (const_time_equal(env->apikey, len, in->token, strlen(in->token)) &
	    (in->token[0] != '\0')) |
	    (const_time_equal(env->apikey, len, in->gateway_key, strlen(in->gateway_key)) &
	    (in->gateway_key[0] != '\0'));
}

/* Counts for the answer: what each status in the batch did. */
struct evo_tally {
	long long	 results[DELIVERY_RESULT__MAX];
	long long	 skipped;
	bool		 acked;
};

/* One messages.update item (v2 {keyId, ...} or v1 {id, ...}); DB_OK or a DB_* error. */
static int
evo_delivery(struct req *r, const struct callback_instance *in, struct json_object *item,
    struct evo_tally *t)
{
	struct json_object *v;
	enum delivery_result result;
	const char *id;
	char escaped[300];
	int status, rc;

	if (!json_object_is_type(item, json_type_object)) {
		t->skipped++;
		return DB_OK;
	}
	/* Status changes of messages we received are not about our sends. */
	if (json_object_object_get_ex(item, "fromMe", &v) &&
	    json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)) {
		t->skipped++;
		return DB_OK;
	}
	if ((id = json_string_member(item, "keyId")) == NULL)
		id = json_string_member(item, "id");
	status = json_object_object_get_ex(item, "status", &v) ? evo_status(v) : -1;
	if (id == NULL || *id == '\0' || strlen(id) > MAX_GATEWAY_ID_LENGTH || status < 0) {
		t->skipped++;
		return DB_OK;
	}
	if (status == DELIVERY_SENT || status == DELIVERY_DELIVERED)
		t->acked = true;
	rc = callbacks_apply_delivery(r->db, in->id, id, (enum delivery_status)status,
	    status == DELIVERY_FAILED ? "the gateway reported ERROR (messages.update)" : NULL,
	    &result);
	if (rc != DB_OK)
		return rc;
	t->results[result]++;
	if (result == DELIVERY_UNKNOWN) {
		log_escape(id, strlen(id), escaped, sizeof(escaped));
		log_debug("gateway callback: %s for unknown message %s on instance %s",
		    delivery_status_str((enum delivery_status)status), escaped, in->name);
	}
	return DB_OK;
}

static void
evo_messages_update(struct req *r, const struct evo_envelope *env,
    const struct callback_instance *in)
{
	struct evo_tally t;
	struct json_object *o;
	bool recovered = false;
	size_t i, n;
	int rc = DB_OK;

	memset(&t, 0, sizeof(t));
	if (env->data != NULL && json_object_is_type(env->data, json_type_array)) {
		n = json_object_array_length(env->data);
		for (i = 0; i < n && rc == DB_OK; i++)
			rc = evo_delivery(r, in, json_object_array_get_idx(env->data, i), &t);
	} else
		rc = evo_delivery(r, in, env->data, &t);
	if (rc == DB_OK && t.acked && (rc = callbacks_note_ack(r->db, in, &recovered)) == DB_OK &&
	    recovered) {
		log_info("instance %s: acknowledgements are back; health degraded -> ok", in->name);
		wake_send_kind(r->app->wake, WAKE_RELOAD);
	}
	if (rc != DB_OK) {
		log_warnx("gateway callback: messages.update for %s not applied: %s", in->name,
		    db_error(r->db));
		json_unavailable(r);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string(env->event));
	for (i = 0; i < DELIVERY_RESULT__MAX; i++)
		json_object_object_add(o, delivery_result_str((enum delivery_result)i),
		    json_object_new_int64(t.results[i]));
	json_object_object_add(o, "skipped", json_object_new_int64(t.skipped));
	json_reply(r, 200, o);
}

static void
evo_connection_update(struct req *r, const struct evo_envelope *env,
    const struct callback_instance *in)
{
	const char *word = json_string_member(env->data, "state"), *state = NULL;
	const char *note = "";
	struct json_object *o, *v;
	char escaped[64], message[300];
	int64_t reason = 0;
	bool changed = false;
	size_t i;

	if (json_object_object_get_ex(env->data, "statusReason", &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_string)))
		reason = json_object_get_int64(v);
	for (i = 0; word != NULL && i < ARRAY_SIZE(evo_states); i++)
		if (strcmp(word, evo_states[i].name) == 0)
			state = evo_states[i].state;
	if (state == NULL) {
		log_escape(word != NULL ? word : "(none)", strlen(word != NULL ? word : "(none)"),
		    escaped, sizeof(escaped));
		log_info("gateway callback: instance %s: connection state \"%s\" ignored",
		    in->name, escaped);
		o = json_object_new_object();
		json_object_object_add(o, "event", json_object_new_string(env->event));
		json_object_object_add(o, "ignored", json_object_new_string("unknown state"));
		json_reply(r, 200, o);
		return;
	}
	/* Baileys' DisconnectReason: 403 forbidden (the number is banned), 401 logged out. */
	if (reason == 403 && strcmp(state, "connected") != 0) {
		state = "banned";
		note = " (statusReason 403: the number is banned)";
	} else if (reason == 401 && strcmp(state, "connected") != 0) {
		state = "disconnected";
		note = " (statusReason 401: logged out from the phone)";
	}
	if (callbacks_apply_connection(r->db, in, state, &changed) != DB_OK) {
		log_warnx("gateway callback: connection.update for %s not applied: %s", in->name,
		    db_error(r->db));
		json_unavailable(r);
		return;
	}
	if (changed) {
		/* The daemons act on the new state now, not at their next reload. */
		wake_send_kind(r->app->wake, WAKE_RELOAD);
		/* Coming up is news; going down is a warning. */
		if (strcmp(state, "connected") == 0 || strcmp(state, "connecting") == 0)
			log_info("instance %s: %s -> %s", in->name, in->state, state);
		else
			log_warnx("instance %s: %s -> %s%s", in->name, in->state, state, note);
		if (reason == 403 || reason == 401) {
			snprintf(message, sizeof(message), "instance %s: %s -> %s%s", in->name,
			    in->state, state, note);
			if (callbacks_alert(r->db, in, reason == 403 ? "instance_banned" :
			    "instance_logged_out", message) != DB_OK)
				log_warnx("gateway callback: alert not recorded: %s", db_error(r->db));
		}
	}
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string(env->event));
	json_object_object_add(o, "instance", json_object_new_string(in->name));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	json_reply(r, 200, o);
}

static void
evo_ignored(struct req *r, const char *event, const char *why)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "ignored", json_object_new_string(why));
	json_reply(r, 200, o);
}

/*
 * The entry point (router: AUTH_NONE, the path token is checked here).
 * Raises the codes listed at the top of this file.
 */
void
gateway_callback_evolution(struct req *r)
{
	const char *token = r->params[0], *expected = r->app->config.gateway_callback_token;
	struct json_object *tree = NULL;
	struct evo_envelope env;
	struct callback_instance in;
	char escaped[2 * MAX_NAME_LENGTH];
	bool messages;
	int rc;

	memset(&in, 0, sizeof(in));
	/* Read (and so drain) the body first: the connection stays usable whatever we answer. */
	req_read_body(r, CALLBACK_MAX_BODY);
	/* No token configured: the endpoint is closed, not open. */
	if (expected == NULL || *expected == '\0' ||
	    !const_time_equal(token, strlen(token), expected, strlen(expected))) {
		log_warnx("gateway callback from %s with a wrong path token", r->remote_addr);
		json_error(r, 404, "not_found", "no such endpoint");
		goto out;
	}
	if (r->body_too_large) {
		json_error(r, 413, "body_too_large", "the body is larger than %d bytes "
		    "(subscribe the webhook to MESSAGES_UPDATE and CONNECTION_UPDATE only)",
		    CALLBACK_MAX_BODY);
		goto out;
	}
	if (evo_parse(r, &tree, &env) != 0)
		goto out;
	messages = strcmp(env.event, "messages.update") == 0;
	/* Every other event (upserts, send.message, qrcode...) is acked unread: no write, no DB. */
	if (!messages && strcmp(env.event, "connection.update") != 0) {
		evo_ignored(r, env.event, "event not used");
		goto out;
	}
	if (env.instance == NULL && !messages)
		env.instance = json_string_member(env.data, "instance");
	if (env.instance == NULL || *env.instance == '\0' ||
	    strlen(env.instance) > MAX_NAME_LENGTH) {
		json_error(r, 400, "missing_instance", "the envelope has no valid \"instance\"");
		goto out;
	}
	if (env.data == NULL || (!json_object_is_type(env.data, json_type_object) &&
	    !(messages && json_object_is_type(env.data, json_type_array)))) {
		json_error(r, 400, "missing_data", "the envelope has no \"data\" object");
		goto out;
	}
	if ((rc = callbacks_instance_lookup(r->db, env.instance, &in)) == DB_NOT_FOUND) {
		log_escape(env.instance, strlen(env.instance), escaped, sizeof(escaped));
		log_info("gateway callback: %s for unknown instance \"%s\" ignored", env.event,
		    escaped);
		evo_ignored(r, env.event, "unknown instance");
		goto out;
	}
	if (rc != DB_OK) {
		json_unavailable(r);
		goto out;
	}
	if (!evo_apikey_valid(&env, &in)) {
		log_warnx("gateway callback for instance %s from %s: apikey matches neither the "
		    "instance's token nor its gateway's key", in.name, r->remote_addr);
		json_error(r, 401, "unauthorized", "apikey does not match the instance");
		goto out;
	}
	if (messages)
		evo_messages_update(r, &env, &in);
	else
		evo_connection_update(r, &env, &in);
out:
	callback_instance_free(&in);
	if (tree != NULL)
		json_object_put(tree);
}
