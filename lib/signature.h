/* signature.h: HMAC-SHA256 webhook signatures and bearer secrets. */
#ifndef WAPOOL_SIGNATURE_H
#define WAPOOL_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum signature_result {
	SIGNATURE_OK,
	SIGNATURE_MISSING,
	SIGNATURE_MALFORMED,	/* not "t=<unix>,v1=<hex>" */
	SIGNATURE_EXPIRED,	/* outside the replay window, either direction */
	SIGNATURE_MISMATCH,
	SIGNATURE_RESULT__MAX
};

/* HMAC-SHA256(key, data) as 64 lowercase hex characters + NUL. */
void hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t datalen, char out[65]);

/*
 * Verify "t=<unix>,v1=<hex>[,v1=<hex>...]" (several v1 allowed during a
 * secret rotation) as HMAC-SHA256(secret, "<t>.<body>").  now and
 * tolerance are in seconds.  Constant-time comparison.
 */
enum signature_result signature_verify(const char *header, const char *secret,
    const void *body, size_t bodylen, int64_t now, int64_t tolerance);
/* Writes "t=<t>,v1=<hex>" into out (at least 96 bytes). */
void signature_make(const char *secret, int64_t t, const void *body,
    size_t bodylen, char *out, size_t outsz);
/* Verify a "sha256=<hex>" header over the raw body (Meta X-Hub-Signature-256). */
bool signature_verify_sha256_header(const char *header, const char *secret,
    const void *body, size_t bodylen);
/* True when authorization is exactly "Bearer <secret>" (constant time). */
bool bearer_verify(const char *authorization, const char *secret);
const char *signature_result_str(enum signature_result r);

#endif
