/* evolution.c: the Evolution API v2 (2.3.6) routes of the simulator. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "sim.h"

/*
 * Contract: the design notes' gateways.md (../shared/design/) section 1, checked against the
 * Evolution sources (src/main.ts error handler, guards/, abstract.router.ts
 * dataValidate, instance.controller.ts, whatsapp.baileys.service.ts).
 *
 * Request pipeline, in Express order:
 *   1. body-parser: a Content-Type of application/json with a bad body is a
 *      400 whose "error" is "Internal Server Error" (http-errors objects have
 *      no .error) and whose message is a plain string;
 *   2. route match, else 404 ["Cannot GET /x"];
 *   3. instanceExistsGuard: unknown {instanceName} -> 404 before auth;
 *   4. instanceLoggedGuard (create only): name in use -> 403 before auth;
 *   5. authGuard: apikey header = global key, or the instance's token on
 *      its own routes -> else 401 "Unauthorized" (a string);
 *   6. JSON-schema validation -> 400 with a nested message [["..."]];
 *   7. the controller.
 */

enum evo_auth {
	AUTH_NONE,
	AUTH_GLOBAL,		/* global key only */
	AUTH_INSTANCE,		/* global key or this instance's token */
	AUTH_FETCH,		/* global key or any instance token */
};

enum evo_event {
	EV_QRCODE_UPDATED,
	EV_CONNECTION_UPDATE,
	EV_MESSAGES_UPDATE,
	EV_SEND_MESSAGE,
	EV__MAX
};

static const struct {
	const char	*conf;		/* events[] / env name */
	const char	*name;		/* "event" field */
	const char	*path;		/* byEvents suffix */
} events[EV__MAX] = {
	{ "QRCODE_UPDATED", "qrcode.updated", "qrcode-updated" },
	{ "CONNECTION_UPDATE", "connection.update", "connection-update" },
	{ "MESSAGES_UPDATE", "messages.update", "messages-update" },
	{ "SEND_MESSAGE", "send.message", "send-message" },
};

struct evo_ctx {
	struct sim_req	*r;
	char		*name;		/* {instanceName}, or NULL */
	json_object	*body;		/* always an object */
	const char	*apikey;
	bool		 global;	/* authenticated with the global key */
};

/* Where one webhook goes; filled under the lock, freed by evo_hook_post. */
struct evo_hook {
	char	*url;
	char	*destination;
	char	*headers;
	char	*apikey;
	char	*sender;
	char	*instance;
};

static void evo_welcome(struct evo_ctx *);
static void evo_create(struct evo_ctx *);
static void evo_fetch(struct evo_ctx *);
static void evo_connect(struct evo_ctx *);
static void evo_state(struct evo_ctx *);
static void evo_restart(struct evo_ctx *);
static void evo_logout(struct evo_ctx *);
static void evo_delete(struct evo_ctx *);
static void evo_set_presence(struct evo_ctx *);
static void evo_webhook_set(struct evo_ctx *);
static void evo_webhook_find(struct evo_ctx *);
static void evo_send_presence(struct evo_ctx *);
static void evo_numbers(struct evo_ctx *);
static void evo_send_text(struct evo_ctx *);
static void evo_send_media(struct evo_ctx *);

/* The sitemap.  `path` ends in '/' when it takes {instanceName}. */
static const struct evo_route {
	const char	*method;
	const char	*path;
	enum evo_auth	 auth;
	void		(*fn)(struct evo_ctx *);
} routes[] = {
	{ "GET", "/", AUTH_NONE, evo_welcome },
	{ "POST", "/instance/create", AUTH_GLOBAL, evo_create },
	{ "GET", "/instance/fetchInstances", AUTH_FETCH, evo_fetch },
	{ "GET", "/instance/connect/", AUTH_INSTANCE, evo_connect },
	{ "GET", "/instance/connectionState/", AUTH_INSTANCE, evo_state },
	{ "POST", "/instance/restart/", AUTH_INSTANCE, evo_restart },
	{ "DELETE", "/instance/logout/", AUTH_INSTANCE, evo_logout },
	{ "DELETE", "/instance/delete/", AUTH_INSTANCE, evo_delete },
	{ "POST", "/instance/setPresence/", AUTH_INSTANCE, evo_set_presence },
	{ "POST", "/webhook/set/", AUTH_INSTANCE, evo_webhook_set },
	{ "GET", "/webhook/find/", AUTH_INSTANCE, evo_webhook_find },
	{ "POST", "/chat/sendPresence/", AUTH_INSTANCE, evo_send_presence },
	{ "POST", "/chat/whatsappNumbers/", AUTH_INSTANCE, evo_numbers },
	{ "POST", "/message/sendText/", AUTH_INSTANCE, evo_send_text },
	{ "POST", "/message/sendMedia/", AUTH_INSTANCE, evo_send_media },
};

/* Evolution answers every path that no sibling gateway claimed. */
bool
evo_match(const char *url)
{
	(void)url;
	return true;
}

/* ---------------------------------------------------------------- errors */

/* {"status":N,"error":"<reason>","response":{"message":<msg>}} */
static void
evo_error(struct sim_req *r, unsigned status, const char *reason,
    json_object *msg)
{
	json_object *o = json_object_new_object(), *resp;

	if (reason == NULL)
		reason = MHD_get_reason_phrase_for(status);
	resp = json_object_new_object();
	json_object_object_add(resp, "message", msg);
	json_object_object_add(o, "status", json_object_new_int((int)status));
	json_object_object_add(o, "error", json_object_new_string(reason));
	json_object_object_add(o, "response", resp);
	req_reply_json(r, status, o);
}

/* Error whose message is ["<formatted text>"] (HttpException style). */
static void SIM_PRINTF(3, 4)
evo_errorf(struct sim_req *r, unsigned status, const char *fmt, ...)
{
	json_object *a = json_object_new_array();
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	json_object_array_add(a, json_object_new_string(s ? s : "error"));
	free(s);
	evo_error(r, status, NULL, a);
}

/* JSON-schema failure: 400 with the messages nested, [["...", ...]]. */
static void
evo_schema_error(struct sim_req *r, json_object *msgs)
{
	json_object *a = json_object_new_array();

	json_object_array_add(a, msgs);
	evo_error(r, 400, NULL, a);
}

/* What Baileys throws when the socket is not open; uncaught -> 500. */
static void
evo_closed_error(struct sim_req *r)
{
	evo_error(r, 500, NULL, json_object_new_string("Connection Closed"));
}

/* ------------------------------------------------------------- validation */

struct schema_field {
	const char	*key;
	json_type	 type;		/* json_type_null: any */
	bool		 required;
	const char	*description;	/* replaces the stack message */
};

/*
 * Checks `o` against a flat schema the way the jsonschema package does and
 * appends one message per failure to `msgs`: the field's description if it
 * has one, else "instance requires property \"x\"" / "x is not of a
 * type(s) string".  Returns true if valid.
 */
static bool
schema_check(json_object *o, const struct schema_field *f, size_t n,
    json_object *msgs, const char *prefix)
{
	static const char *const tnames[] = {
		[json_type_null] = "null", [json_type_boolean] = "boolean",
		[json_type_double] = "number", [json_type_int] = "integer",
		[json_type_object] = "object", [json_type_array] = "array",
		[json_type_string] = "string",
	};
	size_t i, before = json_object_array_length(msgs);

	for (i = 0; i < n; i++) {
		json_object *v;
		json_type t;
		char *m;

		if (!json_object_object_get_ex(o, f[i].key, &v)) {
			if (!f[i].required)
				continue;
			m = xasprintf("%s requires property \"%s\"",
			    prefix, f[i].key);
		} else {
			t = json_object_get_type(v);
			if (f[i].type == json_type_null || t == f[i].type ||
			    (f[i].type == json_type_double &&
			    t == json_type_int))
				continue;
			m = f[i].description != NULL ?
			    xstrdup(f[i].description) :
			    xasprintf("%s%s%s is not of a type(s) %s",
			    strcmp(prefix, "instance") == 0 ? "" : prefix,
			    strcmp(prefix, "instance") == 0 ? "" : ".",
			    f[i].key, tnames[f[i].type]);
		}
		json_object_array_add(msgs, json_object_new_string(m));
		free(m);
	}
	return json_object_array_length(msgs) == before;
}

