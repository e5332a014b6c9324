/* phone.c: turn a phone number typed by a shop's customer into E.164, Brazilian rules first. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "util.h"

/* More digits than any number with prefixes ("0 21 11 98765 4321" is 14). */
#define PHONE_MAX_DIGITS	20
/* E.164 allows at most 15 digits after the "+". */
#define PHONE_E164_MIN		8
#define PHONE_E164_MAX		15
/* "+" + 15 digits + NUL, the size phone.h promises is enough. */
#define PHONE_OUT_MIN		17

/* Every DDD (area code) Anatel has assigned; the others do not exist. */
static const int area_codes[] = {
	11, 12, 13, 14, 15, 16, 17, 18, 19,
	21, 22, 24, 27, 28,
	31, 32, 33, 34, 35, 37, 38,
	41, 42, 43, 44, 45, 46, 47, 48, 49,
	51, 53, 54, 55,
	61, 62, 63, 64, 65, 66, 67, 68, 69,
	71, 73, 74, 75, 77, 79,
	81, 82, 83, 84, 85, 86, 87, 88, 89,
	91, 92, 93, 94, 95, 96, 97, 98, 99,
};

static const char *const result_names[PHONE_RESULT__MAX] = {
	"ok",					/* PHONE_OK */
	"no digits",				/* PHONE_EMPTY */
	"letters or other characters",		/* PHONE_BAD_CHARACTER */
	"too few digits",			/* PHONE_TOO_SHORT */
	"too many digits",			/* PHONE_TOO_LONG */
	"area code does not exist",		/* PHONE_BAD_AREA_CODE */
	"not a valid Brazilian number",		/* PHONE_BAD_NUMBER */
};

/* The digits of the input and what its punctuation tells us. */
struct scanned {
	char	digits[PHONE_MAX_DIGITS + 1];
	size_t	count;		/* may exceed PHONE_MAX_DIGITS: only counted then */
	bool	plus;		/* written with a leading "+" */
	bool	paren_first;	/* the first digit is inside "(...)": an area code */
	size_t	paren_digits;	/* how many digits that "(...)" holds */
	size_t	last_group;	/* digits in the last unbroken run of digits */
	bool	bad_character;
};

static bool
is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '/' ||
	    c == '(' || c == ')';
}

/* Collects the digits of in and checks that everything else is punctuation. */
static void
scan(const char *in, struct scanned *s)
{
	const unsigned char *p = (const unsigned char *)in;
	bool in_paren = false, first_paren_open = false, new_group = false;

	memset(s, 0, sizeof(*s));
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (s->count == 0) {
				s->paren_first = in_paren;
				first_paren_open = in_paren;
			}
			if (first_paren_open)
				s->paren_digits++;
			if (s->count < PHONE_MAX_DIGITS)
				s->digits[s->count] = (char)*p;
			s->count++;
			if (new_group) {
				s->last_group = 0;
				new_group = false;
			}
			s->last_group++;
			continue;
		}
		if (*p == '+' && s->count == 0 && !s->plus) {
			s->plus = true;
			continue;
		}
		/* A no-break space (UTF-8 C2 A0) comes with numbers pasted from web pages. */
		if (p[0] == 0xc2 && p[1] == 0xa0) {
			p++;
			new_group = true;
			continue;
		}
		if (!is_separator((char)*p)) {
			/* Letters ("ramal 12", "x3"), "#", "*", "," and stray bytes. */
			s->bad_character = true;
			return;
		}
		if (*p == '(')
			in_paren = true;
		else if (*p == ')')
			in_paren = first_paren_open = false;
		new_group = true;
	}
	if (s->count <= PHONE_MAX_DIGITS)
		s->digits[s->count] = '\0';
}

static bool
area_code_exists(const char *p)
{
	int code = (p[0] - '0') * 10 + (p[1] - '0');
	size_t i;

	for (i = 0; i < ARRAY_SIZE(area_codes); i++)
		if (area_codes[i] == code)
			return true;
	return false;
}

/* Copies the result into out, or reports that out is too small to be usable. */
static enum phone_result
emit(char *out, size_t outsz, const char *prefix, const char *ddd,
    const char *subscriber)
{
	int n;

	if (outsz < PHONE_OUT_MIN)
		return PHONE_TOO_LONG;
	n = snprintf(out, outsz, "%s%s%s", prefix, ddd, subscriber);
	if (n < 0 || (size_t)n >= outsz)
		return PHONE_TOO_LONG;
	return PHONE_OK;
}

/*
 * Checks a Brazilian number without country code or prefixes: DDD followed
 * by 8 or 9 subscriber digits.  s tells how the number was written.
 */
