/*
 * dispatch.c: wapoold's event loop: claim due messages, pick an instance,
 * pass the gates, send through libcurl's multi interface, write outcomes
 * back in batches.  One thread owns all of this; hundreds of sends in
 * flight.  Claims and outcome batches run on two database workers
 * (store.c) so the sends keep moving while MariaDB works: the loop waited
 * ~80 ms per cycle of 256 messages on those round trips when it ran them
 * itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "dispatch.h"
#include "housekeeping.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "wake.h"

#define RELOAD_INTERVAL_MS 1000
#define SENT_TODAY_INTERVAL_MS 30000
#define DB_BACKOFF_MAX_MS 5000
/* Short pause before a message whose instance could not send is tried again elsewhere. */
#define FAILOVER_DELAY_MS 200
/*
 * A message whose rate gate reopens within this long waits in the daemon,
 * not in the queue (doc/rate-gates.md, "Waiting for a slot").
 */
#define HOLD_MAX_MS 1000
/* Outcome batches under load: at least this many, or as many as came in this long. */
#define OUTCOME_BATCH_MIN 128
#define OUTCOME_WAIT_MS 20

volatile sig_atomic_t dispatch_stop_requests;

static void
outcome_push(struct dispatcher *d, const struct outcome *o)
{
	if (d->noutcomes == 0)
		d->outcomes_since_ms = clock_mono_ms();
	if (d->noutcomes == d->outcomes_cap) {
		d->outcomes_cap = d->outcomes_cap ? d->outcomes_cap * 2 : 256;
		d->outcomes = xrealloc(d->outcomes, d->outcomes_cap * sizeof(*d->outcomes));
	}
	d->outcomes[d->noutcomes++] = *o;
}

/* Requests to gateways are at most max_in_flight at once. */
static bool
send_room(const struct dispatcher *d)
{
	return d->sends_in_flight < (size_t)d->config->max_in_flight;
}

/* A message is finished with: its outcome goes to the batch, its memory is released. */
static void
message_outcome(struct dispatcher *d, struct queued_message *m, enum outcome_kind kind,
    long long instance_id, long long failover_from, const char *gateway_id, const char *error,
    long long delay_ms)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.message_id = m->id;
	o.tenant_id = m->tenant_id;
	o.instance_id = instance_id;
	o.failover_from = failover_from;
	o.delay_ms = delay_ms;
	/*
	 * Gateway texts are cut to fixed buffers, perhaps inside a character,
	 * and are whatever bytes the gateway sent: a utf8mb4 column takes
	 * neither, and a refused row costs its batch a retry row by row.
	 */
	if (kind == OUTCOME_SENT) {
		o.recipient = xstrdup(m->recipient);
		o.gateway_message_id = xstrdup(gateway_id != NULL ? gateway_id : "");
		utf8_scrub(o.gateway_message_id);
	}
	if (error != NULL) {
		o.error = xstrndup(error, strnlen(error, 490));
		utf8_scrub(o.error);
	}
	outcome_push(d, &o);
	queued_message_free(m);
}

static void
db_failed_because(struct dispatcher *d, const char *what, int rc, bool busy, const char *error)
{
	int64_t now;

	if (busy) {
		/*
		 * A deadlock or lock wait timeout is another daemon's transaction
		 * in the way, not an outage: run it again in a moment.
		 */
		log_info("database busy (%s): %s; retrying", what, error);
		return;
	}
	now = clock_mono_ms();
	/* Refused is not away: say which, an operator looks for different causes. */
	if (rc != DB_DOWN)
		log_error("database refused (%s): %s; outcomes are kept and it is asked again",
		    what, error);
	else if (!d->db_down)
		log_warnx("database unreachable (%s): %s; outcomes are kept until it is back",
		    what, error);
	d->db_down = true;
	d->db_backoff_ms = d->db_backoff_ms ? d->db_backoff_ms * 2 : 100;
	if (d->db_backoff_ms > DB_BACKOFF_MAX_MS)
		d->db_backoff_ms = DB_BACKOFF_MAX_MS;
	d->db_retry_ms = now + d->db_backoff_ms;
}

static void
db_failed(struct dispatcher *d, const char *what, int rc)
{
	db_failed_because(d, what, rc, db_busy(d->db), db_error(d->db));
}

static void
db_ok(struct dispatcher *d)
{
	if (d->db_down)
		log_info("database reachable again");
	d->db_down = false;
	d->db_backoff_ms = 0;
}

/*
 * Hand every outcome so far to the writer.  It takes all of them, so a
 * batch grows by itself while the previous one is being written; under
 * load it also waits for OUTCOME_BATCH_MIN of them (or OUTCOME_WAIT_MS),
 * for the reason claims wait for room (claim_ready).  Nothing waits on
 * an outcome but the database's view of the message.
 */
