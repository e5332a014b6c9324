/* intake.h: store accepted and rejected webhook events and their messages, in batches. */
#ifndef WAPOOL_INTAKE_H
#define WAPOOL_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* Bodies longer than this are kept truncated for the Events view. */
#define INTAKE_BODY_KEEP (64 * 1024)

struct intake_event {
	/* what arrived (all strings borrowed from the caller) */
	long long	 tenant_id;	/* 0 when the tenant is unknown */
	const char	*tenant_slug;
	const char	*event;
	const char	*idem_key;	/* accepted events only; NULL = no dedupe */
	const char	*request_key;	/* the key as received, kept for display */
	int		 http_status;	/* 202 accepted; the 4xx given otherwise */
	const char	*reason;	/* why it was rejected (or a note) */
	const char	*content_type;
	const char	*remote_addr;
	const char	*body;
	size_t		 body_size;	/* full size; at most INTAKE_BODY_KEEP is stored */
	/* the message to queue, when accepted */
	long long	 route_id;
	long long	 pool_id;
	int		 priority;
	const char	*recipient;	/* E.164 */
	const char	*text;
	long long	 validity_seconds;	/* 0: no expiry */
	int		 max_attempts;
	/* results */
	long long	 event_id;
	long long	 message_id;	/* 0 for rejected events */
	bool		 duplicate;	/* same (tenant, event, key) seen before: ids are the first's */
	char		 message_state[16];
};

/*
 * Store n events in one transaction: every event row, and one message per
 * accepted, non-duplicate event.  Duplicates get the first event's ids.
 * A handful of statements whatever n is, so a committer thread can batch
 * concurrent webhooks.  Returns DB_OK or DB_DOWN / DB_ERROR (nothing
 * stored: the transaction is rolled back).
 */
int	intake_store(struct db *db, struct intake_event *events, size_t n);

#endif
