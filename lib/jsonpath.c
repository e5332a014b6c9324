/* jsonpath.c: look up "order.customer.phone" or "line_items[0].name" in a json-c tree. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonpath.h"
#include "util.h"

/* Longer indexes cannot address a real payload and would overflow. */
#define JSONPATH_MAX_INDEX_DIGITS	9

enum step_result { STEP_END, STEP_OK, STEP_SYNTAX };

/*
 * Cuts the next step off *cursor: a key after a "." (or at the start), or
 * the digits inside "[...]".  Sets *start and *len to the step's text.
 * Returns STEP_END after the last step, STEP_SYNTAX for an empty key, an
 * unclosed or non-numeric bracket, or junk after "]".
 */
static enum step_result
next_step(const char **cursor, bool first, const char **start, size_t *len)
{
	const char *p = *cursor;

	if (*p == '\0')
		return first ? STEP_SYNTAX : STEP_END;
	if (*p == '[') {
		p++;
		*start = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == *start || *p != ']')
			return STEP_SYNTAX;
		*len = (size_t)(p - *start);
		p++;
	} else {
		if (!first) {
			if (*p != '.')
				return STEP_SYNTAX;
			p++;
		}
		*start = p;
		while (*p != '\0' && *p != '.' && *p != '[' && *p != ']')
			p++;
		if (p == *start)
			return STEP_SYNTAX;
		*len = (size_t)(p - *start);
	}
	*cursor = p;
	return STEP_OK;
}

/* Parses an array index made only of digits; false otherwise. */
static bool
parse_index(const char *s, size_t len, size_t *index)
{
	size_t i, value = 0;

	if (len == 0 || len > JSONPATH_MAX_INDEX_DIGITS)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		value = value * 10 + (size_t)(s[i] - '0');
	}
	*index = value;
	return true;
}

/*
 * Returns the value at path inside root, borrowed from root, or NULL when a
 * step is missing, the path is invalid or the value is JSON null.  A step
 * is an object key, or an index when the current value is an array (so
 * "items.0" and "items[0]" are the same; an object with a key "0" is
 * reached by both as well).
 */
struct json_object *
jsonpath_get(struct json_object *root, const char *path)
{
	struct json_object *current = root, *found = NULL;
	struct buf key = BUF_INIT;
	const char *cursor = path, *start = NULL;
	size_t len = 0, index;
	bool first = true;
	enum step_result r;

	if (root == NULL || path == NULL)
		return NULL;
	while ((r = next_step(&cursor, first, &start, &len)) == STEP_OK) {
		first = false;
		if (json_object_is_type(current, json_type_array)) {
			if (!parse_index(start, len, &index) ||
			    index >= json_object_array_length(current))
				goto out;
			current = json_object_array_get_idx(current, index);
		} else if (json_object_is_type(current, json_type_object)) {
			/* json-c wants a NUL-terminated key. */
			buf_reset(&key);
			buf_append(&key, start, len);
			if (!json_object_object_get_ex(current, buf_cstr(&key), &current))
				goto out;
		} else
			goto out;
		if (current == NULL)
			goto out;	/* JSON null: nothing below it */
	}
	if (r == STEP_END)
		found = current;
out:
	buf_free(&key);
	return found;
}

/*
 * Appends the text of the value at path to out: a string's bytes as they
 * are, numbers and booleans as json-c prints them (a parsed number keeps
 * its original spelling, "19.90" stays "19.90").  Returns 0, or -1 with
 * out untouched when the value is missing, null, an object or an array.
 */
int
jsonpath_get_text(struct json_object *root, const char *path, struct buf *out)
{
	struct json_object *value = jsonpath_get(root, path);
	const char *text;

	if (value == NULL)
		return -1;
	switch (json_object_get_type(value)) {
	case json_type_string:
		buf_append(out, json_object_get_string(value),
		    (size_t)json_object_get_string_len(value));
		return 0;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
		if (text == NULL)
			return -1;
		buf_puts(out, text);
		return 0;
	default:
		return -1;
	}
}

/* True when path is non-empty, has no empty key and every "[" holds digits and closes. */
bool
jsonpath_valid(const char *path)
{
	const char *cursor = path, *start = NULL;
	size_t len = 0;
	bool first = true;
	enum step_result r;

	if (path == NULL)
		return false;
	while ((r = next_step(&cursor, first, &start, &len)) == STEP_OK)
		first = false;
	return r == STEP_END;
}
