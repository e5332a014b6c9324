/* queue.h: the message queue as the dispatch daemon sees it: claim, outcomes, recovery. */
#ifndef WAPOOL_QUEUE_H
#define WAPOOL_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/*
 * SQL for a message row's row_reserve less BYTES (an SQL expression), the
 * room a statement's new values take (schema/010-row-reserve.sql).
 * ALIAS is the table's alias with its dot, or "".
 */
#define ROW_RESERVE_LESS(alias, bytes) \
	"LEFT(" alias "row_reserve, GREATEST(CAST(LENGTH(" alias "row_reserve) AS SIGNED) - (" \
	bytes "), 0))"

/* One claimed message, leased to this daemon. */
struct queued_message {
	long long	 id;
	long long	 tenant_id;
	long long	 pool_id;		/* 0: none */
	long long	 forced_instance_id;	/* 0: pick from the pool */
	long long	 sticky_instance_id;	/* last instance that wrote to the recipient, 0: none */
	int		 priority;
	int		 attempts;
	int		 max_attempts;
	long long	 last_backoff_ms;
	char		*recipient;
	char		*body;
	long long	 campaign_id;
};

/* What happened to one message; written back in batches. */
enum outcome_kind {
	OUTCOME_SENT,		/* the gateway accepted it */
	OUTCOME_RETRY,		/* retryable failure: attempts + 1, back to pending after delay */
	OUTCOME_DEFER,		/* not the message's fault (no instance, gates closed, gateway down): no attempt spent */
	OUTCOME_FAILED,		/* permanent failure */
	OUTCOME_DEAD,		/* attempts exhausted */
	OUTCOME_EXPIRED,	/* past expires_at */
	OUTCOME_RELEASE,	/* shutdown: back to pending at once, no attempt spent */
	OUTCOME_KIND__MAX
};

struct outcome {
	enum outcome_kind kind;
	long long	 message_id;
	long long	 tenant_id;
	long long	 instance_id;		/* the instance used (0: none) */
	long long	 failover_from;		/* sticky instance skipped (0: none) */
	char		*recipient;		/* for the sticky-recipient table (sent only) */
	char		*gateway_message_id;	/* sent only */
	char		*error;			/* retry/failed/dead/defer reason */
	long long	 delay_ms;		/* retry/defer: not_before = now + delay */
};

void	queued_message_free(struct queued_message *m);
void	outcome_free(struct outcome *o);

/*
 * Claim up to max due messages for owner: transactional lane (priority 10)
 * first, then bulk; each lane oldest not_before first, so retries are not
 * starved by new work.  Rows are locked with FOR UPDATE SKIP LOCKED and
 * marked sending with lease_until = now + lease_seconds, in one
 * transaction.  Messages past expires_at are marked expired instead and
 * not returned.  *out (caller frees each with queued_message_free, then
 * the array) and *count are set on DB_OK.
 */
int	queue_claim(struct db *db, const char *owner, int lease_seconds, size_t max,
	    struct queued_message **out, size_t *count, size_t *expired);
/*
 * Write a batch of outcomes: a few statements whatever n is.  Every
 * update is guarded by state = 'sending' AND lease_owner = owner, so a
 * lease recovered by someone else is never overwritten.
 */
int	queue_record(struct db *db, const char *owner, struct outcome *outcomes, size_t n);
/* sending rows whose lease expired go back to pending (no attempt spent); *count recovered. */
int	queue_recover_expired_leases(struct db *db, long long *count);
/* pending rows past expires_at become expired; *count changed. */
int	queue_expire_overdue(struct db *db, long long *count);
/* Extend the lease of everything owner holds (heartbeat while sends are slow). */
int	queue_extend_leases(struct db *db, const char *owner, int lease_seconds);

#endif
