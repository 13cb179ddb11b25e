/*
 * buf.h - growable byte buffer with a hard cap, and varint helpers.
 *
 * Invariants: b->data is NULL only while b->cap == 0; b->len <= b->cap;
 * a buffer never grows past b->limit bytes (BUF_LIMIT_DEFAULT unless
 * buf_init_limit says otherwise), so a hostile input cannot make it eat
 * all memory: the append fails with LEDE_ENOMEM instead.
 */
#ifndef LEDE_BUF_H
#define LEDE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "err.h"

#define BUF_LIMIT_DEFAULT ((size_t)1 << 31)   /* 2 GiB */

typedef struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t limit;
} buf;

void buf_init(buf *b);                      /* empty, default limit */
void buf_init_limit(buf *b, size_t limit);
void buf_release(buf *b);                   /* frees data; b is empty again */
static inline void buf_clear(buf *b) { b->len = 0; }

int buf_reserve(buf *b, size_t extra) LEDE_WUR;   /* room for extra more */
int buf_add(buf *b, const void *p, size_t n) LEDE_WUR;
int buf_addc(buf *b, uint8_t c) LEDE_WUR;
int buf_adds(buf *b, const char *s) LEDE_WUR;     /* no NUL appended */
int buf_add_varint_slow(buf *b, uint64_t v) LEDE_WUR;
int buf_add_u32be(buf *b, uint32_t v) LEDE_WUR;
/* Grow the array p (capacity *cap elements of sz bytes) to twice its
 * capacity, or to min when empty. Returns the new array and updates *cap,
 * or returns NULL (p and *cap untouched) when out of memory or when the
 * size would overflow. */
void *arr_grow(void *p, size_t *cap, size_t sz, size_t min) LEDE_WUR;

/* Append a NUL without counting it in len (for C-string use). */
int buf_nul(buf *b) LEDE_WUR;

/*
 * Read a LEB128 varint from [*p, end). On success advances *p and returns
 * 0; returns LEDE_ECORRUPT if it runs past end or over 10 bytes.
 */
int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v) LEDE_WUR;
/* Same, but fails with LEDE_ECORRUPT if the value exceeds UINT32_MAX. */
int varint_get32(const uint8_t **p, const uint8_t *end, uint32_t *v) LEDE_WUR;
/* varint_get32 with the common one- and two-byte cases inlined (hot
 * decoders). */
static inline int varint_get32_fast(const uint8_t **p, const uint8_t *end,
				    uint32_t *v)
{
	const uint8_t *q = *p;

	if (q < end && q[0] < 0x80) {
		*v = q[0];
		*p = q + 1;
		return 0;
	}
	if (end - q >= 2 && q[1] < 0x80) {
		*v = (uint32_t)(q[0] & 0x7f) | (uint32_t)q[1] << 7;
		*p = q + 2;
		return 0;
	}
	return varint_get32(p, end, v);
}

/* Bytes varint_put would write for v. */
static inline size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Write v as LEB128 to out (room for 10 bytes); returns the length. */
static inline size_t varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* Append v as LEB128 (<= 10 bytes). Inline: the indexer's hot path. */
static inline LEDE_WUR int buf_add_varint(buf *b, uint64_t v)
{
	if (b->cap - b->len >= 10) {
		b->len += varint_put(b->data + b->len, v);
		return 0;
	}
	return buf_add_varint_slow(b, v);
}

static inline void u32be_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint32_t u32be_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Little-endian u64 from 8 bytes at p (any alignment). */
static inline uint64_t le64_load(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

/* 64-bit non-cryptographic hash of n bytes (content hashes, tables). */
uint64_t hash64(const void *p, size_t n, uint64_t seed);

/* Decode one UTF-8 character at p[0..n) (n >= 1): its length, with *cp
 * set, or 0 when p[0] does not start a valid, shortest-form character
 * (no surrogates, nothing past U+10FFFF); callers then take the one
 * byte as U+FFFD or refuse the text. */
size_t utf8_unit(const uint8_t *p, size_t n, uint32_t *cp);
/* 1 when p[0..n) is valid UTF-8 without NUL bytes, else 0. */
int utf8_valid(const uint8_t *p, size_t n);

#endif
