/*
 * page-webhooks.c: /admin/webhooks?tab=pools|events, the seed's two tabs:
 * pools with their members' live state, and every received webhook
 * (accepted and rejected, with the reason) with filters; and
 * /admin/webhooks/events/{id}, one event's payload shown as text.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handlers.h"
#include "html.h"
#include "pages.h"
#include "pools.h"
#include "util.h"
#include "views.h"

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static long long
jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v != NULL ? json_object_get_int64(v) : 0;
}

static void
tabs(struct req *r, bool events)
{
	html_raw(r, "<nav class=\"tabs\" aria-label=\"Views\">");
	html_raw(r, events ? "<a href=\"/admin/webhooks?tab=pools\">Pools</a>"
	    "<a href=\"/admin/webhooks?tab=events\" class=\"current\" aria-current=\"page\">Events</a>"
	    : "<a href=\"/admin/webhooks?tab=pools\" class=\"current\" aria-current=\"page\">Pools</a>"
	    "<a href=\"/admin/webhooks?tab=events\">Events</a>");
	html_raw(r, "</nav>\n");
}

static void
member_row(struct req *r, struct json_object *m)
{
	struct json_object *breaker = NULL;
	const char *state = jstr(m, "state");

	json_object_object_get_ex(m, "breaker", &breaker);
	html_raw(r, "<tr><td>");
	html_text(r, jstr(m, "name"));
	html_raw(r, "</td><td><span class=\"badge state-");
	html_attr(r, state);
	html_raw(r, "\">");
	html_text(r, state);
	html_raw(r, "</span></td><td>");
	html_text(r, jstr(m, "admin_state"));
	html_raw(r, "</td><td>");
	html_text(r, jstr(m, "health"));
	html_raw(r, "</td><td>");
	html_text(r, breaker != NULL ? jstr(breaker, "state") : NULL);
	html_raw(r, "</td><td>");
	html_text(r, jstr(m, "gateway"));
	html_raw(r, "</td><td>");
	html_int(r, jint(m, "sent_today"));
	html_raw(r, "</td><td>");
	html_int(r, jint(m, "failed_today"));
	html_raw(r, "</td><td>");
	html_text(r, jstr(m, "last_health_at") != NULL ? jstr(m, "last_health_at") : "never");
	html_raw(r, "</td></tr>\n");
}

static void
pools_tab(struct req *r)
{
	struct json_object *pools = NULL;
	size_t i, j;

	/* No rate figures on this page yet: skip the live gate state (queries, round trips). */
	if (pools_describe(r->db, NULL, NULL, &pools) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return;
	}
	html_page_begin(r, "Pools & events", NAV_WEBHOOKS, 15);
	tabs(r, false);
	if (json_object_array_length(pools) == 0)
		html_raw(r, "<p class=\"muted\">No pool yet (wapoolctl pool add).</p>\n");
	for (i = 0; i < json_object_array_length(pools); i++) {
		struct json_object *p = json_object_array_get_idx(pools, i), *members = NULL;

		html_raw(r, "<section class=\"pool card\"><h2>");
		html_text(r, jstr(p, "name"));
		html_raw(r, " <small>");
		html_textf(r, "tenant %s, %s, %s", jstr(p, "tenant") != NULL ? jstr(p, "tenant") : "?",
		    jstr(p, "strategy") != NULL ? jstr(p, "strategy") : "?",
		    jstr(p, "admin_state") != NULL ? jstr(p, "admin_state") : "?");
		html_raw(r, "</small></h2>\n");
		json_object_object_get_ex(p, "instances", &members);
		if (members == NULL || json_object_array_length(members) == 0) {
			html_raw(r, "<p class=\"muted\">No member.</p></section>\n");
			continue;
		}
		html_raw(r, "<table class=\"list\"><thead><tr><th>Instance</th><th>State</th>"
		    "<th>Admin</th><th>Health</th><th>Breaker</th><th>Server</th><th>Sent today</th>"
		    "<th>Failed today</th><th>Last health check</th></tr></thead><tbody>\n");
		for (j = 0; j < json_object_array_length(members); j++)
			member_row(r, json_object_array_get_idx(members, j));
		html_raw(r, "</tbody></table></section>\n");
	}
	html_page_end(r);
	json_object_put(pools);
}

static void
events_filters(struct req *r, const struct views_event_filter *f)
{
	html_raw(r, "<form method=\"get\" action=\"/admin/webhooks\" class=\"filters\">\n");
	html_hidden(r, "tab", "events");
	html_field(r, "Tenant", "tenant", "text", f->tenant, NULL, NULL);
	html_field(r, "Event", "event", "text", f->event, NULL, NULL);
	html_select_begin(r, "Status", "status", NULL);
	html_option(r, "", "any", f->status == NULL);
	html_option(r, "accepted", "accepted", f->status != NULL && strcmp(f->status, "accepted") == 0);
	html_option(r, "rejected", "rejected", f->status != NULL && strcmp(f->status, "rejected") == 0);
	html_select_end(r, "status", NULL, NULL);
	html_button(r, "Filter", NULL);
	html_raw(r, "</form>\n");
}

/* The query string of the next page: the same filters, ids below before. */
static void
next_link(struct req *r, const struct views_event_filter *f, long long before)
{
	html_raw(r, "<p><a href=\"/admin/webhooks?tab=events&amp;before=");
	html_int(r, before);
	if (f->tenant != NULL) {
		html_raw(r, "&amp;tenant=");
		html_url_arg(r, f->tenant);
	}
	if (f->event != NULL) {
		html_raw(r, "&amp;event=");
		html_url_arg(r, f->event);
	}
	if (f->status != NULL) {
		html_raw(r, "&amp;status=");
		html_url_arg(r, f->status);
	}
	html_raw(r, "\">Older events</a></p>\n");
}

