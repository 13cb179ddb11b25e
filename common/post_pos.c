/*
 * post_pos.c - the positions codec of post.h (post_pos_encode/decode).
 *
 * Owns the byte layout of a positions block (post.h, "Positions block").
 * Same invariants as post.c: decoders read only [p, p + len), consume it
 * exactly, and encoders validate before appending.
 *
 * Two codecs code the same values (per document: the first position,
 * then each gap minus one). Codec 0 writes them as varints; codec 1
 * writes them as Golomb-Rice codes with one parameter for the first
 * positions and one for the gaps, because the two differ a lot: a first
 * position is spread over the whole document (hundreds), a gap inside a
 * document is roughly geometric and small. The encoder tries every
 * parameter, sizes both codecs exactly and keeps the smaller; codec 0
 * still wins on tiny blocks, where codec 1's parameter bytes dominate.
 *
 * Codec 1 reading is bounded however corrupt the bytes: a unary run
 * stops at RICE_QMAX ones (the escape), the bit reader never loads a
 * byte at or past end, and each value costs at most 64 bits.
 */
#include <stdlib.h>
#include <string.h>
#include "post.h"

#if defined(__GNUC__)
#define POST_INLINE static inline __attribute__((always_inline))
#else
#define POST_INLINE static inline
#endif

#define POS_CODEC_VARINT 0
#define POS_CODEC_RICE   1
/* Unary quotients stop here: RICE_QMAX ones mean "escape, a raw 32-bit
 * value follows". 32 keeps one value within 64 bits and a corrupt run
 * short; an escape (64 bits) only pays off for values the chosen k
 * would code in more than 64 bits. */
#define RICE_QMAX 32
#define RICE_KMAX 31

/* ---- codec 0: varints ------------------------------------------------ */


/* ---- codec 1: Golomb-Rice -------------------------------------------- */

/* Bits of the Rice code of x at parameter k. */
POST_INLINE uint64_t rice_bits(uint32_t x, unsigned k)
{
	uint32_t q = x >> k;

	return q < RICE_QMAX ? q + 1 + k : RICE_QMAX + 32;
}

/* The k in 0..RICE_KMAX giving the fewest bits for the values of one
 * stream (first positions when gaps is 0, gaps-1 when 1); *bits gets the
 * total. Ties go to the smaller k. */
static unsigned rice_pick(const uint32_t *pos, const uint32_t *tfs,
			  unsigned n, int gaps, uint64_t *bits)
{
	uint64_t cost[RICE_KMAX + 1] = { 0 }, sum = 0, cnt = 0;
	size_t at = 0;
	unsigned i, k, best, lo, hi, k0 = 0;
	uint32_t j;

	/* The best Rice parameter sits near log2 of the mean value: cost
	 * only the five k around it (this runs for every block written). */
	for (i = 0; i < n; i++) {
		uint32_t from = gaps ? 1 : 0, to = gaps ? tfs[i] : 1;

		for (j = from; j < to && j < tfs[i]; j++) {
			sum += j ? pos[at + j] - pos[at + j - 1] - 1 : pos[at];
			cnt++;
		}
		at += tfs[i];
	}
	if (cnt)
		while (k0 < RICE_KMAX && (cnt << (k0 + 1)) <= sum)
			k0++;
	lo = k0 > 2 ? k0 - 2 : 0;
	hi = k0 + 2 < RICE_KMAX ? k0 + 2 : RICE_KMAX;
	at = 0;
	for (i = 0; i < n; i++) {
		uint32_t from = gaps ? 1 : 0, to = gaps ? tfs[i] : 1;

		for (j = from; j < to && j < tfs[i]; j++) {
			uint32_t x = j ? pos[at + j] - pos[at + j - 1] - 1 :
				     pos[at];
			for (k = lo; k <= hi; k++)
				cost[k] += rice_bits(x, k);
		}
		at += tfs[i];
	}
	best = lo;
	for (k = lo + 1; k <= hi; k++)
		if (cost[k] < cost[best])
			best = k;
	*bits = cost[best];
	return best;
}

/* LSB-first bit writer into memory sized beforehand. */
typedef struct {
	uint8_t *o;
	uint64_t acc;
	unsigned nb;   /* < 8 between calls */
} bitwr;

