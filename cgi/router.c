/* router.c: the routing table; method, auth and path matching happen here, not in handlers. */
#include <string.h>

#include "handlers.h"
#include "router.h"
#include "signature.h"
#include "util.h"

enum auth {
	AUTH_NONE,	/* the handler authenticates itself (webhook secrets) or needs none */
	AUTH_API_KEY,	/* Authorization: Bearer <api_key> or X-Api-Key: <api_key> */
};

struct route_entry {
	const char	*method;
	const char	*pattern;	/* '*' matches exactly one non-empty segment */
	void		(*handler)(struct req *);
	enum auth	 auth;
};

/* First match wins: specific paths before the generic webhook pattern. */
static const struct route_entry table[] = {
	{ "POST", "/webhook/*/*",		webhook_business,	AUTH_NONE },
	{ "GET",  "/healthz",			health_check,		AUTH_NONE },
	{ "GET",  "/api/webhooks/stats",	api_stats_today,	AUTH_API_KEY },
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
		if (allowed.len > 0) {
			req_header(r, "Allow: %s", allowed.ptr);
			json_error(r, 405, "method_not_allowed", "use %s for this endpoint",
			    allowed.ptr);
		} else
			json_error(r, 404, "not_found", "no such endpoint");
		buf_free(&allowed);
		return;
	}
	buf_free(&allowed);
	route_match(r, found->pattern, r->path, true);
	if (found->auth == AUTH_API_KEY && !api_key_valid(r)) {
		req_header(r, "WWW-Authenticate: Bearer realm=\"wapool\"");
		json_error(r, 401, "unauthorized", "a valid API key is required "
		    "(Authorization: Bearer <api_key> or X-Api-Key)");
		return;
	}
	found->handler(r);
}
