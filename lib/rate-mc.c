/*
 * rate-mc.c: the rate gates against memcached (the only code that knows
 * their keys and TTLs).  Every key of one instance carries the group key
 * "wapool:rate:<id>", so they all live on one server and one acquire reads
 * all of them in a single multi-get.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mc.h"
#include "rate-int.h"
#include "util.h"

/* ---- small helpers ---------------------------------------------------- */

/* Parses up to max space-separated integers of s; returns how many. */
static int
parse_nums(const char *s, int64_t *v, int max)
{
	char *end;
	int n = 0;
	long long x;

	while (n < max && *s != '\0') {
		x = strtoll(s, &end, 10);
		if (end == s)
			break;
		v[n++] = x;
		s = end;
		while (*s == ' ')
			s++;
	}
	return n;
}

static int64_t
snap_num(const struct snap *s, int i)
{
	int64_t v = 0;

	if (!s->have[i] || parse_nums(s->val[i], &v, 1) != 1)
		return 0;
	return v;
}

/* Seconds of TTL that keep a key alive at least until until_us. */
static time_t
ttl_until(int64_t until_us, int64_t now_us)
{
	int64_t s = (until_us - now_us + RATE_US_PER_S - 1) / RATE_US_PER_S;

	/* memcached expiry has ~1 s granularity: 2 s margin so it never ends early. */
	return (time_t)((s > 0 ? s : 0) + 2);
}

static bool
unreachable(memcached_return_t rc)
{
	switch (rc) {
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
	case MEMCACHED_END:
	case MEMCACHED_NOTFOUND:
	case MEMCACHED_DATA_EXISTS:
	case MEMCACHED_NOTSTORED:
		return false;
	default:
		return true;
	}
}

/* Lost a race: the key changed or appeared (stack.md pitfall 6: both codes). */
static bool
conflict(memcached_return_t rc)
{
	return rc == MEMCACHED_DATA_EXISTS || rc == MEMCACHED_NOTSTORED ||
	    rc == MEMCACHED_NOTFOUND;
}

/* ---- keys and the multi-get -------------------------------------------- */

static void
set_group(struct snap *s, long long id)
{
	s->glen = (size_t)snprintf(s->group, sizeof(s->group), RATE_PREFIX "%lld", id);
}

static void
set_key(struct snap *s, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_key(struct snap *s, int i, const char *fmt, ...)
{
	va_list ap;
	int n;

	memcpy(s->key[i], s->group, s->glen);
	va_start(ap, fmt);
	n = vsnprintf(s->key[i] + s->glen, RATE_KEY_MAX - s->glen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= RATE_KEY_MAX - s->glen)
		n = (int)(RATE_KEY_MAX - s->glen - 1);
	s->klen[i] = s->glen + (size_t)n;
	s->want[i] = true;
	s->have[i] = false;
}

/* A recipient as a key part: itself when short and plain, else its hash. */
static void
recipient_part(const char *rcpt, char *out, size_t outsz)
{
	const char *p;
	size_t n = strlen(rcpt);
	bool plain = n > 0 && n <= 64;

	for (p = rcpt; plain && *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || strchr("@._+-", *p) != NULL))
			plain = false;
	if (plain)
		snprintf(out, outsz, "%s", rcpt);
	else
		snprintf(out, outsz, "h%016" PRIx64, rate_hash(rcpt, n, 0));
}

static void
key_day(struct snap *s, int i, int64_t hour)
{
	set_key(s, i, ":d:%" PRId64, hour);
}

static void
key_warm(struct snap *s, int i, int64_t day)
{
	int64_t y;
	unsigned m, d;

	rate_civil_from_days(day, &y, &m, &d);
	set_key(s, i, ":w:%04" PRId64 "%02u%02u", y, m, d);
}

