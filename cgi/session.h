/* session.h: the admin session cookie and the CSRF check, as the router and login page use them. */
#ifndef WAPOOL_CGI_SESSION_H
#define WAPOOL_CGI_SESSION_H

#include <stdbool.h>

#include "request.h"

#define SESSION_COOKIE	"wapool_session"
/* Before login there is no session: the login form's CSRF token is a double-submit cookie. */
#define LOGIN_COOKIE	"wapool_login"

/*
 * Load the session named by the request's cookie: on DB_OK sets
 * r->user_id, r->user_name and r->csrf_token.  DB_NOT_FOUND when there is
 * no valid session, DB_DOWN/DB_ERROR when the database failed.
 */
int	session_load(struct req *r);
/*
 * True when the request carries the CSRF token of r->csrf_token: the
 * "csrf" field of an urlencoded body, or an X-CSRF-Token header (JSON API
 * calls from app.js).  Reads the body.  Constant-time comparison.
 */
bool	session_csrf_valid(struct req *r);
/*
 * Set (max_age > 0) or clear (max_age 0) a cookie: Path=/, HttpOnly,
 * SameSite=Strict, and Secure when cookie_secure is set or the request came
 * over TLS (HTTPS=on or REQUEST_SCHEME=https from the web server).
 */
void	session_cookie(struct req *r, const char *name, const char *value, long long max_age);

#endif
