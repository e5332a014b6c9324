/* orphans.h: instances nobody should keep: unknown to wapool, without an active client, or long gone. */
#ifndef WAPOOL_ORPHANS_H
#define WAPOOL_ORPHANS_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "db.h"

enum orphan_kind {
	ORPHAN_UNKNOWN,		/* on a gateway server, but wapool has no live instance of that name */
	ORPHAN_NO_CLIENT,	/* in wapool, but its tenant is missing or inactive */
	ORPHAN_STALE,		/* in wapool, disconnected for more than FLEET_ORPHAN_DAYS */
	ORPHAN_KIND__MAX
};

struct orphan {
	enum orphan_kind kind;
	long long	 gateway_id;
	char		*gateway_name;
	long long	 instance_id;	/* 0 for ORPHAN_UNKNOWN */
	char		*name;		/* the name on the gateway */
	char		*detail;	/* why, for people */
};

/*
 * Find every orphan: the SQL ones, then fetchInstances on each active
 * Evolution server (timeouts from c).  A server that cannot be asked is
 * reported in warnings and skipped.  *out (free with orphans_free).
 */
int	orphans_find(struct db *db, const struct config *c, struct orphan **out, size_t *n,
	    struct buf *warnings);
void	orphans_free(struct orphan *o, size_t n);
const char *orphan_kind_str(enum orphan_kind k);
/*
 * The daily report of wapoold and `wapoolctl instances orphans --log`:
 * one log line per orphan and per unreachable server; *count found.
 */
int	orphans_log(struct db *db, const struct config *c, size_t *count);

#endif
