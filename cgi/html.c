/* html.c: the one HTML writer; every byte of an admin page goes through here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_length(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not text. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void
html_textn(struct req *r, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (s == NULL)
		return;
	while (i < n) {
		size_t len;

		switch (p[i]) {
		case '&': buf_puts(&r->out, "&amp;"); i++; continue;
		case '<': buf_puts(&r->out, "&lt;"); i++; continue;
		case '>': buf_puts(&r->out, "&gt;"); i++; continue;
		case '"': buf_puts(&r->out, "&quot;"); i++; continue;
		case '\'': buf_puts(&r->out, "&#39;"); i++; continue;
		default: break;
		}
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
			i++;
			continue;
		}
		if (p[i] == 0x7f) {
			i++;
			continue;
		}
		if ((len = utf8_length(p + i, n - i)) == 0) {
			buf_puts(&r->out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_append(&r->out, p + i, len);
		i += len;
	}
}

void
html_raw(struct req *r, const char *markup)
{
	buf_puts(&r->out, markup);
}

void
html_text(struct req *r, const char *s)
{
	if (s != NULL)
		html_textn(r, s, strlen(s));
}

void
html_attr(struct req *r, const char *s)
{
	html_text(r, s);
}

void
html_textf(struct req *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	html_textn(r, buf_cstr(&b), b.len);
	buf_free(&b);
}

void
html_int(struct req *r, long long v)
{
	buf_printf(&r->out, "%lld", v);
}

void
html_url_arg(struct req *r, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~')
			buf_putc(&r->out, (char)*p);
		else {
			buf_putc(&r->out, '%');
			buf_putc(&r->out, hex[*p >> 4]);
			buf_putc(&r->out, hex[*p & 15]);
		}
	}
}

void
html_masked(struct req *r, const char *secret)
{
	size_t len = secret != NULL ? strlen(secret) : 0;

	if (len == 0) {
		html_raw(r, "<span class=\"muted\">(none)</span>");
		return;
	}
	html_raw(r, "<span class=\"secret\">");
	/* Short secrets would be given away by their last characters. */
	if (len >= 12) {
		html_raw(r, "&bull;&bull;&bull;&bull;");
		html_textn(r, secret + len - 4, 4);
	} else
		html_raw(r, "&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;");
	html_raw(r, "</span>");
}

static const struct {
	const char	*href;
	const char	*label;
} nav_items[NAV__MAX] = {
	{ NULL, NULL },				/* NAV_NONE */
	{ "/admin/", "Dashboard" },		/* NAV_DASHBOARD */
	{ "/admin/gateways", "Gateways" },	/* NAV_GATEWAYS */
	{ "/admin/instances", "Instances" },	/* NAV_INSTANCES */
	{ "/admin/webhooks", "Pools &amp; events" },	/* NAV_WEBHOOKS */
	{ "/admin/queue", "Queue" },		/* NAV_QUEUE */
};

