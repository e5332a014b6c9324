/*
 * page-instance.c: one instance: /admin/instances/{id}/connect (the QR
 * code, reconnect = the same page for the same instance) and
 * /admin/instances/{id}/delete ("disconnect and delete": logout + delete
 * on the gateway server, then in wapool).
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "form.h"
#include "gateway-admin.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "pages.h"
#include "util.h"

static const char *const done_notices[] = {
	"created", "Instance created. Scan the QR code with WhatsApp on the client's phone "
	    "(Linked devices, Link a device).",
	"exists", "This client already has this instance: it is reconnected by scanning the QR "
	    "code. No second instance was created.",
	NULL, NULL,
};

/* The instance and its server, or an error page written. */
static bool
load(struct req *r, struct fleet_instance *v, struct fleet_gateway *g)
{
	long long id = page_path_id(r);
	int rc;

	memset(v, 0, sizeof(*v));
	memset(g, 0, sizeof(*g));
	if (id == 0 || (rc = fleet_instance_get(r->db, id, v)) == DB_NOT_FOUND) {
		html_error_page(r, 404, "There is no such instance (it may have been deleted).");
		return false;
	}
	if (rc != DB_OK || (rc = fleet_gateway_get(r->db, v->gateway_id, g)) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return false;
	}
	return true;
}