/* Validates the body; on failure answers 400 and returns false. */
static bool
validate(struct evo_ctx *c, const struct schema_field *f, size_t n)
{
	json_object *msgs = json_object_new_array();

	if (schema_check(c->body, f, n, msgs, "instance")) {
		json_object_put(msgs);
		return true;
	}
	evo_schema_error(c->r, msgs);
	return false;
}

#define VALIDATE(c, f) validate((c), (f), sizeof(f) / sizeof((f)[0]))

/* --------------------------------------------------------------- numbers */

/*
 * createJid(): "+55 (11) 9..." -> "5511...@s.whatsapp.net"; JIDs pass
 * through; long or dashed ids are groups.  (The Brazil/Mexico ninth-digit
 * rewriting of the real server is not simulated.)  *num gets the digits.
 */
static void
evo_jid(const char *in, char **jid, char **num)
{
	char *s, *o;
	const char *p;
	bool dash = false;

	*num = norm_number(in);
	if (strstr(in, "@g.us") != NULL ||
	    strstr(in, "@s.whatsapp.net") != NULL ||
	    strstr(in, "@lid") != NULL || strstr(in, "@broadcast") != NULL) {
		*jid = xstrdup(in);
		return;
	}
	s = o = xmalloc(strlen(in) + 1);
	for (p = in; *p != '\0' && *p != ':' && *p != '@'; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '-')
			*o++ = *p;
		dash |= *p == '-';
	}
	*o = '\0';
	if (dash && strlen(s) >= 24)
		*jid = xasprintf("%s@g.us", s);
	else if (strlen(*num) >= 18)
		*jid = xasprintf("%s@g.us", *num);
	else
		*jid = xasprintf("%s@s.whatsapp.net", *num);
	free(s);
}

static bool
is_group(const char *jid)
{
	size_t n = strlen(jid);

	return n > 5 && strcmp(jid + n - 5, "@g.us") == 0;
}

/* {"jid":..., "exists":false, "number":...} as thrown by sendMessage. */
static json_object *
not_exists(const char *jid, const char *number)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jid", json_object_new_string(jid));
	json_object_object_add(o, "exists", json_object_new_boolean(0));
	json_object_object_add(o, "number", json_object_new_string(number));
	return o;
}

/* -------------------------------------------------------------- webhooks */

static bool
hook_wants(const struct sim_webhook *w, enum evo_event ev)
{
	size_t i;

	if (w->n_events == 0)
		return true;
	for (i = 0; i < w->n_events; i++)
		if (strcasecmp(w->events[i], events[ev].conf) == 0 ||
		    strcasecmp(w->events[i], events[ev].name) == 0)
			return true;
	return false;
}

/*
 * Where event `ev` of `in` goes: the instance webhook if enabled and
 * subscribed, else the global --webhook-url.  Lock held.  False: nowhere.
 */
static bool
evo_hook_locked(const struct sim_instance *in, enum evo_event ev,
    struct evo_hook *h)
{
	const struct sim_webhook *w = &in->webhook;

	memset(h, 0, sizeof(*h));
	if (w->enabled && w->url != NULL) {
		if (!hook_wants(w, ev))
			return false;
		h->destination = xstrdup(w->url);
		h->url = w->by_events ?
		    xasprintf("%s/%s", w->url, events[ev].path) :
		    xstrdup(w->url);
		h->headers = xstrdup(w->headers);
	} else if (sim_cfg.webhook_url != NULL) {
		h->destination = xstrdup(sim_cfg.webhook_url);
		h->url = xstrdup(sim_cfg.webhook_url);
	} else
		return false;
	h->apikey = xstrdup(in->token);
	h->sender = xstrdup(in->owner_jid);
	h->instance = xstrdup(in->name);
	return true;
}

static void
hook_free(struct evo_hook *h)
{
	free(h->url);
	free(h->destination);
	free(h->headers);
	free(h->apikey);
	free(h->sender);
	free(h->instance);
	memset(h, 0, sizeof(*h));
}

/*
 * Wraps `data` (owned) in the v2 envelope and schedules the POST in
 * `delay_ms`; `seq`/`ack` move a send's ack forward when it is due.
 * Frees the hook's strings.
 */
static void
evo_hook_post(struct evo_hook *h, enum evo_event ev, json_object *data,
    int64_t delay_ms, uint64_t seq, enum sim_ack ack)
{
	json_object *o = json_object_new_object();
	char when[32];

	/* Evolution prints local wall time with a "Z" (see gateways.md). */
	iso_time(when, now_real_ms() + delay_ms, true);
	json_object_object_add(o, "event",
	    json_object_new_string(events[ev].name));
	json_object_object_add(o, "instance", json_object_new_string(h->instance));
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "destination",
	    json_object_new_string(h->destination));
	json_object_object_add(o, "date_time", json_object_new_string(when));
	json_object_object_add(o, "sender", json_str_or_null(h->sender));
	json_object_object_add(o, "server_url",
	    json_object_new_string(sim_cfg.server_url));
	json_object_object_add(o, "apikey", json_str_or_null(h->apikey));
	webhook_post(delay_ms, h->url, h->headers,
	    xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)), seq, ack);
	json_object_put(o);
	hook_free(h);
}

/*
 * Sets the state of `in` and posts connection.update {instance, state,
 * statusReason} (plus wuid/profileName when it opens).  Lock held; rare,
 * so building the small body under the lock is fine.
 */
void
evo_set_state_locked(struct sim_instance *in, enum sim_state st, int reason)
{
	struct evo_hook h;
	json_object *d;

	if (in->state == st && st != SIM_OPEN)
		return;
	in->state = st;
	in->updated_ms = now_real_ms();
	if (st == SIM_CLOSE && reason != 200) {
		in->disconnection_code = reason;
		in->disconnection_ms = in->updated_ms;
	}
	if (!evo_hook_locked(in, EV_CONNECTION_UPDATE, &h))
		return;
	d = json_object_new_object();
	json_object_object_add(d, "instance", json_object_new_string(in->name));
	if (st == SIM_OPEN) {
		json_object_object_add(d, "wuid", json_str_or_null(in->owner_jid));
		json_object_object_add(d, "profileName",
		    json_str_or_null(in->profile_name));
		json_object_object_add(d, "profilePictureUrl", NULL);
	}
	json_object_object_add(d, "state",
	    json_object_new_string(sim_state_name(st)));
	json_object_object_add(d, "statusReason", json_object_new_int(reason));
	evo_hook_post(&h, EV_CONNECTION_UPDATE, d, 0, 0, SIM_ACK_NONE);
}

/* -------------------------------------------------------------- dispatch */

/*
 * Entry point for every non-control path.  Runs the Express pipeline
 * described at the top of this file, then the route's handler.
 */
