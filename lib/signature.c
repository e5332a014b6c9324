/* signature.c: check that a webhook really comes from the shop (HMAC-SHA256, bearer secrets). */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "signature.h"
#include "util.h"

#define SHA256_BYTES		32
#define SHA256_BLOCK		64
#define SHA256_HEX		(2 * SHA256_BYTES)
/* 18 digits cannot overflow int64_t; real timestamps have 10. */
#define TIMESTAMP_MAX_DIGITS	18
/* More v1 entries than any rotation needs is a malformed header. */
#define SIGNATURE_MAX_V1	8

static const char *const result_names[SIGNATURE_RESULT__MAX] = {
	"ok",						/* SIGNATURE_OK */
	"signature header missing",			/* SIGNATURE_MISSING */
	"signature header malformed",			/* SIGNATURE_MALFORMED */
	"signature timestamp outside the window",	/* SIGNATURE_EXPIRED */
	"signature does not match",			/* SIGNATURE_MISMATCH */
};

/* The parts of a "t=<unix>,v1=<hex>[,v1=<hex>...]" header. */
struct parsed_header {
	const char	*t;		/* the digits, as sent: they are signed as text */
	size_t		 t_len;
	int64_t		 timestamp;
	unsigned char	 v1[SIGNATURE_MAX_V1][SHA256_BYTES];
	size_t		 v1_count;
};

