/*
 * gateway-admin.c: synchronous instance management on Evolution API v2
 * (create, connect/QR, state, fetch, logout, delete, test), for the admin
 * pages and wapoolctl.  Sending lives in the daemon's drivers, not here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "gateway-admin.h"
#include "util.h"

#define GWA_MAX_BODY (2 * 1024 * 1024)

static const char *const result_names[GWA_RESULT__MAX] = {
	"ok",				/* GWA_OK */
	"already exists",		/* GWA_EXISTS */
	"not found on the gateway",	/* GWA_NOT_FOUND */
	"API key refused",		/* GWA_UNAUTHORIZED */
	"refused",			/* GWA_REFUSED */
	"unreachable",			/* GWA_UNREACHABLE */
	"unexpected answer",		/* GWA_BAD_REPLY */
	"not supported for this gateway kind",	/* GWA_UNSUPPORTED */
};

const char *
gwa_result_str(enum gwa_result r)
{
	return (unsigned)r < GWA_RESULT__MAX ? result_names[r] : "?";
}

const char *
gwa_state_to_instance(const char *state)
{
	if (state == NULL)
		return "unknown";
	if (strcmp(state, "open") == 0)
		return "connected";
	if (strcmp(state, "connecting") == 0)
		return "connecting";
	if (strcmp(state, "close") == 0)
		return "disconnected";
	if (strcmp(state, "refused") == 0)
		return "refused";
	return "unknown";
}

/* One HTTP exchange: the answer as status + capped body + parsed JSON. */
struct exchange {
	long			 status;
	struct buf		 body;
	bool			 too_large;
	struct json_object	*json;
	long long		 elapsed_ms;
};

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct exchange *x = arg;
	size_t len = size * nmemb;

	if (x->body.len + len > GWA_MAX_BODY) {
		x->too_large = true;
		return 0;	/* aborts the transfer with CURLE_WRITE_ERROR */
	}
	buf_append(&x->body, data, len);
	return len;
}

static void
exchange_free(struct exchange *x)
{
	buf_free(&x->body);
	if (x->json != NULL)
		json_object_put(x->json);
	memset(x, 0, sizeof(*x));
}

/* base + path (path already escaped), without a doubled slash. */
static char *
make_url(const char *base, const char *path)
{
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	return xasprintf("%.*s%s", (int)len, base, path);
}

/* "/instance/<verb>/<escaped name>"; caller frees. */
static char *
instance_path(const char *verb, const char *name)
{
	char *escaped = curl_easy_escape(NULL, name, 0);
	char *path = xasprintf("/instance/%s/%s", verb, escaped != NULL ? escaped : "");

	curl_free(escaped);
	return path;
}

/*
 * Run method on base_url + path with the apikey header (when with_key) and
 * an optional JSON body.  Returns GWA_OK when an HTTP answer came (any
 * status), GWA_UNREACHABLE / GWA_BAD_REPLY otherwise, with err set.
 */
static enum gwa_result
call(const struct gwa_server *s, const char *method, const char *path, bool with_key,
    const char *json_body, struct exchange *x, struct buf *err)
{
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct buf header = BUF_INIT;
	char *url = make_url(s->base_url, path);
	int64_t started = clock_mono_ms();
	enum gwa_result result = GWA_OK;
	CURLcode code;
	CURL *curl;

	memset(x, 0, sizeof(*x));
	if ((curl = curl_easy_init()) == NULL) {
		buf_puts(err, "libcurl could not start a transfer");
		free(url);
		return GWA_UNREACHABLE;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (with_key && s->api_key != NULL && s->api_key[0] != '\0') {
		buf_printf(&header, "apikey: %s", s->api_key);
		headers = curl_slist_append(headers, header.ptr);
	}
	if (json_body != NULL) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 3000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, s->timeout_ms > 0 ? s->timeout_ms : 15000L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "wapool-admin/1");
	code = curl_easy_perform(curl);
	x->elapsed_ms = clock_mono_ms() - started;
	if (x->too_large) {
		buf_printf(err, "%s %s: the answer is larger than %d bytes", method, path,
		    GWA_MAX_BODY);
		result = GWA_BAD_REPLY;
	} else if (code != CURLE_OK) {
		buf_printf(err, "%s %s: %s", method, path,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code));
		result = GWA_UNREACHABLE;
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &x->status);
		if (x->body.len > 0)
			x->json = json_tokener_parse(buf_cstr(&x->body));
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	buf_free(&header);
	free(url);
	return result;
}

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static char *
json_strdup(struct json_object *o, const char *key)
{
	const char *v = json_str(o, key);

	return v != NULL ? xstrdup(v) : NULL;
}

