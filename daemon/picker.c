/*
 * picker.c: choose the instance for a message: sticky recipient first,
 * then round-robin (shared cursor) or priority over the pool's members,
 * skipping what cannot send now.  The skip is the failover.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"
#include "rate-settings.h"
#include "util.h"

struct instance_row *
dispatch_instance(struct dispatcher *d, long long id)
{
	return instance_rows_find(d->instances, d->ninstances, id);
}

struct instance_runtime *
dispatch_runtime(struct dispatcher *d, long long id)
{
	size_t i;

	for (i = 0; i < d->nruntime; i++)
		if (d->runtime[i].id == id)
			return &d->runtime[i];
	d->runtime = xrealloc(d->runtime, (d->nruntime + 1) * sizeof(*d->runtime));
	memset(&d->runtime[d->nruntime], 0, sizeof(*d->runtime));
	d->runtime[d->nruntime].id = id;
	breaker_init(&d->runtime[d->nruntime].breaker);
	/* Spread the first health checks over one interval. */
	d->runtime[d->nruntime].next_health_ms = clock_mono_ms() +
	    (int64_t)(random_unit() * (double)d->config->health_interval * 1000.0);
	return &d->runtime[d->nruntime++];
}

static struct pool_row *
find_pool(struct dispatcher *d, long long id)
{
	size_t i;

	for (i = 0; i < d->npools; i++)
		if (d->pools[i].id == id)
			return &d->pools[i];
	return NULL;
}

static struct breaker_config
breaker_settings(const struct config *c)
{
	struct breaker_config b = {
		.window_ms = c->breaker_window_seconds * 1000,
		.min_calls = (int)c->breaker_min_calls,
		.failure_rate = c->breaker_failure_rate,
		.open_ms = c->breaker_open_seconds * 1000,
		.half_open_probes = (int)c->breaker_probes,
		.max_trips = (int)c->breaker_max_trips,
	};

	return b;
}

void
dispatch_limits(struct dispatcher *d, const struct instance_row *i, struct rate_limits *l)
{
	rate_limits_resolve(d->config, i, d->pools, d->npools, l);
}

/* Why an instance cannot take a message now (NULL: it can, gates aside). */
static const char *
unusable(struct dispatcher *d, const struct instance_row *i, int64_t now)
{
	struct instance_runtime *rt;

	if (!i->gateway_active)
		return "gateway inactive";
	if (strcmp(i->admin_state, "active") != 0)
		return "instance suspended";
	if (strcmp(i->state, "connected") != 0)
		return "instance not connected";
	if (strcmp(i->health, "ok") != 0)
		return "instance degraded";
	if (gateway_driver_find(i->kind) == NULL)
		return "no driver for this gateway kind";
	/* Open in the database: by hand (no end), or by any daemon until breaker_until. */
	if (strcmp(i->breaker_state, "open") == 0 &&
	    (i->breaker_remaining_ms < 0 || i->breaker_remaining_ms > 0))
		return "breaker open";
	rt = dispatch_runtime(d, i->id);
	if (rt->breaker.state == BREAKER_OPEN &&
	    now - rt->breaker.opened_at_ms < d->config->breaker_open_seconds * 1000)
		return "breaker open";
	if (rt->breaker.state == BREAKER_HALF_OPEN &&
	    rt->breaker.probes_issued >= (int)d->config->breaker_probes)
		return "breaker half-open, probes in flight";
	return NULL;
}

