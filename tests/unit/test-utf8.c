/*
 * test-utf8.c: unit tests for utf8_valid() (RFC 3629), which lets the webhook
 * skip json-c's check, and utf8_scrub(), which makes gateway texts storable.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "tap.h"

#define VALID(s)	CHECK(utf8_valid((s), sizeof(s) - 1))
#define INVALID(s)	CHECK(!utf8_valid((s), sizeof(s) - 1))

static void
test_valid(void)
{
	VALID("");
	VALID("plain ASCII {\"id\": 1}");
	VALID("Olá, João! Pedido da Império");
	VALID("\x00 NUL is ASCII");
	VALID("\xc2\x80 \xdf\xbf");			/* U+0080, U+07FF */
	VALID("\xe0\xa0\x80 \xef\xbf\xbf");		/* U+0800, U+FFFF */
	VALID("\xed\x9f\xbf \xee\x80\x80");		/* U+D7FF, U+E000: around the surrogates */
	VALID("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf");	/* U+10000, U+10FFFF */
	VALID("€ 😀");
}

static void
test_invalid(void)
{
	INVALID("\x80");				/* a lone continuation byte */
	INVALID("\xbf");
	INVALID("\xc0\xaf");				/* overlong "/" */
	INVALID("\xc1\xbf");
	INVALID("\xe0\x9f\xbf");			/* overlong below U+0800 */
	INVALID("\xf0\x8f\xbf\xbf");			/* overlong below U+10000 */
	INVALID("\xed\xa0\x80");			/* U+D800, a surrogate */
	INVALID("\xed\xbf\xbf");			/* U+DFFF */
	INVALID("\xf4\x90\x80\x80");			/* above U+10FFFF */
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xff");
	INVALID("\xc3");				/* cut short at the end */
	INVALID("\xe2\x82");
	INVALID("\xf0\x9f\x98");
	INVALID("\xc3(");				/* a continuation that is not one */
	INVALID("\xe2\x28\xa1");
	INVALID("\xe2\x82\x28");
	INVALID("ok until here \xf0\x9f\x98\x28");
}

static void
test_length_bound(void)
{
	/* Only len bytes count: a cut sequence after them is not looked at. */
	CHECK(utf8_valid("ab\xc3", 2));
	CHECK(!utf8_valid("ab\xc3\xa9", 3));
	CHECK(utf8_valid("ab\xc3\xa9", 4));
}

/* scrubbed IN: OUT (same length, '?' for each byte that starts no sequence) */
static void
scrubbed(const char *in, const char *out)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", in);
	utf8_scrub(buf);
	CHECK(strcmp(buf, out) == 0);
	CHECK(utf8_valid(buf, strlen(buf)));
}

static void
test_scrub(void)
{
	scrubbed("", "");
	scrubbed("Olá, João! não existe 😀", "Olá, João! não existe 😀");
	scrubbed("cut inside a character: n\xc3", "cut inside a character: n?");
	scrubbed("cut emoji \xf0\x9f\x98", "cut emoji ???");
	scrubbed("\x80stray\xff", "?stray?");
	scrubbed("overlong \xc0\xaf", "overlong ??");
	scrubbed("surrogate \xed\xa0\x80 end", "surrogate ??? end");
	scrubbed("\xc3(", "?(");
}

static const struct tap_test tests[] = {
	{ "well-formed text, every sequence length and edge", test_valid },
	{ "overlongs, surrogates, beyond U+10FFFF, stray and cut bytes", test_invalid },
	{ "reads exactly len bytes", test_length_bound },
	{ "scrub: stray, cut and overlong bytes become '?', good text stays", test_scrub },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
