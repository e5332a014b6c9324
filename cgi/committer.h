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
void	committer_stop(struct committer *cm);

#endif
