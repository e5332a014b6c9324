/* gateway-admin.h: synchronous instance management on a gateway server (Evolution API v2). */
#ifndef WAPOOL_GATEWAY_ADMIN_H
#define WAPOOL_GATEWAY_ADMIN_H

#include <stddef.h>

#include "buf.h"

enum gwa_result {
	GWA_OK,
	GWA_EXISTS,		/* create: 403 "This name ... is already in use." */
	GWA_NOT_FOUND,		/* 404: the gateway has no such instance */
	GWA_UNAUTHORIZED,	/* 401: the API key was refused */
	GWA_REFUSED,		/* any other error answer (message in err) */
	GWA_UNREACHABLE,	/* connection, TLS or timeout failure */
	GWA_BAD_REPLY,		/* an answer that is not the JSON we expect, or too large */
	GWA_UNSUPPORTED,	/* the gateway kind has no such operation */
	GWA_RESULT__MAX
};

/* Where and how to call; strings borrowed. */
struct gwa_server {
	const char	*kind;		/* evolution | wppconnect | meta */
	const char	*base_url;
	const char	*api_key;	/* the server's global key */
	long		 connect_timeout_ms;
	long		 timeout_ms;
};

/* What GET /instance/connect answered. */
struct gwa_qr {
	char	*base64;	/* "data:image/png;base64,..." or NULL */
	char	*code;		/* raw QR text or NULL */
	char	*pairing_code;	/* 8 characters when a number was given, else NULL */
	int	 count;		/* QR refreshes so far */
	char	*state;		/* "open" when the instance is already connected, else NULL */
};

/* One instance as fetchInstances lists it. */
struct gwa_remote {
	char	*name;
	char	*state;		/* open | connecting | close */
	char	*number;
	char	*owner_jid;
};

/*
 * Every call is synchronous (libcurl easy, connect and total timeouts
 * always set, response bodies capped at 2 MiB) and writes a one-line human
 * explanation into err on anything but GWA_OK.  Instance names are
 * percent-encoded into paths.
 */

/* GET / (no key) then GET /instance/fetchInstances (key): a summary line in answer. */
enum gwa_result gwa_test(const struct gwa_server *s, struct buf *answer);
/*
 * POST /instance/create {instanceName, integration WHATSAPP-BAILEYS,
 * qrcode false, webhook {url, byEvents false, events [...]}} (webhook
 * omitted when webhook_url is NULL).  On GWA_OK *token (the instance's
 * "hash") and *external_id (instanceId) are new strings or NULL; the caller
 * frees them.  GWA_EXISTS when the name is in use on the server.
 */
enum gwa_result gwa_create(const struct gwa_server *s, const char *name, const char *webhook_url,
	    char **token, char **external_id, struct buf *err);
/* GET /instance/connect/{name}[?number=digits]: QR or "already open" (free with gwa_qr_free). */
enum gwa_result gwa_connect(const struct gwa_server *s, const char *name, const char *number,
	    struct gwa_qr *qr, struct buf *err);
void	gwa_qr_free(struct gwa_qr *qr);
/* GET /instance/connectionState/{name}: *state = "open" | "connecting" | "close" | ... (caller frees). */
enum gwa_result gwa_state(const struct gwa_server *s, const char *name, char **state,
	    struct buf *err);
/* GET /instance/fetchInstances: *list of *n (free with gwa_remote_free). */
enum gwa_result gwa_fetch(const struct gwa_server *s, struct gwa_remote **list, size_t *n,
	    struct buf *err);
void	gwa_remote_free(struct gwa_remote *list, size_t n);
/* DELETE /instance/logout/{name}; "not connected" (400) counts as done. */
enum gwa_result gwa_logout(const struct gwa_server *s, const char *name, struct buf *err);
/* DELETE /instance/delete/{name}. */
enum gwa_result gwa_delete(const struct gwa_server *s, const char *name, struct buf *err);

const char *gwa_result_str(enum gwa_result r);
/* Evolution's connection state mapped to instances.state (open -> connected ...). */
const char *gwa_state_to_instance(const char *state);

#endif
