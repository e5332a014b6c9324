/* config.h: wapool.conf (key = value) plus WAPOOL_<KEY> environment overrides. */
#ifndef WAPOOL_CONFIG_H
#define WAPOOL_CONFIG_H

#include <stdbool.h>
#include "buf.h"

/* Every key is documented in conf/wapool.conf.example; defaults live in config.c. */
struct config {
	/* MariaDB */
	char	*db_host;
	long long db_port;
	char	*db_socket;
	char	*db_user;
	char	*db_password;
	char	*db_name;
	/* memcached */
	char	*memcached_servers;
	/* logging */
	char	*log_level;
	char	*access_log;
	/* intake (wapool.fcgi) */
	long long webhook_max_body;
	long long webhook_max_depth;
	long long webhook_replay_window;
	long long fcgi_threads;
	long long intake_batch_max;
	char	*api_key;
	char	*gateway_callback_token;
	char	*public_url;
	char	*wake_addresses;
	/* dispatch (wapoold) */
	char	*daemon_wake_listen;
	long long poll_interval_ms;
	long long claim_batch_max;
	long long lease_seconds;
	long long max_in_flight;
	long long max_leases;
	long long health_interval;
	long long send_timeout_ms;
	long long connect_timeout_ms;
	long long retry_base_ms;
	long long retry_cap_ms;
	long long max_attempts;
	long long no_instance_delay_ms;
	long long heartbeat_interval;
	long long recover_interval;
	long long ack_timeout_seconds;
	long long shutdown_grace_seconds;
	long long housekeeping_delay;
	long long orphan_report_interval;
	long long breaker_window_seconds;
	long long breaker_min_calls;
	double	breaker_failure_rate;
	long long breaker_open_seconds;
	long long breaker_probes;
	long long breaker_max_trips;
	/* rate gates (defaults; pools and instances may override) */
	long long rate_mps;
	long long rate_burst;
	long long rate_daily_limit;
	long long rate_pair_per_minute;
	long long rate_guard_ms;
	long long rate_daemons;
	long long spacing_min_seconds;
	long long spacing_max_seconds;
	bool	typing;
	/* admin pages */
	long long session_hours;
	long long login_max_failures;
	long long login_lockout_minutes;
	bool	cookie_secure;
};

/*
 * Load defaults, then path (NULL: $WAPOOL_CONF, else SYSCONFDIR/wapool.conf;
 * a missing default file is not an error, a missing named file is), then
 * WAPOOL_<KEY> environment variables.  On error returns -1 with
 * "file:line: what is wrong" in err.  Free with config_free().
 */
int	config_load(struct config *c, const char *path, struct buf *err);
void	config_free(struct config *c);
/* Writes every key with its value (secrets masked) to out, for wapoolctl config. */
void	config_dump(const struct config *c, struct buf *out);
/* The path config_load would read when given NULL. */
const char *config_default_path(void);

#endif
