/* main.c: wapool-sim, an HTTP simulator of WhatsApp gateways for tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "sim.h"

/*
 * Threading model: libmicrohttpd with one thread per connection.
 *
 * Gateways block: Evolution's `delay` and sendPresence hold the HTTP call
 * for seconds, and the latency/timeout knobs must do the same.  With a
 * thread per connection a handler simply sleeps (sim_sleep_ms); only that
 * connection waits, so a latency knob on one instance never slows requests
 * on other connections or instances, and handler code stays sequential.
 * The alternative (a fixed MHD thread pool plus suspend/resume driven by a
 * timer thread) saves threads but splits every blocking handler in two.
 * Clients here are test harnesses and one wapool daemon: a few hundred
 * connections at most, so a thread each (with a small stack) is cheap, and
 * with keep-alive the per-request cost is one poll() wake-up.  Shared state
 * sits behind one mutex held only for lookups and appends (state.c).
 *
 * --threads N (benchmarks only) serves every connection from a pool of N
 * epoll threads instead.  Hundreds of runnable connection threads on a
 * 2-CPU machine starve the one-threaded client being measured, which a
 * real gateway on its own host never does; the price is that a sleeping
 * handler (latency, timeout, delay knobs) holds up the other connections
 * of its thread, so tests keep the default.
 */

struct sim_config sim_cfg = {
	.bind = "127.0.0.1",
	.port = -1,
	.api_key = "sim-global-apikey",
	.max_sends = 2000000,
	.threads = 0,
};

#define MAX_BODY	(64u << 20)	/* Evolution allows 136 MB of JSON */

static atomic_bool stopping;
static pthread_mutex_t sleep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cv;

/*
 * Gateway modules, tried in order; the first whose match() accepts the
 * path answers.  Evolution serves the root paths (/instance/, /message/,
 * ...) and is the catch-all for unknown routes, so sibling gateways with
 * their own prefixes (WPPConnect "/api/", Meta "/v<N>.0/") go before it.
 */
struct gateway {
	const char	*name;
	bool		(*match)(const char *);
	void		(*handle)(struct sim_req *);
};

static const struct gateway gateways[] = {
	{ "control", control_match, control_handle },
	{ "evolution", evo_match, evo_handle },
};

bool
sim_stopping(void)
{
	return atomic_load(&stopping);
}

/* Sleeps `ms`, returning early when the simulator shuts down. */
void
sim_sleep_ms(int64_t ms)
{
	struct timespec ts;
	int64_t end;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
	ts.tv_sec = end / 1000;
	ts.tv_nsec = (end % 1000) * 1000000;
	pthread_mutex_lock(&sleep_mu);
	while (!atomic_load(&stopping))
		if (pthread_cond_timedwait(&sleep_cv, &sleep_mu, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&sleep_mu);
}

const char *
req_header(struct sim_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
req_query(struct sim_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

/* Stores a JSON reply; takes ownership of `o` (may be NULL: "null"). */
void
req_reply_json(struct sim_req *r, unsigned status, json_object *o)
{
	const char *s;
	size_t n;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	free(r->resp);
	r->resp = xmalloc(n + 1);
	memcpy(r->resp, s, n + 1);
	r->resp_len = n;
	r->status = status;
	r->ctype = "application/json; charset=utf-8";
	json_object_put(o);
}

void
req_reply_text(struct sim_req *r, unsigned status, const char *text)
{
	free(r->resp);
	r->resp = xstrdup(text);
	r->resp_len = strlen(text);
	r->status = status;
	r->ctype = "text/plain; charset=utf-8";
}

static void
dispatch(struct sim_req *r)
{
	size_t i;

	for (i = 0; i < sizeof(gateways) / sizeof(gateways[0]); i++)
		if (gateways[i].match(r->url)) {
			gateways[i].handle(r);
			return;
		}
	req_reply_text(r, 404, "not found");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **con_cls)
{
	struct sim_req *r = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->conn = conn;
		r->method = method;
		r->url = url;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_len > 0) {
		size_t n = *upload_len;

		*upload_len = 0;
		if (r->body_too_big || r->body_len + n > MAX_BODY) {
			r->body_too_big = true;
			return MHD_YES;
		}
		if (r->body_len + n + 1 > r->body_cap) {
			r->body_cap = (r->body_len + n + 1) * 2;
			r->body = xrealloc(r->body, r->body_cap);
		}
		memcpy(r->body + r->body_len, upload, n);
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}

	r->control = control_match(url);
	if (r->body_too_big)
		req_reply_text(r, 413, "request entity too large");
	else
		dispatch(r);
	if (!r->control)
		stats_request(r->hang ? 0 : r->status);
	if (r->hang)
		return MHD_NO;	/* drop the connection, never answer */
	if (r->status == 0)
		req_reply_text(r, 500, "no reply");
	resp = MHD_create_response_from_buffer(r->resp_len, r->resp,
	    MHD_RESPMEM_MUST_FREE);
	r->resp = NULL;
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->ctype);
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct sim_req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	free(r->body);
	free(r->resp);
	free(r);
	*con_cls = NULL;
}

/* MHD's error log, minus the line every deliberate hang (MHD_NO) causes. */
static void __attribute__((format(printf, 2, 0)))
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (strstr(buf, "Application reported internal error") != NULL)
		return;
	fprintf(stderr, "wapool-sim: %s", buf);
}

