/*
 * rate.c: rate gates and anti-ban spacing per instance, counters shared in
 * memcached: the interface (lib/rate.h).  rate-mc.c owns the keys and the
 * round trips, rate-local.c the in-process limits of degraded mode,
 * rate-calc.c the arithmetic.  Algorithms, the correctness argument and
 * the round trips per send: doc/rate-gates.md.
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

static const char *const verdicts[RATE_VERDICT__MAX] = {
	"open",		/* RATE_OPEN */
	"mps",		/* RATE_CLOSED_MPS */
	"daily",	/* RATE_CLOSED_DAILY */
	"pair",		/* RATE_CLOSED_PAIR */
	"spacing",	/* RATE_CLOSED_SPACING */
	"throttled",	/* RATE_CLOSED_THROTTLED */
	"quiet",	/* RATE_CLOSED_QUIET */
	"warmup",	/* RATE_CLOSED_WARMUP */
	"identical",	/* RATE_CLOSED_IDENTICAL */
	"paused",	/* RATE_CLOSED_PAUSED */
};

const char *
rate_verdict_str(enum rate_verdict v)
{
	return (unsigned)v < RATE_VERDICT__MAX ? verdicts[v] : "unknown";
}

/* A closed gate: the first one decides the verdict, the latest reopening wins. */
void
rate_gate_close(struct rate_decision *d, enum rate_verdict v, int64_t wait_us)
{
	int64_t ms = (wait_us + 999) / 1000;

	if (ms < 1)
		ms = 1;
	if (d->verdict == RATE_OPEN)
		d->verdict = v;
	if (ms > d->retry_after_ms)
		d->retry_after_ms = ms;
	if (v == RATE_CLOSED_PAIR || v == RATE_CLOSED_IDENTICAL)
		return;		/* these depend on the message, not only on the instance */
	if (d->instance_verdict == RATE_OPEN)
		d->instance_verdict = v;
	if (ms > d->instance_retry_after_ms)
		d->instance_retry_after_ms = ms;
}

int
rate_throttle_level(int level, int64_t at_ms, int64_t now_ms)
{
	int64_t steps;

	if (level <= 0)
		return 0;
	steps = (now_ms - at_ms) / RATE_THROTTLE_COOL_MS;
	if (steps < 0)
		steps = 0;
	return steps >= level ? 0 : level - (int)steps;
}

/*
 * A gate of n per window_us (burst b) for one of daemons processes: n /
 * daemons in every window, so daemons degraded together never exceed n;
 * below one per window, n per daemons windows.
 */
void
rate_share_params(const struct rate *r, struct rate_gcra *g, int64_t window_us, long long n,
    long long b, int daemons)
{
	if (n >= daemons)
		rate_gcra_params(g, window_us, n / daemons, b / daemons, r->guard_us);
	else
		rate_gcra_params(g, window_us * daemons, n < 1 ? 1 : n, 0, r->guard_us);
}

/* The mps gate of an instance at throttle level lvl, for one of daemons. */
void
rate_mps_params(const struct rate *r, struct rate_gcra *g, const struct rate_limits *l, int lvl,
    int daemons)
{
	long long n = l->mps, b = l->burst;

	if (lvl > 0) {
		n >>= lvl;
		b >>= lvl;
	}
	rate_share_params(r, g, RATE_US_PER_S, n < 1 ? 1 : n, b, daemons);
}

void
rate_enter_degraded(struct rate *r, int64_t now_ms, const char *why)
{
	if (r->degraded)
		return;
	r->degraded = true;
	r->probe_wait_ms = RATE_PROBE_MIN_MS;
	r->next_probe_ms = now_ms + r->probe_wait_ms;
	log_warnx("rate gates: degraded (%s): in-process limits, 1/%d of each limit per daemon",
	    why, r->daemons);
}

/* ---- the interface ------------------------------------------------------ */

