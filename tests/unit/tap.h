/*
 * tap.h: a tiny TAP harness for the unit tests (memcached testapp.c style).
 *
 * A test program lists its tests in a table and hands it to tap_run():
 *
 *	static void test_empty(void) { CHECK_INT(phone_normalize("", o, sizeof(o)), PHONE_EMPTY); }
 *	static const struct tap_test tests[] = { { "empty input", test_empty }, };
 *	int main(void) { return tap_run(tests, ARRAY_SIZE(tests)); }
 *
 * It prints "1..N", then "ok N - name" or "not ok N - name" per test.  A test
 * function may check many things; each failed CHECK prints a diagnostic
 * ("# file:line: expression" then "# expected X got Y") and marks the whole
 * test as failed, but the test goes on so one run shows every failure.
 * The exit status is 0 when every test passed, 1 otherwise.
 */
#ifndef WAPOOL_TAP_H
#define WAPOOL_TAP_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct tap_test {
	const char	*name;
	void		(*fn)(void);
};

/* Failed checks in the test that is running; reset by tap_run(). */
static int tap_failures;

static inline void
tap_fail(const char *file, int line, const char *expression)
{
	tap_failures++;
	printf("# %s:%d: %s\n", file, line, expression);
}

static inline void
tap_check_str(const char *file, int line, const char *expression,
    const char *got, const char *expected)
{
	if (got != NULL && expected != NULL && strcmp(got, expected) == 0)
		return;
	if (got == NULL && expected == NULL)
		return;
	tap_fail(file, line, expression);
	printf("# expected \"%s\" got \"%s\"\n",
	    expected != NULL ? expected : "(null)", got != NULL ? got : "(null)");
}

static inline void
tap_check_int(const char *file, int line, const char *expression,
    long long got, long long expected)
{
	if (got == expected)
		return;
	tap_fail(file, line, expression);
	printf("# expected %lld got %lld\n", expected, got);
}

/* Assertions usable inside a test function. */
#define CHECK(cond) do {						\
	if (!(cond))							\
		tap_fail(__FILE__, __LINE__, #cond);			\
} while (0)
#define CHECK_STR(got, expected)					\
	tap_check_str(__FILE__, __LINE__, #got, (got), (expected))
#define CHECK_INT(got, expected)					\
	tap_check_int(__FILE__, __LINE__, #got, (long long)(got),	\
	    (long long)(expected))

/* Runs every test in order and prints the TAP stream; returns the exit status. */
static inline int
tap_run(const struct tap_test *tests, size_t count)
{
	int status = 0;
	size_t i;

	printf("1..%zu\n", count);
	for (i = 0; i < count; i++) {
		tap_failures = 0;
		fflush(stdout);
		tests[i].fn();
		if (tap_failures == 0)
			printf("ok %zu - %s\n", i + 1, tests[i].name);
		else {
			printf("not ok %zu - %s\n", i + 1, tests[i].name);
			status = 1;
		}
	}
	fflush(stdout);
	return status;
}

#endif
