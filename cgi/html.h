/* html.h: the one HTML writer: escaping text and attributes, page frame, form helpers. */
#ifndef WAPOOL_HTML_H
#define WAPOOL_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

/*
 * Everything here appends to r->out.  The output buffer aborts on
 * exhaustion (xmalloc), so a writer cannot fail half-way: there is no error
 * to report until req_finish() writes the whole response at once.
 *
 * Escaping rule, one for text and attributes alike: & < > " ' become
 * &amp; &lt; &gt; &quot; &#39;.  NUL and other C0 control characters
 * except tab, LF and CR are dropped; invalid UTF-8 becomes U+FFFD.
 */

/* Constant markup only: never a value from the database, a form or a payload. */
void	html_raw(struct req *r, const char *markup);
/* Text content, escaped; NULL writes nothing. */
void	html_text(struct req *r, const char *s);
void	html_textn(struct req *r, const char *s, size_t len);
/* Format, then escape the result. */
void	html_textf(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An attribute value (the caller writes the quotes), escaped. */
void	html_attr(struct req *r, const char *s);
void	html_int(struct req *r, long long v);
/* Percent-encode s for a query argument (unreserved characters kept). */
void	html_url_arg(struct req *r, const char *s);
/* A secret shown masked: the last 4 characters when long enough, else bullets. */
void	html_masked(struct req *r, const char *secret);

/* Navigation entries of the page frame. */
enum html_nav {
	NAV_NONE,
	NAV_DASHBOARD,
	NAV_GATEWAYS,
	NAV_INSTANCES,
	NAV_WEBHOOKS,
	NAV_QUEUE,
	NAV__MAX
};

/*
 * Start a complete page: status 200 (unless r->status was set), text/html,
 * no-store, a CSP that allows only our own /static/ scripts and data: images
 * (the QR), the navigation with the signed-in user and a logout form.
 * refresh_seconds > 0 adds a <noscript> meta refresh, so pages that poll
 * stay live without JavaScript.
 */
void	html_page_begin(struct req *r, const char *title, enum html_nav nav, int refresh_seconds);
void	html_page_end(struct req *r);
/* A notice line (kind: "ok", "warn", "error"): text escaped. */
void	html_notice(struct req *r, const char *kind, const char *text);

/* <form method="post" action="..."> plus the hidden CSRF token of the session. */
void	html_form_begin(struct req *r, const char *action, const char *css_class);
void	html_form_end(struct req *r);
void	html_hidden(struct req *r, const char *name, const char *value);
/*
 * A labelled input with its error beside it: <div class="field has-error">
 * <label>..</label><input ...><span class="error">..</span></div>.
 * type "password" never echoes value.  hint and error may be NULL.
 */
void	html_field(struct req *r, const char *label, const char *name, const char *type,
	    const char *value, const char *error, const char *hint);
void	html_checkbox(struct req *r, const char *label, const char *name, bool checked);
/* <select>: begin, options, end (the end writes the error beside it). */
void	html_select_begin(struct req *r, const char *label, const char *name, const char *error);
void	html_option(struct req *r, const char *value, const char *label, bool selected);
void	html_select_end(struct req *r, const char *name, const char *error, const char *hint);
/* <button type="submit" class=css_class>label</button> */
void	html_button(struct req *r, const char *label, const char *css_class);
/* A one-button POST form to action (with the CSRF token). */
void	html_post_button(struct req *r, const char *action, const char *label,
	    const char *css_class);

/* A complete error page with status (401..503): message escaped. */
void	html_error_page(struct req *r, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* 303 See Other to location; anything but a local path becomes /admin/. */
void	html_redirect(struct req *r, const char *location);
void	html_redirectf(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
