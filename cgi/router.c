/* router.c: the routing table; method, auth and path matching happen here, not in handlers. */
#include <string.h>

#include "handlers.h"
#include "html.h"
#include "router.h"
#include "session.h"
#include "signature.h"
#include "util.h"

enum auth {
	AUTH_NONE,	/* the handler authenticates itself (webhook secrets) or needs none */
	AUTH_API_KEY,	/* Authorization: Bearer <api_key> or X-Api-Key: <api_key>, or an
			 * admin session cookie (+ X-CSRF-Token header on POST) */
	AUTH_SESSION,	/* admin page: a session, else 303 to /admin/login; a POST
			 * must carry the session's CSRF token (403 otherwise) */
};

struct route_entry {
	const char	*method;
	const char	*pattern;	/* '*' matches exactly one non-empty segment */
	void		(*handler)(struct req *);
	enum auth	 auth;
	bool		 secret_segment;	/* the first '*' is a secret: masked in the access log */
};

/* First match wins: specific paths before the generic webhook pattern. */
static const struct route_entry table[] = {
	{ "POST", "/webhook/*/*",		webhook_business,	AUTH_NONE, false },
	{ "GET",  "/healthz",			health_check,		AUTH_NONE, false },
	{ "GET",  "/api/webhooks/stats",	api_stats_today,	AUTH_API_KEY, false },
	{ "POST", "/webhook/gateway/evolution/*",	gateway_callback_evolution, AUTH_NONE, true },
	{ "POST", "/webhook/gateway/evolution/*/*",	gateway_callback_evolution, AUTH_NONE, true },
	{ "GET",  "/api/whatsapp/queue/stats",	api_queue_stats,	AUTH_API_KEY, false },
	{ "POST", "/api/whatsapp/queue/stats",	api_queue_action,	AUTH_API_KEY, false },
	{ "GET",  "/api/webhooks/pools",	api_pools,		AUTH_API_KEY, false },
	{ "POST", "/api/instances/*/*",		api_instance_control,	AUTH_API_KEY, false },
	{ "POST", "/api/pools/*/*",		api_pool_control,	AUTH_API_KEY, false },
	{ "GET",  "/api/evolution/usage",	api_evolution_usage,	AUTH_API_KEY, false },
	{ "GET",  "/api/instances/connected",	api_instances_connected, AUTH_API_KEY, false },
	{ "GET",  "/api/instances/*",		api_instance_state,	AUTH_API_KEY, false },
	{ "POST", "/api/messages",		api_messages_send,	AUTH_API_KEY, false },
	{ "GET",  "/admin",			page_admin_root,	AUTH_NONE, false },
	{ "GET",  "/admin/login",		page_login_form,	AUTH_NONE, false },
	{ "POST", "/admin/login",		page_login,		AUTH_NONE, false },
	{ "POST", "/admin/logout",		page_logout,		AUTH_SESSION, false },
	{ "GET",  "/admin/",			page_dashboard,		AUTH_SESSION, false },
	{ "GET",  "/admin/gateways",		page_gateways,		AUTH_SESSION, false },
	{ "POST", "/admin/gateways",		page_gateway_add,	AUTH_SESSION, false },
	{ "GET",  "/admin/gateways/*",		page_gateway_edit,	AUTH_SESSION, false },
	{ "POST", "/admin/gateways/*",		page_gateway_update,	AUTH_SESSION, false },
	{ "POST", "/admin/gateways/*/test",	page_gateway_test,	AUTH_SESSION, false },
	{ "POST", "/admin/gateways/*/active",	page_gateway_active,	AUTH_SESSION, false },
	{ "GET",  "/admin/instances",		page_instances,		AUTH_SESSION, false },
	{ "POST", "/admin/instances",		page_instance_add,	AUTH_SESSION, false },
	{ "GET",  "/admin/instances/orphans",	page_orphans,		AUTH_SESSION, false },
	{ "POST", "/admin/instances/orphans",	page_orphan_delete,	AUTH_SESSION, false },
	{ "GET",  "/admin/instances/*/connect",	page_instance_connect,	AUTH_SESSION, false },
	{ "GET",  "/admin/instances/*/delete",	page_instance_delete_form, AUTH_SESSION, false },
	{ "POST", "/admin/instances/*/delete",	page_instance_delete,	AUTH_SESSION, false },
	{ "GET",  "/admin/webhooks",		page_webhooks,		AUTH_SESSION, false },
	{ "GET",  "/admin/webhooks/events/*",	page_webhook_event,	AUTH_SESSION, false },
	{ "GET",  "/admin/queue",		page_queue,		AUTH_SESSION, false },
	{ "POST", "/admin/queue/*",		page_queue_action,	AUTH_SESSION, false },
};

