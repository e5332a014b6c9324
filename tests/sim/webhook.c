/* webhook.c: posts webhooks from one background thread (libcurl multi). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sim.h"

/*
 * Request threads call webhook_post() to schedule a job; it only takes the
 * queue mutex to push onto a min-heap ordered by due time, so answering a
 * request never waits for a webhook.  The worker pops due jobs, first moves
 * the send's ack forward (the "WhatsApp" event happened), then POSTs the
 * body through a curl multi handle with up to MAX_ACTIVE transfers at once;
 * curl keeps the connections alive between posts.  Failures are counted,
 * never retried.  Lock order: state mutex -> queue mutex; the worker never
 * holds the queue mutex while calling into state.c.
 */
#define MAX_ACTIVE	64
#define MAX_PENDING	500000		/* posts queued; ~300 MB of bodies */
#define POST_TIMEOUT_MS	10000

struct job {
	int64_t		 due_us;	/* CLOCK_MONOTONIC */
	uint64_t	 order;		/* FIFO among equal due times */
	uint64_t	 seq;		/* send to move forward, 0 = none */
	enum sim_ack	 ack;
	char		*url;		/* NULL: nothing to post */
	char		*body;
	struct curl_slist *headers;
	struct job	*next;		/* ready list */
	int		 slot;		/* index in active[] while posting */
};

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static struct job **heap;
static size_t heap_len, heap_cap;
static uint64_t heap_order;
static int64_t worker_wake_us;		/* when the worker plans to wake */
static bool stopping;

static CURLM *multi;
static CURL *active_easy[MAX_ACTIVE];	/* worker thread only */
static pthread_t worker;
static bool started;

static _Atomic uint64_t n_posted, n_failed, n_dropped, n_pending;

static bool
job_before(const struct job *a, const struct job *b)
{
	return a->due_us < b->due_us ||
	    (a->due_us == b->due_us && a->order < b->order);
}

static void
heap_push(struct job *j)
{
	size_t i;

	if (heap_len == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = xrealloc(heap, heap_cap * sizeof(*heap));
	}
	i = heap_len++;
	while (i > 0 && job_before(j, heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = j;
}

static struct job *
heap_pop(void)
{
	struct job *top = heap[0], *last = heap[--heap_len];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && job_before(heap[c + 1], heap[c]))
			c++;
		if (!job_before(heap[c], last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (heap_len > 0)
		heap[i] = last;
	return top;
}

static void
job_free(struct job *j)
{
	free(j->url);
	free(j->body);
	curl_slist_free_all(j->headers);
	free(j);
	atomic_fetch_sub_explicit(&n_pending, 1, memory_order_relaxed);
}

/*
 * Schedules a webhook `delay_ms` from now.  `url` NULL means no POST (only
 * the ack of send `seq` moves forward).  `headers_json` is an optional JSON
 * object of extra headers.  Takes ownership of `body`.
 */
void
webhook_post(int64_t delay_ms, const char *url, const char *headers_json,
    char *body, uint64_t seq, enum sim_ack ack)
{
	struct job *j;
	bool wake;

	/* Ack-only jobs are tiny and keep /_sim/sends right: never dropped. */
	if (url != NULL && atomic_load_explicit(&n_pending,
	    memory_order_relaxed) >= MAX_PENDING) {
		atomic_fetch_add(&n_dropped, 1);
		free(body);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->due_us = now_mono_us() + delay_ms * 1000;
	j->seq = seq;
	j->ack = ack;
	j->url = xstrdup(url);
	j->body = body;
	if (url != NULL) {
		json_object *h = NULL;

		j->headers = curl_slist_append(NULL,
		    "Content-Type: application/json");
		if (headers_json != NULL)
			h = json_tokener_parse(headers_json);
		if (h != NULL && json_object_is_type(h, json_type_object)) {
			json_object_object_foreach(h, k, v) {
				char *line;

				if (!json_object_is_type(v, json_type_string))
					continue;
				line = xasprintf("%s: %s", k,
				    json_object_get_string(v));
				j->headers = curl_slist_append(j->headers, line);
				free(line);
			}
		}
		json_object_put(h);
	}
	atomic_fetch_add_explicit(&n_pending, 1, memory_order_relaxed);
	pthread_mutex_lock(&q_mu);
	j->order = heap_order++;
	heap_push(j);
	wake = j->due_us < worker_wake_us;
	if (wake)
		worker_wake_us = j->due_us;
	pthread_mutex_unlock(&q_mu);
	if (wake && started)
		curl_multi_wakeup(multi);
}

static size_t
discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

static void
start_transfer(struct job *j)
{
	CURL *e = curl_easy_init();

	if (e == NULL) {
		atomic_fetch_add(&n_failed, 1);
		job_free(j);
		return;
	}
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body != NULL ? j->body : "");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "axios/1.7.9");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)POST_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	for (j->slot = 0; active_easy[j->slot] != NULL; j->slot++)
		continue;
	active_easy[j->slot] = e;
	curl_multi_add_handle(multi, e);
}

static void
reap(int *active)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		struct job *j = NULL;
		long code = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		if (m->data.result == CURLE_OK && code >= 200 && code < 300)
			atomic_fetch_add(&n_posted, 1);
		else
			atomic_fetch_add(&n_failed, 1);
		curl_multi_remove_handle(multi, m->easy_handle);
		curl_easy_cleanup(m->easy_handle);
		active_easy[j->slot] = NULL;
		job_free(j);
		(*active)--;
	}
}

