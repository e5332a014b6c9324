/* breaker.h: a circuit breaker per gateway instance (pure state machine). */
#ifndef WAPOOL_BREAKER_H
#define WAPOOL_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#define BREAKER_BUCKETS 12

struct breaker_config {
	int64_t	window_ms;		/* failure rate measured over this window */
	int	min_calls;		/* no opening below this many outcomes in the window */
	double	failure_rate;		/* open at or above this share of failures (0..1) */
	int64_t	open_ms;		/* cool-down before half-open */
	int	half_open_probes;	/* trial sends allowed while half-open */
	int	max_trips;		/* trips in a row (without a clean close) before suspension */
};

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN, BREAKER_STATE__MAX };

enum breaker_event {
	BREAKER_EVENT_NONE,
	BREAKER_EVENT_OPENED,		/* closed/half-open -> open */
	BREAKER_EVENT_CLOSED,		/* half-open -> closed */
	BREAKER_EVENT_SUSPEND,		/* opened for the max_trips-th time: suspend the instance */
};

struct breaker {
	enum breaker_state state;
	int64_t	opened_at_ms;
	int	trips;			/* consecutive trips since the last clean close */
	int	probes_issued;		/* while half-open */
	int	probes_succeeded;
	int64_t	bucket_start_ms[BREAKER_BUCKETS];
	int	bucket_ok[BREAKER_BUCKETS];
	int	bucket_fail[BREAKER_BUCKETS];
};

void breaker_init(struct breaker *b);
/*
 * May a send go to this instance now?  Moves open -> half-open after the
 * cool-down and counts a probe while half-open (false once the probes are
 * all issued).
 */
bool breaker_allow(struct breaker *b, const struct breaker_config *c, int64_t now_ms);
/* Record an outcome; returns the transition it caused. */
enum breaker_event breaker_record(struct breaker *b, const struct breaker_config *c,
    int64_t now_ms, bool success);
/* Operator controls. */
void breaker_trip(struct breaker *b, int64_t now_ms);
void breaker_reset(struct breaker *b);
/* Failures and total outcomes in the current window (for stats). */
void breaker_counts(const struct breaker *b, const struct breaker_config *c,
    int64_t now_ms, int *failures, int *total);
const char *breaker_state_str(enum breaker_state s);

#endif
