/*
 * rate-calc.h: the pure arithmetic behind the rate gates (GCRA, gap and
 * typing draws, warm-up schedule, quiet hours, calendar days, time zones).
 * No memcached here: rate.c owns the keys; tests/unit/test-rate.c tests this.
 */
#ifndef WAPOOL_RATE_CALC_H
#define WAPOOL_RATE_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATE_US_PER_S		1000000LL
/*
 * Slack of every GCRA gate (see doc/rate-gates.md, "Transport jitter"): a
 * guard that n + 1 sends always exceed the window by, which absorbs the
 * jitter between taking a slot and the gateway's receipt and the clock
 * skew between hosts, and a tolerance for a caller that comes back late
 * (wapoold re-polls a waiting message through the queue).  The guard is
 * the larger of RATE_GUARD_PERMILLE of the window and the caller's
 * absolute minimum (wapool.conf rate_guard_ms): jitter is a matter of
 * milliseconds whatever the window.  The tolerance can be small because
 * wapoold retries a message waiting for the per-second gate at the moment
 * it reopens (it holds it, see daemon/dispatch.c).  The sustained rate is
 * n * W / (W + guard + tolerance): 93.5 % of the limit for 1 s with the
 * default 50 ms guard.
 */
#define RATE_GUARD_PERMILLE	10
#define RATE_TOLERANCE_PERMILLE	20
/* The default absolute guard (wapool.conf rate_guard_ms). */
#define RATE_GUARD_DEFAULT_MS	50
/* The shortest typing time rate_typing_ms() draws. */
#define RATE_TYPING_MIN_MS	1000
/* Warm-up ends (no cap) once the day's allowance would reach this. */
#define RATE_WARMUP_END		10000

/* A GCRA gate: emission interval and tolerance, both in microseconds. */
struct rate_gcra {
	int64_t	 t_us;
	int64_t	 tau_us;
};

/*
 * Parameters for "no closed window of window_us holds more than n
 * arrivals", letting burst + 1 of them go back to back (burst is clamped
 * to n - 1; a burst lowers the sustained rate to (n - burst) per window)
 * and never more than n in any window stretched by the guard, which is
 * at least min_guard_us.  n < 1 is read as 1.
 */
void	 rate_gcra_params(struct rate_gcra *g, int64_t window_us, long long n,
	    long long burst, int64_t min_guard_us);
/*
 * One arrival at t_us against the stored theoretical arrival time tat_us
 * (0 or anything in the past: idle).  True when it conforms, with the TAT
 * to store in *new_tat; false with the wait until it would (> 0) in *wait_us.
 */
bool	 rate_gcra_check(const struct rate_gcra *g, int64_t tat_us, int64_t t_us,
	    int64_t *new_tat, int64_t *wait_us);

/*
 * A random anti-ban gap in [min_ms, max_ms]: a right-skewed mixture
 * (85 % Beta(2,4), 15 % uniform over the upper half), never a fixed value
 * unless min_ms == max_ms.
 */
int	 rate_gap_draw_ms(int min_ms, int max_ms);
/*
 * How long to show "typing" before text (NULL: no text): its length in
 * characters at a drawn 45 +/- 15 words per minute plus a think pause,
 * within 1-8 s (above 6 s compressed smoothly towards 8 s, so long texts
 * still vary instead of all taking exactly 8 s).
 */
int	 rate_typing_ms(const char *text);
/*
 * The warm-up allowance of day (1 = the first day): 20, then x1.8 a day.
 * -1 once the warm-up is over (allowance >= RATE_WARMUP_END).
 */
long long rate_warmup_allowance(long long day);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t	 rate_days_from_civil(int64_t y, unsigned m, unsigned d);
void	 rate_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Parses "YYYY-MM-DD" into days since the epoch; false if malformed. */
bool	 rate_parse_date(const char *s, int64_t *days);

/*
 * Whether minute (0-1439, local) lies in the quiet window [start, end),
 * which wraps past midnight when start > end.  start or end < 0, or
 * start == end: no quiet hours.  When quiet, *minutes_left (may be NULL)
 * is the number of minutes until end.
 */
bool	 rate_quiet_active(int start, int end, int minute, int *minutes_left);

/*
 * The UTC offset (seconds east) of zone (a TZ database name such as
 * "America/Sao_Paulo"; NULL or "" is UTC) at unix_s.  False, with 0, for
 * a name that is malformed or not in the TZ database.  Results are cached
 * per zone and quarter hour.  Uses setenv("TZ") + tzset() under a mutex:
 * safe against itself, but not against other threads calling
 * localtime()/getenv() meanwhile; wapoold is single-threaded.
 */
bool	 rate_tz_offset(const char *zone, int64_t unix_s, int *offset_s);

/* FNV-1a 64 of n bytes (for the identical-text cap and local tables). */
uint64_t rate_hash(const void *p, size_t n, uint64_t seed);

#endif
