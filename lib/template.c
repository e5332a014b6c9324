/* template.c: fill "Olá {{customer.first_name}}" message templates from a webhook payload. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonpath.h"
#include "template.h"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Finds the next "{{ name }}" at or after p.  Returns where its "{{"
 * starts, with *name and *namelen set to the text between the braces
 * without surrounding blanks and *end just past the "}}".  Returns NULL
 * when no closed variable is left.  A "{{" that meets another "{{" before
 * any "}}" is unclosed, so literal text: "Olá {{nome, pedido {{order.id}}"
 * still fills in the order id.
 */
static const char *
next_variable(const char *p, const char **name, size_t *namelen, const char **end)
{
	const char *open, *close, *inner, *again;

	for (;;) {
		open = strstr(p, "{{");
		if (open == NULL)
			return NULL;
		inner = open + 2;
		close = strstr(inner, "}}");
		if (close == NULL)
			return NULL;
		again = memmem(inner, (size_t)(close - inner), "{{", 2);
		if (again == NULL)
			break;
		p = again;
	}
	*end = close + 2;
	while (inner < close && is_blank(*inner))
		inner++;
	while (close > inner && is_blank(close[-1]))
		close--;
	*name = inner;
	*namelen = (size_t)(close - inner);
	return open;
}

/*
 * Appends tmpl to out with each "{{ path }}" replaced by the text at that
 * path in root (root may be NULL: every variable is then missing).  A
 * missing, null, object or array value or an invalid path renders as
 * nothing and is passed to missing(name, arg) once per occurrence.  Bytes
 * outside variables, UTF-8 included, are copied unchanged.
 */
void
template_render(const char *tmpl, struct json_object *root, struct buf *out,
    template_missing_fn missing, void *arg)
{
	struct buf name = BUF_INIT;
	const char *p = tmpl, *open, *start, *end;
	size_t len;

	if (tmpl == NULL)
		return;
	while ((open = next_variable(p, &start, &len, &end)) != NULL) {
		buf_append(out, p, (size_t)(open - p));
		/* jsonpath wants a NUL-terminated path, the callback a name. */
		buf_reset(&name);
		buf_append(&name, start, len);
		if (jsonpath_get_text(root, buf_cstr(&name), out) != 0 &&
		    missing != NULL)
			missing(buf_cstr(&name), arg);
		p = end;
	}
	buf_puts(out, p);
	buf_free(&name);
}

/*
 * Returns 0 when every "{{...}}" in tmpl holds a valid path, -1 when one
 * does not or when a "{{" is never closed: render would copy that "{{"
 * as text, which in a route's template is almost always a typo.
 */
int
template_check(const char *tmpl)
{
	struct buf name = BUF_INIT;
	const char *p = tmpl, *open, *start, *end;
	size_t len;
	int rc = -1;

	if (tmpl == NULL)
		goto out;
	while ((open = next_variable(p, &start, &len, &end)) != NULL) {
		if (memmem(p, (size_t)(open - p), "{{", 2) != NULL)
			goto out;
		buf_reset(&name);
		buf_append(&name, start, len);
		if (!jsonpath_valid(buf_cstr(&name)))
			goto out;
		p = end;
	}
	if (strstr(p, "{{") != NULL)
		goto out;
	rc = 0;
out:
	buf_free(&name);
	return rc;
}
