/* form.c: decode urlencoded bodies and validate them against a page's field table. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "util.h"

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one urlencoded component (len bytes) into a new string. */
static char *
url_decode(const char *s, size_t len)
{
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			buf_putc(&out, ' ');
		else if (s[i] == '%' && i + 2 < len && hex_digit(s[i + 1]) >= 0 &&
		    hex_digit(s[i + 2]) >= 0) {
			char c = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));

			/* A NUL would silently cut the string: make it a DEL, which text refuses. */
			buf_putc(&out, c != '\0' ? c : 0x7f);
			i += 2;
		} else
			buf_putc(&out, s[i]);
	}
	buf_append(&out, "", 0);
	return buf_take(&out);
}

char *
form_lookup(const char *encoded, size_t len, const char *name)
{
	size_t namelen = strlen(name), at = 0;

	while (encoded != NULL && at < len) {
		const char *pair = encoded + at;
		const char *amp = memchr(pair, '&', len - at);
		size_t pairlen = amp != NULL ? (size_t)(amp - pair) : len - at;
		const char *eq = memchr(pair, '=', pairlen);

		if (eq != NULL) {
			char *key = url_decode(pair, (size_t)(eq - pair));
			bool match = strlen(key) == namelen && strcmp(key, name) == 0;

			free(key);
			if (match)
				return url_decode(eq + 1, pairlen - (size_t)(eq - pair) - 1);
		}
		at += pairlen + 1;
	}
	return NULL;
}

/* Valid UTF-8 without C0 controls or DEL (tab excluded too: one-line fields). */
static bool
clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t len, i;

		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			len = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4;
		else
			return false;
		for (i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		/* Overlong 3-byte forms and UTF-16 surrogates. */
		if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
			return false;
		if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
			return false;
		p += len;
	}
	return true;
}

static char *
trimmed(const char *s)
{
	size_t len = strlen(s);

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* Check one decoded value against its field; sets v. */
static void
form_check(const struct form_field *f, char *raw, struct form_value *v)
{
	size_t max = f->max_len != 0 ? f->max_len : 200;
	long long n;
	size_t i;

	v->s = raw == NULL ? xstrdup("") : f->kind == FORM_SECRET ? xstrdup(raw) : trimmed(raw);
	v->present = v->s[0] != '\0';
	if (f->kind == FORM_BOOL) {
		v->i = raw != NULL && strcmp(v->s, "0") != 0;
		return;
	}
	if (!v->present) {
		if (f->required)
			v->error = "required";
		return;
	}
	switch (f->kind) {
	case FORM_TEXT:
	case FORM_SECRET:
		if (!clean_text(v->s))
			v->error = "must be one line of text without control characters";
		else if (strlen(v->s) > max)
			v->error = "too long";
		break;
	case FORM_INT:
		if (!safe_strtoll(v->s, &n))
			v->error = "must be a whole number";
		else if (n < f->min || n > f->max)
			v->error = "out of range";
		else
			v->i = n;
		break;
	case FORM_CHOICE:
		v->error = "not one of the choices";
		for (i = 0; f->choices != NULL && f->choices[i] != NULL; i++)
			if (strcmp(f->choices[i], v->s) == 0) {
				v->error = NULL;
				v->i = (long long)i;
			}
		break;
	default:
		break;
	}
	if (v->error == NULL && f->check != NULL)
		v->error = f->check(v->s);
}

static bool
is_form_type(const char *content_type)
{
	const char *want = "application/x-www-form-urlencoded";
	size_t len = strlen(want);

	if (content_type == NULL || strncasecmp(content_type, want, len) != 0)
		return false;
	return content_type[len] == '\0' || content_type[len] == ';' || content_type[len] == ' ';
}

int
form_parse(struct req *r, const struct form_field *fields, size_t n, struct form *f)
{
	size_t k;

	f->n = n;
	f->v = xcalloc(n, sizeof(*f->v));
	f->bad_body = false;
	req_read_body(r, FORM_MAX_BODY);
	if (r->body_too_large || (r->body.len > 0 && !is_form_type(r->content_type)))
		f->bad_body = true;
	for (k = 0; k < n; k++) {
		char *raw = f->bad_body ? NULL : form_lookup(r->body.ptr, r->body.len,
		    fields[k].name);

		form_check(&fields[k], raw, &f->v[k]);
		free(raw);
	}
	return form_errors(f);
}

void
form_free(struct form *f)
{
	size_t k;

	for (k = 0; k < f->n && f->v != NULL; k++)
		free(f->v[k].s);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

void
form_set_error(struct form *f, size_t k, const char *message)
{
	if (k < f->n)
		f->v[k].error = message;
}

int
form_errors(const struct form *f)
{
	size_t k;
	int count = 0;

	for (k = 0; k < f->n; k++)
		if (f->v[k].error != NULL)
			count++;
	return count;
}

const char *
form_check_http_url(const char *value)
{
	const char *host, *p;

	if (strncmp(value, "http://", 7) == 0)
		host = value + 7;
	else if (strncmp(value, "https://", 8) == 0)
		host = value + 8;
	else
		return "must start with http:// or https://";
	if (*host == '\0' || *host == '/' || *host == ':')
		return "needs a host name";
	for (p = value; *p != '\0'; p++)
		if (*p == ' ' || (unsigned char)*p >= 0x80)
			return "must not hold spaces or non-ASCII characters";
	return NULL;
}

const char *
form_check_identifier(const char *value)
{
	const char *p;

	if (!isalnum((unsigned char)value[0]))
		return "must start with a letter or digit";
	for (p = value; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return "only letters, digits, '_', '-' and '.'";
	return NULL;
}
