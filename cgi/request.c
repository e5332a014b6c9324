/* request.c: request set-up, body reading, the one place headers are written, access log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "request.h"
#include "util.h"

extern char **environ;

static const struct {
	int		 code;
	const char	*text;
} reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
	{ 303, "See Other" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
	{ 413, "Payload Too Large" }, { 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
	{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
};

static const char *
reason_text(int code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].text;
	return "Status";
}

const char *
req_param(const struct req *r, const char *name)
{
	if (r->fcgx != NULL)
		return FCGX_GetParam(name, r->fcgx->envp);
	return getenv(name);
}

static const char *
param_or(const struct req *r, const char *name, const char *fallback)
{
	const char *v = req_param(r, name);

	return v != NULL ? v : fallback;
}

struct rate *
req_rate(struct req *r)
{
	struct worker *w = r->worker;

	/* Lazily: a worker that only takes webhooks never probes the gates. */
	if (w->rate == NULL)
		w->rate = rate_open(w->mc, &r->app->config, 1);
	return w->rate;
}

void
req_init(struct req *r, struct worker *w, FCGX_Request *fcgx)
{
	const char *uri, *length;
	char *q;
	long long n;

	memset(r, 0, sizeof(*r));
	r->started_us = clock_mono_us();
	r->app = w->app;
	r->worker = w;
	r->db = w->db;
	r->mc = w->mc;
	r->fcgx = fcgx;
	r->status = 200;
	r->mime = "application/json";
	r->method = param_or(r, "REQUEST_METHOD", "GET");
	/*
	 * Servers disagree on SCRIPT_NAME/PATH_INFO splitting (lighttpd with a
	 * "/" prefix, Apache ProxyPass, nginx): the request URI is the one
	 * value they all pass the same way.
	 */
	uri = req_param(r, "REQUEST_URI");
	if (uri == NULL) {
		const char *script = param_or(r, "SCRIPT_NAME", ""), *info = param_or(r, "PATH_INFO", "");
		r->path_copy = xasprintf("%s%s", script, info);
	} else
		r->path_copy = xstrdup(uri);
	if ((q = strchr(r->path_copy, '?')) != NULL)
		*q = '\0';
	r->path = r->path_copy;
	r->query = param_or(r, "QUERY_STRING", "");
	r->content_type = req_param(r, "CONTENT_TYPE");
	r->remote_addr = param_or(r, "REMOTE_ADDR", "");
	length = req_param(r, "CONTENT_LENGTH");
	r->content_length = length != NULL && *length != '\0' && safe_strtoll(length, &n) ? n : -1;
}

int
req_read_body(struct req *r, size_t max)
{
	char chunk[16384];

	if (r->body_read)
		return 0;
	r->body_read = true;
	for (;;) {
		int got;

		if (r->fcgx != NULL)
			got = FCGX_GetStr(chunk, sizeof(chunk), r->fcgx->in);
		else
			got = (int)fread(chunk, 1, sizeof(chunk), stdin);
		if (got <= 0)
			break;
		if (r->body.len + (size_t)got > max) {
			size_t room = max - r->body.len;

			buf_append(&r->body, chunk, room);
			r->body_too_large = true;
			/* Keep draining so the server sees a complete request. */
			continue;
		}
		if (!r->body_too_large)
			buf_append(&r->body, chunk, (size_t)got);
	}
	if (r->body.ptr == NULL)
		buf_append(&r->body, "", 0);
	return 0;
}