/* Fetches the wanted keys among idx[0..n) in one round trip; -1 on failure. */
static int
snap_fetch(struct rate *r, struct snap *s, const int *idx, size_t n)
{
	const char *keys[SK__MAX];
	size_t lens[SK__MAX], i, klen, vlen;
	memcached_return_t rc;
	const char *k;
	int j;

	for (i = 0; i < n; i++) {
		keys[i] = s->key[idx[i]];
		lens[i] = s->klen[idx[i]];
		s->have[idx[i]] = false;
	}
	r->ops++;
	rc = memcached_mget_by_key(r->h, s->group, s->glen, keys, lens, n);
	if (rc != MEMCACHED_SUCCESS)
		return -1;
	while (memcached_fetch_result(r->h, &r->result, &rc) != NULL) {
		k = memcached_result_key_value(&r->result);
		klen = memcached_result_key_length(&r->result);
		for (i = 0; i < n; i++) {
			j = idx[i];
			if (s->klen[j] != klen || memcmp(s->key[j], k, klen) != 0)
				continue;
			vlen = memcached_result_length(&r->result);
			if (vlen >= RATE_VAL_MAX)
				vlen = 0;	/* not ours: read as empty, overwritten by cas */
			memcpy(s->val[j], memcached_result_value(&r->result), vlen);
			s->val[j][vlen] = '\0';
			s->cas[j] = memcached_result_cas(&r->result);
			s->have[j] = true;
			break;
		}
	}
	if (rc != MEMCACHED_END && rc != MEMCACHED_NOTFOUND && rc != MEMCACHED_SUCCESS)
		return -1;
	return 0;
}

int
rate_snap_fetch_all(struct rate *r, struct snap *s)
{
	int idx[SK__MAX], i;
	size_t n = 0;

	for (i = 0; i < SK__MAX; i++)
		if (s->want[i])
			idx[n++] = i;
	return n == 0 ? 0 : snap_fetch(r, s, idx, n);
}

static int
snap_fetch_one(struct rate *r, struct snap *s, int i)
{
	return snap_fetch(r, s, &i, 1);
}

static memcached_return_t
mc_store(struct rate *r, const struct snap *s, int i, const char *val, time_t ttl,
    bool use_cas)
{
	r->ops++;
	if (use_cas)
		return memcached_cas_by_key(r->h, s->group, s->glen, s->key[i], s->klen[i],
		    val, strlen(val), ttl, 0, s->cas[i]);
	return memcached_add_by_key(r->h, s->group, s->glen, s->key[i], s->klen[i],
	    val, strlen(val), ttl, 0);
}

static memcached_return_t
mc_count(struct rate *r, const struct snap *s, int i, uint64_t delta, uint64_t initial,
    time_t ttl, uint64_t *value)
{
	memcached_return_t rc;
	int attempt;

	/*
	 * Create-on-miss arithmetic: never a bare incr on a missing key.  When
	 * several clients create the same key at once, memcached 1.6 answers
	 * the losers of its internal add NOT_STORED instead of incrementing:
	 * the key exists by then, so increment again.
	 */
	for (attempt = 0; attempt < RATE_CAS_RETRIES; attempt++) {
		r->ops++;
		rc = memcached_increment_with_initial_by_key(r->h, s->group, s->glen,
		    s->key[i], s->klen[i], delta, initial, ttl, value);
		if (rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS)
			break;
	}
	return rc;
}

static void
mc_refund(struct rate *r, const struct snap *s, int i)
{
	uint64_t v;

	r->ops++;
	(void)memcached_decrement_by_key(r->h, s->group, s->glen, s->key[i], s->klen[i],
	    1, &v);
}

/* One round trip that needs no key to exist: is the server there? */
bool
rate_mc_alive(struct rate *r)
{
	struct snap *s = &r->snap;

	memset(s->want, 0, sizeof(s->want));
	set_group(s, 0);
	set_key(s, SK_EPOCH, ":ping");
	return snap_fetch_one(r, s, SK_EPOCH) == 0;
}

/* ---- the shared (memcached) path --------------------------------------- */

enum take { TAKE_OK, TAKE_CLOSED, TAKE_ERR };

/*
 * GCRA on gets/cas: read TAT, decide, write the new TAT only if nobody
 * wrote in between (cas; add when missing), else re-read and decide again.
 * counts: the value also carries "second count previous" for current_rate.
 */
