/* test-config.c: configuration parsing: defaults, errors with file:line, environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/wapool-test-config-%d.conf", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Load text as a config file; returns config_load's result and the error text. */
static int
load(const char *text, struct config *c, struct buf *err)
{
	write_file(text);
	buf_reset(err);
	return config_load(c, path, err);
}

static void
test_example_loads(void)
{
	struct config c;
	struct buf err = BUF_INIT, dump = BUF_INIT;
	char *example = NULL, *p;
	int rc;

	/* The shipped example must load, and must mention every key. */
	rc = config_load(&c, SRCDIR "/conf/wapool.conf.example", &err);
	CHECK_INT(rc, 0);
	config_dump(&c, &dump);
	{
		FILE *f = fopen(SRCDIR "/conf/wapool.conf.example", "r");
		size_t n;

		example = calloc(1, 65536);
		n = fread(example, 1, 65535, f);
		example[n] = '\0';
		fclose(f);
	}
	for (p = strtok(dump.ptr, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		char key[80], needle[96];

		sscanf(p, "%79s", key);
		snprintf(needle, sizeof(needle), "\n%s =", key);
		if (strstr(example, needle) == NULL)
			printf("# key %s is not documented in conf/wapool.conf.example\n", key);
		CHECK(strstr(example, needle) != NULL);
	}
	free(example);
	config_free(&c);
	buf_free(&err);
	buf_free(&dump);
}

static void
test_values_and_defaults(void)
{
	struct config c;
	struct buf err = BUF_INIT;

	CHECK_INT(load("# comment\n\ndb_host = db.example\ndb_port=3307\n"
	    "breaker_failure_rate = 0.25\ntyping = no\napi_key = \" spaced key \"\n", &c, &err), 0);
	CHECK_STR(c.db_host, "db.example");
	CHECK_INT(c.db_port, 3307);
	CHECK(c.breaker_failure_rate == 0.25);
	CHECK_INT(c.typing, 0);
	CHECK_STR(c.api_key, " spaced key ");
	CHECK_INT(c.max_attempts, 8);
	CHECK_INT(c.spacing_min_seconds, 15);
	CHECK_INT(c.spacing_max_seconds, 45);
	config_free(&c);
	buf_free(&err);
}

static void
test_errors_name_file_and_line(void)
{
	struct config c;
	struct buf err = BUF_INIT;
	char expected[128];

	CHECK_INT(load("db_host = x\nbogus_key = 1\n", &c, &err), -1);
	snprintf(expected, sizeof(expected), "%s:2: unknown key \"bogus_key\"", path);
	CHECK_STR(err.ptr, expected);
	config_free(&c);

	CHECK_INT(load("\n\ndb_port = 99999\n", &c, &err), -1);
	snprintf(expected, sizeof(expected), "%s:3: db_port: 99999 is out of range 1..65535", path);
	CHECK_STR(err.ptr, expected);
	config_free(&c);

	CHECK_INT(load("max_attempts = 3x\n", &c, &err), -1);
	CHECK(strstr(err.ptr, ":1: max_attempts: \"3x\" is not an integer") != NULL);
	config_free(&c);

	CHECK_INT(load("just some words\n", &c, &err), -1);
	CHECK(strstr(err.ptr, ":1: expected \"key = value\"") != NULL);
	config_free(&c);

	CHECK_INT(load("typing = maybe\n", &c, &err), -1);
	CHECK(strstr(err.ptr, "typing: \"maybe\" is not yes or no") != NULL);
	config_free(&c);

	CHECK_INT(load("log_level = loud\n", &c, &err), -1);
	CHECK(strstr(err.ptr, "log_level") != NULL);
	config_free(&c);

	CHECK_INT(load("spacing_min_seconds = 50\n", &c, &err), -1);
	CHECK(strstr(err.ptr, "spacing_min_seconds (50) is above spacing_max_seconds (45)") != NULL);
	config_free(&c);
	buf_free(&err);
}

static void
test_environment_overrides(void)
{
	struct config c;
	struct buf err = BUF_INIT;

	setenv("WAPOOL_DB_NAME", "from_env", 1);
	CHECK_INT(load("db_name = from_file\n", &c, &err), 0);
	CHECK_STR(c.db_name, "from_env");
	config_free(&c);
	setenv("WAPOOL_MAX_ATTEMPTS", "zero", 1);
	CHECK_INT(load("", &c, &err), -1);
	CHECK(strstr(err.ptr, "WAPOOL_MAX_ATTEMPTS") != NULL);
	config_free(&c);
	unsetenv("WAPOOL_DB_NAME");
	unsetenv("WAPOOL_MAX_ATTEMPTS");
	buf_free(&err);
}

static void
test_missing_named_file(void)
{
	struct config c;
	struct buf err = BUF_INIT;

	CHECK_INT(config_load(&c, "/nonexistent/wapool.conf", &err), -1);
	CHECK(strstr(err.ptr, "/nonexistent/wapool.conf") != NULL);
	config_free(&c);
	buf_free(&err);
}

static const struct tap_test tests[] = {
	{ "the shipped example loads and documents every key", test_example_loads },
	{ "values, quoting and defaults", test_values_and_defaults },
	{ "errors name the file and line", test_errors_name_file_and_line },
	{ "WAPOOL_<KEY> environment overrides the file", test_environment_overrides },
	{ "a named file that is missing is an error", test_missing_named_file },
};

int
main(void)
{
	int rc = tap_run(tests, sizeof(tests) / sizeof(tests[0]));

	unlink(path);
	return rc;
}
