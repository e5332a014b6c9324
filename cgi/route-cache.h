/* route-cache.h: a few seconds of memory for route lookups, shared by a process's threads. */
#ifndef WAPOOL_ROUTE_CACHE_H
#define WAPOOL_ROUTE_CACHE_H

#include "routes.h"

struct route_cache;

struct route_cache *route_cache_new(int ttl_ms);
void	route_cache_free(struct route_cache *rc);
/*
 * Like route_lookup, but answers from memory when the same (tenant, event)
 * was looked up less than ttl_ms ago.  A changed secret or template takes
 * effect within ttl_ms.  Free out with route_free().
 */
int	route_cache_lookup(struct route_cache *rc, struct db *db, const char *tenant,
	    const char *event, struct route *out);

#endif
