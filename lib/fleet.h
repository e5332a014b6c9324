/* fleet.h: gateway servers and instances as the admin sees them: lists, edits, server choice, hygiene. */
#ifndef WAPOOL_FLEET_H
#define WAPOOL_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "admin.h"
#include "buf.h"
#include "db.h"

/* Percent of capacity at which a server is reported as nearly full. */
#define FLEET_WARN_PERCENT 90
/* Days an instance may stay disconnected before it counts as an orphan. */
#define FLEET_ORPHAN_DAYS 30

struct fleet_gateway {
	long long	 id;
	char		*name;
	char		*kind;
	char		*base_url;
	char		*api_key;		/* secret: show masked */
	long long	 capacity;
	long long	 priority;
	bool		 active;
	long long	 assigned;		/* instances not deleted */
	long long	 connected;		/* of them, connected */
	char		*last_check_at;		/* NULL: never tested */
	char		*last_check_result;
};

/* Every gateway by priority (highest first), then name.  Free with fleet_gateways_free. */
int	fleet_gateways(struct db *db, struct fleet_gateway **out, size_t *n);
void	fleet_gateways_free(struct fleet_gateway *g, size_t n);
/* One gateway: DB_OK, DB_NOT_FOUND. Free with fleet_gateway_free. */
int	fleet_gateway_get(struct db *db, long long id, struct fleet_gateway *out);
void	fleet_gateway_free(struct fleet_gateway *g);
/* Update every field of g; api_key NULL or "" keeps the stored key.  DB_DUPLICATE: name taken. */
int	fleet_gateway_update(struct db *db, long long id, const struct gateway_spec *g);
int	fleet_gateway_set_active(struct db *db, long long id, bool active);
/* Remember what "test connection" saw. */
int	fleet_gateway_record_check(struct db *db, long long id, const char *result);
/* Usage percent of a server (assigned / capacity), 100 when capacity is 0. */
double	fleet_usage_percent(const struct fleet_gateway *g);
/* "inactive", "full" (no room), "warning" (at or over FLEET_WARN_PERCENT) or "ok". */
const char *fleet_gateway_status(const struct fleet_gateway *g);

/*
 * The server for a new instance: active -> has room (instances assigned <
 * capacity) -> highest priority -> least used -> lowest id.  forced_id > 0
 * checks that one server instead.  Must run inside a transaction: the
 * gateway rows are locked FOR UPDATE so two concurrent creates cannot both
 * take the last slot.  DB_OK with *id; DB_NOT_FOUND with why naming the
 * reason ("no gateway server is configured", "all 3 gateway servers are
 * inactive", "every active gateway server is full: a 20/20, b 5/5").
 */
int	fleet_choose_gateway(struct db *db, long long forced_id, long long *id, struct buf *why);

struct fleet_instance {
	long long	 id;
	long long	 gateway_id;
	char		*gateway_name;
	char		*gateway_kind;
	long long	 tenant_id;		/* 0: none */
	char		*tenant_slug;
	char		*client_ref;
	char		*name;
	char		*phone;
	char		*token;			/* secret: show masked */
	char		*state;
	char		*admin_state;
	char		*health;
	char		*breaker_state;
	char		*last_health_at;
	char		*last_state_change_at;
	long long	 sent_today;
	long long	 failed_today;
};

struct fleet_filter {
	long long	 gateway_id;	/* 0: any */
	long long	 tenant_id;	/* 0: any */
	const char	*state;		/* NULL: any */
};

/* Live (not deleted) instances, by gateway then name.  Free with fleet_instances_free. */
int	fleet_instances(struct db *db, const struct fleet_filter *f, struct fleet_instance **out,
	    size_t *n);
void	fleet_instances_free(struct fleet_instance *v, size_t n);
/* One live instance: DB_OK or DB_NOT_FOUND.  Free with fleet_instance_free. */
int	fleet_instance_get(struct db *db, long long id, struct fleet_instance *out);
void	fleet_instance_free(struct fleet_instance *v);

/* The live instance called name on gateway_id (0: on any): DB_OK with *id, or DB_NOT_FOUND. */
int	fleet_instance_by_name(struct db *db, long long gateway_id, const char *name, long long *id);

struct fleet_new_instance {
	long long	 tenant_id;
	const char	*client_ref;	/* the client; NULL: an instance of the tenant itself */
	const char	*name;
	const char	*phone;		/* E.164 or NULL */
	long long	 gateway_id;	/* 0: choose by the rule */
};

enum fleet_create {
	FLEET_CREATED,		/* a new row: *id */
	FLEET_EXISTS,		/* the client already has an instance: *id is it (reconnect) */
	FLEET_NAME_TAKEN,	/* another instance has this name */
	FLEET_NO_GATEWAY,	/* why says which rule failed */
	FLEET_DB_FAILED,	/* *rc holds the DB_* code */
};

/*
 * One client = one instance, for ever: when (tenant, client_ref) already
 * has a live instance nothing is created and FLEET_EXISTS returns it; the
 * unique key settles a race between two creates the same way.  Otherwise
 * the server is chosen (fleet_choose_gateway) and the row inserted in one
 * transaction, state 'unknown'.
 */
enum fleet_create fleet_instance_create(struct db *db, const struct fleet_new_instance *in,
	    long long *id, struct buf *why, int *rc);
/* Store the gateway's token and instance id after a create on the server. */
int	fleet_instance_set_credentials(struct db *db, long long id, const char *token,
	    const char *external_id);
/* Record a state seen on the gateway (connected, connecting, disconnected, refused, unknown). */
int	fleet_instance_set_state(struct db *db, long long id, const char *state);
/*
 * Delete the instance in wapool: marked deleted, renamed "<name>~<id>" and
 * detached from its client and pools, so the name and the client are free
 * again while the message history keeps its row.
 */
int	fleet_instance_delete(struct db *db, long long id);
/* Remove a row that never reached the gateway (its create failed). */
int	fleet_instance_discard(struct db *db, long long id);

/*
 * Raise an alert (kind "gateway_capacity", once while open) for every
 * active server at or over FLEET_WARN_PERCENT, resolve those that fell
 * back below, and log each new one.  Safe to call from many processes at
 * once: a unique key lets one raise (and log) each alert.  wapoold calls
 * it every minute; pages that change the fleet call it too, so the
 * dashboard does not wait for the daemon.  *open gets the number of
 * servers currently warned about (may be NULL).
 */
int	fleet_capacity_alerts(struct db *db, long long *open);

struct fleet_alert {
	long long	 id;
	char		*kind;
	char		*message;
	char		*created_at;
};

/* Open alerts, newest first (at most 50).  Free with fleet_alerts_free. */
int	fleet_alerts(struct db *db, struct fleet_alert **out, size_t *n);
void	fleet_alerts_free(struct fleet_alert *a, size_t n);

struct fleet_tenant {
	long long	 id;
	char		*slug;
	char		*name;
	bool		 active;
};

int	fleet_tenants(struct db *db, struct fleet_tenant **out, size_t *n);
void	fleet_tenants_free(struct fleet_tenant *t, size_t n);

/* Count of live instances by state, as (state, count) rows. */
int	fleet_instance_states(struct db *db, struct db_result *out);

#endif