static enum take
gcra_take(struct rate *r, struct snap *s, int i, const struct rate_gcra *g,
    const struct plan *p, bool counts, int64_t *new_tat, int64_t *wait_us)
{
	char val[RATE_VAL_MAX];
	int64_t v[4], sec, cnt, prev;
	memcached_return_t rc;
	int attempt;

	for (attempt = 0; attempt < RATE_CAS_RETRIES; attempt++) {
		sec = p->t_us / RATE_US_PER_S;
		v[0] = v[1] = v[2] = v[3] = 0;
		if (s->have[i])
			(void)parse_nums(s->val[i], v, 4);
		if (!rate_gcra_check(g, v[0], p->t_us, new_tat, wait_us))
			return TAKE_CLOSED;
		if (counts) {
			if (v[1] >= sec) {
				cnt = v[2] + 1;
				prev = v[3];
				sec = v[1];
			} else if (v[1] == sec - 1) {
				cnt = 1;
				prev = v[2];
			} else {
				cnt = 1;
				prev = 0;
			}
			snprintf(val, sizeof(val), "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64,
			    *new_tat, sec, cnt, prev);
		} else
			snprintf(val, sizeof(val), "%" PRId64, *new_tat);
		rc = mc_store(r, s, i, val, ttl_until(*new_tat, p->now_us), s->have[i]);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED)
			return TAKE_OK;
		if (!conflict(rc) || snap_fetch_one(r, s, i) < 0)
			return TAKE_ERR;
	}
	*wait_us = g->t_us;	/* lost every race: heavy contention, try a bit later */
	return TAKE_CLOSED;
}

/* The spacing slot: add (or cas over an expired value); the winner owns it. */
static enum take
gap_take(struct rate *r, struct snap *s, const struct plan *p, int64_t *until, int64_t *wait_us)
{
	char val[32];
	int64_t next;
	memcached_return_t rc;
	int attempt, gap_ms;

	gap_ms = rate_gap_draw_ms(p->l->spacing_min_ms, p->l->spacing_max_ms);
	for (attempt = 0; attempt < RATE_CAS_RETRIES; attempt++) {
		next = snap_num(s, SK_GAP);
		if (next > p->now_us) {	/* from the typing on, as in the check above */
			*wait_us = next - p->now_us;
			return TAKE_CLOSED;
		}
		/* The gap runs from the planned send (after typing), not from now. */
		*until = p->t_us + (int64_t)gap_ms * 1000;
		snprintf(val, sizeof(val), "%" PRId64, *until);
		rc = mc_store(r, s, SK_GAP, val, ttl_until(*until, p->now_us), s->have[SK_GAP]);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED)
			return TAKE_OK;
		if (!conflict(rc) || snap_fetch_one(r, s, SK_GAP) < 0)
			return TAKE_ERR;
	}
	*wait_us = 1000000;
	return TAKE_CLOSED;
}

/* When the rolling budget reopens: as the oldest buckets leave the window. */
static int64_t
daily_wait(const struct snap *s, const struct plan *p, uint64_t sum)
{
	int i;

	for (i = 0; i < RATE_DAY_BUCKETS; i++) {
		sum -= (uint64_t)snap_num(s, SK_DAY + i) <= sum ? (uint64_t)snap_num(s, SK_DAY + i) : sum;
		if (sum < (uint64_t)p->l->daily_limit)
			/* bucket hour-24+i is counted through hour+i. */
			return (p->hour + i + 1) * RATE_HOUR_US - p->t_us;
	}
	return RATE_HOUR_US;
}

/* Copies what the snapshot says into the instance (for degraded mode and describe). */
void
rate_absorb(struct rate_inst *in, const struct snap *s, const struct plan *p)
{
	int64_t v[4];
	int i;

	if (s->want[SK_PAUSE])
		in->pause_until = snap_num(s, SK_PAUSE);
	if (s->want[SK_THR]) {
		v[0] = v[1] = 0;
		if (s->have[SK_THR])
			(void)parse_nums(s->val[SK_THR], v, 2);
		in->thr_level = (int)v[0];
		in->thr_at_ms = v[1];
	}
	if (s->want[SK_MPS] && s->have[SK_MPS]) {
		v[0] = v[1] = v[2] = v[3] = 0;
		(void)parse_nums(s->val[SK_MPS], v, 4);
		if (v[0] > in->mps_tat)
			in->mps_tat = v[0];
		i = (int)(p->now_us / RATE_US_PER_S - v[1]);
		in->cur_sec_count = i == 0 ? (int)v[3] : i == 1 ? (int)v[2] : 0;
	}
	if (s->want[SK_GAP])
		in->gap_until = snap_num(s, SK_GAP);
	if (s->want[SK_DAY])
		for (i = 0; i < RATE_DAY_BUCKETS; i++)
			rate_day_slot(in, p->hour - RATE_DAY_BUCKETS + 1 + i)->seen =
			    (uint64_t)snap_num(s, SK_DAY + i);
	if (s->want[SK_WARM]) {
		if (in->warm_day != p->warm_day) {
			in->warm_day = p->warm_day;
			in->warm_local = 0;
		}
		in->warm_seen = (uint64_t)snap_num(s, SK_WARM);
	}
}

