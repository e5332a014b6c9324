/* rate-calc.c: the pure arithmetic of the rate gates (no memcached). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rate-calc.h"
#include "util.h"

#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_CACHE	16
#define TZ_NAME_MAX	64
/* DST transitions fall on quarter hours in every zone in use. */
#define TZ_SLOT_S	900

void
rate_gcra_params(struct rate_gcra *g, int64_t window_us, long long n, long long burst,
    int64_t min_guard_us)
{
	int64_t guard, tol;

	if (n < 1)
		n = 1;
	if (burst < 0)
		burst = 0;
	if (burst > n - 1)
		burst = n - 1;
	guard = window_us * RATE_GUARD_PERMILLE / 1000;
	if (guard < min_guard_us)
		guard = min_guard_us;
	if (guard < 1)
		guard = 1;
	tol = window_us * RATE_TOLERANCE_PERMILLE / 1000;
	/*
	 * n + 1 conforming arrivals span at least n*T - tau.  With
	 * T = ceil((W + guard + tol) / (n - b)) and tau = b*T + tol that is
	 * (n - b)*T - tol >= W + guard > W: they never fit in one window.
	 */
	g->t_us = (window_us + guard + tol + (n - burst) - 1) / (n - burst);
	g->tau_us = burst * g->t_us + tol;
}

bool
rate_gcra_check(const struct rate_gcra *g, int64_t tat_us, int64_t t_us,
    int64_t *new_tat, int64_t *wait_us)
{
	if (tat_us < t_us)
		tat_us = t_us;
	if (tat_us - t_us > g->tau_us) {
		*wait_us = tat_us - g->tau_us - t_us;
		return false;
	}
	*new_tat = tat_us + g->t_us;
	*wait_us = 0;
	return true;
}

int
rate_gap_draw_ms(int min_ms, int max_ms)
{
	double u[5], b, x;
	int i, j;

	if (max_ms <= min_ms)
		return min_ms;
	if (random_unit() < 0.15)
		b = 0.5 + 0.5 * random_unit();	/* now and then a long pause */
	else {
		/* Beta(2,4) is the 2nd smallest of 5 uniforms: mode 1/4, mean 1/3. */
		for (i = 0; i < 5; i++)
			u[i] = random_unit();
		for (i = 0; i < 2; i++)
			for (j = i + 1; j < 5; j++)
				if (u[j] < u[i]) {
					x = u[i];
					u[i] = u[j];
					u[j] = x;
				}
		b = u[1];
	}
	x = min_ms + b * (double)(max_ms - min_ms);
	if (x < min_ms)
		x = min_ms;
	if (x > max_ms)
		x = max_ms;
	return (int)(x + 0.5) > max_ms ? max_ms : (int)(x + 0.5);
}

int
rate_typing_ms(const char *text)
{
	const unsigned char *p;
	double wpm, z, ms;
	size_t chars = 0;

	if (text != NULL)
		for (p = (const unsigned char *)text; *p != '\0'; p++)
			if ((*p & 0xC0) != 0x80)	/* count code points, not bytes */
				chars++;
	/* A sum of 4 uniforms, centred and scaled: about N(0,1), bounded. */
	z = (random_unit() + random_unit() + random_unit() + random_unit() - 2.0) * 1.7320508;
	wpm = 45.0 + 15.0 * z;
	if (wpm < 20.0)
		wpm = 20.0;
	if (wpm > 90.0)
		wpm = 90.0;
	ms = (double)chars / 5.0 / wpm * 60000.0 + 300.0 + 900.0 * random_unit();
	if (ms < 1000.0)
		ms = 1000.0 + 500.0 * random_unit();
	/*
	 * 45 wpm puts any text past ~40 characters over 8 s: a hard clamp
	 * would make most typing times exactly 8 s, a fixed signature.  Above
	 * 6 s compress smoothly towards 8 s instead, keeping the spread.
	 */
	if (ms > 6000.0)
		ms = 6000.0 + 1500.0 * (ms - 6000.0) / (ms - 6000.0 + 10000.0) +
		    500.0 * random_unit();
	return ms > 8000.0 ? 8000 : (int)ms;
}