static void
events_tab(struct req *r)
{
	struct views_event_filter f = { 0 };
	struct db_result res = { 0 };
	char *tenant = req_query_arg(r, "tenant"), *event = req_query_arg(r, "event");
	char *status = req_query_arg(r, "status"), *before = req_query_arg(r, "before");
	size_t row, shown;

	f.tenant = tenant != NULL && tenant[0] != '\0' ? tenant : NULL;
	f.event = event != NULL && event[0] != '\0' ? event : NULL;
	if (status != NULL && (strcmp(status, "accepted") == 0 || strcmp(status, "rejected") == 0))
		f.status = status;
	if (before == NULL || !safe_strtoll(before, &f.before_id) || f.before_id < 0)
		f.before_id = 0;
	if (views_events(r->db, &f, &res) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	html_page_begin(r, "Pools & events", NAV_WEBHOOKS, 0);
	tabs(r, true);
	events_filters(r, &f);
	if (res.nrows == 0)
		html_raw(r, "<p class=\"muted\">No event matches.</p>\n");
	else
		html_raw(r, "<table class=\"list\" id=\"events\"><thead><tr><th>#</th><th>Received (UTC)"
		    "</th><th>Tenant</th><th>Event</th><th>Status</th><th>HTTP</th><th>Reason</th>"
		    "<th>Key</th><th>Size</th><th>From</th></tr></thead><tbody>\n");
	shown = res.nrows > VIEWS_PAGE ? VIEWS_PAGE : res.nrows;
	for (row = 0; row < shown; row++) {
		const char *st = db_value(&res, row, 4);

		html_raw(r, "<tr class=\"event-");
		html_attr(r, st);
		html_raw(r, "\"><td><a href=\"/admin/webhooks/events/");
		html_int(r, db_int(&res, row, 0, 0));
		html_raw(r, "\">");
		html_int(r, db_int(&res, row, 0, 0));
		html_raw(r, "</a></td>");
		for (size_t col = 1; col < 10; col++) {
			html_raw(r, col == 4 ? "<td><span class=\"badge\">" : "<td>");
			html_text(r, db_value(&res, row, col) != NULL ? db_value(&res, row, col) : "");
			html_raw(r, col == 4 ? "</span></td>" : "</td>");
		}
		html_raw(r, "</tr>\n");
	}
	if (res.nrows > 0)
		html_raw(r, "</tbody></table>\n");
	if (res.nrows > VIEWS_PAGE)
		next_link(r, &f, db_int(&res, VIEWS_PAGE - 1, 0, 0));
	html_page_end(r);
out:
	db_result_free(&res);
	free(tenant);
	free(event);
	free(status);
	free(before);
}

/* GET /admin/webhooks[?tab=pools|events&tenant=&event=&status=&before=] */
void
page_webhooks(struct req *r)
{
	char *tab = req_query_arg(r, "tab");

	if (tab != NULL && strcmp(tab, "events") == 0)
		events_tab(r);
	else
		pools_tab(r);
	free(tab);
}

/*
 * GET /admin/webhooks/events/{id}: one event and its payload.  The payload
 * is shown as escaped text (pretty-printed when it is JSON), never as
 * markup.  Raises 404, 503.
 */
void
page_webhook_event(struct req *r)
{
	static const char *const labels[] = { "Id", "Received (UTC)", "Tenant", "Event", "Status",
	    "HTTP status", "Reason", "Key", "Size (bytes)", "From", "Content-Type" };
	struct db_result res = { 0 };
	struct json_object *parsed = NULL;
	long long id = page_path_id(r);
	const char *body;
	size_t col, body_len;
	int rc;

	if (id == 0 || (rc = views_event(r->db, id, &res)) == DB_NOT_FOUND) {
		html_error_page(r, 404, "There is no such event.");
		return;
	}
	if (rc != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		return;
	}
	html_page_begin(r, "Webhook event", NAV_WEBHOOKS, 0);
	tabs(r, true);
	html_raw(r, "<dl class=\"summary\">");
	for (col = 0; col < ARRAY_SIZE(labels); col++) {
		html_raw(r, "<dt>");
		html_text(r, labels[col]);
		html_raw(r, "</dt><dd>");
		html_text(r, db_value(&res, 0, col) != NULL ? db_value(&res, 0, col) : "-");
		html_raw(r, "</dd>");
	}
	html_raw(r, "</dl>\n<h2>Payload</h2>\n");
	body = db_value(&res, 0, 11);
	body_len = body != NULL ? res.lengths[11] : 0;
	if (body == NULL)
		html_raw(r, "<p class=\"muted\">No payload was kept.</p>\n");
	else {
		if (memchr(body, '\0', body_len) == NULL)
			parsed = json_tokener_parse(body);
		html_raw(r, "<pre class=\"payload\" id=\"payload\">");
		if (parsed != NULL)
			html_text(r, json_object_to_json_string_ext(parsed, JSON_C_TO_STRING_PRETTY |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			html_textn(r, body, body_len);
		html_raw(r, "</pre>\n");
		if (db_int(&res, 0, 8, 0) > (long long)body_len)
			html_raw(r, "<p class=\"muted\">Only the first 64 KiB were kept.</p>\n");
	}
	html_raw(r, "<p><a href=\"/admin/webhooks?tab=events\">All events</a></p>\n");
	html_page_end(r);
	if (parsed != NULL)
		json_object_put(parsed);
	db_result_free(&res);
}