void
rate_snap_plan(struct rate *r, struct snap *s, const struct plan *p)
{
	char part[80];
	int i;

	memset(s->want, 0, sizeof(s->want));
	set_group(s, p->l->instance_id);
	set_key(s, SK_EPOCH, ":epoch");
	set_key(s, SK_PAUSE, ":pause");
	set_key(s, SK_THR, ":thr");
	if (p->mps)
		set_key(s, SK_MPS, ":mps");
	if (p->gap)
		set_key(s, SK_GAP, ":gap");
	if (p->pair) {
		recipient_part(p->recipient, part, sizeof(part));
		set_key(s, SK_PAIR, ":p:%s", part);
	}
	if (p->warm)
		key_warm(s, SK_WARM, p->warm_day);
	if (p->same) {
		set_key(s, SK_SAME_PREV, ":s:%016" PRIx64 ":%" PRId64, p->text_hash, p->hour - 1);
		set_key(s, SK_SAME_CUR, ":s:%016" PRIx64 ":%" PRId64, p->text_hash, p->hour);
	}
	if (p->daily)
		for (i = 0; i < RATE_DAY_BUCKETS; i++)
			key_day(s, SK_DAY + i, p->hour - RATE_DAY_BUCKETS + 1 + i);
	(void)r;
}

static void
new_epoch(char *out, size_t outsz)
{
	unsigned char b[8];
	char hex[17];

	if (random_bytes(b, sizeof(b)) != 0) {
		uint64_t x = (uint64_t)clock_mono_us() ^ ((uint64_t)getpid() << 32);
		memcpy(b, &x, sizeof(b));
	}
	hex_encode(b, sizeof(b), hex);
	snprintf(out, outsz, "%s", hex);
}

/*
 * The instance's epoch key proves its counters were not lost: once met it
 * must stay the same; missing or different later means a flush, a restart
 * or an eviction.  0, or -1 after entering degraded mode.
 */
static int
epoch_check(struct rate *r, struct snap *s, struct rate_inst *in, int64_t now_ms)
{
	char e[24], why[96];
	memcached_return_t rc;

	if (in->epoch[0] != '\0') {
		if (s->have[SK_EPOCH] && strcmp(s->val[SK_EPOCH], in->epoch) == 0)
			return 0;
		snprintf(why, sizeof(why),
		    "memcached lost the counters of instance %lld: flush, restart or eviction", in->id);
		rate_enter_degraded(r, now_ms, why);
		return -1;
	}
	if (s->have[SK_EPOCH]) {
		snprintf(in->epoch, sizeof(in->epoch), "%s", s->val[SK_EPOCH]);
		return 0;
	}
	/* First contact: nothing to compare with; create the epoch if nobody did. */
	new_epoch(e, sizeof(e));
	rc = mc_store(r, s, SK_EPOCH, e, 0, false);
	if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) {
		snprintf(in->epoch, sizeof(in->epoch), "%s", e);
		return 0;
	}
	if (conflict(rc) && snap_fetch_one(r, s, SK_EPOCH) == 0 && s->have[SK_EPOCH]) {
		snprintf(in->epoch, sizeof(in->epoch), "%s", s->val[SK_EPOCH]);
		return 0;
	}
	rate_enter_degraded(r, now_ms, "memcached unreachable");
	return -1;
}

static void
refund_all(struct rate *r, const struct snap *s, const int *keys, int n)
{
	while (n-- > 0)
		mc_refund(r, s, keys[n]);
}