long long
rate_warmup_allowance(long long day)
{
	long long num = 20, den = 1, i;

	if (day < 1)
		day = 1;
	/* 20 * 1.8^(day-1) in exact integers: 1.8 = 9/5 (day 7 = 680). */
	for (i = 1; i < day; i++) {
		num *= 9;
		den *= 5;
		if (num / den >= RATE_WARMUP_END)
			return -1;
	}
	return num / den >= RATE_WARMUP_END ? -1 : num / den;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t
rate_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
rate_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

bool
rate_parse_date(const char *s, int64_t *days)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, d;
	int i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	*days = rate_days_from_civil(y, m, d);
	return true;
}

bool
rate_quiet_active(int start, int end, int minute, int *minutes_left)
{
	bool quiet;

	if (start < 0 || end < 0 || start >= 1440 || end >= 1440 || start == end)
		return false;
	if (start < end)
		quiet = minute >= start && minute < end;
	else
		quiet = minute >= start || minute < end;
	if (quiet && minutes_left != NULL)
		*minutes_left = ((end - minute) % 1440 + 1440) % 1440;
	return quiet;
}

struct tz_entry {
	char	 name[TZ_NAME_MAX];
	int64_t	 slot;
	int	 offset;
	bool	 valid;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz_entry tz_cache[TZ_CACHE];
static unsigned tz_next;

/* A TZ database name: no absolute path, no "..", only the usual characters. */
static bool
tz_name_ok(const char *zone)
{
	const char *p;

	if (zone[0] == '/' || strstr(zone, "..") != NULL || strlen(zone) >= TZ_NAME_MAX)
		return false;
	for (p = zone; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return false;
	return true;
}

/* Called with tz_lock held. */
static bool
tz_compute(const char *zone, int64_t unix_s, int *offset_s)
{
	char path[sizeof(TZ_DIR) + TZ_NAME_MAX + 1], *old = NULL, *spec = NULL;
	struct tm tm;
	time_t t = (time_t)unix_s;
	bool ok = false;

	*offset_s = 0;
	if (!tz_name_ok(zone))
		return false;
	snprintf(path, sizeof(path), "%s/%s", TZ_DIR, zone);
	/* glibc silently reads an unknown zone as UTC: refuse it instead. */
	if (access(path, R_OK) != 0)
		return false;
	if (getenv("TZ") != NULL)
		old = xstrdup(getenv("TZ"));
	spec = xasprintf(":%s", zone);
	setenv("TZ", spec, 1);
	tzset();
	if (localtime_r(&t, &tm) != NULL) {
		*offset_s = (int)tm.tm_gmtoff;
		ok = true;
	}
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	free(spec);
	return ok;
}

bool
rate_tz_offset(const char *zone, int64_t unix_s, int *offset_s)
{
	struct tz_entry *e;
	int64_t slot = unix_s / TZ_SLOT_S;
	bool ok;
	unsigned i;

	*offset_s = 0;
	if (zone == NULL || zone[0] == '\0' || strcmp(zone, "UTC") == 0)
		return true;
	pthread_mutex_lock(&tz_lock);
	for (i = 0; i < TZ_CACHE; i++) {
		e = &tz_cache[i];
		if (e->slot == slot && strcmp(e->name, zone) == 0) {
			*offset_s = e->offset;
			ok = e->valid;
			pthread_mutex_unlock(&tz_lock);
			return ok;
		}
	}
	ok = tz_compute(zone, unix_s, offset_s);
	if (strlen(zone) < TZ_NAME_MAX) {
		e = &tz_cache[tz_next++ % TZ_CACHE];
		strcpy(e->name, zone);
		e->slot = slot;
		e->offset = *offset_s;
		e->valid = ok;
	}
	pthread_mutex_unlock(&tz_lock);
	return ok;
}

uint64_t
rate_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