/* Gates, then the breaker's probe accounting; true when i takes the message. */
static bool
try_instance(struct dispatcher *d, struct instance_row *i, struct queued_message *m,
    int64_t now, struct rate_decision *decision, const char **reason, int64_t *retry_after)
{
	struct breaker_config bc = breaker_settings(d->config);
	struct instance_runtime *rt;
	struct rate_limits limits;
	int64_t wall = clock_wall_ms();
	const char *why;

	if ((why = unusable(d, i, now)) != NULL) {
		if (*reason == NULL)
			*reason = why;
		return false;
	}
	/*
	 * Closed for every message until then: asking memcached again would
	 * cost a round trip for the same answer (a saturated pool tried each
	 * member for each waiting message: 7.75 round trips per send).
	 */
	rt = dispatch_runtime(d, i->id);
	if (rt->gates_recheck_ms > wall && rt->gates_closed_until_ms > wall) {
		if (*retry_after < 0 || rt->gates_closed_until_ms - wall < *retry_after) {
			*retry_after = rt->gates_closed_until_ms - wall;
			*reason = rate_verdict_str(rt->gates_closed_verdict);
		}
		return false;
	}
	dispatch_limits(d, i, &limits);
	if (rate_acquire(d->rate, &limits, m->recipient, m->body, wall, decision) != RATE_OPEN) {
		/*
		 * Believed for a second at most: a raised limit or a reset by
		 * an operator must not wait for an hour-long daily reopening.
		 */
		if (decision->instance_retry_after_ms > 0) {
			rt->gates_closed_until_ms = wall + decision->instance_retry_after_ms;
			rt->gates_recheck_ms = wall + (decision->instance_retry_after_ms < 1000 ?
			    decision->instance_retry_after_ms : 1000);
			rt->gates_closed_verdict = decision->instance_verdict;
		}
		/* The gate that reopens first decides how long the message waits. */
		if (*retry_after < 0 || decision->retry_after_ms < *retry_after) {
			*retry_after = decision->retry_after_ms;
			*reason = rate_verdict_str(decision->verdict);
		}
		return false;
	}
	if (!breaker_allow(&dispatch_runtime(d, i->id)->breaker, &bc, now)) {
		if (*reason == NULL)
			*reason = "breaker open";
		return false;
	}
	return true;
}

static int
compare_priority(const void *a, const void *b, void *arg)
{
	struct dispatcher *d = arg;
	const struct instance_row *x = dispatch_instance(d, *(const long long *)a);
	const struct instance_row *y = dispatch_instance(d, *(const long long *)b);
	long long ux, uy;

	if (x == NULL || y == NULL)
		return (x == NULL) - (y == NULL);
	if (x->gateway_priority != y->gateway_priority)
		return x->gateway_priority > y->gateway_priority ? -1 : 1;
	ux = dispatch_runtime(d, x->id)->sent_today;
	uy = dispatch_runtime(d, y->id)->sent_today;
	return (ux > uy) - (ux < uy);
}

struct instance_row *
dispatch_pick(struct dispatcher *d, struct queued_message *m, uint64_t cursor,
    struct rate_decision *decision, long long *failover_from, const char **wait_reason,
    int64_t *retry_after_ms)
{
	int64_t now = clock_mono_ms();
	struct pool_row *pool;
	struct instance_row *i;
	long long *order = NULL, *usable;
	size_t n, k, nusable = 0;

	*failover_from = 0;
	*wait_reason = NULL;
	*retry_after_ms = -1;
	memset(decision, 0, sizeof(*decision));
	if (m->forced_instance_id != 0) {
		i = dispatch_instance(d, m->forced_instance_id);
		if (i == NULL) {
			*wait_reason = "the named instance does not exist";
			return NULL;
		}
		return try_instance(d, i, m, now, decision, wait_reason, retry_after_ms) ? i : NULL;
	}
	if ((pool = find_pool(d, m->pool_id)) == NULL) {
		*wait_reason = "the message's pool does not exist";
		return NULL;
	}
	if (!pool->enabled || strcmp(pool->admin_state, "active") != 0) {
		*wait_reason = "pool suspended";
		return NULL;
	}
	if ((n = pool->nmembers) == 0) {
		*wait_reason = "pool has no members";
		return NULL;
	}
	/* The customer replies to the number that wrote: keep it while it can send. */
	if (m->sticky_instance_id != 0) {
		for (k = 0; k < n; k++)
			if (pool->members[k] == m->sticky_instance_id)
				break;
		if (k < n && (i = dispatch_instance(d, m->sticky_instance_id)) != NULL) {
			if (try_instance(d, i, m, now, decision, wait_reason, retry_after_ms))
				return i;
			*failover_from = m->sticky_instance_id;
		}
	}
	/*
	 * Rotate over the members that can send now, not over all of them:
	 * the share of one that cannot is then spread over the others instead
	 * of all falling on its neighbour in the list.
	 */
	usable = xcalloc(n, sizeof(*usable));
	for (k = 0; k < n; k++) {
		const char *why;

		if (pool->members[k] == m->sticky_instance_id ||
		    (i = dispatch_instance(d, pool->members[k])) == NULL)
			continue;
		if ((why = unusable(d, i, now)) != NULL) {
			if (*wait_reason == NULL)
				*wait_reason = why;
			continue;
		}
		usable[nusable++] = pool->members[k];
	}
	order = xcalloc(n, sizeof(*order));
	for (k = 0; k < nusable; k++)
		order[k] = usable[(cursor + k) % nusable];
	free(usable);
	if (!pool->round_robin)
		qsort_r(order, nusable, sizeof(*order), compare_priority, d);
	for (k = 0; k < nusable; k++) {
		if ((i = dispatch_instance(d, order[k])) == NULL)
			continue;
		if (try_instance(d, i, m, now, decision, wait_reason, retry_after_ms)) {
			free(order);
			return i;
		}
	}
	free(order);
	if (*wait_reason == NULL)
		*wait_reason = "no eligible instance";
	return NULL;
}