/*
 * All gates against memcached: one multi-get, checks on that snapshot (a
 * closed gate costs nothing more), then the atomic takes, each of which
 * re-validates.  0 with out decided, or -1 (degraded mode entered).
 */
int
rate_acquire_shared(struct rate *r, struct plan *p, struct rate_decision *out)
{
	struct snap *s = &r->snap;
	struct rate_inst *in = p->inst;
	const struct rate_limits *l = p->l;
	struct rate_gcra gm, gp;
	int64_t now_ms = p->now_us / 1000, wait, tat = 0, until = 0, thr_until;
	uint64_t sum = 0, v, prev = 0, cur = 0;
	int lvl, i, refunds[3], nref = 0;
	enum take t;

	rate_snap_plan(r, s, p);
	if (rate_snap_fetch_all(r, s) < 0)
		goto unreachable;
	if (epoch_check(r, s, in, now_ms) < 0)
		return -1;
	rate_absorb(in, s, p);

	/* Checks on the snapshot: cheap refusals, no writes. */
	if (in->pause_until > p->now_us)
		rate_gate_close(out, RATE_CLOSED_PAUSED, in->pause_until - p->now_us);
	lvl = rate_throttle_level(in->thr_level, in->thr_at_ms, now_ms);
	if (!p->mps && lvl > 0) {
		thr_until = in->thr_at_ms + (1000LL << (in->thr_level - 1));
		if (thr_until > now_ms)
			rate_gate_close(out, RATE_CLOSED_THROTTLED, (thr_until - now_ms) * 1000);
	}
	/*
	 * The instance is in use from its typing on, not only from the text:
	 * the slot opens for the *start* of the next typing, so no other
	 * daemon's presence can land between a presence and its text.
	 */
	if (p->gap && in->gap_until > p->now_us)
		rate_gate_close(out, RATE_CLOSED_SPACING, in->gap_until - p->now_us);
	if (p->daily) {
		for (i = 0; i < RATE_DAY_BUCKETS; i++)
			sum += (uint64_t)snap_num(s, SK_DAY + i);
		if (sum >= (uint64_t)l->daily_limit)
			rate_gate_close(out, RATE_CLOSED_DAILY, daily_wait(s, p, sum));
	}
	if (p->warm && snap_num(s, SK_WARM) >= p->warm_allow)
		rate_gate_close(out, RATE_CLOSED_WARMUP, rate_wait_midnight(p));
	if (p->same) {
		prev = (uint64_t)snap_num(s, SK_SAME_PREV);
		cur = (uint64_t)snap_num(s, SK_SAME_CUR);
		if (prev + cur >= RATE_IDENTICAL_PER_HOUR)
			rate_gate_close(out, RATE_CLOSED_IDENTICAL, rate_wait_same(p, (int)cur));
	}
	if (p->mps) {
		rate_mps_params(r, &gm, l, lvl, 1);
		if (!rate_gcra_check(&gm, snap_num(s, SK_MPS), p->t_us, &tat, &wait))
			rate_gate_close(out, lvl > 0 ? RATE_CLOSED_THROTTLED : RATE_CLOSED_MPS, wait);
	}
	if (p->pair) {
		rate_gcra_params(&gp, 60 * RATE_US_PER_S, l->pair_per_minute, 0, r->guard_us);
		if (!rate_gcra_check(&gp, snap_num(s, SK_PAIR), p->t_us, &tat, &wait))
			rate_gate_close(out, RATE_CLOSED_PAIR, wait);
	}
	if (out->verdict != RATE_OPEN)
		return 0;

	/*
	 * The takes, cheapest to waste first: a GCRA slot lost to a later
	 * refusal only delays (never exceeds); counters are refunded; the
	 * spacing slot, the costliest, is taken last.
	 */
	if (p->mps) {
		t = gcra_take(r, s, SK_MPS, &gm, p, true, &tat, &wait);
		if (t == TAKE_ERR)
			goto unreachable;
		if (t == TAKE_CLOSED) {
			rate_gate_close(out, lvl > 0 ? RATE_CLOSED_THROTTLED : RATE_CLOSED_MPS, wait);
			return 0;
		}
		in->mps_tat = tat;
	}
	if (p->pair) {
		t = gcra_take(r, s, SK_PAIR, &gp, p, false, &tat, &wait);
		if (t == TAKE_ERR)
			goto unreachable;
		if (t == TAKE_CLOSED) {
			rate_gate_close(out, RATE_CLOSED_PAIR, wait);
			return 0;
		}
	}
	if (p->daily) {
		i = SK_DAY + RATE_DAY_BUCKETS - 1;
		if (mc_count(r, s, i, 1, 1, RATE_DAY_TTL, &v) != MEMCACHED_SUCCESS)
			goto unreachable;
		/* Increment first, then check: concurrent daemons cannot both take the last unit. */
		sum = sum - (uint64_t)snap_num(s, i) + v;
		if (sum > (uint64_t)l->daily_limit) {
			mc_refund(r, s, i);
			rate_gate_close(out, RATE_CLOSED_DAILY, daily_wait(s, p, sum - 1));
			return 0;
		}
		refunds[nref++] = i;
		rate_day_slot(in, p->hour)->seen = v;
	}
	if (p->warm) {
		if (mc_count(r, s, SK_WARM, 1, 1, RATE_WARM_TTL, &v) != MEMCACHED_SUCCESS)
			goto unreachable;
		if (v > (uint64_t)p->warm_allow) {
			mc_refund(r, s, SK_WARM);
			refund_all(r, s, refunds, nref);
			rate_gate_close(out, RATE_CLOSED_WARMUP, rate_wait_midnight(p));
			return 0;
		}
		refunds[nref++] = SK_WARM;
		in->warm_seen = v;
	}
	if (p->same) {
		if (mc_count(r, s, SK_SAME_CUR, 1, 1, RATE_SAME_TTL, &v) != MEMCACHED_SUCCESS)
			goto unreachable;
		if (prev + v > RATE_IDENTICAL_PER_HOUR) {
			mc_refund(r, s, SK_SAME_CUR);
			refund_all(r, s, refunds, nref);
			rate_gate_close(out, RATE_CLOSED_IDENTICAL, rate_wait_same(p, (int)v - 1));
			return 0;
		}
		refunds[nref++] = SK_SAME_CUR;
	}
	if (p->gap) {
		t = gap_take(r, s, p, &until, &wait);
		if (t == TAKE_ERR)
			goto unreachable;
		if (t == TAKE_CLOSED) {
			refund_all(r, s, refunds, nref);
			rate_gate_close(out, RATE_CLOSED_SPACING, wait);
			return 0;
		}
		in->gap_until = until;
	}
	out->typing_ms = p->typing_ms;
	return 0;

unreachable:
	rate_enter_degraded(r, now_ms, "memcached unreachable");
	return -1;
}