void
evo_handle(struct sim_req *r)
{
	const struct evo_route *rt = NULL;
	struct evo_ctx c;
	const char *ctype, *rest = NULL;
	struct sim_instance *in;
	int latency = 0;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.r = r;

	/* 1. body-parser (json only for application/json, as Express). */
	ctype = req_header(r, "Content-Type");
	if (ctype != NULL && strncasecmp(ctype, "application/json", 16) == 0 &&
	    r->body_len > 0) {
		json_tokener *tok = json_tokener_new();
		enum json_tokener_error err;

		c.body = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
		err = json_tokener_get_error(tok);
		if (c.body != NULL && err == json_tokener_success) {
			size_t end = json_tokener_get_parse_end(tok);

			while (end < r->body_len && (r->body[end] == ' ' ||
			    r->body[end] == '\t' || r->body[end] == '\n' ||
			    r->body[end] == '\r'))
				end++;
			if (end < r->body_len) {	/* trailing garbage */
				json_object_put(c.body);
				c.body = NULL;
			}
		}
		if (c.body == NULL || err != json_tokener_success ||
		    !(json_object_is_type(c.body, json_type_object) ||
		    json_object_is_type(c.body, json_type_array))) {
			char *m = xasprintf("Unexpected token in JSON at "
			    "position %zu", json_tokener_get_parse_end(tok));

			json_object_put(c.body);
			json_tokener_free(tok);
			evo_error(r, 400, "Internal Server Error",
			    json_object_new_string(m));
			free(m);
			return;
		}
		json_tokener_free(tok);
	}
	if (c.body == NULL || !json_object_is_type(c.body, json_type_object)) {
		json_object_put(c.body);
		c.body = json_object_new_object();
	}

	/* 2. route */
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);

		if (strcmp(r->method, routes[i].method) != 0)
			continue;
		if (routes[i].path[n - 1] != '/' || n == 1) {
			if (strcmp(r->url, routes[i].path) == 0 ||
			    (n > 1 && strncmp(r->url, routes[i].path, n) == 0 &&
			    strcmp(r->url + n, "/") == 0)) {
				rt = &routes[i];
				break;
			}
			continue;
		}
		if (strncmp(r->url, routes[i].path, n) == 0 &&
		    r->url[n] != '\0' && r->url[n] != '/') {
			const char *slash = strchr(r->url + n, '/');

			/* Express: ":instanceName" stops at '/', one trailing
			 * slash is tolerated. */
			if (slash != NULL && slash[1] != '\0')
				continue;
			rt = &routes[i];
			rest = r->url + n;
			c.name = slash != NULL ?
			    xasprintf("%.*s", (int)(slash - rest), rest) :
			    xstrdup(rest);
			break;
		}
	}
	if (rt == NULL) {
		evo_errorf(r, 404, "Cannot %s %s", r->method, r->url);
		goto out;
	}

	/* 3-5. guards */
	c.apikey = req_header(r, "apikey");
	sim_lock();
	in = c.name != NULL ? state_find_locked(c.name) : NULL;
	if (c.name != NULL && in == NULL) {
		sim_unlock();
		evo_errorf(r, 404, "The \"%s\" instance does not exist",
		    c.name);
		goto out;
	}
	if (rt->fn == evo_create) {
		const char *nm = json_get_str(c.body, "instanceName");

		if (nm != NULL && state_find_locked(nm) != NULL) {
			sim_unlock();
			evo_errorf(r, 403, "This name \"%s\" is already in use.",
			    nm);
			goto out;
		}
	}
	if (rt->auth != AUTH_NONE) {
		bool ok = false;

		if (c.apikey != NULL && strcmp(c.apikey, sim_cfg.api_key) == 0)
			ok = c.global = true;
		else if (c.apikey != NULL && rt->auth == AUTH_INSTANCE)
			ok = in->token != NULL &&
			    strcmp(in->token, c.apikey) == 0;
		else if (c.apikey != NULL && rt->auth == AUTH_FETCH) {
			struct sim_instance *x;

			for (x = state_first_locked(); x != NULL; x = x->next)
				if (x->token != NULL &&
				    strcmp(x->token, c.apikey) == 0)
					ok = true;
		}
		if (!ok) {
			sim_unlock();
			evo_error(r, 401, NULL,
			    json_object_new_string("Unauthorized"));
			goto out;
		}
	}
	if (in != NULL)
		latency = in->knobs.latency_ms;
	sim_unlock();

	/* A slow gateway: only this connection's thread waits. */
	sim_sleep_ms(latency);
	rt->fn(&c);
out:
	free(c.name);
	json_object_put(c.body);
}

/* --------------------------------------------------------------- helpers */

/* Finds the path instance again after the guards (it may be gone). */
static struct sim_instance *
ctx_instance_locked(struct evo_ctx *c)
{
	struct sim_instance *in = state_find_locked(c->name);

	if (in == NULL) {
		sim_unlock();
		evo_errorf(c->r, 404, "The \"%s\" instance does not exist",
		    c->name);
	}
	return in;
}

static json_object *
state_json(const char *name, enum sim_state st)
{
	json_object *o = json_object_new_object(), *i = json_object_new_object();

	json_object_object_add(i, "instanceName", json_object_new_string(name));
	json_object_object_add(i, "state",
	    json_object_new_string(sim_state_name(st)));
	json_object_object_add(o, "instance", i);
	return o;
}

/* The 200 {error:true, message} that connect/restart answer on failure. */
static void
caught_error(struct sim_req *r, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_boolean(1));
	json_object_object_add(o, "message", json_object_new_string(msg));
	req_reply_json(r, 200, o);
}

/* Makes a new QR (and pairing code if `number`), count + 1.  Lock held. */
static void
qr_new_locked(struct sim_instance *in, const char *number)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char pc[] = "ABCDEFGHJKLMNPQRSTVWXYZ0123456789";
	char raw[160], pair[9];
	size_t i;

	for (i = 0; i < sizeof(raw) - 1; i++)
		raw[i] = b64[rand_u64() % 64];
	raw[sizeof(raw) - 1] = '\0';
	free(in->qr_code);
	/* "2@<ref>,<noise key>,<identity key>,<adv secret>" like Baileys */
	in->qr_code = xasprintf("2@%.*s,%.*s=,%.*s=,%.*s=", 88, raw, 43,
	    raw + 88, 20, raw + 131, 8, raw + 151);
	free(in->pairing_code);
	in->pairing_code = NULL;
	if (number != NULL && *number != '\0') {
		for (i = 0; i < 8; i++)
			pair[i] = pc[rand_u64() % (sizeof(pc) - 1)];
		pair[8] = '\0';
		in->pairing_code = xstrdup(pair);
	}
	in->qr_count++;
}

/* {pairingCode, code, base64, count}; builds the PNG (call unlocked). */
static json_object *
qr_json(const char *code, const char *pairing, int count)
{
	json_object *o = json_object_new_object();
	char *png = png_qr_data_url(code != NULL ? code : "");

	json_object_object_add(o, "pairingCode", json_str_or_null(pairing));
	json_object_object_add(o, "code", json_str_or_null(code));
	json_object_object_add(o, "base64", json_object_new_string(png));
	json_object_object_add(o, "count", json_object_new_int(count));
	free(png);
	return o;
}

/* Moves a closed instance to connecting with a fresh QR; posts the
 * connection.update and qrcode.updated webhooks.  Lock held, released. */
static json_object *
start_connecting_unlock(struct sim_instance *in, const char *number)
{
	struct evo_hook h;
	bool hook;
	char *code, *pairing;
	int count;
	json_object *qr, *d, *q;

	evo_set_state_locked(in, SIM_CONNECTING, 200);
	qr_new_locked(in, number);
	code = xstrdup(in->qr_code);
	pairing = xstrdup(in->pairing_code);
	count = in->qr_count;
	hook = evo_hook_locked(in, EV_QRCODE_UPDATED, &h);
	sim_unlock();
	qr = qr_json(code, pairing, count);
	if (hook) {
		d = json_object_new_object();
		q = json_object_new_object();
		json_object_object_add(q, "instance",
		    json_object_new_string(h.instance));
		json_object_object_add(q, "pairingCode", json_str_or_null(pairing));
		json_object_object_add(q, "code", json_str_or_null(code));
		json_object_object_add(q, "base64", json_object_get(
		    json_object_object_get(qr, "base64")));
		json_object_object_add(d, "qrcode", q);
		evo_hook_post(&h, EV_QRCODE_UPDATED, d, 0, 0, SIM_ACK_NONE);
	}
	free(code);
	free(pairing);
	return qr;
}

