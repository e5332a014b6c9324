/* test-rate.c: unit tests for the pure arithmetic of the rate gates (lib/rate-calc.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rate-calc.h"
#include "rate.h"
#include "util.h"
#include "tap.h"

/* Largest number of times in any closed window [t, t + window] (t sorted). */
static int
max_window(const int64_t *t, size_t n, int64_t window)
{
	size_t i, j = 0;
	int best = 0;

	for (i = 0; i < n; i++) {
		while (j < n && t[j] - t[i] <= window)
			j++;
		if ((int)(j - i) > best)
			best = (int)(j - i);
	}
	return best;
}

/* Greedy client: asks again exactly when told; returns how many passed in span_us. */
static size_t
greedy(const struct rate_gcra *g, int64_t span_us, int64_t late_us, int64_t *t, size_t cap)
{
	int64_t now = 1000000, tat = 0, nt, wait;
	size_t n = 0;

	while (now < 1000000 + span_us && n < cap) {
		if (rate_gcra_check(g, tat, now, &nt, &wait)) {
			tat = nt;
			t[n++] = now;
		} else
			now += wait + late_us;
	}
	return n;
}

static void
test_gcra_window_exact(void)
{
	static const long long ns[] = { 1, 3, 7, 20, 80, 1000 };
	static const long long bursts[] = { 0, 1, 5, 1000 };
	static int64_t t[200000];
	struct rate_gcra g;
	size_t i, j, n;
	int best;

	for (i = 0; i < ARRAY_SIZE(ns); i++)
		for (j = 0; j < ARRAY_SIZE(bursts); j++) {
			rate_gcra_params(&g, RATE_US_PER_S, ns[i], bursts[j], 0);
			n = greedy(&g, 10 * RATE_US_PER_S, 0, t, ARRAY_SIZE(t));
			best = max_window(t, n, RATE_US_PER_S);
			if (best > ns[i])
				printf("# n=%lld burst=%lld: %d in one second\n", ns[i], bursts[j], best);
			CHECK(best <= ns[i]);
			/* The guard: n+1 arrivals span at least the window plus 1 % of it. */
			CHECK(ns[i] * g.t_us - g.tau_us >= RATE_US_PER_S + RATE_US_PER_S / 100);
		}
}

static void
test_gcra_rate_and_burst(void)
{
	static int64_t t[20000];
	struct rate_gcra g;
	size_t n;

	/* No burst: 97 % of the limit sustained, even for a client 15 ms late each time. */
	rate_gcra_params(&g, RATE_US_PER_S, 20, 0, 0);
	CHECK_INT(g.t_us, 51500);
	CHECK_INT(g.tau_us, 20000);
	n = greedy(&g, 10 * RATE_US_PER_S, 0, t, ARRAY_SIZE(t));
	CHECK(n >= 193 && n <= 200);
	n = greedy(&g, 10 * RATE_US_PER_S, 15000, t, ARRAY_SIZE(t));
	CHECK(n >= 192 && n <= 200);
	/* Later than the tolerance: the excess is lost, never made up. */
	n = greedy(&g, 10 * RATE_US_PER_S, 30000, t, ARRAY_SIZE(t));
	CHECK(n >= 120 && n < 192);
	/* burst 4: 5 back to back, then (20 - 4) a second. */
	rate_gcra_params(&g, RATE_US_PER_S, 20, 4, 0);
	n = greedy(&g, 1, 0, t, ARRAY_SIZE(t));
	CHECK_INT(n, 5);
	CHECK(t[4] == t[0]);
	n = greedy(&g, 10 * RATE_US_PER_S, 0, t, ARRAY_SIZE(t));
	CHECK(n >= 150 && n <= 170);
	/* Pair rate: 10 a minute. */
	rate_gcra_params(&g, 60 * RATE_US_PER_S, 10, 0, 0);
	CHECK_INT(g.t_us, 6180000);
	CHECK_INT(g.tau_us, 1200000);
	n = greedy(&g, 600 * RATE_US_PER_S, 0, t, ARRAY_SIZE(t));
	CHECK(n >= 95 && n <= 100);
	CHECK(max_window(t, n, 60 * RATE_US_PER_S) <= 10);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * An absolute guard (rate_guard_ms) for transport jitter: every send may
 * reach the gateway up to that much later than its slot, and no sliding
 * second at the gateway still holds more than n.
 */
static void
test_gcra_absolute_guard(void)
{
	static const long long ns[] = { 1, 20, 80, 1000 };
	static int64_t t[200000];
	struct rate_gcra g;
	size_t i, k, n;

	rate_gcra_params(&g, RATE_US_PER_S, 20, 0, 30000);
	CHECK_INT(g.t_us, 52500);
	CHECK_INT(g.tau_us, 20000);
	/* A longer window keeps its own, larger guard. */
	rate_gcra_params(&g, 60 * RATE_US_PER_S, 10, 0, 30000);
	CHECK_INT(g.t_us, 6180000);
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		rate_gcra_params(&g, RATE_US_PER_S, ns[i], 0, 30000);
		n = greedy(&g, 5 * RATE_US_PER_S, 0, t, ARRAY_SIZE(t));
		/* Worst case: every other send delayed by the whole guard, minus 1 us. */
		for (k = 0; k < n; k += 2)
			t[k] += 30000 - 1;
		qsort(t, n, sizeof(*t), cmp_i64);	/* arrival order at the gateway */
		CHECK(max_window(t, n, RATE_US_PER_S) <= ns[i]);
		/* The sustained rate pays guard + tolerance: 95.2 %. */
		CHECK(n + 1 >= (size_t)(5 * ns[i] * 1000 / 1050));
	}
}

