/* jobs.c: the housekeeping table: claim a periodic chore and record what it found. */
#include <string.h>

#include "jobs.h"

static const char sql_claim[] =
    "UPDATE housekeeping SET last_run_at = NOW(6), last_owner = ?"
    " WHERE job = ? AND (last_run_at IS NULL OR last_run_at <= NOW(6) - INTERVAL ? SECOND)";
static const char sql_exists[] = "SELECT 1 FROM housekeeping WHERE job = ?";
static const char sql_record[] =
    "UPDATE housekeeping SET last_result = LEFT(?, 1000) WHERE job = ?";

/* DB_OK when the chore has a row, DB_NOT_FOUND when not. */
static int
job_exists(struct db *db, const char *job)
{
	struct db_result r;
	int rc;

	if ((rc = db_query(db, sql_exists, (struct db_param[]){ DB_TEXT(job) }, 1, &r)) != DB_OK)
		return rc;
	rc = r.nrows > 0 ? DB_OK : DB_NOT_FOUND;
	db_result_free(&r);
	return rc;
}

int
job_claim(struct db *db, const char *job, long long interval_seconds, const char *owner,
    bool *claimed)
{
	unsigned long long affected = 0;
	int rc;

	*claimed = false;
	if ((rc = db_exec(db, sql_claim, (struct db_param[]){ DB_TEXT(owner), DB_TEXT(job),
	    DB_INT(interval_seconds) }, 3, &affected, NULL)) != DB_OK)
		return rc;
	if (affected > 0) {
		*claimed = true;
		return DB_OK;
	}
	return job_exists(db, job);
}

int
job_record(struct db *db, const char *job, const char *result)
{
	return db_exec(db, sql_record, (struct db_param[]){ DB_TEXT(result), DB_TEXT(job) }, 2,
	    NULL, NULL);
}
