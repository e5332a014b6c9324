/*
 * page-gateways.c: /admin/gateways: list, add, edit, activate/deactivate
 * and "test connection" of the gateway servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "fleet.h"
#include "form.h"
#include "gateway-admin.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "util.h"

static const char *const kinds[] = { "evolution", "wppconnect", "meta", NULL };

enum {
	K_NAME,
	K_KIND,
	K_URL,
	K_API_KEY,
	K_CAPACITY,
	K_PRIORITY,
	K_ACTIVE,
	K__MAX
};

static const struct form_field keys[K__MAX] = {
	{ "name", FORM_TEXT, true, 100, 0, 0, NULL, NULL },			/* K_NAME */
	{ "kind", FORM_CHOICE, true, 0, 0, 0, kinds, NULL },			/* K_KIND */
	{ "base_url", FORM_TEXT, true, 500, 0, 0, NULL, form_check_http_url },	/* K_URL */
	{ "api_key", FORM_SECRET, false, 500, 0, 0, NULL, NULL },		/* K_API_KEY */
	{ "capacity", FORM_INT, true, 0, 1, 100000, NULL, NULL },		/* K_CAPACITY */
	{ "priority", FORM_INT, false, 0, -1000, 1000, NULL, NULL },		/* K_PRIORITY */
	{ "active", FORM_BOOL, false, 0, 0, 0, NULL, NULL },			/* K_ACTIVE */
};

/* Notices after a redirect: the query names one, the text is ours. */
static const struct {
	const char	*done;
	const char	*text;
} notices[] = {
	{ "added", "Gateway server added." },
	{ "updated", "Gateway server saved." },
	{ "tested", "Connection tested: the answer is shown below." },
	{ "activated", "Gateway server activated: new instances may be placed on it." },
	{ "deactivated", "Gateway server deactivated: no new instance will be placed on it." },
};

static void
done_notice(struct req *r)
{
	char *done = req_query_arg(r, "done");
	size_t i;

	for (i = 0; done != NULL && i < ARRAY_SIZE(notices); i++)
		if (strcmp(done, notices[i].done) == 0)
			html_notice(r, "ok", notices[i].text);
	free(done);
}

/* The id in /admin/gateways/{id}..., or 0. */
static long long
path_id(struct req *r)
{
	long long id;

	return r->nparams > 0 && safe_strtoll(r->params[0], &id) && id > 0 ? id : 0;
}

/*
 * The add/edit form.  f holds what was typed (re-render after an error) or
 * is NULL; g holds the stored row (edit) or is NULL (add).
 */
static void
gateway_form(struct req *r, const struct form *f, const struct fleet_gateway *g)
{
	char capacity[32], priority[32];
	const char *kind = f != NULL ? f->v[K_KIND].s : g != NULL ? g->kind : "evolution";
	bool active = f != NULL ? f->v[K_ACTIVE].i != 0 : g != NULL ? g->active : true;
	size_t i;

	snprintf(capacity, sizeof(capacity), "%lld", g != NULL ? g->capacity : 20);
	snprintf(priority, sizeof(priority), "%lld", g != NULL ? g->priority : 0);
	if (g != NULL) {
		char *action = xasprintf("/admin/gateways/%lld", g->id);

		html_form_begin(r, action, "card form");
		free(action);
	} else
		html_form_begin(r, "/admin/gateways", "card form");
	html_field(r, "Name", "name", "text", f != NULL ? f->v[K_NAME].s : g != NULL ? g->name : "",
	    f != NULL ? f->v[K_NAME].error : NULL, NULL);
	html_select_begin(r, "Kind", "kind", f != NULL ? f->v[K_KIND].error : NULL);
	for (i = 0; kinds[i] != NULL; i++)
		html_option(r, kinds[i], kinds[i], strcmp(kinds[i], kind) == 0);
	html_select_end(r, "kind", f != NULL ? f->v[K_KIND].error : NULL, NULL);
	html_field(r, "Base URL", "base_url", "url", f != NULL ? f->v[K_URL].s :
	    g != NULL ? g->base_url : "", f != NULL ? f->v[K_URL].error : NULL,
	    "e.g. https://evolution.example.com");
	html_field(r, "API key", "api_key", "password", NULL, f != NULL ? f->v[K_API_KEY].error : NULL,
	    g != NULL ? "leave empty to keep the stored key" :
	    "the server's global key (AUTHENTICATION_API_KEY)");
	html_field(r, "Capacity (instances)", "capacity", "number", f != NULL ?
	    f->v[K_CAPACITY].s : capacity, f != NULL ? f->v[K_CAPACITY].error : NULL,
	    "wapool keeps this limit itself: Evolution API has none");
	html_field(r, "Priority", "priority", "number", f != NULL ? f->v[K_PRIORITY].s : priority,
	    f != NULL ? f->v[K_PRIORITY].error : NULL, "higher is chosen first");
	html_checkbox(r, "Active", "active", active);
	html_button(r, g != NULL ? "Save" : "Add gateway server", "primary");
	html_form_end(r);
}

