/* views.h: read-only SQL behind the admin pages' Events and Queue lists. */
#ifndef WAPOOL_VIEWS_H
#define WAPOOL_VIEWS_H

#include "db.h"

/* How many rows one page of a list shows. */
#define VIEWS_PAGE 50

struct views_event_filter {
	const char	*tenant;	/* slug, NULL: any */
	const char	*event;		/* NULL: any */
	const char	*status;	/* "accepted" | "rejected" | NULL */
	long long	 before_id;	/* paging: ids below this, 0: newest */
};

/*
 * Received webhooks, newest first, at most VIEWS_PAGE + 1 rows (one more
 * tells the page there is a next page).  Columns: id, received_at,
 * tenant_slug, event, status, http_status, reason, request_key, body_size,
 * remote_addr.  Free with db_result_free.
 */
int	views_events(struct db *db, const struct views_event_filter *f, struct db_result *out);
/*
 * One event with its payload: id, received_at, tenant_slug, event, status,
 * http_status, reason, request_key, body_size, remote_addr, content_type,
 * body.  DB_NOT_FOUND when there is none.
 */
int	views_event(struct db *db, long long id, struct db_result *out);

/*
 * Messages in state (pending, sending, dead...), at most VIEWS_PAGE + 1
 * below before_id (0: newest): id, created_at, tenant slug, pool name,
 * recipient, attempts, max_attempts, not_before, wait_reason, last_error,
 * instance name (sent or forced), lease_owner, lease_until.
 */
int	views_messages(struct db *db, const char *state, long long before_id, struct db_result *out);
/* Count of messages by state now: (state, count) rows for pending, sending, dead. */
int	views_queue_counts(struct db *db, struct db_result *out);

#endif
