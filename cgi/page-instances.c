/*
 * page-instances.c: /admin/instances: the list with its filters, and
 * "add" = create-or-reconnect: one client = one instance, for ever.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "form.h"
#include "gateway-admin.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "pages.h"
#include "phone.h"
#include "util.h"

#define NAME_MAX_LENGTH 64

enum {
	K_TENANT,
	K_CLIENT,
	K_NAME,
	K_PHONE,
	K_GATEWAY,
	K__MAX
};

static const struct form_field keys[K__MAX] = {
	{ "tenant", FORM_INT, true, 0, 1, 1LL << 62, NULL, NULL },		/* K_TENANT */
	{ "client_ref", FORM_TEXT, true, 200, 0, 0, NULL, NULL },		/* K_CLIENT */
	{ "name", FORM_TEXT, false, NAME_MAX_LENGTH, 0, 0, NULL, form_check_identifier }, /* K_NAME */
	{ "phone", FORM_TEXT, false, 40, 0, 0, NULL, NULL },			/* K_PHONE */
	{ "gateway", FORM_INT, false, 0, 0, 1LL << 62, NULL, NULL },		/* K_GATEWAY */
};

static const char *const done_notices[] = {
	"deleted", "Instance disconnected and deleted.",
	"orphan-deleted", "Orphan instance deleted on its gateway server.",
	NULL, NULL,
};

static const char *const states[] = { "connected", "connecting", "disconnected", "refused",
	"banned", "unknown", NULL };

/* The lists the page's selects need. */
struct choices {
	struct fleet_tenant	*tenants;
	size_t			 ntenants;
	struct fleet_gateway	*gateways;
	size_t			 ngateways;
};

static int
choices_load(struct req *r, struct choices *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = fleet_tenants(r->db, &c->tenants, &c->ntenants)) != DB_OK)
		return rc;
	return fleet_gateways(r->db, &c->gateways, &c->ngateways);
}

static void
choices_free(struct choices *c)
{
	fleet_tenants_free(c->tenants, c->ntenants);
	fleet_gateways_free(c->gateways, c->ngateways);
}

/* A query argument as a positive id, or 0. */
static long long
query_id(struct req *r, const char *name)
{
	char *v = req_query_arg(r, name);
	long long id = 0;

	if (v == NULL || !safe_strtoll(v, &id) || id < 0)
		id = 0;
	free(v);
	return id;
}

static void
filter_form(struct req *r, const struct choices *c, const struct fleet_filter *f)
{
	char id[32];
	size_t i;

	html_raw(r, "<form method=\"get\" action=\"/admin/instances\" class=\"filters\">\n");
	html_select_begin(r, "Server", "gateway", NULL);
	html_option(r, "0", "any", f->gateway_id == 0);
	for (i = 0; i < c->ngateways; i++) {
		snprintf(id, sizeof(id), "%lld", c->gateways[i].id);
		html_option(r, id, c->gateways[i].name, c->gateways[i].id == f->gateway_id);
	}
	html_select_end(r, "gateway", NULL, NULL);
	html_select_begin(r, "Tenant", "tenant", NULL);
	html_option(r, "0", "any", f->tenant_id == 0);
	for (i = 0; i < c->ntenants; i++) {
		snprintf(id, sizeof(id), "%lld", c->tenants[i].id);
		html_option(r, id, c->tenants[i].slug, c->tenants[i].id == f->tenant_id);
	}
	html_select_end(r, "tenant", NULL, NULL);
	html_select_begin(r, "State", "state", NULL);
	html_option(r, "", "any", f->state == NULL);
	for (i = 0; states[i] != NULL; i++)
		html_option(r, states[i], states[i], f->state != NULL && strcmp(f->state, states[i]) == 0);
	html_select_end(r, "state", NULL, NULL);
	html_button(r, "Filter", NULL);
	html_raw(r, "</form>\n");
}

