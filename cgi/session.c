/* session.c: admin session cookie -> struct req, and the CSRF check. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "session.h"
#include "sessions.h"
#include "util.h"

int
session_load(struct req *r)
{
	struct session_row s;
	char *token = req_cookie(r, SESSION_COOKIE);
	int rc;

	if (token == NULL)
		return DB_NOT_FOUND;
	rc = session_lookup(r->db, token, &s);
	explicit_bzero(token, strlen(token));
	free(token);
	if (rc != DB_OK)
		return rc;
	r->user_id = s.user_id;
	free(r->user_name);
	r->user_name = s.user_name;
	free(r->csrf_token);
	r->csrf_token = xstrdup(s.csrf);
	return DB_OK;
}

bool
session_csrf_valid(struct req *r)
{
	const char *header = req_param(r, "HTTP_X_CSRF_TOKEN");
	char *field = NULL;
	bool ok = false;

	if (r->csrf_token == NULL || r->csrf_token[0] == '\0')
		return false;
	if (header != NULL)
		return const_time_equal(header, strlen(header), r->csrf_token,
		    strlen(r->csrf_token));
	req_read_body(r, FORM_MAX_BODY);
	if (!r->body_too_large && (field = form_lookup(r->body.ptr, r->body.len, "csrf")) != NULL)
		ok = const_time_equal(field, strlen(field), r->csrf_token, strlen(r->csrf_token));
	free(field);
	return ok;
}

/*
 * Served over TLS: the web server says so with HTTPS=on (lighttpd, Apache
 * mod_ssl, nginx's "fastcgi_param HTTPS $https") or REQUEST_SCHEME=https.
 * Forwarded headers are not trusted here: behind a TLS proxy set
 * cookie_secure.
 */
static bool
session_over_tls(const struct req *r)
{
	const char *https = req_param(r, "HTTPS"), *scheme = req_param(r, "REQUEST_SCHEME");

	return (https != NULL && strcasecmp(https, "on") == 0) ||
	    (scheme != NULL && strcasecmp(scheme, "https") == 0);
}

void
session_cookie(struct req *r, const char *name, const char *value, long long max_age)
{
	req_header(r, "Set-Cookie: %s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
	    name, max_age > 0 ? value : "", max_age > 0 ? max_age : 0,
	    r->app->config.cookie_secure || session_over_tls(r) ? "; Secure" : "");
}