static void
flush_outcomes(struct dispatcher *d)
{
	struct store_job job;
	int64_t now = clock_mono_ms();

	/*
	 * One writer: two in parallel (tried) halved the batches and fought
	 * over the same index pages, and drained a third slower.
	 */
	if (d->noutcomes == 0 || store_busy(d->writer) || (d->db_down && now < d->db_retry_ms))
		return;
	if (d->noutcomes < OUTCOME_BATCH_MIN && now - d->outcomes_since_ms < OUTCOME_WAIT_MS &&
	    d->sends_in_flight >= OUTCOME_BATCH_MIN && !d->stopping)
		return;
	memset(&job, 0, sizeof(job));
	job.kind = STORE_RECORD;
	job.outcomes = d->outcomes;
	job.noutcomes = d->noutcomes;
	d->outcomes_writing = d->noutcomes;
	d->outcomes = NULL;
	d->noutcomes = d->outcomes_cap = 0;
	store_submit(d->writer, &job);
}

static void
record_done(struct dispatcher *d, struct store_job *job)
{
	size_t i;

	d->outcomes_writing = 0;
	if (job->rc == DB_OK) {
		db_ok(d);
		d->writes++;
		d->written += (long long)job->noutcomes;
		for (i = 0; i < job->noutcomes; i++)
			outcome_free(&job->outcomes[i]);
	} else {
		/* Kept, not lost: they go with the next batch once the database answers. */
		db_failed_because(d, "writing outcomes", job->rc, job->busy, job->error);
		for (i = 0; i < job->noutcomes; i++)
			outcome_push(d, &job->outcomes[i]);
	}
	free(job->outcomes);
}

/*
 * Every outcome in the database before going on (lease recovery, stop):
 * wait for the writer, then write what is left on the loop's connection.
 */
static void
flush_outcomes_now(struct dispatcher *d)
{
	struct store_job job;
	size_t i;
	int rc;

	if (store_wait(d->writer, &job))
		record_done(d, &job);
	if (d->noutcomes == 0 || (d->db_down && clock_mono_ms() < d->db_retry_ms))
		return;
	if ((rc = queue_record(d->db, d->owner, d->outcomes, d->noutcomes)) != DB_OK) {
		db_failed(d, "writing outcomes", rc);
		return;
	}
	db_ok(d);
	d->writes++;
	d->written += (long long)d->noutcomes;
	for (i = 0; i < d->noutcomes; i++)
		outcome_free(&d->outcomes[i]);
	d->noutcomes = 0;
}

struct transfer *
transfer_new(struct dispatcher *d, enum transfer_kind kind)
{
	struct transfer *t = d->free_transfers;

	if (t != NULL) {
		CURL *easy = t->easy;

		d->free_transfers = t->next_free;
		memset(t, 0, sizeof(*t));
		t->easy = easy;
		/* No curl_easy_reset(): gateway_request_apply() sets every option it uses. */
	} else {
		t = xcalloc(1, sizeof(*t));
		if ((t->easy = curl_easy_init()) == NULL)
			fatalx("curl_easy_init failed");
	}
	t->kind = kind;
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	t->active_next = d->active;
	if (d->active != NULL)
		d->active->active_prev = t;
	d->active = t;
	return t;
}

void
transfer_set_endpoint(struct transfer *t, const struct instance_row *i, struct gateway_endpoint *e)
{
	t->instance_id = i->id;
	t->base_url = xstrdup(i->base_url ? i->base_url : "");
	t->api_key = xstrdup(i->api_key ? i->api_key : "");
	t->instance_name = xstrdup(i->name ? i->name : "");
	t->instance_token = xstrdup(i->token ? i->token : "");
	t->external_id = i->external_id ? xstrdup(i->external_id) : NULL;
	e->base_url = t->base_url;
	e->api_key = t->api_key;
	e->instance_name = t->instance_name;
	e->instance_token = t->instance_token;
	e->external_id = t->external_id;
}

static void
transfer_endpoint(const struct transfer *t, struct gateway_endpoint *e)
{
	e->base_url = t->base_url;
	e->api_key = t->api_key;
	e->instance_name = t->instance_name;
	e->instance_token = t->instance_token;
	e->external_id = t->external_id;
}