static void
gateways_table(struct req *r, const struct fleet_gateway *g, size_t n)
{
	size_t i;

	if (n == 0) {
		html_raw(r, "<p class=\"muted\">No gateway server yet.</p>\n");
		return;
	}
	html_raw(r, "<table class=\"list\">\n<thead><tr><th>Name</th><th>Kind</th><th>Base URL</th>"
	    "<th>API key</th><th>Capacity</th><th>Priority</th><th>Active</th><th>Usage</th>"
	    "<th>Last test</th><th></th></tr></thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		char *base = xasprintf("/admin/gateways/%lld", g[i].id);
		char *test = xasprintf("%s/test", base), *toggle = xasprintf("%s/active", base);

		html_raw(r, "<tr class=\"status-");
		html_attr(r, fleet_gateway_status(&g[i]));
		html_raw(r, "\"><td><a href=\"");
		html_attr(r, base);
		html_raw(r, "\">");
		html_text(r, g[i].name);
		html_raw(r, "</a></td><td>");
		html_text(r, g[i].kind);
		html_raw(r, "</td><td class=\"url\">");
		html_text(r, g[i].base_url);
		html_raw(r, "</td><td>");
		html_masked(r, g[i].api_key);
		html_raw(r, "</td><td>");
		html_int(r, g[i].capacity);
		html_raw(r, "</td><td>");
		html_int(r, g[i].priority);
		html_raw(r, "</td><td>");
		html_raw(r, g[i].active ? "yes" : "<span class=\"badge\">inactive</span>");
		html_raw(r, "</td><td>");
		html_int(r, g[i].connected);
		html_raw(r, " connected, ");
		html_int(r, g[i].assigned);
		html_raw(r, " assigned (");
		html_textf(r, "%.0f%%", fleet_usage_percent(&g[i]));
		html_raw(r, ")</td><td>");
		html_text(r, g[i].last_check_at != NULL ? g[i].last_check_at : "never");
		html_raw(r, "</td><td class=\"actions\">");
		html_post_button(r, test, "Test connection", NULL);
		html_form_begin(r, toggle, "inline");
		html_hidden(r, "active", g[i].active ? "0" : "1");
		html_button(r, g[i].active ? "Deactivate" : "Activate", NULL);
		html_form_end(r);
		html_raw(r, "</td></tr>\n");
		free(base);
		free(test);
		free(toggle);
	}
	html_raw(r, "</tbody></table>\n");
}

/* The list page with the add form (f: what was typed after an error, or NULL). */
static void
gateways_page(struct req *r, int status, const struct form *f, const char *error)
{
	struct fleet_gateway *g = NULL;
	size_t n = 0;

	if (fleet_gateways(r->db, &g, &n) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return;
	}
	r->status = status;
	html_page_begin(r, "Gateway servers", NAV_GATEWAYS, 0);
	done_notice(r);
	if (error != NULL)
		html_notice(r, "error", error);
	gateways_table(r, g, n);
	html_raw(r, "<h2 id=\"add\">Add a gateway server</h2>\n");
	gateway_form(r, f, NULL);
	html_page_end(r);
	fleet_gateways_free(g, n);
}

