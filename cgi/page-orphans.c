/*
 * page-orphans.c: /admin/instances/orphans: instances unknown to wapool on
 * a gateway server, without an active client, or disconnected for more
 * than 30 days; each with its way to be deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "form.h"
#include "gateway-admin.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "orphans.h"
#include "pages.h"
#include "util.h"

static void
orphans_table(struct req *r, const struct orphan *o, size_t n)
{
	char id[32];
	size_t i;

	if (n == 0) {
		html_raw(r, "<p class=\"notice ok\">No orphan instance.</p>\n");
		return;
	}
	html_raw(r, "<table class=\"list\" id=\"orphans\">\n<thead><tr><th>Name</th><th>Server</th>"
	    "<th>Why</th><th>Detail</th><th></th></tr></thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		html_raw(r, "<tr><td>");
		html_text(r, o[i].name);
		html_raw(r, "</td><td>");
		html_text(r, o[i].gateway_name);
		html_raw(r, "</td><td>");
		html_text(r, orphan_kind_str(o[i].kind));
		html_raw(r, "</td><td>");
		html_text(r, o[i].detail);
		html_raw(r, "</td><td class=\"actions\">");
		if (o[i].kind == ORPHAN_UNKNOWN) {
			html_form_begin(r, "/admin/instances/orphans", "inline");
			snprintf(id, sizeof(id), "%lld", o[i].gateway_id);
			html_hidden(r, "gateway", id);
			html_hidden(r, "name", o[i].name);
			html_button(r, "Delete on the server", "danger");
			html_form_end(r);
		} else {
			html_raw(r, "<a class=\"button danger\" href=\"/admin/instances/");
			html_int(r, o[i].instance_id);
			html_raw(r, "/delete\">Disconnect and delete</a>");
		}
		html_raw(r, "</td></tr>\n");
	}
	html_raw(r, "</tbody></table>\n");
}

static void
orphans_page(struct req *r, int status, const char *error)
{
	struct buf warnings = BUF_INIT;
	struct orphan *o = NULL;
	size_t n = 0;

	if (orphans_find(r->db, &r->app->config, &o, &n, &warnings) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	r->status = status;
	html_page_begin(r, "Orphan instances", NAV_INSTANCES, 0);
	if (error != NULL)
		html_notice(r, "error", error);
	if (warnings.len > 0)
		html_notice(r, "warn", buf_cstr(&warnings));
	html_raw(r, "<p>Instances on a gateway server that wapool does not know, instances whose "
	    "tenant is missing or inactive, and instances disconnected for more than ");
	html_int(r, FLEET_ORPHAN_DAYS);
	html_raw(r, " days.</p>\n");
	orphans_table(r, o, n);
	html_page_end(r);
out:
	orphans_free(o, n);
	buf_free(&warnings);
}

/* GET /admin/instances/orphans (asks every active Evolution server). */
void
page_orphans(struct req *r)
{
	orphans_page(r, 200, NULL);
}

/*
 * POST /admin/instances/orphans gateway=ID name=NAME: logout + delete that
 * name on the server, only if wapool has no live instance of that name
 * there (409 otherwise); 303 to the instances list.
 */
void
page_orphan_delete(struct req *r)
{
	enum { K_GATEWAY, K_NAME, K__MAX };
	static const struct form_field keys[K__MAX] = {
		{ "gateway", FORM_INT, true, 0, 1, 1LL << 62, NULL, NULL },	/* K_GATEWAY */
		{ "name", FORM_TEXT, true, 200, 0, 0, NULL, NULL },		/* K_NAME */
	};
	struct fleet_gateway g;
	struct buf why = BUF_INIT;
	struct gwa_server s;
	enum gwa_result result;
	struct form f;
	long long known = 0;
	int rc;

	memset(&g, 0, sizeof(g));
	form_parse(r, keys, K__MAX, &f);
	if (f.bad_body || form_errors(&f) > 0) {
		orphans_page(r, 400, "The request named no server and instance.");
		goto out;
	}
	if ((rc = fleet_gateway_get(r->db, f.v[K_GATEWAY].i, &g)) == DB_NOT_FOUND) {
		orphans_page(r, 404, "There is no such gateway server.");
		goto out;
	}
	if (rc != DB_OK ||
	    (rc = fleet_instance_by_name(r->db, 0, f.v[K_NAME].s, &known)) == DB_DOWN ||
	    rc == DB_ERROR) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	if (rc == DB_OK) {
		orphans_page(r, 409, "That instance is known to wapool: delete it from its own page.");
		goto out;
	}
	page_gateway_server(r, &g, &s);
	result = gwa_logout(&s, f.v[K_NAME].s, &why);
	if (result == GWA_OK || result == GWA_NOT_FOUND) {
		buf_reset(&why);
		result = gwa_delete(&s, f.v[K_NAME].s, &why);
	}
	if (result != GWA_OK && result != GWA_NOT_FOUND) {
		orphans_page(r, 502, buf_cstr(&why));
		goto out;
	}
	log_info("admin %s deleted an orphan instance on gateway %lld", r->user_name, g.id);
	html_redirect(r, "/admin/instances?done=orphan-deleted");
out:
	fleet_gateway_free(&g);
	form_free(&f);
	buf_free(&why);
}
