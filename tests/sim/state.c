/* state.c: the simulator's shared state: instances, the send log, stats. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/*
 * One mutex guards everything in this file except the counters that are
 * atomics.  Handlers hold it only to look up or change an instance or to
 * append a send; never while sleeping, printing JSON or doing I/O.
 */
static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;

#define NBUCKETS 4096

static struct sim_instance *buckets[NBUCKETS];
static struct sim_instance *ins_head, *ins_tail;

/* Accepted sends per instance name; survives instance deletion. */
struct count {
	char		*name;
	uint64_t	 n;
	struct count	*next;
};
static struct count *counts[NBUCKETS];
static uint64_t sends_total;

/* The send log: a ring that grows up to sim_cfg.max_sends. */
struct rec {
	uint64_t	 seq;
	int64_t		 t_us;
	int		 delay_ms;
	unsigned char	 kind;
	unsigned char	 ack;
	char		*instance;
	char		*number;
	char		*text;
	char		 id[32];
};
static struct rec *ring;
static size_t ring_cap, ring_head, ring_len;
static uint64_t next_seq = 1;
static uint64_t dropped_sends;

static _Atomic uint64_t requests_total, errors_total;

static pthread_mutex_t rec_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *rec_fp;

static const char *const state_names[SIM_STATE__MAX] = {
	"close",	/* SIM_CLOSE */
	"connecting",	/* SIM_CONNECTING */
	"open",		/* SIM_OPEN */
};

static const char *const ack_names[SIM_ACK__MAX] = {
	"DONE",		/* SIM_ACK_NONE */
	"PENDING",	/* SIM_ACK_PENDING */
	"SERVER_ACK",	/* SIM_ACK_SERVER */
	"DELIVERY_ACK",	/* SIM_ACK_DELIVERY */
	"READ",		/* SIM_ACK_READ */
};

static const char *const kind_names[SIM_KIND__MAX] = {
	"text",		/* SIM_KIND_TEXT */
	"media",	/* SIM_KIND_MEDIA */
	"presence",	/* SIM_KIND_PRESENCE */
};

const char *
sim_state_name(enum sim_state s)
{
	return state_names[s];
}

const char *
sim_ack_name(enum sim_ack a)
{
	return ack_names[a];
}

const char *
sim_kind_name(enum sim_kind k)
{
	return kind_names[k];
}

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

/*
 * Opens the --record file (append, line-buffered so a killed simulator
 * loses nothing).  Exits on failure: a test asked for it.
 */
void
state_init(void)
{
	if (sim_cfg.record_path == NULL)
		return;
	if ((rec_fp = fopen(sim_cfg.record_path, "a")) == NULL) {
		perror(sim_cfg.record_path);
		exit(1);
	}
	setvbuf(rec_fp, NULL, _IOLBF, 0);
}

void
sim_lock(void)
{
	pthread_mutex_lock(&state_mu);
}

void
sim_unlock(void)
{
	pthread_mutex_unlock(&state_mu);
}

void
knobs_defaults(struct sim_knobs *k)
{
	memset(k, 0, sizeof(*k));
	k->error_status = 500;
	k->timeout_ms = 30000;
	k->ack = true;
	k->ack_delay_ms = 20;
}

struct sim_instance *
state_find_locked(const char *name)
{
	struct sim_instance *in;

	for (in = buckets[hash(name)]; in != NULL; in = in->hnext)
		if (strcmp(in->name, name) == 0)
			return in;
	return NULL;
}

/* New instance with defaults (state close); the name must be unused. */
struct sim_instance *
state_add_locked(const char *name)
{
	struct sim_instance *in = xcalloc(1, sizeof(*in));
	char uuid[37];
	unsigned h = hash(name);

	in->name = xstrdup(name);
	rand_uuid(uuid, false);
	in->id = xstrdup(uuid);
	in->state = SIM_CLOSE;
	in->created_ms = in->updated_ms = now_real_ms();
	in->settings.msg_call = xstrdup("");
	knobs_defaults(&in->knobs);
	in->hnext = buckets[h];
	buckets[h] = in;
	in->prev = ins_tail;
	if (ins_tail != NULL)
		ins_tail->next = in;
	else
		ins_head = in;
	ins_tail = in;
	return in;
}

