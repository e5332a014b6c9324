/* test-phone.c: unit tests for phone_normalize() on numbers as customers really type them. */
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "util.h"
#include "tap.h"

/* Checks one input: the result code and, when PHONE_OK, the E.164 text. */
#define EXPECT(in, result, want) expect_phone(__FILE__, __LINE__, (in), (result), (want))

static void
expect_phone(const char *file, int line, const char *in,
    enum phone_result result, const char *want)
{
	char out[32];
	enum phone_result got;

	memset(out, 'X', sizeof(out));
	got = phone_normalize(in, out, sizeof(out));
	if (got != result) {
		tap_fail(file, line, in != NULL ? in : "(null)");
		printf("# expected %s got %s (\"%s\")\n", phone_result_str(result),
		    phone_result_str(got), got == PHONE_OK ? out : "");
		return;
	}
	if (strcmp(out, want) != 0) {
		tap_fail(file, line, in != NULL ? in : "(null)");
		printf("# expected \"%s\" got \"%s\"\n", want, out);
	}
}

static void
test_mobile_formats(void)
{
	EXPECT("+55 (11) 9 8765-4321", PHONE_OK, "+5511987654321");
	EXPECT("11987654321", PHONE_OK, "+5511987654321");
	EXPECT("(11) 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("(11)98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("11 98765 4321", PHONE_OK, "+5511987654321");
	EXPECT("11 9 8765 4321", PHONE_OK, "+5511987654321");
	EXPECT("11-98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("(21) 99876.5432", PHONE_OK, "+5521998765432");
	EXPECT("  (85)  9 9123-4567  ", PHONE_OK, "+5585991234567");
	EXPECT("11/98765-4321", PHONE_OK, "+5511987654321");
	/* A mobile in DDD 55 (Santa Maria, RS) is not the country code. */
	EXPECT("55 99123-4567", PHONE_OK, "+5555991234567");
}

static void
test_country_code(void)
{
	EXPECT("5511987654321", PHONE_OK, "+5511987654321");
	EXPECT("+5511987654321", PHONE_OK, "+5511987654321");
	EXPECT("+55 11 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("55 (11) 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("0055 11 98765 4321", PHONE_OK, "+5511987654321");
	EXPECT("+55 (011) 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("(+55) 11 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("(55) 11 98765-4321", PHONE_OK, "+5511987654321");
}

static void
test_trunk_and_carrier(void)
{
	EXPECT("011 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("(011) 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("0 21 11 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("041 11 98765-4321", PHONE_OK, "+5511987654321");
	EXPECT("0 15 85 3333-4444", PHONE_OK, "+558533334444");
	/* Trunk 0 with DDD 41 (Curitiba), not carrier 41. */
	EXPECT("041 3333-4444", PHONE_OK, "+554133334444");
}

static void
test_old_mobile_gains_nine(void)
{
	EXPECT("+55 11 8765-4321", PHONE_OK, "+5511987654321");
	EXPECT("(11) 8765-4321", PHONE_OK, "+5511987654321");
	EXPECT("1176543210", PHONE_OK, "+5511976543210");
	EXPECT("(31) 9988-7766", PHONE_OK, "+5531999887766");
	EXPECT("55 11 6543 2109", PHONE_OK, "+5511965432109");
	/* Trailing blanks do not hide the last group. */
	EXPECT("(11) 8765-4321 ", PHONE_OK, "+5511987654321");
	EXPECT("(11) 8765-4321\xc2\xa0", PHONE_OK, "+5511987654321");
	EXPECT("11 98765-432 ", PHONE_TOO_SHORT, "");
}

static void
test_landlines(void)
{
	EXPECT("(11) 3456-7890", PHONE_OK, "+551134567890");
	EXPECT("+55 21 2345-6789", PHONE_OK, "+552123456789");
	EXPECT("55 (85) 3333-4444", PHONE_OK, "+558533334444");
	EXPECT("(48) 4004-1234", PHONE_OK, "+554840041234");
	EXPECT("61 5555 1234", PHONE_OK, "+556155551234");
}

static void
test_spaces_dots_and_no_break_space(void)
{
	EXPECT("11.98765.4321", PHONE_OK, "+5511987654321");
	EXPECT("\t11 98765 4321\t", PHONE_OK, "+5511987654321");
	EXPECT("11\xc2\xa0" "98765\xc2\xa0" "4321", PHONE_OK, "+5511987654321");
	EXPECT("+55.11.98765.4321", PHONE_OK, "+5511987654321");
}

static void
test_foreign_numbers(void)
{
	EXPECT("+1 415 555 2671", PHONE_OK, "+14155552671");
	EXPECT("00351 912 345 678", PHONE_OK, "+351912345678");
	EXPECT("+44 20 7946 0958", PHONE_OK, "+442079460958");
	EXPECT("+595 981 123456", PHONE_OK, "+595981123456");
	EXPECT("+1234567", PHONE_TOO_SHORT, "");
	EXPECT("+1234567890123456", PHONE_TOO_LONG, "");
	EXPECT("+0 11 98765-4321", PHONE_BAD_NUMBER, "");
}

static void
test_empty_and_junk(void)
{
	EXPECT(NULL, PHONE_EMPTY, "");
	EXPECT("", PHONE_EMPTY, "");
	EXPECT("   ", PHONE_EMPTY, "");
	EXPECT("( ) - .", PHONE_EMPTY, "");
	EXPECT("+", PHONE_EMPTY, "");
	EXPECT("abc", PHONE_BAD_CHARACTER, "");
	EXPECT("11 9876S-4321", PHONE_BAD_CHARACTER, "");
	EXPECT("(11) 3456-7890 ramal 12", PHONE_BAD_CHARACTER, "");
	EXPECT("(11) 3456-7890 x12", PHONE_BAD_CHARACTER, "");
	EXPECT("11 98765-4321#", PHONE_BAD_CHARACTER, "");
	EXPECT("11 98765-4321, 11 3456-7890", PHONE_BAD_CHARACTER, "");
	EXPECT("+55 +11 98765-4321", PHONE_BAD_CHARACTER, "");
	EXPECT("11 98765+4321", PHONE_BAD_CHARACTER, "");
	EXPECT("11\xe2\x80\x93" "98765-4321", PHONE_BAD_CHARACTER, "");
}

static void
test_bad_area_codes(void)
{
	EXPECT("(00) 98765-4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("(20) 98765-4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("(23) 3456-7890", PHONE_BAD_AREA_CODE, "");
	EXPECT("+55 10 98765-4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("5552 98765 4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("(90) 98765-4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("05 98765-4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("(01) 98765-4321", PHONE_BAD_AREA_CODE, "");
	EXPECT("(0xx11) 98765-4321", PHONE_BAD_CHARACTER, "");
}

static void
test_every_area_code(void)
{
	static const int valid[] = {
		11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28,
		31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48, 49,
		51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69,
		71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
		91, 92, 93, 94, 95, 96, 97, 98, 99,
	};
	char in[32], want[32], out[32];
	size_t i, accepted = 0;
	int ddd;

	CHECK_INT(ARRAY_SIZE(valid), 67);
	for (ddd = 0; ddd < 100; ddd++) {
		bool listed = false;

		for (i = 0; i < ARRAY_SIZE(valid); i++)
			if (valid[i] == ddd)
				listed = true;
		snprintf(in, sizeof(in), "(%02d) 98765-4321", ddd);
		snprintf(want, sizeof(want), "+55%02d987654321", ddd);
		if (phone_normalize(in, out, sizeof(out)) == PHONE_OK) {
			accepted++;
			CHECK(listed);
			CHECK_STR(out, want);
		} else
			CHECK(!listed);
	}
	CHECK_INT(accepted, 67);
}

static void
test_wrong_lengths(void)
{
	EXPECT("9", PHONE_TOO_SHORT, "");
	EXPECT("98765-4321", PHONE_TOO_SHORT, "");
	EXPECT("3456-7890", PHONE_TOO_SHORT, "");
	EXPECT("11 98765-432", PHONE_TOO_SHORT, "");
	EXPECT("11 9 8765-432", PHONE_TOO_SHORT, "");
	EXPECT("(11) 3456-789", PHONE_TOO_SHORT, "");
	EXPECT("+55 11 9876-543", PHONE_TOO_SHORT, "");
	EXPECT("11 98765-43210", PHONE_TOO_LONG, "");
	EXPECT("119876543210", PHONE_TOO_LONG, "");
	EXPECT("+55 11 98765-43210", PHONE_TOO_LONG, "");
	EXPECT("55 11 98765-4321 0", PHONE_TOO_LONG, "");
	EXPECT("0 21 11 98765-43210", PHONE_TOO_LONG, "");
	EXPECT("12345678901234567890123456789", PHONE_TOO_LONG, "");
}

static void
test_impossible_subscribers(void)
{
	EXPECT("(11) 1234-5678", PHONE_BAD_NUMBER, "");
	EXPECT("(11) 0234-5678", PHONE_BAD_NUMBER, "");
	EXPECT("(11) 88765-4321", PHONE_BAD_NUMBER, "");
	EXPECT("(11) 34567-8901", PHONE_BAD_NUMBER, "");
}

static void
test_output_buffer(void)
{
	char small[16], exact[17];

	memset(small, 'X', sizeof(small));
	CHECK_INT(phone_normalize("11987654321", small, sizeof(small)), PHONE_TOO_LONG);
	CHECK_STR(small, "");
	CHECK_INT(phone_normalize("+123456789012345", exact, sizeof(exact)), PHONE_OK);
	CHECK_STR(exact, "+123456789012345");
	CHECK_INT(phone_normalize("abc", exact, sizeof(exact)), PHONE_BAD_CHARACTER);
	CHECK_STR(exact, "");
}

static void
test_result_strings(void)
{
	int r;

	for (r = 0; r < PHONE_RESULT__MAX; r++)
		CHECK(phone_result_str((enum phone_result)r) != NULL);
	CHECK_STR(phone_result_str(PHONE_BAD_AREA_CODE), "area code does not exist");
	CHECK_STR(phone_result_str(PHONE_RESULT__MAX), "unknown result");
}

static const struct tap_test tests[] = {
	{ "mobile formats", test_mobile_formats },
	{ "country code 55 with and without +/00", test_country_code },
	{ "trunk 0 and carrier selection codes", test_trunk_and_carrier },
	{ "8-digit mobile gains the ninth digit", test_old_mobile_gains_nine },
	{ "landlines", test_landlines },
	{ "dots, tabs and no-break spaces", test_spaces_dots_and_no_break_space },
	{ "foreign numbers with + or 00", test_foreign_numbers },
	{ "empty input, letters and junk", test_empty_and_junk },
	{ "area codes that do not exist", test_bad_area_codes },
	{ "exactly the 67 DDDs are accepted", test_every_area_code },
	{ "too short and too long", test_wrong_lengths },
	{ "impossible subscriber numbers", test_impossible_subscribers },
	{ "output buffer size", test_output_buffer },
	{ "result strings", test_result_strings },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
