/* route-cache.c: a small time-bounded cache of route lookups (one SELECT saved per webhook). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "route-cache.h"
#include "util.h"

#define ROUTE_CACHE_SLOTS 64

struct cached_route {
	char		*tenant;
	char		*event;
	int64_t		 fetched_ms;
	struct route	 route;
};

struct route_cache {
	pthread_mutex_t		lock;
	int			ttl_ms;
	size_t			next_victim;
	struct cached_route	slots[ROUTE_CACHE_SLOTS];
};

struct route_cache *
route_cache_new(int ttl_ms)
{
	struct route_cache *rc = xcalloc(1, sizeof(*rc));

	pthread_mutex_init(&rc->lock, NULL);
	rc->ttl_ms = ttl_ms;
	return rc;
}

static void
slot_clear(struct cached_route *s)
{
	free(s->tenant);
	free(s->event);
	route_free(&s->route);
	memset(s, 0, sizeof(*s));
}

void
route_cache_free(struct route_cache *rc)
{
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < ROUTE_CACHE_SLOTS; i++)
		slot_clear(&rc->slots[i]);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

int
route_cache_lookup(struct route_cache *rc, struct db *db, const char *tenant,
    const char *event, struct route *out)
{
	int64_t now = clock_mono_ms();
	struct cached_route *s;
	size_t i;
	int result;

	pthread_mutex_lock(&rc->lock);
	for (i = 0; i < ROUTE_CACHE_SLOTS; i++) {
		s = &rc->slots[i];
		if (s->tenant != NULL && now - s->fetched_ms < rc->ttl_ms &&
		    strcmp(s->tenant, tenant) == 0 && strcmp(s->event, event) == 0) {
			route_copy(out, &s->route);
			pthread_mutex_unlock(&rc->lock);
			return DB_OK;
		}
	}
	pthread_mutex_unlock(&rc->lock);

	/* The lookup runs unlocked: threads may race to fill a slot; harmless. */
	if ((result = route_lookup(db, tenant, event, out)) != DB_OK)
		return result;

	pthread_mutex_lock(&rc->lock);
	s = &rc->slots[rc->next_victim];
	rc->next_victim = (rc->next_victim + 1) % ROUTE_CACHE_SLOTS;
	slot_clear(s);
	s->tenant = xstrdup(tenant);
	s->event = xstrdup(event);
	s->fetched_ms = now;
	route_copy(&s->route, out);
	pthread_mutex_unlock(&rc->lock);
	return DB_OK;
}
