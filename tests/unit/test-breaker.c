/* test-breaker.c: unit tests for the circuit breaker state machine. */
#include <stdio.h>

#include "breaker.h"
#include "util.h"
#include "tap.h"

/* 60 s window in 12 buckets of 5 s; the defaults of wapool.conf, max_trips 3. */
static const struct breaker_config config = {
	.window_ms = 60000,
	.min_calls = 10,
	.failure_rate = 0.5,
	.open_ms = 30000,
	.half_open_probes = 3,
	.max_trips = 3,
};

/* Records count outcomes at now_ms; returns the last non-NONE event. */
static enum breaker_event
record_many(struct breaker *b, const struct breaker_config *c, int64_t now_ms,
    int count, bool success)
{
	enum breaker_event last = BREAKER_EVENT_NONE, e;
	int i;

	for (i = 0; i < count; i++) {
		e = breaker_record(b, c, now_ms, success);
		if (e != BREAKER_EVENT_NONE)
			last = e;
	}
	return last;
}

/* Opens b from closed with ten failures at now_ms. */
static enum breaker_event
open_it(struct breaker *b, int64_t now_ms)
{
	return record_many(b, &config, now_ms, config.min_calls, false);
}

/* Moves an open b to half-open and spends every probe. */
static void
to_half_open(struct breaker *b)
{
	int i;

	for (i = 0; i < config.half_open_probes; i++)
		CHECK(breaker_allow(b, &config, b->opened_at_ms + config.open_ms));
	CHECK_INT(b->state, BREAKER_HALF_OPEN);
}

static void
test_starts_closed(void)
{
	struct breaker b;
	int failures = -1, total = -1;

	breaker_init(&b);
	CHECK_INT(b.state, BREAKER_CLOSED);
	CHECK_INT(b.trips, 0);
	CHECK(breaker_allow(&b, &config, 0));
	breaker_counts(&b, &config, 0, &failures, &total);
	CHECK_INT(failures, 0);
	CHECK_INT(total, 0);
}

static void
test_min_calls(void)
{
	struct breaker b;
	int i, failures, total;

	breaker_init(&b);
	/* Nine failures out of nine: 100 %, but too few calls to judge. */
	for (i = 0; i < config.min_calls - 1; i++) {
		CHECK_INT(breaker_record(&b, &config, 1000 + i, false), BREAKER_EVENT_NONE);
		CHECK(breaker_allow(&b, &config, 1000 + i));
	}
	CHECK_INT(b.state, BREAKER_CLOSED);
	breaker_counts(&b, &config, 2000, &failures, &total);
	CHECK_INT(failures, 9);
	CHECK_INT(total, 9);
	/* The tenth call is enough. */
	CHECK_INT(breaker_record(&b, &config, 2000, false), BREAKER_EVENT_OPENED);
	CHECK_INT(b.state, BREAKER_OPEN);
	CHECK_INT(b.trips, 1);
	CHECK(!breaker_allow(&b, &config, 2000));
}

static void
test_opens_at_rate(void)
{
	struct breaker b;
	struct breaker_config tenth = config;

	/* 4 failures in 10 (40 %) stays closed, however many successes follow. */
	breaker_init(&b);
	CHECK_INT(record_many(&b, &config, 0, 6, true), BREAKER_EVENT_NONE);
	CHECK_INT(record_many(&b, &config, 0, 4, false), BREAKER_EVENT_NONE);
	CHECK_INT(record_many(&b, &config, 100, 50, true), BREAKER_EVENT_NONE);
	CHECK_INT(b.state, BREAKER_CLOSED);

	/* 5 in 10 is exactly the rate: opens. */
	breaker_init(&b);
	CHECK_INT(record_many(&b, &config, 0, 5, true), BREAKER_EVENT_NONE);
	CHECK_INT(record_many(&b, &config, 0, 4, false), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &config, 0, false), BREAKER_EVENT_OPENED);

	/* 3 in 30 against a rate of 0.1: equal in doubles too. */
	tenth.failure_rate = 0.1;
	breaker_init(&b);
	CHECK_INT(record_many(&b, &tenth, 0, 27, true), BREAKER_EVENT_NONE);
	CHECK_INT(record_many(&b, &tenth, 0, 2, false), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &tenth, 0, false), BREAKER_EVENT_OPENED);

	/* The call that reaches min_calls opens it, even a success. */
	breaker_init(&b);
	CHECK_INT(record_many(&b, &config, 0, 9, false), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &config, 0, true), BREAKER_EVENT_OPENED);
}