struct rate *
rate_open(struct mc *mc, const struct config *c, int daemons)
{
	struct rate *r;

	r = xcalloc(1, sizeof(*r));
	r->mc = mc;
	r->c = c;
	r->daemons = daemons < 1 ? 1 : daemons;
	r->guard_us = (c != NULL ? c->rate_guard_ms : RATE_GUARD_DEFAULT_MS) * 1000LL;
	r->tabsz = 64;
	r->tab = xcalloc(r->tabsz, sizeof(*r->tab));
	if (mc == NULL) {
		r->degraded = true;
		log_warnx("rate gates: no memcached: in-process limits only");
		return r;
	}
	r->h = mc_handle(mc);
	memcached_result_create(r->h, &r->result);
	if (!rate_mc_alive(r))
		rate_enter_degraded(r, clock_wall_ms(), "memcached unreachable at start");
	return r;
}

void
rate_close(struct rate *r)
{
	struct rate_inst *in, *next;
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->tabsz; i++)
		for (in = r->tab[i]; in != NULL; in = next) {
			next = in->next;
			free(in);
		}
	free(r->tab);
	if (r->h != NULL)
		memcached_result_free(&r->result);
	free(r);
}

void
rate_set_daemons(struct rate *r, int daemons)
{
	if (daemons < 1)
		daemons = 1;
	if (daemons != r->daemons)
		log_info("rate gates: %d daemon(s) share the limits (degraded share 1/%d)",
		    daemons, daemons);
	r->daemons = daemons;
}

void
rate_tick(struct rate *r, int64_t now_ms)
{
	rate_maybe_probe(r, now_ms);
}

bool
rate_degraded(struct rate *r)
{
	return r->degraded;
}

uint64_t
rate_mc_ops(struct rate *r)
{
	return r->ops;
}

/* Fills the parts of p that do not depend on the text; false if quiet (out set). */
static bool
plan_init(struct plan *p, struct rate *r, const struct rate_limits *l, const char *recipient,
    int64_t now_ms, int typing_ms, struct rate_decision *out)
{
	static char warned[64];
	int64_t start = 0, local_s;
	int left = 0, minute;
	bool quiet_on, warm_on;

	memset(p, 0, sizeof(*p));
	p->inst = rate_inst_get(r, l->instance_id);
	p->l = l;
	p->recipient = recipient;
	p->now_us = now_ms * 1000;
	p->typing_ms = typing_ms;
	p->t_us = p->now_us + (int64_t)typing_ms * 1000;
	p->hour = p->t_us / RATE_HOUR_US;
	p->mps = l->mps > 0;
	p->daily = l->daily_limit > 0;
	p->pair = l->pair_per_minute > 0 && recipient != NULL && recipient[0] != '\0';
	p->gap = l->spacing_max_ms > 0;
	quiet_on = l->quiet_start_minute >= 0 && l->quiet_end_minute >= 0 &&
	    l->quiet_start_minute != l->quiet_end_minute;
	warm_on = l->warmup_started_on != NULL && rate_parse_date(l->warmup_started_on, &start);
	if ((quiet_on || warm_on) && !rate_tz_offset(l->timezone, now_ms / 1000, &p->tz_offset) &&
	    strncmp(warned, l->timezone, sizeof(warned) - 1) != 0) {
		log_warnx("rate gates: unknown time zone \"%.40s\": using UTC", l->timezone);
		snprintf(warned, sizeof(warned), "%s", l->timezone);
	}
	local_s = now_ms / 1000 + p->tz_offset;
	if (quiet_on) {
		minute = (int)((local_s % 86400 + 86400) % 86400 / 60);
		if (out != NULL && rate_quiet_active(l->quiet_start_minute, l->quiet_end_minute,
		    minute, &left)) {
			rate_gate_close(out, RATE_CLOSED_QUIET,
			    ((int64_t)left * 60 - (local_s % 60 + 60) % 60) * RATE_US_PER_S);
			return false;
		}
	}
	if (warm_on) {
		p->warm_day = local_s >= 0 ? local_s / 86400 : (local_s - 86399) / 86400;
		p->warm_allow = rate_warmup_allowance(p->warm_day - start + 1);
		/* Over, or looser than the daily budget: the gate costs nothing. */
		p->warm = p->warm_allow >= 0 &&
		    !(p->daily && p->warm_allow >= l->daily_limit);
	}
	return true;
}

