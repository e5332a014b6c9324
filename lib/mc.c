/* mc.c: memcached connection set-up and the few verbs shared by every caller. */
#include <stdlib.h>
#include <string.h>

#include "mc.h"
#include "util.h"

struct mc {
	memcached_st	*handle;
};

struct mc *
mc_open(const char *servers)
{
	memcached_server_st *list = NULL;
	memcached_return_t rc;
	struct mc *mc;

	if ((list = memcached_servers_parse(servers)) == NULL)
		return NULL;
	mc = xcalloc(1, sizeof(*mc));
	mc->handle = memcached_create(NULL);
	/* increment_with_initial needs the binary protocol (stack.md pitfall 7). */
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_DISTRIBUTION,
	    MEMCACHED_DISTRIBUTION_CONSISTENT);
	/* Fail fast: a dead memcached must not stall a webhook or the event loop. */
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 200);
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 300);
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 0);
	memcached_behavior_set(mc->handle, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
	rc = memcached_server_push(mc->handle, list);
	memcached_server_list_free(list);
	if (rc != MEMCACHED_SUCCESS) {
		mc_close(mc);
		return NULL;
	}
	return mc;
}

void
mc_close(struct mc *mc)
{
	if (mc == NULL)
		return;
	memcached_free(mc->handle);
	free(mc);
}

memcached_st *
mc_handle(struct mc *mc)
{
	return mc->handle;
}

bool
mc_ping(struct mc *mc)
{
	uint64_t value;

	/* A create-on-miss increment is a real round trip on every protocol path. */
	return mc_incr(mc, "wapool:ping", 1, 1, 60, &value) == 0;
}

int
mc_incr(struct mc *mc, const char *key, uint64_t delta, uint64_t initial,
    time_t ttl, uint64_t *value)
{
	memcached_return_t rc;

	rc = memcached_increment_with_initial(mc->handle, key, strlen(key),
	    delta, initial, ttl, value);
	return memcached_success(rc) ? 0 : -1;
}