static void
test_cool_down_and_probes(void)
{
	struct breaker b;

	breaker_init(&b);
	CHECK_INT(open_it(&b, 10000), BREAKER_EVENT_OPENED);
	CHECK_INT(b.opened_at_ms, 10000);
	CHECK(!breaker_allow(&b, &config, 10000));
	CHECK(!breaker_allow(&b, &config, 10000 + config.open_ms - 1));
	CHECK_INT(b.state, BREAKER_OPEN);
	/* Cool-down over: exactly half_open_probes sends go through. */
	CHECK(breaker_allow(&b, &config, 10000 + config.open_ms));
	CHECK_INT(b.state, BREAKER_HALF_OPEN);
	CHECK(breaker_allow(&b, &config, 10000 + config.open_ms + 1));
	CHECK(breaker_allow(&b, &config, 10000 + config.open_ms + 2));
	CHECK_INT(b.probes_issued, 3);
	CHECK(!breaker_allow(&b, &config, 10000 + config.open_ms + 3));
	CHECK(!breaker_allow(&b, &config, 10000 + 10 * config.open_ms));
	CHECK_INT(b.state, BREAKER_HALF_OPEN);
}

static void
test_probes_close(void)
{
	struct breaker b;
	int failures = -1, total = -1;

	breaker_init(&b);
	open_it(&b, 0);
	to_half_open(&b);
	CHECK_INT(breaker_record(&b, &config, 30001, true), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &config, 30002, true), BREAKER_EVENT_NONE);
	CHECK_INT(b.state, BREAKER_HALF_OPEN);
	CHECK_INT(breaker_record(&b, &config, 30003, true), BREAKER_EVENT_CLOSED);
	CHECK_INT(b.state, BREAKER_CLOSED);
	CHECK_INT(b.trips, 0);
	/* The failures that opened it are forgotten. */
	breaker_counts(&b, &config, 30003, &failures, &total);
	CHECK_INT(failures, 0);
	CHECK_INT(total, 0);
	CHECK(breaker_allow(&b, &config, 30004));
	/* A fresh window: one more failure does not reopen it. */
	CHECK_INT(breaker_record(&b, &config, 30005, false), BREAKER_EVENT_NONE);
}

static void
test_probe_failure_reopens(void)
{
	struct breaker b;

	breaker_init(&b);
	open_it(&b, 0);
	to_half_open(&b);
	CHECK_INT(breaker_record(&b, &config, 30500, true), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &config, 31000, false), BREAKER_EVENT_OPENED);
	CHECK_INT(b.state, BREAKER_OPEN);
	CHECK_INT(b.trips, 2);
	CHECK_INT(b.opened_at_ms, 31000);
	/* A new full cool-down from the reopening. */
	CHECK(!breaker_allow(&b, &config, 31000 + config.open_ms - 1));
	CHECK(breaker_allow(&b, &config, 31000 + config.open_ms));
	CHECK_INT(b.probes_issued, 1);
	CHECK_INT(b.probes_succeeded, 0);
}

