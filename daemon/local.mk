# daemon/local.mk: wapoold (dispatch) and wapoolctl (operator command line).
bin_PROGRAMS += daemon/wapoolctl
daemon_wapoolctl_SOURCES = daemon/wapoolctl.c
daemon_wapoolctl_LDADD = $(WAPOOL_LIBS)

sbin_PROGRAMS += daemon/wapoold
daemon_wapoold_SOURCES = daemon/main.c daemon/dispatch.c daemon/dispatch.h \
	daemon/picker.c daemon/health.c daemon/housekeeping.c daemon/housekeeping.h \
	daemon/store.c daemon/store.h daemon/events.c
daemon_wapoold_LDADD = $(WAPOOL_LIBS)