enum rate_verdict
rate_acquire(struct rate *r, const struct rate_limits *l, const char *recipient,
    const char *text, int64_t now_ms, struct rate_decision *out)
{
	struct plan p;
	int64_t thr_until;

	memset(out, 0, sizeof(*out));
	out->verdict = RATE_OPEN;
	if (!plan_init(&p, r, l, recipient, now_ms, l->typing ? rate_typing_ms(text) : 0, out))
		return out->verdict;
	p.same = p.gap && text != NULL && text[0] != '\0';
	if (p.same)
		p.text_hash = rate_hash(text, strlen(text), 0);
	if (!(p.mps || p.daily || p.pair || p.gap || p.warm)) {
		/* Every gate off: no memcached at all, only what this daemon knows. */
		if (p.inst->pause_until > p.now_us)
			rate_gate_close(out, RATE_CLOSED_PAUSED, p.inst->pause_until - p.now_us);
		if (rate_throttle_level(p.inst->thr_level, p.inst->thr_at_ms, now_ms) > 0) {
			thr_until = p.inst->thr_at_ms + (1000LL << (p.inst->thr_level - 1));
			if (thr_until > now_ms)
				rate_gate_close(out, RATE_CLOSED_THROTTLED, (thr_until - now_ms) * 1000);
		}
		if (out->verdict == RATE_OPEN)
			out->typing_ms = p.typing_ms;
		return out->verdict;
	}
	rate_maybe_probe(r, now_ms);
	if (r->degraded || rate_acquire_shared(r, &p, out) < 0) {
		memset(out, 0, sizeof(*out));
		out->verdict = RATE_OPEN;
		rate_acquire_local(r, &p, out);
	}
	return out->verdict;
}

void
rate_feedback(struct rate *r, const struct rate_limits *l, enum rate_signal sig, int64_t now_ms)
{
	struct rate_inst *in;
	int64_t dur_ms, until_us, now_us = now_ms * 1000;

	switch (sig) {
	case RATE_SIGNAL_OK:
		return;		/* recovery is by time: no memcached round trip per success */
	case RATE_SIGNAL_PAIR:
		log_debug("rate gates: instance %lld: pair rate signal without a recipient "
		    "(use rate_feedback_pair)", l->instance_id);
		return;
	case RATE_SIGNAL_429:
		in = rate_inst_get(r, l->instance_id);
		rate_maybe_probe(r, now_ms);
		if (r->degraded || rate_mc_throttle(r, in, now_ms) < 0) {
			rate_enter_degraded(r, now_ms, "memcached unreachable");
			if (now_ms - in->thr_at_ms >= RATE_THROTTLE_HOLD_MS) {
				in->thr_level = rate_throttle_level(in->thr_level, in->thr_at_ms, now_ms);
				if (in->thr_level < RATE_THROTTLE_MAX)
					in->thr_level++;
				in->thr_at_ms = now_ms;
			}
		}
		log_info("rate gates: instance %lld: slow down (429): rate 1/%d for %llds",
		    l->instance_id, 1 << in->thr_level,
		    (long long)(in->thr_level * RATE_THROTTLE_COOL_MS / 1000));
		return;
	case RATE_SIGNAL_SPAM:
	case RATE_SIGNAL_WARNING:
		in = rate_inst_get(r, l->instance_id);
		dur_ms = sig == RATE_SIGNAL_SPAM ? RATE_PAUSE_SPAM_MS : RATE_PAUSE_WARNING_MS;
		until_us = now_us + dur_ms * 1000;
		rate_maybe_probe(r, now_ms);
		if (r->degraded || rate_mc_pause(r, in, until_us, now_us) < 0) {
			rate_enter_degraded(r, now_ms, "memcached unreachable");
			if (in->pause_until < until_us)
				in->pause_until = until_us;
		}
		log_warnx("rate gates: instance %lld paused for %lld min (%s)", l->instance_id,
		    (long long)(dur_ms / 60000),
		    sig == RATE_SIGNAL_SPAM ? "spam rate limit, check the number" :
		    "warning sign from the gateway");
		return;
	}
}

