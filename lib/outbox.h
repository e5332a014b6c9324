/* outbox.h: queue one message from the send API (POST /api/messages). */
#ifndef WAPOOL_OUTBOX_H
#define WAPOOL_OUTBOX_H

#include "buf.h"
#include "db.h"

struct outbox_message {
	const char	*tenant;	/* slug */
	const char	*recipient;	/* E.164, already normalised */
	const char	*text;
	const char	*pool;		/* pool name, or NULL */
	const char	*instance;	/* instance name, or NULL: forces that instance */
	int		 priority;	/* 10 transactional lane, 0 bulk */
	int		 max_attempts;
};

/*
 * Resolve the names and insert a pending message.  Without pool and
 * instance, the tenant's only enabled pool is used.  DB_OK with *id;
 * DB_NOT_FOUND with why naming what does not exist or does not belong to
 * the tenant; DB_CONFLICT with why when no pool can be chosen; another
 * DB_* code when the database failed.
 */
int	outbox_enqueue(struct db *db, const struct outbox_message *m, long long *id,
	    struct buf *why);

#endif
