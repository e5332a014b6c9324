/* backoff.h: retry delays with decorrelated jitter (AWS, Brooker 2015). */
#ifndef WAPOOL_BACKOFF_H
#define WAPOOL_BACKOFF_H

#include <stdint.h>

/*
 * sleep = min(cap, random_between(base, previous * 3)), previous = base for
 * the first retry.  unit is a uniform random number in [0,1) supplied by
 * the caller so tests are deterministic.  All values in milliseconds.
 */
int64_t backoff_next_ms(int64_t base_ms, int64_t cap_ms, int64_t previous_ms,
    double unit);

#endif
