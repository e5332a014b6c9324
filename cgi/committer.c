/*
 * committer.c: group commit for webhook intake.
 *
 * Worker threads validate requests in parallel and queue their events
 * here; this thread writes whatever has queued up as one multi-row
 * transaction, then answers each accepted webhook itself (the worker
 * handed it over and went on to its next request) and wakes each worker
 * that waits (rejected events).  Nobody is answered before the commit
 * that holds their event, so durability is the same as one transaction
 * per request, with far fewer statements and fsyncs.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "committer.h"
#include "db.h"
#include "log.h"
#include "util.h"
#include "wake.h"

/*
 * One waiting worker.  It sleeps on its own semaphore, so a commit wakes
 * exactly the workers of its batch: a shared condition variable woke all
 * 32 of them per batch, most to find their batch not done, sleep again
 * and fight over the lock (most of wapool.fcgi's CPU in bench/intake.sh
 * was those context switches).
 */
struct submission {
	struct intake_event	*event;
	int			 rc;
	sem_t			 done;		/* committer_submit */
	committer_done_fn	 callback;	/* committer_submit_async (heap submission) */
	void			*arg;
	struct submission	*next;
};

struct committer {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* committer waits for submissions */
	struct submission	*head, *tail;
	bool			 stopping;
	size_t			 batch_max;
	struct db		*db;
	struct wake_sender	*wake;
};

static void *
committer_main(void *arg)
{
	struct committer *cm = arg;
	struct submission **batch = xcalloc(cm->batch_max, sizeof(*batch));
	struct intake_event *events = xcalloc(cm->batch_max, sizeof(*events));

	pthread_mutex_lock(&cm->lock);
	for (;;) {
		size_t n = 0, i, k;
		bool any_message = false;
		int rc;

		while (cm->head == NULL && !cm->stopping)
			pthread_cond_wait(&cm->work, &cm->lock);
		if (cm->head == NULL && cm->stopping)
			break;
		while (cm->head != NULL && n < cm->batch_max) {
			batch[n++] = cm->head;
			cm->head = cm->head->next;
		}
		if (cm->head == NULL)
			cm->tail = NULL;
		pthread_mutex_unlock(&cm->lock);

		for (i = 0; i < n; i++)
			events[i] = *batch[i]->event;
		rc = intake_store(cm->db, events, n);
		for (i = 0; i < n; i++) {
			*batch[i]->event = events[i];
			if (rc == DB_OK && events[i].message_id != 0 && !events[i].duplicate)
				any_message = true;
		}
		/* After the commit, before answering: the daemons start as the callers read. */
		if (any_message)
			wake_send(cm->wake);

		/*
		 * Waiting workers first.  A waiting submission lives on its
		 * worker's stack: once posted it may be gone, so it is not
		 * touched after sem_post (glibc's sem_post does not touch the
		 * semaphore after the wake either); the callbacks' are kept
		 * aside in batch[0..k) before.
		 */
		k = 0;
		for (i = 0; i < n; i++) {
			struct submission *s = batch[i];

			if (s->callback != NULL) {
				batch[k++] = s;
				continue;
			}
			s->rc = rc;
			sem_post(&s->done);
		}
		for (i = 0; i < k; i++) {
			batch[i]->callback(batch[i]->event, rc, batch[i]->arg);
			free(batch[i]);
		}
		pthread_mutex_lock(&cm->lock);
	}
	pthread_mutex_unlock(&cm->lock);
	free(batch);
	free(events);
	return NULL;
}

struct committer *
committer_start(const struct config *c, struct wake_sender *wake)
{
	struct committer *cm = xcalloc(1, sizeof(*cm));
	struct buf err = BUF_INIT;

	pthread_mutex_init(&cm->lock, NULL);
	pthread_cond_init(&cm->work, NULL);
	cm->batch_max = (size_t)c->intake_batch_max;
	cm->wake = wake;
	/*
	 * A database that is down now may be up later: db_* reconnect by
	 * themselves.  The connection only ever runs intake_store's
	 * transactions, so it stays in autocommit=0 (db_open_tx): two round
	 * trips fewer per batch.
	 */
	if (db_open_tx(&cm->db, c, &err) != DB_OK)
		log_warnx("committer: %s (will retry per batch)", buf_cstr(&err));
	buf_free(&err);
	if (pthread_create(&cm->thread, NULL, committer_main, cm) != 0) {
		db_close(cm->db);
		free(cm);
		return NULL;
	}
	return cm;
}

int
committer_submit(struct committer *cm, struct intake_event *ev)
{
	struct submission s = { .event = ev };

	if (sem_init(&s.done, 0, 0) != 0)
		return DB_ERROR;
	pthread_mutex_lock(&cm->lock);
	if (cm->tail != NULL)
		cm->tail->next = &s;
	else
		cm->head = &s;
	cm->tail = &s;
	pthread_cond_signal(&cm->work);
	pthread_mutex_unlock(&cm->lock);
	while (sem_wait(&s.done) != 0 && errno == EINTR)
		;
	sem_destroy(&s.done);
	return s.rc;
}

void
committer_submit_async(struct committer *cm, struct intake_event *ev, committer_done_fn done,
    void *arg)
{
	struct submission *s = xcalloc(1, sizeof(*s));

	s->event = ev;
	s->callback = done;
	s->arg = arg;
	pthread_mutex_lock(&cm->lock);
	if (cm->tail != NULL)
		cm->tail->next = s;
	else
		cm->head = s;
	cm->tail = s;
	pthread_cond_signal(&cm->work);
	pthread_mutex_unlock(&cm->lock);
}

void
committer_stop(struct committer *cm)
{
	if (cm == NULL)
		return;
	pthread_mutex_lock(&cm->lock);
	cm->stopping = true;
	pthread_cond_signal(&cm->work);
	pthread_mutex_unlock(&cm->lock);
	pthread_join(cm->thread, NULL);
	db_close(cm->db);
	pthread_mutex_destroy(&cm->lock);
	pthread_cond_destroy(&cm->work);
	free(cm);
}