static void
instance_free(struct sim_instance *in)
{
	free(in->name);
	free(in->id);
	free(in->token);
	free(in->integration);
	free(in->number);
	free(in->owner_jid);
	free(in->profile_name);
	free(in->settings.msg_call);
	free(in->webhook.url);
	free(in->webhook.headers);
	free(in->webhook.id);
	xfree_strv(in->webhook.events, in->webhook.n_events);
	xfree_strv(in->knobs.not_on_whatsapp, in->knobs.n_not_on_whatsapp);
	free(in->qr_code);
	free(in->pairing_code);
	free(in);
}

void
state_remove_locked(struct sim_instance *in)
{
	struct sim_instance **pp = &buckets[hash(in->name)];

	while (*pp != in)
		pp = &(*pp)->hnext;
	*pp = in->hnext;
	if (in->prev != NULL)
		in->prev->next = in->next;
	else
		ins_head = in->next;
	if (in->next != NULL)
		in->next->prev = in->prev;
	else
		ins_tail = in->prev;
	instance_free(in);
}

struct sim_instance *
state_first_locked(void)
{
	return ins_head;
}

static void
rec_clear(struct rec *r)
{
	free(r->instance);
	free(r->number);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* Forgets instances, sends, counts and stats (POST /_sim/reset). */
void
state_reset_locked(void)
{
	size_t i;

	while (ins_head != NULL)
		state_remove_locked(ins_head);
	for (i = 0; i < NBUCKETS; i++) {
		while (counts[i] != NULL) {
			struct count *c = counts[i];

			counts[i] = c->next;
			free(c->name);
			free(c);
		}
	}
	for (i = 0; i < ring_len; i++)
		rec_clear(&ring[(ring_head + i) % ring_cap]);
	free(ring);
	ring = NULL;
	ring_cap = ring_head = ring_len = 0;
	next_seq = 1;
	sends_total = dropped_sends = 0;
	atomic_store(&requests_total, 0);
	atomic_store(&errors_total, 0);
}

void
state_free(void)
{
	sim_lock();
	state_reset_locked();
	sim_unlock();
	if (rec_fp != NULL)
		fclose(rec_fp);
}

/* Is `number` (normalised digits or JID) in the not_on_whatsapp knob? */
bool
knobs_blocks_number_locked(const struct sim_instance *in, const char *number)
{
	size_t i;

	for (i = 0; i < in->knobs.n_not_on_whatsapp; i++)
		if (strcmp(in->knobs.not_on_whatsapp[i], number) == 0)
			return true;
	return false;
}

static void
count_add(const char *name)
{
	struct count *c;
	unsigned h = hash(name);

	for (c = counts[h]; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			break;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->name = xstrdup(name);
		c->next = counts[h];
		counts[h] = c;
	}
	c->n++;
}

/*
 * Appends a send to the log and returns its seq.  The strings are copied.
 * When the log is full (--max-sends) the oldest entry is dropped.
 */
uint64_t
sends_append_locked(const struct sim_send *s)
{
	struct rec *r;

	if (ring_len == ring_cap && ring_cap < sim_cfg.max_sends) {
		size_t ncap = ring_cap ? ring_cap * 2 : 4096, i;
		struct rec *nr;

		if (ncap > sim_cfg.max_sends)
			ncap = sim_cfg.max_sends;
		nr = xcalloc(ncap, sizeof(*nr));
		for (i = 0; i < ring_len; i++)
			nr[i] = ring[(ring_head + i) % ring_cap];
		free(ring);
		ring = nr;
		ring_cap = ncap;
		ring_head = 0;
	}
	if (ring_len == ring_cap) {
		rec_clear(&ring[ring_head]);
		ring_head = (ring_head + 1) % ring_cap;
		ring_len--;
		dropped_sends++;
	}
	r = &ring[(ring_head + ring_len) % ring_cap];
	ring_len++;
	r->seq = next_seq++;
	r->t_us = s->t_us;
	r->delay_ms = s->delay_ms;
	r->kind = (unsigned char)s->kind;
	r->ack = (unsigned char)s->ack;
	r->instance = xstrdup(s->instance);
	r->number = xstrdup(s->number);
	r->text = xstrdup(s->text != NULL ? s->text : "");
	snprintf(r->id, sizeof(r->id), "%s", s->id);
	if (s->kind != SIM_KIND_PRESENCE) {
		sends_total++;
		count_add(s->instance);
	}
	return r->seq;
}

static struct rec *
rec_by_seq(uint64_t seq)
{
	uint64_t first;

	if (ring_len == 0)
		return NULL;
	first = ring[ring_head].seq;
	if (seq < first || seq - first >= ring_len)
		return NULL;
	return &ring[(ring_head + (seq - first)) % ring_cap];
}

/* Moves a send's ack forward (never backwards). */
void
sends_set_ack(uint64_t seq, enum sim_ack ack)
{
	struct rec *r;

	sim_lock();
	if ((r = rec_by_seq(seq)) != NULL && r->ack < ack)
		r->ack = (unsigned char)ack;
	sim_unlock();
}

/*
 * Copies sends with seq > since (of one instance if `instance` is set),
 * at most `limit` (0 = all).  Caller frees with sends_free().
 */
struct sim_send *
sends_copy(const char *instance, uint64_t since, size_t limit, size_t *np)
{
	struct sim_send *out = NULL;
	size_t n = 0, cap = 0, i = 0;

	sim_lock();
	if (ring_len > 0 && since >= ring[ring_head].seq)
		i = (size_t)(since - ring[ring_head].seq + 1);
	for (; i < ring_len && (limit == 0 || n < limit); i++) {
		const struct rec *r = &ring[(ring_head + i) % ring_cap];
		struct sim_send *s;

		if (instance != NULL && strcmp(r->instance, instance) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			out = xrealloc(out, cap * sizeof(*out));
		}
		s = &out[n++];
		s->seq = r->seq;
		s->t_us = r->t_us;
		s->delay_ms = r->delay_ms;
		s->kind = (enum sim_kind)r->kind;
		s->ack = (enum sim_ack)r->ack;
		s->instance = xstrdup(r->instance);
		s->number = xstrdup(r->number);
		s->text = xstrdup(r->text);
		memcpy(s->id, r->id, sizeof(s->id));
	}
	sim_unlock();
	*np = n;
	return out;
}

void
sends_free(struct sim_send *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].instance);
		free(v[i].number);
		free(v[i].text);
	}
	free(v);
}

