# cgi/local.mk: wapool.fcgi, the FastCGI responder.
libexec_PROGRAMS += cgi/wapool.fcgi
cgi_wapool_fcgi_SOURCES = \
	cgi/main.c cgi/request.c cgi/request.h cgi/router.c cgi/router.h cgi/handlers.h \
	cgi/committer.c cgi/committer.h cgi/route-cache.c cgi/route-cache.h \
	cgi/webhook.c cgi/health.c cgi/api-stats.c
cgi_wapool_fcgi_LDADD = $(WAPOOL_LIBS) $(FCGI_LIBS)
cgi_wapool_fcgi_SOURCES += cgi/gateway-callback.c cgi/api-queue.c cgi/api-pools.c cgi/api-controls.c
cgi_wapool_fcgi_SOURCES += cgi/html.c cgi/html.h cgi/form.c cgi/form.h cgi/session.c \
	cgi/session.h cgi/pages.c cgi/pages.h cgi/page-login.c cgi/page-dashboard.c \
	cgi/page-gateways.c cgi/page-instances.c cgi/page-instance.c cgi/page-orphans.c \
	cgi/page-webhooks.c cgi/page-queue.c cgi/api-usage.c cgi/api-instance.c cgi/api-messages.c