/*
 * Back to shared counters: adopt (or create) the instance's epoch and
 * write what this daemon knows into memcached: the day buckets it last
 * saw (create-on-miss, so a flushed memcached gets them back) plus its
 * sends while degraded, and its TAT, gap, pause and throttle.  0 or -1.
 */
static int
inst_merge(struct rate *r, struct rate_inst *in, int64_t now_us)
{
	struct snap *s = &r->snap;
	struct day_slot *ds;
	char e[24], val[RATE_VAL_MAX];
	int64_t hour = now_us / RATE_HOUR_US, h, now_ms = now_us / 1000;
	memcached_return_t rc;
	uint64_t v;

	memset(s->want, 0, sizeof(s->want));
	set_group(s, in->id);
	set_key(s, SK_EPOCH, ":epoch");
	if (snap_fetch_one(r, s, SK_EPOCH) < 0)
		return -1;
	if (!s->have[SK_EPOCH]) {
		new_epoch(e, sizeof(e));
		rc = mc_store(r, s, SK_EPOCH, e, 0, false);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED)
			snprintf(in->epoch, sizeof(in->epoch), "%s", e);
		else if (!conflict(rc) || snap_fetch_one(r, s, SK_EPOCH) < 0 || !s->have[SK_EPOCH])
			return -1;
	}
	if (s->have[SK_EPOCH])
		snprintf(in->epoch, sizeof(in->epoch), "%s", s->val[SK_EPOCH]);
	for (h = hour - RATE_DAY_BUCKETS + 1; h <= hour; h++) {
		ds = &in->day[h % RATE_DAY_BUCKETS];
		if (ds->hour != h || (ds->seen == 0 && ds->local == 0))
			continue;
		key_day(s, SK_DAY, h);
		if (mc_count(r, s, SK_DAY, ds->local, ds->seen + ds->local, RATE_DAY_TTL, &v) !=
		    MEMCACHED_SUCCESS)
			return -1;
		ds->seen = v;
		ds->local = 0;
	}
	if (in->warm_day > 0 && in->warm_seen + in->warm_local > 0) {
		key_warm(s, SK_WARM, in->warm_day);
		if (mc_count(r, s, SK_WARM, in->warm_local, in->warm_seen + in->warm_local,
		    RATE_WARM_TTL, &v) != MEMCACHED_SUCCESS)
			return -1;
		in->warm_seen = v;
		in->warm_local = 0;
	}
	/* add: where the key survived, the shared value is the better one. */
	if (in->mps_tat > now_us) {
		set_key(s, SK_MPS, ":mps");
		snprintf(val, sizeof(val), "%" PRId64, in->mps_tat);
		if (unreachable(mc_store(r, s, SK_MPS, val, ttl_until(in->mps_tat, now_us), false)))
			return -1;
	}
	if (in->gap_until > now_us) {
		set_key(s, SK_GAP, ":gap");
		snprintf(val, sizeof(val), "%" PRId64, in->gap_until);
		if (unreachable(mc_store(r, s, SK_GAP, val, ttl_until(in->gap_until, now_us), false)))
			return -1;
	}
	if (in->pause_until > now_us) {
		set_key(s, SK_PAUSE, ":pause");
		snprintf(val, sizeof(val), "%" PRId64, in->pause_until);
		if (unreachable(mc_store(r, s, SK_PAUSE, val, ttl_until(in->pause_until, now_us), false)))
			return -1;
	}
	if (rate_throttle_level(in->thr_level, in->thr_at_ms, now_ms) > 0) {
		set_key(s, SK_THR, ":thr");
		snprintf(val, sizeof(val), "%d %" PRId64, in->thr_level, in->thr_at_ms);
		if (unreachable(mc_store(r, s, SK_THR, val,
		    (time_t)(in->thr_level * RATE_THROTTLE_COOL_MS / 1000 + 5), false)))
			return -1;
	}
	return 0;
}