/* The /_sim/sends item (and --record line) for one send. */
json_object *
sends_to_json(const struct sim_send *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)s->seq));
	json_object_object_add(o, "instance", json_object_new_string(s->instance));
	json_object_object_add(o, "number", json_object_new_string(s->number));
	json_object_object_add(o, "text", json_object_new_string(s->text));
	json_object_object_add(o, "kind",
	    json_object_new_string(sim_kind_name(s->kind)));
	json_object_object_add(o, "id",
	    s->id[0] != '\0' ? json_object_new_string(s->id) : NULL);
	json_object_object_add(o, "t_us", json_object_new_int64(s->t_us));
	json_object_object_add(o, "status",
	    json_object_new_string(sim_ack_name(s->ack)));
	json_object_object_add(o, "delay_ms", json_object_new_int(s->delay_ms));
	return o;
}

/* Appends one JSON line for `s` (which has its seq set) to --record. */
void
sends_record_file(const struct sim_send *s)
{
	json_object *o;
	const char *txt;

	if (rec_fp == NULL)
		return;
	o = sends_to_json(s);
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	pthread_mutex_lock(&rec_mu);
	fprintf(rec_fp, "%s\n", txt);
	pthread_mutex_unlock(&rec_mu);
	json_object_put(o);
}

/* Counts one gateway request (control calls are not counted). */
void
stats_request(unsigned status)
{
	atomic_fetch_add_explicit(&requests_total, 1, memory_order_relaxed);
	if (status >= 400 || status == 0)
		atomic_fetch_add_explicit(&errors_total, 1,
		    memory_order_relaxed);
}

