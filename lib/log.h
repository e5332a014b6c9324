/* log.h: logging in the OpenBSD daemon style: stderr in the foreground, syslog otherwise. */
#ifndef WAPOOL_LOG_H
#define WAPOOL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* ident: program name; foreground: log to stderr instead of syslog. */
void	log_init(const char *ident, bool foreground, enum log_level level);
void	log_set_level(enum log_level level);
/* Parse "error|warn|info|debug"; -1 if unknown. */
int	log_level_parse(const char *name);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* appends strerror(errno) */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy untrusted text into out (size outsz) with control characters,
 * backslash, quotes and non-UTF-8 bytes escaped as \xNN, so a request-derived
 * value can never forge a log line.  Truncates with "..." when too long.
 */
void	log_escape(const char *in, size_t inlen, char *out, size_t outsz);

#endif
