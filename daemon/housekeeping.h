/* housekeeping.h: wapoold's slow chores, run from the loop's timers. */
#ifndef WAPOOL_HOUSEKEEPING_H
#define WAPOOL_HOUSEKEEPING_H

#include <stdint.h>

struct dispatcher;

/*
 * Called on every timer tick (now: clock_mono_ms()).  housekeeping_delay
 * seconds after start, then every minute: the 90 % capacity check
 * (fleet_capacity_alerts: an alert and one log line per server that
 * reaches it, whichever process sees it first).  At the same first moment,
 * then hourly: the orphan report, when this daemon wins the claim of the
 * "orphan_report" chore, which it can only once per orphan_report_interval
 * (a day) across all daemons.  Nothing while stopping or while the
 * database is away.
 */
void	housekeeping_run(struct dispatcher *d, int64_t now);

#endif