/* GET /admin/gateways */
void
page_gateways(struct req *r)
{
	gateways_page(r, 200, NULL, NULL);
}

static void
spec_from_form(const struct form *f, struct gateway_spec *s)
{
	s->name = f->v[K_NAME].s;
	s->kind = f->v[K_KIND].s;
	s->base_url = f->v[K_URL].s;
	s->api_key = f->v[K_API_KEY].s;
	s->capacity = f->v[K_CAPACITY].i;
	s->priority = f->v[K_PRIORITY].i;
	s->active = f->v[K_ACTIVE].i != 0;
}

/* POST /admin/gateways: 303 to the list, or 400 with the errors beside the fields. */
void
page_gateway_add(struct req *r)
{
	struct gateway_spec spec;
	struct form f;
	long long id = 0;
	int rc;

	form_parse(r, keys, K__MAX, &f);
	if (!f.v[K_API_KEY].present && f.v[K_API_KEY].error == NULL)
		form_set_error(&f, K_API_KEY, "required");
	if (f.bad_body || form_errors(&f) > 0) {
		gateways_page(r, 400, &f, f.bad_body ? "The form could not be read." : NULL);
		goto out;
	}
	spec_from_form(&f, &spec);
	rc = gateway_add(r->db, &spec, &id);
	if (rc == DB_DUPLICATE) {
		form_set_error(&f, K_NAME, "a gateway server with this name exists");
		gateways_page(r, 409, &f, NULL);
	} else if (rc != DB_OK)
		html_error_page(r, 503, "The gateway server could not be stored: the database failed.");
	else {
		log_info("admin %s added gateway server %lld", r->user_name, id);
		(void)fleet_capacity_alerts(r->db, NULL);
		html_redirect(r, "/admin/gateways?done=added");
	}
out:
	form_free(&f);
}

/* The edit page of one server (f after an error, or NULL). */
static void
gateway_page(struct req *r, int status, long long id, const struct form *f)
{
	struct fleet_gateway g;
	char *instances;
	int rc;

	if ((rc = fleet_gateway_get(r->db, id, &g)) == DB_NOT_FOUND) {
		html_error_page(r, 404, "There is no gateway server %lld.", id);
		return;
	}
	if (rc != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return;
	}
	r->status = status;
	html_page_begin(r, g.name, NAV_GATEWAYS, 0);
	done_notice(r);
	html_raw(r, "<p>API key: ");
	html_masked(r, g.api_key);
	html_raw(r, " &middot; ");
	html_int(r, g.connected);
	html_raw(r, " connected, ");
	html_int(r, g.assigned);
	html_raw(r, " of ");
	html_int(r, g.capacity);
	html_raw(r, " assigned &middot; <a href=\"");
	instances = xasprintf("/admin/instances?gateway=%lld", g.id);
	html_attr(r, instances);
	free(instances);
	html_raw(r, "\">its instances</a></p>\n<h2>Last connection test</h2>\n");
	if (g.last_check_at == NULL)
		html_raw(r, "<p class=\"muted\">Never tested.</p>\n");
	else {
		html_raw(r, "<p><small>");
		html_text(r, g.last_check_at);
		html_raw(r, " UTC</small></p>\n<pre class=\"answer\">");
		html_text(r, g.last_check_result);
		html_raw(r, "</pre>\n");
	}
	{
		char *test = xasprintf("/admin/gateways/%lld/test", g.id);

		html_post_button(r, test, "Test connection", NULL);
		free(test);
	}
	html_raw(r, "<h2>Edit</h2>\n");
	gateway_form(r, f, &g);
	html_page_end(r);
	fleet_gateway_free(&g);
}