void
dispatch_sync_breakers(struct dispatcher *d)
{
	size_t i;

	for (i = 0; i < d->ninstances; i++) {
		struct instance_row *row = &d->instances[i];
		struct instance_runtime *rt = dispatch_runtime(d, row->id);

		/* Open (ours or anyone's) -> closed in the database: an operator reset it. */
		if (strcmp(rt->breaker_seen, "open") == 0 && strcmp(row->breaker_state, "closed") == 0 &&
		    rt->breaker.state != BREAKER_CLOSED) {
			breaker_reset(&rt->breaker);
			log_info("instance %s: breaker reset by an operator", row->name);
		}
		snprintf(rt->breaker_seen, sizeof(rt->breaker_seen), "%s", row->breaker_state);
	}
}

void
dispatch_breaker_record(struct dispatcher *d, long long instance_id, bool success)
{
	struct breaker_config bc = breaker_settings(d->config);
	struct instance_runtime *rt = dispatch_runtime(d, instance_id);
	struct instance_row *row = dispatch_instance(d, instance_id);
	const char *name = row != NULL ? row->name : "?";
	enum breaker_event event;
	char *why;

	event = breaker_record(&rt->breaker, &bc, clock_mono_ms(), success);
	switch (event) {
	case BREAKER_EVENT_NONE:
		return;
	case BREAKER_EVENT_OPENED:
		log_warnx("instance %s: breaker opened (trip %d); skipped for %lld s", name,
		    rt->breaker.trips, d->config->breaker_open_seconds);
		(void)instance_set_breaker(d->db, instance_id, "open",
		    d->config->breaker_open_seconds * 1000, rt->breaker.trips);
		snprintf(rt->breaker_seen, sizeof(rt->breaker_seen), "open");
		break;
	case BREAKER_EVENT_CLOSED:
		log_info("instance %s: breaker closed after successful probes", name);
		(void)instance_set_breaker(d->db, instance_id, "closed", 0, 0);
		snprintf(rt->breaker_seen, sizeof(rt->breaker_seen), "closed");
		break;
	case BREAKER_EVENT_SUSPEND:
		why = xasprintf("instance %s: breaker tripped %d times in a row; instance suspended "
		    "until an operator resumes it", name, rt->breaker.trips);
		log_error("%s", why);
		(void)instance_set_breaker(d->db, instance_id, "open",
		    d->config->breaker_open_seconds * 1000, rt->breaker.trips);
		(void)instance_suspend(d->db, instance_id, why);
		snprintf(rt->breaker_seen, sizeof(rt->breaker_seen), "open");
		free(why);
		break;
	}
}