/* ---------------------------------------------------------------- routes */

/* GET /: 200, no key needed. */
static void
evo_welcome(struct evo_ctx *c)
{
	json_object *o = json_object_new_object();
	char *mgr = xasprintf("%s/manager", sim_cfg.server_url);

	json_object_object_add(o, "status", json_object_new_int(200));
	json_object_object_add(o, "message", json_object_new_string(
	    "Welcome to the Evolution API, it is working!"));
	json_object_object_add(o, "version", json_object_new_string("2.3.6"));
	json_object_object_add(o, "clientName",
	    json_object_new_string("evolution_exchange"));
	json_object_object_add(o, "manager", json_object_new_string(mgr));
	json_object_object_add(o, "documentation",
	    json_object_new_string("https://doc.evolution-api.com"));
	json_object_object_add(o, "whatsappWebVersion",
	    json_object_new_string("2.3000.1028450032"));
	free(mgr);
	req_reply_json(c->r, 200, o);
}

static bool
is_url(const char *s)
{
	return s != NULL && (strncmp(s, "http://", 7) == 0 ||
	    strncmp(s, "https://", 8) == 0) && strlen(s) > 8;
}

/* Copies a webhook object {url, byEvents, base64, headers, events}. */
static void
webhook_from_json(struct sim_webhook *w, json_object *o, bool enabled)
{
	json_object *v;
	size_t i, n;

	free(w->url);
	free(w->headers);
	xfree_strv(w->events, w->n_events);
	w->events = NULL;
	w->n_events = 0;
	w->enabled = enabled;
	w->url = xstrdup(json_get_str(o, "url"));
	w->by_events = w->base64 = false;
	json_get_bool(o, "byEvents", &w->by_events);
	json_get_bool(o, "base64", &w->base64);
	w->headers = json_object_object_get_ex(o, "headers", &v) &&
	    json_object_is_type(v, json_type_object) ?
	    xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)) :
	    NULL;
	if (json_object_object_get_ex(o, "events", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		w->events = xcalloc(n + 1, sizeof(char *));
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (json_object_is_type(e, json_type_string))
				w->events[w->n_events++] =
				    xstrdup(json_object_get_string(e));
		}
	}
	if (w->id == NULL) {
		char uuid[37];

		rand_uuid(uuid, false);
		w->id = xstrdup(uuid);
		w->created_ms = now_real_ms();
	}
	w->updated_ms = now_real_ms();
}

static json_object *
settings_json(const struct sim_settings *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rejectCall",
	    json_object_new_boolean(s->reject_call));
	json_object_object_add(o, "msgCall", json_object_new_string(s->msg_call));
	json_object_object_add(o, "groupsIgnore",
	    json_object_new_boolean(s->groups_ignore));
	json_object_object_add(o, "alwaysOnline",
	    json_object_new_boolean(s->always_online));
	json_object_object_add(o, "readMessages",
	    json_object_new_boolean(s->read_messages));
	json_object_object_add(o, "readStatus",
	    json_object_new_boolean(s->read_status));
	json_object_object_add(o, "syncFullHistory",
	    json_object_new_boolean(s->sync_full_history));
	return o;
}

/*
 * POST /instance/create (global key).  201 created; 403 name in use (in
 * the guards); 400 [["..."]] schema, ["Invalid integration"], ["number is
 * required"] (WHATSAPP-BUSINESS), ["Invalid \"url\" property"] (webhook).
 */
static void
evo_create(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "instanceName", json_type_string, false, NULL },
		{ "token", json_type_string, false, NULL },
		{ "number", json_type_string, false, NULL },
		{ "qrcode", json_type_boolean, false, NULL },
		{ "integration", json_type_string, false, NULL },
		{ "webhook", json_type_object, false, NULL },
		{ "rejectCall", json_type_boolean, false, NULL },
		{ "msgCall", json_type_string, false, NULL },
		{ "groupsIgnore", json_type_boolean, false, NULL },
		{ "alwaysOnline", json_type_boolean, false, NULL },
		{ "readMessages", json_type_boolean, false, NULL },
		{ "readStatus", json_type_boolean, false, NULL },
		{ "syncFullHistory", json_type_boolean, false, NULL },
	};
	const char *name, *integ, *number, *token, *wurl = NULL;
	json_object *wh = NULL, *o, *inst, *w, *x, *qr = NULL;
	struct sim_instance *in;
	struct sim_settings st;
	bool qrcode = false, business;
	char uuid[37], *id, *hash;

	if (!VALIDATE(c, f))
		return;
	name = json_get_str(c->body, "instanceName");
	if (name == NULL || *name == '\0') {
		x = json_object_new_array();
		json_object_array_add(x, json_object_new_string(
		    "The \"instanceName\" cannot be empty"));
		evo_schema_error(c->r, x);
		return;
	}
	integ = json_get_str(c->body, "integration");
	if (integ == NULL || (strcmp(integ, "WHATSAPP-BAILEYS") != 0 &&
	    strcmp(integ, "WHATSAPP-BUSINESS") != 0 &&
	    strcmp(integ, "EVOLUTION") != 0)) {
		evo_errorf(c->r, 400, "Invalid integration");
		return;
	}
	business = strcmp(integ, "WHATSAPP-BAILEYS") != 0;
	number = json_get_str(c->body, "number");
	if (strcmp(integ, "WHATSAPP-BUSINESS") == 0 && number == NULL) {
		evo_errorf(c->r, 400, "number is required");
		return;
	}
	if (json_object_object_get_ex(c->body, "webhook", &wh)) {
		wurl = json_get_str(wh, "url");
		if (wurl != NULL && !is_url(wurl)) {
			evo_errorf(c->r, 400, "Invalid \"url\" property");
			return;
		}
	}
	json_get_bool(c->body, "qrcode", &qrcode);
	token = json_get_str(c->body, "token");
	if (token == NULL || *token == '\0') {
		rand_uuid(uuid, true);
		token = uuid;
	}

	memset(&st, 0, sizeof(st));
	json_get_bool(c->body, "rejectCall", &st.reject_call);
	json_get_bool(c->body, "groupsIgnore", &st.groups_ignore);
	json_get_bool(c->body, "alwaysOnline", &st.always_online);
	json_get_bool(c->body, "readMessages", &st.read_messages);
	json_get_bool(c->body, "readStatus", &st.read_status);
	json_get_bool(c->body, "syncFullHistory", &st.sync_full_history);
	st.msg_call = (char *)json_get_str(c->body, "msgCall");
	if (st.msg_call == NULL)
		st.msg_call = (char *)"";

	sim_lock();
	if (state_find_locked(name) != NULL) {	/* lost a race */
		sim_unlock();
		evo_errorf(c->r, 403, "This name \"%s\" is already in use.",
		    name);
		return;
	}
	in = state_add_locked(name);
	in->token = xstrdup(token);
	in->integration = xstrdup(integ);
	in->number = xstrdup(number);
	free(in->settings.msg_call);
	in->settings = st;
	in->settings.msg_call = xstrdup(st.msg_call);
	if (wurl != NULL)
		webhook_from_json(&in->webhook, wh, true);
	if (business)			/* Cloud API channels start open */
		in->state = SIM_OPEN;
	id = xstrdup(in->id);
	hash = xstrdup(in->token);
	if (qrcode && !business)	/* the real server also waits 5 s */
		qr = start_connecting_unlock(in, number);
	else
		sim_unlock();

	o = json_object_new_object();
	inst = json_object_new_object();
	json_object_object_add(inst, "instanceName", json_object_new_string(name));
	json_object_object_add(inst, "instanceId", json_object_new_string(id));
	json_object_object_add(inst, "integration", json_object_new_string(integ));
	json_object_object_add(inst, "webhookWaBusiness", NULL);
	json_object_object_add(inst, "accessTokenWaBusiness",
	    json_object_new_string(""));
	json_object_object_add(inst, "status", json_object_new_string("created"));
	json_object_object_add(o, "instance", inst);
	json_object_object_add(o, "hash", json_object_new_string(hash));
	w = json_object_new_object();
	json_object_object_add(w, "webhookUrl", json_str_or_null(wurl));
	json_object_object_add(w, "webhookHeaders",
	    wh != NULL && json_object_object_get_ex(wh, "headers", &x) ?
	    json_object_get(x) : NULL);
	json_object_object_add(w, "webhookByEvents",
	    wh != NULL && json_object_object_get_ex(wh, "byEvents", &x) ?
	    json_object_get(x) : NULL);
	json_object_object_add(w, "webhookBase64",
	    wh != NULL && json_object_object_get_ex(wh, "base64", &x) ?
	    json_object_get(x) : NULL);
	json_object_object_add(o, "webhook", w);
	x = json_object_new_object();
	json_object_object_add(x, "enabled", NULL);
	json_object_object_add(o, "websocket", x);
	x = json_object_new_object();
	json_object_object_add(x, "enabled", NULL);
	json_object_object_add(o, "rabbitmq", x);
	x = json_object_new_object();
	json_object_object_add(x, "enabled", NULL);
	json_object_object_add(o, "nats", x);
	x = json_object_new_object();
	json_object_object_add(x, "enabled", NULL);
	json_object_object_add(o, "sqs", x);
	json_object_object_add(o, "settings", settings_json(&st));
	if (qr != NULL)
		json_object_object_add(o, "qrcode", qr);
	free(id);
	free(hash);
	req_reply_json(c->r, 201, o);
}

