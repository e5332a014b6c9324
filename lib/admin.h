/* admin.h: configuration SQL used by wapoolctl (and later the admin pages). */
#ifndef WAPOOL_ADMIN_H
#define WAPOOL_ADMIN_H

#include "buf.h"
#include "db.h"

struct gateway_spec {
	const char	*name;
	const char	*kind;		/* evolution | wppconnect | meta */
	const char	*base_url;
	const char	*api_key;
	long long	 capacity;
	long long	 priority;
	bool		 active;
};

struct instance_spec {
	const char	*name;
	const char	*gateway;	/* gateway name */
	const char	*tenant;	/* tenant slug, may be NULL */
	const char	*client_ref;	/* may be NULL */
	const char	*phone;		/* E.164, may be NULL */
	const char	*token;
	const char	*state;		/* connected | disconnected | unknown ... */
	long long	 daily_limit;	/* 0: default */
	long long	 rate_mps;	/* 0: default */
};

struct route_spec {
	const char	*tenant;
	const char	*event;
	const char	*pool;
	const char	*template;
	const char	*phone_path;
	const char	*key_path;	/* may be NULL */
	const char	*secret;
	long long	 validity_seconds;
	int		 priority;
};

/*
 * Each returns DB_OK and the new id, DB_DUPLICATE when the name exists,
 * DB_NOT_FOUND when a named reference (tenant, gateway, pool, instance)
 * does not exist (err names it), or another DB_* code.
 */
int	tenant_add(struct db *db, const char *slug, const char *name, const char *timezone,
	    long long *id);
int	gateway_add(struct db *db, const struct gateway_spec *g, long long *id);
int	instance_add(struct db *db, const struct instance_spec *s, long long *id, struct buf *err);
int	pool_add(struct db *db, const char *name, const char *tenant, const char *strategy,
	    long long *id, struct buf *err);
int	pool_member_add(struct db *db, const char *pool, const char *instance, struct buf *err);
int	route_add(struct db *db, const struct route_spec *r, long long *id, struct buf *err);

#endif
