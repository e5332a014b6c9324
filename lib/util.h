/* util.h: allocation that aborts on exhaustion, number parsing, clocks. */
#ifndef WAPOOL_UTIL_H
#define WAPOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* These abort with a message on allocation failure: call sites stay simple. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse a whole string as a signed decimal integer.  Rejects empty input,
 * trailing junk, leading spaces and overflow.  Returns true on success.
 */
bool safe_strtoll(const char *s, long long *out);
/* Same for a length-delimited (not NUL-terminated) string. */
bool safe_strntoll(const char *s, size_t len, long long *out);
bool safe_strtod(const char *s, double *out);

/* Monotonic milliseconds / microseconds (for intervals), and wall clock. */
int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
int64_t clock_wall_ms(void);

/* Fill buf with n cryptographically random bytes; 0 or -1. */
int random_bytes(void *buf, size_t n);
/* A uniform double in [0,1) from a fast per-thread generator (not for secrets). */
double random_unit(void);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/*
 * True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF, no sequence cut short).
 */
bool utf8_valid(const char *s, size_t len);
/*
 * Make s well-formed UTF-8 in place: each byte that starts no well-formed
 * sequence (stray, overlong, cut short by a truncation) becomes '?'.  For
 * text bound for a utf8mb4 column, which a strict server would refuse.
 */
void utf8_scrub(char *s);

/* Constant-time comparison of two buffers of possibly different length. */
bool const_time_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
