# lib/local.mk: libwapool, the core shared by wapool.fcgi, wapoold and wapoolctl.
noinst_LIBRARIES += lib/libwapool.a
lib_libwapool_a_SOURCES = \
	lib/util.c lib/util.h lib/buf.c lib/buf.h lib/log.c lib/log.h \
	lib/config.c lib/config.h \
	lib/phone.c lib/phone.h lib/jsonpath.c lib/jsonpath.h \
	lib/template.c lib/template.h lib/signature.c lib/signature.h \
	lib/backoff.c lib/backoff.h lib/breaker.c lib/breaker.h \
	lib/db.c lib/db.h lib/mc.c lib/mc.h lib/migrate.c lib/migrate.h \
	lib/intake.c lib/intake.h lib/routes.c lib/routes.h \
	lib/admin.c lib/admin.h lib/stats.c lib/stats.h lib/wake.c lib/wake.h
lib_libwapool_a_SOURCES += lib/rate.c lib/rate.h
lib_libwapool_a_SOURCES += lib/queue.c lib/queue.h lib/instances.c lib/instances.h \
	lib/gateway.c lib/gateway.h lib/gateway-evolution.c
lib_libwapool_a_SOURCES += lib/callbacks.c lib/callbacks.h lib/queue-ops.c lib/queue-ops.h \
	lib/pools.c lib/pools.h
lib_libwapool_a_SOURCES += lib/users.c lib/users.h lib/sessions.c lib/sessions.h \
	lib/fleet.c lib/fleet.h lib/gateway-admin.c lib/gateway-admin.h lib/views.c lib/views.h \
	lib/orphans.c lib/orphans.h lib/outbox.c lib/outbox.h \
	lib/jobs.c lib/jobs.h
lib_libwapool_a_SOURCES += lib/rate-calc.c lib/rate-calc.h
lib_libwapool_a_SOURCES += lib/rate-mc.c lib/rate-local.c lib/rate-int.h
lib_libwapool_a_SOURCES += lib/rate-settings.c lib/rate-settings.h
