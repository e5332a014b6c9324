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
/* cgi/gateway-callback.c: POST /webhook/gateway/evolution/{token}[/{event}] */
void	gateway_callback_evolution(struct req *r);
/* cgi/api-queue.c: GET and POST /api/whatsapp/queue/stats */
void	api_queue_stats(struct req *r);
void	api_queue_action(struct req *r);
/* cgi/api-pools.c: GET /api/webhooks/pools */
void	api_pools(struct req *r);
/* cgi/api-controls.c: POST /api/instances/{id}/{action}, POST /api/pools/{id}/{action} */
void	api_instance_control(struct req *r);
void	api_pool_control(struct req *r);
/* cgi/page-login.c: GET/POST /admin/login, POST /admin/logout, GET /admin */
void	page_login_form(struct req *r);
void	page_login(struct req *r);
void	page_logout(struct req *r);
void	page_admin_root(struct req *r);
/* cgi/page-dashboard.c: GET /admin/ */
void	page_dashboard(struct req *r);
/* cgi/page-gateways.c: /admin/gateways[/{id}[/test|/active]] */
void	page_gateways(struct req *r);
void	page_gateway_add(struct req *r);
void	page_gateway_edit(struct req *r);
void	page_gateway_update(struct req *r);
void	page_gateway_test(struct req *r);
void	page_gateway_active(struct req *r);
/* cgi/page-instances.c: GET/POST /admin/instances */
void	page_instances(struct req *r);
void	page_instance_add(struct req *r);
/* cgi/page-instance.c: /admin/instances/{id}/connect, /admin/instances/{id}/delete */
void	page_instance_connect(struct req *r);
void	page_instance_delete_form(struct req *r);
void	page_instance_delete(struct req *r);
/* cgi/page-orphans.c: GET/POST /admin/instances/orphans */
void	page_orphans(struct req *r);
void	page_orphan_delete(struct req *r);
/* cgi/page-webhooks.c: GET /admin/webhooks?tab=pools|events, GET /admin/webhooks/events/{id} */
void	page_webhooks(struct req *r);
void	page_webhook_event(struct req *r);
/* cgi/page-queue.c: GET /admin/queue, POST /admin/queue/{retry|clear|recover} */
void	page_queue(struct req *r);
void	page_queue_action(struct req *r);
/* cgi/api-usage.c: GET /api/evolution/usage, GET /api/instances/connected */
void	api_evolution_usage(struct req *r);
void	api_instances_connected(struct req *r);
/* cgi/api-instance.c: GET /api/instances/{id} */
void	api_instance_state(struct req *r);
/* cgi/api-messages.c: POST /api/messages */
void	api_messages_send(struct req *r);

#endif
