# daemon/local.mk: wapoold (dispatch) and wapoolctl (operator command line).
bin_PROGRAMS += daemon/wapoolctl
daemon_wapoolctl_SOURCES = daemon/wapoolctl.c
daemon_wapoolctl_LDADD = $(WAPOOL_LIBS)
