/* buf.h: a growable byte buffer, the only string builder the project uses. */
#ifndef WAPOOL_BUF_H
#define WAPOOL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*ptr;	/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_append(struct buf *b, const void *data, size_t len);
void	 buf_puts(struct buf *b, const char *s);
void	 buf_putc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Empties the buffer but keeps its memory. */
void	 buf_reset(struct buf *b);
/* Returns ptr (never NULL: "" when empty); the buffer keeps ownership. */
const char *buf_cstr(struct buf *b);
/* Hands the string to the caller (who frees it) and empties the buffer. */
char	*buf_take(struct buf *b);
void	 buf_free(struct buf *b);

#endif
