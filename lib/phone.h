/* phone.h: normalise a phone number written by a shop's customer to E.164. */
#ifndef WAPOOL_PHONE_H
#define WAPOOL_PHONE_H

#include <stddef.h>

enum phone_result {
	PHONE_OK,
	PHONE_EMPTY,		/* nothing but punctuation or spaces */
	PHONE_BAD_CHARACTER,	/* letters or other junk */
	PHONE_TOO_SHORT,
	PHONE_TOO_LONG,
	PHONE_BAD_AREA_CODE,	/* Brazilian DDD that does not exist */
	PHONE_BAD_NUMBER,	/* subscriber part impossible for Brazil */
	PHONE_RESULT__MAX
};

/*
 * Normalise in to E.164 ("+5511987654321") with Brazilian rules: numbers
 * without a country code are Brazilian; the area code (DDD) must exist;
 * an 8-digit mobile (first digit 6-9) gains the ninth digit; punctuation,
 * spaces, a leading "+", "00" international prefix, trunk "0" and carrier
 * selection codes ("0 XX 11 ...") are stripped.  Numbers with another
 * country code (written with "+" or "00") are accepted when they have 8 to
 * 15 digits.  out must hold at least 17 bytes.
 */
enum phone_result phone_normalize(const char *in, char *out, size_t outsz);
/* A short English description ("area code does not exist"). */
const char *phone_result_str(enum phone_result r);

#endif
