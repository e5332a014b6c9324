/* jobs.h: periodic chores claimed in the database, so one daemon of many runs each. */
#ifndef WAPOOL_JOBS_H
#define WAPOOL_JOBS_H

#include <stdbool.h>

#include "db.h"

/*
 * Claim the chore job (a row of the housekeeping table) for owner when
 * its last run is at least interval_seconds ago (or it never ran): one
 * guarded UPDATE, so of several daemons asking at once exactly one gets
 * *claimed = true.  DB_NOT_FOUND when the chore has no row.
 */
int	job_claim(struct db *db, const char *job, long long interval_seconds, const char *owner,
	    bool *claimed);
/* Remember what the last run found (shown to people; at most 1000 characters kept). */
int	job_record(struct db *db, const char *job, const char *result);

#endif