/* One fetchInstances item: the Prisma Instance row with its relations. */
static json_object *
db_row_locked(const struct sim_instance *in)
{
	json_object *o = json_object_new_object(), *s, *cnt;
	char t[32];

	json_object_object_add(o, "id", json_object_new_string(in->id));
	json_object_object_add(o, "name", json_object_new_string(in->name));
	json_object_object_add(o, "connectionStatus",
	    json_object_new_string(sim_state_name(in->state)));
	json_object_object_add(o, "ownerJid", json_str_or_null(in->owner_jid));
	json_object_object_add(o, "profileName",
	    json_str_or_null(in->profile_name));
	json_object_object_add(o, "profilePicUrl", NULL);
	json_object_object_add(o, "integration",
	    json_str_or_null(in->integration));
	json_object_object_add(o, "number", json_str_or_null(in->number));
	json_object_object_add(o, "businessId", NULL);
	json_object_object_add(o, "token", json_str_or_null(in->token));
	json_object_object_add(o, "clientName",
	    json_object_new_string("evolution_exchange"));
	json_object_object_add(o, "disconnectionReasonCode",
	    in->disconnection_code ?
	    json_object_new_int(in->disconnection_code) : NULL);
	json_object_object_add(o, "disconnectionObject", NULL);
	if (in->disconnection_ms != 0) {
		iso_time(t, in->disconnection_ms, false);
		json_object_object_add(o, "disconnectionAt",
		    json_object_new_string(t));
	} else
		json_object_object_add(o, "disconnectionAt", NULL);
	iso_time(t, in->created_ms, false);
	json_object_object_add(o, "createdAt", json_object_new_string(t));
	iso_time(t, in->updated_ms, false);
	json_object_object_add(o, "updatedAt", json_object_new_string(t));
	json_object_object_add(o, "Chatwoot", NULL);
	json_object_object_add(o, "Proxy", NULL);
	json_object_object_add(o, "Rabbitmq", NULL);
	json_object_object_add(o, "Nats", NULL);
	json_object_object_add(o, "Sqs", NULL);
	json_object_object_add(o, "Websocket", NULL);
	s = settings_json(&in->settings);
	json_object_object_add(s, "wavoipToken", json_object_new_string(""));
	json_object_object_add(s, "instanceId", json_object_new_string(in->id));
	json_object_object_add(o, "Setting", s);
	cnt = json_object_new_object();
	json_object_object_add(cnt, "Message",
	    json_object_new_int64((int64_t)in->sends));
	json_object_object_add(cnt, "Contact", json_object_new_int(0));
	json_object_object_add(cnt, "Chat", json_object_new_int(0));
	json_object_object_add(o, "_count", cnt);
	return o;
}

/*
 * GET /instance/fetchInstances[?instanceName=&instanceId=&number=]: 200
 * array.  Global key: all (or the named one, 404 ["Instance \"X\" not
 * found"]); an instance token: only instances with that token, 401 if the
 * filter leaves none.
 */
static void
evo_fetch(struct evo_ctx *c)
{
	const char *name = req_query(c->r, "instanceName");
	const char *id = req_query(c->r, "instanceId");
	const char *num = req_query(c->r, "number");
	json_object *a = json_object_new_array();
	struct sim_instance *in;
	const char *missing = NULL;

	if (name != NULL && *name == '\0')
		name = NULL;
	if (id != NULL && *id == '\0')
		id = NULL;
	if (num != NULL && *num == '\0')
		num = NULL;
	sim_lock();
	for (in = state_first_locked(); in != NULL; in = in->next) {
		if (!c->global && (in->token == NULL ||
		    strcmp(in->token, c->apikey) != 0))
			continue;
		if (name != NULL && strcmp(in->name, name) != 0)
			continue;
		if (id != NULL && strcmp(in->id, id) != 0)
			continue;
		if (num != NULL && (in->number == NULL ||
		    strcmp(in->number, num) != 0))
			continue;
		json_object_array_add(a, db_row_locked(in));
	}
	sim_unlock();
	if (json_object_array_length(a) == 0 && !c->global) {
		json_object_put(a);
		evo_error(c->r, 401, NULL, json_object_new_string("Unauthorized"));
		return;
	}
	if (json_object_array_length(a) == 0)
		missing = name != NULL ? name : id != NULL ? id : num;
	if (missing != NULL) {
		json_object_put(a);
		evo_errorf(c->r, 404, "Instance \"%s\" not found", missing);
		return;
	}
	req_reply_json(c->r, 200, a);
}

/*
 * GET /instance/connect/{name}[?number=digits]: 200 always.  open ->
 * {instance:{instanceName,state}}; close -> connecting + QR object;
 * connecting -> the current QR object; banned -> {error:true,message}.
 */
static void
evo_connect(struct evo_ctx *c)
{
	const char *number = req_query(c->r, "number");
	struct sim_instance *in;
	json_object *qr;
	char *code, *pairing;
	int count;

	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	if (in->knobs.banned) {
		sim_unlock();
		caught_error(c->r, "Error: Connection Failure");
		return;
	}
	if (in->state == SIM_OPEN) {
		sim_unlock();
		req_reply_json(c->r, 200, state_json(c->name, SIM_OPEN));
		return;
	}
	if (in->state == SIM_CLOSE) {
		qr = start_connecting_unlock(in, number);
		req_reply_json(c->r, 200, qr);
		return;
	}
	if (in->qr_code == NULL)
		qr_new_locked(in, number);
	code = xstrdup(in->qr_code);
	pairing = xstrdup(in->pairing_code);
	count = in->qr_count;
	sim_unlock();
	req_reply_json(c->r, 200, qr_json(code, pairing, count));
	free(code);
	free(pairing);
}

/* GET /instance/connectionState/{name}: 200 {instance:{instanceName,state}} */
static void
evo_state(struct evo_ctx *c)
{
	struct sim_instance *in;
	enum sim_state st;

	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	st = in->state;
	sim_unlock();
	req_reply_json(c->r, 200, state_json(c->name, st));
}

/*
 * POST /instance/restart/{name}: 200.  open -> reconnects (connection.update
 * open) and answers the state; connecting -> QR object; close -> {error:
 * true, message:"[object Object]"} (a thrown plain object, toString()'d).
 */