static void
instances_table(struct req *r, const struct fleet_instance *v, size_t n)
{
	size_t i;

	if (n == 0) {
		html_raw(r, "<p class=\"muted\">No instance matches.</p>\n");
		return;
	}
	html_raw(r, "<table class=\"list\" id=\"instances\">\n<thead><tr><th>Name</th><th>State</th>"
	    "<th>Server</th><th>Tenant</th><th>Client</th><th>Phone</th><th>Last health check</th>"
	    "<th>Sent today</th><th>Failed today</th><th>Token</th><th></th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < n; i++) {
		bool connected = strcmp(v[i].state, "connected") == 0;

		html_raw(r, "<tr data-instance=\"");
		html_int(r, v[i].id);
		html_raw(r, "\"><td>");
		html_text(r, v[i].name);
		html_raw(r, "</td><td><span class=\"badge state-");
		html_attr(r, v[i].state);
		html_raw(r, "\">");
		html_text(r, v[i].state);
		html_raw(r, "</span>");
		if (strcmp(v[i].admin_state, "active") != 0 || strcmp(v[i].health, "ok") != 0 ||
		    strcmp(v[i].breaker_state, "closed") != 0) {
			html_raw(r, " <small>");
			html_textf(r, "%s, %s, breaker %s", v[i].admin_state, v[i].health,
			    v[i].breaker_state);
			html_raw(r, "</small>");
		}
		html_raw(r, "</td><td>");
		html_text(r, v[i].gateway_name);
		html_raw(r, "</td><td>");
		html_text(r, v[i].tenant_slug != NULL ? v[i].tenant_slug : "-");
		html_raw(r, "</td><td>");
		html_text(r, v[i].client_ref != NULL ? v[i].client_ref : "-");
		html_raw(r, "</td><td>");
		html_text(r, v[i].phone != NULL ? v[i].phone : "-");
		html_raw(r, "</td><td>");
		html_text(r, v[i].last_health_at != NULL ? v[i].last_health_at : "never");
		html_raw(r, "</td><td>");
		html_int(r, v[i].sent_today);
		html_raw(r, "</td><td>");
		html_int(r, v[i].failed_today);
		html_raw(r, "</td><td>");
		html_masked(r, v[i].token);
		html_raw(r, "</td><td class=\"actions\"><a class=\"button\" href=\"/admin/instances/");
		html_int(r, v[i].id);
		html_raw(r, connected ? "/connect\">Details</a> " : "/connect\">Connect (QR)</a> ");
		html_raw(r, "<a class=\"button danger\" href=\"/admin/instances/");
		html_int(r, v[i].id);
		html_raw(r, "/delete\">Delete</a></td></tr>\n");
	}
	html_raw(r, "</tbody></table>\n");
}

/* The add form: f after an error (NULL at first), gateway_error from the server choice. */
static void
add_form(struct req *r, const struct choices *c, const struct form *f, const char *gateway_error)
{
	long long tenant = f != NULL ? f->v[K_TENANT].i : 0, gateway = f != NULL ?
	    f->v[K_GATEWAY].i : 0;
	char id[32];
	size_t i;

	html_form_begin(r, "/admin/instances", "card form");
	html_select_begin(r, "Tenant", "tenant", f != NULL ? f->v[K_TENANT].error : NULL);
	for (i = 0; i < c->ntenants; i++) {
		snprintf(id, sizeof(id), "%lld", c->tenants[i].id);
		html_option(r, id, c->tenants[i].slug, c->tenants[i].id == tenant);
	}
	html_select_end(r, "tenant", f != NULL ? f->v[K_TENANT].error : NULL,
	    c->ntenants == 0 ? "no tenant yet: add one with wapoolctl tenant add" : NULL);
	html_field(r, "Client", "client_ref", "text", f != NULL ? f->v[K_CLIENT].s : "",
	    f != NULL ? f->v[K_CLIENT].error : NULL,
	    "who this number belongs to; a client with an instance is reconnected, never doubled");
	html_field(r, "Instance name", "name", "text", f != NULL ? f->v[K_NAME].s : "",
	    f != NULL ? f->v[K_NAME].error : NULL, "optional: made from tenant and client");
	html_field(r, "Phone", "phone", "tel", f != NULL ? f->v[K_PHONE].s : "",
	    f != NULL ? f->v[K_PHONE].error : NULL, "optional: gives a pairing code besides the QR");
	html_select_begin(r, "Gateway server", "gateway", gateway_error);
	html_option(r, "0", "automatic (active, has room, highest priority, least used)",
	    gateway == 0);
	for (i = 0; i < c->ngateways; i++) {
		struct buf label = BUF_INIT;

		snprintf(id, sizeof(id), "%lld", c->gateways[i].id);
		buf_printf(&label, "%s (%lld/%lld%s)", c->gateways[i].name, c->gateways[i].assigned,
		    c->gateways[i].capacity, c->gateways[i].active ? "" : ", inactive");
		html_option(r, id, buf_cstr(&label), c->gateways[i].id == gateway);
		buf_free(&label);
	}
	html_select_end(r, "gateway", gateway_error, NULL);
	html_button(r, "Add instance and connect", "primary");
	html_form_end(r);
}

