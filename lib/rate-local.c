/*
 * rate-local.c: what this daemon knows of each instance, and the gates it
 * runs in-process (1/daemons of each limit) while memcached is down or
 * has lost its counters.
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

/* ---- per-instance state ------------------------------------------------ */

static size_t
inst_bucket(long long id, size_t tabsz)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & (tabsz - 1);
}

struct rate_inst *
rate_inst_get(struct rate *r, long long id)
{
	struct rate_inst *in, **tab, *next;
	size_t i, b;

	for (in = r->tab[inst_bucket(id, r->tabsz)]; in != NULL; in = in->next)
		if (in->id == id)
			return in;
	if (r->count >= r->tabsz) {
		tab = xcalloc(r->tabsz * 2, sizeof(*tab));
		for (i = 0; i < r->tabsz; i++)
			for (in = r->tab[i]; in != NULL; in = next) {
				next = in->next;
				b = inst_bucket(in->id, r->tabsz * 2);
				in->next = tab[b];
				tab[b] = in;
			}
		free(r->tab);
		r->tab = tab;
		r->tabsz *= 2;
	}
	in = xcalloc(1, sizeof(*in));
	in->id = id;
	for (i = 0; i < RATE_DAY_BUCKETS; i++)
		in->day[i].hour = -1;
	b = inst_bucket(id, r->tabsz);
	in->next = r->tab[b];
	r->tab[b] = in;
	r->count++;
	return in;
}

/* The slot of hour, emptied if it held an older hour. */
struct day_slot *
rate_day_slot(struct rate_inst *in, int64_t hour)
{
	struct day_slot *s = &in->day[hour % RATE_DAY_BUCKETS];

	if (s->hour != hour) {
		s->hour = hour;
		s->seen = s->local = 0;
	}
	return s;
}

/* Seen and local sends in the 25 buckets ending at hour. */
void
rate_day_sums(const struct rate_inst *in, int64_t hour, uint64_t *seen, uint64_t *local)
{
	const struct day_slot *s;
	int64_t h;

	*seen = *local = 0;
	for (h = hour - RATE_DAY_BUCKETS + 1; h <= hour; h++) {
		s = &in->day[h % RATE_DAY_BUCKETS];
		if (s->hour == h) {
			*seen += s->seen;
			*local += s->local;
		}
	}
}

int64_t
rate_wait_midnight(const struct plan *p)
{
	int64_t local_us = p->now_us + (int64_t)p->tz_offset * RATE_US_PER_S;
	int64_t day_us = 86400LL * RATE_US_PER_S;

	return day_us - ((local_us % day_us) + day_us) % day_us;
}

int64_t
rate_wait_same(const struct plan *p, int cur)
{
	int64_t to_next = (p->hour + 1) * RATE_HOUR_US - p->t_us;

	/* The previous hour drops at the next boundary; a full current one an hour later. */
	return cur >= RATE_IDENTICAL_PER_HOUR ? to_next + RATE_HOUR_US : to_next;
}

/* ---- degraded mode: in-process limits, 1/daemons of each ---------------- */

void
rate_acquire_local(struct rate *r, struct plan *p, struct rate_decision *out)
{
	struct rate_inst *in = p->inst;
	const struct rate_limits *l = p->l;
	struct rate_gcra gm, gp;
	struct same_slot *ss = NULL;
	int64_t now_ms = p->now_us / 1000, wait, tat_m = 0, tat_p = 0, thr_until;
	uint64_t seen, local, share, d = (uint64_t)r->daemons;
	size_t pi = 0;
	int lvl, same_n = 0, same_cap;

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
		/* What was left of the budget when last seen, shared by the daemons. */
		rate_day_sums(in, p->hour, &seen, &local);
		share = seen >= (uint64_t)l->daily_limit ? 0 : ((uint64_t)l->daily_limit - seen) / d;
		if (local >= share)
			rate_gate_close(out, RATE_CLOSED_DAILY, (p->hour + 1) * RATE_HOUR_US - p->t_us);
	}
	if (p->warm) {
		if (in->warm_day != p->warm_day) {
			in->warm_day = p->warm_day;
			in->warm_seen = in->warm_local = 0;
		}
		share = in->warm_seen >= (uint64_t)p->warm_allow ? 0 :
		    ((uint64_t)p->warm_allow - in->warm_seen) / d;
		if (in->warm_local >= share)
			rate_gate_close(out, RATE_CLOSED_WARMUP, rate_wait_midnight(p));
	}
	if (p->same) {
		ss = &r->same[(p->text_hash ^ (uint64_t)in->id * 0x9E3779B97F4A7C15ULL) &
		    (RATE_LOCAL_SAME - 1)];
		same_n = ss->hour >= p->hour ? ss->cur + ss->prev :
		    ss->hour == p->hour - 1 ? ss->cur : 0;
		same_cap = RATE_IDENTICAL_PER_HOUR / r->daemons;
		if (same_cap < 1)
			same_cap = 1;
		if (same_n >= same_cap)
			rate_gate_close(out, RATE_CLOSED_IDENTICAL, rate_wait_same(p, ss->cur));
	}
	if (p->mps) {
		rate_mps_params(r, &gm, l, lvl, r->daemons);
		if (!rate_gcra_check(&gm, in->mps_tat, p->t_us, &tat_m, &wait))
			rate_gate_close(out, lvl > 0 ? RATE_CLOSED_THROTTLED : RATE_CLOSED_MPS, wait);
	}
	if (p->pair) {
		pi = (size_t)rate_hash(p->recipient, strlen(p->recipient), (uint64_t)in->id) &
		    (RATE_LOCAL_PAIRS - 1);
		rate_share_params(r, &gp, 60 * RATE_US_PER_S, l->pair_per_minute, 0, r->daemons);
		if (!rate_gcra_check(&gp, r->pair_tat[pi], p->t_us, &tat_p, &wait))
			rate_gate_close(out, RATE_CLOSED_PAIR, wait);
	}
	if (out->verdict != RATE_OPEN)
		return;

	if (p->mps)
		in->mps_tat = tat_m;
	if (p->pair)
		r->pair_tat[pi] = tat_p;
	if (p->daily)
		rate_day_slot(in, p->hour)->local++;
	if (p->warm)
		in->warm_local++;
	if (p->same) {
		if (ss->hour >= p->hour)
			ss->cur++;
		else {
			ss->prev = ss->hour == p->hour - 1 ? ss->cur : 0;
			ss->cur = 1;
			ss->hour = p->hour;
		}
	}
	if (p->gap)
		/* Each daemon alone: stretch its gaps so the instance's average stays put. */
		in->gap_until = p->t_us + (int64_t)rate_gap_draw_ms(l->spacing_min_ms,
		    l->spacing_max_ms) * 1000 * r->daemons;
	out->typing_ms = p->typing_ms;
}