static void
evo_restart(struct evo_ctx *c)
{
	struct sim_instance *in;
	char *code, *pairing;
	int count;

	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	if (in->state == SIM_CLOSE) {
		sim_unlock();
		caught_error(c->r, "[object Object]");
		return;
	}
	if (in->state == SIM_OPEN) {
		evo_set_state_locked(in, SIM_OPEN, 200);
		sim_unlock();
		req_reply_json(c->r, 200, state_json(c->name, SIM_OPEN));
		return;
	}
	if (in->qr_code == NULL)
		qr_new_locked(in, NULL);
	code = xstrdup(in->qr_code);
	pairing = xstrdup(in->pairing_code);
	count = in->qr_count;
	sim_unlock();
	req_reply_json(c->r, 200, qr_json(code, pairing, count));
	free(code);
	free(pairing);
}

/* Unlinks the device: close, ownerJid gone, connection.update 401. */
static void
logout_locked(struct sim_instance *in)
{
	evo_set_state_locked(in, SIM_CLOSE, 401);
	free(in->owner_jid);
	free(in->qr_code);
	free(in->pairing_code);
	in->owner_jid = in->qr_code = in->pairing_code = NULL;
	in->qr_count = 0;
}

static void
success(struct sim_req *r, const char *msg)
{
	json_object *o = json_object_new_object(), *resp;

	resp = json_object_new_object();
	json_object_object_add(resp, "message", json_object_new_string(msg));
	json_object_object_add(o, "status", json_object_new_string("SUCCESS"));
	json_object_object_add(o, "error", json_object_new_boolean(0));
	json_object_object_add(o, "response", resp);
	req_reply_json(r, 200, o);
}

/* DELETE /instance/logout/{name}: 200; 400 ["The \"X\" instance is not
 * connected"] when close. */
static void
evo_logout(struct evo_ctx *c)
{
	struct sim_instance *in;

	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	if (in->state == SIM_CLOSE) {
		sim_unlock();
		evo_errorf(c->r, 400, "The \"%s\" instance is not connected",
		    c->name);
		return;
	}
	logout_locked(in);
	sim_unlock();
	success(c->r, "Instance logged out");
}

/* DELETE /instance/delete/{name}: 200, logging out first if needed. */
static void
evo_delete(struct evo_ctx *c)
{
	struct sim_instance *in;

	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	if (in->state != SIM_CLOSE)
		logout_locked(in);
	state_remove_locked(in);
	sim_unlock();
	success(c->r, "Instance deleted");
}

static bool
valid_presence(const char *p)
{
	static const char *const ok[] = {
		"available", "unavailable", "composing", "recording", "paused",
	};
	size_t i;

	for (i = 0; p != NULL && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(p, ok[i]) == 0)
			return true;
	return false;
}

/* POST /instance/setPresence/{name} {presence}: 201 {presence}. */
static void
evo_set_presence(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "presence", json_type_string, true, NULL },
	};
	const char *p;
	struct sim_instance *in;
	enum sim_state st;
	json_object *o, *a;

	if (!VALIDATE(c, f))
		return;
	p = json_get_str(c->body, "presence");
	if (!valid_presence(p)) {
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string("presence is "
		    "not one of enum values: unavailable,available,composing,"
		    "recording,paused"));
		evo_schema_error(c->r, a);
		return;
	}
	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	st = in->state;
	sim_unlock();
	if (st != SIM_OPEN) {
		evo_errorf(c->r, 400, "Error: Connection Closed");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "presence", json_object_new_string(p));
	req_reply_json(c->r, 201, o);
}

static json_object *
webhook_row_locked(const struct sim_instance *in)
{
	const struct sim_webhook *w = &in->webhook;
	json_object *o, *ev;
	char t[32];
	size_t i;

	if (w->id == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(w->id));
	json_object_object_add(o, "url", json_str_or_null(w->url));
	json_object_object_add(o, "headers", w->headers != NULL ?
	    json_tokener_parse(w->headers) : NULL);
	json_object_object_add(o, "enabled", json_object_new_boolean(w->enabled));
	ev = json_object_new_array();
	for (i = 0; i < w->n_events; i++)
		json_object_array_add(ev, json_object_new_string(w->events[i]));
	json_object_object_add(o, "events", ev);
	json_object_object_add(o, "webhookByEvents",
	    json_object_new_boolean(w->by_events));
	json_object_object_add(o, "webhookBase64",
	    json_object_new_boolean(w->base64));
	iso_time(t, w->created_ms, false);
	json_object_object_add(o, "createdAt", json_object_new_string(t));
	iso_time(t, w->updated_ms, false);
	json_object_object_add(o, "updatedAt", json_object_new_string(t));
	json_object_object_add(o, "instanceId", json_object_new_string(in->id));
	return o;
}

/*
 * POST /webhook/set/{name} {webhook:{enabled,url,headers,byEvents,base64,
 * events}}: 201 the stored row; 400 [["..."]] schema, ["Invalid \"url\"
 * property"].
 */
static void
evo_webhook_set(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "webhook", json_type_object, true, NULL },
	};
	static const struct schema_field wf[] = {
		{ "enabled", json_type_boolean, true, NULL },
		{ "url", json_type_string, true, NULL },
		{ "headers", json_type_object, false, NULL },
		{ "byEvents", json_type_boolean, false, NULL },
		{ "base64", json_type_boolean, false, NULL },
		{ "events", json_type_array, false, NULL },
	};
	json_object *w, *msgs, *row;
	struct sim_instance *in;
	bool enabled = false;

	if (!VALIDATE(c, f))
		return;
	w = json_object_object_get(c->body, "webhook");
	msgs = json_object_new_array();
	if (!schema_check(w, wf, sizeof(wf) / sizeof(wf[0]), msgs,
	    "instance.webhook")) {
		/* the stack is "instance.webhook ..." minus "instance." */
		size_t i, n = json_object_array_length(msgs);
		json_object *fixed = json_object_new_array();

		for (i = 0; i < n; i++) {
			const char *m = json_object_get_string(
			    json_object_array_get_idx(msgs, i));

			json_object_array_add(fixed, json_object_new_string(
			    strncmp(m, "instance.", 9) == 0 ? m + 9 : m));
		}
		json_object_put(msgs);
		evo_schema_error(c->r, fixed);
		return;
	}
	json_object_put(msgs);
	json_get_bool(w, "enabled", &enabled);
	if (!is_url(json_get_str(w, "url"))) {
		evo_errorf(c->r, 400, "Invalid \"url\" property");
		return;
	}
	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	webhook_from_json(&in->webhook, w, enabled);
	row = webhook_row_locked(in);
	sim_unlock();
	req_reply_json(c->r, 201, row);
}

/* GET /webhook/find/{name}: 200 the row, or null if never set. */
static void
evo_webhook_find(struct evo_ctx *c)
{
	struct sim_instance *in;
	json_object *row;

	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return;
	row = webhook_row_locked(in);
	sim_unlock();
	req_reply_json(c->r, 200, row);
}

/*
 * POST /chat/whatsappNumbers/{name} {numbers:[...]}: 200 [{exists, jid,
 * number}]; 500 "Connection Closed" if the socket is not open.
 */
static void
evo_numbers(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "numbers", json_type_array, true, NULL },
	};
	json_object *nums, *out;
	struct sim_instance *in;
	size_t i, n;

	if (!VALIDATE(c, f))
		return;
	nums = json_object_object_get(c->body, "numbers");
	n = json_object_array_length(nums);
	out = json_object_new_array();
	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL) {
		json_object_put(out);
		return;
	}
	if (in->state != SIM_OPEN || in->knobs.disconnect || in->knobs.banned) {
		sim_unlock();
		json_object_put(out);
		evo_closed_error(c->r);
		return;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(nums, i), *o;
		const char *s = json_object_get_string(e);
		char *jid, *num;

		if (!json_object_is_type(e, json_type_string))
			continue;
		evo_jid(s, &jid, &num);
		o = json_object_new_object();
		json_object_object_add(o, "exists", json_object_new_boolean(
		    !knobs_blocks_number_locked(in, num)));
		json_object_object_add(o, "jid", json_object_new_string(jid));
		json_object_object_add(o, "number", json_object_new_string(s));
		json_object_array_add(out, o);
		free(jid);
		free(num);
	}
	sim_unlock();
	req_reply_json(c->r, 200, out);
}