POST_INLINE void bw_put(bitwr *w, uint32_t v, unsigned n)  /* n <= 32 */
{
	w->acc |= (uint64_t)v << w->nb;
	w->nb += n;
	while (w->nb >= 8) {
		*w->o++ = (uint8_t)w->acc;
		w->acc >>= 8;
		w->nb -= 8;
	}
}

POST_INLINE void rice_put(bitwr *w, uint32_t x, unsigned k)
{
	uint32_t q = x >> k;

	if (q >= RICE_QMAX) {
		bw_put(w, UINT32_MAX, RICE_QMAX);
		bw_put(w, x, 32);
		return;
	}
	/* q ones then the terminating zero (bit q of the mask is 0). */
	bw_put(w, (uint32_t)(((uint64_t)1 << q) - 1), q + 1);
	if (k)
		bw_put(w, x & (uint32_t)(((uint64_t)1 << k) - 1), k);
}

/* LSB-first bit reader over [p, end). Bits at and above nb in acc are
 * zero, and nb stays <= 63, so ~acc always has a set bit. */
typedef struct {
	const uint8_t *p, *end;
	uint64_t acc;
	unsigned nb;
} bitrd;


POST_INLINE void br_fill(bitrd *r)
{
	unsigned n;

	if (r->nb > 48)
		return;
	/* Away from the end: whole bytes from one 8-byte load, masked so
	 * that the bits above nb stay zero. */
	if (r->end - r->p >= 8) {
		n = (63 - r->nb) >> 3;   /* 1..7 bytes */
		r->acc |= (le64_load(r->p) &
			   (((uint64_t)1 << (8 * n)) - 1)) << r->nb;
		r->p += n;
		r->nb += 8 * n;
		return;
	}
	while (r->nb <= 48 && r->p < r->end) {
		r->acc |= (uint64_t)*r->p++ << r->nb;
		r->nb += 8;
	}
}

POST_INLINE unsigned ctz64(uint64_t x)  /* x != 0 */
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(x);
#else
	unsigned n = 0;

	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

/* One Rice value at parameter k (<= RICE_KMAX) into *x. */
POST_INLINE int rice_get(bitrd *r, unsigned k, uint32_t *x)
{
	uint64_t v;
	unsigned q;

	br_fill(r);
	q = ctz64(~r->acc);
	if (q >= RICE_QMAX) {
		/* Escape; only canonical if the plain code could not hold
		 * x, so every value has exactly one encoding. */
		r->acc >>= RICE_QMAX;
		r->nb -= RICE_QMAX;
		br_fill(r);
		if (r->nb < 32)
			return LEDE_ECORRUPT;
		v = r->acc & UINT32_MAX;
		r->acc >>= 32;
		r->nb -= 32;
		if (v >> k < RICE_QMAX)
			return LEDE_ECORRUPT;
		*x = (uint32_t)v;
		return 0;
	}
	if (q + 1 > r->nb)   /* the ones ran into the end of the value */
		return LEDE_ECORRUPT;
	r->acc >>= q + 1;
	r->nb -= q + 1;
	if (r->nb < k) {
		br_fill(r);
		if (r->nb < k)
			return LEDE_ECORRUPT;
	}
	v = (uint64_t)q << k | (r->acc & (((uint64_t)1 << k) - 1));
	r->acc >>= k;
	r->nb -= k;
	if (v > UINT32_MAX)
		return LEDE_ECORRUPT;
	*x = (uint32_t)v;
	return 0;
}

/* ---- public ---------------------------------------------------------- */

