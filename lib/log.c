/* log.c: logging to stderr (foreground) or syslog, with escaping of untrusted text. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static bool		 log_foreground = true;
static enum log_level	 log_threshold = LOG_LEVEL_INFO;
static const char	*log_ident = "wapool";

static const char *const level_names[] = {
	"error",	/* LOG_LEVEL_ERROR */
	"warn",		/* LOG_LEVEL_WARN */
	"info",		/* LOG_LEVEL_INFO */
	"debug",	/* LOG_LEVEL_DEBUG */
};

static const int syslog_priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *ident, bool foreground, enum log_level level)
{
	log_ident = ident;
	log_foreground = foreground;
	log_threshold = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static void
log_emit(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char message[4096];

	if (level > log_threshold)
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	if (log_foreground) {
		char stamp[32];
		struct tm tm;
		time_t now = time(NULL);

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		/* One fprintf per line so concurrent threads do not interleave. */
		fprintf(stderr, "%s %s[%s] %s%s%s\n", stamp, log_ident,
		    level_names[level], message, suffix ? ": " : "",
		    suffix ? suffix : "");
	} else
		syslog(syslog_priorities[level], "%s%s%s", message,
		    suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_FUNCTION(name, level)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_emit(level, NULL, fmt, ap);				\
	va_end(ap);						\
}

LOG_FUNCTION(log_warnx, LOG_LEVEL_WARN)
LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *reason = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, reason, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *reason = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, reason, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_escape(const char *in, size_t inlen, char *out, size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		/* Room for the longest escape plus "..." and NUL. */
		if (o + 4 + 4 >= outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c >= 0x80 || c == '\\' || c == '"') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 0xf];
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}
