/* request.h: the request struct every handler receives, and the app it belongs to. */
#ifndef WAPOOL_REQUEST_H
#define WAPOOL_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "mc.h"
#include "rate.h"

struct committer;
struct route_cache;
struct wake_sender;

/* What lives as long as the process: shared by every worker thread. */
struct app {
	struct config		 config;
	struct committer	*committer;	/* NULL in plain CGI mode: store inline */
	struct route_cache	*routes;
	struct wake_sender	*wake;
	int			 access_log_fd;
};

/* What one worker thread owns: never shared, so never locked. */
struct worker {
	struct app	*app;
	struct db	*db;
	struct mc	*mc;
	struct rate	*rate;	/* opened by the first req_rate(): read-only views of the gates */
	bool		 handed_off;	/* the current request went to another thread (req_hand_off) */
};

#define REQ_MAX_PARAMS 4

struct req {
	struct app	*app;
	struct worker	*worker;
	struct db	*db;
	struct mc	*mc;
	FCGX_Request	*fcgx;		/* NULL when run as plain CGI */
	/* input */
	const char	*method;
	const char	*path;		/* without the query string */
	const char	*query;
	const char	*content_type;
	long long	 content_length;	/* -1 when absent */
	const char	*remote_addr;
	char		*params[REQ_MAX_PARAMS];	/* path segments matched by '*' */
	size_t		 nparams;
	const char	*path_secret;	/* a secret path segment (params[0]), never logged */
	struct buf	 body;
	bool		 body_read;
	bool		 body_too_large;
	/* output: collected, then written once by req_finish() */
	int		 status;
	const char	*mime;
	struct buf	 headers;
	struct buf	 out;
	int64_t		 started_us;
	char		*path_copy;
	/* admin session, filled by the router (session.c); freed by req_finish() */
	long long	 user_id;	/* 0: no session */
	char		*user_name;
	char		*csrf_token;	/* the session's token, or the login form's */
};

/* Set up r from the FastCGI request (fcgx) or the CGI environment (fcgx NULL). */
void	req_init(struct req *r, struct worker *w, FCGX_Request *fcgx);
/*
 * The worker's handle on the rate gates, for rate_describe() only (never
 * rate_acquire: it is not safe beside other threads, see doc/rate-gates.md).
 */
struct rate *req_rate(struct req *r);
/* Write status, headers and body once, log the access line, release r's memory. */
void	req_finish(struct req *r);
/*
 * For a FastCGI request whose r and FCGX_Request the worker allocated:
 * req_finish, end the FastCGI request, free both.  Safe on any thread.
 */
void	req_end(struct req *r);
/*
 * The handler passes r to another thread, which will answer it with
 * req_end: the worker neither answers nor frees it, and goes on to the
 * next request.  Call before handing over; r may be gone right after.
 */
void	req_hand_off(struct req *r);

/* A CGI/FastCGI parameter such as "HTTP_AUTHORIZATION"; NULL when absent. */
const char *req_param(const struct req *r, const char *name);
/*
 * Read the body, at most max bytes.  Returns 0; sets r->body_too_large
 * (and keeps only the first max bytes) when it is longer.
 */
int	req_read_body(struct req *r, size_t max);
/*
 * The body read by req_read_body() as one JSON object: strict, valid UTF-8,
 * at most max_depth deep.  NULL on failure, with why ("malformed JSON:
 * <parser's reason> at byte N", or "the body must be a JSON object").
 * The caller owns the object.
 */
struct json_object *req_json_object(struct req *r, int max_depth, char *why, size_t whylen);
/* Add one response header line ("Name: value", no CRLF). */
void	req_header(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Value of a query-string argument (decoded, caller frees), or NULL. */
char	*req_query_arg(const struct req *r, const char *name);
/* Value of cookie name from the Cookie header (caller frees), or NULL. */
char	*req_cookie(const struct req *r, const char *name);

/* Reply with obj (consumed) as JSON. */
void	json_reply(struct req *r, int status, struct json_object *obj);
/* Reply {"error": code, "message": formatted} with status. */
void	json_error(struct req *r, int status, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* 503 with Retry-After for a database outage. */
void	json_unavailable(struct req *r);

#endif
