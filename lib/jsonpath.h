/* jsonpath.h: find a value in a JSON document by a dotted path. */
#ifndef WAPOOL_JSONPATH_H
#define WAPOOL_JSONPATH_H

#include <stdbool.h>
#include <json-c/json.h>
#include "buf.h"

/*
 * Paths are dot-separated keys with array indexes as numbers or in
 * brackets: "billing.phone", "line_items.0.name", "line_items[0].name".
 * Returns a borrowed pointer into root, or NULL when any step is missing.
 */
struct json_object *jsonpath_get(struct json_object *root, const char *path);
/*
 * Appends the value at path to out as text: strings as they are, numbers
 * and booleans in JSON form.  Returns 0, or -1 (nothing appended) when the
 * value is missing, null, an object or an array.
 */
int jsonpath_get_text(struct json_object *root, const char *path, struct buf *out);
/* True when path is syntactically valid (non-empty keys, closed brackets). */
bool jsonpath_valid(const char *path);

#endif