void
transfer_start(struct dispatcher *d, struct transfer *t)
{
	/* Typing blocks on the gateway for its delay: leave room beyond it. */
	long total = (long)d->config->send_timeout_ms + (t->kind == TRANSFER_TYPING ? t->typing_ms : 0);

	buf_reset(&t->response);
	gateway_request_apply(t->easy, &t->request, (long)d->config->connect_timeout_ms, total,
	    &t->response);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	if (curl_multi_add_handle(d->multi, t->easy) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
	/*
	 * Write the request now, not after the rest of the batch has been
	 * picked: the rate gates took this send's slot at this instant, and
	 * every millisecond between the slot and the gateway's receipt eats
	 * the guard that keeps each sliding second within the limit
	 * (doc/rate-gates.md, "Transport jitter").  On a kept-alive
	 * connection this one call sends the whole request.
	 */
	events_kick(d);
}

void
transfer_release(struct dispatcher *d, struct transfer *t)
{
	curl_multi_remove_handle(d->multi, t->easy);
	gateway_request_free(&t->request);
	buf_free(&t->response);
	queued_message_free(&t->message);
	free(t->base_url);
	free(t->api_key);
	free(t->instance_name);
	free(t->instance_token);
	free(t->external_id);
	t->base_url = t->api_key = t->instance_name = t->instance_token = t->external_id = NULL;
	if (t->active_prev != NULL)
		t->active_prev->active_next = t->active_next;
	else
		d->active = t->active_next;
	if (t->active_next != NULL)
		t->active_next->active_prev = t->active_prev;
	t->active_prev = t->active_next = NULL;
	t->next_free = d->free_transfers;
	d->free_transfers = t;
}

/* Start the send (or the typing that precedes it) of m through instance i. */
static void
start_send(struct dispatcher *d, struct queued_message *m, struct instance_row *i,
    const struct rate_decision *decision, long long failover_from)
{
	const struct gateway_driver *driver = gateway_driver_find(i->kind);
	struct gateway_endpoint e;
	struct transfer *t;
	int built;

	t = transfer_new(d, TRANSFER_SEND);
	t->driver = driver;
	t->message = *m;	/* the transfer owns the message now */
	memset(m, 0, sizeof(*m));
	t->failover_from = failover_from;
	dispatch_limits(d, i, &t->limits);
	transfer_set_endpoint(t, i, &e);
	if (decision->typing_ms > 0 && driver->build_typing != NULL) {
		t->kind = TRANSFER_TYPING;
		t->typing_ms = decision->typing_ms;
		built = driver->build_typing(&e, t->message.recipient, t->typing_ms, &t->request);
	} else
		built = driver->build_text(&e, t->message.recipient, t->message.body, &t->request);
	if (built != 0) {
		message_outcome(d, &t->message, OUTCOME_FAILED, i->id, failover_from, NULL,
		    "the gateway driver could not build the request", 0);
		transfer_release(d, t);
		return;
	}
	d->sends_in_flight++;
	transfer_start(d, t);
}

/*
 * Give each claimed message its round-robin position: one shared-cursor
 * increment per pool in the batch, so every daemon continues where the
 * others left.  A cursor per pool, because positions taken by other pools'
 * messages would skew this pool's rotation: two pools whose messages
 * alternate in the queue would each use only every other member.
 */
static void
assign_cursors(struct dispatcher *d, const struct queued_message *batch, size_t n,
    uint64_t *positions)
{
	bool *done = xcalloc(n, sizeof(*done));
	size_t k, j;

	for (k = 0; k < n; k++) {
		uint64_t count = 0, end = 0, next;
		char key[64];

		if (done[k])
			continue;
		for (j = k; j < n; j++)
			if (!done[j] && batch[j].pool_id == batch[k].pool_id)
				count++;
		snprintf(key, sizeof(key), "wapool:cursor:%lld", batch[k].pool_id);
		if (d->mc == NULL || mc_incr(d->mc, key, count, count, 0, &end) != 0)
			end = (d->local_cursor += count);
		next = end - count + 1;
		for (j = k; j < n; j++)
			if (!done[j] && batch[j].pool_id == batch[k].pool_id) {
				positions[j] = next++;
				done[j] = true;
			}
	}
	free(done);
}

/*
 * Pools found closed in this pass of the loop: the other messages of such
 * a pool would only meet the same closed gates (one memcached round trip
 * each), so they wait as long without asking.  Gates that depend on the
 * message (pair rate, identical texts) and pinned instances (forced,
 * sticky) are not shared.
 */
struct closed_pools {
	long long	 pool_id[16];
	int64_t		 wait_ms[16];
	const char	*reason[16];
	size_t		 n;
};

static bool
closed_pool_find(const struct closed_pools *cp, const struct queued_message *m, int64_t *wait,
    const char **reason)
{
	size_t k;

	if (m->forced_instance_id != 0 || m->sticky_instance_id != 0)
		return false;
	for (k = 0; k < cp->n; k++)
		if (cp->pool_id[k] == m->pool_id) {
			*wait = cp->wait_ms[k];
			*reason = cp->reason[k];
			return true;
		}
	return false;
}

static void
closed_pool_add(struct closed_pools *cp, const struct queued_message *m, int64_t wait,
    const char *reason)
{
	if (cp->n == sizeof(cp->pool_id) / sizeof(cp->pool_id[0]) || wait <= 0 ||
	    m->forced_instance_id != 0 || m->sticky_instance_id != 0 ||
	    strcmp(reason, "pair") == 0 || strcmp(reason, "identical") == 0)
		return;
	cp->pool_id[cp->n] = m->pool_id;
	cp->wait_ms[cp->n] = wait;
	cp->reason[cp->n++] = reason;
}

static void
hold_push(struct dispatcher *d, struct queued_message *m, uint64_t cursor, int64_t due_ms)
{
	if (d->nheld == d->held_cap) {
		d->held_cap = d->held_cap ? d->held_cap * 2 : 64;
		d->held = xrealloc(d->held, d->held_cap * sizeof(*d->held));
	}
	d->held[d->nheld].message = *m;
	d->held[d->nheld].cursor = cursor;
	d->held[d->nheld++].due_ms = due_ms;
	memset(m, 0, sizeof(*m));
}

/*
 * Pick an instance for m and start its send, or make it wait: in the
 * daemon until its gate reopens when that is soon (the retry then comes
 * exactly on time, and costs no queue round trip), else in the queue.
 * Takes m.  True when it was sent.
 */
static bool
dispatch_one(struct dispatcher *d, struct queued_message *m, uint64_t cursor,
    struct closed_pools *cp)
{
	struct rate_decision decision;
	struct instance_row *i;
	long long failover_from, delay;
	const char *reason;
	int64_t retry_after;

	if (!closed_pool_find(cp, m, &retry_after, &reason)) {
		i = dispatch_pick(d, m, cursor, &decision, &failover_from, &reason, &retry_after);
		if (i != NULL) {
			start_send(d, m, i, &decision, failover_from);
			return true;
		}
		closed_pool_add(cp, m, retry_after, reason);
	}
	if (retry_after > 0 && retry_after <= HOLD_MAX_MS && !d->stopping) {
		hold_push(d, m, cursor, clock_mono_ms() + retry_after);
		return false;
	}
	/* Our outage, not the message's: wait without spending an attempt. */
	delay = retry_after > 0 ? retry_after : d->config->no_instance_delay_ms;
	if (delay < 20)
		delay = 20;
	message_outcome(d, m, OUTCOME_DEFER, 0, 0, NULL, reason, delay);
	return false;
}

/* Try again the held messages whose gates should have reopened. */
static void
retry_held(struct dispatcher *d)
{
	struct closed_pools cp = { .n = 0 };
	struct held_message *due;
	int64_t now = clock_mono_ms();
	size_t k, n = 0, kept = 0;

	/*
	 * Take the due ones out first: dispatch_one() may hold them again.
	 * As many as there is room for among the sends in flight; the rest
	 * stay due and go on a later turn.
	 */
	due = xcalloc(d->nheld, sizeof(*due));
	for (k = 0; k < d->nheld; k++) {
		if (d->held[k].due_ms <= now &&
		    d->sends_in_flight + n < (size_t)d->config->max_in_flight)
			due[n++] = d->held[k];
		else
			d->held[kept++] = d->held[k];
	}
	d->nheld = kept;
	for (k = 0; k < n; k++)
		dispatch_one(d, &due[k].message, due[k].cursor, &cp);
	free(due);
}

/* Stopping, or the queue must see them: give every held message back. */
static void
release_held(struct dispatcher *d, const char *why)
{
	while (d->nheld > 0)
		message_outcome(d, &d->held[--d->nheld].message, OUTCOME_RELEASE, 0, 0, NULL, why, 0);
}

static int64_t
held_next_due(const struct dispatcher *d)
{
	int64_t due = INT64_MAX;
	size_t k;

	for (k = 0; k < d->nheld; k++)
		if (d->held[k].due_ms < due)
			due = d->held[k].due_ms;
	return due;
}

static void
ready_push(struct dispatcher *d, struct queued_message *m, uint64_t cursor)
{
	struct ready_queue *q = &d->ready[m->priority > 0 ? 0 : 1];

	if (q->count == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256, k;
		struct held_message *items = xcalloc(cap, sizeof(*items));

		for (k = 0; k < q->count; k++)
			items[k] = q->items[(q->head + k) % q->cap];
		free(q->items);
		q->items = items;
		q->head = 0;
		q->cap = cap;
	}
	q->items[(q->head + q->count) % q->cap].message = *m;
	q->items[(q->head + q->count) % q->cap].cursor = cursor;
	q->count++;
	d->nready++;
	memset(m, 0, sizeof(*m));
}

/* The next ready message, transactional lane first. */
static bool
ready_pop(struct dispatcher *d, struct held_message *out)
{
	size_t lane;

	for (lane = 0; lane < ARRAY_SIZE(d->ready); lane++) {
		struct ready_queue *q = &d->ready[lane];

		if (q->count == 0)
			continue;
		*out = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		d->nready--;
		return true;
	}
	return false;
}

/* Start ready messages while there is room. */
static void
start_ready(struct dispatcher *d)
{
	struct closed_pools cp = { .n = 0 };
	struct held_message next;

	while (send_room(d) && ready_pop(d, &next))
		dispatch_one(d, &next.message, next.cursor, &cp);
}

static void
release_ready(struct dispatcher *d, const char *why)
{
	struct held_message next;

	while (ready_pop(d, &next))
		message_outcome(d, &next.message, OUTCOME_RELEASE, 0, 0, NULL, why, 0);
}

/*
 * How many more messages the loop can take on now.  Everything it holds a
 * lease on counts: sends in flight (at most max_in_flight), messages held
 * for a rate gate or ready behind the sends, and sends finished whose
 * outcome is not committed yet.  At most max_leases (never fewer than
 * max_in_flight): the next batch is claimed while the current one is sent
 * and written, and a crash sends at most those again whose outcome was
 * not committed (t0208 counts them).  A bound of its own, not a multiple
 * of max_in_flight: fewer sends in flight (less memory) need not mean
 * smaller claims, which cost MariaDB more per message.
 */
static size_t
claim_room(const struct dispatcher *d)
{
	size_t room = (size_t)d->config->max_leases, taken;

	if (room < (size_t)d->config->max_in_flight)
		room = (size_t)d->config->max_in_flight;

	taken = d->sends_in_flight + d->nheld + d->nready + d->noutcomes + d->outcomes_writing;
	room = room > taken ? room - taken : 0;
	if (room > (size_t)d->config->claim_batch_max)
		room = (size_t)d->config->claim_batch_max;
	return room;
}

/*
 * Is a claim now worth its transaction?  Under load a claim waits until
 * half the room is free: claims of a handful of rows cost MariaDB the same
 * five statements as claims of a hundred (claims of ~60 rows cost it 15 %
 * more CPU per message than claims of ~250 in bench/dispatch.sh).  When
 * few sends are in flight, any room is worth it: that is the wake-up
 * path, latency first.
 */
static bool
claim_ready(const struct dispatcher *d, int64_t now)
{
	size_t room, low = (size_t)d->config->claim_batch_max;

	if (d->stopping || !(d->claim_now || now >= d->next_claim_ms) || store_busy(d->claimer))
		return false;
	if (low > (size_t)d->config->max_in_flight)
		low = (size_t)d->config->max_in_flight;
	low = low / 2 > 0 ? low / 2 : 1;
	room = claim_room(d);
	return room >= low || (room > 0 && d->sends_in_flight + d->nheld + d->nready < low);
}

/* Ask the claimer for a batch; claim_done() starts the sends. */
static void
claim_submit(struct dispatcher *d, int64_t now)
{
	struct store_job job;

	d->claim_now = false;
	d->next_claim_ms = now + d->config->poll_interval_ms;
	if (d->db_down && now < d->db_retry_ms)
		return;
	memset(&job, 0, sizeof(job));
	job.kind = STORE_CLAIM;
	job.max = claim_room(d);
	store_submit(d->claimer, &job);
}

/* A claimed batch: pick instances, start sends. */
static void
claim_done(struct dispatcher *d, struct store_job *job)
{
	uint64_t *positions;
	size_t k;

	if (job->rc != DB_OK) {
		db_failed_because(d, "claiming", job->rc, job->busy, job->error);
		return;
	}
	db_ok(d);
	d->claims++;
	d->claimed += (long long)job->nclaimed;
	if (job->nexpired > 0)
		log_info("%zu message(s) expired before they could be sent", job->nexpired);
	/* A full batch means more is waiting: claim again at once. */
	if (job->nclaimed == job->max)
		d->claim_now = true;
	if (d->stopping) {
		/* Claimed while the stop signal came: not ours to send any more. */
		for (k = 0; k < job->nclaimed; k++)
			message_outcome(d, &job->claimed[k], OUTCOME_RELEASE, 0, 0, NULL,
			    "released at shutdown", 0);
	} else if (job->nclaimed > 0) {
		positions = xcalloc(job->nclaimed, sizeof(*positions));
		assign_cursors(d, job->claimed, job->nclaimed, positions);
		for (k = 0; k < job->nclaimed; k++)
			ready_push(d, &job->claimed[k], positions[k]);
		free(positions);
		start_ready(d);
	}
	free(job->claimed);
}

/* Results of the database workers, if any. */
static void
store_collect(struct dispatcher *d)
{
	struct store_job job;
	char drain[64];

	/* Only when a worker rang: not a read() and two locks on every turn of the loop. */
	if (!d->store_rang)
		return;
	d->store_rang = false;
	while (read(d->store_pipe[0], drain, sizeof(drain)) > 0)
		;
	if (store_take(d->claimer, &job))
		claim_done(d, &job);
	if (store_take(d->writer, &job))
		record_done(d, &job);
}

static void
send_done(struct dispatcher *d, struct transfer *t, CURLcode code, long status)
{
	struct send_result result;
	struct queued_message *m = &t->message;
	long long delay;

	t->driver->parse_send(code, status, t->response.ptr, t->response.len, &result);
	if (result.signal != RATE_SIGNAL_OK)
		rate_feedback(d->rate, &t->limits, result.signal, clock_wall_ms());
	switch (result.class) {
	case SEND_OK:
	case SEND_PERMANENT:
		/* The instance did its job even when the number was wrong. */
		dispatch_breaker_record(d, t->instance_id, true);
		break;
	case SEND_RETRY:
	case SEND_UNAVAILABLE:
		dispatch_breaker_record(d, t->instance_id, false);
		break;
	default:
		break;
	}
	switch (result.class) {
	case SEND_OK:
		dispatch_runtime(d, t->instance_id)->sent_today++;
		d->sent_total++;
		message_outcome(d, m, OUTCOME_SENT, t->instance_id, t->failover_from,
		    result.gateway_message_id, NULL, 0);
		break;
	case SEND_PERMANENT:
		message_outcome(d, m, OUTCOME_FAILED, t->instance_id, t->failover_from, NULL,
		    result.error, 0);
		break;
	case SEND_RETRY:
		if (m->attempts + 1 >= m->max_attempts) {
			message_outcome(d, m, OUTCOME_DEAD, t->instance_id, t->failover_from, NULL,
			    result.error, 0);
			break;
		}
		delay = backoff_next_ms(d->config->retry_base_ms, d->config->retry_cap_ms,
		    m->last_backoff_ms, random_unit());
		message_outcome(d, m, OUTCOME_RETRY, t->instance_id, t->failover_from, NULL,
		    result.error, delay);
		break;
	case SEND_THROTTLED:
	case SEND_UNAVAILABLE:
	default:
		message_outcome(d, m, OUTCOME_DEFER, 0, 0, NULL, result.error, FAILOVER_DELAY_MS);
		break;
	}
}

static void
typing_done(struct dispatcher *d, struct transfer *t)
{
	struct gateway_endpoint e;

	/* Whatever the presence call answered, the text goes next on the same handle. */
	curl_multi_remove_handle(d->multi, t->easy);
	gateway_request_free(&t->request);
	transfer_endpoint(t, &e);
	t->kind = TRANSFER_SEND;
	if (t->driver->build_text(&e, t->message.recipient, t->message.body, &t->request) != 0) {
		message_outcome(d, &t->message, OUTCOME_FAILED, t->instance_id, t->failover_from, NULL,
		    "the gateway driver could not build the request", 0);
		d->sends_in_flight--;
		transfer_release(d, t);
		return;
	}
	transfer_start(d, t);
}

static void
drain_completions(struct dispatcher *d)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		struct transfer *t = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		switch (t->kind) {
		case TRANSFER_TYPING:
			typing_done(d, t);
			break;
		case TRANSFER_SEND:
			send_done(d, t, msg->data.result, status);
			d->sends_in_flight--;
			transfer_release(d, t);
			break;
		case TRANSFER_HEALTH:
			health_done(d, t, msg->data.result, status);
			d->health_in_flight--;
			transfer_release(d, t);
			break;
		}
	}
}

