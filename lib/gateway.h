/* gateway.h: the driver interface every gateway kind (Evolution, WPPConnect, Meta) implements. */
#ifndef WAPOOL_GATEWAY_H
#define WAPOOL_GATEWAY_H

#include <stddef.h>
#include <curl/curl.h>

#include "buf.h"
#include "rate.h"

/* Where and as whom to talk to one instance. */
struct gateway_endpoint {
	const char	*base_url;	/* no trailing slash needed */
	const char	*api_key;	/* the server's global key */
	const char	*instance_name;
	const char	*instance_token;
	const char	*external_id;	/* Meta phone-number-id, may be NULL */
};

/* An HTTP request a driver built; the daemon runs it on libcurl's multi handle. */
struct gateway_request {
	char		*url;
	const char	*method;	/* "GET", "POST", "DELETE" */
	struct curl_slist *headers;
	char		*body;		/* NULL for no body */
};

/* How a send ended, from the message's point of view. */
enum send_class {
	SEND_OK,		/* accepted by the gateway */
	SEND_RETRY,		/* may work later (5xx, timeout): spends an attempt */
	SEND_THROTTLED,		/* the gateway asked us to slow down: no attempt spent */
	SEND_UNAVAILABLE,	/* the instance/gateway cannot send now (down, not connected): no attempt */
	SEND_PERMANENT,		/* will never work (number not on WhatsApp, bad request) */
	SEND_CLASS__MAX
};

struct send_result {
	enum send_class	 class;
	enum rate_signal signal;	/* what the answer says about the rate (RATE_SIGNAL_OK if nothing) */
	char		 gateway_message_id[128];
	char		 error[300];	/* short reason for the message's last_error */
};

/* Connection state of an instance as a health check saw it. */
enum gateway_state {
	GATEWAY_STATE_CONNECTED,
	GATEWAY_STATE_CONNECTING,
	GATEWAY_STATE_DISCONNECTED,
	GATEWAY_STATE_REFUSED,
	GATEWAY_STATE_UNREACHABLE,	/* the server did not answer: the instance's state is unknown */
};

struct gateway_driver {
	const char	*kind;
	/* Build a text send to recipient ("+55..." E.164). 0 or -1. */
	int	(*build_text)(const struct gateway_endpoint *e, const char *recipient,
		    const char *text, struct gateway_request *out);
	/* Build a "typing..." presence lasting typing_ms; NULL when the gateway has none. */
	int	(*build_typing)(const struct gateway_endpoint *e, const char *recipient,
		    int typing_ms, struct gateway_request *out);
	/* Classify a send's answer (curl_code != CURLE_OK: no HTTP answer). */
	void	(*parse_send)(CURLcode curl_code, long http_status, const char *body,
		    size_t len, struct send_result *out);
	/* Build the health check request. */
	int	(*build_state)(const struct gateway_endpoint *e, struct gateway_request *out);
	/* Read the health check answer; detail gets a short description. */
	enum gateway_state (*parse_state)(CURLcode curl_code, long http_status,
		    const char *body, size_t len, char *detail, size_t detailsz);
};

/* The driver for kind ("evolution", ...), or NULL when wapool has none yet. */
const struct gateway_driver *gateway_driver_find(const char *kind);

/* Helpers for drivers. */
void	gateway_request_init(struct gateway_request *r, const char *method, const char *url);
void	gateway_request_header(struct gateway_request *r, const char *name, const char *value);
void	gateway_request_free(struct gateway_request *r);
/* base (trailing '/' dropped) + prefix + URL-escaped segment; caller frees. */
char	*gateway_url(const char *base, const char *prefix, const char *segment);
/*
 * Point easy at r: URL, method, headers, body, timeouts (connect and total
 * always set), and a response body capped at max bytes into response.
 */
void	gateway_request_apply(CURL *easy, struct gateway_request *r, long connect_timeout_ms,
	    long total_timeout_ms, struct buf *response);
const char *gateway_state_str(enum gateway_state s);
const char *send_class_str(enum send_class c);

#endif
