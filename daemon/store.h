/*
 * store.h: a database worker of wapoold.  A thread with its own MariaDB
 * connection that runs one claim or one outcome batch at a time, so the
 * send loop keeps hundreds of sends moving while the database works
 * (doc/ARCHITECTURE.md, "wapoold's loop").
 *
 * The loop hands a job over with store_submit() and finds the result with
 * store_take() once the worker has written a byte to notify_fd.  Between
 * the two, the job's memory (claimed messages, outcomes) belongs to the
 * worker; afterwards to the loop again.  The worker never touches the
 * dispatcher: everything it needs is in the job.
 */
#ifndef WAPOOL_STORE_H
#define WAPOOL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "queue.h"

enum store_job_kind { STORE_CLAIM, STORE_RECORD };

struct store_job {
	enum store_job_kind	 kind;
	/* STORE_CLAIM: in max; out claimed (owned by the taker), nclaimed, nexpired */
	size_t			 max;
	struct queued_message	*claimed;
	size_t			 nclaimed, nexpired;
	/* STORE_RECORD: in outcomes (owned by the job), noutcomes */
	struct outcome		*outcomes;
	size_t			 noutcomes;
	/* out, both kinds */
	int			 rc;		/* DB_OK or a db_rc */
	bool			 busy;		/* db_busy(): another transaction was in the way */
	char			 error[256];	/* db_error() when rc != DB_OK */
};

struct store;

/*
 * Start a worker for owner's leases.  notify_fd is the write end of a
 * non-blocking pipe the loop polls.  NULL when the thread cannot start.
 */
struct store *store_start(const struct config *c, const char *owner, int lease_seconds,
	    int notify_fd);
/* Milliseconds spent running jobs so far. */
int64_t	 store_busy_ms(const struct store *s);
/* True when a job was submitted and its result has not been taken. */
bool	 store_busy(const struct store *s);
/* Hand job over (the worker must not be busy); *job is cleared. */
void	 store_submit(struct store *s, struct store_job *job);
/* The finished job, if there is one: true and *job filled, the worker idle again. */
bool	 store_take(struct store *s, struct store_job *job);
/* Block until the submitted job is finished, then take it; false when none was submitted. */
bool	 store_wait(struct store *s, struct store_job *job);
/* Finish the current job (its result is freed if not taken), join, close the connection. */
void	 store_stop(struct store *s);

#endif
