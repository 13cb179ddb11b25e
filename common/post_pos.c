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
 * Codec 2 needs each document's length U (the lens table's value) and
 * codes its positions, all in 0..U, by binary interpolative coding: the
 * middle position goes first as a truncated binary number in the range
 * its neighbours leave it, then each half recursively. A word that
 * occurs once costs log2(U + 1) bits instead of a Rice code's one or two
 * more; on the 1M synthetic corpus the positions came out 11% smaller.
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
#define POS_CODEC_BIC    2
#define POS_CODEC_BICSK  3   /* codec 2 and where every POS_SKIP'th
				document's positions start */
/* Codec 2's lengths are the lens table's u16 values. */
#define BIC_UMAX 65535u
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

/* The five k around log2 of the mean value (cnt values summing to sum):
 * the best Rice parameter sits there. */
static void rice_range(uint64_t sum, uint64_t cnt, unsigned *lo,
		       unsigned *hi)
{
	unsigned k0 = 0;

	if (cnt)
		while (k0 < RICE_KMAX && (cnt << (k0 + 1)) <= sum)
			k0++;
	*lo = k0 > 2 ? k0 - 2 : 0;
	*hi = k0 + 2 < RICE_KMAX ? k0 + 2 : RICE_KMAX;
}

static unsigned rice_best(const uint64_t *cost, unsigned lo, unsigned hi,
			  uint64_t *bits)
{
	unsigned best = lo;

	for (unsigned k = lo + 1; k <= hi; k++)
		if (cost[k] < cost[best])
			best = k;
	*bits = cost[best];
	return best;
}

/* The k in 0..RICE_KMAX giving the fewest bits for the first positions
 * of the documents; *bits gets the total. Ties go to the smaller k. */
static unsigned rice_pick_first(const uint32_t *pos, const uint32_t *tfs,
				unsigned n, uint64_t *bits)
{
	uint64_t cost[RICE_KMAX + 1] = { 0 }, sum = 0, cnt = 0;
	size_t at = 0;
	unsigned i, lo, hi;

	for (i = 0; i < n; at += tfs[i], i++) {
		if (tfs[i]) {
			sum += pos[at];
			cnt++;
		}
	}
	rice_range(sum, cnt, &lo, &hi);
	for (i = 0, at = 0; i < n; at += tfs[i], i++)
		for (unsigned k = lo; tfs[i] && k <= hi; k++)
			cost[k] += rice_bits(pos[at], k);
	return rice_best(cost, lo, hi, bits);
}

/* The same for the gaps - 1 between a document's positions. The gaps
 * are taken over all tot positions as one run, which the compiler
 * vectorizes (this runs for most full blocks written: 28,500 on news),
 * and what the n - 1 document boundaries added is taken out again. */