int post_pos_encode(const uint32_t *pos, const uint32_t *tfs, unsigned n,
		    buf *out)
{
	size_t len0 = out->len, at = 0, size0 = 1, size1;
	uint64_t bf, bg = 0;
	unsigned i, kf, kg = 0;
	int gaps = 0, rc;
	uint32_t j;
	bitwr w;

	/* Validate everything first so a failure appends nothing. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < tfs[i]; j++) {
			if (j && pos[at + j] <= pos[at + j - 1])
				return LEDE_EINVAL;
			size0 += varint_size(j ? pos[at + j] -
					    pos[at + j - 1] - 1 : pos[at]);
		}
		if (tfs[i] > 1)
			gaps = 1;
		at += tfs[i];
	}
	kf = rice_pick(pos, tfs, n, 0, &bf);
	if (gaps)
		kg = rice_pick(pos, tfs, n, 1, &bg);
	size1 = 2 + (size_t)gaps + (size_t)((bf + bg + 7) / 8);

	if (size0 <= size1) {
		rc = buf_reserve(out, size0);
		if (rc)
			return rc;
		out->data[out->len++] = POS_CODEC_VARINT;
		at = 0;
		for (i = 0; i < n && !rc; i++) {
			for (j = 0; j < tfs[i] && !rc; j++, at++) {
				uint32_t x = j ? pos[at] - pos[at - 1] - 1 :
					     pos[at];
				rc = buf_add_varint(out, x);
			}
		}
		if (rc)
			out->len = len0;
		return rc;
	}

	rc = buf_reserve(out, size1);
	if (rc)
		return rc;
	w.o = out->data + out->len;
	*w.o++ = POS_CODEC_RICE;
	*w.o++ = (uint8_t)kf;
	if (gaps)
		*w.o++ = (uint8_t)kg;
	w.acc = 0;
	w.nb = 0;
	at = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < tfs[i]; j++, at++) {
			if (j)
				rice_put(&w, pos[at] - pos[at - 1] - 1, kg);
			else
				rice_put(&w, pos[at], kf);
		}
	}
	if (w.nb)
		*w.o++ = (uint8_t)w.acc;
	out->len = (size_t)(w.o - out->data);
	return 0;
}

static int decode_varint(const uint8_t *p, const uint8_t *end,
			 const uint32_t *tfs, unsigned n, uint32_t *pos)
{
	uint64_t cur;
	size_t k = 0;
	unsigned i;
	uint32_t j, x;

	for (i = 0; i < n; i++) {
		if (tfs[i] == 0)
			continue;
		if (varint_get32_fast(&p, end, &x))
			return LEDE_ECORRUPT;
		pos[k++] = x;
		cur = x;
		for (j = 1; j < tfs[i]; j++) {
			if (varint_get32_fast(&p, end, &x))
				return LEDE_ECORRUPT;
			cur += (uint64_t)x + 1;
			if (cur > UINT32_MAX)
				return LEDE_ECORRUPT;
			pos[k++] = (uint32_t)cur;
		}
	}
	return p == end ? 0 : LEDE_ECORRUPT;
}

static int decode_rice(const uint8_t *p, const uint8_t *end,
		       const uint32_t *tfs, unsigned n, uint32_t *pos)
{
	bitrd r;
	uint64_t cur;
	size_t k = 0;
	unsigned i, kf, kg = 0;
	uint32_t j, x;
	int gaps = 0;

	for (i = 0; i < n; i++)
		if (tfs[i] > 1)
			gaps = 1;
	if (end - p < 1 + gaps)
		return LEDE_ECORRUPT;
	kf = *p++;
	if (gaps)
		kg = *p++;
	if (kf > RICE_KMAX || kg > RICE_KMAX)
		return LEDE_ECORRUPT;
	r.p = p;
	r.end = end;
	r.acc = 0;
	r.nb = 0;
	for (i = 0; i < n; i++) {
		if (tfs[i] == 0)
			continue;
		if (rice_get(&r, kf, &x))
			return LEDE_ECORRUPT;
		pos[k++] = x;
		cur = x;
		for (j = 1; j < tfs[i]; j++) {
			if (rice_get(&r, kg, &x))
				return LEDE_ECORRUPT;
			cur += (uint64_t)x + 1;
			if (cur > UINT32_MAX)
				return LEDE_ECORRUPT;
			pos[k++] = (uint32_t)cur;
		}
	}
	/* Exactly the bytes the bits need, padded with zero bits. */
	br_fill(&r);
	if (r.p != end || r.nb >= 8 || r.acc != 0)
		return LEDE_ECORRUPT;
	return 0;
}

int post_pos_decode(const uint8_t *p, size_t len, const uint32_t *tfs,
		    unsigned n, uint32_t *pos, size_t cap)
{
	uint64_t total = 0;
	unsigned i;

	if (len < 1 || p[0] > POS_CODEC_RICE)
		return LEDE_ECORRUPT;
	for (i = 0; i < n; i++)
		total += tfs[i];
	if (total > cap)
		return LEDE_ETOOBIG;
	if (p[0] == POS_CODEC_VARINT)
		return decode_varint(p + 1, p + len, tfs, n, pos);
	if (p[0] == POS_CODEC_RICE)
		return decode_rice(p + 1, p + len, tfs, n, pos);
	return LEDE_ECORRUPT;
}