/* While degraded, now and then: is memcached back?  Then merge and resume. */
void
rate_maybe_probe(struct rate *r, int64_t now_ms)
{
	struct rate_inst *in;
	size_t i;

	if (!r->degraded || r->mc == NULL || now_ms < r->next_probe_ms)
		return;
	if (r->count == 0 && !rate_mc_alive(r))
		goto fail;
	for (i = 0; i < r->tabsz; i++)
		for (in = r->tab[i]; in != NULL; in = in->next)
			if (inst_merge(r, in, now_ms * 1000) < 0)
				goto fail;
	r->degraded = false;
	log_info("rate gates: memcached is back, shared counters resumed");
	return;
fail:
	r->probe_wait_ms *= 2;
	if (r->probe_wait_ms > RATE_PROBE_MAX_MS)
		r->probe_wait_ms = RATE_PROBE_MAX_MS;
	r->next_probe_ms = now_ms + r->probe_wait_ms;
}

int
rate_mc_throttle(struct rate *r, struct rate_inst *in, int64_t now_ms)
{
	struct snap *s = &r->snap;
	char val[64];
	int64_t v[2] = { 0, 0 };
	int lvl;

	memset(s->want, 0, sizeof(s->want));
	set_group(s, in->id);
	set_key(s, SK_THR, ":thr");
	if (snap_fetch_one(r, s, SK_THR) < 0)
		return -1;
	if (s->have[SK_THR] && parse_nums(s->val[SK_THR], v, 2) == 2 &&
	    now_ms - v[1] >= 0 && now_ms - v[1] < RATE_THROTTLE_HOLD_MS) {
		in->thr_level = (int)v[0];
		in->thr_at_ms = v[1];
		return 0;
	}
	lvl = rate_throttle_level((int)v[0], v[1], now_ms);
	if (rate_throttle_level(in->thr_level, in->thr_at_ms, now_ms) > lvl)
		lvl = rate_throttle_level(in->thr_level, in->thr_at_ms, now_ms);
	if (lvl < RATE_THROTTLE_MAX)
		lvl++;
	in->thr_level = lvl;
	in->thr_at_ms = now_ms;
	snprintf(val, sizeof(val), "%d %" PRId64, lvl, now_ms);
	r->ops++;
	return memcached_set_by_key(r->h, s->group, s->glen, s->key[SK_THR], s->klen[SK_THR],
	    val, strlen(val), (time_t)(lvl * RATE_THROTTLE_COOL_MS / 1000 + 5), 0) ==
	    MEMCACHED_SUCCESS ? 0 : -1;
}