/* GET /admin/gateways/{id}: raises 404. */
void
page_gateway_edit(struct req *r)
{
	long long id = path_id(r);

	if (id == 0)
		html_error_page(r, 404, "There is no such gateway server.");
	else
		gateway_page(r, 200, id, NULL);
}

/* POST /admin/gateways/{id}: 303 to the list; 400/409 re-render; 404. */
void
page_gateway_update(struct req *r)
{
	long long id = path_id(r);
	struct gateway_spec spec;
	struct form f;
	int rc;

	form_parse(r, keys, K__MAX, &f);
	if (id == 0)
		html_error_page(r, 404, "There is no such gateway server.");
	else if (f.bad_body || form_errors(&f) > 0)
		gateway_page(r, 400, id, &f);
	else {
		spec_from_form(&f, &spec);
		rc = fleet_gateway_update(r->db, id, &spec);
		if (rc == DB_DUPLICATE) {
			form_set_error(&f, K_NAME, "a gateway server with this name exists");
			gateway_page(r, 409, id, &f);
		} else if (rc == DB_NOT_FOUND)
			html_error_page(r, 404, "There is no gateway server %lld.", id);
		else if (rc != DB_OK)
			html_error_page(r, 503, "The database failed; nothing was saved.");
		else {
			(void)fleet_capacity_alerts(r->db, NULL);
			html_redirect(r, "/admin/gateways?done=updated");
		}
	}
	form_free(&f);
}

/* POST /admin/gateways/{id}/test: call the server, store its answer, 303 to its page. */
void
page_gateway_test(struct req *r)
{
	long long id = path_id(r);
	struct fleet_gateway g;
	struct buf answer = BUF_INIT, line = BUF_INIT;
	enum gwa_result result;
	int rc;

	if (id == 0 || (rc = fleet_gateway_get(r->db, id, &g)) == DB_NOT_FOUND) {
		html_error_page(r, 404, "There is no such gateway server.");
		return;
	}
	if (rc != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return;
	}
	{
		struct gwa_server s = { g.kind, g.base_url, g.api_key,
		    (long)r->app->config.connect_timeout_ms,
		    (long)(r->app->config.send_timeout_ms < 10000 ? r->app->config.send_timeout_ms :
		    10000) };

		result = gwa_test(&s, &answer);
	}
	buf_printf(&line, "%s: %s", result == GWA_OK ? "OK" : gwa_result_str(result),
	    buf_cstr(&answer));
	if (fleet_gateway_record_check(r->db, id, buf_cstr(&line)) != DB_OK)
		html_error_page(r, 503, "The answer could not be stored: %s", buf_cstr(&line));
	else
		html_redirectf(r, "/admin/gateways/%lld?done=tested", id);
	fleet_gateway_free(&g);
	buf_free(&answer);
	buf_free(&line);
}

/* POST /admin/gateways/{id}/active with active=0|1: 303 to the list. */
void
page_gateway_active(struct req *r)
{
	static const struct form_field field = { "active", FORM_INT, true, 0, 0, 1, NULL, NULL };
	long long id = path_id(r);
	struct form f;
	int rc;

	form_parse(r, &field, 1, &f);
	if (id == 0)
		html_error_page(r, 404, "There is no such gateway server.");
	else if (f.bad_body || form_errors(&f) > 0)
		html_error_page(r, 400, "active must be 0 or 1.");
	else if ((rc = fleet_gateway_set_active(r->db, id, f.v[0].i != 0)) == DB_NOT_FOUND)
		html_error_page(r, 404, "There is no gateway server %lld.", id);
	else if (rc != DB_OK)
		html_error_page(r, 503, "The database failed; nothing was changed.");
	else {
		log_info("admin %s %s gateway server %lld", r->user_name,
		    f.v[0].i ? "activated" : "deactivated", id);
		(void)fleet_capacity_alerts(r->db, NULL);
		html_redirect(r, f.v[0].i ? "/admin/gateways?done=activated" :
		    "/admin/gateways?done=deactivated");
	}
	form_free(&f);
}
