/* committer.h: one thread per process that commits the workers' accepted events in batches. */
#ifndef WAPOOL_COMMITTER_H
#define WAPOOL_COMMITTER_H

#include "config.h"
#include "intake.h"

struct committer;
struct wake_sender;

/* Start the thread with its own database connection; NULL on failure. */
struct committer *committer_start(const struct config *c, struct wake_sender *wake);
/*
 * Hand ev to the committer and wait until the batch holding it is
 * committed (or failed).  Returns intake_store's code for that batch; ev's
 * result fields are filled in.  Safe from any number of threads.
 */
int	committer_submit(struct committer *cm, struct intake_event *ev);
/*
 * Called on the committer thread once the batch holding ev is committed
 * (rc DB_OK) or failed, with ev's result fields filled in.
 */
typedef void (*committer_done_fn)(struct intake_event *ev, int rc, void *arg);
/* Queue ev and return at once; done(ev, rc, arg) follows.  ev must live until then. */
void	committer_submit_async(struct committer *cm, struct intake_event *ev,
	    committer_done_fn done, void *arg);
void	committer_stop(struct committer *cm);

#endif
