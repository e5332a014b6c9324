/* breaker.c: the circuit breaker that stops sending to a failing gateway instance. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "breaker.h"

/* Marks a bucket that has never held outcomes. */
#define BUCKET_UNUSED	INT64_MIN

static const char *const state_names[BREAKER_STATE__MAX] = {
	"closed",	/* BREAKER_CLOSED */
	"open",		/* BREAKER_OPEN */
	"half-open",	/* BREAKER_HALF_OPEN */
};

/* Width of one bucket: the window split in BREAKER_BUCKETS, at least 1 ms. */
static int64_t
bucket_width(const struct breaker_config *c)
{
	int64_t width = c->window_ms / BREAKER_BUCKETS;

	return width > 0 ? width : 1;
}

/* Start of the bucket holding now (rounded down, negative times included). */
static int64_t
bucket_start(int64_t now_ms, int64_t width)
{
	int64_t slot = now_ms / width;

	if (now_ms % width != 0 && now_ms < 0)
		slot--;
	return slot * width;
}

/* Index of the ring slot for a bucket starting at start. */
static int
bucket_index(int64_t start, int64_t width)
{
	int64_t slot = start / width % BREAKER_BUCKETS;

	return (int)(slot < 0 ? slot + BREAKER_BUCKETS : slot);
}

/*
 * True when the bucket starting at start still counts at now: the window
 * is the current bucket and the BREAKER_BUCKETS - 1 before it.
 */
static bool
bucket_live(int64_t start, int64_t now_ms, int64_t width)
{
	if (start == BUCKET_UNUSED || start > now_ms)
		return false;
	return (now_ms - start) / width < BREAKER_BUCKETS;
}

static void
clear_window(struct breaker *b)
{
	int i;

	for (i = 0; i < BREAKER_BUCKETS; i++) {
		b->bucket_start_ms[i] = BUCKET_UNUSED;
		b->bucket_ok[i] = 0;
		b->bucket_fail[i] = 0;
	}
}

/* Counts an outcome in the bucket for now, recycling the slot if it is stale. */
static void
count_outcome(struct breaker *b, const struct breaker_config *c,
    int64_t now_ms, bool success)
{
	int64_t width = bucket_width(c), start = bucket_start(now_ms, width);
	int i = bucket_index(start, width);

	if (b->bucket_start_ms[i] != start) {
		b->bucket_start_ms[i] = start;
		b->bucket_ok[i] = 0;
		b->bucket_fail[i] = 0;
	}
	if (success)
		b->bucket_ok[i]++;
	else
		b->bucket_fail[i]++;
}

/* Moves to open and says whether this trip is the one that suspends. */
static enum breaker_event
trip(struct breaker *b, const struct breaker_config *c, int64_t now_ms)
{
	b->state = BREAKER_OPEN;
	b->opened_at_ms = now_ms;
	b->probes_issued = 0;
	b->probes_succeeded = 0;
	b->trips++;
	if (c->max_trips > 0 && b->trips >= c->max_trips)
		return BREAKER_EVENT_SUSPEND;
	return BREAKER_EVENT_OPENED;
}

static int
probes_allowed(const struct breaker_config *c)
{
	return c->half_open_probes > 0 ? c->half_open_probes : 1;
}

/* Sets b to closed with an empty window and no trips. */
void
breaker_init(struct breaker *b)
{
	memset(b, 0, sizeof(*b));
	b->state = BREAKER_CLOSED;
	clear_window(b);
}

/*
 * Says whether a send may go to the instance at now_ms.  Closed: always.
 * Open: no, until open_ms have passed since it opened; then it becomes
 * half-open.  Half-open: yes for the first half_open_probes calls (each
 * counted as an issued probe), then no until the probes' outcomes are in.
 */
bool
breaker_allow(struct breaker *b, const struct breaker_config *c, int64_t now_ms)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		return true;
	case BREAKER_OPEN:
		if (now_ms - b->opened_at_ms < c->open_ms)
			return false;
		b->state = BREAKER_HALF_OPEN;
		b->probes_issued = 0;
		b->probes_succeeded = 0;
		/* FALLTHROUGH */
	case BREAKER_HALF_OPEN:
		if (b->probes_issued >= probes_allowed(c))
			return false;
		b->probes_issued++;
		return true;
	default:
		return false;
	}
}

/*
 * Records the outcome of a send that finished at now_ms and returns the
 * transition it caused:
 * - closed: the outcome joins the window; when the window holds at least
 *   min_calls outcomes and failures / total >= failure_rate (with at least
 *   one failure), the breaker opens: BREAKER_EVENT_OPENED, or
 *   BREAKER_EVENT_SUSPEND when this is trip number max_trips in a row;
 * - half-open: a failure reopens it (OPENED or SUSPEND as above); once
 *   half_open_probes successes are in, it closes with trips back to 0 and
 *   an empty window: BREAKER_EVENT_CLOSED;
 * - open: outcomes of sends started before it opened are ignored.
 */
enum breaker_event
breaker_record(struct breaker *b, const struct breaker_config *c,
    int64_t now_ms, bool success)
{
	int failures = 0, total = 0;

	switch (b->state) {
	case BREAKER_CLOSED:
		count_outcome(b, c, now_ms, success);
		breaker_counts(b, c, now_ms, &failures, &total);
		/* Dividing, not multiplying: 3 / 30 >= 0.1 holds in doubles, 3 >= 0.1 * 30 does not. */
		if (failures > 0 && total >= c->min_calls &&
		    (double)failures / (double)total >= c->failure_rate)
			return trip(b, c, now_ms);
		return BREAKER_EVENT_NONE;
	case BREAKER_HALF_OPEN:
		if (!success)
			return trip(b, c, now_ms);
		b->probes_succeeded++;
		if (b->probes_succeeded < probes_allowed(c))
			return BREAKER_EVENT_NONE;
		b->state = BREAKER_CLOSED;
		b->trips = 0;
		b->probes_issued = 0;
		b->probes_succeeded = 0;
		clear_window(b);
		return BREAKER_EVENT_CLOSED;
	case BREAKER_OPEN:
	default:
		return BREAKER_EVENT_NONE;
	}
}

/*
 * Operator "pause": opens the breaker at now_ms whatever its state.  It
 * goes half-open after the usual cool-down.  Not counted as a trip: the
 * instance did not fail.
 */
void
breaker_trip(struct breaker *b, int64_t now_ms)
{
	b->state = BREAKER_OPEN;
	b->opened_at_ms = now_ms;
	b->probes_issued = 0;
	b->probes_succeeded = 0;
}

/* Operator "resume": closed, no trips, empty window (same as breaker_init). */
void
breaker_reset(struct breaker *b)
{
	breaker_init(b);
}

/* Sets *failures and *total to the outcomes in the window ending at now_ms. */
void
breaker_counts(const struct breaker *b, const struct breaker_config *c,
    int64_t now_ms, int *failures, int *total)
{
	int64_t width = bucket_width(c);
	int i, fail = 0, all = 0;

	for (i = 0; i < BREAKER_BUCKETS; i++) {
		if (!bucket_live(b->bucket_start_ms[i], now_ms, width))
			continue;
		fail += b->bucket_fail[i];
		all += b->bucket_ok[i] + b->bucket_fail[i];
	}
	*failures = fail;
	*total = all;
}

/* Returns "closed", "open" or "half-open". */
const char *
breaker_state_str(enum breaker_state s)
{
	if ((unsigned)s >= BREAKER_STATE__MAX)
		return "unknown";
	return state_names[s];
}
