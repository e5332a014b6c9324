/* callbacks.h: what gateway callbacks write: delivery statuses (only ever forward) and session states. */
#ifndef WAPOOL_CALLBACKS_H
#define WAPOOL_CALLBACKS_H

#include <stdbool.h>

#include "db.h"

/* A delivery status reported by a gateway, already mapped to wapool's words. */
enum delivery_status {
	DELIVERY_SENT,		/* Evolution SERVER_ACK: one tick */
	DELIVERY_DELIVERED,	/* DELIVERY_ACK: two ticks */
	DELIVERY_READ,		/* READ, PLAYED */
	DELIVERY_FAILED,	/* ERROR */
	DELIVERY_STATUS__MAX
};

/* What one status did to its message. */
enum delivery_result {
	DELIVERY_APPLIED,	/* the message moved forward */
	DELIVERY_UNCHANGED,	/* duplicate, out of order, or the message is past it */
	DELIVERY_UNKNOWN,	/* no such message (yet): kept as a receipt for the daemon */
	DELIVERY_RESULT__MAX
};

/* The instance a callback names, with what authenticates it. */
struct callback_instance {
	long long	 id;
	long long	 gateway_id;
	char		*name;
	char		*token;		/* the instance's own key ("" when unknown) */
	char		*gateway_key;	/* the gateway's global key ("" when unknown) */
	char		*gateway_kind;	/* evolution | wppconnect | meta */
	char		*state;		/* instances.state now */
	bool		 degraded;	/* health = 'degraded' */
	bool		 ack_stale;	/* last_ack_at is NULL or over a second old */
};

/*
 * Find the (not deleted) instance called name.  DB_OK fills *out (free
 * with callback_instance_free); DB_NOT_FOUND when there is none; other
 * DB_* codes on errors.
 */
int	callbacks_instance_lookup(struct db *db, const char *name, struct callback_instance *out);
void	callback_instance_free(struct callback_instance *in);

/*
 * Apply status to the message that instance_id sent with the gateway id
 * gateway_message_id.  Every UPDATE is guarded by the states it may move
 * from (sent from sending; delivered from sending/sent; read from
 * sending/sent/delivered, also stamping delivered_at when skipped;
 * failed only from sent), so duplicates and out-of-order callbacks change
 * nothing.  A message not found yet (the ack beat the daemon's write of
 * the gateway id) leaves a receipt in delivery_receipts, which the daemon
 * applies when it records the send; the message is then tried once more
 * so that a write landing in between is not missed.  error (may be NULL)
 * becomes last_error for failed.  Sets *result; returns DB_OK or a DB_*
 * error.
 */
int	callbacks_apply_delivery(struct db *db, long long instance_id,
	    const char *gateway_message_id, enum delivery_status status, const char *error,
	    enum delivery_result *result);

/*
 * An acknowledgement proves the session sends: stamp last_ack_at (at most
 * once a second per instance, so a busy instance's row is not rewritten
 * on every ack) and lift health from degraded back to ok.  *recovered is
 * set when health went back to ok.
 */
int	callbacks_note_ack(struct db *db, const struct callback_instance *in, bool *recovered);

/*
 * Set the instance's state to state (an instances.state value) when it
 * differs, stamping last_state_change_at, connected_since (to connected)
 * or disconnected_since (to disconnected/refused/banned, kept when it was
 * already down).  *changed tells whether anything was written.
 */
int	callbacks_apply_connection(struct db *db, const struct callback_instance *in,
	    const char *state, bool *changed);

/* Record an alert an operator must see (banned, logged out); best effort. */
int	callbacks_alert(struct db *db, const struct callback_instance *in, const char *kind,
	    const char *message);

const char *delivery_status_str(enum delivery_status s);
const char *delivery_result_str(enum delivery_result r);

#endif