/* ------------------------------------------------------------------ sends */

/* What a send needs once the lock is released. */
struct send_plan {
	enum sim_kind	 kind;
	char		*jid;
	char		*num;		/* digits, what /_sim/sends shows */
	const char	*number_in;	/* as the client sent it */
	const char	*text;		/* text, caption or presence */
	int64_t		 delay_ms;
	struct sim_knobs knobs;		/* scalar copy; list not copied */
	char		*instance_id;
	char		*push_name;
};

static void
plan_free(struct send_plan *p)
{
	free(p->jid);
	free(p->num);
	free(p->instance_id);
	free(p->push_name);
}

/*
 * Shared checks of sendText/sendMedia/sendPresence after validation, in
 * the real order: a proxy-style rate limit (429, simulator only), the
 * on-WhatsApp query on the socket (500 "Connection Closed" when not open),
 * the number check (400 [{jid,exists:false,number}]).  Fills `p`.
 * Returns false once it has answered.
 */
static bool
send_precheck(struct evo_ctx *c, struct send_plan *p)
{
	struct sim_instance *in;
	int64_t sec = now_mono_us() / 1000000;
	bool blocked;

	evo_jid(p->number_in, &p->jid, &p->num);
	sim_lock();
	if ((in = ctx_instance_locked(c)) == NULL)
		return false;
	if (p->kind != SIM_KIND_PRESENCE && in->knobs.rate_limit_429 > 0) {
		if (in->rl_second != sec) {
			in->rl_second = sec;
			in->rl_count = 0;
		}
		if (++in->rl_count > in->knobs.rate_limit_429) {
			sim_unlock();
			evo_errorf(c->r, 429, "Too many requests");
			return false;
		}
	}
	if (in->state != SIM_OPEN || in->knobs.disconnect || in->knobs.banned) {
		sim_unlock();
		evo_closed_error(c->r);
		return false;
	}
	blocked = !is_group(p->jid) && (*p->num == '\0' ||
	    knobs_blocks_number_locked(in, p->num));
	p->knobs = in->knobs;
	p->knobs.not_on_whatsapp = NULL;
	p->knobs.n_not_on_whatsapp = 0;
	p->instance_id = xstrdup(in->id);
	p->push_name = xstrdup(in->profile_name != NULL ? in->profile_name : "");
	sim_unlock();
	if (blocked) {
		json_object *a = json_object_new_array();

		if (p->kind == SIM_KIND_PRESENCE) {
			/* sendPresence re-wraps the thrown object */
			json_object_array_add(a,
			    json_object_new_string("[object Object]"));
		} else
			json_object_array_add(a, not_exists(p->jid,
			    p->number_in));
		evo_error(c->r, 400, NULL, a);
		return false;
	}
	return true;
}

/* "3EB0" + 18 upper-case hex digits, like Baileys' generateMessageIDV2. */
static void
message_id(char out[32])
{
	snprintf(out, 32, "3EB0%016llX%02X", (unsigned long long)rand_u64(),
	    (unsigned)(rand_u64() & 0xff));
}

/* A Prisma cuid-looking Message.id, for messages.update "messageId". */
static void
db_message_id(char out[32])
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	out[0] = 'c';
	out[1] = 'm';
	for (i = 2; i < 25; i++)
		out[i] = a[rand_u64() % 36];
	out[25] = '\0';
}

/*
 * Records an accepted send, answers 201 with the stored message, posts
 * send.message now and the messages.update acks later (ack knob).
 */
static void
send_accept(struct evo_ctx *c, struct send_plan *p, json_object *message,
    const char *mtype)
{
	struct sim_send s;
	struct sim_instance *in;
	struct evo_hook h[4];
	bool hook[4] = { false, false, false, false };
	json_object *o, *key;
	char dbid[32];
	int64_t ts = now_real_us(), d = p->knobs.ack_delay_ms;
	int i, nacks = p->knobs.read ? 3 : 2;
	static const enum sim_ack acks[3] = {
		SIM_ACK_SERVER, SIM_ACK_DELIVERY, SIM_ACK_READ,
	};

	memset(&s, 0, sizeof(s));
	s.t_us = ts;
	s.kind = p->kind;
	s.ack = p->kind == SIM_KIND_PRESENCE ? SIM_ACK_NONE : SIM_ACK_PENDING;
	s.delay_ms = (int)p->delay_ms;
	s.instance = c->name;
	s.number = p->num;
	s.text = (char *)p->text;
	if (p->kind != SIM_KIND_PRESENCE)
		message_id(s.id);

	sim_lock();
	in = state_find_locked(c->name);
	s.seq = sends_append_locked(&s);
	if (in != NULL && p->kind != SIM_KIND_PRESENCE) {
		in->sends++;
		hook[0] = evo_hook_locked(in, EV_SEND_MESSAGE, &h[0]);
		if (p->knobs.ack)
			for (i = 0; i < nacks; i++)
				hook[i + 1] = evo_hook_locked(in,
				    EV_MESSAGES_UPDATE, &h[i + 1]);
	}
	sim_unlock();
	sends_record_file(&s);

	if (p->kind == SIM_KIND_PRESENCE) {
		json_object_put(message);
		return;
	}

	o = json_object_new_object();
	key = json_object_new_object();
	json_object_object_add(key, "remoteJid", json_object_new_string(p->jid));
	json_object_object_add(key, "fromMe", json_object_new_boolean(1));
	json_object_object_add(key, "id", json_object_new_string(s.id));
	json_object_object_add(o, "key", key);
	json_object_object_add(o, "pushName", json_object_new_string(p->push_name));
	json_object_object_add(o, "status", json_object_new_string("PENDING"));
	json_object_object_add(o, "message", message);
	json_object_object_add(o, "messageType", json_object_new_string(mtype));
	json_object_object_add(o, "messageTimestamp",
	    json_object_new_int64(ts / 1000000));
	json_object_object_add(o, "instanceId",
	    json_object_new_string(p->instance_id));
	json_object_object_add(o, "source", json_object_new_string("unknown"));

	if (hook[0])
		evo_hook_post(&h[0], EV_SEND_MESSAGE, json_object_get(o), 0, 0,
		    SIM_ACK_NONE);
	if (p->knobs.ack) {
		db_message_id(dbid);
		for (i = 0; i < nacks; i++) {
			json_object *u;

			if (!hook[i + 1]) {	/* nobody listens: ack only */
				webhook_post(d * (i + 1), NULL, NULL, NULL,
				    s.seq, acks[i]);
				continue;
			}
			u = json_object_new_object();
			json_object_object_add(u, "keyId",
			    json_object_new_string(s.id));
			json_object_object_add(u, "remoteJid",
			    json_object_new_string(p->jid));
			json_object_object_add(u, "fromMe",
			    json_object_new_boolean(1));
			json_object_object_add(u, "participant", NULL);
			json_object_object_add(u, "status",
			    json_object_new_string(sim_ack_name(acks[i])));
			json_object_object_add(u, "instanceId",
			    json_object_new_string(p->instance_id));
			json_object_object_add(u, "messageId",
			    json_object_new_string(dbid));
			evo_hook_post(&h[i + 1], EV_MESSAGES_UPDATE, u,
			    d * (i + 1), s.seq, acks[i]);
		}
	}
	if (c->r->status == 0)
		req_reply_json(c->r, 201, o);
	else
		json_object_put(o);
}

/*
 * The knobs' dice and the typing delay, then acceptance.  error_rate ->
 * error_status; timeout_rate -> hang timeout_ms and close without an
 * answer (the send is still delivered if timeout_delivers).
 */