/* A QR image we will put in src: a PNG data URL of base64 characters only. */
static bool
qr_image_ok(const char *s)
{
	static const char prefix[] = "data:image/png;base64,";
	const char *p;

	if (s == NULL || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return false;
	for (p = s + sizeof(prefix) - 1; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' || *p == '='))
			return false;
	return p > s + sizeof(prefix) - 1;
}

/* The phone's digits for a pairing code ("+5511..." -> "5511..."), or NULL. */
static const char *
pairing_number(const struct fleet_instance *v)
{
	if (v->phone == NULL || v->phone[0] == '\0')
		return NULL;
	return v->phone[0] == '+' ? v->phone + 1 : v->phone;
}

/*
 * Ask the server for a QR code.  An instance the server lost (404) is
 * created again under the same name first: reconnecting never makes a
 * second instance in wapool.  Returns the result; qr filled on GWA_OK.
 */
static enum gwa_result
fetch_qr(struct req *r, const struct fleet_instance *v, const struct fleet_gateway *g,
    struct gwa_qr *qr, struct buf *why, bool *recreated)
{
	struct gwa_server s;
	enum gwa_result result;

	*recreated = false;
	page_gateway_server(r, g, &s);
	result = gwa_connect(&s, v->name, pairing_number(v), qr, why);
	if (result == GWA_NOT_FOUND) {
		char *token = NULL, *external = NULL, *url = page_callback_url(r);

		buf_reset(why);
		result = gwa_create(&s, v->name, url, &token, &external, why);
		if (result == GWA_OK || result == GWA_EXISTS) {
			if (result == GWA_OK)
				(void)fleet_instance_set_credentials(r->db, v->id, token, external);
			*recreated = true;
			buf_reset(why);
			result = gwa_connect(&s, v->name, pairing_number(v), qr, why);
		}
		free(token);
		free(external);
		free(url);
	}
	return result;
}

static void
instance_summary(struct req *r, const struct fleet_instance *v, const struct fleet_gateway *g)
{
	html_raw(r, "<dl class=\"summary\"><dt>Server</dt><dd>");
	html_text(r, g->name);
	html_raw(r, " (");
	html_text(r, g->kind);
	html_raw(r, ")</dd><dt>Tenant</dt><dd>");
	html_text(r, v->tenant_slug != NULL ? v->tenant_slug : "-");
	html_raw(r, "</dd><dt>Client</dt><dd>");
	html_text(r, v->client_ref != NULL ? v->client_ref : "-");
	html_raw(r, "</dd><dt>Phone</dt><dd>");
	html_text(r, v->phone != NULL ? v->phone : "-");
	html_raw(r, "</dd><dt>Token</dt><dd>");
	html_masked(r, v->token);
	html_raw(r, "</dd><dt>Last health check</dt><dd>");
	html_text(r, v->last_health_at != NULL ? v->last_health_at : "never");
	html_raw(r, "</dd></dl>\n");
}

/*
 * GET /admin/instances/{id}/connect: the QR code (and pairing code) until
 * the phone is linked; app.js polls /api/instances/{id} and reloads the
 * code, a <noscript> refresh does the same without JavaScript.  Raises 404
 * and 503; a gateway failure is shown on the page (200).
 */
void
page_instance_connect(struct req *r)
{
	struct fleet_instance v;
	struct fleet_gateway g;
	struct gwa_qr qr;
	struct buf why = BUF_INIT;
	enum gwa_result result = GWA_UNSUPPORTED;
	const char *state = NULL;
	bool recreated = false, connected;
	char *title = NULL;

	memset(&qr, 0, sizeof(qr));
	if (!load(r, &v, &g))
		goto out;
	if (strcmp(g.kind, "evolution") == 0) {
		result = fetch_qr(r, &v, &g, &qr, &why, &recreated);
		if (result == GWA_OK)
			state = qr.state != NULL ? gwa_state_to_instance(qr.state) : "connecting";
		if (state != NULL && strcmp(state, v.state) != 0)
			(void)fleet_instance_set_state(r->db, v.id, state);
	}
	connected = state != NULL ? strcmp(state, "connected") == 0 : strcmp(v.state, "connected") == 0;
	title = xasprintf("Instance %s", v.name);
	html_page_begin(r, title, NAV_INSTANCES, connected ? 0 : 15);
	page_done_notice(r, done_notices);
	if (recreated)
		html_notice(r, "warn", "The server had lost this instance: it was created again "
		    "under the same name.");
	instance_summary(r, &v, &g);
	html_raw(r, "<section id=\"connect\" class=\"card\" data-poll=\"/api/instances/");
	html_int(r, v.id);
	html_raw(r, "\" data-state=\"");
	html_attr(r, state != NULL ? state : v.state);
	html_raw(r, "\">\n<p>State: <strong class=\"badge\" data-field=\"state\">");
	html_text(r, state != NULL ? state : v.state);
	html_raw(r, "</strong></p>\n");
	if (connected)
		html_raw(r, "<p class=\"notice ok\" data-connected>Connected: this number sends "
		    "through the pool.</p>\n");
	else if (result == GWA_UNSUPPORTED)
		html_notice(r, "warn", buf_cstr(&why));
	else if (result != GWA_OK) {
		html_notice(r, "error", buf_cstr(&why));
		html_raw(r, "<p>Check the server on the <a href=\"/admin/gateways/");
		html_int(r, g.id);
		html_raw(r, "\">gateway page</a> (Test connection), then reload this page.</p>\n");
	} else if (qr_image_ok(qr.base64)) {
		html_raw(r, "<figure class=\"qr\"><img id=\"qr\" alt=\"QR code to link WhatsApp\" "
		    "width=\"264\" height=\"264\" src=\"");
		html_attr(r, qr.base64);
		html_raw(r, "\"><figcaption>Open WhatsApp on the phone, Linked devices, Link a "
		    "device, and scan. Code refreshed ");
		html_int(r, qr.count);
		html_raw(r, " time(s).</figcaption></figure>\n");
		if (qr.pairing_code != NULL) {
			html_raw(r, "<p>Or link with the phone number, code <strong class=\"pairing\" "
			    "data-field=\"pairing_code\">");
			html_text(r, qr.pairing_code);
			html_raw(r, "</strong></p>\n");
		}
	} else
		html_raw(r, "<p class=\"notice warn\">The server is preparing the QR code; this page "
		    "refreshes by itself.</p>\n");
	html_raw(r, "</section>\n<p><a class=\"button\" href=\"/admin/instances/");
	html_int(r, v.id);
	html_raw(r, "/connect\">Reload the code</a> <a class=\"button danger\" "
	    "href=\"/admin/instances/");
	html_int(r, v.id);
	html_raw(r, "/delete\">Disconnect and delete</a> <a href=\"/admin/instances\">All "
	    "instances</a></p>\n");
	html_page_end(r);
out:
	fleet_instance_free(&v);
	fleet_gateway_free(&g);
	gwa_qr_free(&qr);
	buf_free(&why);
	free(title);
}

static void
delete_page(struct req *r, int status, const struct fleet_instance *v,
    const struct fleet_gateway *g, const char *error)
{
	char *title = xasprintf("Delete instance %s", v->name), *action;

	r->status = status;
	html_page_begin(r, title, NAV_INSTANCES, 0);
	if (error != NULL)
		html_notice(r, "error", error);
	instance_summary(r, v, g);
	html_raw(r, "<p>This logs the number out on its gateway server, deletes the instance "
	    "there, then deletes it in wapool and takes it out of its pools. The client can then "
	    "be given a new instance (for example for a new number).</p>\n");
	action = xasprintf("/admin/instances/%lld/delete", v->id);
	html_form_begin(r, action, "card form");
	html_checkbox(r, "Delete in wapool even if the gateway server cannot be reached",
	    "force", false);
	html_button(r, "Disconnect and delete", "danger");
	html_raw(r, " <a href=\"/admin/instances\">Cancel</a>");
	html_form_end(r);
	html_page_end(r);
	free(action);
	free(title);
}

/* GET /admin/instances/{id}/delete: the confirmation.  Raises 404, 503. */
void
page_instance_delete_form(struct req *r)
{
	struct fleet_instance v;
	struct fleet_gateway g;

	if (load(r, &v, &g))
		delete_page(r, 200, &v, &g, NULL);
	fleet_instance_free(&v);
	fleet_gateway_free(&g);
}

/*
 * POST /admin/instances/{id}/delete [force=1]: logout + delete on the
 * server (an instance the server does not know counts as deleted there),
 * then in wapool; 303 to the list.  A server that refuses or cannot be
 * reached re-renders the confirmation with its answer (502) unless force.
 */
void
page_instance_delete(struct req *r)
{
	static const struct form_field field = { "force", FORM_BOOL, false, 0, 0, 0, NULL, NULL };
	struct fleet_instance v;
	struct fleet_gateway g;
	struct buf why = BUF_INIT;
	struct gwa_server s;
	enum gwa_result result = GWA_OK;
	struct form f;
	int rc;

	form_parse(r, &field, 1, &f);
	if (!load(r, &v, &g))
		goto out;
	if (strcmp(g.kind, "evolution") == 0) {
		page_gateway_server(r, &g, &s);
		result = gwa_logout(&s, v.name, &why);
		if (result == GWA_OK || result == GWA_NOT_FOUND) {
			buf_reset(&why);
			result = gwa_delete(&s, v.name, &why);
		}
		if (result == GWA_NOT_FOUND)
			result = GWA_OK;
	}
	if (result != GWA_OK && f.v[0].i == 0) {
		struct buf message = BUF_INIT;

		buf_printf(&message, "The gateway server did not delete the instance (%s): %s. "
		    "Nothing was deleted in wapool.", gwa_result_str(result), buf_cstr(&why));
		delete_page(r, 502, &v, &g, buf_cstr(&message));
		buf_free(&message);
		goto out;
	}
	if ((rc = fleet_instance_delete(r->db, v.id)) != DB_OK && rc != DB_NOT_FOUND) {
		html_error_page(r, 503, "The gateway deleted the instance but wapool could not "
		    "record it: try again.");
		goto out;
	}
	log_info("admin %s deleted instance %lld%s", r->user_name, v.id,
	    result == GWA_OK ? "" : " (in wapool only: the gateway server did not answer)");
	(void)fleet_capacity_alerts(r->db, NULL);
	html_redirect(r, "/admin/instances?done=deleted");
out:
	fleet_instance_free(&v);
	fleet_gateway_free(&g);
	form_free(&f);
	buf_free(&why);
}