/*
 * SHA-256 fetched once.  HMAC() and EVP_sha256() make OpenSSL 3 look the
 * algorithms up by name on every call (EVP_Q_mac: a MAC fetch, a digest
 * fetch, parameter parsing, under the store's locks): 40,000 instructions
 * per bearer check in wapool.fcgi, ten times the hashing itself.  With
 * the digest in hand, HMAC is two hashes (RFC 2104).
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* ctx = SHA-256(a || b) into out; 0 or -1. */
static int
sha256_two(EVP_MD_CTX *ctx, const void *a, size_t alen, const void *b, size_t blen,
    unsigned char *out)
{
	if (EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1 ||
	    (alen > 0 && EVP_DigestUpdate(ctx, a, alen) != 1) ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return -1;
	return 0;
}

/* HMAC-SHA256 into md (RFC 2104); 0, or -1 when OpenSSL fails. */
static int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t datalen,
    unsigned char md[SHA256_BYTES])
{
	unsigned char k[SHA256_BLOCK], pad[SHA256_BLOCK], inner[SHA256_BYTES];
	EVP_MD_CTX *ctx;
	size_t i;
	int rc = -1;

	if (pthread_once(&sha256_once, sha256_fetch) != 0 || sha256_md == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	memset(k, 0, sizeof(k));
	if (keylen > SHA256_BLOCK) {
		/* A key longer than the block is hashed first. */
		if (sha256_two(ctx, key, keylen, NULL, 0, k) != 0)
			goto out;
	} else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (sha256_two(ctx, pad, sizeof(pad), data, datalen, inner) != 0)
		goto out;
	for (i = 0; i < SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	if (sha256_two(ctx, pad, sizeof(pad), inner, sizeof(inner), md) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	EVP_MD_CTX_free(ctx);
	return rc;
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

/* Decodes exactly 64 hex digits (either case) into 32 bytes; false otherwise. */
static bool
hex_decode_sha256(const char *hex, size_t len, unsigned char out[SHA256_BYTES])
{
	size_t i;
	int high, low;

	if (len != SHA256_HEX)
		return false;
	for (i = 0; i < SHA256_BYTES; i++) {
		high = hex_value(hex[2 * i]);
		low = hex_value(hex[2 * i + 1]);
		if (high < 0 || low < 0)
			return false;
		out[i] = (unsigned char)(high << 4 | low);
	}
	return true;
}

/*
 * Splits header into its t and v1 items.  Strict: items are separated by
 * single commas with no blanks, t appears once and is 1-18 digits, every
 * v1 is 64 hex digits, at least one v1, no other keys.  Returns false on
 * anything else.
 */
static bool
parse_header(const char *header, struct parsed_header *h)
{
	const char *item = header, *end, *equals, *value;
	size_t keylen, valuelen, i;

	memset(h, 0, sizeof(*h));
	for (;;) {
		end = strchr(item, ',');
		if (end == NULL)
			end = item + strlen(item);
		equals = memchr(item, '=', (size_t)(end - item));
		if (equals == NULL)
			return false;
		keylen = (size_t)(equals - item);
		value = equals + 1;
		valuelen = (size_t)(end - value);

		if (keylen == 1 && item[0] == 't') {
			if (h->t != NULL || valuelen == 0 ||
			    valuelen > TIMESTAMP_MAX_DIGITS)
				return false;
			h->timestamp = 0;
			for (i = 0; i < valuelen; i++) {
				if (value[i] < '0' || value[i] > '9')
					return false;
				h->timestamp = h->timestamp * 10 + (value[i] - '0');
			}
			h->t = value;
			h->t_len = valuelen;
		} else if (keylen == 2 && item[0] == 'v' && item[1] == '1') {
			if (h->v1_count == SIGNATURE_MAX_V1 ||
			    !hex_decode_sha256(value, valuelen, h->v1[h->v1_count]))
				return false;
			h->v1_count++;
		} else
			return false;

		if (*end == '\0')
			break;
		item = end + 1;
	}
	return h->t != NULL && h->v1_count > 0;
}

/* True when t is within tolerance seconds of now, in the past or the future. */
static bool
within_window(int64_t t, int64_t now, int64_t tolerance)
{
	uint64_t distance;

	if (tolerance < 0)
		tolerance = 0;
	/* Unsigned arithmetic: the distance fits even when now is far negative. */
	if (now >= t)
		distance = (uint64_t)now - (uint64_t)t;
	else
		distance = (uint64_t)t - (uint64_t)now;
	return distance <= (uint64_t)tolerance;
}

/*
 * Writes HMAC-SHA256(key, data) as 64 lowercase hex digits and a NUL.
 * Should OpenSSL fail (out of memory), out is "", which never verifies.
 */
void
hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t datalen, char out[65])
{
	unsigned char md[SHA256_BYTES];

	if (hmac_sha256(key, keylen, data, datalen, md) != 0) {
		out[0] = '\0';
		return;
	}
	hex_encode(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
}

/*
 * Verifies header ("t=<unix>,v1=<hex>[,v1=<hex>...]") against
 * HMAC-SHA256(secret, "<t>.<body>").  Returns SIGNATURE_MISSING for a NULL
 * or empty header, SIGNATURE_MALFORMED when the header breaks the strict
 * syntax, SIGNATURE_MISMATCH when no v1 matches (or secret is NULL or
 * empty: a route without a secret must not accept anything), and
 * SIGNATURE_EXPIRED when a v1 matches but t is more than tolerance seconds
 * away from now in either direction.  The signature is checked before
 * the time, so EXPIRED means an authentic but stale or replayed request.
 */
enum signature_result
signature_verify(const char *header, const char *secret, const void *body,
    size_t bodylen, int64_t now, int64_t tolerance)
{
	struct parsed_header h;
	struct buf message = BUF_INIT;
	unsigned char expected[SHA256_BYTES];
	enum signature_result rc = SIGNATURE_MISMATCH;
	size_t i;
	int matched = 0;

	if (header == NULL || header[0] == '\0')
		return SIGNATURE_MISSING;
	if (!parse_header(header, &h))
		return SIGNATURE_MALFORMED;
	if (secret == NULL || secret[0] == '\0')
		return SIGNATURE_MISMATCH;

	buf_append(&message, h.t, h.t_len);
	buf_putc(&message, '.');
	if (bodylen > 0)
		buf_append(&message, body, bodylen);
	if (hmac_sha256(secret, strlen(secret), message.ptr, message.len,
	    expected) != 0)
		goto out;
	/* Look at every v1 so the time taken does not tell which one matched. */
	for (i = 0; i < h.v1_count; i++)
		matched |= CRYPTO_memcmp(expected, h.v1[i], SHA256_BYTES) == 0;
	if (!matched)
		goto out;
	rc = within_window(h.timestamp, now, tolerance) ?
	    SIGNATURE_OK : SIGNATURE_EXPIRED;
out:
	OPENSSL_cleanse(expected, sizeof(expected));
	buf_free(&message);
	return rc;
}

/*
 * Writes "t=<t>,v1=<hex>" for body into out (outsz at least 96 bytes; a
 * smaller out gets a truncated header, which will not verify).  For tests
 * and for wapool's own outgoing calls.
 */
void
signature_make(const char *secret, int64_t t, const void *body,
    size_t bodylen, char *out, size_t outsz)
{
	struct buf message = BUF_INIT;
	char hex[SHA256_HEX + 1];

	if (secret == NULL)
		secret = "";
	buf_printf(&message, "%" PRId64 ".", t);
	if (bodylen > 0)
		buf_append(&message, body, bodylen);
	hmac_sha256_hex(secret, strlen(secret), message.ptr, message.len, hex);
	if (outsz > 0)
		snprintf(out, outsz, "t=%" PRId64 ",v1=%s", t, hex);
	buf_free(&message);
}

/*
 * Verifies a Meta-style "sha256=<64 hex>" header over the raw body.  False
 * for a NULL header, anything but exactly that shape, a NULL or empty
 * secret, or a wrong digest (compared in constant time).
 */
bool
signature_verify_sha256_header(const char *header, const char *secret,
    const void *body, size_t bodylen)
{
	static const char prefix[] = "sha256=";
	unsigned char given[SHA256_BYTES], expected[SHA256_BYTES];
	bool ok = false;

	if (header == NULL || secret == NULL || secret[0] == '\0')
		return false;
	if (strncmp(header, prefix, sizeof(prefix) - 1) != 0)
		return false;
	header += sizeof(prefix) - 1;
	if (!hex_decode_sha256(header, strlen(header), given))
		return false;
	if (hmac_sha256(secret, strlen(secret), body, bodylen, expected) != 0)
		goto out;
	ok = CRYPTO_memcmp(given, expected, SHA256_BYTES) == 0;
out:
	OPENSSL_cleanse(expected, sizeof(expected));
	return ok;
}

/*
 * True when authorization is "Bearer <secret>": the scheme name in any
 * case (RFC 7235), one space, then exactly the secret.  False for NULL,
 * an empty secret, or anything else.  Both sides are reduced to an HMAC
 * keyed by the secret before the constant-time comparison, so neither
 * the content nor the length of the secret leaks through timing.
 */
bool
bearer_verify(const char *authorization, const char *secret)
{
	static const char scheme[] = "Bearer ";
	unsigned char given[SHA256_BYTES], expected[SHA256_BYTES];
	const char *token;
	size_t secretlen;
	bool ok = false;

	if (authorization == NULL || secret == NULL || secret[0] == '\0')
		return false;
	if (strncasecmp(authorization, scheme, sizeof(scheme) - 1) != 0)
		return false;
	token = authorization + sizeof(scheme) - 1;
	secretlen = strlen(secret);
	if (hmac_sha256(secret, secretlen, token, strlen(token), given) != 0 ||
	    hmac_sha256(secret, secretlen, secret, secretlen, expected) != 0)
		goto out;
	ok = CRYPTO_memcmp(given, expected, SHA256_BYTES) == 0;
out:
	OPENSSL_cleanse(given, sizeof(given));
	OPENSSL_cleanse(expected, sizeof(expected));
	return ok;
}

/* Returns a static English description of r. */
const char *
signature_result_str(enum signature_result r)
{
	if ((unsigned)r >= SIGNATURE_RESULT__MAX)
		return "unknown result";
	return result_names[r];
}
