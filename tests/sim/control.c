/* control.c: the test control API under /_sim/ (no auth, JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define PREFIX		"/_sim/"
#define INSTANCES	"/_sim/instances/"

bool
control_match(const char *url)
{
	return strncmp(url, PREFIX, strlen(PREFIX)) == 0;
}

static void
reply_error(struct sim_req *r, unsigned status, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	req_reply_json(r, status, o);
}

/* Parses the body as a JSON object whatever the Content-Type; NULL if bad. */
static json_object *
body_object(struct sim_req *r)
{
	json_object *o;

	if (r->body == NULL || r->body_len == 0)
		return json_object_new_object();
	o = json_tokener_parse(r->body);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* A stable fake phone number for an instance scanned without one. */
static char *
fake_number(const char *name)
{
	unsigned long h = 5381;

	for (; *name != '\0'; name++)
		h = h * 33 + (unsigned char)*name;
	return xasprintf("55119%08lu", h % 100000000UL);
}

/*
 * The QR was scanned on a phone: state open, ownerJid set, connection.update
 * posted.  Lock held.  Returns false if the instance is banned.
 */
static bool
scan_locked(struct sim_instance *in)
{
	char *num;

	if (in->knobs.banned)
		return false;
	in->knobs.disconnect = false;
	num = in->number != NULL ? norm_number(in->number) :
	    fake_number(in->name);
	free(in->owner_jid);
	in->owner_jid = xasprintf("%s@s.whatsapp.net", num);
	free(num);
	if (in->profile_name == NULL)
		in->profile_name = xstrdup(in->name);
	free(in->qr_code);
	free(in->pairing_code);
	in->qr_code = in->pairing_code = NULL;
	in->qr_count = 0;
	evo_set_state_locked(in, SIM_OPEN, 200);
	return true;
}

/* POST /_sim/instances {name, token?, state?, number?, integration?} */
static void
create_instance(struct sim_req *r)
{
	json_object *b = body_object(r), *out;
	const char *name, *st, *integ;
	struct sim_instance *in;
	char uuid[37];

	if (b == NULL) {
		reply_error(r, 400, "body must be a JSON object");
		return;
	}
	name = json_get_str(b, "name");
	st = json_get_str(b, "state");
	integ = json_get_str(b, "integration");
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
		reply_error(r, 400, "name: non-empty string without '/'");
		goto out;
	}
	if (st != NULL && strcmp(st, "open") != 0 &&
	    strcmp(st, "close") != 0 && strcmp(st, "connecting") != 0) {
		reply_error(r, 400, "state: open, close or connecting");
		goto out;
	}
	sim_lock();
	if (state_find_locked(name) != NULL) {
		sim_unlock();
		reply_error(r, 409, "instance exists");
		goto out;
	}
	in = state_add_locked(name);
	if (json_get_str(b, "token") != NULL)
		in->token = xstrdup(json_get_str(b, "token"));
	else {
		rand_uuid(uuid, true);
		in->token = xstrdup(uuid);
	}
	in->integration = xstrdup(integ != NULL ? integ : "WHATSAPP-BAILEYS");
	in->number = xstrdup(json_get_str(b, "number"));
	in->profile_name = xstrdup(json_get_str(b, "profileName"));
	if (st != NULL && strcmp(st, "open") == 0)
		scan_locked(in);
	else if (st != NULL && strcmp(st, "connecting") == 0)
		in->state = SIM_CONNECTING;
	out = instance_sim_json_locked(in);
	sim_unlock();
	req_reply_json(r, 201, out);
out:
	json_object_put(b);
}

/* Reads a number knob in [lo, hi]; *bad names the field on error. */
static bool
knob_num(json_object *b, const char *key, double lo, double hi, double *v,
    bool *set, const char **bad)
{
	json_object *x;

	*set = false;
	if (!json_object_object_get_ex(b, key, &x))
		return true;
	if (!json_object_is_type(x, json_type_int) &&
	    !json_object_is_type(x, json_type_double)) {
		*bad = key;
		return false;
	}
	*v = json_object_get_double(x);
	if (*v < lo || *v > hi) {
		*bad = key;
		return false;
	}
	*set = true;
	return true;
}

static bool
knob_bool(json_object *b, const char *key, bool *v, bool *set,
    const char **bad)
{
	json_object *x;

	*set = false;
	if (!json_object_object_get_ex(b, key, &x))
		return true;
	if (!json_object_is_type(x, json_type_boolean)) {
		*bad = key;
		return false;
	}
	*v = json_object_get_boolean(x);
	*set = true;
	return true;
}

