/* router.h: the sitemap: which handler serves which method and path. */
#ifndef WAPOOL_ROUTER_H
#define WAPOOL_ROUTER_H

#include "request.h"

/* Match r's method and path against the table, check auth, run the handler. */
void	router_dispatch(struct req *r);

#endif