void
rate_feedback_pair(struct rate *r, const struct rate_limits *l, const char *recipient,
    int64_t now_ms)
{
	struct rate_inst *in;
	struct rate_gcra gp;
	int64_t target;
	size_t pi;

	if (l->pair_per_minute <= 0 || recipient == NULL || recipient[0] == '\0')
		return;
	in = rate_inst_get(r, l->instance_id);
	rate_maybe_probe(r, now_ms);
	if (!r->degraded && rate_mc_pair_penalty(r, in, l, recipient, now_ms) == 0)
		return;
	/* Degraded: no x to grow, a flat minute for that pair on this daemon. */
	rate_enter_degraded(r, now_ms, "memcached unreachable");
	pi = (size_t)rate_hash(recipient, strlen(recipient), (uint64_t)in->id) & (RATE_LOCAL_PAIRS - 1);
	rate_share_params(r, &gp, 60 * RATE_US_PER_S, l->pair_per_minute, 0, r->daemons);
	target = now_ms * 1000 + RATE_PAIR_DEGRADED_MS * 1000 + gp.tau_us;
	if (r->pair_tat[pi] < target)
		r->pair_tat[pi] = target;
}

static void
json_add_ms_or_null(struct json_object *out, const char *key, int64_t ms, bool present)
{
	json_object_object_add(out, key, present ? json_object_new_int64(ms) : NULL);
}

void
rate_describe(struct rate *r, const struct rate_limits *l, int64_t now_ms, struct json_object *out)
{
	struct rate_decision quiet;
	struct rate_gcra gm;
	struct plan p;
	struct rate_inst *in;
	uint64_t seen, local;
	int64_t next = 0, w, thr_until;
	int lvl;
	bool shared = false;

	memset(&quiet, 0, sizeof(quiet));
	if (!plan_init(&p, r, l, NULL, now_ms, 0, &quiet))
		next = quiet.retry_after_ms;
	in = p.inst;
	rate_maybe_probe(r, now_ms);
	if (!r->degraded && (p.mps || p.daily || p.gap)) {
		p.pair = p.warm = p.same = false;
		rate_snap_plan(r, &r->snap, &p);
		/*
		 * Twice: the first call after a memcached restart fails on the
		 * stale connection and libmemcached reconnects for the next.  A
		 * view (wapool.fcgi, wapoolctl) must not call that an outage.
		 */
		if (rate_snap_fetch_all(r, &r->snap) < 0 && rate_snap_fetch_all(r, &r->snap) < 0)
			rate_enter_degraded(r, now_ms, "memcached unreachable");
		else {
			rate_absorb(in, &r->snap, &p);
			shared = true;
		}
	}
	lvl = rate_throttle_level(in->thr_level, in->thr_at_ms, now_ms);
	if (in->pause_until > p.now_us && (in->pause_until - p.now_us) / 1000 > next)
		next = (in->pause_until - p.now_us) / 1000;
	if (p.gap && in->gap_until > p.now_us && (in->gap_until - p.now_us) / 1000 > next)
		next = (in->gap_until - p.now_us) / 1000;
	if (p.mps) {
		rate_mps_params(r, &gm, l, lvl, r->degraded ? r->daemons : 1);
		w = in->mps_tat - gm.tau_us - p.now_us;
		if (w / 1000 > next)
			next = w / 1000;
	} else if (lvl > 0) {
		thr_until = in->thr_at_ms + (1000LL << (in->thr_level - 1));
		if (thr_until - now_ms > next)
			next = thr_until - now_ms;
	}
	if (p.mps && shared)
		json_object_object_add(out, "current_rate", json_object_new_int(in->cur_sec_count));
	else
		json_object_object_add(out, "current_rate", NULL);
	if (p.daily) {
		rate_day_sums(in, p.hour, &seen, &local);
		json_object_object_add(out, "daily_remaining", json_object_new_int64(
		    seen + local >= (uint64_t)l->daily_limit ? 0 :
		    (int64_t)((uint64_t)l->daily_limit - seen - local)));
	} else
		json_object_object_add(out, "daily_remaining", NULL);
	json_object_object_add(out, "next_slot_in_ms", json_object_new_int64(next));
	json_add_ms_or_null(out, "throttled_until",
	    in->thr_at_ms + in->thr_level * RATE_THROTTLE_COOL_MS, lvl > 0);
	json_object_object_add(out, "throttle_level", json_object_new_int(lvl));
	json_add_ms_or_null(out, "paused_until", in->pause_until / 1000,
	    in->pause_until > p.now_us);
	json_object_object_add(out, "degraded", json_object_new_boolean(r->degraded));
}