/*
 * The gateway's own words: response.message (a string, an array of
 * strings, or nested arrays/objects), or a 2xx {error:true, message}.
 */
static void
error_message(const struct exchange *x, struct buf *out)
{
	struct json_object *response, *message = NULL;

	if (x->json != NULL && json_object_object_get_ex(x->json, "response", &response))
		json_object_object_get_ex(response, "message", &message);
	else if (x->json != NULL)
		json_object_object_get_ex(x->json, "message", &message);
	while (message != NULL && json_object_is_type(message, json_type_array) &&
	    json_object_array_length(message) > 0)
		message = json_object_array_get_idx(message, 0);
	if (message != NULL && json_object_is_type(message, json_type_string))
		buf_puts(out, json_object_get_string(message));
	else if (message != NULL)
		buf_puts(out, json_object_to_json_string_ext(message, JSON_C_TO_STRING_PLAIN));
	else if (x->body.len > 0)
		buf_printf(out, "%.200s", buf_cstr((struct buf *)&x->body));
	else
		buf_puts(out, "(empty answer)");
}

/* Classify an HTTP answer of an instance route. */
static enum gwa_result
classify(const struct exchange *x, const char *what, struct buf *err)
{
	struct json_object *flag;

	if (x->status >= 200 && x->status < 300) {
		/* connect and restart answer 200 {error:true, message} on failure. */
		if (x->json != NULL && json_object_object_get_ex(x->json, "error", &flag) &&
		    json_object_is_type(flag, json_type_boolean) && json_object_get_boolean(flag)) {
			buf_printf(err, "%s: the gateway reported an error: ", what);
			error_message(x, err);
			return GWA_REFUSED;
		}
		if (x->json == NULL) {
			buf_printf(err, "%s: the answer is not JSON", what);
			return GWA_BAD_REPLY;
		}
		return GWA_OK;
	}
	buf_printf(err, "%s: HTTP %ld: ", what, x->status);
	error_message(x, err);
	if (x->status == 401)
		return GWA_UNAUTHORIZED;
	if (x->status == 404)
		return GWA_NOT_FOUND;
	if (x->status == 403 && strstr(buf_cstr(err), "already in use") != NULL)
		return GWA_EXISTS;
	return GWA_REFUSED;
}

static enum gwa_result
require_evolution(const struct gwa_server *s, struct buf *err)
{
	if (s->kind != NULL && strcmp(s->kind, "evolution") == 0)
		return GWA_OK;
	buf_printf(err, "instance management from wapool is available for Evolution API "
	    "servers; this server is \"%s\"", s->kind != NULL ? s->kind : "?");
	return GWA_UNSUPPORTED;
}

enum gwa_result
gwa_test(const struct gwa_server *s, struct buf *answer)
{
	struct exchange x;
	struct buf err = BUF_INIT;
	enum gwa_result rc;
	const char *message, *version;

	if ((rc = call(s, "GET", "/", false, NULL, &x, answer)) != GWA_OK)
		goto out;
	message = json_str(x.json, "message");
	version = json_str(x.json, "version");
	buf_printf(answer, "GET / answered HTTP %ld in %lld ms", x.status, x.elapsed_ms);
	if (message != NULL)
		buf_printf(answer, ": \"%.200s\"", message);
	if (version != NULL)
		buf_printf(answer, " (version %.40s)", version);
	if (x.status < 200 || x.status >= 300) {
		rc = GWA_REFUSED;
		goto out;
	}
	if (s->kind == NULL || strcmp(s->kind, "evolution") != 0)
		goto out;
	if (version == NULL || version[0] < '2') {
		buf_puts(answer, "; this does not look like Evolution API v2");
		rc = GWA_BAD_REPLY;
		goto out;
	}
	exchange_free(&x);
	if ((rc = call(s, "GET", "/instance/fetchInstances", true, NULL, &x, &err)) != GWA_OK) {
		buf_printf(answer, "; %s", buf_cstr(&err));
		goto out;
	}
	if (x.status == 401) {
		buf_puts(answer, "; the API key was refused (HTTP 401)");
		rc = GWA_UNAUTHORIZED;
	} else if (x.status == 200 && x.json != NULL &&
	    json_object_is_type(x.json, json_type_array))
		buf_printf(answer, "; API key accepted, %zu instance(s) on the server",
		    json_object_array_length(x.json));
	else {
		buf_printf(answer, "; fetchInstances answered HTTP %ld", x.status);
		rc = GWA_REFUSED;
	}
out:
	exchange_free(&x);
	buf_free(&err);
	return rc;
}