static void
usage(void)
{
	fputs("usage: wapool-sim --port N [--bind ADDR] [--api-key KEY]\n"
	    "                  [--webhook-url URL] [--record FILE]\n"
	    "                  [--server-url URL] [--max-sends N]\n"
	    "                  [--threads N]\n", stderr);
	exit(2);
}

static long
parse_num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static void
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "api-key", required_argument, NULL, 'k' },
		{ "webhook-url", required_argument, NULL, 'w' },
		{ "record", required_argument, NULL, 'r' },
		{ "server-url", required_argument, NULL, 's' },
		{ "max-sends", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:b:k:w:r:s:m:t:h", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'p':
			sim_cfg.port = (int)parse_num(optarg, 0, 65535);
			break;
		case 'b':
			sim_cfg.bind = optarg;
			break;
		case 'k':
			sim_cfg.api_key = optarg;
			break;
		case 'w':
			sim_cfg.webhook_url = optarg[0] ? optarg : NULL;
			break;
		case 'r':
			sim_cfg.record_path = optarg;
			break;
		case 's':
			sim_cfg.server_url = optarg;
			break;
		case 'm':
			sim_cfg.max_sends = (size_t)parse_num(optarg, 1,
			    1000000000L);
			break;
		case 't':
			sim_cfg.threads = (unsigned)parse_num(optarg, 0, 64);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || sim_cfg.port < 0)
		usage();
}

static struct MHD_Daemon *
start_http(void)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	/* 0: a thread per connection; 1 needs no pool option (MHD refuses 1). */
	unsigned pool = sim_cfg.threads > 1 ? sim_cfg.threads : 0;

	if (sim_cfg.threads == 0)
		flags |= MHD_USE_THREAD_PER_CONNECTION;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, sim_cfg.bind, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)sim_cfg.port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, sim_cfg.bind, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)sim_cfg.port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "wapool-sim: bad --bind address %s\n",
		    sim_cfg.bind);
		exit(2);
	}
	return MHD_start_daemon(flags, (uint16_t)sim_cfg.port, NULL, NULL,
	    on_request, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
	    pool > 0 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool,
	    MHD_OPTION_END);
}

int
main(int argc, char **argv)
{
	pthread_condattr_t ca;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	char *server_url = NULL;
	int sig = 0, port;

	parse_args(argc, argv);

	/* Signals go to the main thread's sigwait() only. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sleep_cv, &ca);
	pthread_condattr_destroy(&ca);

	state_init();
	if (webhook_start() != 0) {
		fputs("wapool-sim: cannot start the webhook poster\n", stderr);
		return 1;
	}
	if ((d = start_http()) == NULL) {
		fprintf(stderr, "wapool-sim: cannot listen on %s:%d\n",
		    sim_cfg.bind, sim_cfg.port);
		webhook_stop();
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info != NULL && info->port != 0 ? info->port : sim_cfg.port;
	if (sim_cfg.server_url == NULL) {
		server_url = xasprintf("http://%s:%d", sim_cfg.bind, port);
		sim_cfg.server_url = server_url;
	}
	printf("listening on %d\n", port);
	fflush(stdout);

	while (sig != SIGINT && sig != SIGTERM)
		if (sigwait(&set, &sig) != 0)
			break;

	atomic_store(&stopping, true);
	pthread_mutex_lock(&sleep_mu);
	pthread_cond_broadcast(&sleep_cv);
	pthread_mutex_unlock(&sleep_mu);
	MHD_stop_daemon(d);
	webhook_stop();
	state_free();
	free(server_url);
	return 0;
}
