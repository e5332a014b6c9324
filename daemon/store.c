/*
 * store.c: a database worker thread of wapoold (see store.h).
 *
 * Why a thread and not MariaDB's non-blocking API: the claim and the
 * outcome batch are transactions of five or six prepared statements each;
 * written as a state machine around mysql_stmt_execute_start/_cont they
 * would duplicate lib/db.c and lib/queue.c.  A thread runs those same
 * functions unchanged on its own connection, and the loop stays the only
 * owner of the dispatcher's state.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "store.h"
#include "util.h"

enum store_state { STORE_IDLE, STORE_SUBMITTED, STORE_DONE };

struct store {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 changed;
	enum store_state	 state;
	bool			 quit;
	int64_t			 busy_ms;	/* time spent in jobs, for the daemon's figures */
	struct store_job	 job;
	/* read by the worker only */
	const struct config	*config;
	struct db		*db;
	char			*owner;
	int			 lease_seconds;
	int			 notify_fd;
};

static void
store_run_job(struct store *s, struct store_job *job)
{
	switch (job->kind) {
	case STORE_CLAIM:
		job->rc = queue_claim(s->db, s->owner, s->lease_seconds, job->max,
		    &job->claimed, &job->nclaimed, &job->nexpired);
		break;
	case STORE_RECORD:
		job->rc = queue_record(s->db, s->owner, job->outcomes, job->noutcomes);
		break;
	}
	if (job->rc != DB_OK) {
		job->busy = db_busy(s->db);
		snprintf(job->error, sizeof(job->error), "%s", db_error(s->db));
	}
}

static void *
store_main(void *arg)
{
	struct store *s = arg;
	struct buf err = BUF_INIT;
	struct store_job job;
	ssize_t written;
	int64_t started;

	/* A failed connect is retried by the first statement (db_open's contract). */
	if (db_open(&s->db, s->config, &err) != DB_OK)
		log_warnx("store: database unreachable at start (%s); retrying", buf_cstr(&err));
	buf_free(&err);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->state != STORE_SUBMITTED && !s->quit)
			pthread_cond_wait(&s->changed, &s->lock);
		if (s->state != STORE_SUBMITTED)
			break;
		job = s->job;
		pthread_mutex_unlock(&s->lock);

		started = clock_mono_ms();
		store_run_job(s, &job);

		pthread_mutex_lock(&s->lock);
		s->busy_ms += clock_mono_ms() - started;
		s->job = job;
		s->state = STORE_DONE;
		pthread_cond_broadcast(&s->changed);
		/* A full pipe already holds a wake-up: the loop will look. */
		do
			written = write(s->notify_fd, "", 1);
		while (written < 0 && errno == EINTR);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct store *
store_start(const struct config *c, const char *owner, int lease_seconds, int notify_fd)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int error;

	s->config = c;
	s->owner = xstrdup(owner);
	s->lease_seconds = lease_seconds;
	s->notify_fd = notify_fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	if ((error = pthread_create(&s->thread, NULL, store_main, s)) != 0) {
		log_error("store: cannot start a database thread: %s", strerror(error));
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->lock);
		free(s->owner);
		free(s);
		return NULL;
	}
	return s;
}

int64_t
store_busy_ms(const struct store *s)
{
	struct store *m = (struct store *)s;
	int64_t ms;

	pthread_mutex_lock(&m->lock);
	ms = m->busy_ms;
	pthread_mutex_unlock(&m->lock);
	return ms;
}

bool
store_busy(const struct store *s)
{
	struct store *m = (struct store *)s;	/* the lock is not part of the value */
	bool busy;

	pthread_mutex_lock(&m->lock);
	busy = m->state != STORE_IDLE;
	pthread_mutex_unlock(&m->lock);
	return busy;
}

void
store_submit(struct store *s, struct store_job *job)
{
	pthread_mutex_lock(&s->lock);
	if (s->state != STORE_IDLE) {
		pthread_mutex_unlock(&s->lock);
		log_error("store: a job was submitted while another runs (a bug)");
		abort();
	}
	s->job = *job;
	s->job.rc = DB_OK;
	s->job.busy = false;
	s->job.error[0] = '\0';
	s->state = STORE_SUBMITTED;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	memset(job, 0, sizeof(*job));
}

static bool
store_take_locked(struct store *s, struct store_job *job)
{
	if (s->state != STORE_DONE)
		return false;
	*job = s->job;
	memset(&s->job, 0, sizeof(s->job));
	s->state = STORE_IDLE;
	return true;
}

bool
store_take(struct store *s, struct store_job *job)
{
	bool taken;

	pthread_mutex_lock(&s->lock);
	taken = store_take_locked(s, job);
	pthread_mutex_unlock(&s->lock);
	return taken;
}

bool
store_wait(struct store *s, struct store_job *job)
{
	bool taken;

	pthread_mutex_lock(&s->lock);
	while (s->state == STORE_SUBMITTED)
		pthread_cond_wait(&s->changed, &s->lock);
	taken = store_take_locked(s, job);
	pthread_mutex_unlock(&s->lock);
	return taken;
}

static void
store_job_free(struct store_job *job)
{
	size_t i;

	for (i = 0; i < job->nclaimed; i++)
		queued_message_free(&job->claimed[i]);
	free(job->claimed);
	for (i = 0; i < job->noutcomes; i++)
		outcome_free(&job->outcomes[i]);
	free(job->outcomes);
	memset(job, 0, sizeof(*job));
}

void
store_stop(struct store *s)
{
	struct store_job job;

	if (s == NULL)
		return;
	if (store_wait(s, &job))
		store_job_free(&job);
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	db_close(s->db);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s->owner);
	free(s);
}
