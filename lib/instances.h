/* instances.h: the daemon's view of instances and pools, and the state it writes back. */
#ifndef WAPOOL_INSTANCES_H
#define WAPOOL_INSTANCES_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* One instance row joined with its gateway and tenant.  -1 = NULL for optional numbers. */
struct instance_row {
	long long	 id;
	long long	 gateway_id;
	long long	 tenant_id;
	char		*name;
	char		*token;
	char		*external_id;
	char		*state;		/* connected, connecting, disconnected, refused, banned, unknown */
	char		*admin_state;	/* active, suspended, draining */
	char		*health;	/* ok, degraded */
	char		*breaker_state;	/* closed, open, half_open (as written in the database) */
	long long	 breaker_remaining_ms;	/* -1: NULL (open by hand until reset) */
	long long	 breaker_trips;
	long long	 daily_limit, mps, burst, pair_per_minute;
	long long	 spacing_min_seconds, spacing_max_seconds;
	int		 typing;	/* -1, 0, 1 */
	char		*warmup_started_on;
	char		*kind;
	char		*base_url;
	char		*api_key;
	bool		 gateway_active;
	long long	 gateway_priority;
	char		*timezone;
	int		 quiet_start_minute, quiet_end_minute;	/* -1: none */
};

struct pool_row {
	long long	 id;
	long long	 tenant_id;
	char		*name;
	bool		 round_robin;	/* false: priority strategy */
	bool		 enabled;
	char		*admin_state;
	long long	 spacing_min_seconds, spacing_max_seconds, mps, pair_per_minute;
	long long	 burst, daily_limit;	/* -1 = NULL */
	int		 typing;
	size_t		 nmembers;
	long long	*members;	/* instance ids in position order (enabled members only) */
};

/* Load every live instance / every pool with its enabled members.  Free with the _free calls. */
int	instances_load(struct db *db, struct instance_row **out, size_t *count);
void	instance_rows_free(struct instance_row *rows, size_t count);
/* The row with this id in rows as instances_load() returns them (ordered by id), or NULL. */
struct instance_row *instance_rows_find(struct instance_row *rows, size_t count, long long id);
int	pools_load(struct db *db, struct pool_row **out, size_t *count);
void	pool_rows_free(struct pool_row *rows, size_t count);

/*
 * A health check's result: new_state (NULL when it did not change) and the
 * time of the check.  A change to connected also clears "degraded": a
 * reconnected session gets a fresh chance.
 */
int	instance_record_health(struct db *db, long long id, const char *new_state);
/* Persist a breaker transition so every daemon, the API and the pages see it. */
int	instance_set_breaker(struct db *db, long long id, const char *state, long long open_ms,
	    long long trips);
/* After repeated trips: suspend the instance and raise an alert. */
int	instance_suspend(struct db *db, long long id, const char *why);
/*
 * Mark "degraded" every connected instance that has sends older than
 * ack_timeout seconds with no acknowledgement since; appends their names to
 * names (comma separated), their ids to *ids (caller frees) and sets *count.
 */
int	instances_mark_unacknowledged(struct db *db, long long ack_timeout, struct buf *names,
	    long long **ids, long long *count);
int	alert_add(struct db *db, const char *kind, long long gateway_id, long long instance_id,
	    const char *message);
/* Sends per instance today (for the priority strategy's "least used"). */
int	instances_sent_today(struct db *db, struct db_result *out);

/* Heartbeat row of one daemon (the worker health log). */
struct daemon_status {
	const char	*owner;
	const char	*host;
	long long	 pid;
	long long	 in_flight;
	long long	 sent_total;
	long long	 rss_kb;
	bool		 rate_degraded;
};
int	daemon_heartbeat(struct db *db, const struct daemon_status *s);
int	daemon_forget(struct db *db, const char *owner);
/* How many daemons sent a heartbeat in the last seconds (the rate gates' degraded share). */
int	daemons_live(struct db *db, long long seconds, long long *count);
/* pending, sending, dead counts now. */
int	queue_counts(struct db *db, long long *pending, long long *sending, long long *dead);

#endif