static void *
worker_main(void *arg)
{
	struct job *ready = NULL, **ready_tail = &ready;
	int active = 0;

	(void)arg;
	for (;;) {
		struct job *due = NULL, **due_tail = &due;
		int64_t now = now_mono_us(), wait_us = 200000;
		int running;

		pthread_mutex_lock(&q_mu);
		if (stopping) {
			pthread_mutex_unlock(&q_mu);
			break;
		}
		while (heap_len > 0 && heap[0]->due_us <= now) {
			*due_tail = heap_pop();
			due_tail = &(*due_tail)->next;
		}
		if (heap_len > 0 && heap[0]->due_us - now < wait_us)
			wait_us = heap[0]->due_us - now;
		worker_wake_us = now + wait_us;
		pthread_mutex_unlock(&q_mu);

		/* The event happened: record it even if nobody listens. */
		while (due != NULL) {
			struct job *j = due;

			due = j->next;
			j->next = NULL;
			if (j->seq != 0)
				sends_set_ack(j->seq, j->ack);
			if (j->url == NULL) {
				job_free(j);
				continue;
			}
			*ready_tail = j;
			ready_tail = &j->next;
		}
		while (ready != NULL && active < MAX_ACTIVE) {
			struct job *j = ready;

			ready = j->next;
			if (ready == NULL)
				ready_tail = &ready;
			j->next = NULL;
			start_transfer(j);
			active++;
		}
		curl_multi_perform(multi, &running);
		reap(&active);
		if (ready != NULL && active < MAX_ACTIVE)
			continue;
		curl_multi_poll(multi, NULL, 0, (int)((wait_us + 999) / 1000),
		    NULL);
		curl_multi_perform(multi, &running);
		reap(&active);
	}
	while (ready != NULL) {
		struct job *j = ready;

		ready = j->next;
		job_free(j);
	}
	return NULL;
}

/* Starts the poster thread.  Returns 0, or -1 on failure. */
int
webhook_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	if ((multi = curl_multi_init()) == NULL)
		return -1;
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)MAX_ACTIVE * 2);
	worker_wake_us = INT64_MAX;
	if (pthread_create(&worker, NULL, worker_main, NULL) != 0)
		return -1;
	started = true;
	return 0;
}

/* Drops every job not yet due and zeroes the counters (POST /_sim/reset). */
void
webhook_clear(void)
{
	pthread_mutex_lock(&q_mu);
	while (heap_len > 0)
		job_free(heap_pop());
	pthread_mutex_unlock(&q_mu);
	atomic_store(&n_posted, 0);
	atomic_store(&n_failed, 0);
	atomic_store(&n_dropped, 0);
}

/* Stops the worker; pending jobs are dropped, active transfers aborted. */
void
webhook_stop(void)
{
	int i;

	if (!started)
		return;
	pthread_mutex_lock(&q_mu);
	stopping = true;
	pthread_mutex_unlock(&q_mu);
	curl_multi_wakeup(multi);
	pthread_join(worker, NULL);
	started = false;
	for (i = 0; i < MAX_ACTIVE; i++) {
		struct job *j = NULL;

		if (active_easy[i] == NULL)
			continue;
		curl_easy_getinfo(active_easy[i], CURLINFO_PRIVATE, (char **)&j);
		curl_multi_remove_handle(multi, active_easy[i]);
		curl_easy_cleanup(active_easy[i]);
		active_easy[i] = NULL;
		job_free(j);
	}
	webhook_clear();
	free(heap);
	heap = NULL;
	heap_cap = 0;
	curl_multi_cleanup(multi);
	curl_global_cleanup();
}

json_object *
webhook_stats_json(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "posted",
	    json_object_new_int64((int64_t)atomic_load(&n_posted)));
	json_object_object_add(o, "failed",
	    json_object_new_int64((int64_t)atomic_load(&n_failed)));
	json_object_object_add(o, "dropped",
	    json_object_new_int64((int64_t)atomic_load(&n_dropped)));
	json_object_object_add(o, "pending",
	    json_object_new_int64((int64_t)atomic_load(&n_pending)));
	return o;
}