static void
test_gcra_random_arrivals(void)
{
	static int64_t t[50000], order[50000];
	struct rate_gcra g;
	int64_t tat = 0, nt, wait, x;
	size_t n = 0, i;
	int k;

	/*
	 * Arrivals out of order (several daemons, each with its own now):
	 * the bound holds whatever the order the writes linearize in.
	 */
	rate_gcra_params(&g, RATE_US_PER_S, 20, 2, 0);
	for (i = 0; i < ARRAY_SIZE(order); i++)
		order[i] = 1000000 + (int64_t)(random_unit() * 20 * RATE_US_PER_S);
	for (k = 0; k < 2; k++)	/* mostly sorted with jitter, then not at all */
		for (i = 0; i < ARRAY_SIZE(order); i++) {
			x = k == 0 ? 1000000 + (int64_t)i * 400 + (int64_t)(random_unit() * 30000) : order[i];
			if (rate_gcra_check(&g, tat, x, &nt, &wait)) {
				tat = nt;
				t[n++] = x;
			}
		}
	for (i = 1; i < n; i++) {	/* insertion sort is fine for a few hundred */
		x = t[i];
		for (k = (int)i - 1; k >= 0 && t[k] > x; k--)
			t[k + 1] = t[k];
		t[k + 1] = x;
	}
	CHECK(n > 100);
	CHECK(max_window(t, n, RATE_US_PER_S) <= 20);
}

static void
test_gap_distribution(void)
{
	enum { DRAWS = 40000, BINS = 10 };
	int bins[BINS] = { 0 }, g, lo = 45000, hi = 0, i, same = 0, last = -1;
	double sum = 0, sq = 0, mean, sd, chi = 0, e = DRAWS / (double)BINS;

	for (i = 0; i < DRAWS; i++) {
		g = rate_gap_draw_ms(15000, 45000);
		CHECK(g >= 15000 && g <= 45000);
		if (g < lo)
			lo = g;
		if (g > hi)
			hi = g;
		same += g == last;
		last = g;
		sum += g;
		sq += (double)g * g;
		bins[(g - 15000) * BINS / 30001]++;
	}
	mean = sum / DRAWS;
	sd = sqrt(sq / DRAWS - mean * mean);
	for (i = 0; i < BINS; i++)
		chi += (bins[i] - e) * (bins[i] - e) / e;
	printf("# gap 15-45 s: mean %.0f ms, sd %.0f ms, min %d, max %d, chi2 vs uniform %.0f\n",
	    mean, sd, lo, hi, chi);
	/* Wide: spans nearly the whole range with a large spread. */
	CHECK(lo < 16000 && hi > 44000);
	CHECK(sd > 0.15 * 30000);
	/* Not uniform (chi2 with 9 d.o.f. would be ~9), skewed to the short end. */
	CHECK(chi > 1000);
	CHECK(mean > 22000 && mean < 30000);
	CHECK(bins[1] > bins[8]);
	/* Never a fixed interval. */
	CHECK(same < DRAWS / 100);
	CHECK_INT(rate_gap_draw_ms(5000, 5000), 5000);
	CHECK_INT(rate_gap_draw_ms(5000, 4000), 5000);
}

