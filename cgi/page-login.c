/*
 * page-login.c: GET/POST /admin/login, POST /admin/logout, GET /admin.
 *
 * Before login there is no session to hold a CSRF token, so the login form
 * uses a double-submit token: a random value both in a SameSite=Strict
 * cookie and in the form, compared on POST.
 */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "session.h"
#include "sessions.h"
#include "users.h"
#include "util.h"

enum {
	K_USERNAME,
	K_PASSWORD,
	K_NEXT,
	K__MAX
};

static const struct form_field keys[K__MAX] = {
	{ "username", FORM_TEXT, true, 100, 0, 0, NULL, NULL },		/* K_USERNAME */
	{ "password", FORM_SECRET, true, 1024, 0, 0, NULL, NULL },	/* K_PASSWORD */
	{ "next", FORM_TEXT, false, 500, 0, 0, NULL, NULL },		/* K_NEXT */
};

/* Where to go after login: only our own admin pages. */
static const char *
safe_next(const char *next)
{
	if (next == NULL || strncmp(next, "/admin/", 7) != 0 || strstr(next, "//") != NULL ||
	    strchr(next, '\\') != NULL)
		return "/admin/";
	return next;
}

/* The form, with a fresh double-submit token; errors beside their fields. */
static void
login_render(struct req *r, int status, const char *username, const char *next,
    const char *user_error, const char *password_error, const char *notice)
{
	char token[SESSION_TOKEN_LEN + 1];

	if (session_random_hex(token, SESSION_TOKEN_LEN / 2) != 0) {
		html_error_page(r, 500, "No randomness available for the login form.");
		return;
	}
	session_cookie(r, LOGIN_COOKIE, token, 3600);
	free(r->csrf_token);
	r->csrf_token = xstrdup(token);
	r->status = status;
	html_page_begin(r, "Sign in", NAV_NONE, 0);
	if (notice != NULL)
		html_notice(r, "error", notice);
	html_form_begin(r, "/admin/login", "card narrow");
	html_hidden(r, "next", safe_next(next));
	html_field(r, "User name", "username", "text", username, user_error, NULL);
	html_field(r, "Password", "password", "password", NULL, password_error, NULL);
	html_button(r, "Sign in", "primary");
	html_form_end(r);
	html_page_end(r);
}

/* GET /admin/login: the form, or the dashboard when already signed in. */
void
page_login_form(struct req *r)
{
	char *next = req_query_arg(r, "next");

	if (session_load(r) == DB_OK)
		html_redirect(r, safe_next(next));
	else
		login_render(r, 200, NULL, next, NULL, NULL, NULL);
	free(next);
}

/*
 * POST /admin/login.  Raises 403 (stale form token), 401 (wrong name or
 * password, the same answer for both), 429 (locked out), 503 (database).
 * On success: a new session, its cookie, 303 to next.
 */
void
page_login(struct req *r)
{
	char token[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char *cookie = req_cookie(r, LOGIN_COOKIE), *sent = NULL, *old = NULL;
	long long user_id = 0, locked = 0;
	struct form f;
	enum user_login result;
	int rc = DB_OK;

	form_parse(r, keys, K__MAX, &f);
	if (f.bad_body) {
		login_render(r, 400, NULL, NULL, NULL, NULL, "The form could not be read.");
		goto out;
	}
	sent = form_lookup(r->body.ptr, r->body.len, "csrf");
	if (cookie == NULL || sent == NULL || strlen(cookie) != SESSION_TOKEN_LEN ||
	    !const_time_equal(cookie, strlen(cookie), sent, strlen(sent))) {
		login_render(r, 403, f.v[K_USERNAME].s, f.v[K_NEXT].s, NULL, NULL,
		    "The sign-in form expired (or cookies are blocked): please try again.");
		goto out;
	}
	if (form_errors(&f) > 0) {
		login_render(r, 400, f.v[K_USERNAME].s, f.v[K_NEXT].s, f.v[K_USERNAME].error,
		    f.v[K_PASSWORD].error, NULL);
		goto out;
	}
	result = user_authenticate(r->db, f.v[K_USERNAME].s, f.v[K_PASSWORD].s,
	    r->app->config.login_max_failures, r->app->config.login_lockout_minutes,
	    &user_id, &locked, &rc);
	switch (result) {
	case USER_LOGIN_OK:
		break;
	case USER_LOGIN_LOCKED: {
		long long minutes = (locked + 59) / 60;
		char *why = xasprintf("too many failed attempts: this account is locked for %lld more "
		    "minute%s", minutes, minutes == 1 ? "" : "s");

		req_header(r, "Retry-After: %lld", locked);
		login_render(r, 429, f.v[K_USERNAME].s, f.v[K_NEXT].s, NULL, why, NULL);
		free(why);
		goto out;
	}
	case USER_LOGIN_BAD:
		log_info("admin login failed for a user name of %zu characters from %s",
		    strlen(f.v[K_USERNAME].s), r->remote_addr);
		login_render(r, 401, f.v[K_USERNAME].s, f.v[K_NEXT].s, NULL,
		    "wrong user name or password", NULL);
		goto out;
	default:
		req_header(r, "Retry-After: 5");
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	/* A session that existed before login is replaced, never reused (fixation). */
	if ((old = req_cookie(r, SESSION_COOKIE)) != NULL)
		(void)session_delete(r->db, old);
	if ((rc = session_create(r->db, user_id, r->app->config.session_hours, token, csrf)) !=
	    DB_OK) {
		html_error_page(r, 503, "The session could not be stored; try again in a moment.");
		goto out;
	}
	session_cookie(r, SESSION_COOKIE, token, r->app->config.session_hours * 3600);
	session_cookie(r, LOGIN_COOKIE, NULL, 0);
	html_redirect(r, safe_next(f.v[K_NEXT].s));
	explicit_bzero(token, sizeof(token));
out:
	if (f.v != NULL && f.v[K_PASSWORD].s != NULL)
		explicit_bzero(f.v[K_PASSWORD].s, strlen(f.v[K_PASSWORD].s));
	form_free(&f);
	free(cookie);
	free(sent);
	free(old);
}

/* POST /admin/logout (session + CSRF checked by the router): 303 to the login page. */
void
page_logout(struct req *r)
{
	char *token = req_cookie(r, SESSION_COOKIE);

	if (token != NULL && session_delete(r->db, token) != DB_OK)
		log_warnx("logout: the session row could not be deleted: %s", db_error(r->db));
	free(token);
	session_cookie(r, SESSION_COOKIE, NULL, 0);
	html_redirect(r, "/admin/login");
}

/* GET /admin: the dashboard lives at /admin/. */
void
page_admin_root(struct req *r)
{
	html_redirect(r, "/admin/");
}
