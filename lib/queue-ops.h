/* queue-ops.h: what operators do to the queue and the fleet: stats, DLQ retry, clear, suspend, breakers. */
#ifndef WAPOOL_QUEUE_OPS_H
#define WAPOOL_QUEUE_OPS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "buf.h"
#include "db.h"

/* Which messages an action covers. */
enum queue_kind {
	QUEUE_WEBHOOKS,		/* campaign_id IS NULL: webhooks and the send API */
	QUEUE_CAMPAIGNS,	/* campaign_id IS NOT NULL */
	QUEUE_ALL,		/* both (wapoolctl without --queue) */
	QUEUE_KIND__MAX
};

/* "webhooks" or "campaigns" (not "all": callers that allow it say so); false if neither. */
bool	queue_kind_parse(const char *s, enum queue_kind *out);
const char *queue_kind_str(enum queue_kind q);

/*
 * All-time counts by state (pending ... cancelled), oldest_pending_seconds
 * (null when nothing is pending) and per_instance: every instance with
 * the messages it sent, by their state now.  instance_id > 0 narrows both
 * to one instance: the top-level counts are then the messages it sent
 * plus those waiting that name it (pending/sending), and DB_NOT_FOUND
 * comes back when it does not exist.  Every query is served from an
 * index (see schema/005).  On DB_OK *out is new; release it with
 * json_object_put.
 */
int	queue_ops_stats(struct db *db, long long instance_id, struct json_object **out);

/*
 * retry_dlq: dead -> pending with attempts 0, not_before now (last_error
 * kept).  clear: pending -> cancelled with finished_at.  message_id > 0
 * acts on that message only (queue may then be QUEUE_ALL); otherwise on
 * every such message of queue, in chunks so no statement holds many locks
 * for long.  *affected counts the rows changed.  For one message that did
 * not change: DB_NOT_FOUND (no such message) or DB_CONFLICT (it is in
 * another state or queue), with the reason in why.
 */
int	queue_ops_retry_dlq(struct db *db, enum queue_kind q, long long message_id,
	    long long *affected, struct buf *why);
int	queue_ops_clear(struct db *db, enum queue_kind q, long long message_id,
	    long long *affected, struct buf *why);

/* Operator controls on an instance (all five) or a pool (the first three). */
enum control {
	CONTROL_SUSPEND,	/* admin_state suspended: accept and queue, send nothing through it */
	CONTROL_RESUME,		/* admin_state active */
	CONTROL_DRAIN,		/* admin_state draining: finish in-flight, take nothing new */
	CONTROL_TRIP,		/* breaker open until reset by hand (breaker_until NULL) */
	CONTROL_RESET,		/* breaker closed, trips 0 */
	CONTROL__MAX
};

bool	control_parse(const char *s, enum control *out);
const char *control_str(enum control c);

/* The row after a control, for the answer. */
struct control_result {
	long long	 id;
	char		 name[101];
	char		 admin_state[16];
	char		 breaker_state[16];	/* instances only */
	long long	 breaker_trips;
	bool		 changed;		/* false: it was already so */
};

/*
 * Apply c to the instance (not deleted) with id, or, when id is 0, the one
 * called name.  DB_OK fills *out; DB_NOT_FOUND when there is no such row.
 */
int	queue_ops_instance_control(struct db *db, long long id, const char *name, enum control c,
	    struct control_result *out);
/* Same for a pool; c must be suspend, resume or drain (else DB_ERROR). */
int	queue_ops_pool_control(struct db *db, long long id, const char *name, enum control c,
	    struct control_result *out);

#endif