static void
test_typing(void)
{
	char longtext[2001];
	double short_sum = 0, mid_sum = 0;
	int i, t, long_min = 8000, long_max = 0;

	memset(longtext, 'a', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	for (i = 0; i < 2000; i++) {
		t = rate_typing_ms(NULL);
		CHECK(t >= 1000 && t <= 8000);
		t = rate_typing_ms("ok");
		CHECK(t >= 1000 && t <= 2500);
		short_sum += t;
		t = rate_typing_ms("Hello Maria, your order 4411 has shipped and arrives Tuesday.");
		CHECK(t >= 1000 && t <= 8000);
		mid_sum += t;
		t = rate_typing_ms(longtext);
		CHECK(t >= 7000 && t <= 8000);
		if (t > long_max)
			long_max = t;
		if (t < long_min)
			long_min = t;
	}
	/* 61 characters at 45 wpm is ~16 s, compressed under 8 s: longer than "ok". */
	CHECK(mid_sum / 2000 > short_sum / 2000 + 3000);
	CHECK(mid_sum / 2000 > 5000 && mid_sum / 2000 < 8000);
	/* Long texts still vary: not a fixed 8 s. */
	CHECK(long_max - long_min > 200);
	/* Characters, not bytes: 30 two-byte letters type like 30 ASCII ones. */
	short_sum = mid_sum = 0;
	for (i = 0; i < 4000; i++) {
		short_sum += rate_typing_ms("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
		mid_sum += rate_typing_ms("eeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
	}
	CHECK(fabs(short_sum - mid_sum) / 4000 < 150);
}

static void
test_warmup_schedule(void)
{
	CHECK_INT(rate_warmup_allowance(1), 20);
	CHECK_INT(rate_warmup_allowance(0), 20);
	CHECK_INT(rate_warmup_allowance(-5), 20);
	CHECK_INT(rate_warmup_allowance(2), 36);
	CHECK_INT(rate_warmup_allowance(3), 64);
	CHECK_INT(rate_warmup_allowance(4), 116);
	CHECK_INT(rate_warmup_allowance(7), 680);
	CHECK_INT(rate_warmup_allowance(11), 7140);
	CHECK_INT(rate_warmup_allowance(12), -1);
	CHECK_INT(rate_warmup_allowance(400), -1);
}

static void
test_quiet_hours(void)
{
	int left = -1;

	/* 22:00-07:00 wraps midnight. */
	CHECK(rate_quiet_active(22 * 60, 7 * 60, 23 * 60, &left));
	CHECK_INT(left, 8 * 60);
	CHECK(rate_quiet_active(22 * 60, 7 * 60, 22 * 60, &left));
	CHECK_INT(left, 9 * 60);
	CHECK(rate_quiet_active(22 * 60, 7 * 60, 0, &left));
	CHECK_INT(left, 7 * 60);
	CHECK(rate_quiet_active(22 * 60, 7 * 60, 7 * 60 - 1, &left));
	CHECK_INT(left, 1);
	CHECK(!rate_quiet_active(22 * 60, 7 * 60, 7 * 60, NULL));
	CHECK(!rate_quiet_active(22 * 60, 7 * 60, 12 * 60, NULL));
	CHECK(!rate_quiet_active(22 * 60, 7 * 60, 22 * 60 - 1, NULL));
	/* 13:00-14:00 does not wrap. */
	CHECK(rate_quiet_active(13 * 60, 14 * 60, 13 * 60 + 30, &left));
	CHECK_INT(left, 30);
	CHECK(!rate_quiet_active(13 * 60, 14 * 60, 14 * 60, NULL));
	CHECK(!rate_quiet_active(13 * 60, 14 * 60, 12 * 60 + 59, NULL));
	/* None. */
	CHECK(!rate_quiet_active(-1, 7 * 60, 3 * 60, NULL));
	CHECK(!rate_quiet_active(22 * 60, -1, 23 * 60, NULL));
	CHECK(!rate_quiet_active(600, 600, 600, NULL));
	CHECK(!rate_quiet_active(600, 1440, 700, NULL));
}

static void
test_dates(void)
{
	int64_t days, z, y;
	unsigned m, d;

	CHECK_INT(rate_days_from_civil(1970, 1, 1), 0);
	CHECK_INT(rate_days_from_civil(2000, 3, 1), 11017);
	CHECK(rate_parse_date("2026-11-23", &days));
	CHECK_INT(days, rate_days_from_civil(2026, 11, 23));
	CHECK(rate_parse_date("2024-02-29", &days));
	CHECK(!rate_parse_date("2026-02-30", &days));
	CHECK(!rate_parse_date("2026-13-01", &days));
	CHECK(!rate_parse_date("2026-1-01", &days));
	CHECK(!rate_parse_date("2026/11/23", &days));
	CHECK(!rate_parse_date("", &days));
	CHECK(!rate_parse_date(NULL, &days));
	for (z = -800000; z < 800000; z += 37) {
		rate_civil_from_days(z, &y, &m, &d);
		if (rate_days_from_civil(y, m, d) != z) {
			CHECK_INT(rate_days_from_civil(y, m, d), z);
			break;
		}
	}
}

static void
test_time_zones(void)
{
	int off = 1;
	int64_t july = rate_days_from_civil(2026, 7, 1) * 86400 + 12 * 3600;
	int64_t january = rate_days_from_civil(2026, 1, 15) * 86400 + 12 * 3600;
	char *tz_before = getenv("TZ") != NULL ? xstrdup(getenv("TZ")) : NULL;

	CHECK(rate_tz_offset(NULL, july, &off));
	CHECK_INT(off, 0);
	CHECK(rate_tz_offset("", july, &off));
	CHECK(rate_tz_offset("UTC", july, &off));
	CHECK_INT(off, 0);
	CHECK(!rate_tz_offset("../../etc/passwd", july, &off));
	CHECK_INT(off, 0);
	CHECK(!rate_tz_offset("/etc/localtime", july, &off));
	CHECK(!rate_tz_offset("Not/A_Zone", july, &off));
	CHECK(!rate_tz_offset("Europe/Berlin;rm", july, &off));
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0) {
		printf("# no TZ database: zone offsets not checked\n");
		free(tz_before);
		return;
	}
	CHECK(rate_tz_offset("Europe/Berlin", july, &off));
	CHECK_INT(off, 7200);
	CHECK(rate_tz_offset("Europe/Berlin", january, &off));
	CHECK_INT(off, 3600);
	CHECK(rate_tz_offset("America/Sao_Paulo", july, &off));
	CHECK_INT(off, -3 * 3600);
	CHECK(rate_tz_offset("Asia/Kolkata", january, &off));
	CHECK_INT(off, 5 * 3600 + 1800);
	/* Cached: same answer again; and the process TZ is left as it was. */
	CHECK(rate_tz_offset("Europe/Berlin", july + 60, &off));
	CHECK_INT(off, 7200);
	CHECK_STR(getenv("TZ"), tz_before);
	free(tz_before);
}

static void
test_verdict_names(void)
{
	CHECK_STR(rate_verdict_str(RATE_OPEN), "open");
	CHECK_STR(rate_verdict_str(RATE_CLOSED_DAILY), "daily");
	CHECK_STR(rate_verdict_str(RATE_CLOSED_PAUSED), "paused");
	CHECK_STR(rate_verdict_str(RATE_VERDICT__MAX), "unknown");
}

static const struct tap_test tests[] = {
	{ "GCRA: no 1 s window over the limit, any burst", test_gcra_window_exact },
	{ "GCRA: sustained rate, burst, pair rate", test_gcra_rate_and_burst },
	{ "GCRA: out-of-order arrivals keep the bound", test_gcra_random_arrivals },
	{ "GCRA: absolute guard absorbs late delivery", test_gcra_absolute_guard },
	{ "gap draw: in range, wide, skewed, never fixed", test_gap_distribution },
	{ "typing time follows text length", test_typing },
	{ "warm-up schedule 20 x1.8/day", test_warmup_schedule },
	{ "quiet hours incl. wrap past midnight", test_quiet_hours },
	{ "calendar days and date parsing", test_dates },
	{ "time zone offsets (TZ database)", test_time_zones },
	{ "verdict names", test_verdict_names },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
