/*
 * page-dashboard.c: GET /admin/, the pool dashboard.  A consumer of the
 * same producers as the JSON API (stats_today, fleet_gateways), so the
 * page and /api/webhooks/stats + /api/evolution/usage never disagree;
 * app.js refreshes the marked numbers from those two every few seconds.
 */
#include <string.h>

#include "fleet.h"
#include "handlers.h"
#include "html.h"
#include "stats.h"

static long long
stat_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v != NULL ? json_object_get_int64(v) : 0;
}

/* One metric card; key names the JSON field app.js refreshes it from. */
static void
card(struct req *r, const char *label, const char *key, const char *format,
    struct json_object *stats)
{
	struct json_object *v = NULL;

	html_raw(r, "<div class=\"card metric\"><span class=\"label\">");
	html_text(r, label);
	html_raw(r, "</span><span class=\"value\" data-stat=\"");
	html_attr(r, key);
	html_raw(r, "\" data-format=\"");
	html_attr(r, format);
	html_raw(r, "\">");
	if (!json_object_object_get_ex(stats, key, &v) || v == NULL)
		html_raw(r, "&ndash;");
	else if (strcmp(format, "percent") == 0)
		html_textf(r, "%.1f%%", json_object_get_double(v) * 100.0);
	else if (strcmp(format, "ms") == 0)
		html_textf(r, "%.0f ms", json_object_get_double(v));
	else
		html_int(r, json_object_get_int64(v));
	html_raw(r, "</span></div>\n");
}

/* Per-server usage: a <meter> (no inline style under our CSP), red from 90 %. */
static void
servers_table(struct req *r, const struct fleet_gateway *g, size_t n)
{
	size_t i;

	html_raw(r, "<h2>Gateway servers</h2>\n");
	if (n == 0) {
		html_raw(r, "<p class=\"muted\">No gateway server yet. <a href=\"/admin/gateways\">"
		    "Add one</a>.</p>\n");
		return;
	}
	html_raw(r, "<table class=\"list\" id=\"servers\">\n<thead><tr><th>Server</th><th>Usage</th>"
	    "<th>Connected</th><th>Assigned / capacity</th><th>Priority</th><th>Status</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		const char *status = fleet_gateway_status(&g[i]);

		html_raw(r, "<tr data-server=\"");
		html_int(r, g[i].id);
		html_raw(r, "\" class=\"status-");
		html_attr(r, status);
		html_raw(r, "\"><td><a href=\"/admin/gateways/");
		html_int(r, g[i].id);
		html_raw(r, "\">");
		html_text(r, g[i].name);
		html_raw(r, "</a></td><td><meter min=\"0\" max=\"");
		html_int(r, g[i].capacity > 0 ? g[i].capacity : 1);
		html_raw(r, "\" low=\"");
		html_textf(r, "%.2f", (double)g[i].capacity * 0.7);
		html_raw(r, "\" high=\"");
		html_textf(r, "%.2f", (double)g[i].capacity * 0.9 - 0.01);
		html_raw(r, "\" optimum=\"0\" value=\"");
		html_int(r, g[i].assigned);
		html_raw(r, "\" data-field=\"assigned\"></meter> <span data-field=\"usage_percentage\">");
		html_textf(r, "%.0f%%", fleet_usage_percent(&g[i]));
		html_raw(r, "</span></td><td data-field=\"connected\">");
		html_int(r, g[i].connected);
		html_raw(r, "</td><td><span data-field=\"assigned\">");
		html_int(r, g[i].assigned);
		html_raw(r, "</span> / ");
		html_int(r, g[i].capacity);
		html_raw(r, "</td><td>");
		html_int(r, g[i].priority);
		html_raw(r, "</td><td><span class=\"badge\" data-field=\"status\">");
		html_text(r, status);
		html_raw(r, "</span></td></tr>\n");
	}
	html_raw(r, "</tbody></table>\n");
}

static void
states_list(struct req *r, const struct db_result *states)
{
	static const char *const all[] = { "connected", "connecting", "disconnected", "refused",
	    "banned", "unknown" };
	size_t i, row;

	html_raw(r, "<h2>Instances by state</h2>\n<ul class=\"states\">\n");
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		long long count = 0;

		for (row = 0; row < states->nrows; row++)
			if (db_value(states, row, 0) != NULL &&
			    strcmp(db_value(states, row, 0), all[i]) == 0)
				count = db_int(states, row, 1, 0);
		html_raw(r, "<li class=\"state-");
		html_attr(r, all[i]);
		html_raw(r, "\"><a href=\"/admin/instances?state=");
		html_url_arg(r, all[i]);
		html_raw(r, "\">");
		html_text(r, all[i]);
		html_raw(r, "</a> <strong data-state=\"");
		html_attr(r, all[i]);
		html_raw(r, "\">");
		html_int(r, count);
		html_raw(r, "</strong></li>\n");
	}
	html_raw(r, "</ul>\n");
}

static void
alerts_list(struct req *r, const struct fleet_alert *a, size_t n)
{
	size_t i;

	html_raw(r, "<section id=\"alerts\" aria-live=\"polite\">\n");
	for (i = 0; i < n; i++) {
		html_raw(r, "<p class=\"notice warn\" data-alert=\"");
		html_int(r, a[i].id);
		html_raw(r, "\"><strong>");
		html_text(r, a[i].kind);
		html_raw(r, "</strong> ");
		html_text(r, a[i].message);
		html_raw(r, " <small class=\"muted\">since ");
		html_text(r, a[i].created_at);
		html_raw(r, " UTC</small></p>\n");
	}
	html_raw(r, "</section>\n");
}

/* Raises 503 when the database is down. */
void
page_dashboard(struct req *r)
{
	struct json_object *stats = NULL;
	struct fleet_gateway *g = NULL;
	struct fleet_alert *alerts = NULL;
	struct db_result states = { 0 };
	size_t ng = 0, na = 0;

	if (fleet_capacity_alerts(r->db, NULL) != DB_OK || stats_today(r->db, &stats) != DB_OK ||
	    fleet_gateways(r->db, &g, &ng) != DB_OK || fleet_instance_states(r->db, &states) != DB_OK ||
	    fleet_alerts(r->db, &alerts, &na) != DB_OK) {
		req_header(r, "Retry-After: 5");
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	html_page_begin(r, "Dashboard", NAV_DASHBOARD, 10);
	html_raw(r, "<div data-refresh=\"dashboard\">\n");
	alerts_list(r, alerts, na);
	html_raw(r, "<div class=\"cards\">\n");
	card(r, "Messages today", "messages_today", "int", stats);
	card(r, "Success rate", "success_rate", "percent", stats);
	card(r, "Average delay", "average_delay_ms", "ms", stats);
	card(r, "Active pools", "active_pools", "int", stats);
	card(r, "Queue depth", "queue_depth", "int", stats);
	card(r, "Dead letters", "dead_letter", "int", stats);
	html_raw(r, "</div>\n");
	servers_table(r, g, ng);
	states_list(r, &states);
	html_raw(r, "<p class=\"muted small\">Figures for today (UTC); ");
	html_int(r, stat_int(stats, "in_flight"));
	html_raw(r, " message(s) in flight. <span id=\"refreshed\"></span></p>\n</div>\n");
	html_page_end(r);
out:
	if (stats != NULL)
		json_object_put(stats);
	fleet_gateways_free(g, ng);
	fleet_alerts_free(alerts, na);
	db_result_free(&states);
}
