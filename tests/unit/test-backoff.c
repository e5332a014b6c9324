/* test-backoff.c: unit tests for backoff_next_ms() (decorrelated jitter). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "backoff.h"
#include "util.h"
#include "tap.h"

#define BASE	1000
#define CAP	600000

/* A fixed-seed generator so every run draws the same numbers. */
static uint64_t lcg_state = 0x9e3779b97f4a7c15ULL;

static double
next_unit(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) / (double)(1ULL << 53);
}

/* The largest double below 1 (math.h's nextafter would need -lm). */
static double
almost_one(void)
{
	return 1.0 - DBL_EPSILON / 2;
}

static void
test_first_retry(void)
{
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, 0.0), BASE);
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, 0.5), 2000);
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, almost_one()), 3 * BASE);
	/* previous 0 (or anything below base) means "first retry". */
	CHECK_INT(backoff_next_ms(BASE, CAP, 0, 0.5), 2000);
	CHECK_INT(backoff_next_ms(BASE, CAP, -7, 0.5), 2000);
	CHECK_INT(backoff_next_ms(BASE, CAP, 10, almost_one()), 3 * BASE);
}

static void
test_exact_formula(void)
{
	/* random_between(base, previous * 3) = base + floor(unit * (3p - base + 1)). */
	CHECK_INT(backoff_next_ms(1000, CAP, 5000, 0.0), 1000);
	CHECK_INT(backoff_next_ms(1000, CAP, 5000, 0.25), 1000 + 3500);
	CHECK_INT(backoff_next_ms(1000, CAP, 5000, almost_one()), 15000);
	CHECK_INT(backoff_next_ms(1, 100, 1, 0.5), 2);
	/* The same unit always gives the same delay. */
	CHECK_INT(backoff_next_ms(BASE, CAP, 7777, 0.123), backoff_next_ms(BASE, CAP, 7777, 0.123));
}

static void
test_bounds_over_many_draws(void)
{
	int64_t previous, high, delay, lowest = INT64_MAX, highest = 0;
	int i, out_of_bounds = 0;

	for (i = 0; i < 200000; i++) {
		previous = (int64_t)(next_unit() * (double)(CAP * 2));
		delay = backoff_next_ms(BASE, CAP, previous, next_unit());
		high = previous < BASE ? 3 * BASE : 3 * previous;
		if (high > CAP)
			high = CAP;
		if (delay < BASE || delay > high)
			out_of_bounds++;
		if (delay < lowest)
			lowest = delay;
		if (delay > highest)
			highest = delay;
	}
	CHECK_INT(out_of_bounds, 0);
	/* The whole range is used, not just its middle. */
	CHECK(lowest < BASE + 100);
	CHECK(highest > CAP - 1000);
}

static void
test_growth_in_expectation(void)
{
	enum { CHAINS = 20000, RETRIES = 12 };
	double mean[RETRIES] = { 0 };
	double one_step_small = 0, one_step_large = 0;
	int64_t previous;
	int chain, k;

	/* Follow many retry sequences: the average delay of retry k rises with k. */
	for (chain = 0; chain < CHAINS; chain++) {
		previous = BASE;
		for (k = 0; k < RETRIES; k++) {
			previous = backoff_next_ms(BASE, CAP, previous, next_unit());
			mean[k] += (double)previous / CHAINS;
		}
	}
	for (k = 1; k < RETRIES; k++)
		if (!(mean[k] > mean[k - 1])) {
			tap_fail(__FILE__, __LINE__, "mean[k] > mean[k - 1]");
			printf("# retry %d: mean %.0f after %.0f\n", k, mean[k], mean[k - 1]);
		}
	/* First retry averages (base + 3 base) / 2. */
	CHECK(mean[0] > 1950.0 && mean[0] < 2050.0);
	/*
	 * Each retry averages about 1.5 times the one before until the cap
	 * bites: by retry 12 that is some 50 times the first.
	 */
	CHECK(mean[RETRIES - 1] > 20 * mean[0]);
	CHECK(mean[RETRIES - 1] <= CAP);

	/* One step: a longer previous delay means a longer next one, on average. */
	for (chain = 0; chain < CHAINS; chain++) {
		one_step_small += (double)backoff_next_ms(BASE, CAP, 2000, next_unit());
		one_step_large += (double)backoff_next_ms(BASE, CAP, 20000, next_unit());
	}
	CHECK(one_step_large > 5 * one_step_small);
}