void
req_header(struct req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&r->headers, fmt, ap);
	va_end(ap);
	buf_puts(&r->headers, "\r\n");
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
req_query_arg(const struct req *r, const char *name)
{
	size_t namelen = strlen(name);
	const char *p = r->query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > namelen && strncmp(p, name, namelen) == 0 && p[namelen] == '=') {
			struct buf value = BUF_INIT;
			size_t i;

			for (i = namelen + 1; i < len; i++) {
				if (p[i] == '+')
					buf_putc(&value, ' ');
				else if (p[i] == '%' && i + 2 < len + 1 && hex_value(p[i + 1]) >= 0 &&
				    hex_value(p[i + 2]) >= 0) {
					buf_putc(&value, (char)(hex_value(p[i + 1]) * 16 + hex_value(p[i + 2])));
					i += 2;
				} else
					buf_putc(&value, p[i]);
			}
			return buf_take(&value);
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

char *
req_cookie(const struct req *r, const char *name)
{
	const char *p = req_param(r, "HTTP_COOKIE");
	size_t namelen = strlen(name);

	/* "a=1; b=2": the first pair with this exact name wins. */
	while (p != NULL && *p != '\0') {
		size_t len;

		while (*p == ' ' || *p == ';')
			p++;
		len = strcspn(p, ";");
		if (len > namelen && strncmp(p, name, namelen) == 0 && p[namelen] == '=')
			return xstrndup(p + namelen + 1, len - namelen - 1);
		p += len;
	}
	return NULL;
}

static void
req_write(struct req *r, const char *data, size_t len)
{
	if (r->fcgx != NULL)
		FCGX_PutStr(data, (int)len, r->fcgx->out);
	else
		fwrite(data, 1, len, stdout);
}

static void
req_access_log(struct req *r)
{
	char path[512], line[1024], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int64_t elapsed_us = clock_mono_us() - r->started_us;
	const char *secret;
	int n;

	/* The path is request-derived: escaped so it cannot forge a log line. */
	if (r->path_secret != NULL && r->path_secret[0] != '\0' &&
	    (secret = strstr(r->path, r->path_secret)) != NULL) {
		/* A secret in the path (the gateway callback token) is logged as "***". */
		char *masked = xasprintf("%.*s***%s", (int)(secret - r->path), r->path,
		    secret + strlen(r->path_secret));

		log_escape(masked, strlen(masked), path, sizeof(path));
		free(masked);
	} else
		log_escape(r->path, strlen(r->path), path, sizeof(path));
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s %s %d %zu %.3f\n", stamp,
	    strcmp(r->method, "GET") == 0 || strcmp(r->method, "POST") == 0 ||
	    strcmp(r->method, "PUT") == 0 || strcmp(r->method, "DELETE") == 0 ||
	    strcmp(r->method, "HEAD") == 0 ? r->method : "OTHER",
	    path, r->status, r->out.len, (double)elapsed_us / 1000.0);
	if (n > 0)
		(void)write(r->app->access_log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/*
 * End the request, without libfcgi's lingering close when its input was
 * read to the end.  FCGX_Finish_r shuts down our side and then waits
 * (poll, up to 2 s) for the web server to close its side before close(),
 * a guard against a reset eating the answer when unread input is left:
 * one more sleep and wake-up per request (an eighth of wapool.fcgi's CPU
 * in bench/intake.sh).  Once the input stream is closed (the handler read
 * the body to its end, as every webhook does) the server sends nothing
 * more, so a plain close (FCGX_Detach) is safe; a request with input left
 * keeps the guard, with its timeout.
 */
static void
req_fcgx_end(FCGX_Request *fcgx)
{
	if (fcgx->in != NULL && fcgx->in->isClosed)
		FCGX_Detach(fcgx);
	FCGX_Finish_r(fcgx);
}

void
req_end(struct req *r)
{
	FCGX_Request *fcgx = r->fcgx;

	req_finish(r);
	req_fcgx_end(fcgx);
	free(fcgx);
	free(r);
}

void
req_hand_off(struct req *r)
{
	r->worker->handed_off = true;
}

/* The only function that writes a status line and headers: nothing is sent before it. */
void
req_finish(struct req *r)
{
	struct buf head = BUF_INIT;
	size_t i;

	buf_printf(&head, "Status: %d %s\r\n", r->status, reason_text(r->status));
	if (r->mime != NULL)
		buf_printf(&head, "Content-Type: %s\r\n", r->mime);
	buf_printf(&head, "Content-Length: %zu\r\n", r->out.len);
	buf_puts(&head, "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: same-origin\r\n");
	if (r->headers.len > 0)
		buf_append(&head, r->headers.ptr, r->headers.len);
	buf_puts(&head, "\r\n");
	req_write(r, head.ptr, head.len);
	if (strcmp(r->method, "HEAD") != 0 && r->out.len > 0)
		req_write(r, r->out.ptr, r->out.len);
	if (r->fcgx == NULL)
		fflush(stdout);
	req_access_log(r);
	buf_free(&head);
	buf_free(&r->headers);
	buf_free(&r->out);
	buf_free(&r->body);
	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	free(r->path_copy);
	free(r->user_name);
	free(r->csrf_token);
}

void
json_reply(struct req *r, int status, struct json_object *obj)
{
	r->status = status;
	r->mime = "application/json";
	buf_reset(&r->out);
	buf_puts(&r->out, json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(&r->out, '\n');
	json_object_put(obj);
}

void
json_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	struct buf message = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&message, fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(buf_cstr(&message)));
	buf_free(&message);
	json_reply(r, status, o);
}

void
json_unavailable(struct req *r)
{
	req_header(r, "Retry-After: 5");
	json_error(r, 503, "unavailable",
	    "the database is unreachable; nothing was stored, retry later");
}

struct json_object *
req_json_object(struct req *r, int max_depth, char *why, size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *o;
	/*
	 * json-c's UTF-8 check (JSON_TOKENER_VALIDATE_UTF8, a fifth of its
	 * parse time) only looks at byte patterns, so a body that passes the
	 * stricter utf8_valid passes it too and parses the same without it.
	 * A body that fails to parse is parsed again with the check, for
	 * json-c's very own error: next to a syntax error the check may
	 * report "invalid utf-8 string" even for valid UTF-8.  Compared on
	 * 20,000 mutated orders: the same objects, ends and errors.
	 */
	bool checked = !utf8_valid(r->body.ptr, r->body.len);

	for (;;) {
		tok = json_tokener_new_ex(max_depth);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
		    (checked ? JSON_TOKENER_VALIDATE_UTF8 : 0));
		o = json_tokener_parse_ex(tok, r->body.ptr, (int)r->body.len);
		if (checked || (o != NULL && json_tokener_get_parse_end(tok) == r->body.len))
			break;
		json_object_put(o);
		json_tokener_free(tok);
		checked = true;
	}
	if (o == NULL || json_tokener_get_parse_end(tok) < r->body.len) {
		enum json_tokener_error error = json_tokener_get_error(tok);

		/* The byte offset lets a sender find the fault in a large payload. */
		snprintf(why, whylen, "malformed JSON: %s at byte %zu",
		    o == NULL ? (error == json_tokener_continue ? "unexpected end of input" :
		    json_tokener_error_desc(error)) : "trailing characters after the document",
		    json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "the body must be a JSON object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}