#define RICE_RUN 65536   /* positions a 32-bit count of bits can hold */
static unsigned rice_pick_gaps(const uint32_t *pos, const uint32_t *tfs,
			       unsigned n, uint64_t *bits)
{
	uint64_t cost[RICE_KMAX + 1] = { 0 }, sum = 0, cnt;
	size_t tot = 0, at;
	unsigned i, k, lo, hi, sh[5];

	for (i = 0; i < n; i++)
		tot += tfs[i];
	if (tot < 2) {
		*bits = 0;
		return 0;
	}
	for (size_t t = 1; t < tot; t++)
		sum += (uint32_t)(pos[t] - pos[t - 1] - 1);
	cnt = tot - 1;
	for (i = 0, at = 0; i < n; at += tfs[i], i++) {
		if (at && tfs[i]) {
			sum -= (uint32_t)(pos[at] - pos[at - 1] - 1);
			cnt--;
		}
	}
	rice_range(sum, cnt, &lo, &hi);
	/* five shifts whatever hi is; those past hi are not used */
	for (unsigned d = 0; d < 5; d++)
		sh[d] = lo + d < RICE_KMAX ? lo + d : RICE_KMAX;
	for (size_t t0 = 1; t0 < tot; t0 += RICE_RUN) {
		size_t t1 = tot - t0 > RICE_RUN ? t0 + RICE_RUN : tot;
		uint32_t c[5] = { 0 };

		for (size_t t = t0; t < t1; t++) {
			uint32_t g = pos[t] - pos[t - 1] - 1;

			for (unsigned d = 0; d < 5; d++)
				c[d] += (uint32_t)rice_bits(g, sh[d]);
		}
		for (k = lo; k <= hi; k++)
			cost[k] += c[k - lo];
	}
	for (i = 0, at = 0; i < n; at += tfs[i], i++)
		for (k = lo; at && tfs[i] && k <= hi; k++)
			cost[k] -= rice_bits(pos[at] - pos[at - 1] - 1, k);
	return rice_best(cost, lo, hi, bits);
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

/* ---- codec 2: binary interpolative ----------------------------------- */

POST_INLINE unsigned floor_log2(uint32_t x)  /* x != 0 */
{
#if defined(__GNUC__)
	return 31u - (unsigned)__builtin_clz(x);
#else
	unsigned k = 0;

	while (x >>= 1)
		k++;
	return k;
#endif
}

/* Truncated binary code of x in 0..r-1 (r >= 1): with k = floor(log2 r)
 * and u = 2^(k+1) - r, x < u is x in k bits; else z = x - u is
 * u + z / 2 in k bits, then the bit z % 2. r = 1 costs nothing. */
POST_INLINE void tb_put(bitwr *w, uint32_t r, uint32_t x)
{
	unsigned k;
	uint32_t u, z;

	if (r <= 1)
		return;
	k = floor_log2(r);
	u = (2u << k) - r;
	if (x < u) {
		bw_put(w, x, k);
		return;
	}
	z = x - u;
	bw_put(w, u + (z >> 1), k);
	bw_put(w, z & 1, 1);
}

/* Code the n increasing values v, all in lo..hi, to w. The middle value
 * goes first, in the range left once the values beside it are
 * accounted for; then each half. */
static void bic_put(bitwr *w, const uint32_t *v, uint32_t n, uint32_t lo,
		    uint32_t hi)
{
	while (n) {
		uint32_t m = (n - 1) / 2;
		uint32_t a = lo + m, b = hi - (n - 1 - m);

		tb_put(w, b - a + 1, v[m] - a);
		if (m)
			bic_put(w, v, m, lo, v[m] - 1);
		lo = v[m] + 1;
		v += m + 1;
		n -= m + 1;
	}
}

/* Decoding keeps the bit reader in locals (no call per value): at least
 * 17 bits are loaded before each truncated binary number, which needs
 * at most 17, while bytes remain. Bits past the value's end read as
 * zero and are caught by the final check. */
#define BIC_NEED 17

POST_INLINE void bic_fill(const uint8_t **pp, const uint8_t *end,
			  uint64_t *acc, unsigned *nb)
{
	const uint8_t *p = *pp;

	if (end - p >= 8) {
		unsigned n = (63 - *nb) >> 3;

		*acc |= (le64_load(p) & (((uint64_t)1 << (8 * n)) - 1)) << *nb;
		*pp = p + n;
		*nb += 8 * n;
		return;
	}
	while (*nb <= 56 && p < end) {
		*acc |= (uint64_t)*p++ << *nb;
		*nb += 8;
	}
	*pp = p;
}

/* The truncated binary number below r (2 <= r <= 65536) at the reader's
 * head into x; 0, or LEDE_ECORRUPT when the value's bytes ran out. No
 * branch on the value: which of its two lengths it has is a coin toss. */
#define BIC_READ(r, x)                                                      \
	do {                                                                \
		unsigned k_ = floor_log2(r), more_;                         \
		uint32_t cut_ = (2u << k_) - (r), y_;                       \
		if (nb < BIC_NEED)                                          \
			bic_fill(&p, end, &acc, &nb);                       \
		(x) = (uint32_t)(acc & ((1u << k_) - 1));                   \
		more_ = (x) >= cut_;                                        \
		y_ = cut_ + (((x) - cut_) << 1 |                            \
			     (uint32_t)((acc >> k_) & 1));                  \
		(x) = more_ ? y_ : (x);                                     \
		if (nb < k_ + more_)                                        \
			return LEDE_ECORRUPT;                               \
		acc >>= k_ + more_;                                         \
		nb -= k_ + more_;                                           \
	} while (0)

/* Each document's tf[i] positions, in 0..lens[i], in the order bic_put
 * wrote them: a value, then its left part, then its right part, the
 * right parts waiting on a stack (depth <= log2(tf) + 1 <= 17). Every
 * decoded value lies in its range by construction, so corrupt bits give
 * wrong positions that still increase, or run out of bytes; the final
 * length check then fails. */
static int rd_bic(post_pos_rd *rd, const uint32_t *tfs,
		  const uint32_t *lens, unsigned to, uint32_t *pos)
{
	struct { uint32_t *v; uint32_t n, lo, hi; } st[32];
	const uint8_t *p = rd->p, *end = rd->end;
	uint64_t acc = rd->acc;
	unsigned nb = rd->nb;

	for (unsigned i = rd->done; i < to; i++) {
		uint32_t t = tfs[i], u = lens[i], *v = pos, lo = 0, hi = u, x;
		unsigned sp = 0;

		if (u > BIC_UMAX || t > u + 1)
			return LEDE_ECORRUPT;
		pos += t;
		if (t == 1) {
			/* Most documents hold a word once. */
			x = 0;
			if (u)
				BIC_READ(u + 1, x);
			v[0] = x;
			continue;
		}
		for (;;) {
			while (t) {
				uint32_t m = (t - 1) / 2;
				uint32_t a = lo + m;
				uint32_t r = hi - (t - 1 - m) - a + 1;

				x = 0;
				if (r > 1)
					BIC_READ(r, x);
				v[m] = a + x;
				if (t - 1 - m) {
					st[sp].v = v + m + 1;
					st[sp].n = t - 1 - m;
					st[sp].lo = v[m] + 1;
					st[sp].hi = hi;
					sp++;
				}
				hi = v[m] - 1;
				t = m;
			}
			if (!sp)
				break;
			sp--;
			v = st[sp].v;
			t = st[sp].n;
			lo = st[sp].lo;
			hi = st[sp].hi;
		}
	}
	rd->p = p;
	rd->acc = acc;
	rd->nb = nb;
	return 0;
}

/* ---- public ---------------------------------------------------------- */

/* Codec 2 decodes at about half the speed of codec 1, and phrase
 * queries spend most of their time decoding positions: it is written
 * only when it is at least POS_BIC_EDGE percent smaller. On the 1M
 * synthetic corpus, at 0 codec 2 took 96% of the positions and saved
 * 11.4% of their bytes; at 8, 69% and 10.3%. Frequent words, whose
 * blocks phrases decode most, gain the least from it. */
#define POS_BIC_EDGE 8

static int bic_wins(size_t bic, size_t other)
{
	return bic * 100 < other * (100 - POS_BIC_EDGE);
}

/* Codec 1's exact size, and its parameters. */
static size_t rice_size(const uint32_t *pos, const uint32_t *tfs,
			unsigned n, int gaps, unsigned *kf, unsigned *kg)
{
	uint64_t bf, bg = 0;

	*kf = rice_pick_first(pos, tfs, n, &bf);
	*kg = gaps ? rice_pick_gaps(pos, tfs, n, &bg) : 0;
	return 2 + (size_t)gaps + (size_t)((bf + bg + 7) / 8);
}

int post_pos_encode(const uint32_t *pos, const uint32_t *tfs,
		    const uint32_t *lens, unsigned n, buf *out)
{
	size_t len0 = out->len, at = 0, size0 = 1, size1, size2;
	uint64_t lb = 0;
	unsigned i, kf = 0, kg = 0;
	int gaps = 0, bic = lens != NULL, sized = 0, rc;
	uint32_t j;
	bitwr w;

	/* Validate everything first so a failure appends nothing. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < tfs[i]; j++) {
			uint32_t x = j ? pos[at + j] - pos[at + j - 1] - 1 :
				     pos[at];

			if (j && pos[at + j] <= pos[at + j - 1])
				return LEDE_EINVAL;
			size0 += varint_size(x);
			/* No Rice parameter codes x in fewer bits. */
			lb += x ? floor_log2(x) + 2 : 1;
		}
		if (tfs[i] > 1)
			gaps = 1;
		/* Codec 2 only when every position fits its length. */
		if (bic && tfs[i] && (lens[i] > BIC_UMAX ||
				      pos[at + tfs[i] - 1] > lens[i]))
			bic = 0;
		at += tfs[i];
	}
	/* Codec 1's size is at least this: sized only when it matters. */
	size1 = 2 + (size_t)gaps + (size_t)((lb + 7) / 8);
	if (bic) {
		/* Codec 2 nearly always wins: write it, then see whether
		 * codec 0 or 1 would be smaller. A range of 0..65535 codes
		 * a value in at most 17 bits. The bits go after room for
		 * codec 3's offsets (a width byte and the offsets packed at
		 * up to 32 bits), and move up to them once written. */
		const size_t room = 1 + 4 * POS_SKIP_MAX;
		uint32_t skip[POS_SKIP_MAX];
		uint8_t *s0;
		size_t nsk = n > POS_SKIP ? (n - 1) / POS_SKIP : 0, sk = 0;

		rc = buf_reserve(out, 1 + room + (at * 17 + 7) / 8);
		if (rc)
			return rc;
		w.o = s0 = out->data + out->len + 1 + room;
		w.acc = 0;
		w.nb = 0;
		for (i = 0, at = 0; i < n; at += tfs[i], i++) {
			if (i && i % POS_SKIP == 0)
				skip[i / POS_SKIP - 1] =
					(uint32_t)((size_t)(w.o - s0) * 8 +
						   w.nb);
			bic_put(&w, pos + at, tfs[i], 0, lens[i]);
		}
		if (w.nb)
			*w.o++ = (uint8_t)w.acc;
		/* Chosen on codec 2's size; the offsets come on top. */
		size2 = 1 + (size_t)(w.o - s0);
		if (bic_wins(size2, size0) && !bic_wins(size2, size1)) {
			size1 = rice_size(pos, tfs, n, gaps, &kf, &kg);
			sized = 1;
		}
		if (bic_wins(size2, size0) && bic_wins(size2, size1)) {
			uint8_t *o = out->data + len0;
			uint32_t dmax = 0;
			unsigned wd;

			if (size2 - 1 < POS_SKIP_BYTES)
				nsk = 0;
			for (i = nsk; i-- > 0;) {
				/* the offsets as gaps, at one width */
				skip[i] -= i ? skip[i - 1] : 0;
				if (skip[i] > dmax)
					dmax = skip[i];
			}
			wd = post_bits(dmax);
			if (nsk)
				sk = 1 + post_packed_bytes((unsigned)nsk, wd);
			size2 += sk;

			*o++ = nsk ? POS_CODEC_BICSK : POS_CODEC_BIC;
			if (nsk) {
				bitwr ow = { o + 1, 0, 0 };

				*o = (uint8_t)wd;
				for (i = 0; i < nsk; i++)
					bw_put(&ow, skip[i], wd);
				if (ow.nb)
					*ow.o++ = (uint8_t)ow.acc;
				o = ow.o;
			}
			memmove(o, s0, size2 - 1 - sk);
			out->len = len0 + size2;
			return 0;
		}
	}
	/* Codec 0 wins ties, so when it is no larger than codec 1 could
	 * ever be (most small blocks), codec 1 is not sized. */
	if (size0 > size1 && !sized)
		size1 = rice_size(pos, tfs, n, gaps, &kf, &kg);
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

