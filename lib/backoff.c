/* backoff.c: how long to wait before retrying a send (decorrelated jitter). */
#include <stdint.h>

#include "backoff.h"

/*
 * Returns min(cap, a random delay between base and previous * 3), in
 * milliseconds, chosen by unit in [0,1).  Guards against bad input rather
 * than failing:
 * - base below 1 ms counts as 1 ms, so delays can still grow;
 * - a cap below base counts as base (every delay is then base);
 * - previous below base (0 on the first retry) counts as base;
 * - previous * 3 is computed without overflow;
 * - unit below 0 (or NaN) counts as 0, unit at or above 1 gives the top.
 * The result is always between base and cap, both included.
 */
int64_t
backoff_next_ms(int64_t base_ms, int64_t cap_ms, int64_t previous_ms,
    double unit)
{
	int64_t high, span, offset;

	if (base_ms < 1)
		base_ms = 1;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	if (previous_ms < base_ms)
		previous_ms = base_ms;

	/* high = min(cap, previous * 3), never computing an overflowing product. */
	if (previous_ms > cap_ms / 3)
		high = cap_ms;
	else
		high = previous_ms * 3;

	if (!(unit >= 0.0))
		unit = 0.0;
	if (unit >= 1.0)
		return high;
	/* base >= 1, so high - base + 1 cannot overflow. */
	span = high - base_ms + 1;
	offset = (int64_t)(unit * (double)span);
	/* A double cannot hold every int64_t: rounding may reach span. */
	if (offset >= span)
		offset = span - 1;
	if (offset < 0)
		offset = 0;
	return base_ms + offset;
}