json_object *
state_stats_json(void)
{
	json_object *o = json_object_new_object(), *per;
	struct count *c;
	size_t i;

	per = json_object_new_object();
	sim_lock();
	json_object_object_add(o, "sends_total",
	    json_object_new_int64((int64_t)sends_total));
	for (i = 0; i < NBUCKETS; i++)
		for (c = counts[i]; c != NULL; c = c->next)
			json_object_object_add(per, c->name,
			    json_object_new_int64((int64_t)c->n));
	json_object_object_add(o, "sends_dropped_from_log",
	    json_object_new_int64((int64_t)dropped_sends));
	json_object_object_add(o, "last_seq",
	    json_object_new_int64((int64_t)(next_seq - 1)));
	sim_unlock();
	json_object_object_add(o, "per_instance", per);
	json_object_object_add(o, "requests_total",
	    json_object_new_int64((int64_t)atomic_load(&requests_total)));
	json_object_object_add(o, "errors_total",
	    json_object_new_int64((int64_t)atomic_load(&errors_total)));
	json_object_object_add(o, "webhooks", webhook_stats_json());
	return o;
}

static json_object *
strv_json(char **v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* GET /_sim/instances/{name}: everything the simulator knows. */
json_object *
instance_sim_json_locked(const struct sim_instance *in)
{
	json_object *o = json_object_new_object(), *k, *w;
	const struct sim_knobs *kn = &in->knobs;

	json_object_object_add(o, "name", json_object_new_string(in->name));
	json_object_object_add(o, "id", json_object_new_string(in->id));
	json_object_object_add(o, "token", json_str_or_null(in->token));
	json_object_object_add(o, "integration",
	    json_str_or_null(in->integration));
	json_object_object_add(o, "state",
	    json_object_new_string(sim_state_name(in->state)));
	json_object_object_add(o, "number", json_str_or_null(in->number));
	json_object_object_add(o, "ownerJid", json_str_or_null(in->owner_jid));
	json_object_object_add(o, "profileName",
	    json_str_or_null(in->profile_name));
	json_object_object_add(o, "disconnectionReasonCode",
	    in->disconnection_code ?
	    json_object_new_int(in->disconnection_code) : NULL);
	json_object_object_add(o, "qrCount", json_object_new_int(in->qr_count));
	json_object_object_add(o, "sends",
	    json_object_new_int64((int64_t)in->sends));

	k = json_object_new_object();
	json_object_object_add(k, "latency_ms",
	    json_object_new_int(kn->latency_ms));
	json_object_object_add(k, "error_rate",
	    json_object_new_double(kn->error_rate));
	json_object_object_add(k, "error_status",
	    json_object_new_int(kn->error_status));
	json_object_object_add(k, "timeout_rate",
	    json_object_new_double(kn->timeout_rate));
	json_object_object_add(k, "timeout_ms",
	    json_object_new_int(kn->timeout_ms));
	json_object_object_add(k, "timeout_delivers",
	    json_object_new_boolean(kn->timeout_delivers));
	json_object_object_add(k, "disconnect",
	    json_object_new_boolean(kn->disconnect));
	json_object_object_add(k, "banned", json_object_new_boolean(kn->banned));
	json_object_object_add(k, "ack", json_object_new_boolean(kn->ack));
	json_object_object_add(k, "ack_delay_ms",
	    json_object_new_int(kn->ack_delay_ms));
	json_object_object_add(k, "read", json_object_new_boolean(kn->read));
	json_object_object_add(k, "rate_limit_429",
	    json_object_new_int(kn->rate_limit_429));
	json_object_object_add(k, "not_on_whatsapp",
	    strv_json(kn->not_on_whatsapp, kn->n_not_on_whatsapp));
	json_object_object_add(o, "knobs", k);

	w = json_object_new_object();
	json_object_object_add(w, "enabled",
	    json_object_new_boolean(in->webhook.enabled));
	json_object_object_add(w, "url", json_str_or_null(in->webhook.url));
	json_object_object_add(w, "byEvents",
	    json_object_new_boolean(in->webhook.by_events));
	json_object_object_add(w, "base64",
	    json_object_new_boolean(in->webhook.base64));
	json_object_object_add(w, "events",
	    strv_json(in->webhook.events, in->webhook.n_events));
	json_object_object_add(o, "webhook", w);
	return o;
}
