/* pages.h: small helpers the admin page files share. */
#ifndef WAPOOL_PAGES_H
#define WAPOOL_PAGES_H

#include "fleet.h"
#include "gateway-admin.h"
#include "request.h"

/* The numeric id in the first '*' of the route, or 0 when it is not one. */
long long page_path_id(const struct req *r);
/*
 * How to call gateway g from a page: the configured connect timeout and at
 * most 15 s in all, so an admin never waits on a dead server for long.
 */
void	page_gateway_server(const struct req *r, const struct fleet_gateway *g,
	    struct gwa_server *s);
/* The callback URL instances on Evolution get: <public_url>/webhook/gateway/evolution/<token>; caller frees; NULL when no token is configured. */
char	*page_callback_url(const struct req *r);
/* Show the notice named by ?done= from table (pairs of done, text; NULL-terminated). */
void	page_done_notice(struct req *r, const char *const *table);

#endif
