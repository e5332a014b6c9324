/* rate.h: rate gates and anti-ban spacing per instance, counters shared in memcached. */
#ifndef WAPOOL_RATE_H
#define WAPOOL_RATE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "config.h"
#include "mc.h"

/*
 * The effective limits of one instance, resolved by the daemon from the
 * instance row, then its pool, then wapool.conf (rate_limits_resolve).
 * 0 means "no limit" for every number.
 */
struct rate_limits {
	long long	 instance_id;
	int		 mps;			/* messages per second (tier or target) */
	int		 burst;			/* extra sends allowed at once above mps */
	long long	 daily_limit;		/* per rolling 24 h */
	int		 pair_per_minute;	/* per recipient */
	int		 spacing_min_ms;	/* anti-ban gap after each send (unofficial gateways) */
	int		 spacing_max_ms;
	bool		 typing;		/* show "typing" before the text */
	const char	*timezone;		/* tenant's zone, for quiet hours */
	int		 quiet_start_minute;	/* minutes after midnight, -1 = none */
	int		 quiet_end_minute;
	const char	*warmup_started_on;	/* "YYYY-MM-DD" or NULL: no warm-up */
};

enum rate_verdict {
	RATE_OPEN,
	RATE_CLOSED_MPS,
	RATE_CLOSED_DAILY,
	RATE_CLOSED_PAIR,
	RATE_CLOSED_SPACING,
	RATE_CLOSED_THROTTLED,	/* adaptive throttle after a "slow down" answer */
	RATE_CLOSED_QUIET,	/* quiet hours */
	RATE_CLOSED_WARMUP,	/* warm-up schedule's daily allowance used */
	RATE_CLOSED_IDENTICAL,	/* too many identical texts this hour */
	RATE_CLOSED_PAUSED,	/* warning signs (401/403/463, Meta 131048) */
	RATE_VERDICT__MAX
};

struct rate_decision {
	enum rate_verdict verdict;
	int64_t		 retry_after_ms;	/* when closed: earliest time worth trying again */
	int		 typing_ms;		/* when open: how long to show "typing" first (0 = none) */
	/*
	 * When closed: the same for the gates that close the instance for
	 * every message (all but pair and identical text), 0 when only those
	 * are closed, and the first of them.  Gates only move their reopening
	 * later (other daemons' sends), so a caller may skip the instance
	 * until then without asking again.
	 */
	int64_t		 instance_retry_after_ms;
	enum rate_verdict instance_verdict;
};

/* What a gateway answer says about the sending rate. */
enum rate_signal {
	RATE_SIGNAL_OK,
	RATE_SIGNAL_429,		/* HTTP 429 or Meta 130429 (throughput) */
	RATE_SIGNAL_PAIR,		/* Meta 131056 (pair rate): longer wait */
	RATE_SIGNAL_SPAM,		/* Meta 131048: pause the number and alert */
	RATE_SIGNAL_WARNING,		/* 401 logged out, 403 forbidden, 463: pause the number */
};

struct rate;

/* daemons: expected number of wapoold processes (share of limits when degraded). */
struct rate *rate_open(struct mc *mc, const struct config *c, int daemons);
void	 rate_close(struct rate *r);

/*
 * Try to take one send slot on instance for recipient (and text, for the
 * identical-text cap) at now_ms.  All gates are checked; the slot is taken
 * atomically in memcached so concurrent daemons never both pass.  A closed
 * gate is not an error: the caller tries the next instance.
 */
enum rate_verdict rate_acquire(struct rate *r, const struct rate_limits *l,
	    const char *recipient, const char *text, int64_t now_ms, struct rate_decision *out);
/* Feed a gateway answer back (throttle, pause, or recovery). */
void	 rate_feedback(struct rate *r, const struct rate_limits *l, enum rate_signal s,
	    int64_t now_ms);
/*
 * Meta 131056 (pair rate) on the send to recipient: that pair waits 4^x s
 * (x = 0, 1, 2 ... while 131056 repeats; capped at 4^6 s).  rate_feedback()
 * with RATE_SIGNAL_PAIR cannot know the recipient and only logs: call this.
 * Needs the pair gate (pair_per_minute > 0).
 */
void	 rate_feedback_pair(struct rate *r, const struct rate_limits *l,
	    const char *recipient, int64_t now_ms);
/*
 * The number of wapoold processes sharing the limits (1/N each when
 * degraded); wapoold keeps it current from the daemons' heartbeats.
 */
void	 rate_set_daemons(struct rate *r, int daemons);
/*
 * Call from the event loop, often: while degraded, probes memcached now
 * and then (0.5 s, backing off to 5 s) and resumes the shared counters as
 * soon as it answers, also when no send needs a gate meanwhile.
 */
void	 rate_tick(struct rate *r, int64_t now_ms);
/* True while the shared counters cannot be trusted (memcached down or flushed). */
bool	 rate_degraded(struct rate *r);
/* memcached round trips made so far by r (for stats and bench/rate.sh). */
uint64_t rate_mc_ops(struct rate *r);
/* Adds current rate, remaining daily budget, next slot, throttled-until to out. */
void	 rate_describe(struct rate *r, const struct rate_limits *l, int64_t now_ms,
	    struct json_object *out);
const char *rate_verdict_str(enum rate_verdict v);

#endif