/*
 * POST /_sim/instances/{name}/knobs: any subset of the knobs.  All fields
 * are validated before any is applied.  404 unknown instance, 400 bad field.
 */
static void
set_knobs(struct sim_req *r, const char *name)
{
	enum { K_LATENCY, K_ERR_RATE, K_ERR_STATUS, K_TO_RATE, K_TO_MS,
	    K_ACK_DELAY, K_RATE, K_NUM__MAX };
	static const struct { const char *key; double lo, hi; } nums[] = {
		{ "latency_ms", 0, 3600000 },		/* K_LATENCY */
		{ "error_rate", 0, 1 },			/* K_ERR_RATE */
		{ "error_status", 100, 599 },		/* K_ERR_STATUS */
		{ "timeout_rate", 0, 1 },		/* K_TO_RATE */
		{ "timeout_ms", 0, 3600000 },		/* K_TO_MS */
		{ "ack_delay_ms", 0, 3600000 },		/* K_ACK_DELAY */
		{ "rate_limit_429", 0, 100000000 },	/* K_RATE */
	};
	enum { B_DISC, B_BAN, B_ACK, B_READ, B_TO_DELIV, B__MAX };
	static const char *const bools[B__MAX] = {
		"disconnect", "banned", "ack", "read", "timeout_delivers",
	};
	json_object *b = body_object(r), *x, *out;
	double nv[K_NUM__MAX];
	bool nset[K_NUM__MAX], bv[B__MAX], bset[B__MAX], have_list = false;
	char **list = NULL, *msg;
	size_t nlist = 0, i;
	const char *bad = NULL;
	struct sim_instance *in;
	bool was_disc, was_ban;

	if (b == NULL) {
		reply_error(r, 400, "body must be a JSON object");
		return;
	}
	for (i = 0; i < K_NUM__MAX && bad == NULL; i++)
		knob_num(b, nums[i].key, nums[i].lo, nums[i].hi, &nv[i],
		    &nset[i], &bad);
	for (i = 0; i < B__MAX && bad == NULL; i++)
		knob_bool(b, bools[i], &bv[i], &bset[i], &bad);
	if (bad == NULL && json_object_object_get_ex(b, "not_on_whatsapp",
	    &x)) {
		if (!json_object_is_type(x, json_type_array))
			bad = "not_on_whatsapp";
		for (i = 0; bad == NULL && i < json_object_array_length(x);
		    i++) {
			json_object *e = json_object_array_get_idx(x, i);

			if (!json_object_is_type(e, json_type_string)) {
				bad = "not_on_whatsapp";
				break;
			}
			list = xrealloc(list, (nlist + 1) * sizeof(*list));
			list[nlist++] = norm_number(json_object_get_string(e));
		}
		have_list = true;
	}
	if (bad != NULL) {
		msg = xasprintf("bad knob: %s", bad);
		reply_error(r, 400, msg);
		free(msg);
		goto out;
	}

	sim_lock();
	if ((in = state_find_locked(name)) == NULL) {
		sim_unlock();
		reply_error(r, 404, "no such instance");
		goto out;
	}
	if (nset[K_LATENCY])
		in->knobs.latency_ms = (int)nv[K_LATENCY];
	if (nset[K_ERR_RATE])
		in->knobs.error_rate = nv[K_ERR_RATE];
	if (nset[K_ERR_STATUS])
		in->knobs.error_status = (int)nv[K_ERR_STATUS];
	if (nset[K_TO_RATE])
		in->knobs.timeout_rate = nv[K_TO_RATE];
	if (nset[K_TO_MS])
		in->knobs.timeout_ms = (int)nv[K_TO_MS];
	if (nset[K_ACK_DELAY])
		in->knobs.ack_delay_ms = (int)nv[K_ACK_DELAY];
	if (nset[K_RATE])
		in->knobs.rate_limit_429 = (int)nv[K_RATE];
	if (bset[B_ACK])
		in->knobs.ack = bv[B_ACK];
	if (bset[B_READ])
		in->knobs.read = bv[B_READ];
	if (bset[B_TO_DELIV])
		in->knobs.timeout_delivers = bv[B_TO_DELIV];
	if (have_list) {
		xfree_strv(in->knobs.not_on_whatsapp,
		    in->knobs.n_not_on_whatsapp);
		in->knobs.not_on_whatsapp = list;
		in->knobs.n_not_on_whatsapp = nlist;
		list = NULL;
		nlist = 0;
	}
	was_disc = in->knobs.disconnect;
	was_ban = in->knobs.banned;
	if (bset[B_DISC])
		in->knobs.disconnect = bv[B_DISC];
	if (bset[B_BAN])
		in->knobs.banned = bv[B_BAN];
	/* 403 = forbidden (banned), 428 = connection closed (Baileys). */
	if (in->knobs.banned && !was_ban && in->state != SIM_CLOSE)
		evo_set_state_locked(in, SIM_CLOSE, 403);
	else if (in->knobs.disconnect && !was_disc && in->state != SIM_CLOSE)
		evo_set_state_locked(in, SIM_CLOSE, 428);
	else if (!in->knobs.disconnect && was_disc && !in->knobs.banned &&
	    in->state == SIM_CLOSE && in->owner_jid != NULL)
		evo_set_state_locked(in, SIM_OPEN, 200);
	out = instance_sim_json_locked(in);
	sim_unlock();
	req_reply_json(r, 200, out);
out:
	xfree_strv(list, nlist);
	json_object_put(b);
}

