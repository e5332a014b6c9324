/*
 * curl-blast.c: raw libcurl-multi load for the dispatch benchmark.
 *
 * Two modes, both plain libcurl multi with keep-alive connections:
 *
 *   curl-blast send -u SIM_URL -k APIKEY -i inst1,inst2,... [-n N] [-c C]
 *	The dispatch baseline.  Posts N Evolution v2 sendText requests, the
 *	same shape wapoold sends ({"number":"55...","text":"..."} to
 *	/message/sendText/{instance} with header apikey), round-robin over
 *	the instances, keeping C requests in flight (closed loop), and prints
 *	sends/s.  Nothing is parsed: this is the floor of HTTP cost.
 *
 *   curl-blast pace -w WEBHOOK_URL -b SECRET -f BODY_TEMPLATE -s SIM_URL
 *		[-r RATE] [-d SECONDS] [-I ID_BASE] [-W WAIT_SECONDS]
 *	The latency probe.  Posts webhooks at a steady RATE per second for
 *	SECONDS (open loop: a slow answer does not delay the next post, like
 *	wrk2), each with a unique order id and phone (@ID@ and @PHONE@ in the
 *	body template are replaced), records the CLOCK_REALTIME time of each
 *	post, then reads the simulator's record (GET /_sim/sends, whose t_us
 *	is CLOCK_REALTIME at acceptance) and prints p50/p99 of
 *	webhook POST -> gateway receipt, joined on the recipient number.
 *
 * The last line of each mode is machine-readable (key=value).
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define PHONE_SPACE 10000000LL		/* 7 free digits of the phone */

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("curl-blast: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static int64_t
now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static int64_t
percentile(const int64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* Response bodies: counted and dropped, or kept when a buffer is given. */
struct sink {
	char	*ptr;
	size_t	 len, cap;
	bool	 keep;
};

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->keep) {
		if (s->len + n + 1 > s->cap) {
			s->cap = (s->len + n + 1) * 2;
			if ((s->ptr = realloc(s->ptr, s->cap)) == NULL)
				die("out of memory");
		}
		memcpy(s->ptr + s->len, data, n);
		s->len += n;
		s->ptr[s->len] = '\0';
	} else
		s->len += n;
	return n;
}

/* A blocking GET (the simulator's control API); the body in out. */
static long
http_get(const char *url, struct sink *out)
{
	CURL *e = curl_easy_init();
	long status = 0;

	out->keep = true;
	out->len = 0;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	return status;
}

/* ---- send: the raw dispatch baseline ----------------------------------- */

struct slot {
	CURL			*easy;
	struct curl_slist	*headers;
	struct sink		 sink;
	char			 url[512];
	char			 body[1024];
	int64_t			 started_us;
	size_t			 index;
};

static const char send_text[] =
    "Olá Maria! Recebemos o pagamento do seu pedido #%lld no valor de R$ 189.90. "
    "Obrigado por comprar na Império!";

static void
send_prepare(struct slot *s, const char *base, const char *apikey, const char *instance,
    long long n)
{
	char text[300];

	snprintf(s->url, sizeof(s->url), "%s/message/sendText/%s", base, instance);
	snprintf(text, sizeof(text), send_text, n);
	/* Same body as wapool's evolution driver: {"number":digits,"text":...}. */
	snprintf(s->body, sizeof(s->body), "{\"number\":\"551198%07lld\",\"text\":\"%s\"}",
	    n % PHONE_SPACE, text);
	if (s->headers == NULL) {
		char h[300];

		snprintf(h, sizeof(h), "apikey: %s", apikey);
		s->headers = curl_slist_append(NULL, h);
		s->headers = curl_slist_append(s->headers, "Content-Type: application/json");
		s->headers = curl_slist_append(s->headers, "Expect:");
	}
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->sink);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
}

