/* handlers.h: every surface's entry point, one per file, named in the router table. */
#ifndef WAPOOL_HANDLERS_H
#define WAPOOL_HANDLERS_H

#include "request.h"

/* cgi/webhook.c: POST /webhook/{tenant}/{event} */
void	webhook_business(struct req *r);
/* cgi/health.c: GET /healthz */
void	health_check(struct req *r);
/* cgi/api-stats.c: GET /api/webhooks/stats */
void	api_stats_today(struct req *r);

#endif
