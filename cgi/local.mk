# cgi/local.mk: wapool.fcgi, the FastCGI responder.
libexec_PROGRAMS += cgi/wapool.fcgi
cgi_wapool_fcgi_SOURCES = \
	cgi/main.c cgi/request.c cgi/request.h cgi/router.c cgi/router.h cgi/handlers.h \
	cgi/committer.c cgi/committer.h cgi/route-cache.c cgi/route-cache.h \
	cgi/webhook.c cgi/health.c cgi/api-stats.c
cgi_wapool_fcgi_LDADD = $(WAPOOL_LIBS) $(FCGI_LIBS)
