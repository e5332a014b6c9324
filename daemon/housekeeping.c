/* housekeeping.c: wapoold's slow chores: the 90 % capacity warning and the daily orphan report. */
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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
#define ORPHAN_JOB		"orphan_report"

/* One dispatcher per process: the chores' clocks live here, not in its struct. */
static struct {
	bool	 started;
	int64_t	 next_capacity_ms;
	int64_t	 next_orphans_ms;
	pid_t	 child;		/* the running report, or 0 */
} hk;

/*
 * The report itself, in a child process: listing the servers means one
 * blocking fetchInstances per server (up to the configured timeouts), which
 * must not stall the sends of the event loop.  The child opens its own
 * database connection and leaves with _exit(): it must never close or use
 * the parent's connections, whose sockets it shares.
 */
static void
orphan_report_child(const struct config *c, const char *owner)
{
	struct buf err = BUF_INIT;
	struct db *db = NULL;
	char summary[128];
	int64_t started = clock_mono_ms();
	size_t found = 0;
	int status = 1;

	if (db_open(&db, c, &err) != DB_OK) {
		log_warnx("orphan report: cannot connect to the database: %s", buf_cstr(&err));
		goto out;
	}
	if (orphans_log(db, c, &found) != DB_OK) {
		log_warnx("orphan report failed: %s", db_error(db));
		(void)job_record(db, ORPHAN_JOB, "failed: database error");
		goto out;
	}
	snprintf(summary, sizeof(summary), "%zu orphan instance(s)", found);
	(void)job_record(db, ORPHAN_JOB, summary);
	if (found > 0)
		log_warnx("orphan report: %s, see /admin/instances/orphans or "
		    "`wapoolctl instances orphans` (took %lld ms; next in %lld s; by %s)", summary,
		    (long long)(clock_mono_ms() - started), c->orphan_report_interval, owner);
	else
		log_info("orphan report: none (took %lld ms; next in %lld s; by %s)",
		    (long long)(clock_mono_ms() - started), c->orphan_report_interval, owner);
	status = 0;
out:
	if (db != NULL)
		db_close(db);
	buf_free(&err);
	_exit(status);
}

/* The orphan report, when this daemon wins the claim: the slow part runs in a child. */
static void
orphan_report(struct dispatcher *d)
{
	bool claimed = false;
	pid_t pid;
	int rc;

	if (hk.child > 0)
		return;		/* the last one is still running */
	if ((rc = job_claim(d->db, ORPHAN_JOB, d->config->orphan_report_interval, d->owner,
	    &claimed)) != DB_OK) {
		log_warnx("orphan report: cannot claim it: %s", rc == DB_NOT_FOUND ?
		    "no housekeeping row (run wapoolctl migrate)" : db_error(d->db));
		return;
	}
	if (!claimed)
		return;		/* another daemon made it within the interval */
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_warn("orphan report: fork");
		return;
	}
	if (pid == 0)
		orphan_report_child(d->config, d->owner);
	hk.child = pid;
}

/* Collect a finished report child, so none is left a zombie. */
static void
orphan_report_reap(void)
{
	int status;

	if (hk.child > 0 && waitpid(hk.child, &status, WNOHANG) == hk.child) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("orphan report: the report process failed (status %d)", status);
		hk.child = 0;
	}
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
	orphan_report_reap();
	if (now >= hk.next_orphans_ms) {
		orphan_report(d);
		poll_ms = d->config->orphan_report_interval * 1000;
		if (poll_ms > ORPHAN_POLL_MS)
			poll_ms = ORPHAN_POLL_MS;
		hk.next_orphans_ms = now + poll_ms;
	}
}
