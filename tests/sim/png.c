/* png.c: draws a QR-looking PNG (not a scannable QR) for connect responses. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/*
 * A version-3 sized (29x29) module grid with the three finder patterns,
 * timing lines and the alignment pattern of a real QR code; the data area
 * is filled from a hash of `seed`, so each QR string gets its own picture.
 * Written as a 1-bit grayscale PNG whose zlib stream uses a stored
 * (uncompressed) deflate block, so no zlib is needed.
 */
#define MODS	29
#define QUIET	4
#define SCALE	8
#define SIDE	((MODS + 2 * QUIET) * SCALE)	/* 296 px */
#define ROWB	((SIDE + 7) / 8)		/* bytes per row */

static uint32_t crc_tab[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	uint32_t c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_tab[n] = c;
	}
}

static uint32_t
crc(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n-- > 0)
		c = crc_tab[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends a chunk (length, type, data, CRC) at *pp. */
static void
chunk(unsigned char **pp, const char *type, const unsigned char *data,
    size_t n)
{
	unsigned char *p = *pp;

	put32(p, (uint32_t)n);
	memcpy(p + 4, type, 4);
	if (n > 0)
		memcpy(p + 8, data, n);
	put32(p + 8 + n, crc(p + 4, n + 4));
	*pp = p + 12 + n;
}

static void
finder(bool m[MODS][MODS], int r0, int c0, int size)
{
	int r, c;

	for (r = 0; r < size; r++)
		for (c = 0; c < size; c++) {
			int d = r < c ? r : c, e;

			e = size - 1 - (r > c ? r : c);
			d = d < e ? d : e;	/* distance to the edge */
			m[r0 + r][c0 + c] = d != 1;
		}
}

static void
draw(bool m[MODS][MODS], bool fixed[MODS][MODS], const char *seed)
{
	uint64_t h = 1469598103934665603ULL;
	int r, c, bit = 64;
	const char *s;

	for (s = seed; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	memset(fixed, 0, sizeof(bool) * MODS * MODS);
	for (r = 0; r < 8; r++)
		for (c = 0; c < 8; c++)
			fixed[r][c] = fixed[r][MODS - 1 - c] =
			    fixed[MODS - 1 - r][c] = true;
	for (r = 20; r < 25; r++)
		for (c = 20; c < 25; c++)
			fixed[r][c] = true;
	for (r = 0; r < MODS; r++)
		fixed[6][r] = fixed[r][6] = true;
	for (r = 0; r < MODS; r++)
		for (c = 0; c < MODS; c++) {
			if (fixed[r][c]) {
				m[r][c] = (r == 6 || c == 6) ?
				    ((r + c) % 2 == 0) : false;
				continue;
			}
			if (bit == 64) {
				h ^= h >> 33;
				h *= 0xff51afd7ed558ccdULL;
				h ^= h >> 33;
				bit = 0;
			}
			m[r][c] = (h >> bit++) & 1;
		}
	finder(m, 0, 0, 7);
	finder(m, 0, MODS - 7, 7);
	finder(m, MODS - 7, 0, 7);
	finder(m, 20, 20, 5);	/* alignment pattern; separators stay white */
}

/* Returns "data:image/png;base64,..." for `seed`; caller frees. */
char *
png_qr_data_url(const char *seed)
{
	bool m[MODS][MODS], fixed[MODS][MODS];
	enum { RAW = SIDE * (1 + ROWB) };
	unsigned char ihdr[13], *png, *p, *z, *raw;
	size_t zlen = 2 + 5 + RAW + 4;
	uint32_t a = 1, b = 0;
	char *b64, *url;
	int x, y;
	size_t i;

	pthread_once(&crc_once, crc_init);
	draw(m, fixed, seed);
	raw = xcalloc(1, RAW);		/* filter byte 0 (none) per row */
	for (y = 0; y < SIDE; y++) {
		unsigned char *row = raw + (size_t)y * (1 + ROWB) + 1;
		int my = y / SCALE - QUIET;

		for (x = 0; x < SIDE; x++) {
			int mx = x / SCALE - QUIET;
			bool dark = mx >= 0 && mx < MODS && my >= 0 &&
			    my < MODS && m[my][mx];

			if (!dark)	/* 1 = white in 1-bit grayscale */
				row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
		}
	}

	z = xmalloc(zlen);
	z[0] = 0x78;			/* deflate, 32K window */
	z[1] = 0x01;			/* (0x7801 % 31 == 0) */
	z[2] = 0x01;			/* final block, stored */
	z[3] = RAW & 0xff;
	z[4] = (RAW >> 8) & 0xff;
	z[5] = (unsigned char)(~RAW & 0xff);
	z[6] = (unsigned char)((~RAW >> 8) & 0xff);
	memcpy(z + 7, raw, RAW);
	for (i = 0; i < RAW; i++) {
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	put32(z + 7 + RAW, (b << 16) | a);

	put32(ihdr, SIDE);
	put32(ihdr + 4, SIDE);
	ihdr[8] = 1;			/* bit depth */
	ihdr[9] = 0;			/* grayscale */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;

	png = p = xmalloc(8 + 25 + 12 + zlen + 12);
	memcpy(p, "\x89PNG\r\n\x1a\n", 8);
	p += 8;
	chunk(&p, "IHDR", ihdr, sizeof(ihdr));
	chunk(&p, "IDAT", z, zlen);
	chunk(&p, "IEND", NULL, 0);

	b64 = b64_encode(png, (size_t)(p - png));
	url = xasprintf("data:image/png;base64,%s", b64);
	free(b64);
	free(png);
	free(z);
	free(raw);
	return url;
}
