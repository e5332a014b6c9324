/* template.h: render a route's message template against the webhook payload. */
#ifndef WAPOOL_TEMPLATE_H
#define WAPOOL_TEMPLATE_H

#include <json-c/json.h>
#include "buf.h"

/* Called once for every {{variable}} that is missing from the payload. */
typedef void (*template_missing_fn)(const char *name, void *arg);

/*
 * Appends tmpl to out with every "{{ path }}" (spaces optional) replaced by
 * the text of that JSON path in root (see jsonpath_get_text).  A missing
 * variable renders empty and is reported through missing (may be NULL).
 * "{{" without a closing "}}" is copied literally.  Never fails.
 */
void template_render(const char *tmpl, struct json_object *root,
    struct buf *out, template_missing_fn missing, void *arg);
/* 0 when every {{...}} in tmpl holds a valid path, else -1 (for route add). */
int template_check(const char *tmpl);

#endif