static void
reload_model(struct dispatcher *d)
{
	struct instance_row *instances = NULL;
	struct pool_row *pools = NULL;
	size_t ni = 0, np = 0;
	int rc;

	if ((rc = instances_load(d->db, &instances, &ni)) != DB_OK ||
	    (rc = pools_load(d->db, &pools, &np)) != DB_OK) {
		instance_rows_free(instances, ni);
		db_failed(d, "loading instances", rc);
		return;
	}
	instance_rows_free(d->instances, d->ninstances);
	pool_rows_free(d->pools, d->npools);
	d->instances = instances;
	d->ninstances = ni;
	d->pools = pools;
	d->npools = np;
	dispatch_sync_breakers(d);
}

static void
reload_sent_today(struct dispatcher *d)
{
	struct db_result r;
	size_t i;

	if (instances_sent_today(d->db, &r) != DB_OK)
		return;
	for (i = 0; i < r.nrows; i++)
		dispatch_runtime(d, db_int(&r, i, 0, 0))->sent_today = db_int(&r, i, 1, 0);
	db_result_free(&r);
}

static long long
rss_kb(void)
{
	long long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lld %lld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * How many daemons share the rate limits: as configured, or those alive
 * (a heartbeat within three intervals, ours included).  When memcached
 * goes, each daemon keeps 1/N of every limit, so N must not be too small.
 */
static void
count_daemons(struct dispatcher *d)
{
	long long n = d->config->rate_daemons;

	if (n == 0 && (d->db == NULL ||
	    daemons_live(d->db, d->config->heartbeat_interval * 3, &n) != DB_OK))
		return;		/* keep the last count */
	rate_set_daemons(d->rate, n < 1 ? 1 : (int)n);
}

static void
heartbeat(struct dispatcher *d, int64_t now)
{
	long long pending = 0, sending = 0, dead = 0;
	double seconds = (double)(now - d->last_heartbeat_ms) / 1000.0;
	struct daemon_status s = {
		.owner = d->owner, .host = d->host, .pid = getpid(),
		.in_flight = (long long)d->sends_in_flight, .sent_total = d->sent_total,
		.rss_kb = rss_kb(), .rate_degraded = rate_degraded(d->rate),
	};

	if (queue_counts(d->db, &pending, &sending, &dead) != DB_OK)
		log_warnx("heartbeat: queue counts unavailable: %s", db_error(d->db));
	log_info("heartbeat: pending %lld, sending %lld, dead %lld, in flight %zu, %.1f sends/s, "
	    "rss %lld KiB, rate gates %s", pending, sending, dead, d->sends_in_flight,
	    seconds > 0 ? (double)(d->sent_total - d->sent_at_last_heartbeat) / seconds : 0.0,
	    s.rss_kb, s.rate_degraded ? "degraded" : "shared");
	(void)daemon_heartbeat(d->db, &s);
	count_daemons(d);
	/* Slow sends must not lose their lease to recovery. */
	if (d->sends_in_flight > 0 || d->nheld > 0 || d->nready > 0)
		(void)queue_extend_leases(d->db, d->owner, (int)d->config->lease_seconds);
	d->sent_at_last_heartbeat = d->sent_total;
	d->last_heartbeat_ms = now;
}

static void
run_timers(struct dispatcher *d, int64_t now)
{
	long long n;

	if (d->db_down && now < d->db_retry_ms)
		return;
	if (now >= d->next_reload_ms) {
		reload_model(d);
		d->next_reload_ms = now + RELOAD_INTERVAL_MS;
	}
	if (now >= d->next_sent_today_ms) {
		reload_sent_today(d);
		d->next_sent_today_ms = now + SENT_TODAY_INTERVAL_MS;
	}
	if (now >= d->next_recover_ms) {
		/*
		 * Outcomes first: our own leases that expired while the database
		 * was away must be written as sent, not recovered and sent twice.
		 */
		flush_outcomes_now(d);
		if (d->noutcomes == 0 && queue_recover_expired_leases(d->db, &n) == DB_OK && n > 0)
			log_warnx("recovered %lld message(s) whose lease had expired", n);
		if (queue_expire_overdue(d->db, &n) == DB_OK && n > 0)
			log_info("%lld pending message(s) expired", n);
		d->next_recover_ms = now + d->config->recover_interval * 1000;
	}
	if (now >= d->next_ack_check_ms) {
		health_check_acks(d);
		d->next_ack_check_ms = now + d->config->health_interval * 1000;
	}
	if (now >= d->next_heartbeat_ms) {
		heartbeat(d, now);
		d->next_heartbeat_ms = now + d->config->heartbeat_interval * 1000;
	}
	if (!d->stopping)
		health_schedule(d, now);
	housekeeping_run(d, now);
}

/* Deadline passed: abort what is still in flight and give it back to the queue. */
static void
release_in_flight(struct dispatcher *d)
{
	size_t n = 0;

	while (d->active != NULL) {
		struct transfer *t = d->active;

		if (t->kind != TRANSFER_HEALTH) {
			message_outcome(d, &t->message, OUTCOME_RELEASE, 0, 0, NULL,
			    "released at shutdown", 0);
			d->sends_in_flight--;
			n++;
		} else
			d->health_in_flight--;
		transfer_release(d, t);
	}
	if (n > 0)
		log_info("released %zu send(s) still in flight at the shutdown deadline", n);
}

int
dispatcher_run(struct dispatcher *d)
{
	struct store_job job;
	int attempts;

	log_info("wapoold %s running as %s", WAPOOL_VERSION, d->owner);
	for (;;) {
		int64_t now = clock_mono_ms(), timeout, waited;

		if (dispatch_stop_requests >= 2) {
			log_warnx("second stop signal: exiting now; leases will expire and recover");
			return 1;
		}
		if (dispatch_stop_requests == 1 && !d->stopping) {
			d->stopping = true;
			release_held(d, "released at shutdown");
			release_ready(d, "released at shutdown before it was sent");
			d->stop_deadline_ms = now + d->config->shutdown_grace_seconds * 1000;
			log_info("stopping: no new claims; %zu send(s) in flight get %lld s to finish",
			    d->sends_in_flight, d->config->shutdown_grace_seconds);
		}
		if (d->stopping && ((d->sends_in_flight == 0 && !store_busy(d->claimer)) ||
		    now >= d->stop_deadline_ms)) {
			release_in_flight(d);
			break;
		}
		/* Before the timers: they may wait on a database that is away. */
		rate_tick(d->rate, clock_wall_ms());
		run_timers(d, now);
		if (d->nheld > 0)
			retry_held(d);
		store_collect(d);
		if (claim_ready(d, now))
			claim_submit(d, now);
		events_run_due(d);
		drain_completions(d);
		start_ready(d);
		flush_outcomes(d);

		if (d->stopping)
			/*
			 * No claims while stopping, so next_claim_ms is stale: wait
			 * for transfers, the deadline, or (within 200 ms) a second
			 * signal, instead of spinning.
			 */
			timeout = d->stop_deadline_ms - clock_mono_ms() < 200 ?
			    d->stop_deadline_ms - clock_mono_ms() : 200;
		else if (d->claim_now || now >= d->next_claim_ms)
			/*
			 * A claim is due: at once if it can go now, otherwise the
			 * claimer's answer or a finished send wakes the loop.
			 */
			timeout = claim_ready(d, clock_mono_ms()) ? 0 : d->config->poll_interval_ms;
		else
			timeout = d->next_claim_ms - clock_mono_ms();
		if (d->noutcomes > 0)
			timeout = timeout > OUTCOME_WAIT_MS ? OUTCOME_WAIT_MS : timeout;
		/* Due held messages wait for room when the sends are at their cap: a send's end wakes us. */
		if (d->nheld > 0 && send_room(d) &&
		    held_next_due(d) - clock_mono_ms() < timeout)
			timeout = held_next_due(d) - clock_mono_ms();
		if (timeout < 0)
			timeout = 0;
		waited = clock_mono_ms();
		events_wait(d, timeout);
		d->idle_ms += clock_mono_ms() - waited;
		d->turns++;
		d->in_flight_sum += (long long)d->sends_in_flight;
		d->ready_sum += (long long)d->nready;
	}
	/* A claim answered after the deadline: its messages go back (claim_done). */
	if (store_wait(d->claimer, &job))
		claim_done(d, &job);
	/* Outcomes must reach the database before we go: a few tries. */
	for (attempts = 0; (d->noutcomes > 0 || store_busy(d->writer)) && attempts < 20;
	    attempts++) {
		d->db_retry_ms = 0;
		flush_outcomes_now(d);
		if (d->noutcomes > 0)
			usleep(250000);
	}
	if (d->noutcomes > 0)
		log_error("%zu outcome(s) could not be written; their leases will expire and "
		    "the messages will be retried", d->noutcomes);
	(void)daemon_forget(d->db, d->owner);
	/* bench/rate.sh reads the round trips per send from this line. */
	log_info("stopped after %lld send(s); rate gates: %llu memcached round trip(s)",
	    d->sent_total, (unsigned long long)rate_mc_ops(d->rate));
	log_info("database batches: %lld claim(s) of %.1f messages in %lld ms, "
	    "%lld outcome write(s) of %.1f in %lld ms; %lld ms up, %lld ms waiting for events; "
	    "per turn of the loop %.1f sends in flight, %.1f ready",
	    d->claims, d->claims > 0 ? (double)d->claimed / (double)d->claims : 0.0,
	    (long long)store_busy_ms(d->claimer),
	    d->writes, d->writes > 0 ? (double)d->written / (double)d->writes : 0.0,
	    (long long)store_busy_ms(d->writer), (long long)(clock_mono_ms() - d->started_ms),
	    (long long)d->idle_ms,
	    d->turns > 0 ? (double)d->in_flight_sum / (double)d->turns : 0.0,
	    d->turns > 0 ? (double)d->ready_sum / (double)d->turns : 0.0);
	return 0;
}

int
dispatcher_init(struct dispatcher *d, struct config *c)
{
	struct buf err = BUF_INIT;
	unsigned char random_id[4];
	char hex[9];

	memset(d, 0, sizeof(*d));
	d->config = c;
	d->wake_fd = -1;
	d->epoll_fd = -1;
	d->store_pipe[0] = d->store_pipe[1] = -1;
	if (gethostname(d->host, sizeof(d->host) - 1) != 0)
		snprintf(d->host, sizeof(d->host), "localhost");
	(void)random_bytes(random_id, sizeof(random_id));
	hex_encode(random_id, sizeof(random_id), hex);
	/* At most 64 ASCII characters: messages.lease_owner is CHAR(64) (009-fixed-width-lease.sql). */
	snprintf(d->owner, sizeof(d->owner), "%.40s:%d:%s", d->host, (int)getpid(), hex);
	if (db_open(&d->db, c, &err) != DB_OK)
		log_warnx("database unreachable at start (%s); retrying", buf_cstr(&err));
	buf_free(&err);
	if ((d->mc = mc_open(c->memcached_servers)) == NULL) {
		log_error("memcached_servers: cannot parse \"%s\"", c->memcached_servers);
		return -1;
	}
	d->rate = rate_open(d->mc, c, c->rate_daemons > 0 ? (int)c->rate_daemons : 1);
	if (pipe(d->store_pipe) != 0 || fcntl(d->store_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(d->store_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
		log_warn("cannot create the database workers' pipe");
		return -1;
	}
	/* After the loop's own db_open: the client library is initialised once, here. */
	d->claimer = store_start(c, d->owner, (int)c->lease_seconds, d->store_pipe[1]);
	d->writer = store_start(c, d->owner, (int)c->lease_seconds, d->store_pipe[1]);
	if (d->claimer == NULL || d->writer == NULL)
		return -1;
	if ((d->multi = curl_multi_init()) == NULL)
		return -1;
	/* Keep connections to every gateway open between sends. */
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)c->max_in_flight + 16);
	if (c->daemon_wake_listen[0] != '\0' && (d->wake_fd = wake_listen(c->daemon_wake_listen)) < 0)
		log_warn("cannot listen for wake-ups on %s; polling only", c->daemon_wake_listen);
	if (events_init(d) != 0)
		return -1;
	d->claim_now = true;
	d->started_ms = clock_mono_ms();
	d->last_heartbeat_ms = clock_mono_ms();
	d->next_heartbeat_ms = d->last_heartbeat_ms + c->heartbeat_interval * 1000;
	return 0;
}

void
dispatcher_free(struct dispatcher *d)
{
	size_t i;

	/*
	 * Their results were taken at the end of dispatcher_run, unless a
	 * second stop signal cut it short: then the leases expire and recover.
	 */
	store_stop(d->claimer);
	store_stop(d->writer);
	/* Transfers a second stop signal left in flight. */
	while (d->active != NULL)
		transfer_release(d, d->active);
	if (d->store_pipe[0] >= 0) {
		close(d->store_pipe[0]);
		close(d->store_pipe[1]);
	}
	while (d->free_transfers != NULL) {
		struct transfer *t = d->free_transfers;

		d->free_transfers = t->next_free;
		curl_easy_cleanup(t->easy);
		free(t);
	}
	while (d->nheld > 0)
		queued_message_free(&d->held[--d->nheld].message);
	for (i = 0; i < ARRAY_SIZE(d->ready); i++) {
		struct ready_queue *q = &d->ready[i];

		for (; q->count > 0; q->count--, q->head = (q->head + 1) % q->cap)
			queued_message_free(&q->items[q->head].message);
		free(q->items);
	}
	free(d->held);
	for (i = 0; i < d->noutcomes; i++)
		outcome_free(&d->outcomes[i]);
	free(d->outcomes);
	instance_rows_free(d->instances, d->ninstances);
	pool_rows_free(d->pools, d->npools);
	free(d->runtime);
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	events_close(d);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	rate_close(d->rate);
	mc_close(d->mc);
	db_close(d->db);
}
