/* housekeeping.c: wapoold's slow chores: the 90 % capacity warning and the daily orphan report. */
#include <stdio.h>

#include "dispatch.h"
#include "fleet.h"
#include "housekeeping.h"
#include "jobs.h"
#include "log.h"
#include "orphans.h"
#include "util.h"

#define CAPACITY_INTERVAL_MS	60000
/* How often a daemon asks whether the orphan report is due; the claim decides. */
#define ORPHAN_POLL_MS		3600000
/* A report waits this long at most for the sends in flight to finish. */
#define ORPHAN_WAIT_MS		300000
#define ORPHAN_JOB		"orphan_report"

/* One dispatcher per process: the chores' clocks live here, not in its struct. */
static struct {
	bool	 started;
	int64_t	 next_capacity_ms;
	int64_t	 next_orphans_ms;
	int64_t	 orphans_due_since_ms;
} hk;

/*
 * The orphan report, when this daemon wins the claim.  Listing the
 * servers blocks the loop (one fetchInstances per server, within the
 * configured timeouts), so it waits for a moment with no send in flight,
 * for ORPHAN_WAIT_MS at most.  Returns false to be called again soon.
 */
static bool
orphan_report(struct dispatcher *d, int64_t now)
{
	char summary[128];
	int64_t started;
	size_t found = 0;
	bool claimed = false;
	int rc;

	if (hk.orphans_due_since_ms == 0)
		hk.orphans_due_since_ms = now;
	if (d->sends_in_flight > 0 && now - hk.orphans_due_since_ms < ORPHAN_WAIT_MS)
		return false;
	hk.orphans_due_since_ms = 0;
	if ((rc = job_claim(d->db, ORPHAN_JOB, d->config->orphan_report_interval, d->owner,
	    &claimed)) != DB_OK) {
		log_warnx("orphan report: cannot claim it: %s", rc == DB_NOT_FOUND ?
		    "no housekeeping row (run wapoolctl migrate)" : db_error(d->db));
		return true;
	}
	if (!claimed)
		return true;	/* another daemon made it within the interval */
	started = clock_mono_ms();
	if ((rc = orphans_log(d->db, d->config, &found)) != DB_OK) {
		log_warnx("orphan report failed: %s", db_error(d->db));
		(void)job_record(d->db, ORPHAN_JOB, "failed: database error");
		return true;
	}
	snprintf(summary, sizeof(summary), "%zu orphan instance(s)", found);
	(void)job_record(d->db, ORPHAN_JOB, summary);
	if (found > 0)
		log_warnx("orphan report: %s, see /admin/instances/orphans or "
		    "`wapoolctl instances orphans` (took %lld ms; next in %lld s)", summary,
		    (long long)(clock_mono_ms() - started), d->config->orphan_report_interval);
	else
		log_info("orphan report: none (took %lld ms; next in %lld s)",
		    (long long)(clock_mono_ms() - started), d->config->orphan_report_interval);
	return true;
}

void
housekeeping_run(struct dispatcher *d, int64_t now)
{
	long long poll_ms;

	if (d->stopping || d->db_down)
		return;
	if (!hk.started) {
		hk.started = true;
		hk.next_capacity_ms = hk.next_orphans_ms =
		    now + d->config->housekeeping_delay * 1000;
	}
	if (now >= hk.next_capacity_ms) {
		if (fleet_capacity_alerts(d->db, NULL) != DB_OK)
			log_warnx("capacity check failed: %s", db_error(d->db));
		hk.next_capacity_ms = now + CAPACITY_INTERVAL_MS;
	}
	if (now >= hk.next_orphans_ms) {
		if (!orphan_report(d, now)) {
			hk.next_orphans_ms = now + 1000;
			return;
		}
		poll_ms = d->config->orphan_report_interval * 1000;
		if (poll_ms > ORPHAN_POLL_MS)
			poll_ms = ORPHAN_POLL_MS;
		hk.next_orphans_ms = clock_mono_ms() + poll_ms;
	}
}