/* Match path against pattern, capturing '*' segments into r->params. */
static bool
route_match(struct req *r, const char *pattern, const char *path, bool capture)
{
	size_t n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '*') {
			size_t len = strcspn(path, "/");

			if (len == 0)
				return false;
			if (capture && n < REQ_MAX_PARAMS)
				r->params[n++] = xstrndup(path, len);
			path += len;
			pattern++;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	if (capture)
		r->nparams = n;
	return *pattern == '\0' && *path == '\0';
}

static bool
api_key_valid(struct req *r)
{
	const char *key = r->app->config.api_key, *header;

	/* No key configured means the API is closed, not open. */
	if (key == NULL || *key == '\0')
		return false;
	if ((header = req_param(r, "HTTP_AUTHORIZATION")) != NULL && bearer_verify(header, key))
		return true;
	header = req_param(r, "HTTP_X_API_KEY");
	return header != NULL && const_time_equal(header, strlen(header), key, strlen(key));
}

/* The API also serves the admin pages' own JavaScript, signed in by cookie. */
static bool
api_session_valid(struct req *r)
{
	if (session_load(r) != DB_OK)
		return false;
	return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0 ||
	    session_csrf_valid(r);
}

/* Admin pages: true when the handler may run; otherwise the answer is written. */
static bool
admin_session_valid(struct req *r)
{
	int rc = session_load(r);

	if (rc == DB_DOWN || rc == DB_ERROR) {
		req_header(r, "Retry-After: 5");
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return false;
	}
	if (rc != DB_OK) {
		if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) {
			struct buf next = BUF_INIT;
			size_t i;

			/* Come back here after login; the path is re-checked as local there. */
			buf_puts(&next, "/admin/login?next=");
			for (i = 0; r->path[i] != '\0'; i++) {
				unsigned char c = (unsigned char)r->path[i];

				if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				    (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_' ||
				    c == '.')
					buf_putc(&next, (char)c);
				else
					buf_printf(&next, "%%%02X", c);
			}
			html_redirect(r, buf_cstr(&next));
			buf_free(&next);
		} else
			html_redirect(r, "/admin/login");
		return false;
	}
	if (strcmp(r->method, "POST") == 0 && !session_csrf_valid(r)) {
		html_error_page(r, 403, "The form's security token is missing or stale: reload the "
		    "page and submit it again.");
		return false;
	}
	return true;
}

void
router_dispatch(struct req *r)
{
	const struct route_entry *found = NULL;
	struct buf allowed = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++) {
		if (!route_match(r, table[i].pattern, r->path, false))
			continue;
		if (strcmp(table[i].method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 && strcmp(table[i].method, "GET") == 0)) {
			found = &table[i];
			break;
		}
		buf_printf(&allowed, "%s%s", allowed.len ? ", " : "", table[i].method);
	}
	if (found == NULL) {
		bool page = strncmp(r->path, "/admin/", 7) == 0;

		if (allowed.len > 0) {
			req_header(r, "Allow: %s", allowed.ptr);
			if (page)
				html_error_page(r, 405, "Use %s for this page.", allowed.ptr);
			else
				json_error(r, 405, "method_not_allowed", "use %s for this endpoint",
				    allowed.ptr);
		} else if (page)
			html_error_page(r, 404, "There is no such page.");
		else
			json_error(r, 404, "not_found", "no such endpoint");
		buf_free(&allowed);
		return;
	}
	buf_free(&allowed);
	route_match(r, found->pattern, r->path, true);
	if (found->secret_segment && r->nparams > 0)
		r->path_secret = r->params[0];
	if (found->auth == AUTH_SESSION && !admin_session_valid(r))
		return;
	if (found->auth == AUTH_API_KEY && !api_key_valid(r) && !api_session_valid(r)) {
		req_header(r, "WWW-Authenticate: Bearer realm=\"wapool\"");
		json_error(r, 401, "unauthorized", "a valid API key is required "
		    "(Authorization: Bearer <api_key> or X-Api-Key), or an admin session "
		    "(with an X-CSRF-Token header on POST)");
		return;
	}
	found->handler(r);
}
