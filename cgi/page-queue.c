/*
 * page-queue.c: /admin/queue?state=pending|sending|dead: the queue by
 * state, with retry (dead -> pending), clear (pending -> cancelled) and
 * recover (expired leases -> pending), through lib/queue-ops.c and
 * lib/queue.c like the JSON queue API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "pages.h"
#include "queue-ops.h"
#include "queue.h"
#include "util.h"
#include "views.h"

static const char *const queue_states[] = { "pending", "sending", "dead", NULL };

static void
state_tabs(struct req *r, const char *current, const struct db_result *counts)
{
	size_t i, row;

	html_raw(r, "<nav class=\"tabs\" aria-label=\"Queue states\">");
	for (i = 0; queue_states[i] != NULL; i++) {
		long long n = 0;

		for (row = 0; row < counts->nrows; row++)
			if (db_value(counts, row, 0) != NULL &&
			    strcmp(db_value(counts, row, 0), queue_states[i]) == 0)
				n = db_int(counts, row, 1, 0);
		html_raw(r, "<a href=\"/admin/queue?state=");
		html_url_arg(r, queue_states[i]);
		html_raw(r, strcmp(current, queue_states[i]) == 0 ?
		    "\" class=\"current\" aria-current=\"page\">" : "\">");
		html_text(r, queue_states[i]);
		html_raw(r, " <span class=\"count\" data-queue=\"");
		html_attr(r, queue_states[i]);
		html_raw(r, "\">");
		html_int(r, n);
		html_raw(r, "</span></a>");
	}
	html_raw(r, "</nav>\n");
}

static void
bulk_actions(struct req *r, const char *state)
{
	html_raw(r, "<div class=\"actions bar\">");
	if (strcmp(state, "dead") == 0)
		html_post_button(r, "/admin/queue/retry", "Retry every dead message", "primary");
	else if (strcmp(state, "pending") == 0)
		html_post_button(r, "/admin/queue/clear", "Cancel every pending message", "danger");
	else
		html_post_button(r, "/admin/queue/recover", "Recover expired leases", NULL);
	html_raw(r, "</div>\n");
}

static void
messages_table(struct req *r, const char *state, const struct db_result *m)
{
	static const char *const heads[] = { "#", "Created (UTC)", "Tenant", "Pool", "To",
	    "Attempts", "Next try", "Waiting for", "Last error", "Instance", "Lease" };
	size_t row, col, shown = m->nrows > VIEWS_PAGE ? VIEWS_PAGE : m->nrows;
	char id[32];

	if (m->nrows == 0) {
		html_raw(r, "<p class=\"muted\">Nothing here.</p>\n");
		return;
	}
	html_raw(r, "<table class=\"list\" id=\"messages\"><thead><tr>");
	for (col = 0; col < ARRAY_SIZE(heads); col++) {
		html_raw(r, "<th>");
		html_text(r, heads[col]);
		html_raw(r, "</th>");
	}
	html_raw(r, "<th></th></tr></thead><tbody>\n");
	for (row = 0; row < shown; row++) {
		const char *v;

		html_raw(r, "<tr>");
		for (col = 0; col < 5; col++) {
			html_raw(r, "<td>");
			html_text(r, (v = db_value(m, row, col)) != NULL ? v : "-");
			html_raw(r, "</td>");
		}
		html_raw(r, "<td>");
		html_textf(r, "%lld/%lld", db_int(m, row, 5, 0), db_int(m, row, 6, 0));
		html_raw(r, "</td>");
		for (col = 7; col < 11; col++) {
			html_raw(r, "<td>");
			html_text(r, (v = db_value(m, row, col)) != NULL ? v : "-");
			html_raw(r, "</td>");
		}
		html_raw(r, "<td>");
		if (db_value(m, row, 11) != NULL)
			html_textf(r, "%s until %s", db_value(m, row, 11),
			    db_value(m, row, 12) != NULL ? db_value(m, row, 12) : "?");
		else
			html_raw(r, "-");
		html_raw(r, "</td><td>");
		if (strcmp(state, "sending") != 0) {
			snprintf(id, sizeof(id), "%lld", db_int(m, row, 0, 0));
			html_form_begin(r, strcmp(state, "dead") == 0 ? "/admin/queue/retry" :
			    "/admin/queue/clear", "inline");
			html_hidden(r, "message", id);
			html_button(r, strcmp(state, "dead") == 0 ? "Retry" : "Cancel", NULL);
			html_form_end(r);
		}
		html_raw(r, "</td></tr>\n");
	}
	html_raw(r, "</tbody></table>\n");
	if (m->nrows > VIEWS_PAGE) {
		html_raw(r, "<p><a href=\"/admin/queue?state=");
		html_url_arg(r, state);
		html_raw(r, "&amp;before=");
		html_int(r, db_int(m, VIEWS_PAGE - 1, 0, 0));
		html_raw(r, "\">Older messages</a></p>\n");
	}
}

/* GET /admin/queue[?state=pending|sending|dead&before=ID][&done=...&n=N]. Raises 503. */
void
page_queue(struct req *r)
{
	struct db_result counts = { 0 }, m = { 0 };
	char *state_arg = req_query_arg(r, "state"), *before_arg = req_query_arg(r, "before");
	char *done = req_query_arg(r, "done"), *count = req_query_arg(r, "n");
	const char *state = "pending";
	long long before = 0, n = 0;
	size_t i;

	for (i = 0; state_arg != NULL && queue_states[i] != NULL; i++)
		if (strcmp(state_arg, queue_states[i]) == 0)
			state = queue_states[i];
	if (before_arg == NULL || !safe_strtoll(before_arg, &before) || before < 0)
		before = 0;
	if (views_queue_counts(r->db, &counts) != DB_OK ||
	    views_messages(r->db, state, before, &m) != DB_OK) {
		html_error_page(r, 503, "The database is unreachable; try again in a moment.");
		goto out;
	}
	html_page_begin(r, "Queue", NAV_QUEUE, 0);
	if (done != NULL && count != NULL && safe_strtoll(count, &n)) {
		if (strcmp(done, "retry") == 0)
			html_notice(r, "ok", "Dead messages are pending again.");
		else if (strcmp(done, "clear") == 0)
			html_notice(r, "ok", "Pending messages cancelled.");
		else if (strcmp(done, "recover") == 0)
			html_notice(r, "ok", "Expired leases recovered.");
		html_raw(r, "<p class=\"muted\">");
		html_int(r, n);
		html_raw(r, " message(s) changed.</p>\n");
	}
	state_tabs(r, state, &counts);
	bulk_actions(r, state);
	messages_table(r, state, &m);
	html_page_end(r);
out:
	db_result_free(&counts);
	db_result_free(&m);
	free(state_arg);
	free(before_arg);
	free(done);
	free(count);
}

