# tests/unit/local.mk: unit tests (TAP), owned by the unit-test author.
# One program per lib/ module; each prints TAP through tests/unit/tap.h.
UNIT_TESTS = \
	tests/unit/test-phone \
	tests/unit/test-jsonpath \
	tests/unit/test-template \
	tests/unit/test-signature \
	tests/unit/test-backoff \
	tests/unit/test-breaker \
	tests/unit/test-utf8

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

tests_unit_test_phone_SOURCES = tests/unit/test-phone.c tests/unit/tap.h
tests_unit_test_phone_LDADD = $(WAPOOL_LIBS)
tests_unit_test_jsonpath_SOURCES = tests/unit/test-jsonpath.c tests/unit/tap.h
tests_unit_test_jsonpath_LDADD = $(WAPOOL_LIBS)
tests_unit_test_template_SOURCES = tests/unit/test-template.c tests/unit/tap.h
tests_unit_test_template_LDADD = $(WAPOOL_LIBS)
tests_unit_test_signature_SOURCES = tests/unit/test-signature.c tests/unit/tap.h
tests_unit_test_signature_LDADD = $(WAPOOL_LIBS)
tests_unit_test_backoff_SOURCES = tests/unit/test-backoff.c tests/unit/tap.h
tests_unit_test_backoff_LDADD = $(WAPOOL_LIBS)
tests_unit_test_breaker_SOURCES = tests/unit/test-breaker.c tests/unit/tap.h
tests_unit_test_breaker_LDADD = $(WAPOOL_LIBS)
tests_unit_test_utf8_SOURCES = tests/unit/test-utf8.c tests/unit/tap.h
tests_unit_test_utf8_LDADD = $(WAPOOL_LIBS)
check_PROGRAMS += tests/unit/test-config
TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/tap.h
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_config_LDADD = $(WAPOOL_LIBS)
# Rate gates (lib/rate.c, lib/rate-calc.c): pure arithmetic, then against a real memcached.
check_PROGRAMS += tests/unit/test-rate tests/unit/test-rate-mc
TESTS += tests/unit/test-rate tests/unit/test-rate-mc
tests_unit_test_rate_SOURCES = tests/unit/test-rate.c tests/unit/tap.h
tests_unit_test_rate_LDADD = $(WAPOOL_LIBS) -lm
tests_unit_test_rate_mc_SOURCES = tests/unit/test-rate-mc.c tests/unit/tap.h
tests_unit_test_rate_mc_LDADD = $(WAPOOL_LIBS)
