/* routes.h: find the route for (tenant, event): pool, template, paths, secret. */
#ifndef WAPOOL_ROUTES_H
#define WAPOOL_ROUTES_H

#include "db.h"

struct route {
	long long	 tenant_id;	/* 0 when the tenant does not exist */
	long long	 route_id;	/* 0 when the tenant has no such event */
	long long	 pool_id;
	char		*template;
	char		*phone_path;
	char		*key_path;	/* NULL: only the Idempotency-Key header dedupes */
	char		*secret;
	long long	 validity_seconds;	/* 0: no shelf life */
	int		 priority;
};

/*
 * Look up an active route of an active tenant.  Returns DB_OK with
 * out->tenant_id / out->route_id set to 0 for what does not exist, or a
 * DB_* error.  Free with route_free().
 */
int	route_lookup(struct db *db, const char *tenant_slug, const char *event, struct route *out);
void	route_free(struct route *r);
/* Deep copy (for the per-process route cache). */
void	route_copy(struct route *dst, const struct route *src);

#endif
