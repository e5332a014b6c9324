/* dispatch.h: the dispatcher: wapoold's state, shared by its loop, picker and health checks. */
#ifndef WAPOOL_DISPATCH_H
#define WAPOOL_DISPATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <curl/curl.h>

#include "breaker.h"
#include "config.h"
#include "db.h"
#include "gateway.h"
#include "instances.h"
#include "mc.h"
#include "queue.h"
#include "rate.h"
#include "store.h"

/* What the daemon keeps about an instance across reloads of the rows. */
struct instance_runtime {
	long long	 id;
	struct breaker	 breaker;
	char		 breaker_seen[16];	/* breaker_state last read from the database */
	long long	 sent_today;
	int64_t		 next_health_ms;
	bool		 health_in_flight;
	/* Its gates said closed for every message until then (wall ms): no need to ask. */
	int64_t		 gates_closed_until_ms;
	int64_t		 gates_recheck_ms;	/* ...believed until then (a second at most) */
	enum rate_verdict gates_closed_verdict;
};

enum transfer_kind { TRANSFER_TYPING, TRANSFER_SEND, TRANSFER_HEALTH };

/* One HTTP exchange on the multi handle; a send may be preceded by a typing one. */
struct transfer {
	enum transfer_kind	 kind;
	CURL			*easy;
	struct gateway_request	 request;
	struct buf		 response;
	const struct gateway_driver *driver;
	long long		 instance_id;
	long long		 failover_from;
	struct rate_limits	 limits;
	struct queued_message	 message;	/* sends only; owned */
	/* owned copies: the instance rows are reloaded while transfers run */
	char			*base_url, *api_key, *instance_name, *instance_token, *external_id;
	int			 typing_ms;
	struct transfer		*next_free;
	struct transfer		*active_prev, *active_next;	/* in dispatcher.active */
};

/*
 * A claimed message whose gates reopen within HOLD_MAX_MS: kept here and
 * tried again at that moment instead of going back to the queue.
 */
struct held_message {
	struct queued_message	 message;	/* owned */
	uint64_t		 cursor;	/* its round-robin position */
	int64_t			 due_ms;	/* monotonic */
};

/*
 * Claimed messages waiting for room among the sends in flight (a ring).
 * The claimer fetches the next batch while the current one is being
 * sent, so a send that finishes is followed at once by the next, not by
 * a claim's round trips (doc/ARCHITECTURE.md, "wapoold's loop").
 */
struct ready_queue {
	struct held_message	*items;
	size_t			 head, count, cap;
};

struct dispatcher {
	struct config		*config;
	struct db		*db;
	struct mc		*mc;
	struct rate		*rate;
	CURLM			*multi;
	int			 epoll_fd;	/* events.c */
	int64_t			 curl_due_ms;	/* libcurl's next timeout (monotonic), -1: none */
	int			 wake_fd;
	char			 owner[128];
	char			 host[64];
	/* the model, reloaded every second */
	struct instance_row	*instances;
	size_t			 ninstances;
	struct pool_row		*pools;
	size_t			 npools;
	struct instance_runtime	*runtime;
	size_t			 nruntime;
	/* the database workers (store.h) and the pipe they ring when a job is done */
	struct store		*claimer, *writer;
	int			 store_pipe[2];
	bool			 store_rang;	/* epoll saw the pipe readable */
	/* outcomes waiting to be written */
	struct outcome		*outcomes;
	size_t			 noutcomes, outcomes_cap;
	size_t			 outcomes_writing;	/* handed to the writer, not yet committed */
	int64_t			 outcomes_since_ms;	/* when the oldest of them came */
	/* transfers */
	struct transfer		*free_transfers;
	struct transfer		*active;	/* every transfer not on the free list */
	size_t			 sends_in_flight;
	size_t			 health_in_flight;
	/* claimed, waiting for room: [0] transactional lane, [1] bulk */
	struct ready_queue	 ready[2];
	size_t			 nready;	/* both lanes */
	/* messages waiting a moment for a rate gate (see held_message) */
	struct held_message	*held;
	size_t			 nheld, held_cap;
	/* clocks and pacing */
	int64_t			 next_reload_ms, next_claim_ms, next_recover_ms;
	int64_t			 next_heartbeat_ms, next_ack_check_ms, next_sent_today_ms;
	bool			 claim_now;
	bool			 db_down;
	int64_t			 db_retry_ms, db_backoff_ms;
	uint64_t		 local_cursor;
	/* figures for the heartbeat */
	long long		 sent_total, sent_at_last_heartbeat;
	long long		 claims, claimed, writes, written;	/* batches and their rows */
	long long		 turns, in_flight_sum, ready_sum;	/* per turn of the loop */
	int64_t			 idle_ms;	/* in events_wait() */
	int64_t			 last_heartbeat_ms, started_ms;
	/* stopping */
	bool			 stopping;
	int64_t			 stop_deadline_ms;
};

/* Signals only set these; the loop acts on them. */
extern volatile sig_atomic_t dispatch_stop_requests;

int	 dispatcher_init(struct dispatcher *d, struct config *c);
/* Run until stopped; returns the exit status. */
int	 dispatcher_run(struct dispatcher *d);
void	 dispatcher_free(struct dispatcher *d);

/* picker.c */
struct instance_row *dispatch_instance(struct dispatcher *d, long long id);
struct instance_runtime *dispatch_runtime(struct dispatcher *d, long long id);
void	 dispatch_limits(struct dispatcher *d, const struct instance_row *i, struct rate_limits *l);
/*
 * Choose the instance for m (cursor: this message's round-robin position).
 * Returns the instance (with decision filled) or NULL, then *wait_reason
 * and *retry_after_ms say why and for how long.
 */
struct instance_row *dispatch_pick(struct dispatcher *d, struct queued_message *m,
	    uint64_t cursor, struct rate_decision *decision, long long *failover_from,
	    const char **wait_reason, int64_t *retry_after_ms);
/* Adopt breaker changes made in the database (operator reset) after a reload. */
void	 dispatch_sync_breakers(struct dispatcher *d);
/* Record a send's effect on the instance's breaker, persisting transitions. */
void	 dispatch_breaker_record(struct dispatcher *d, long long instance_id, bool success);

/* health.c */
void	 health_schedule(struct dispatcher *d, int64_t now);
void	 health_done(struct dispatcher *d, struct transfer *t, CURLcode code, long status);
void	 health_check_acks(struct dispatcher *d);

/* events.c: epoll over libcurl's sockets, the workers' pipe and the wake-up socket */
int	 events_init(struct dispatcher *d);
void	 events_close(struct dispatcher *d);
/* Start the transfers just added (transfer_start). */
void	 events_kick(struct dispatcher *d);
/* Run libcurl's timeouts that are due. */
void	 events_run_due(struct dispatcher *d);
/* timeout_ms, or less when libcurl wants to be called sooner. */
int64_t	 events_clamp(const struct dispatcher *d, int64_t timeout_ms);
/* Wait up to timeout_ms (or libcurl's timeout) and act on what is ready. */
void	 events_wait(struct dispatcher *d, int64_t timeout_ms);

/* dispatch.c helpers used by health.c */
struct transfer *transfer_new(struct dispatcher *d, enum transfer_kind kind);
void	 transfer_start(struct dispatcher *d, struct transfer *t);
void	 transfer_release(struct dispatcher *d, struct transfer *t);
void	 transfer_set_endpoint(struct transfer *t, const struct instance_row *i,
	    struct gateway_endpoint *e);

#endif