static int rd_varint(post_pos_rd *rd, const uint32_t *tfs, unsigned to,
		     uint32_t *pos)
{
	const uint8_t *p = rd->p, *end = rd->end;
	uint64_t cur;
	size_t k = 0;
	uint32_t j, x;

	for (unsigned i = rd->done; i < to; i++) {
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
	rd->p = p;
	return 0;
}

static int rd_rice(post_pos_rd *rd, const uint32_t *tfs, unsigned to,
		   uint32_t *pos)
{
	bitrd r = { rd->p, rd->end, rd->acc, rd->nb };
	uint64_t cur;
	size_t k = 0;
	uint32_t j, x;

	for (unsigned i = rd->done; i < to; i++) {
		if (tfs[i] == 0)
			continue;
		if (rice_get(&r, rd->kf, &x))
			return LEDE_ECORRUPT;
		pos[k++] = x;
		cur = x;
		for (j = 1; j < tfs[i]; j++) {
			if (rice_get(&r, rd->kg, &x))
				return LEDE_ECORRUPT;
			cur += (uint64_t)x + 1;
			if (cur > UINT32_MAX)
				return LEDE_ECORRUPT;
			pos[k++] = (uint32_t)cur;
		}
	}
	rd->p = r.p;
	rd->acc = r.acc;
	rd->nb = r.nb;
	return 0;
}

/* Bits of codec 3's stream read so far. */
static uint64_t bicsk_at(const post_pos_rd *rd)
{
	return (uint64_t)(rd->p - rd->base) * 8 - rd->nb;
}

/* Codec 3, read straight through: codec 2's decoder a stretch of
 * POS_SKIP documents at a time, checking that each stretch starts at
 * its stored offset (a wrong one would send post_pos_seek astray). */
static int rd_bicsk(post_pos_rd *rd, const uint32_t *tfs,
		    const uint32_t *lens, unsigned to, uint32_t *pos)
{
	unsigned done = rd->done;

	while (done < to) {
		unsigned stop = (done / POS_SKIP + 1) * POS_SKIP;
		int rc;

		if (done % POS_SKIP == 0 && done &&
		    bicsk_at(rd) != rd->skip[done / POS_SKIP - 1])
			return LEDE_ECORRUPT;
		if (stop > to)
			stop = to;
		rc = rd_bic(rd, tfs, lens, stop, pos);
		if (rc)
			return rc;
		while (done < stop)
			pos += tfs[done++];
		rd->done = done;
	}
	return 0;
}

int post_pos_seek(post_pos_rd *rd, unsigned i)
{
	unsigned k = i / POS_SKIP;
	uint32_t at;

	if (rd->codec != POS_CODEC_BICSK || k == 0 || k > rd->nsk ||
	    k * POS_SKIP <= rd->done)
		return 0;
	at = rd->skip[k - 1];
	rd->p = rd->base + at / 8;
	rd->acc = 0;
	rd->nb = 0;
	if (at % 8) {
		/* open checked at <= the stream's bits: a byte is there */
		rd->acc = (uint64_t)(*rd->p++ >> (at % 8));
		rd->nb = 8 - at % 8;
	}
	rd->done = k * POS_SKIP;
	return 1;
}

int post_pos_open(post_pos_rd *rd, const uint8_t *p, size_t len,
		  const uint32_t *tfs, const uint32_t *lens, unsigned n)
{
	unsigned gaps = 0;

	memset(rd, 0, sizeof(*rd));
	if (len < 1 || p[0] > POS_CODEC_BICSK)
		return LEDE_ECORRUPT;
	if (p[0] >= POS_CODEC_BIC && !lens)
		return LEDE_EINVAL;
	rd->codec = p[0];
	rd->p = p + 1;
	rd->end = p + len;
	if (rd->codec == POS_CODEC_BICSK) {
		/* The offsets, then the bits; each offset within them. */
		uint64_t at = 0, bits;
		unsigned wd;
		size_t sb;

		rd->nsk = n > POS_SKIP ? (n - 1) / POS_SKIP : 0;
		if (rd->nsk == 0 || len < 2 || p[1] > 32)
			return LEDE_ECORRUPT;
		wd = p[1];
		sb = post_packed_bytes(rd->nsk, wd);
		if ((size_t)(rd->end - rd->p) < 1 + sb)
			return LEDE_ECORRUPT;
		post_unpack(rd->p + 1, rd->nsk, wd, rd->skip);
		for (unsigned k = 0; k < rd->nsk; k++) {
			at += rd->skip[k];
			if (at > UINT32_MAX)
				return LEDE_ECORRUPT;
			rd->skip[k] = (uint32_t)at;
		}
		rd->base = rd->p + 1 + sb;
		rd->p = rd->base;
		bits = (uint64_t)(rd->end - rd->base) * 8;
		if (at > bits)
			return LEDE_ECORRUPT;
		return 0;
	}
	if (rd->codec != POS_CODEC_RICE)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (tfs[i] > 1)
			gaps = 1;
	if (len < 2 + gaps)
		return LEDE_ECORRUPT;
	rd->kf = *rd->p++;
	if (gaps)
		rd->kg = *rd->p++;
	if (rd->kf > RICE_KMAX || rd->kg > RICE_KMAX)
		return LEDE_ECORRUPT;
	return 0;
}

int post_pos_read(post_pos_rd *rd, const uint32_t *tfs, const uint32_t *lens,
		  unsigned n, unsigned to, uint32_t *pos)
{
	int rc;

	if (to > n || to < rd->done)
		return LEDE_EINVAL;
	if (rd->codec == POS_CODEC_VARINT)
		rc = rd_varint(rd, tfs, to, pos);
	else if (rd->codec == POS_CODEC_RICE)
		rc = rd_rice(rd, tfs, to, pos);
	else if (rd->codec == POS_CODEC_BIC)
		rc = rd_bic(rd, tfs, lens, to, pos);
	else
		rc = rd_bicsk(rd, tfs, lens, to, pos);
	if (rc)
		return rc;
	rd->done = to;
	if (to < n)
		return 0;
	/* The whole block: exactly the bytes it needs, the bit codecs'
	 * last byte padded with zero bits. */
	if (rd->codec == POS_CODEC_VARINT)
		return rd->p == rd->end ? 0 : LEDE_ECORRUPT;
	{
		bitrd r = { rd->p, rd->end, rd->acc, rd->nb };

		br_fill(&r);
		if (r.p != r.end || r.nb >= 8 || r.acc != 0)
			return LEDE_ECORRUPT;
	}
	return 0;
}

int post_pos_needs_lens(const uint8_t *p, size_t len)
{
	return len >= 1 && (p[0] == POS_CODEC_BIC ||
			    p[0] == POS_CODEC_BICSK);
}

int post_pos_decode(const uint8_t *p, size_t len, const uint32_t *tfs,
		    const uint32_t *lens, unsigned n, uint32_t *pos,
		    size_t cap)
{
	uint64_t total = 0;
	unsigned i;

	post_pos_rd rd;
	int rc;

	rc = post_pos_open(&rd, p, len, tfs, lens, n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		total += tfs[i];
	if (total > cap)
		return LEDE_ETOOBIG;
	return post_pos_read(&rd, tfs, lens, n, n, pos);
}
