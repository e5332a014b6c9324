# tests/sim/local.mk: gateway simulators.
#
# wapool-sim speaks the real gateway HTTP contracts (Evolution API v2 now;
# WPPConnect and Meta Cloud API can be added as sibling files registered in
# main.c) plus a /_sim/ control API.  It never links lib/libwapool.a: the
# simulator must not share code with what it tests.  See tests/sim/README.md.
if HAVE_MICROHTTPD
noinst_PROGRAMS += tests/sim/wapool-sim
tests_sim_wapool_sim_SOURCES = tests/sim/main.c tests/sim/control.c \
	tests/sim/evolution.c tests/sim/state.c tests/sim/webhook.c \
	tests/sim/png.c tests/sim/util.c tests/sim/sim.h
tests_sim_wapool_sim_CFLAGS = $(AM_CFLAGS) $(MICROHTTPD_CFLAGS)
tests_sim_wapool_sim_LDADD = $(MICROHTTPD_LIBS) $(CURL_LIBS) $(JSONC_LIBS)
endif
EXTRA_DIST += tests/sim/README.md
