/* util.c: small helpers of the simulator: time, randomness, memory, JSON. */
#include <errno.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

static void
oom(void)
{
	fputs("wapool-sim: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return p;
}

void
xfree_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int64_t
now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
now_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
now_real_ms(void)
{
	return now_real_us() / 1000;
}

/*
 * splitmix64 over a shared counter: every call gets a distinct 64-bit
 * value (the mix is a bijection), so ids built from it never collide.
 */
static _Atomic uint64_t rand_ctr;

uint64_t
rand_u64(void)
{
	uint64_t z;

	if (atomic_load_explicit(&rand_ctr, memory_order_relaxed) == 0) {
		uint64_t seed = (uint64_t)now_real_us() ^
		    ((uint64_t)now_mono_us() << 20) ^ ((uint64_t)getpid() << 40);
		uint64_t zero = 0;

		atomic_compare_exchange_strong(&rand_ctr, &zero, seed | 1);
	}
	z = atomic_fetch_add_explicit(&rand_ctr, 0x9e3779b97f4a7c15ULL,
	    memory_order_relaxed);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
rand_unit(void)
{
	return (double)(rand_u64() >> 11) / 9007199254740992.0;
}

void
rand_uuid(char out[37], bool upper)
{
	unsigned char b[16];
	uint64_t a = rand_u64(), c = rand_u64();
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i, o = 0;

	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

/*
 * ISO-8601 with milliseconds and a trailing Z.  local=true reproduces
 * Evolution's webhook date_time: local wall time printed with a "Z".
 */
void
iso_time(char out[32], int64_t ms, bool local)
{
	time_t t = (time_t)(ms / 1000);
	unsigned frac = (unsigned)(ms % 1000);
	struct tm tm;
	size_t n;

	if (local)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	n = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	out[n++] = '.';
	out[n++] = (char)('0' + frac / 100);
	out[n++] = (char)('0' + frac / 10 % 10);
	out[n++] = (char)('0' + frac % 10);
	out[n++] = 'Z';
	out[n] = '\0';
}

json_object *
json_str_or_null(const char *s)
{
	return s == NULL ? NULL : json_object_new_string(s);
}

/* The string member `key` of `o`, or NULL if absent or not a string. */
const char *
json_get_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Reads boolean member `key`; false if absent or not a boolean. */
bool
json_get_bool(json_object *o, const char *key, bool *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

/* Reads integer member `key`; false if absent or not an integer. */
bool
json_get_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_int64(v);
	return true;
}

/* Standard base64 with padding; caller frees. */
char *
b64_encode(const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *p = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*p++ = tab[in[i] >> 2];
		*p++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*p++ = tab[in[i + 2] & 63];
	}
	if (i < n) {
		*p++ = tab[in[i] >> 2];
		if (i + 1 < n) {
			*p++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*p++ = tab[(in[i + 1] & 15) << 2];
		} else {
			*p++ = tab[(in[i] & 3) << 4];
			*p++ = '=';
		}
		*p++ = '=';
	}
	*p = '\0';
	return out;
}

/*
 * The digits of a phone number or of a JID's user part ("+55 (11) 9..." or
 * "5511...:3@s.whatsapp.net" -> "5511...").  Caller frees.
 */
char *
norm_number(const char *in)
{
	char *out = xmalloc(strlen(in) + 1), *o = out;

	for (; *in != '\0' && *in != '@' && *in != ':'; in++)
		if (*in >= '0' && *in <= '9')
			*o++ = *in;
	*o = '\0';
	return out;
}