void
html_page_begin(struct req *r, const char *title, enum html_nav nav, int refresh_seconds)
{
	size_t i;

	r->mime = "text/html; charset=utf-8";
	req_header(r, "Cache-Control: no-store");
	/* Only our own script and style; data: images are the gateway's QR codes. */
	req_header(r, "Content-Security-Policy: default-src 'none'; script-src 'self'; "
	    "style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	buf_reset(&r->out);
	html_raw(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	html_text(r, title);
	html_raw(r, " - wapool</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	    "<script src=\"/static/app.js\" defer></script>\n");
	if (refresh_seconds > 0) {
		html_raw(r, "<noscript><meta http-equiv=\"refresh\" content=\"");
		html_int(r, refresh_seconds);
		html_raw(r, "\"></noscript>\n");
	}
	html_raw(r, "</head>\n<body>\n<header class=\"top\">\n<a class=\"brand\" href=\"/admin/\">"
	    "wapool</a>\n");
	if (r->user_id > 0) {
		html_raw(r, "<nav>\n");
		for (i = 1; i < NAV__MAX; i++) {
			html_raw(r, "<a href=\"");
			html_raw(r, nav_items[i].href);
			html_raw(r, (enum html_nav)i == nav ? "\" class=\"current\" aria-current=\"page\">" :
			    "\">");
			html_raw(r, nav_items[i].label);
			html_raw(r, "</a>\n");
		}
		html_raw(r, "</nav>\n<div class=\"user\"><span>");
		html_text(r, r->user_name);
		html_raw(r, "</span>");
		html_form_begin(r, "/admin/logout", "inline");
		html_button(r, "Log out", "link");
		html_form_end(r);
		html_raw(r, "</div>\n");
	}
	html_raw(r, "</header>\n<main>\n<h1>");
	html_text(r, title);
	html_raw(r, "</h1>\n");
}

void
html_page_end(struct req *r)
{
	html_raw(r, "</main>\n</body>\n</html>\n");
}

void
html_notice(struct req *r, const char *kind, const char *text)
{
	html_raw(r, "<p class=\"notice ");
	html_attr(r, kind);
	html_raw(r, "\" role=\"status\">");
	html_text(r, text);
	html_raw(r, "</p>\n");
}

void
html_form_begin(struct req *r, const char *action, const char *css_class)
{
	html_raw(r, "<form method=\"post\" action=\"");
	html_attr(r, action);
	html_raw(r, "\"");
	if (css_class != NULL) {
		html_raw(r, " class=\"");
		html_attr(r, css_class);
		html_raw(r, "\"");
	}
	html_raw(r, ">\n");
	html_hidden(r, "csrf", r->csrf_token != NULL ? r->csrf_token : "");
}

void
html_form_end(struct req *r)
{
	html_raw(r, "</form>\n");
}

void
html_hidden(struct req *r, const char *name, const char *value)
{
	html_raw(r, "<input type=\"hidden\" name=\"");
	html_attr(r, name);
	html_raw(r, "\" value=\"");
	html_attr(r, value);
	html_raw(r, "\">\n");
}

/* The error span beside a field, or the hint. */
static void
field_tail(struct req *r, const char *name, const char *error, const char *hint)
{
	if (error != NULL) {
		html_raw(r, "<span class=\"error\" id=\"e-");
		html_attr(r, name);
		html_raw(r, "\">");
		html_text(r, error);
		html_raw(r, "</span>");
	}
	if (hint != NULL) {
		html_raw(r, "<small class=\"hint\">");
		html_text(r, hint);
		html_raw(r, "</small>");
	}
	html_raw(r, "</div>\n");
}

static void
field_head(struct req *r, const char *label, const char *name, const char *error)
{
	html_raw(r, error != NULL ? "<div class=\"field has-error\">" : "<div class=\"field\">");
	html_raw(r, "<label for=\"f-");
	html_attr(r, name);
	html_raw(r, "\">");
	html_text(r, label);
	html_raw(r, "</label>");
}

void
html_field(struct req *r, const char *label, const char *name, const char *type,
    const char *value, const char *error, const char *hint)
{
	field_head(r, label, name, error);
	html_raw(r, "<input id=\"f-");
	html_attr(r, name);
	html_raw(r, "\" name=\"");
	html_attr(r, name);
	html_raw(r, "\" type=\"");
	html_attr(r, type);
	html_raw(r, "\"");
	if (strcmp(type, "password") != 0 && value != NULL) {
		html_raw(r, " value=\"");
		html_attr(r, value);
		html_raw(r, "\"");
	}
	if (strcmp(type, "password") == 0)
		html_raw(r, " autocomplete=\"off\"");
	if (error != NULL) {
		html_raw(r, " aria-invalid=\"true\" aria-describedby=\"e-");
		html_attr(r, name);
		html_raw(r, "\"");
	}
	html_raw(r, ">");
	field_tail(r, name, error, hint);
}

void
html_checkbox(struct req *r, const char *label, const char *name, bool checked)
{
	html_raw(r, "<div class=\"field check\"><label><input type=\"checkbox\" name=\"");
	html_attr(r, name);
	html_raw(r, checked ? "\" value=\"1\" checked> " : "\" value=\"1\"> ");
	html_text(r, label);
	html_raw(r, "</label></div>\n");
}

void
html_select_begin(struct req *r, const char *label, const char *name, const char *error)
{
	field_head(r, label, name, error);
	html_raw(r, "<select id=\"f-");
	html_attr(r, name);
	html_raw(r, "\" name=\"");
	html_attr(r, name);
	html_raw(r, error != NULL ? "\" aria-invalid=\"true\">\n" : "\">\n");
}

void
html_option(struct req *r, const char *value, const char *label, bool selected)
{
	html_raw(r, "<option value=\"");
	html_attr(r, value);
	html_raw(r, selected ? "\" selected>" : "\">");
	html_text(r, label);
	html_raw(r, "</option>\n");
}

void
html_select_end(struct req *r, const char *name, const char *error, const char *hint)
{
	html_raw(r, "</select>");
	field_tail(r, name, error, hint);
}

void
html_button(struct req *r, const char *label, const char *css_class)
{
	html_raw(r, "<button type=\"submit\"");
	if (css_class != NULL) {
		html_raw(r, " class=\"");
		html_attr(r, css_class);
		html_raw(r, "\"");
	}
	html_raw(r, ">");
	html_text(r, label);
	html_raw(r, "</button>");
}

void
html_post_button(struct req *r, const char *action, const char *label, const char *css_class)
{
	html_form_begin(r, action, "inline");
	html_button(r, label, css_class);
	html_form_end(r);
}

void
html_error_page(struct req *r, int status, const char *fmt, ...)
{
	struct buf message = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&message, fmt, ap);
	va_end(ap);
	r->status = status;
	html_page_begin(r, status == 404 ? "Not found" : status == 403 ? "Forbidden" :
	    status == 503 ? "Unavailable" : status >= 500 ? "Error" : "Request refused",
	    NAV_NONE, 0);
	html_notice(r, "error", buf_cstr(&message));
	html_raw(r, "<p><a href=\"/admin/\">Back to the dashboard</a></p>\n");
	html_page_end(r);
	buf_free(&message);
}

void
html_redirect(struct req *r, const char *location)
{
	const char *p;

	/*
	 * Only paths on this site: not "//host" (another site), and no control
	 * character that could split the header.
	 */
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		location = "/admin/";
	for (p = location; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			location = "/admin/";
			break;
		}
	r->status = 303;
	r->mime = "text/html; charset=utf-8";
	req_header(r, "Location: %s", location);
	req_header(r, "Cache-Control: no-store");
	buf_reset(&r->out);
	html_raw(r, "<!DOCTYPE html>\n<title>See other</title>\n<a href=\"");
	html_attr(r, location);
	html_raw(r, "\">Continue</a>\n");
}

void
html_redirectf(struct req *r, const char *fmt, ...)
{
	struct buf location = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&location, fmt, ap);
	va_end(ap);
	html_redirect(r, buf_cstr(&location));
	buf_free(&location);
}