static void
instances_page(struct req *r, int status, const struct form *f, const char *gateway_error)
{
	struct fleet_filter filter = { query_id(r, "gateway"), query_id(r, "tenant"), NULL };
	struct fleet_instance *v = NULL;
	struct choices c;
	char *state = req_query_arg(r, "state");
	size_t n = 0, i;

	for (i = 0; state != NULL && states[i] != NULL; i++)
		if (strcmp(state, states[i]) == 0)
			filter.state = states[i];
	if (choices_load(r, &c) != DB_OK || fleet_instances(r->db, &filter, &v, &n) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	r->status = status;
	html_page_begin(r, "Instances", NAV_INSTANCES, 0);
	page_done_notice(r, done_notices);
	filter_form(r, &c, &filter);
	instances_table(r, v, n);
	html_raw(r, "<p><a href=\"/admin/instances/orphans\">Find orphan instances</a></p>\n"
	    "<h2 id=\"add\">Add an instance</h2>\n");
	add_form(r, &c, f, gateway_error);
	html_page_end(r);
out:
	choices_free(&c);
	fleet_instances_free(v, n);
	free(state);
}

/* GET /admin/instances[?gateway=ID&tenant=ID&state=S] */
void
page_instances(struct req *r)
{
	instances_page(r, 200, NULL, NULL);
}

/* "<tenant>-<client>" reduced to [a-z0-9-], at most NAME_MAX_LENGTH: the same client, the same name. */
static char *
default_name(const char *tenant, const char *client)
{
	struct buf b = BUF_INIT;
	const char *parts[2] = { tenant, client };
	size_t p;

	for (p = 0; p < 2; p++) {
		const unsigned char *s = (const unsigned char *)parts[p];

		if (p > 0)
			buf_putc(&b, '-');
		for (; *s != '\0' && b.len < NAME_MAX_LENGTH; s++) {
			if (isalnum(*s))
				buf_putc(&b, (char)tolower(*s));
			else if (b.len > 0 && b.ptr[b.len - 1] != '-')
				buf_putc(&b, '-');
		}
	}
	while (b.len > 0 && b.ptr[b.len - 1] == '-')
		b.ptr[--b.len] = '\0';
	if (b.len == 0)
		buf_puts(&b, "instance");
	return buf_take(&b);
}

/*
 * The new row exists in wapool: create it on its Evolution server with our
 * callback URL.  "Name already in use" there means the same client's
 * instance already lives on the server: reconnect it.  Returns true when
 * the page may go on to connect; false with why set.
 */
static bool
create_on_gateway(struct req *r, long long id, const char *name, struct buf *why)
{
	struct fleet_gateway g;
	struct fleet_instance v;
	struct gwa_server s;
	char *token = NULL, *external = NULL, *url = page_callback_url(r);
	enum gwa_result result = GWA_OK;
	bool ok = false;

	memset(&g, 0, sizeof(g));
	if (fleet_instance_get(r->db, id, &v) != DB_OK ||
	    fleet_gateway_get(r->db, v.gateway_id, &g) != DB_OK) {
		buf_puts(why, "the database failed while creating the instance");
		goto out;
	}
	if (strcmp(g.kind, "evolution") != 0) {
		ok = true;	/* other kinds are connected outside wapool: nothing to call */
		goto out;
	}
	page_gateway_server(r, &g, &s);
	result = gwa_create(&s, name, url, &token, &external, why);
	if (result == GWA_OK)
		(void)fleet_instance_set_credentials(r->db, id, token, external);
	if (result == GWA_OK || result == GWA_EXISTS)
		ok = true;
	else
		log_warnx("instance %lld: create on gateway %lld failed: %s", id, g.id, buf_cstr(why));
out:
	fleet_instance_free(&v);
	fleet_gateway_free(&g);
	free(token);
	free(external);
	free(url);
	return ok;
}

/*
 * POST /admin/instances: 303 to the connect page of the new instance, or of
 * the client's existing one (no second instance, ever).  400/409 re-render
 * with the error beside its field; the gateway server's refusal is shown
 * beside the server choice and nothing is kept.
 */
void
page_instance_add(struct req *r)
{
	struct fleet_new_instance in = { 0 };
	struct buf why = BUF_INIT;
	struct choices c;
	struct form f;
	char phone[32], *name = NULL;
	const char *tenant_slug = NULL;
	enum phone_result pr;
	enum fleet_create created;
	long long id = 0;
	size_t i;
	int rc = DB_OK;

	form_parse(r, keys, K__MAX, &f);
	if (choices_load(r, &c) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	for (i = 0; i < c.ntenants && f.v[K_TENANT].error == NULL; i++)
		if (c.tenants[i].id == f.v[K_TENANT].i)
			tenant_slug = c.tenants[i].slug;
	if (f.v[K_TENANT].error == NULL && tenant_slug == NULL)
		form_set_error(&f, K_TENANT, "no such tenant");
	if (f.v[K_PHONE].present && f.v[K_PHONE].error == NULL &&
	    (pr = phone_normalize(f.v[K_PHONE].s, phone, sizeof(phone))) != PHONE_OK)
		form_set_error(&f, K_PHONE, phone_result_str(pr));
	if (f.bad_body || form_errors(&f) > 0) {
		instances_page(r, 400, &f, NULL);
		goto out;
	}
	name = f.v[K_NAME].present ? xstrdup(f.v[K_NAME].s) :
	    default_name(tenant_slug, f.v[K_CLIENT].s);
	in.tenant_id = f.v[K_TENANT].i;
	in.client_ref = f.v[K_CLIENT].s;
	in.name = name;
	in.phone = f.v[K_PHONE].present ? phone : NULL;
	in.gateway_id = f.v[K_GATEWAY].i;
	created = fleet_instance_create(r->db, &in, &id, &why, &rc);
	switch (created) {
	case FLEET_EXISTS:
		html_redirectf(r, "/admin/instances/%lld/connect?done=exists", id);
		break;
	case FLEET_NAME_TAKEN:
		form_set_error(&f, K_NAME, f.v[K_NAME].present ? "another instance has this name" :
		    "the name made from tenant and client is taken: choose one");
		instances_page(r, 409, &f, NULL);
		break;
	case FLEET_NO_GATEWAY:
		instances_page(r, 409, &f, buf_cstr(&why));
		break;
	case FLEET_CREATED:
		if (!create_on_gateway(r, id, name, &why)) {
			/* Nothing half-made: the row goes, the form comes back with the reason. */
			(void)fleet_instance_discard(r->db, id);
			instances_page(r, 502, &f, buf_cstr(&why));
			break;
		}
		log_info("admin %s created instance %lld", r->user_name, id);
		(void)fleet_capacity_alerts(r->db, NULL);
		html_redirectf(r, "/admin/instances/%lld/connect?done=created", id);
		break;
	default:
		html_error_page(r, 503, "The database failed (%s); nothing was created.",
		    rc == DB_DOWN ? "unreachable" : "error");
		break;
	}
out:
	choices_free(&c);
	form_free(&f);
	buf_free(&why);
	free(name);
}
