/* form.h: application/x-www-form-urlencoded bodies checked against a field table (kcgi kvalid style). */
#ifndef WAPOOL_FORM_H
#define WAPOOL_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

/* Bodies of admin forms are small; anything larger is refused (413). */
#define FORM_MAX_BODY (64 * 1024)

enum form_kind {
	FORM_TEXT,	/* one line of UTF-8 text, no control characters; trimmed */
	FORM_SECRET,	/* like text but never trimmed nor echoed back */
	FORM_INT,	/* decimal integer within [min, max] */
	FORM_BOOL,	/* checkbox: present = true */
	FORM_CHOICE,	/* one of choices[] */
	FORM_KIND__MAX
};

/*
 * One accepted field.  Declare a page's fields once:
 *   enum { K_NAME, K_URL, K__MAX };
 *   static const struct form_field keys[K__MAX] = { ... };
 */
struct form_field {
	const char		*name;
	enum form_kind		 kind;
	bool			 required;
	size_t			 max_len;	/* text, secret: in bytes; 0 = 200 */
	long long		 min, max;	/* int */
	const char *const	*choices;	/* choice: NULL-terminated */
	/* Extra check on a present, non-empty value; returns NULL or why it is wrong. */
	const char		*(*check)(const char *value);
};

struct form_value {
	bool		 present;	/* sent and not empty */
	char		*s;		/* decoded (trimmed) text, "" when absent */
	long long	 i;		/* int, bool (0/1) */
	const char	*error;		/* NULL or a constant message shown beside the field */
};

struct form {
	size_t			 n;
	struct form_value	*v;
	bool			 bad_body;	/* not a form, or too large */
};

/*
 * Read r's body (at most FORM_MAX_BODY) and check every field of the
 * table.  Always fills f (free with form_free); returns the number of
 * fields in error.  Unknown fields are ignored; a field sent twice keeps
 * its first value.
 */
int	form_parse(struct req *r, const struct form_field *fields, size_t n, struct form *f);
void	form_free(struct form *f);
/* Mark field k as wrong (message must be a constant or outlive the form). */
void	form_set_error(struct form *f, size_t k, const char *message);
/* Count of fields in error. */
int	form_errors(const struct form *f);

/*
 * The decoded value of one field of an urlencoded string (body or query),
 * or NULL; caller frees.  For the router's CSRF check and for handlers
 * that read one value.
 */
char	*form_lookup(const char *encoded, size_t len, const char *name);

/* Validators for form_field.check. */
const char *form_check_http_url(const char *value);
const char *form_check_identifier(const char *value);	/* [A-Za-z0-9_.-], starts alnum */

#endif