static void
test_suspend_after_max_trips(void)
{
	struct breaker b;
	struct breaker_config once = config;

	breaker_init(&b);
	CHECK_INT(open_it(&b, 0), BREAKER_EVENT_OPENED);
	to_half_open(&b);
	CHECK_INT(breaker_record(&b, &config, 40000, false), BREAKER_EVENT_OPENED);
	to_half_open(&b);
	CHECK_INT(breaker_record(&b, &config, 80000, false), BREAKER_EVENT_SUSPEND);
	CHECK_INT(b.trips, 3);
	CHECK_INT(b.state, BREAKER_OPEN);

	/* A clean close in between starts the count again. */
	breaker_init(&b);
	CHECK_INT(open_it(&b, 0), BREAKER_EVENT_OPENED);
	to_half_open(&b);
	CHECK_INT(breaker_record(&b, &config, 40000, false), BREAKER_EVENT_OPENED);
	to_half_open(&b);
	CHECK_INT(record_many(&b, &config, 80000, 3, true), BREAKER_EVENT_CLOSED);
	CHECK_INT(open_it(&b, 90000), BREAKER_EVENT_OPENED);
	CHECK_INT(b.trips, 1);

	/* max_trips 1: the first trip already suspends. */
	once.max_trips = 1;
	breaker_init(&b);
	CHECK_INT(record_many(&b, &once, 0, 10, false), BREAKER_EVENT_SUSPEND);
}

static void
test_window_forgets(void)
{
	struct breaker b;
	int failures, total;

	breaker_init(&b);
	CHECK_INT(record_many(&b, &config, 0, 9, false), BREAKER_EVENT_NONE);
	/* Still inside the window at its last millisecond... */
	breaker_counts(&b, &config, 59999, &failures, &total);
	CHECK_INT(total, 9);
	/* ...and gone once the whole window has passed. */
	breaker_counts(&b, &config, 60000, &failures, &total);
	CHECK_INT(total, 0);
	CHECK_INT(breaker_record(&b, &config, 60000, false), BREAKER_EVENT_NONE);
	breaker_counts(&b, &config, 60000, &failures, &total);
	CHECK_INT(failures, 1);
	CHECK_INT(total, 1);
	CHECK_INT(b.state, BREAKER_CLOSED);

	/* Failures spread over the window add up... */
	breaker_init(&b);
	CHECK_INT(record_many(&b, &config, 1000, 5, false), BREAKER_EVENT_NONE);
	CHECK_INT(record_many(&b, &config, 31000, 5, false), BREAKER_EVENT_OPENED);

	/* ...but not across more than a window. */
	breaker_init(&b);
	CHECK_INT(record_many(&b, &config, 1000, 5, false), BREAKER_EVENT_NONE);
	CHECK_INT(record_many(&b, &config, 66000, 5, false), BREAKER_EVENT_NONE);
	breaker_counts(&b, &config, 66000, &failures, &total);
	CHECK_INT(total, 5);

	/* The window slides bucket by bucket. */
	breaker_init(&b);
	record_many(&b, &config, 0, 4, false);
	record_many(&b, &config, 20000, 4, false);
	breaker_counts(&b, &config, 59999, &failures, &total);
	CHECK_INT(total, 8);
	breaker_counts(&b, &config, 64999, &failures, &total);
	CHECK_INT(total, 4);
	breaker_counts(&b, &config, 80000, &failures, &total);
	CHECK_INT(total, 0);
	/* Counting does not look into the future. */
	breaker_counts(&b, &config, 10000, &failures, &total);
	CHECK_INT(total, 4);
}

static void
test_ignored_while_open(void)
{
	struct breaker b;
	int failures, total;

	breaker_init(&b);
	open_it(&b, 0);
	CHECK_INT(breaker_record(&b, &config, 100, false), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &config, 100, true), BREAKER_EVENT_NONE);
	CHECK_INT(b.state, BREAKER_OPEN);
	CHECK_INT(b.trips, 1);
	breaker_counts(&b, &config, 100, &failures, &total);
	CHECK_INT(total, 10);
}