static void
test_cap(void)
{
	int i, above = 0;

	CHECK_INT(backoff_next_ms(BASE, CAP, CAP, almost_one()), CAP);
	CHECK_INT(backoff_next_ms(BASE, CAP, CAP * 10, almost_one()), CAP);
	CHECK_INT(backoff_next_ms(BASE, CAP, CAP * 10, 0.0), BASE);
	/* Just below cap / 3 the top is 3 * previous; just above it, the cap. */
	CHECK_INT(backoff_next_ms(BASE, CAP, CAP / 3, almost_one()), CAP);
	CHECK_INT(backoff_next_ms(BASE, CAP, CAP / 3 - 1, almost_one()), CAP - 3);
	for (i = 0; i < 10000; i++)
		if (backoff_next_ms(BASE, CAP, CAP, next_unit()) > CAP)
			above++;
	CHECK_INT(above, 0);
}

static void
test_overflow(void)
{
	int64_t d;

	/* previous * 3 would overflow: the cap decides. */
	d = backoff_next_ms(1, INT64_MAX, INT64_MAX, almost_one());
	CHECK(d >= 1 && d <= INT64_MAX);
	CHECK(d > INT64_MAX / 2);
	CHECK_INT(backoff_next_ms(1, INT64_MAX, INT64_MAX, 0.0), 1);
	d = backoff_next_ms(1, INT64_MAX, INT64_MAX / 3 + 1, 0.5);
	CHECK(d > 0);
	d = backoff_next_ms(INT64_MAX, INT64_MAX, INT64_MAX, 0.7);
	CHECK_INT(d, INT64_MAX);
	d = backoff_next_ms(BASE, CAP, INT64_MAX, almost_one());
	CHECK_INT(d, CAP);
	d = backoff_next_ms(INT64_MAX - 1, INT64_MAX, INT64_MAX, almost_one());
	CHECK(d >= INT64_MAX - 1);
}

static void
test_bad_arguments(void)
{
	/* base <= 0 counts as 1 ms: delays still grow from there. */
	CHECK_INT(backoff_next_ms(0, CAP, 0, 0.0), 1);
	CHECK_INT(backoff_next_ms(-50, CAP, 0, almost_one()), 3);
	CHECK_INT(backoff_next_ms(0, CAP, 100, almost_one()), 300);
	/* cap below base: every delay is base. */
	CHECK_INT(backoff_next_ms(BASE, 10, BASE, 0.0), BASE);
	CHECK_INT(backoff_next_ms(BASE, 10, BASE, almost_one()), BASE);
	CHECK_INT(backoff_next_ms(BASE, 0, 50000, 0.5), BASE);
	CHECK_INT(backoff_next_ms(BASE, -1, 50000, 0.5), BASE);
	/* unit outside [0,1) is clamped. */
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, -0.5), BASE);
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, NAN), BASE);
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, 1.0), 3 * BASE);
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, 7.0), 3 * BASE);
	CHECK_INT(backoff_next_ms(BASE, CAP, BASE, INFINITY), 3 * BASE);
}

static const struct tap_test tests[] = {
	{ "first retry lies between base and 3 base", test_first_retry },
	{ "delay follows the formula exactly", test_exact_formula },
	{ "bounds hold over 200000 draws", test_bounds_over_many_draws },
	{ "delays grow in expectation", test_growth_in_expectation },
	{ "never above the cap", test_cap },
	{ "no overflow near INT64_MAX", test_overflow },
	{ "base <= 0, cap < base, unit outside [0,1)", test_bad_arguments },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