static void
send_finish(struct evo_ctx *c, struct send_plan *p, json_object *message,
    const char *mtype)
{
	double roll = rand_unit();

	if (roll < p->knobs.error_rate) {
		json_object_put(message);
		evo_errorf(c->r, (unsigned)p->knobs.error_status,
		    "simulated gateway error");
		return;
	}
	if (roll < p->knobs.error_rate + p->knobs.timeout_rate) {
		if (p->knobs.timeout_delivers) {
			c->r->status = 1;	/* keep send_accept quiet */
			send_accept(c, p, message, mtype);
		} else
			json_object_put(message);
		sim_sleep_ms(p->knobs.timeout_ms);
		c->r->hang = true;
		return;
	}
	/* "delay": typing for that long, in the same HTTP call. */
	sim_sleep_ms(p->delay_ms);
	send_accept(c, p, message, mtype);
}

/* delay: an integer, 0 if absent. */
static int64_t
body_delay(json_object *b)
{
	int64_t d = 0;

	if (!json_get_int(b, "delay", &d) || d < 0)
		d = 0;
	return d;
}

/*
 * POST /message/sendText/{name} {number, text, delay?, ...}: 201 the stored
 * message.  400 [["..."]] schema; 400 ["Text is required"]; 500
 * "Connection Closed" when not open; 400 [{jid,exists:false,number}];
 * 429 rate_limit_429; error_status (error_rate); no answer (timeout_rate).
 */
static void
evo_send_text(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "number", json_type_string, true, "Invalid format" },
		{ "text", json_type_string, true, NULL },
		{ "linkPreview", json_type_boolean, false, NULL },
		{ "delay", json_type_int, false,
		    "Enter a value in milliseconds" },
		{ "quoted", json_type_object, false, NULL },
		{ "mentionsEveryOne", json_type_boolean, false, NULL },
		{ "mentioned", json_type_array, false, NULL },
	};
	struct send_plan p;
	const char *text, *t;
	json_object *m;

	if (!VALIDATE(c, f))
		return;
	text = json_get_str(c->body, "text");
	for (t = text; *t == ' ' || *t == '\t' || *t == '\n' || *t == '\r'; t++)
		continue;
	if (*t == '\0') {
		evo_errorf(c->r, 400, "Text is required");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.kind = SIM_KIND_TEXT;
	p.number_in = json_get_str(c->body, "number");
	p.text = text;
	p.delay_ms = body_delay(c->body);
	if (send_precheck(c, &p)) {
		m = json_object_new_object();
		json_object_object_add(m, "conversation",
		    json_object_new_string(text));
		send_finish(c, &p, m, "conversation");
	}
	plan_free(&p);
}

static bool
is_base64ish(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '+' || *s == '/' ||
		    *s == '=' || *s == '\n' || *s == '\r'))
			return false;
	return n > 0;
}

static const char *
mime_guess(const char *mediatype, const char *fname)
{
	static const struct { const char *ext, *mime; } tab[] = {
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".webp", "image/webp" },
		{ ".mp4", "video/mp4" }, { ".pdf", "application/pdf" },
		{ ".ogg", "audio/ogg" }, { ".mp3", "audio/mpeg" },
		{ ".txt", "text/plain" },
	};
	const char *dot = fname != NULL ? strrchr(fname, '.') : NULL;
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(dot, tab[i].ext) == 0)
			return tab[i].mime;
	return strcmp(mediatype, "audio") == 0 ? "audio/mp4" :
	    "application/octet-stream";
}

/*
 * POST /message/sendMedia/{name} {number, mediatype, media, mimetype?,
 * caption?, fileName?, delay?}: as sendText; 400 ["Owned media must be a
 * url or base64"].  (multipart "file" uploads are not simulated.)
 */
static void
evo_send_media(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "number", json_type_string, true, "Invalid format" },
		{ "mediatype", json_type_string, true, NULL },
		{ "mimetype", json_type_string, false, NULL },
		{ "media", json_type_string, false, NULL },
		{ "fileName", json_type_string, false, NULL },
		{ "caption", json_type_string, false, NULL },
		{ "delay", json_type_int, false,
		    "Enter a value in milliseconds" },
		{ "quoted", json_type_object, false, NULL },
	};
	static const char *const types[] = {
		"image", "document", "video", "audio",
	};
	struct send_plan p;
	const char *mt, *media, *mime, *fname, *cap;
	json_object *m, *mm, *a;
	char *mtype;
	size_t i;

	if (!VALIDATE(c, f))
		return;
	mt = json_get_str(c->body, "mediatype");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(mt, types[i]) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string("mediatype is "
		    "not one of enum values: image,document,video,audio"));
		evo_schema_error(c->r, a);
		return;
	}
	media = json_get_str(c->body, "media");
	if (media == NULL || !(is_url(media) || is_base64ish(media))) {
		evo_errorf(c->r, 400, "Owned media must be a url or base64");
		return;
	}
	mime = json_get_str(c->body, "mimetype");
	fname = json_get_str(c->body, "fileName");
	cap = json_get_str(c->body, "caption");
	/* prepareMediaMessage() defaults, mime looked up from the name */
	if (fname == NULL && strcmp(mt, "image") == 0)
		fname = "image.png";
	else if (fname == NULL && strcmp(mt, "video") == 0)
		fname = "video.mp4";
	if (mime == NULL)
		mime = mime_guess(mt, fname);

	memset(&p, 0, sizeof(p));
	p.kind = SIM_KIND_MEDIA;
	p.number_in = json_get_str(c->body, "number");
	p.text = cap != NULL ? cap : "";
	p.delay_ms = body_delay(c->body);
	if (send_precheck(c, &p)) {
		mtype = xasprintf("%sMessage", mt);
		mm = json_object_new_object();
		json_object_object_add(mm, "url", json_object_new_string(
		    "https://mmg.whatsapp.net/o1/v/t62.7118-24/sim.enc"));
		json_object_object_add(mm, "mimetype", json_str_or_null(mime));
		if (cap != NULL)
			json_object_object_add(mm, "caption",
			    json_object_new_string(cap));
		if (fname != NULL)
			json_object_object_add(mm, "fileName",
			    json_object_new_string(fname));
		m = json_object_new_object();
		json_object_object_add(m, mtype, mm);
		send_finish(c, &p, m, mtype);
		free(mtype);
	}
	plan_free(&p);
}

/*
 * POST /chat/sendPresence/{name} {number, presence, delay} (all required):
 * blocks `delay` ms, 201 {presence}.  Recorded with kind "presence".
 * 500 "Connection Closed" when not open; 400 ["[object Object]"] for a
 * number not on WhatsApp (the thrown object is re-wrapped with toString).
 */
static void
evo_send_presence(struct evo_ctx *c)
{
	static const struct schema_field f[] = {
		{ "number", json_type_string, true, "Invalid format" },
		{ "presence", json_type_string, true, NULL },
		{ "delay", json_type_int, true,
		    "Enter a value in milliseconds" },
	};
	struct send_plan p;
	const char *pres;
	json_object *o, *a;

	if (!VALIDATE(c, f))
		return;
	pres = json_get_str(c->body, "presence");
	if (!valid_presence(pres)) {
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string("presence is "
		    "not one of enum values: unavailable,available,composing,"
		    "recording,paused"));
		evo_schema_error(c->r, a);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.kind = SIM_KIND_PRESENCE;
	p.number_in = json_get_str(c->body, "number");
	p.text = pres;
	p.delay_ms = body_delay(c->body);
	if (send_precheck(c, &p)) {
		send_accept(c, &p, NULL, NULL);
		sim_sleep_ms(p.delay_ms);
		o = json_object_new_object();
		json_object_object_add(o, "presence",
		    json_object_new_string(pres));
		req_reply_json(c->r, 201, o);
	}
	plan_free(&p);
}
