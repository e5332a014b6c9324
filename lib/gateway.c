/* gateway.c: the driver registry and the HTTP plumbing drivers share. */
#include <string.h>
#include <stdlib.h>

#include "gateway.h"
#include "util.h"

/* Bodies beyond this are cut: a gateway's answer never needs more. */
#define RESPONSE_CAP (64 * 1024)

extern const struct gateway_driver gateway_evolution;

static const struct gateway_driver *const drivers[] = {
	&gateway_evolution,
};

const struct gateway_driver *
gateway_driver_find(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < ARRAY_SIZE(drivers); i++)
		if (strcmp(drivers[i]->kind, kind) == 0)
			return drivers[i];
	return NULL;
}

void
gateway_request_init(struct gateway_request *r, const char *method, const char *url)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = xstrdup(url);
}

void
gateway_request_header(struct gateway_request *r, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s", name, value);
	struct curl_slist *list = curl_slist_append(r->headers, line);

	free(line);
	if (list == NULL)
		abort();	/* curl_slist_append fails only when out of memory */
	r->headers = list;
}

void
gateway_request_free(struct gateway_request *r)
{
	free(r->url);
	free(r->body);
	curl_slist_free_all(r->headers);
	memset(r, 0, sizeof(*r));
}

char *
gateway_url(const char *base, const char *prefix, const char *segment)
{
	size_t len = strlen(base);
	char *escaped = curl_easy_escape(NULL, segment, 0);
	char *url;

	while (len > 0 && base[len - 1] == '/')
		len--;
	url = xasprintf("%.*s%s%s", (int)len, base, prefix, escaped != NULL ? escaped : "");
	curl_free(escaped);
	return url;
}

static size_t
response_write(char *data, size_t size, size_t count, void *arg)
{
	struct buf *response = arg;
	size_t len = size * count;

	if (response->len < RESPONSE_CAP)
		buf_append(response, data,
		    response->len + len > RESPONSE_CAP ? RESPONSE_CAP - response->len : len);
	/* Accept (and drop) the rest so the connection stays reusable. */
	return len;
}

void
gateway_request_apply(CURL *easy, struct gateway_request *r, long connect_timeout_ms,
    long total_timeout_ms, struct buf *response)
{
	curl_easy_setopt(easy, CURLOPT_URL, r->url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, total_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, response_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, response);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "wapool/" WAPOOL_VERSION);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	/*
	 * Gateway answers are a few hundred bytes and the body is collected
	 * in our own buffer whatever its size, so libcurl's read buffer only
	 * sets how many recv() calls an answer takes.  libcurl allocates it
	 * for every transfer in flight: 16 KiB (its default) cost wapoold
	 * 4 MiB at 256 sends in flight, 4 KiB still 1 MiB of its 6.5 MiB
	 * peak heap (heaptrack).  1 KiB is libcurl's minimum; the simulator's
	 * whole answer, headers included, is ~600 bytes, and a larger one
	 * costs one more recv(), not a lost byte.
	 */
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 1024L);
	/*
	 * Every option a request may set is set here each time, method and
	 * body included: wapoold reuses its handles without curl_easy_reset(),
	 * which freed and rebuilt a handle's whole state on every send.
	 */
	if (r->body != NULL || strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, r->body != NULL ? (long)strlen(r->body) : 0L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
	} else
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST,
	    strcmp(r->method, "GET") == 0 || strcmp(r->method, "POST") == 0 ? NULL : r->method);
}

const char *
gateway_state_str(enum gateway_state s)
{
	switch (s) {
	case GATEWAY_STATE_CONNECTED:		return "connected";
	case GATEWAY_STATE_CONNECTING:		return "connecting";
	case GATEWAY_STATE_DISCONNECTED:	return "disconnected";
	case GATEWAY_STATE_REFUSED:		return "refused";
	case GATEWAY_STATE_UNREACHABLE:		return "unreachable";
	}
	return "unknown";
}

const char *
send_class_str(enum send_class c)
{
	static const char *const names[SEND_CLASS__MAX] = {
		"ok", "retry", "throttled", "unavailable", "permanent",
	};

	return c < SEND_CLASS__MAX ? names[c] : "unknown";
}