enum gwa_result
gwa_create(const struct gwa_server *s, const char *name, const char *webhook_url,
    char **token, char **external_id, struct buf *err)
{
	struct json_object *body = NULL, *hook, *events, *instance;
	struct exchange x = { 0 };
	enum gwa_result rc;
	const char *hash;

	*token = NULL;
	*external_id = NULL;
	if ((rc = require_evolution(s, err)) != GWA_OK)
		return rc;
	body = json_object_new_object();
	json_object_object_add(body, "instanceName", json_object_new_string(name));
	json_object_object_add(body, "integration", json_object_new_string("WHATSAPP-BAILEYS"));
	json_object_object_add(body, "qrcode", json_object_new_boolean(0));
	if (webhook_url != NULL) {
		hook = json_object_new_object();
		events = json_object_new_array();
		json_object_array_add(events, json_object_new_string("MESSAGES_UPDATE"));
		json_object_array_add(events, json_object_new_string("CONNECTION_UPDATE"));
		json_object_array_add(events, json_object_new_string("MESSAGES_UPSERT"));
		json_object_object_add(hook, "url", json_object_new_string(webhook_url));
		json_object_object_add(hook, "byEvents", json_object_new_boolean(0));
		json_object_object_add(hook, "base64", json_object_new_boolean(0));
		json_object_object_add(hook, "events", events);
		json_object_object_add(body, "webhook", hook);
	}
	if ((rc = call(s, "POST", "/instance/create", true,
	    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), &x, err)) != GWA_OK)
		goto out;
	if ((rc = classify(&x, "create", err)) != GWA_OK)
		goto out;
	/* v2: hash is the token string; v1 had {apikey}. */
	if ((hash = json_str(x.json, "hash")) != NULL)
		*token = xstrdup(hash);
	if (json_object_object_get_ex(x.json, "instance", &instance))
		*external_id = json_strdup(instance, "instanceId");
out:
	json_object_put(body);
	exchange_free(&x);
	return rc;
}

void
gwa_qr_free(struct gwa_qr *qr)
{
	free(qr->base64);
	free(qr->code);
	free(qr->pairing_code);
	free(qr->state);
	memset(qr, 0, sizeof(*qr));
}

enum gwa_result
gwa_connect(const struct gwa_server *s, const char *name, const char *number,
    struct gwa_qr *qr, struct buf *err)
{
	struct json_object *instance, *count;
	struct exchange x = { 0 };
	enum gwa_result rc;
	char *path, *full;

	memset(qr, 0, sizeof(*qr));
	if ((rc = require_evolution(s, err)) != GWA_OK)
		return rc;
	path = instance_path("connect", name);
	if (number != NULL && number[0] != '\0') {
		char *escaped = curl_easy_escape(NULL, number, 0);

		full = xasprintf("%s?number=%s", path, escaped != NULL ? escaped : "");
		curl_free(escaped);
	} else
		full = xstrdup(path);
	if ((rc = call(s, "GET", full, true, NULL, &x, err)) != GWA_OK ||
	    (rc = classify(&x, "connect", err)) != GWA_OK)
		goto out;
	/* Already open: the connectionState shape {instance:{state}}. */
	if (json_object_object_get_ex(x.json, "instance", &instance)) {
		qr->state = json_strdup(instance, "state");
		goto out;
	}
	qr->base64 = json_strdup(x.json, "base64");
	qr->code = json_strdup(x.json, "code");
	qr->pairing_code = json_strdup(x.json, "pairingCode");
	if (json_object_object_get_ex(x.json, "count", &count))
		qr->count = json_object_get_int(count);
out:
	exchange_free(&x);
	free(path);
	free(full);
	return rc;
}