int
rate_mc_pause(struct rate *r, struct rate_inst *in, int64_t until_us, int64_t now_us)
{
	struct snap *s = &r->snap;
	char val[32];
	int64_t cur;

	memset(s->want, 0, sizeof(s->want));
	set_group(s, in->id);
	set_key(s, SK_PAUSE, ":pause");
	if (snap_fetch_one(r, s, SK_PAUSE) < 0)
		return -1;
	cur = snap_num(s, SK_PAUSE);
	if (cur >= until_us) {
		in->pause_until = cur;
		return 0;
	}
	in->pause_until = until_us;
	snprintf(val, sizeof(val), "%" PRId64, until_us);
	r->ops++;
	return memcached_set_by_key(r->h, s->group, s->glen, s->key[SK_PAUSE], s->klen[SK_PAUSE],
	    val, strlen(val), ttl_until(until_us, now_us), 0) == MEMCACHED_SUCCESS ? 0 : -1;
}

/*
 * Meta 131056 for one pair: x grows while it repeats (":px:" key), the
 * pair's TAT moves to now + 4^x s.  0, or -1 if memcached failed.
 */
int
rate_mc_pair_penalty(struct rate *r, struct rate_inst *in, const struct rate_limits *l,
    const char *recipient, int64_t now_ms)
{
	struct snap *s = &r->snap;
	struct rate_gcra gp;
	char part[80], val[32];
	int64_t now_us = now_ms * 1000, x = -1, wait_us, target;
	memcached_return_t rc;
	int attempt, j;

	rate_gcra_params(&gp, 60 * RATE_US_PER_S, l->pair_per_minute, 0, r->guard_us);
	memset(s->want, 0, sizeof(s->want));
	set_group(s, in->id);
	recipient_part(recipient, part, sizeof(part));
	set_key(s, SK_PAIR, ":p:%s", part);
	set_key(s, SK_PAIRX, ":px:%s", part);
	if (rate_snap_fetch_all(r, s) < 0)
		return -1;
	if (s->have[SK_PAIRX])
		x = snap_num(s, SK_PAIRX);
	if (++x > RATE_PAIR_MAX_EXP)
		x = RATE_PAIR_MAX_EXP;
	/* Meta's advice for 131056: wait 4^x s, x growing while it repeats. */
	for (wait_us = RATE_US_PER_S, j = 0; j < x; j++)
		wait_us *= 4;
	snprintf(val, sizeof(val), "%" PRId64, x);
	r->ops++;
	if (unreachable(memcached_set_by_key(r->h, s->group, s->glen, s->key[SK_PAIRX],
	    s->klen[SK_PAIRX], val, strlen(val), (time_t)(2 * wait_us / RATE_US_PER_S + 60), 0)))
		return -1;
	target = now_us + wait_us + gp.tau_us;
	for (attempt = 0; attempt < RATE_CAS_RETRIES; attempt++) {
		if (snap_num(s, SK_PAIR) >= target)
			break;
		snprintf(val, sizeof(val), "%" PRId64, target);
		rc = mc_store(r, s, SK_PAIR, val, ttl_until(target, now_us), s->have[SK_PAIR]);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED)
			break;
		if (!conflict(rc) || snap_fetch_one(r, s, SK_PAIR) < 0)
			return -1;
	}
	log_info("rate gates: instance %lld: pair rate hit (131056), that recipient waits %llds",
	    l->instance_id, (long long)(wait_us / RATE_US_PER_S));
	return 0;
}
