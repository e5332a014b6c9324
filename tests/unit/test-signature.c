/* test-signature.c: unit tests for HMAC-SHA256 webhook signatures and bearer secrets. */
#include <stdio.h>
#include <string.h>

#include "signature.h"
#include "util.h"
#include "tap.h"

#define SECRET		"whsec_test"
#define OLD_SECRET	"whsec_old"
#define T		1700000000
#define TOLERANCE	300

static const char body[] = "{\"event\":\"order_paid\"}";
/* HMAC-SHA256("whsec_test", "1700000000." + body), computed outside wapool. */
static const char body_v1[] =
	"558fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e8030835";
static const char hex64[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static enum signature_result
verify(const char *header, int64_t now)
{
	return signature_verify(header, SECRET, body, strlen(body), now, TOLERANCE);
}

static void
test_rfc4231(void)
{
	unsigned char key1[20], key6[131];
	char out[65];

	/* Test case 2: a key shorter than the output. */
	hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
	CHECK_STR(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 1. */
	memset(key1, 0x0b, sizeof(key1));
	hmac_sha256_hex(key1, sizeof(key1), "Hi There", 8, out);
	CHECK_STR(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 6: a key longer than the block is hashed first. */
	memset(key6, 0xaa, sizeof(key6));
	hmac_sha256_hex(key6, sizeof(key6),
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54, out);
	CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* Empty key and data, passed as NULL. */
	hmac_sha256_hex(NULL, 0, NULL, 0, out);
	CHECK_STR(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void
test_make(void)
{
	char header[96], want[96];

	signature_make(SECRET, T, body, strlen(body), header, sizeof(header));
	snprintf(want, sizeof(want), "t=%d,v1=%s", T, body_v1);
	CHECK_STR(header, want);
	CHECK_INT(strlen(header), strlen("t=1700000000,v1=") + 64);
	/* A short buffer is truncated, never overrun. */
	memset(header, 'X', sizeof(header));
	signature_make(SECRET, T, body, strlen(body), header, 10);
	CHECK_STR(header, "t=1700000");
	CHECK(header[10] == 'X');
}

static void
test_valid(void)
{
	char header[96];

	signature_make(SECRET, T, body, strlen(body), header, sizeof(header));
	CHECK_INT(verify(header, T), SIGNATURE_OK);
	CHECK_INT(verify(header, T + 60), SIGNATURE_OK);
	CHECK_INT(verify(header, T - 60), SIGNATURE_OK);
	/* Upper-case hex is the same digest. */
	CHECK_INT(verify("t=1700000000,v1=558FE88637CB394ED31E74E078FC1D52"
	    "E0263548C68D6A3D45D8B7C0E8030835", T), SIGNATURE_OK);
	/* An empty body and a body holding NUL bytes are signed like any other. */
	signature_make(SECRET, T, NULL, 0, header, sizeof(header));
	CHECK_INT(signature_verify(header, SECRET, NULL, 0, T, TOLERANCE), SIGNATURE_OK);
	CHECK_INT(signature_verify(header, SECRET, "", 0, T, TOLERANCE), SIGNATURE_OK);
	signature_make(SECRET, T, "a\0b", 3, header, sizeof(header));
	CHECK_INT(signature_verify(header, SECRET, "a\0b", 3, T, TOLERANCE), SIGNATURE_OK);
	CHECK_INT(signature_verify(header, SECRET, "a\0c", 3, T, TOLERANCE), SIGNATURE_MISMATCH);
}

static void
test_replay_window(void)
{
	char header[96];

	signature_make(SECRET, T, body, strlen(body), header, sizeof(header));
	/* Edges of the window are inside it. */
	CHECK_INT(verify(header, T + TOLERANCE), SIGNATURE_OK);
	CHECK_INT(verify(header, T - TOLERANCE), SIGNATURE_OK);
	/* Too old: a replay. */
	CHECK_INT(verify(header, T + TOLERANCE + 1), SIGNATURE_EXPIRED);
	CHECK_INT(verify(header, T + 86400), SIGNATURE_EXPIRED);
	/* From the future: a skewed or forged clock. */
	CHECK_INT(verify(header, T - TOLERANCE - 1), SIGNATURE_EXPIRED);
	CHECK_INT(verify(header, 0), SIGNATURE_EXPIRED);
	CHECK_INT(verify(header, INT64_MIN), SIGNATURE_EXPIRED);
	CHECK_INT(verify(header, INT64_MAX), SIGNATURE_EXPIRED);
	/* Zero or negative tolerance: only the exact second. */
	CHECK_INT(signature_verify(header, SECRET, body, strlen(body), T, 0), SIGNATURE_OK);
	CHECK_INT(signature_verify(header, SECRET, body, strlen(body), T + 1, 0),
	    SIGNATURE_EXPIRED);
	CHECK_INT(signature_verify(header, SECRET, body, strlen(body), T + 1, -5),
	    SIGNATURE_EXPIRED);
	/* An old header with a wrong signature is a forgery first. */
	CHECK_INT(verify("t=1,v1=" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", T), SIGNATURE_MISMATCH);
	/* Largest accepted timestamp: 18 digits. */
	signature_make(SECRET, 999999999999999999LL, body, strlen(body), header,
	    sizeof(header));
	CHECK_INT(verify(header, 999999999999999999LL), SIGNATURE_OK);
	CHECK_INT(verify(header, T), SIGNATURE_EXPIRED);
}

static void
test_missing(void)
{
	CHECK_INT(verify(NULL, T), SIGNATURE_MISSING);
	CHECK_INT(verify("", T), SIGNATURE_MISSING);
}

static void
test_malformed(void)
{
	char bad[16][256];
	static const char *const fixed[] = {
		"garbage", " ", ",", "t", "t=", "v1=", "=",
		"t=1700000000",
		"v1=558fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e8030835",
		"t=1700000000,v1=",
		"t=1700000000,v1=558fe886",
		"t=1700000000,v1=558fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e803083",
		"t=1700000000,v1=558fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e80308355",
		"t=1700000000,v1=558fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e803083g",
		"t=1700000000,v1=558fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e803083 ",
		"t=1700000000,v1=0x8fe88637cb394ed31e74e078fc1d52e0263548c68d6a3d45d8b7c0e8030835",
	};
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		if (verify(fixed[i], T) != SIGNATURE_MALFORMED) {
			tap_fail(__FILE__, __LINE__, fixed[i]);
			printf("# expected malformed got %s\n",
			    signature_result_str(verify(fixed[i], T)));
		}

	/* A good v1 with a broken timestamp or broken structure around it. */
	snprintf(bad[n++], sizeof(bad[0]), "t=abc,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=-1700000000,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=+1700000000,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000.5,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1234567890123456789,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000,t=1700000000,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000, v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), " t=1700000000,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000,v1=%s,", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), ",t=1700000000,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000,,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "T=1700000000,v1=%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000,v0=%s,v1=%s", hex64, body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000,v1=%s,extra", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000,v1 =%s", body_v1);
	snprintf(bad[n++], sizeof(bad[0]), "t=1700000000;v1=%s", body_v1);
	for (i = 0; i < n; i++)
		if (verify(bad[i], T) != SIGNATURE_MALFORMED) {
			tap_fail(__FILE__, __LINE__, bad[i]);
			printf("# expected malformed got %s\n",
			    signature_result_str(verify(bad[i], T)));
		}
}

static void
test_too_many_v1(void)
{
	char header[1024];
	int i;

	snprintf(header, sizeof(header), "t=%d", T);
	for (i = 0; i < 8; i++)
		snprintf(header + strlen(header), sizeof(header) - strlen(header),
		    ",v1=%s", i == 7 ? body_v1 : hex64);
	CHECK_INT(verify(header, T), SIGNATURE_OK);
	snprintf(header + strlen(header), sizeof(header) - strlen(header), ",v1=%s", hex64);
	CHECK_INT(verify(header, T), SIGNATURE_MALFORMED);
}

static void
test_mismatch(void)
{
	char header[96];

	signature_make(SECRET, T, body, strlen(body), header, sizeof(header));
	CHECK_INT(signature_verify(header, "whsec_other", body, strlen(body), T, TOLERANCE),
	    SIGNATURE_MISMATCH);
	CHECK_INT(signature_verify(header, SECRET, "{\"event\":\"order_paie\"}",
	    strlen(body), T, TOLERANCE), SIGNATURE_MISMATCH);
	CHECK_INT(signature_verify(header, SECRET, body, strlen(body) - 1, T, TOLERANCE),
	    SIGNATURE_MISMATCH);
	/* The timestamp is signed: moving it breaks the signature. */
	header[3] = header[3] == '7' ? '8' : '7';
	CHECK_INT(verify(header, T), SIGNATURE_MISMATCH);
	/* A route without a secret accepts nothing. */
	signature_make("", T, body, strlen(body), header, sizeof(header));
	CHECK_INT(signature_verify(header, "", body, strlen(body), T, TOLERANCE),
	    SIGNATURE_MISMATCH);
	CHECK_INT(signature_verify(header, NULL, body, strlen(body), T, TOLERANCE),
	    SIGNATURE_MISMATCH);
}

static void
test_rotation(void)
{
	char old_header[96], new_header[96], both[256];
	const char *old_v1, *new_v1;

	signature_make(OLD_SECRET, T, body, strlen(body), old_header, sizeof(old_header));
	signature_make(SECRET, T, body, strlen(body), new_header, sizeof(new_header));
	old_v1 = strstr(old_header, "v1=") + 3;
	new_v1 = strstr(new_header, "v1=") + 3;

	/* The sender signs with both secrets; we know either one. */
	snprintf(both, sizeof(both), "t=%d,v1=%s,v1=%s", T, old_v1, new_v1);
	CHECK_INT(signature_verify(both, SECRET, body, strlen(body), T, TOLERANCE), SIGNATURE_OK);
	CHECK_INT(signature_verify(both, OLD_SECRET, body, strlen(body), T, TOLERANCE),
	    SIGNATURE_OK);
	CHECK_INT(signature_verify(both, "whsec_third", body, strlen(body), T, TOLERANCE),
	    SIGNATURE_MISMATCH);
	snprintf(both, sizeof(both), "t=%d,v1=%s,v1=%s", T, new_v1, old_v1);
	CHECK_INT(signature_verify(both, SECRET, body, strlen(body), T, TOLERANCE), SIGNATURE_OK);
	/* t may come after the signatures. */
	snprintf(both, sizeof(both), "v1=%s,v1=%s,t=%d", old_v1, new_v1, T);
	CHECK_INT(signature_verify(both, SECRET, body, strlen(body), T, TOLERANCE), SIGNATURE_OK);
	/* Rotation does not bypass the window. */
	snprintf(both, sizeof(both), "t=%d,v1=%s,v1=%s", T, old_v1, new_v1);
	CHECK_INT(signature_verify(both, SECRET, body, strlen(body), T + 3600, TOLERANCE),
	    SIGNATURE_EXPIRED);
}

static void
test_sha256_header(void)
{
	char hex[65], header[80];

	hmac_sha256_hex(SECRET, strlen(SECRET), body, strlen(body), hex);
	snprintf(header, sizeof(header), "sha256=%s", hex);
	CHECK(signature_verify_sha256_header(header, SECRET, body, strlen(body)));
	CHECK(!signature_verify_sha256_header(header, "other", body, strlen(body)));
	CHECK(!signature_verify_sha256_header(header, SECRET, body, strlen(body) - 1));
	CHECK(!signature_verify_sha256_header(header, "", body, strlen(body)));
	CHECK(!signature_verify_sha256_header(header, NULL, body, strlen(body)));
	CHECK(!signature_verify_sha256_header(NULL, SECRET, body, strlen(body)));
	CHECK(!signature_verify_sha256_header("", SECRET, body, strlen(body)));
	CHECK(!signature_verify_sha256_header(hex, SECRET, body, strlen(body)));
	CHECK(!signature_verify_sha256_header("sha256=", SECRET, body, strlen(body)));
	snprintf(header, sizeof(header), "sha1=%s", hex);
	CHECK(!signature_verify_sha256_header(header, SECRET, body, strlen(body)));
	snprintf(header, sizeof(header), "sha256=%s ", hex);
	CHECK(!signature_verify_sha256_header(header, SECRET, body, strlen(body)));
	snprintf(header, sizeof(header), "sha256= %s", hex);
	CHECK(!signature_verify_sha256_header(header, SECRET, body, strlen(body)));
}

static void
test_bearer(void)
{
	CHECK(bearer_verify("Bearer s3cr3t-token", "s3cr3t-token"));
	CHECK(bearer_verify("bearer s3cr3t-token", "s3cr3t-token"));
	CHECK(bearer_verify("BEARER s3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearer s3cr3t-tokenX", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearer s3cr3t-toke", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearer S3CR3T-TOKEN", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearer  s3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearer s3cr3t-token ", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearers3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("Basic s3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearex s3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("Token: s3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("s3cr3t-token", "s3cr3t-token"));
	CHECK(!bearer_verify("Bearer ", "s3cr3t-token"));
	CHECK(!bearer_verify("", "s3cr3t-token"));
	CHECK(!bearer_verify(NULL, "s3cr3t-token"));
	/* An empty or absent secret authorises nobody. */
	CHECK(!bearer_verify("Bearer ", ""));
	CHECK(!bearer_verify("Bearer x", NULL));
}

static void
test_result_strings(void)
{
	int r;

	for (r = 0; r < SIGNATURE_RESULT__MAX; r++)
		CHECK(signature_result_str((enum signature_result)r) != NULL);
	CHECK_STR(signature_result_str(SIGNATURE_OK), "ok");
	CHECK_STR(signature_result_str(SIGNATURE_RESULT__MAX), "unknown result");
}

static const struct tap_test tests[] = {
	{ "HMAC-SHA256 matches RFC 4231 test cases 1, 2 and 6", test_rfc4231 },
	{ "signature_make writes t and v1", test_make },
	{ "valid signatures, any body", test_valid },
	{ "replay window in both directions", test_replay_window },
	{ "missing header", test_missing },
	{ "malformed headers are rejected", test_malformed },
	{ "at most eight v1 entries", test_too_many_v1 },
	{ "wrong secret, body or timestamp", test_mismatch },
	{ "secret rotation with two v1", test_rotation },
	{ "sha256= header (Meta)", test_sha256_header },
	{ "bearer secrets", test_bearer },
	{ "result strings", test_result_strings },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
