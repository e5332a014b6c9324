/*
 * rate-int.h: internals shared by rate.c (interface), rate-mc.c (the
 * memcached path) and rate-local.c (degraded mode).  Not for other modules.
 */
#ifndef WAPOOL_RATE_INT_H
#define WAPOOL_RATE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <libmemcached/memcached.h>

#include "rate.h"
#include "rate-calc.h"


#define RATE_PREFIX		"wapool:rate:"
#define RATE_KEY_MAX		160
#define RATE_VAL_MAX		96
#define RATE_CAS_RETRIES	8
#define RATE_HOUR_US		(3600LL * RATE_US_PER_S)
#define RATE_DAY_BUCKETS	25	/* the current hour and the 24 before it */
#define RATE_DAY_TTL		(26 * 3600)
#define RATE_WARM_TTL		(2 * 86400)
#define RATE_SAME_TTL		(2 * 3600 + 60)
/* Anti-ban policy defaults (doc/rate-gates.md "Configuration"). */
#define RATE_IDENTICAL_PER_HOUR	3
#define RATE_PAUSE_WARNING_MS	(30LL * 60 * 1000)
#define RATE_PAUSE_SPAM_MS	(60LL * 60 * 1000)
#define RATE_THROTTLE_COOL_MS	60000LL
#define RATE_THROTTLE_MAX	6
/* 429s within this long of the last step are answers to the old rate: no new step. */
#define RATE_THROTTLE_HOLD_MS	2000LL
#define RATE_PAIR_MAX_EXP	6
#define RATE_PAIR_DEGRADED_MS	60000LL
/* Degraded mode: first probe after 0.5 s, backing off to 5 s. */
#define RATE_PROBE_MIN_MS	500
#define RATE_PROBE_MAX_MS	5000
/* Degraded mode local tables (powers of two; collisions only make them stricter). */
#define RATE_LOCAL_PAIRS	4096
#define RATE_LOCAL_SAME		1024

/* The keys one acquire may read, in the order the gates are checked. */
enum sk {
	SK_EPOCH,
	SK_PAUSE,
	SK_THR,
	SK_MPS,
	SK_GAP,
	SK_PAIR,
	SK_WARM,
	SK_SAME_PREV,
	SK_SAME_CUR,
	SK_PAIRX,		/* rate_feedback_pair only */
	SK_DAY,			/* SK_DAY + i: the bucket of hour - 24 + i */
	SK__MAX = SK_DAY + RATE_DAY_BUCKETS
};

struct snap {
	char		 group[40];
	size_t		 glen;
	char		 key[SK__MAX][RATE_KEY_MAX];
	size_t		 klen[SK__MAX];
	bool		 want[SK__MAX];
	bool		 have[SK__MAX];
	char		 val[SK__MAX][RATE_VAL_MAX];
	uint64_t	 cas[SK__MAX];
};

/* One hour of the rolling 24 h budget, as this daemon knows it. */
struct day_slot {
	int64_t		 hour;
	uint64_t	 seen;		/* the shared count last read */
	uint64_t	 local;		/* sends made while degraded, not yet merged */
};

/* What this daemon knows of one instance: seeds degraded mode and the resume. */
struct rate_inst {
	long long	 id;
	struct rate_inst *next;
	char		 epoch[RATE_VAL_MAX];	/* the instance's shared epoch ("" = not met yet) */
	int64_t		 mps_tat;	/* µs; the local GCRA when degraded */
	int64_t		 gap_until;	/* µs; next send allowed (spacing) */
	int64_t		 pause_until;	/* µs */
	int		 thr_level;
	int64_t		 thr_at_ms;
	int		 cur_sec_count;	/* from the mps key: sends in the last second */
	struct day_slot	 day[RATE_DAY_BUCKETS];
	int64_t		 warm_day;
	uint64_t	 warm_seen;
	uint64_t	 warm_local;
};

struct same_slot {
	int64_t		 hour;
	int		 cur;
	int		 prev;
};

struct rate {
	struct mc	*mc;		/* NULL: local limits only */
	memcached_st	*h;
	const struct config *c;
	int		 daemons;
	int64_t		 guard_us;	/* the GCRA gates' absolute guard (rate_guard_ms) */
	bool		 degraded;
	uint64_t	 ops;		/* memcached round trips so far */
	int64_t		 next_probe_ms;
	int64_t		 probe_wait_ms;
	struct rate_inst **tab;
	size_t		 tabsz;
	size_t		 count;
	memcached_result_st result;
	struct snap	 snap;
	int64_t		 pair_tat[RATE_LOCAL_PAIRS];
	struct same_slot same[RATE_LOCAL_SAME];
};

/* One acquire: the gates in force and the times they use. */
struct plan {
	struct rate_inst *inst;
	const struct rate_limits *l;
	const char	*recipient;
	int64_t		 now_us;
	int64_t		 t_us;		/* planned send time: now + typing */
	int64_t		 hour;		/* of t_us */
	int		 typing_ms;
	int		 tz_offset;
	bool		 mps, daily, pair, gap, warm, same;
	long long	 warm_allow;
	int64_t		 warm_day;
	uint64_t	 text_hash;
};

/* rate.c: helpers every part uses. */
void	 rate_gate_close(struct rate_decision *d, enum rate_verdict v, int64_t wait_us);
int	 rate_throttle_level(int level, int64_t at_ms, int64_t now_ms);
void	 rate_share_params(const struct rate *r, struct rate_gcra *g, int64_t window_us,
	    long long n, long long b, int daemons);
void	 rate_mps_params(const struct rate *r, struct rate_gcra *g, const struct rate_limits *l,
	    int lvl, int daemons);
void	 rate_enter_degraded(struct rate *r, int64_t now_ms, const char *why);

/* rate-local.c: what this daemon knows, and the in-process (degraded) gates. */
struct rate_inst *rate_inst_get(struct rate *r, long long id);
struct day_slot *rate_day_slot(struct rate_inst *in, int64_t hour);
void	 rate_day_sums(const struct rate_inst *in, int64_t hour, uint64_t *seen, uint64_t *local);
int64_t	 rate_wait_midnight(const struct plan *p);
int64_t	 rate_wait_same(const struct plan *p, int cur);
void	 rate_acquire_local(struct rate *r, struct plan *p, struct rate_decision *out);

/* rate-mc.c: keys, round trips, the shared gates, resume after an outage. */
bool	 rate_mc_alive(struct rate *r);
int	 rate_snap_fetch_all(struct rate *r, struct snap *s);
void	 rate_snap_plan(struct rate *r, struct snap *s, const struct plan *p);
void	 rate_absorb(struct rate_inst *in, const struct snap *s, const struct plan *p);
int	 rate_acquire_shared(struct rate *r, struct plan *p, struct rate_decision *out);
void	 rate_maybe_probe(struct rate *r, int64_t now_ms);
int	 rate_mc_throttle(struct rate *r, struct rate_inst *in, int64_t now_ms);
int	 rate_mc_pause(struct rate *r, struct rate_inst *in, int64_t until_us, int64_t now_us);
int	 rate_mc_pair_penalty(struct rate *r, struct rate_inst *in, const struct rate_limits *l,
	    const char *recipient, int64_t now_ms);

#endif
