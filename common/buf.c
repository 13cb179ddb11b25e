/*
 * buf.c - the capped growable buffer, LEB128 varints and hash64.
 */
#include <stdlib.h>
#include <string.h>
#include "buf.h"

void buf_init(buf *b)
{
	buf_init_limit(b, BUF_LIMIT_DEFAULT);
}

void buf_init_limit(buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void buf_release(buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int buf_reserve(buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *p;

	if (extra > b->limit || b->len > b->limit - extra)
		return LEDE_ENOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > b->limit / 2 ? b->limit : ncap * 2;
	/* +1 keeps room for buf_nul() without another realloc. */
	p = realloc(b->data, ncap + 1);
	if (!p)
		return LEDE_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

void *arr_grow(void *p, size_t *cap, size_t sz, size_t min)
{
	size_t nc = *cap ? *cap * 2 : min;
	void *np;

	if (nc < *cap || sz == 0 || nc > SIZE_MAX / sz)
		return NULL;
	np = realloc(p, nc * sz);
	if (np)
		*cap = nc;
	return np;
}

int buf_add(buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = buf_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_addc(buf *b, uint8_t c)
{
	if (b->len >= b->cap) {
		int rc = buf_reserve(b, 1);
		if (rc)
			return rc;
	}
	b->data[b->len++] = c;
	return 0;
}

int buf_adds(buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_add_varint_slow(buf *b, uint64_t v)
{
	uint8_t tmp[10];

	return buf_add(b, tmp, varint_put(tmp, v));
}

int buf_add_u32be(buf *b, uint32_t v)
{
	uint8_t tmp[4];

	u32be_put(tmp, v);
	return buf_add(b, tmp, 4);
}

int buf_nul(buf *b)
{
	int rc = buf_reserve(b, 0);

	if (rc)
		return rc;
	if (!b->data) {
		rc = buf_reserve(b, 1);
		if (rc)
			return rc;
	}
	b->data[b->len] = 0;   /* cap + 1 bytes are allocated */
	return 0;
}

int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	unsigned shift = 0;

	while (q < end && shift < 70) {
		uint8_t c = *q++;
		if (shift == 63 && c > 1)
			return LEDE_ECORRUPT;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*p = q;
			*v = x;
			return 0;
		}
		shift += 7;
	}
	return LEDE_ECORRUPT;
}

int varint_get32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	uint64_t x;
	int rc = varint_get(p, end, &x);

	if (rc)
		return rc;
	if (x > UINT32_MAX)
		return LEDE_ECORRUPT;
	*v = (uint32_t)x;
	return 0;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

uint64_t hash64(const void *p, size_t n, uint64_t seed)
{
	/* Eight bytes at a time, each word folded in with a multiply; good
	 * enough for hash tables and change detection, not for adversaries. */
	const uint8_t *s = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ mix64(w + 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ mix64(w ^ (uint64_t)n << 56)) * 0xbf58476d1ce4e5b9ULL;
	return mix64(h);
}

size_t utf8_unit(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t c = p[0];
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	v = c & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) ||
	    (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_unit(p + i, n - i, &cp);

		if (len == 0 || cp == 0)
			return 0;
		i += len;
	}
	return 1;
}
