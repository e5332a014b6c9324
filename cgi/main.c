/*
 * main.c: wapool.fcgi, the FastCGI responder.
 *
 * Under a web server it runs fcgi_threads worker threads on the listening
 * socket it was given (fd 0), each with its own database and memcached
 * connection, plus one committer thread for webhook intake.  Started
 * without FastCGI (plain CGI, or from a shell for tests) it serves exactly
 * one request from the environment and stdin.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "committer.h"
#include "log.h"
#include "request.h"
#include "route-cache.h"
#include "router.h"
#include "util.h"
#include "wake.h"

#define ROUTE_CACHE_TTL_MS 2000

static void
worker_open(struct worker *w, struct app *app)
{
	struct buf err = BUF_INIT;

	/* serve_cgi's worker is on the stack: nothing may be left unset (rate). */
	memset(w, 0, sizeof(*w));
	w->app = app;
	/* A database that is down at start is retried by every later call. */
	if (db_open(&w->db, &app->config, &err) != DB_OK)
		log_warnx("database unreachable at start: %s", buf_cstr(&err));
	buf_free(&err);
	w->mc = mc_open(app->config.memcached_servers);
}

static void
worker_close(struct worker *w)
{
	db_close(w->db);
	rate_close(w->rate);
	mc_close(w->mc);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	/* Each request's own: a webhook handed to the committer outlives this loop turn. */
	for (;;) {
		FCGX_Request *fcgx = xmalloc(sizeof(*fcgx));
		struct req *r;

		FCGX_InitRequest(fcgx, 0, 0);
		if (FCGX_Accept_r(fcgx) < 0) {
			free(fcgx);
			break;
		}
		r = xmalloc(sizeof(*r));
		req_init(r, w, fcgx);
		w->handed_off = false;
		router_dispatch(r);
		if (!w->handed_off)
			req_end(r);
	}
	return NULL;
}

static int
app_init(struct app *app)
{
	struct buf err = BUF_INIT;
	const char *path = getenv("WAPOOL_CONF");

	memset(app, 0, sizeof(*app));
	if (config_load(&app->config, path, &err) != 0) {
		fprintf(stderr, "wapool.fcgi: %s\n", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	log_init("wapool.fcgi", true, (enum log_level)log_level_parse(app->config.log_level));
	app->access_log_fd = STDERR_FILENO;
	if (app->config.access_log[0] != '\0') {
		app->access_log_fd = open(app->config.access_log,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (app->access_log_fd < 0) {
			log_warn("cannot open access log %s; using stderr", app->config.access_log);
			app->access_log_fd = STDERR_FILENO;
		}
	}
	app->routes = route_cache_new(ROUTE_CACHE_TTL_MS);
	app->wake = wake_sender_open(app->config.wake_addresses);
	return 0;
}

static void
app_free(struct app *app)
{
	committer_stop(app->committer);
	route_cache_free(app->routes);
	wake_sender_close(app->wake);
	if (app->access_log_fd != STDERR_FILENO)
		close(app->access_log_fd);
	config_free(&app->config);
}

/* One request from the CGI environment; the router is the same. */
static int
serve_cgi(struct app *app)
{
	struct worker w;
	struct req r;

	worker_open(&w, app);
	req_init(&r, &w, NULL);
	router_dispatch(&r);
	req_finish(&r);
	worker_close(&w);
	return 0;
}

int
main(void)
{
	struct app app;
	struct worker *workers = NULL;
	pthread_t *threads = NULL;
	size_t i, n;
	int rc = 0;

	/* A web server closing a connection must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (app_init(&app) != 0)
		return 1;
	if (FCGX_IsCGI()) {
		rc = serve_cgi(&app);
		app_free(&app);
		return rc;
	}
	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	if ((app.committer = committer_start(&app.config, app.wake)) == NULL)
		fatalx("cannot start the intake committer thread");
	n = (size_t)app.config.fcgi_threads;
	workers = xcalloc(n, sizeof(*workers));
	threads = xcalloc(n, sizeof(*threads));
	for (i = 0; i < n; i++) {
		worker_open(&workers[i], &app);
		if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0)
			fatalx("cannot start worker thread %zu", i);
	}
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < n; i++)
		worker_close(&workers[i]);
	free(workers);
	free(threads);
	app_free(&app);
	return rc;
}