enum gwa_result
gwa_state(const struct gwa_server *s, const char *name, char **state, struct buf *err)
{
	struct json_object *instance;
	struct exchange x = { 0 };
	enum gwa_result rc;
	char *path;

	*state = NULL;
	if ((rc = require_evolution(s, err)) != GWA_OK)
		return rc;
	path = instance_path("connectionState", name);
	if ((rc = call(s, "GET", path, true, NULL, &x, err)) != GWA_OK ||
	    (rc = classify(&x, "connectionState", err)) != GWA_OK)
		goto out;
	if (!json_object_object_get_ex(x.json, "instance", &instance) ||
	    (*state = json_strdup(instance, "state")) == NULL) {
		buf_puts(err, "connectionState: no instance.state in the answer");
		rc = GWA_BAD_REPLY;
	}
out:
	exchange_free(&x);
	free(path);
	return rc;
}

void
gwa_remote_free(struct gwa_remote *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].state);
		free(list[i].number);
		free(list[i].owner_jid);
	}
	free(list);
}

enum gwa_result
gwa_fetch(const struct gwa_server *s, struct gwa_remote **list, size_t *n, struct buf *err)
{
	struct exchange x = { 0 };
	enum gwa_result rc;
	size_t i, len;

	*list = NULL;
	*n = 0;
	if ((rc = require_evolution(s, err)) != GWA_OK)
		return rc;
	if ((rc = call(s, "GET", "/instance/fetchInstances", true, NULL, &x, err)) != GWA_OK ||
	    (rc = classify(&x, "fetchInstances", err)) != GWA_OK)
		goto out;
	if (!json_object_is_type(x.json, json_type_array)) {
		buf_puts(err, "fetchInstances: the answer is not an array");
		rc = GWA_BAD_REPLY;
		goto out;
	}
	len = json_object_array_length(x.json);
	*list = xcalloc(len, sizeof(**list));
	for (i = 0; i < len; i++) {
		struct json_object *item = json_object_array_get_idx(x.json, i), *inner;
		struct gwa_remote *g = &(*list)[*n];

		/* v2 rows are flat; v1 wrapped them in {instance:{instanceName,status}}. */
		if (json_object_object_get_ex(item, "instance", &inner)) {
			g->name = json_strdup(inner, "instanceName");
			g->state = json_strdup(inner, "status");
			g->owner_jid = json_strdup(inner, "owner");
		} else {
			g->name = json_strdup(item, "name");
			g->state = json_strdup(item, "connectionStatus");
			g->number = json_strdup(item, "number");
			g->owner_jid = json_strdup(item, "ownerJid");
		}
		if (g->name == NULL) {
			free(g->state);
			free(g->number);
			free(g->owner_jid);
			memset(g, 0, sizeof(*g));
			continue;
		}
		(*n)++;
	}
out:
	exchange_free(&x);
	return rc;
}

enum gwa_result
gwa_logout(const struct gwa_server *s, const char *name, struct buf *err)
{
	struct exchange x = { 0 };
	enum gwa_result rc;
	char *path;

	if ((rc = require_evolution(s, err)) != GWA_OK)
		return rc;
	path = instance_path("logout", name);
	if ((rc = call(s, "DELETE", path, true, NULL, &x, err)) == GWA_OK) {
		struct buf why = BUF_INIT;

		rc = classify(&x, "logout", &why);
		/* Logging out an instance that is not connected is already done. */
		if (rc == GWA_REFUSED && x.status == 400 && strstr(buf_cstr(&why), "not connected"))
			rc = GWA_OK;
		if (rc != GWA_OK)
			buf_puts(err, buf_cstr(&why));
		buf_free(&why);
	}
	exchange_free(&x);
	free(path);
	return rc;
}

enum gwa_result
gwa_delete(const struct gwa_server *s, const char *name, struct buf *err)
{
	struct exchange x = { 0 };
	enum gwa_result rc;
	char *path;

	if ((rc = require_evolution(s, err)) != GWA_OK)
		return rc;
	path = instance_path("delete", name);
	if ((rc = call(s, "DELETE", path, true, NULL, &x, err)) == GWA_OK)
		rc = classify(&x, "delete", err);
	exchange_free(&x);
	free(path);
	return rc;
}