static int
mode_send(int argc, char **argv)
{
	const char *base = NULL, *apikey = "sim-global-apikey", *list = NULL;
	long long total = 20000, conc = 64, started = 0, done = 0, ok = 0, errors = 0, id_base = 0;
	char **instances = NULL, *copy, *tok, *save = NULL;
	size_t ninstances = 0, i;
	struct slot *slots;
	int64_t t0, t1, *lat;
	long connects = 0;
	CURLM *multi;
	int ch;

	while ((ch = getopt(argc, argv, "u:k:i:n:c:I:")) != -1) {
		switch (ch) {
		case 'u': base = optarg; break;
		case 'k': apikey = optarg; break;
		case 'i': list = optarg; break;
		case 'n': total = atoll(optarg); break;
		case 'c': conc = atoll(optarg); break;
		case 'I': id_base = atoll(optarg); break;
		default: die("usage: curl-blast send -u SIM_URL -k APIKEY -i inst,... [-n N] [-c C]");
		}
	}
	if (base == NULL || list == NULL || total < 1 || conc < 1)
		die("usage: curl-blast send -u SIM_URL -k APIKEY -i inst,... [-n N] [-c C]");
	copy = strdup(list);
	instances = xcalloc(strlen(list) + 1, sizeof(*instances));
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		instances[ninstances++] = tok;
	if (conc > total)
		conc = total;
	slots = xcalloc((size_t)conc, sizeof(*slots));
	lat = xcalloc((size_t)total, sizeof(*lat));
	multi = curl_multi_init();
	/* Keep every connection: one per slot, reused for the whole run. */
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)conc);
	t0 = now_us(CLOCK_MONOTONIC);
	for (i = 0; i < (size_t)conc; i++) {
		slots[i].easy = curl_easy_init();
		slots[i].index = (size_t)started;
		send_prepare(&slots[i], base, apikey, instances[started % (long long)ninstances],
		    id_base + started);
		slots[i].started_us = now_us(CLOCK_MONOTONIC);
		curl_multi_add_handle(multi, slots[i].easy);
		started++;
	}
	while (done < total) {
		CURLMsg *msg;
		int running, left;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct slot *s;
			long status = 0, nc = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &nc);
			connects += nc;
			lat[done] = now_us(CLOCK_MONOTONIC) - s->started_us;
			done++;
			if (msg->data.result == CURLE_OK && status >= 200 && status < 300)
				ok++;
			else if (errors++ < 5)
				fprintf(stderr, "curl-blast: send %zu: %s, HTTP %ld\n", s->index,
				    curl_easy_strerror(msg->data.result), status);
			curl_multi_remove_handle(multi, s->easy);
			if (started < total) {
				s->index = (size_t)started;
				s->sink.len = 0;
				send_prepare(s, base, apikey,
				    instances[started % (long long)ninstances], id_base + started);
				s->started_us = now_us(CLOCK_MONOTONIC);
				curl_multi_add_handle(multi, s->easy);
				started++;
			}
		}
		if (done < total)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	t1 = now_us(CLOCK_MONOTONIC);
	qsort(lat, (size_t)total, sizeof(*lat), cmp_i64);
	{
		double secs = (double)(t1 - t0) / 1e6, rate = (double)ok / secs;

		printf("raw sendText: %lld requests to %zu instance(s), %lld in flight: %lld ok, "
		    "%lld errors in %.3f s = %.0f sends/s; %ld connections; latency p50 %.2f ms, "
		    "p99 %.2f ms\n", total, ninstances, conc, ok, errors, secs, rate, connects,
		    (double)percentile(lat, (size_t)total, 50) / 1000.0,
		    (double)percentile(lat, (size_t)total, 99) / 1000.0);
		printf("raw_mps=%.0f ok=%lld errors=%lld seconds=%.3f connections=%ld\n", rate, ok,
		    errors, secs, connects);
	}
	for (i = 0; i < (size_t)conc; i++) {
		curl_easy_cleanup(slots[i].easy);
		curl_slist_free_all(slots[i].headers);
	}
	curl_multi_cleanup(multi);
	free(slots);
	free(lat);
	free(instances);
	free(copy);
	return errors == 0 ? 0 : 1;
}

/* ---- pace: steady webhooks, end-to-end latency -------------------------- */