/*
 * POST /admin/queue/{retry|clear|recover} [message=ID]: 303 back to the
 * list with the count changed; 404 for another action, 409 when the one
 * message named is not in the state the action needs.
 */
void
page_queue_action(struct req *r)
{
	static const struct form_field field = { "message", FORM_INT, false, 0, 1, 1LL << 62,
	    NULL, NULL };
	const char *action = r->nparams > 0 ? r->params[0] : "";
	struct buf why = BUF_INIT;
	struct form f;
	long long affected = 0, id;
	enum queue_kind q;
	int rc;

	form_parse(r, &field, 1, &f);
	id = f.v[0].i;
	/* The page shows webhooks and campaigns together: act on both. */
	q = QUEUE_ALL;
	if (f.bad_body || form_errors(&f) > 0) {
		html_error_page(r, 400, "message must be a message number.");
		goto out;
	}
	if (strcmp(action, "retry") == 0)
		rc = queue_ops_retry_dlq(r->db, q, id, &affected, &why);
	else if (strcmp(action, "clear") == 0)
		rc = queue_ops_clear(r->db, q, id, &affected, &why);
	else if (strcmp(action, "recover") == 0)
		rc = queue_recover_expired_leases(r->db, &affected);
	else {
		html_error_page(r, 404, "There is no such queue action.");
		goto out;
	}
	if (rc == DB_NOT_FOUND || rc == DB_CONFLICT)
		html_error_page(r, 409, "%s", why.len > 0 ? buf_cstr(&why) :
		    "that message is not in a state this action applies to");
	else if (rc != DB_OK)
		html_error_page(r, 503, "The database failed; the queue was not changed.");
	else {
		log_info("admin %s: queue %s changed %lld message(s)", r->user_name, action, affected);
		html_redirectf(r, "/admin/queue?state=%s&done=%s&n=%lld",
		    strcmp(action, "retry") == 0 ? "dead" : strcmp(action, "clear") == 0 ? "pending" :
		    "sending", action, affected);
	}
out:
	form_free(&f);
	buf_free(&why);
}
