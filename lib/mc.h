/* mc.h: the memcached connection (libmemcached, binary protocol). */
#ifndef WAPOOL_MC_H
#define WAPOOL_MC_H

#include <stdbool.h>
#include <stdint.h>
#include <libmemcached/memcached.h>

struct mc;

/* servers: "host:port[,host:port...]".  Returns NULL only on a bad list. */
struct mc *mc_open(const char *servers);
void	 mc_close(struct mc *mc);
/* True when every server answers a version request now. */
bool	 mc_ping(struct mc *mc);
/* The libmemcached handle, for modules (rate gates) that need more verbs. */
memcached_st *mc_handle(struct mc *mc);
/*
 * Atomically add delta to key, creating it with initial (and ttl seconds)
 * when missing: never a bare incr on a missing key.  0 or -1.
 */
int	 mc_incr(struct mc *mc, const char *key, uint64_t delta, uint64_t initial,
	    time_t ttl, uint64_t *value);

#endif