static void
get_sends(struct sim_req *r)
{
	const char *inst = req_query(r, "instance");
	const char *since = req_query(r, "since");
	const char *limit = req_query(r, "limit");
	json_object *o, *a;
	struct sim_send *v;
	size_t n, i;

	v = sends_copy(inst != NULL && *inst != '\0' ? inst : NULL,
	    since != NULL ? strtoull(since, NULL, 10) : 0,
	    limit != NULL ? (size_t)strtoull(limit, NULL, 10) : 0, &n);
	a = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++)
		json_object_array_add(a, sends_to_json(&v[i]));
	sends_free(v, n);
	o = json_object_new_object();
	json_object_object_add(o, "sends", a);
	req_reply_json(r, 200, o);
}

static void
list_instances(struct sim_req *r)
{
	json_object *a = json_object_new_array();
	struct sim_instance *in;

	sim_lock();
	for (in = state_first_locked(); in != NULL; in = in->next)
		json_object_array_add(a, instance_sim_json_locked(in));
	sim_unlock();
	req_reply_json(r, 200, a);
}

/* Routes of /_sim/; see README.md.  Never counted in /_sim/stats. */
void
control_handle(struct sim_req *r)
{
	const char *u = r->url, *rest;
	bool get = strcmp(r->method, "GET") == 0;
	bool post = strcmp(r->method, "POST") == 0;
	struct sim_instance *in;
	json_object *o;
	size_t n;
	char *name;

	if (post && strcmp(u, "/_sim/reset") == 0) {
		sim_lock();
		state_reset_locked();
		sim_unlock();
		webhook_clear();
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		req_reply_json(r, 200, o);
		return;
	}
	if (get && strcmp(u, "/_sim/stats") == 0) {
		req_reply_json(r, 200, state_stats_json());
		return;
	}
	if (get && strcmp(u, "/_sim/sends") == 0) {
		get_sends(r);
		return;
	}
	if (strcmp(u, "/_sim/instances") == 0 ||
	    strcmp(u, "/_sim/instances/") == 0) {
		if (post)
			create_instance(r);
		else if (get)
			list_instances(r);
		else
			reply_error(r, 405, "method not allowed");
		return;
	}
	if (strncmp(u, INSTANCES, strlen(INSTANCES)) != 0 ||
	    u[strlen(INSTANCES)] == '\0') {
		reply_error(r, 404, "no such control route");
		return;
	}
	rest = u + strlen(INSTANCES);
	n = strlen(rest);
	if (post && n > 5 && strcmp(rest + n - 5, "/scan") == 0) {
		name = xasprintf("%.*s", (int)(n - 5), rest);
		sim_lock();
		if ((in = state_find_locked(name)) == NULL) {
			sim_unlock();
			reply_error(r, 404, "no such instance");
		} else if (!scan_locked(in)) {
			sim_unlock();
			reply_error(r, 409, "instance is banned");
		} else {
			o = instance_sim_json_locked(in);
			sim_unlock();
			req_reply_json(r, 200, o);
		}
		free(name);
		return;
	}
	if (post && n > 6 && strcmp(rest + n - 6, "/knobs") == 0) {
		name = xasprintf("%.*s", (int)(n - 6), rest);
		set_knobs(r, name);
		free(name);
		return;
	}
	if (get || strcmp(r->method, "DELETE") == 0) {
		sim_lock();
		if ((in = state_find_locked(rest)) == NULL) {
			sim_unlock();
			reply_error(r, 404, "no such instance");
			return;
		}
		o = instance_sim_json_locked(in);
		if (!get)
			state_remove_locked(in);
		sim_unlock();
		req_reply_json(r, 200, o);
		return;
	}
	reply_error(r, 404, "no such control route");
}