static enum phone_result
brazilian(const char *p, size_t n, const struct scanned *s, char *out, size_t outsz)
{
	char ddd[3], mobile[10];
	const char *subscriber = p + 2;

	if (n < 10)
		return PHONE_TOO_SHORT;
	if (n > 11)
		return PHONE_TOO_LONG;
	if (!area_code_exists(p))
		return PHONE_BAD_AREA_CODE;
	memcpy(ddd, p, 2);
	ddd[2] = '\0';

	if (n == 11) {
		/* Nine digits is only ever a mobile, and mobiles start with 9. */
		if (subscriber[0] != '9')
			return PHONE_BAD_NUMBER;
		return emit(out, outsz, "+55", ddd, subscriber);
	}

	if (subscriber[0] >= '2' && subscriber[0] <= '5')
		return emit(out, outsz, "+55", ddd, subscriber);	/* landline */
	if (subscriber[0] >= '6' && subscriber[0] <= '9') {
		/*
		 * An old 8-digit mobile ("8765-4321") became "9 8765-4321" in
		 * 2012-2016.  Both forms are written with a last group of four
		 * digits, so "98765-432" is a new mobile missing a digit, not
		 * an old one.
		 */
		if (s->last_group < 4)
			return PHONE_TOO_SHORT;
		mobile[0] = '9';
		memcpy(mobile + 1, subscriber, 8);
		mobile[9] = '\0';
		return emit(out, outsz, "+55", ddd, mobile);
	}
	return PHONE_BAD_NUMBER;
}

/* A number written with "+" or "00": the country code comes first. */
static enum phone_result
international(const char *p, size_t n, const struct scanned *s, char *out,
    size_t outsz)
{
	if (n < PHONE_E164_MIN)
		return PHONE_TOO_SHORT;
	if (n > PHONE_E164_MAX)
		return PHONE_TOO_LONG;
	if (p[0] == '0')
		return PHONE_BAD_NUMBER;	/* no country code starts with 0 */
	if (p[0] == '5' && p[1] == '5') {
		p += 2;
		n -= 2;
		/* "+55 (011) 98765-4321": a trunk 0 kept out of habit. */
		if (n > 10 && p[0] == '0') {
			p++;
			n--;
		}
		return brazilian(p, n, s, out, outsz);
	}
	return emit(out, outsz, "+", "", p);
}

/* A number without "+" or "00": Brazilian, maybe with prefixes. */
static enum phone_result
national(const char *p, size_t n, const struct scanned *s, char *out,
    size_t outsz)
{
	/*
	 * "(11) 98765-4321" or "(01) ...": the parentheses hold exactly the
	 * area code, so a leading 0 there is a wrong DDD, not a trunk prefix.
	 */
	if (s->paren_first && s->paren_digits == 2 && n <= 11)
		return brazilian(p, n, s, out, outsz);
	/* "(011) 98765-4321": trunk 0 and area code, no carrier code. */
	if (s->paren_first && s->paren_digits == 3 && p[0] == '0' && n <= 12)
		return brazilian(p + 1, n - 1, s, out, outsz);
	if (p[0] == '0') {
		/* Trunk prefix "0", then maybe a 2-digit carrier code: "0 21 11 ...". */
		p++;
		n--;
		if (n > 13)
			return PHONE_TOO_LONG;
		if (n >= 12) {
			p += 2;
			n -= 2;
		}
		return brazilian(p, n, s, out, outsz);
	}
	if (n > 13)
		return PHONE_TOO_LONG;
	/*
	 * 12 or 13 digits can only be the country code and a full number;
	 * 55 as a DDD (Rio Grande do Sul) makes at most 11 digits.
	 */
	if (n >= 12) {
		if (p[0] != '5' || p[1] != '5')
			return PHONE_TOO_LONG;
		p += 2;
		n -= 2;
	}
	return brazilian(p, n, s, out, outsz);
}

/*
 * Normalise in to E.164 into out (outsz at least 17 bytes; PHONE_TOO_LONG
 * when smaller).  See phone.h for the accepted forms.  Also accepted: a
 * no-break space as a separator and a trunk "0" after "+55".  On failure
 * out holds "" (when outsz > 0).
 */
enum phone_result
phone_normalize(const char *in, char *out, size_t outsz)
{
	struct scanned s;
	enum phone_result r;

	if (outsz > 0)
		out[0] = '\0';
	if (in == NULL)
		return PHONE_EMPTY;
	scan(in, &s);
	if (s.bad_character)
		return PHONE_BAD_CHARACTER;
	if (s.count == 0)
		return PHONE_EMPTY;
	if (s.count > PHONE_MAX_DIGITS)
		return PHONE_TOO_LONG;

	if (s.plus)
		r = international(s.digits, s.count, &s, out, outsz);
	else if (s.count >= 2 && s.digits[0] == '0' && s.digits[1] == '0' &&
	    !s.paren_first)
		r = international(s.digits + 2, s.count - 2, &s, out, outsz);
	else
		r = national(s.digits, s.count, &s, out, outsz);

	if (r != PHONE_OK && outsz > 0)
		out[0] = '\0';
	return r;
}

/* Returns a static English description of r. */
const char *
phone_result_str(enum phone_result r)
{
	if ((unsigned)r >= PHONE_RESULT__MAX)
		return "unknown result";
	return result_names[r];
}