static void
test_manual_trip_and_reset(void)
{
	struct breaker b;
	int failures, total;

	breaker_init(&b);
	breaker_trip(&b, 5000);
	CHECK_INT(b.state, BREAKER_OPEN);
	CHECK_INT(b.trips, 0);
	CHECK(!breaker_allow(&b, &config, 5000 + config.open_ms - 1));
	CHECK(breaker_allow(&b, &config, 5000 + config.open_ms));
	CHECK_INT(b.state, BREAKER_HALF_OPEN);
	/* Tripping a half-open breaker starts a new cool-down. */
	breaker_trip(&b, 40000);
	CHECK_INT(b.state, BREAKER_OPEN);
	CHECK_INT(b.probes_issued, 0);
	CHECK(!breaker_allow(&b, &config, 40001));

	/* Reset: closed, no trips, nothing in the window. */
	breaker_init(&b);
	open_it(&b, 0);
	to_half_open(&b);
	breaker_record(&b, &config, 30000, false);
	CHECK_INT(b.trips, 2);
	breaker_reset(&b);
	CHECK_INT(b.state, BREAKER_CLOSED);
	CHECK_INT(b.trips, 0);
	breaker_counts(&b, &config, 30000, &failures, &total);
	CHECK_INT(total, 0);
	CHECK(breaker_allow(&b, &config, 30000));
	CHECK_INT(record_many(&b, &config, 30000, 9, false), BREAKER_EVENT_NONE);
}

static void
test_odd_config(void)
{
	struct breaker b;
	struct breaker_config c = config;
	int failures, total;

	/* half_open_probes 0 still lets one probe through. */
	c.half_open_probes = 0;
	breaker_init(&b);
	record_many(&b, &c, 0, 10, false);
	CHECK(breaker_allow(&b, &c, c.open_ms));
	CHECK(!breaker_allow(&b, &c, c.open_ms));
	CHECK_INT(breaker_record(&b, &c, c.open_ms, true), BREAKER_EVENT_CLOSED);

	/* A window shorter than the bucket count: 1 ms buckets. */
	c = config;
	c.window_ms = 5;
	breaker_init(&b);
	record_many(&b, &c, 0, 3, false);
	breaker_counts(&b, &c, 11, &failures, &total);
	CHECK_INT(total, 3);
	breaker_counts(&b, &c, 12, &failures, &total);
	CHECK_INT(total, 0);

	/* Successes alone never open it, even with a rate of 0. */
	c = config;
	c.failure_rate = 0.0;
	breaker_init(&b);
	CHECK_INT(record_many(&b, &c, 0, 100, true), BREAKER_EVENT_NONE);
	CHECK_INT(breaker_record(&b, &c, 0, false), BREAKER_EVENT_OPENED);

	/* max_trips 0: never suspend. */
	c = config;
	c.max_trips = 0;
	c.min_calls = 1;
	breaker_init(&b);
	CHECK_INT(breaker_record(&b, &c, 0, false), BREAKER_EVENT_OPENED);
	CHECK(breaker_allow(&b, &c, c.open_ms));
	CHECK_INT(breaker_record(&b, &c, c.open_ms, false), BREAKER_EVENT_OPENED);
	CHECK_INT(b.trips, 2);

	/* Negative clock values (a test clock) bucket correctly. */
	breaker_init(&b);
	record_many(&b, &config, -1, 2, false);
	breaker_counts(&b, &config, 0, &failures, &total);
	CHECK_INT(total, 2);
	breaker_counts(&b, &config, 59999, &failures, &total);
	CHECK_INT(total, 0);
}

static void
test_state_strings(void)
{
	CHECK_STR(breaker_state_str(BREAKER_CLOSED), "closed");
	CHECK_STR(breaker_state_str(BREAKER_OPEN), "open");
	CHECK_STR(breaker_state_str(BREAKER_HALF_OPEN), "half-open");
	CHECK_STR(breaker_state_str(BREAKER_STATE__MAX), "unknown");
}

static const struct tap_test tests[] = {
	{ "a new breaker is closed and empty", test_starts_closed },
	{ "no opening below min_calls, even at 100% failures", test_min_calls },
	{ "opens at the failure rate", test_opens_at_rate },
	{ "cool-down, then a limited number of probes", test_cool_down_and_probes },
	{ "all probes succeeding close it", test_probes_close },
	{ "a failed probe reopens it", test_probe_failure_reopens },
	{ "suspend after max_trips trips in a row", test_suspend_after_max_trips },
	{ "the window forgets old outcomes", test_window_forgets },
	{ "outcomes while open are ignored", test_ignored_while_open },
	{ "manual trip and reset", test_manual_trip_and_reset },
	{ "odd configurations", test_odd_config },
	{ "state strings", test_state_strings },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