struct post {
	int64_t	 posted_rt_us;		/* CLOCK_REALTIME when the post started */
	int64_t	 answered_mono_us;	/* answer time minus start time, monotonic */
	int64_t	 started_mono_us;
	int64_t	 received_rt_us;	/* the simulator's t_us, 0 = not seen */
	long	 status;
	int	 seen;
};

struct pslot {
	CURL		*easy;
	struct sink	 sink;
	char		*body;
	size_t		 index;
	struct pslot	*next_free;
};

/* Replace every @ID@ and @PHONE@ of tpl. */
static char *
render(const char *tpl, long long id, const char *phone)
{
	size_t cap = strlen(tpl) + 256, len = 0;
	char *out = xcalloc(cap, 1), idbuf[32];
	const char *p = tpl;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	while (*p != '\0') {
		const char *rep = NULL;
		size_t skip = 0, rl;

		if (strncmp(p, "@ID@", 4) == 0)
			rep = idbuf, skip = 4;
		else if (strncmp(p, "@PHONE@", 7) == 0)
			rep = phone, skip = 7;
		rl = rep != NULL ? strlen(rep) : 1;
		if (len + rl + 1 > cap) {
			cap = (len + rl + 1) * 2;
			if ((out = realloc(out, cap)) == NULL)
				die("out of memory");
		}
		if (rep != NULL) {
			memcpy(out + len, rep, rl);
			p += skip;
		} else
			out[len] = *p++;
		len += rl;
	}
	out[len] = '\0';
	return out;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xcalloc((size_t)n + 1, 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("%s: short read", path);
	fclose(f);
	/* A trailing newline is not part of the JSON document we want to post. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

static long long
sim_last_seq(const char *sim)
{
	struct sink s = { 0 };
	char url[512];
	struct json_object *root, *v;
	long long seq = 0;

	snprintf(url, sizeof(url), "%s/_sim/stats", sim);
	if (http_get(url, &s) != 200)
		die("GET %s failed", url);
	root = json_tokener_parse(s.ptr);
	if (root != NULL && json_object_object_get_ex(root, "last_seq", &v))
		seq = json_object_get_int64(v);
	json_object_put(root);
	free(s.ptr);
	return seq;
}

/*
 * Read the simulator's sends after since; mark the posts they answer.
 * Returns the last seq read; *matched counts newly matched posts.
 */
static long long
sim_collect(const char *sim, long long since, struct post *posts, long long n, long long id_base,
    long long *matched, long long *foreign, long long *dups)
{
	for (;;) {
		struct sink s = { 0 };
		struct json_object *root, *arr;
		char url[512];
		size_t i, len;

		snprintf(url, sizeof(url), "%s/_sim/sends?since=%lld&limit=5000", sim, since);
		if (http_get(url, &s) != 200)
			die("GET %s failed", url);
		root = json_tokener_parse(s.ptr);
		free(s.ptr);
		if (root == NULL || !json_object_object_get_ex(root, "sends", &arr))
			die("unexpected answer from %s", url);
		len = json_object_array_length(arr);
		for (i = 0; i < len; i++) {
			struct json_object *it = json_object_array_get_idx(arr, i), *v;
			const char *number = NULL, *kind = NULL;
			long long seq = 0, digits, k;
			int64_t t_us = 0;

			if (json_object_object_get_ex(it, "seq", &v))
				seq = json_object_get_int64(v);
			if (json_object_object_get_ex(it, "number", &v))
				number = json_object_get_string(v);
			if (json_object_object_get_ex(it, "kind", &v))
				kind = json_object_get_string(v);
			if (json_object_object_get_ex(it, "t_us", &v))
				t_us = json_object_get_int64(v);
			if (seq > since)
				since = seq;
			if (kind == NULL || strcmp(kind, "text") != 0)
				continue;
			/* Ours: 551198 + 7 digits = (id_base + k) mod 10^7. */
			if (number == NULL || strlen(number) != 13 || strncmp(number, "551198", 6) != 0) {
				(*foreign)++;
				continue;
			}
			digits = atoll(number + 6);
			k = ((digits - id_base % PHONE_SPACE) % PHONE_SPACE + PHONE_SPACE) % PHONE_SPACE;
			if (k >= n) {
				(*foreign)++;
				continue;
			}
			if (posts[k].seen++) {
				(*dups)++;
				continue;
			}
			posts[k].received_rt_us = t_us;
			(*matched)++;
		}
		json_object_put(root);
		if (len < 5000)
			return since;
	}
}

static int
mode_pace(int argc, char **argv)
{
	const char *webhook = NULL, *secret = NULL, *tpl_path = NULL, *sim = NULL;
	double rate = 200, seconds = 20, wait_s = 10;
	long long id_base = 0, n, posted = 0, answered = 0, accepted = 0, matched = 0;
	long long foreign = 0, dups = 0, since, k, lost;
	struct curl_slist *headers = NULL;
	struct pslot *free_slots = NULL;
	struct post *posts;
	int64_t t0, *lat, *http;
	size_t nlat = 0, nhttp = 0;
	char *tpl, h[512];
	CURLM *multi;
	int ch;

	while ((ch = getopt(argc, argv, "w:b:f:s:r:d:I:W:")) != -1) {
		switch (ch) {
		case 'w': webhook = optarg; break;
		case 'b': secret = optarg; break;
		case 'f': tpl_path = optarg; break;
		case 's': sim = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'I': id_base = atoll(optarg); break;
		case 'W': wait_s = atof(optarg); break;
		default: goto usage;
		}
	}
	if (webhook == NULL || secret == NULL || tpl_path == NULL || sim == NULL || rate <= 0 ||
	    seconds <= 0)
		goto usage;
	n = (long long)(rate * seconds);
	if (n > PHONE_SPACE)
		die("too many posts for the phone space");
	tpl = read_file(tpl_path);
	posts = xcalloc((size_t)n, sizeof(*posts));
	snprintf(h, sizeof(h), "Authorization: Bearer %s", secret);
	headers = curl_slist_append(NULL, h);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Expect:");
	since = sim_last_seq(sim);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 64L);
	t0 = now_us(CLOCK_MONOTONIC);
	while (answered < n) {
		int64_t now = now_us(CLOCK_MONOTONIC), due;
		CURLMsg *msg;
		int running, left;
		long timeout_ms;

		/* Every post that is due goes now, whatever is still in flight. */
		while (posted < n && (due = t0 + (int64_t)((double)posted * 1e6 / rate)) <= now) {
			struct pslot *s = free_slots;
			char phone[32];
			long long id = id_base + posted;

			if (s != NULL)
				free_slots = s->next_free;
			else {
				s = xcalloc(1, sizeof(*s));
				s->easy = curl_easy_init();
			}
			/* "(11) 98xxx-xxxx": a valid São Paulo mobile, unique per post. */
			snprintf(phone, sizeof(phone), "(11) 98%03lld-%04lld",
			    (id % PHONE_SPACE) / 10000, id % 10000);
			free(s->body);
			s->body = render(tpl, id, phone);
			s->index = (size_t)posted;
			s->sink.len = 0;
			curl_easy_reset(s->easy);
			curl_easy_setopt(s->easy, CURLOPT_URL, webhook);
			curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, headers);
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
			curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, sink_write);
			curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->sink);
			curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
			curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, 15000L);
			posts[posted].posted_rt_us = now_us(CLOCK_REALTIME);
			posts[posted].started_mono_us = now_us(CLOCK_MONOTONIC);
			curl_multi_add_handle(multi, s->easy);
			posted++;
		}
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct pslot *s;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			posts[s->index].status = msg->data.result == CURLE_OK ? status : -1;
			posts[s->index].answered_mono_us = now_us(CLOCK_MONOTONIC) -
			    posts[s->index].started_mono_us;
			if (status == 202)
				accepted++;
			else if (answered - accepted < 5)
				fprintf(stderr, "curl-blast: webhook %zu: %s, HTTP %ld\n", s->index,
				    curl_easy_strerror(msg->data.result), status);
			answered++;
			curl_multi_remove_handle(multi, s->easy);
			s->next_free = free_slots;
			free_slots = s;
		}
		if (answered >= n)
			break;
		timeout_ms = 100;
		if (posted < n) {
			due = t0 + (int64_t)((double)posted * 1e6 / rate);
			now = now_us(CLOCK_MONOTONIC);
			timeout_ms = due > now ? (long)((due - now) / 1000) : 0;
		}
		curl_multi_poll(multi, NULL, 0, (int)timeout_ms, NULL);
	}
	{
		double took = (double)(now_us(CLOCK_MONOTONIC) - t0) / 1e6;

		printf("paced webhooks: %lld posted in %.2f s (%.1f/s target %.0f/s), %lld answered 202\n",
		    posted, took, (double)posted / took, rate, accepted);
	}
	/* Wait until every accepted post has reached the simulator (or WAIT passes). */
	{
		int64_t deadline = now_us(CLOCK_MONOTONIC) + (int64_t)(wait_s * 1e6);

		do {
			since = sim_collect(sim, since, posts, n, id_base, &matched, &foreign, &dups);
			if (matched >= accepted)
				break;
			usleep(100000);
		} while (now_us(CLOCK_MONOTONIC) < deadline);
	}
	lat = xcalloc((size_t)n, sizeof(*lat));
	http = xcalloc((size_t)n, sizeof(*http));
	for (k = 0; k < n; k++) {
		if (posts[k].status > 0)
			http[nhttp++] = posts[k].answered_mono_us;
		if (posts[k].seen)
			lat[nlat++] = posts[k].received_rt_us - posts[k].posted_rt_us;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	qsort(http, nhttp, sizeof(*http), cmp_i64);
	lost = accepted - matched;
	printf("webhook answer: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	    (double)percentile(http, nhttp, 50) / 1000.0, (double)percentile(http, nhttp, 99) / 1000.0,
	    nhttp ? (double)http[nhttp - 1] / 1000.0 : 0.0);
	printf("webhook POST -> gateway receipt: %zu matched, p50 %.2f ms, p90 %.2f ms, "
	    "p99 %.2f ms, max %.2f ms; %lld accepted but not seen, %lld duplicate sends, "
	    "%lld other sends\n", nlat,
	    (double)percentile(lat, nlat, 50) / 1000.0, (double)percentile(lat, nlat, 90) / 1000.0,
	    (double)percentile(lat, nlat, 99) / 1000.0, nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0,
	    lost, dups, foreign);
	printf("posted=%lld accepted=%lld delivered=%zu lost=%lld dups=%lld e2e_p50_ms=%.2f "
	    "e2e_p99_ms=%.2f e2e_max_ms=%.2f http_p50_ms=%.2f http_p99_ms=%.2f\n",
	    posted, accepted, nlat, lost, dups,
	    (double)percentile(lat, nlat, 50) / 1000.0, (double)percentile(lat, nlat, 99) / 1000.0,
	    nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0,
	    (double)percentile(http, nhttp, 50) / 1000.0,
	    (double)percentile(http, nhttp, 99) / 1000.0);
	while (free_slots != NULL) {
		struct pslot *s = free_slots;

		free_slots = s->next_free;
		curl_easy_cleanup(s->easy);
		free(s->body);
		free(s);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	free(posts);
	free(lat);
	free(http);
	free(tpl);
	return accepted == n && lost == 0 ? 0 : 1;
usage:
	die("usage: curl-blast pace -w WEBHOOK_URL -b SECRET -f BODY_TEMPLATE -s SIM_URL "
	    "[-r RATE] [-d SECONDS] [-I ID_BASE] [-W WAIT_SECONDS]");
}

int
main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		die("usage: curl-blast send|pace OPTIONS (see the comment at the top of curl-blast.c)");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "send") == 0)
		rc = mode_send(argc - 1, argv + 1);
	else if (strcmp(argv[1], "pace") == 0)
		rc = mode_pace(argc - 1, argv + 1);
	else
		die("unknown mode %s (send or pace)", argv[1]);
	curl_global_cleanup();
	return rc;
}
