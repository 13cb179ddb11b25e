/*
 * post.c - the postings codec (see post.h for the byte layouts, which are
 * kept there in one place).
 *
 * Owns: bit packing of docid gaps and term frequencies (plain, or
 * patched with an exception list when that is smaller), the varint
 * position lists, the competitive (tf, len) pairs and the term record
 * with its block directory. Nothing here touches LMDB or allocates,
 * except post_term_decode's directory array.
 *
 * Invariants kept by every decoder: it reads only [p, p + len), never
 * one byte more (values live in LMDB's read-only mmap, so an overread
 * can fault), it consumes len exactly, and every integer it produces
 * fits the uint32_t it is stored in. Anything else is LEDE_ECORRUPT.
 * Encoders check their arguments (LEDE_EINVAL) before they append, so a
 * failed encode leaves out as it was.
 *
 * Two storage choices not spelled out in post.h's field names:
 *  - tf values are stored as tf-1 and docid gaps as gap-1, so a block
 *    of consecutive docids with all tfs 1 costs 3 bytes.
 *  - position gaps are stored as gap-1 for the same reason: positions
 *    strictly increase within a document, so gap >= 1 always, and
 *    adjacent words (gap 1) cost a single 0 byte.
 */
#include <stdlib.h>
#include <string.h>
#include "post.h"

#if defined(__GNUC__)
#define POST_INLINE static inline __attribute__((always_inline))
#else
#define POST_INLINE static inline
#endif

/* BM25 defaults (Robertson and Zaragoza, "The Probabilistic Relevance
 * Framework", 2009), used only to decide which frontier pairs to merge;
 * the stored pairs stay a valid bound for every k1, b and avgdl. */
#define PAIRS_K1 1.2   /* BM25 "k1" */
#define PAIRS_B  0.75  /* BM25 "b" */

/* Smallest directory entry: varint, varint, u8, u8, one pair of two
 * one-byte varints, and (not inline) two one-byte locs. Lets the decoder
 * reject an absurd nblocks before it allocates anything. */
#define DIRENT_MIN_BYTES 6
#define DIRENT_LOC_MIN_BYTES 8

/* ---- bit packing ---------------------------------------------------- */

size_t post_packed_bytes(unsigned n, unsigned w)
{
	return ((size_t)n * w + 7) / 8;
}

unsigned post_bits(uint32_t maxval)
{
	unsigned b = 0;

	while (maxval) {
		b++;
		maxval >>= 1;
	}
	return b;
}

int post_pack(const uint32_t *v, unsigned n, unsigned w, buf *out)
{
	size_t nbytes = post_packed_bytes(n, w);
	uint64_t acc = 0;
	unsigned have = 0;  /* bits pending in acc, < 8 between values */
	uint8_t *q;
	unsigned i;
	int rc;

	if (w > 32)
		return LEDE_EINVAL;
	for (i = 0; i < n; i++)
		if (w < 32 && v[i] >> w)
			return LEDE_EINVAL;
	if (nbytes == 0)
		return 0;
	rc = buf_reserve(out, nbytes);
	if (rc)
		return rc;
	q = out->data + out->len;
	for (i = 0; i < n; i++) {
		acc |= (uint64_t)v[i] << have;
		have += w;
		while (have >= 8) {
			*q++ = (uint8_t)acc;
			acc >>= 8;
			have -= 8;
		}
	}
	if (have)
		*q++ = (uint8_t)acc;
	out->len += nbytes;
	return 0;
}


/*
 * Eight values of w bits take exactly w bytes, so a group of eight
 * starts on a byte boundary and, once w is a constant, every value's
 * byte offset and shift inside the group is a constant too: one
 * unaligned 64-bit load, a shift and a mask per value. A value spans at
 * most 7 + 32 bits, so one load always covers it. Unrolled by hand:
 * gcc -O2 keeps the loop otherwise and recomputes offsets at run time.
 */
#define UNPACK_ONE(j) do { \
	unsigned o_ = (j) * w; \
	v[j] = (uint32_t)((le64_load(p + (o_ >> 3)) >> (o_ & 7)) & mask); \
} while (0)

POST_INLINE void unpack_group8(const uint8_t *p, unsigned w, uint32_t *v)
{
	const uint64_t mask = ((uint64_t)1 << w) - 1;

	UNPACK_ONE(0); UNPACK_ONE(1); UNPACK_ONE(2); UNPACK_ONE(3);
	UNPACK_ONE(4); UNPACK_ONE(5); UNPACK_ONE(6); UNPACK_ONE(7);
}

/*
 * Decode with w known at compile time after inlining. Groups whose last
 * 8-byte load stays inside the packed array are decoded in place; the
 * few bytes left (fewer than w + 8, or a partial group) are copied into
 * a zero-padded stack buffer and decoded from there, so no load ever
 * reaches past p + post_packed_bytes(n, w).
 */
POST_INLINE void unpack_w(const uint8_t *p, unsigned n, unsigned w,
			  uint32_t *v)
{
	const uint64_t mask = ((uint64_t)1 << w) - 1;
	size_t nbytes = post_packed_bytes(n, w);
	size_t g, ng, full = n / 8, rest;
	uint8_t tmp[64];
	unsigned i;

	/* Group g's loads end before byte g*w + w + 8 (its last value starts
	 * at byte (7w)/8 < w); safe while that is <= nbytes. */
	ng = nbytes >= (size_t)w + 8 ? (nbytes - 8) / w : 0;
	if (ng > full)
		ng = full;
	for (g = 0; g < ng; g++)
		unpack_group8(p + g * w, w, v + g * 8);
	if (ng * 8 == n)
		return;
	/* Here rest < w + 8 <= 40 bytes (ng was cut by the safety bound) or
	 * rest = packed(n % 8, w) <= 28; plus 8 bytes of slack for loads. */
	rest = nbytes - ng * w;
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, p + ng * w, rest);
	p = tmp;
	v += ng * 8;
	n -= (unsigned)(ng * 8);
	for (g = 0; g < n / 8; g++)
		unpack_group8(p + g * w, w, v + g * 8);
	for (i = (unsigned)(g * 8); i < n; i++) {
		unsigned o = i * w;
		v[i] = (uint32_t)((le64_load(p + (o >> 3)) >> (o & 7)) & mask);
	}
}

#define UNPACK_CASE(W) case W: unpack_w(p, n, W, v); break

void post_unpack(const uint8_t *p, unsigned n, unsigned w, uint32_t *v)
{
	/* One specialised copy per width: the constant lets gcc unroll each
	 * group into straight-line loads and shifts. */
	switch (w) {
	UNPACK_CASE(1);  UNPACK_CASE(2);  UNPACK_CASE(3);  UNPACK_CASE(4);
	UNPACK_CASE(5);  UNPACK_CASE(6);  UNPACK_CASE(7);  UNPACK_CASE(8);
	UNPACK_CASE(9);  UNPACK_CASE(10); UNPACK_CASE(11); UNPACK_CASE(12);
	UNPACK_CASE(13); UNPACK_CASE(14); UNPACK_CASE(15); UNPACK_CASE(16);
	UNPACK_CASE(17); UNPACK_CASE(18); UNPACK_CASE(19); UNPACK_CASE(20);
	UNPACK_CASE(21); UNPACK_CASE(22); UNPACK_CASE(23); UNPACK_CASE(24);
	UNPACK_CASE(25); UNPACK_CASE(26); UNPACK_CASE(27); UNPACK_CASE(28);
	UNPACK_CASE(29); UNPACK_CASE(30); UNPACK_CASE(31); UNPACK_CASE(32);
	default:
		/* Width 0 stores nothing: all zeros. Widths over 32 are a
		 * caller bug (decoders check first); zeros read nothing. */
		memset(v, 0, (size_t)n * sizeof(*v));
		break;
	}
}

/*
 * The same with AVX2, chosen at run time (the build targets plain
 * x86-64). Eight values of w <= 25 bits: each lies in the four bytes
 * from its first, (i * w) / 8, since its shift (i * w) % 8 plus w is at
 * most 32. Values 0-3 come from 16 bytes loaded at the group's start
 * and values 4-7 from 16 bytes at (4 * w) / 8, one 128-bit half each,
 * so one byte shuffle puts every value's four bytes in its lane; then a
 * shift per lane and a mask. A group is taken while both loads stay
 * below end (the caller's bytes: loads may read past the packed array,
 * never past end); the rest goes through post_unpack.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define POST_AVX2 1
#define AVX2_WMAX 25

typedef struct avx2_tab {
	uint8_t shuf[32];
	uint32_t shift[8];
	unsigned hi;             /* byte of the second load */
} avx2_tab;

static avx2_tab avx2_tabs[AVX2_WMAX + 1];
static int avx2_ok;            /* the CPU has AVX2 */
static int simd_off;           /* post_simd(0): the portable code only */

__attribute__((constructor)) static void avx2_init(void)
{
	__builtin_cpu_init();
	avx2_ok = __builtin_cpu_supports("avx2");
	for (unsigned w = 1; w <= AVX2_WMAX; w++) {
		avx2_tab *t = &avx2_tabs[w];

		t->hi = 4 * w / 8;
		for (unsigned i = 0; i < 8; i++) {
			unsigned b = i * w - (i < 4 ? 0 : 8 * t->hi);

			for (unsigned k = 0; k < 4; k++)
				t->shuf[4 * i + k] = (uint8_t)(b / 8 + k);
			t->shift[i] = b % 8;
		}
	}
}

/* One group: eight values from the bytes at q (and q + hi) into v. */
__attribute__((target("avx2")))
static inline void group_avx2(const uint8_t *q, unsigned hi, __m256i shuf,
			      __m256i sh, __m256i mask, uint32_t *v)
{
	__m128i a = _mm_loadu_si128((const __m128i *)q);
	__m128i b = _mm_loadu_si128((const __m128i *)(q + hi));
	__m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);

	x = _mm256_shuffle_epi8(x, shuf);
	x = _mm256_and_si256(_mm256_srlv_epi32(x, sh), mask);
	_mm256_storeu_si256((__m256i *)v, x);
}

__attribute__((target("avx2")))
static void unpack_avx2(const uint8_t *p, unsigned n, unsigned w,
			uint32_t *v, const uint8_t *end)
{
	const avx2_tab *t = &avx2_tabs[w];
	const __m256i shuf = _mm256_loadu_si256((const __m256i *)t->shuf);
	const __m256i sh = _mm256_loadu_si256((const __m256i *)t->shift);
	const __m256i mask = _mm256_set1_epi32((int)((1u << w) - 1));
	size_t g = 0, full = n / 8;
	/* groups whose second load ends by end */
	size_t room = (size_t)(end - p) >= t->hi + 16 ?
		((size_t)(end - p) - t->hi - 16) / w + 1 : 0;

	if (room < full)
		full = room;
	for (; g < full; g++)
		group_avx2(p + g * w, t->hi, shuf, sh, mask, v + g * 8);
	if (g * 8 < n) {
		/* The last groups (the part one past the array's end, or
		 * whose loads would pass end) from a zero-padded copy,
		 * into a copy too: v has room for n values only. */
		unsigned r = n - (unsigned)(g * 8), ng = (r + 7) / 8;
		size_t rest = post_packed_bytes(r, w);
		uint8_t tmp[64 + 32];
		uint32_t out[POST_BLOCK_MAX];

		if (rest > 64 || ng * 8 > POST_BLOCK_MAX) {
			post_unpack(p + g * w, r, w, v + g * 8);
			return;
		}
		memcpy(tmp, p + g * w, rest);
		memset(tmp + rest, 0, sizeof(tmp) - rest);
		for (unsigned k = 0; k < ng; k++)
			group_avx2(tmp + k * w, t->hi, shuf, sh, mask,
				   out + k * 8);
		memcpy(v + g * 8, out, r * sizeof(*v));
	}
}
#endif

/*
 * docids[0] = first and docids[i] = docids[i - 1] + stored[i] + 1 for
 * i = 1..cnt-1, eight at a time: a scan inside each 128-bit half, the
 * low half's total added to the high half, the previous eight's last
 * docid to all. Every step adds 1..2^32 modulo 2^32, so a sum that
 * passes UINT32_MAX shows as a docid not above its predecessor
 * (unsigned): LEDE_ECORRUPT, as the scalar loop's 64-bit check.
 */
__attribute__((target("avx2")))
static int prefix_avx2(uint32_t *d, unsigned cnt, uint32_t first)
{
	const __m256i one = _mm256_set1_epi32(1);
	const __m256i prev_idx = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6);
	const __m256i seven = _mm256_set1_epi32(7);
	__m256i carry = _mm256_set1_epi32((int)first);
	__m256i bad = _mm256_setzero_si256();
	unsigned i = 1;
	uint64_t x;

	d[0] = first;
	for (; i + 8 <= cnt; i += 8) {
		__m256i v = _mm256_add_epi32(
			_mm256_loadu_si256((const __m256i *)(d + i)), one);
		__m256i lo3, pv, tot;

		v = _mm256_add_epi32(v, _mm256_slli_si256(v, 4));
		v = _mm256_add_epi32(v, _mm256_slli_si256(v, 8));
		lo3 = _mm256_shuffle_epi32(v, 0xff);
		v = _mm256_add_epi32(v, _mm256_permute2x128_si256(lo3, lo3,
								  0x08));
		/* the eight's own total, apart from the carry, so that the
		 * chain from one eight to the next is a single add */
		tot = _mm256_permutevar8x32_epi32(v, seven);
		v = _mm256_add_epi32(v, carry);
		/* each lane's predecessor: the lane before, lane 0's the
		 * last docid before these eight */
		pv = _mm256_blend_epi32(_mm256_permutevar8x32_epi32(v, prev_idx),
					carry, 1);
		/* bad where pv >= v, unsigned: max(pv, v) is pv */
		bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(
			_mm256_max_epu32(pv, v), pv));
		_mm256_storeu_si256((__m256i *)(d + i), v);
		carry = _mm256_add_epi32(carry, tot);
	}
	if (!_mm256_testz_si256(bad, bad))
		return LEDE_ECORRUPT;
	x = d[i - 1];
	for (; i < cnt; i++) {
		x += (uint64_t)d[i] + 1;
		d[i] = (uint32_t)x;
	}
	return x > UINT32_MAX ? LEDE_ECORRUPT : 0;
}

#ifdef POST_AVX2
/* Whether the AVX2 code runs: the CPU has it and no test turned it off. */
static inline int simd_on(void)
{
	return avx2_ok && !simd_off;
}
#endif

int post_simd(int on)
{
#ifdef POST_AVX2
	if (on >= 0)
		simd_off = !on;
	return simd_on();
#else
	(void)on;
	return 0;
#endif
}

/* post_unpack, faster where the bytes up to end may be read. */
static void unpack_to(const uint8_t *p, unsigned n, unsigned w, uint32_t *v,
		      const uint8_t *end)
{
#ifdef POST_AVX2
	if (w >= 1 && w <= AVX2_WMAX && n >= 8 && simd_on()) {
		unpack_avx2(p, n, w, v, end);
		return;
	}
#endif
	(void)end;
	post_unpack(p, n, w, v);
}

/* ---- postings blocks ------------------------------------------------ */

/* Width byte of a block header: the width in the low six bits, and the
 * top bit set when an exception list for that array follows (bit 6 is
 * reserved, zero). */
#define BLK_EXC   0x80
#define BLK_WIDTH 0x3f

POST_INLINE unsigned bit_width(uint32_t x)
{
#if defined(__GNUC__)
	return x ? 32 - (unsigned)__builtin_clz(x) : 0;
#else
	return post_bits(x);
#endif
}

/*
 * Choose how to store m values whose largest bit width is wmax: plainly
 * at wmax bits (return wmax, *exc 0), or packed at some b < wmax with an
 * exception list for the values >= 2^b (return b, *exc 1), whichever
 * takes the fewest bytes; plain on ties. *bytes gets the size. Each
 * exception costs at least 2 bytes (index, one varint byte), so a width
 * whose packed array plus that floor already loses is not costed value
 * by value, and once the floor of the exception list alone loses, so do
 * all narrower widths.
 */
static unsigned pfor_choose(const uint32_t *v, unsigned m, unsigned wmax,
			    int *exc, size_t *bytes)
{
	unsigned hist[33] = { 0 };
	size_t best = post_packed_bytes(m, wmax), c = 0, sz;
	unsigned bb = wmax, b, i;

	*exc = 0;
	for (i = 0; i < m; i++)
		hist[bit_width(v[i])]++;
	for (b = wmax; b-- > 0;) {
		c += hist[b + 1];           /* values of width > b */
		if (1 + 2 * c >= best)
			break;
		sz = post_packed_bytes(m, b) + 1 + 2 * c;
		if (sz >= best)
			continue;
		sz = post_packed_bytes(m, b) + 1;
		for (i = 0; i < m; i++)
			if (v[i] >> b)
				sz += 1 + varint_size((v[i] >> b) - 1);
		if (sz < best) {
			best = sz;
			bb = b;
			*exc = 1;
		}
	}
	*bytes = best;
	return bb;
}

/* Pack v at width b, keeping only the low b bits of each value. */
static int pack_low(const uint32_t *v, unsigned m, unsigned b, buf *out)
{
	uint32_t lo[POST_BLOCK_MAX];
	uint32_t mask = b >= 32 ? UINT32_MAX : ((uint32_t)1 << b) - 1;
	unsigned i;

	for (i = 0; i < m; i++)
		lo[i] = v[i] & mask;
	return post_pack(lo, m, b, out);
}

/* The exception list of v at width b: count, then (index, high - 1). */
static int put_exc(const uint32_t *v, unsigned m, unsigned b, buf *out)
{
	unsigned i, c = 0;
	int rc;

	for (i = 0; i < m; i++)
		c += (v[i] >> b) != 0;
	rc = buf_addc(out, (uint8_t)c);
	for (i = 0; i < m && !rc; i++) {
		if (!(v[i] >> b))
			continue;
		rc = buf_addc(out, (uint8_t)i);
		if (!rc)
			rc = buf_add_varint(out, (v[i] >> b) - 1);
	}
	return rc;
}

int post_block_encode(const uint32_t *docids, const uint32_t *tfs,
		      unsigned n, buf *out)
{
	uint32_t gap[POST_BLOCK_MAX], tf1[POST_BLOCK_MAX];
	uint32_t gmax = 0, tmax = 0;
	unsigned i, wd, wt;
	size_t gsz, tsz, len0 = out->len;
	int gexc, texc;
	uint8_t hdr[3];
	int rc;

	if (n < 1 || n > POST_BLOCK_MAX)
		return LEDE_EINVAL;
	for (i = 0; i < n; i++) {
		if (tfs[i] < 1)
			return LEDE_EINVAL;
		tf1[i] = tfs[i] - 1;
		tmax |= tf1[i];
		if (i == 0)
			continue;
		if (docids[i] <= docids[i - 1])
			return LEDE_EINVAL;
		gap[i - 1] = docids[i] - docids[i - 1] - 1;
		gmax |= gap[i - 1];
	}
	/* OR of all values has the same top bit as their maximum. */
	wd = pfor_choose(gap, n - 1, bit_width(gmax), &gexc, &gsz);
	wt = pfor_choose(tf1, n, bit_width(tmax), &texc, &tsz);
	rc = buf_reserve(out, 3 + gsz + tsz);
	if (rc)
		return rc;
	hdr[0] = (uint8_t)n;
	hdr[1] = (uint8_t)(wd | (gexc ? BLK_EXC : 0));
	hdr[2] = (uint8_t)(wt | (texc ? BLK_EXC : 0));
	rc = buf_add(out, hdr, 3);
	if (!rc)
		rc = pack_low(gap, n - 1, wd, out);
	if (!rc)
		rc = pack_low(tf1, n, wt, out);
	if (!rc && gexc)
		rc = put_exc(gap, n - 1, wd, out);
	if (!rc && texc)
		rc = put_exc(tf1, n, wt, out);
	if (rc)
		out->len = len0;
	return rc;
}

/*
 * Read one exception list from [*q, end) and add its high parts to
 * v[0..m), which holds the low b bits of every value. A patched value
 * must stay <= vmax. Indices strictly ascend; a listed value is
 * >= 2^b, so its high part is >= 1 and stored minus one.
 */
POST_INLINE int patch_exc(const uint8_t **q, const uint8_t *end, uint32_t *v,
		     unsigned m, unsigned b, uint32_t vmax)
{
	const uint8_t *s = *q;
	uint64_t lim = (uint64_t)vmax >> b;  /* high - 1 < lim */
	unsigned c, k, idx, next = 0;

	if (s >= end)
		return LEDE_ECORRUPT;
	c = *s++;
	if (c < 1 || c > m)
		return LEDE_ECORRUPT;
	for (k = 0; k < c; k++) {
		uint64_t hi, x;

		if (s >= end)
			return LEDE_ECORRUPT;
		idx = *s++;
		if (idx < next || idx >= m)
			return LEDE_ECORRUPT;
		next = idx + 1;
		/* One-byte high parts are the usual case: skip the call. */
		if (s < end && *s < 0x80)
			hi = *s++;
		else if (varint_get(&s, end, &hi))
			return LEDE_ECORRUPT;
		if (hi >= lim)
			return LEDE_ECORRUPT;
		x = (hi + 1) << b | v[idx];
		if (x > vmax)
			return LEDE_ECORRUPT;
		v[idx] = (uint32_t)x;
	}
	*q = s;
	return 0;
}

/*
 * tf = stored + 1 over n values. In runs of eight with a constant trip
 * count, because gcc -O2 only vectorizes those (SLP); a plain loop to n
 * stays scalar and costs about as much as the whole unpack.
 */
static void tf_plus_one(uint32_t *v, unsigned n)
{
	size_t i = 0, j;

	/* size_t indices: unsigned ones may wrap, and gcc then cannot
	 * prove the eight accesses adjacent. */
	for (; i + 8 <= n; i += 8)
		for (j = 0; j < 8; j++)
			v[i + j] += 1;
	for (; i < n; i++)
		v[i] += 1;
}

static void tf_all_one(uint32_t *v, unsigned n)
{
	size_t i = 0, j;

	for (; i + 8 <= n; i += 8)
		for (j = 0; j < 8; j++)
			v[i + j] = 1;
	for (; i < n; i++)
		v[i] = 1;
}

static int block_decode(const uint8_t *p, size_t len, uint32_t first,
			uint32_t *docids, uint32_t *tfs, unsigned *n);

int post_block_decode(const uint8_t *p, size_t len, uint32_t first,
		      uint32_t *docids, uint32_t *tfs, unsigned *n)
{
	return block_decode(p, len, first, docids, tfs, n);
}

int post_block_docids(const uint8_t *p, size_t len, uint32_t first,
		      uint32_t *docids, unsigned *n)
{
	return block_decode(p, len, first, docids, NULL, n);
}

/* tfs NULL: the docids only (the tfs' bytes and exceptions are not
 * read). */
static int block_decode(const uint8_t *p, size_t len, uint32_t first,
			uint32_t *docids, uint32_t *tfs, unsigned *n)
{
	const uint8_t *q, *end = p + len;
	unsigned cnt, hd, ht, wd, wt, i;
	size_t gbytes, tbytes, base;
	uint64_t d;

	*n = 0;
	if (len < 3)
		return LEDE_ECORRUPT;
	cnt = p[0];
	hd = p[1];
	ht = p[2];
	wd = hd & BLK_WIDTH;
	wt = ht & BLK_WIDTH;
	if (cnt < 1 || cnt > POST_BLOCK_MAX || wd > 32 || wt > 32)
		return LEDE_ECORRUPT;
	/* Bit 6 is reserved; an exception needs a value >= 2^w < 2^32. */
	if (((hd | ht) & ~(BLK_EXC | BLK_WIDTH)) ||
	    ((hd & BLK_EXC) && wd == 32) || ((ht & BLK_EXC) && wt == 32))
		return LEDE_ECORRUPT;
	gbytes = post_packed_bytes(cnt - 1, wd);
	tbytes = post_packed_bytes(cnt, wt);
	base = 3 + gbytes + tbytes;
	if (((hd | ht) & BLK_EXC) ? len <= base : len != base)
		return LEDE_ECORRUPT;
	q = p + base;  /* the exception lists, if any */

	/* Gaps-1 land in docids[1..] and are summed in place: docid[i] is
	 * first + i + the sum of the stored values up to i. Keeping the +i
	 * off the running sum leaves one plain add on the dependency chain.
	 * 64 bits so a hostile block cannot wrap past UINT32_MAX unnoticed;
	 * the sum only grows, so one check at the end catches overflow. */
	unpack_to(p + 3, cnt - 1, wd, docids + 1, end);
	if ((hd & BLK_EXC) &&
	    patch_exc(&q, end, docids + 1, cnt - 1, wd, UINT32_MAX))
		return LEDE_ECORRUPT;
#ifdef POST_AVX2
	if (cnt > 8 && simd_on()) {
		if (prefix_avx2(docids, cnt, first))
			return LEDE_ECORRUPT;
	} else
#endif
	{
		docids[0] = first;
		d = first;
		for (i = 1; i < cnt; i++) {
			d += docids[i];
			docids[i] = (uint32_t)(d + i);
		}
		if (d + cnt - 1 > UINT32_MAX)
			return LEDE_ECORRUPT;
	}

	if (!tfs) {
		*n = cnt;
		return 0;
	}
	if (ht == 0) {
		/* The common case for rare terms: every tf is 1. */
		tf_all_one(tfs, cnt);
	} else {
		unpack_to(p + 3 + gbytes, cnt, wt, tfs, end);
		/* Only 32 bits can hold tf-1 = UINT32_MAX (exceptions are
		 * checked as they are patched). */
		if (wt == 32) {
			for (i = 0; i < cnt; i++)
				if (tfs[i] == UINT32_MAX)
					return LEDE_ECORRUPT;
		}
		if ((ht & BLK_EXC) &&
		    patch_exc(&q, end, tfs, cnt, wt, UINT32_MAX - 1))
			return LEDE_ECORRUPT;
		tf_plus_one(tfs, cnt);
	}
	if (q != end)
		return LEDE_ECORRUPT;
	*n = cnt;
	return 0;
}

/* ---- competitive pairs ---------------------------------------------- */

static double pair_weight(uint32_t tf, uint32_t len, double avgdl)
{
	return tf / (tf + PAIRS_K1 * (1 - PAIRS_B + PAIRS_B * len / avgdl));
}

/*
 * Replace the neighbours fr[i], fr[i+1] by (larger tf, smaller len) for
 * the i that raises the weight least, the leftmost on ties. Works for
 * either sort order of fr, since both neighbours stay dominated.
 */
static void pairs_merge_one(post_pair *fr, unsigned *nf, double avgdl)
{
	double best = 0;
	unsigned i, bi = 0;

	for (i = 0; i + 1 < *nf; i++) {
		post_pair a = fr[i], b = fr[i + 1];
		uint32_t tf = a.tf > b.tf ? a.tf : b.tf;
		uint32_t len = a.len < b.len ? a.len : b.len;
		double wa = pair_weight(a.tf, a.len, avgdl);
		double wb = pair_weight(b.tf, b.len, avgdl);
		double cost = pair_weight(tf, len, avgdl) - (wa > wb ? wa : wb);

		if (i == 0 || cost < best) {
			best = cost;
			bi = i;
		}
	}
	fr[bi].tf = fr[bi].tf > fr[bi + 1].tf ? fr[bi].tf : fr[bi + 1].tf;
	fr[bi].len = fr[bi].len < fr[bi + 1].len ? fr[bi].len : fr[bi + 1].len;
	memmove(fr + bi + 1, fr + bi + 2, (*nf - bi - 2) * sizeof(*fr));
	(*nf)--;
}

void post_pairs_compute(const uint32_t *tfs, const uint32_t *lens,
			unsigned n, post_dirent *e)
{
	/* n is a block's size, but any n works: a frontier that outgrows
	 * fr is merged down as it is built. */
	post_pair fr[POST_BLOCK_MAX];
	unsigned nf = 0, i;
	uint64_t lim = UINT64_MAX, sum = 0;
	double avgdl;

	for (i = 0; i < n; i++)
		sum += lens[i];
	avgdl = n && sum ? (double)sum / n : 1.0;

	/*
	 * Walk the staircase from the top: the largest tf (shortest doc on
	 * ties), then the largest tf among strictly shorter docs, and so on.
	 * Each step is one pass, and a frontier is short in practice, so
	 * this beats sorting a block. Docs with tf 0 weigh nothing.
	 */
	for (;;) {
		uint32_t btf = 0, blen = 0;

		for (i = 0; i < n; i++) {
			if (tfs[i] == 0 || lens[i] >= lim)
				continue;
			if (tfs[i] > btf || (tfs[i] == btf && lens[i] < blen)) {
				btf = tfs[i];
				blen = lens[i];
			}
		}
		if (btf == 0)
			break;
		if (nf == POST_BLOCK_MAX)
			pairs_merge_one(fr, &nf, avgdl);
		fr[nf].tf = btf;
		fr[nf].len = blen;
		nf++;
		lim = blen;
	}
	/* Built in tf descending order; the record wants ascending. */
	for (i = 0; i < nf / 2; i++) {
		post_pair t = fr[i];
		fr[i] = fr[nf - 1 - i];
		fr[nf - 1 - i] = t;
	}
	while (nf > POST_MAX_PAIRS)
		pairs_merge_one(fr, &nf, avgdl);
	memset(e->pairs, 0, sizeof(e->pairs));
	memcpy(e->pairs, fr, nf * sizeof(*fr));
	e->npairs = nf;
}

int post_encode_blocks(const uint32_t *docids, const uint32_t *tfs,
		       const uint32_t *lens, const uint32_t *pos, size_t nd,
		       buf *blocks, size_t *boff, buf *posblk, size_t *poff,
		       post_dirent *ents)
{
	size_t nb = (nd + POST_BLOCK_MAX - 1) / POST_BLOCK_MAX, at = 0;
	int rc;

	for (size_t i = 0; i < nb; i++) {
		size_t s = i * POST_BLOCK_MAX;
		unsigned n = (unsigned)(nd - s < POST_BLOCK_MAX ?
					nd - s : POST_BLOCK_MAX);
		post_dirent *de = &ents[i];

		boff[i] = blocks->len;
		poff[i] = posblk->len;
		rc = post_block_encode(docids + s, tfs + s, n, blocks);
		if (rc)
			return rc;
		if (pos) {
			rc = post_pos_encode(pos + at, tfs + s, lens + s, n,
					     posblk);
			if (rc)
				return rc;
			for (unsigned j = 0; j < n; j++)
				at += tfs[s + j];
		}
		memset(de, 0, sizeof(*de));
		de->first = docids[s];
		de->last = docids[s + n - 1];
		de->n = n;
		post_pairs_compute(tfs + s, lens + s, n, de);
	}
	boff[nb] = blocks->len;
	poff[nb] = posblk->len;
	return 0;
}

double post_dirent_bound(const post_dirent *e, double k1, double b,
			 double avgdl)
{
	double best = 0;
	uint32_t i;

	/* Without a usable avgdl the length norm is undefined; every weight
	 * tf/(tf + x) with x >= 0 is below 1, so 1 is still a bound. */
	if (!(avgdl > 0))
		return e->npairs ? 1.0 : 0.0;
	for (i = 0; i < e->npairs && i < POST_MAX_PAIRS; i++) {
		double tf = e->pairs[i].tf, w;

		if (tf <= 0)
			continue;
		w = tf / (tf + k1 * (1 - b + b * e->pairs[i].len / avgdl));
		if (w > best)
			best = w;
	}
	return best;
}

/* ---- term record ---------------------------------------------------- */

/* The record's invariants, shared by encode (EINVAL) and decode. */
static int dirent_ok(const post_dirent *e, uint32_t prev_last, int first)
{
	uint32_t j;

	if (e->first == 0 || (!first && e->first <= prev_last))
		return 0;
	if (e->last < e->first || e->n < 1 || e->n > POST_BLOCK_MAX)
		return 0;
	if ((uint64_t)e->last - e->first + 1 < e->n)
		return 0;
	if (e->npairs < 1 || e->npairs > POST_MAX_PAIRS)
		return 0;
	/* Pairs are a frontier: tf and len both strictly ascend. */
	for (j = 0; j < e->npairs; j++) {
		if (e->pairs[j].tf < 1)
			return 0;
		if (j && (e->pairs[j].tf <= e->pairs[j - 1].tf ||
			  e->pairs[j].len <= e->pairs[j - 1].len))
			return 0;
	}
	return 1;
}

/* A loc (post.h, "Term record") after prev, which it then replaces. */
static int loc_put(buf *out, const post_loc *l, post_loc *prev)
{
	int moved = !(l->chunk == prev->chunk &&
		      (uint64_t)prev->off + prev->len == l->off);
	int64_t d = (int64_t)l->chunk - (int64_t)prev->chunk;
	int rc = buf_add_varint(out, (uint64_t)l->len << 1 | (unsigned)moved);

	if (!rc && moved)
		rc = buf_add_varint(out, d < 0 ? ((uint64_t)-d << 1) - 1 :
					 (uint64_t)d << 1);
	if (!rc && moved)
		rc = buf_add_varint(out, l->off);
	*prev = *l;
	return rc;
}

/* The loc after prev; LEDE_ECORRUPT if malformed or past 32 bits. Most
 * are one or two bytes: a block right after the term's previous one
 * (every directory entry of a long list, decoded by each query). */
static inline int loc_get(const uint8_t **p, const uint8_t *end,
			  post_loc *l, post_loc *prev)
{
	uint64_t c, o;
	uint32_t x;

	/* len < 2^31 (term_encode checks), so len << 1 | moved fits */
	if (varint_get32_fast(p, end, &x))
		return LEDE_ECORRUPT;
	l->len = x >> 1;
	if (x & 1) {
		int64_t d;

		if (varint_get(p, end, &c) || varint_get(p, end, &o) ||
		    c > 2 * (uint64_t)UINT32_MAX || o > UINT32_MAX)
			return LEDE_ECORRUPT;
		d = c & 1 ? -(int64_t)((c + 1) >> 1) : (int64_t)(c >> 1);
		if ((int64_t)prev->chunk + d < 0 ||
		    (int64_t)prev->chunk + d > (int64_t)UINT32_MAX)
			return LEDE_ECORRUPT;
		l->chunk = (uint32_t)((int64_t)prev->chunk + d);
		l->off = (uint32_t)o;
	} else {
		if ((uint64_t)prev->off + prev->len > UINT32_MAX)
			return LEDE_ECORRUPT;
		l->chunk = prev->chunk;
		l->off = prev->off + prev->len;
	}
	if ((uint64_t)l->off + l->len > UINT32_MAX)
		return LEDE_ECORRUPT;
	*prev = *l;
	return 0;
}

static int term_encode(uint32_t df, const post_dirent *ents, size_t n,
		       int inl, buf *out)
{
	post_loc pb = { 0, 0, 0 }, pp = { 0, 0, 0 };
	size_t i;
	uint32_t prev = 0, j;
	int rc;

	for (i = 0; i < n; i++) {
		if (!dirent_ok(&ents[i], prev, i == 0) ||
		    (!inl && (ents[i].bl.len == 0 ||
			      ents[i].bl.len > POST_LOC_LEN_MAX ||
			      ents[i].pl.len > POST_LOC_LEN_MAX ||
			      (uint64_t)ents[i].bl.off + ents[i].bl.len >
			      UINT32_MAX ||
			      (uint64_t)ents[i].pl.off + ents[i].pl.len >
			      UINT32_MAX)))
			return LEDE_EINVAL;
		prev = ents[i].last;
	}
	rc = buf_add_varint(out, df);
	if (!rc)
		rc = buf_add_varint(out, (uint64_t)n << 1 | (inl ? 1 : 0));
	prev = 0;
	for (i = 0; i < n && !rc; i++) {
		const post_dirent *e = &ents[i];

		rc = buf_add_varint(out, e->first - prev);
		if (!rc)
			rc = buf_add_varint(out, e->last - e->first);
		if (!rc)
			rc = buf_addc(out, (uint8_t)(e->n - 1));
		if (!rc)
			rc = buf_addc(out, (uint8_t)e->npairs);
		for (j = 0; j < e->npairs && !rc; j++) {
			rc = buf_add_varint(out, e->pairs[j].tf);
			if (!rc)
				rc = buf_add_varint(out, e->pairs[j].len);
		}
		if (!inl && !rc)
			rc = loc_put(out, &e->bl, &pb);
		if (!inl && !rc)
			rc = loc_put(out, &e->pl, &pp);
		prev = e->last;
	}
	return rc;
}

int post_term_encode(uint32_t df, const post_dirent *ents, size_t n,
		     const post_top *top, size_t ntop, buf *out)
{
	size_t len0 = out->len;
	uint32_t prev = 0;
	int rc;

	if (n > 0 && ntop == 0)
		return LEDE_EINVAL;
	for (size_t i = 0; i < ntop; i++) {
		if (top[i].docid <= prev || top[i].tf == 0)
			return LEDE_EINVAL;
		prev = top[i].docid;
	}
	rc = term_encode(df, ents, n, 0, out);
	if (!rc && n > 0)
		rc = buf_add_varint(out, ntop);
	prev = 0;
	for (size_t i = 0; !rc && n > 0 && i < ntop; i++) {
		rc = buf_add_varint(out, top[i].docid - prev);
		if (!rc)
			rc = buf_add_varint(out, top[i].tf - 1);
		if (!rc)
			rc = buf_add_varint(out, top[i].ttf);
		prev = top[i].docid;
	}
	if (rc)
		out->len = len0;
	return rc;
}

int post_top_decode(const uint8_t *p, size_t len, size_t ntop,
		    post_top *out)
{
	const uint8_t *end = p + len;
	uint64_t prev = 0, x, tf, ttf;

	for (size_t i = 0; i < ntop; i++) {
		if (varint_get(&p, end, &x) || x == 0 ||
		    x > UINT32_MAX - prev || varint_get(&p, end, &tf) ||
		    tf >= UINT32_MAX || varint_get(&p, end, &ttf) ||
		    ttf > UINT32_MAX)
			return LEDE_ECORRUPT;
		prev += x;
		out[i].docid = (uint32_t)prev;
		out[i].tf = (uint32_t)tf + 1;
		out[i].ttf = (uint32_t)ttf;
		out[i].len = 0;
	}
	return p == end ? 0 : LEDE_ECORRUPT;
}

/* tf, then ttf descending, then (len, docid) ascending: a posting's
 * dominators all sort before it. */
static int cmp_top_rank(const void *a, const void *b)
{
	const post_top *x = a, *y = b;

	if (x->tf != y->tf)
		return x->tf > y->tf ? -1 : 1;
	if (x->ttf != y->ttf)
		return x->ttf > y->ttf ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->docid < y->docid ? -1 : x->docid > y->docid;
}

static int cmp_top_docid(const void *a, const void *b)
{
	const post_top *x = a, *y = b;

	return x->docid < y->docid ? -1 : x->docid > y->docid;
}

static int top_dominates(const post_top *q, const post_top *p)
{
	return q->tf >= p->tf && q->ttf >= p->ttf && q->len <= p->len &&
	       (q->tf > p->tf || q->ttf > p->ttf || q->len < p->len ||
		q->docid < p->docid);
}

/* Insert len into the ascending array cur of at most POST_TOP_K. */
static void lens_keep(uint32_t *cur, size_t *nc, uint32_t len)
{
	size_t i;

	if (*nc == POST_TOP_K) {
		if (cur[POST_TOP_K - 1] <= len)
			return;
		i = POST_TOP_K - 1;
	} else {
		i = (*nc)++;
	}
	while (i > 0 && cur[i - 1] > len) {
		cur[i] = cur[i - 1];
		i--;
	}
	cur[i] = len;
}

/* The rank order (cmp_top_rank) as one number, for postings with tf <=
 * RK_TF and ttf <= RK_TTF (len is 16 bits): sorting these numbers is
 * several times faster than qsort with a comparison callback, and a
 * reduce sorts every posting its filter lets through (1.5 M in 7,200
 * reduces on news). */
#define RK_TF 1023u
#define RK_TTF 63u

static uint64_t rank_key(const post_top *p)
{
	return (uint64_t)(RK_TF - p->tf) << 54 |
	       (uint64_t)(RK_TTF - p->ttf) << 48 |
	       (uint64_t)p->len << 32 | p->docid;
}

static post_top rank_unkey(uint64_t k)
{
	post_top p;

	p.tf = RK_TF - (uint32_t)(k >> 54);
	p.ttf = RK_TTF - (uint32_t)(k >> 48 & RK_TTF);
	p.len = (uint32_t)(k >> 32 & 0xFFFF);
	p.docid = (uint32_t)k;
	return p;
}

/* Sort k[0..n) ascending, tmp holding n more: least significant byte
 * first, skipping the bytes every key shares. */
static void radix_sort64(uint64_t *k, uint64_t *tmp, size_t n)
{
	uint64_t *src = k, *dst = tmp;

	for (unsigned sh = 0; n && sh < 64; sh += 8) {
		size_t cnt[256] = { 0 }, at = 0;
		uint64_t *t;

		for (size_t i = 0; i < n; i++)
			cnt[src[i] >> sh & 255]++;
		if (cnt[src[0] >> sh & 255] == n)
			continue;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = cnt[d];

			cnt[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[src[i] >> sh & 255]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, n * sizeof(*k));
}

/* Postings among kept[0..out) (tf, ttf, len in three arrays) that
 * dominate p, counted 64 at a time until POST_TOP_K: every kept one
 * precedes p in rank order, so "no worse in tf, ttf and len" is
 * dominance (ties are broken by the docid, which the order holds). */
static size_t dominators(const uint32_t *tf, const uint32_t *ttf,
			 const uint32_t *len, size_t out, const post_top *p)
{
	size_t dom = 0;

	for (size_t j0 = 0; j0 < out && dom < POST_TOP_K; j0 += 64) {
		size_t e = out - j0 < 64 ? out : j0 + 64;
		unsigned c = 0;

		for (size_t j = j0; j < e; j++)
			c += (tf[j] >= p->tf) & (ttf[j] >= p->ttf) &
			     (len[j] <= p->len);
		dom += c;
	}
	return dom;
}

/* In rank order each posting's dominators come before it; when it has
 * POST_TOP_K of them, the first POST_TOP_K of them in that order have
 * fewer each, so are kept: counting among the kept ones is enough, and
 * the count stops at POST_TOP_K. scr/scrcap: scratch that grows as
 * needed; without it (or with a tf or ttf the key cannot hold) qsort
 * and a posting-by-posting test do the same. */
static size_t reduce_rank(post_top *v, size_t n, void **scr,
			  size_t *scrcap)   /* left in rank order */
{
	size_t out = 0, need = n * (2 * sizeof(uint64_t) +
				    3 * sizeof(uint32_t));
	uint64_t *k, *tmp;
	uint32_t *ktf, *kttf, *klen;
	int fits = n > 0;

	for (size_t i = 0; fits && i < n; i++)
		fits = v[i].tf <= RK_TF && v[i].ttf <= RK_TTF &&
		       v[i].len <= 0xFFFF;
	if (fits && need > *scrcap) {
		void *p = realloc(*scr, need);

		if (p) {
			*scr = p;
			*scrcap = need;
		}
	}
	if (!fits || need > *scrcap) {
		qsort(v, n, sizeof(*v), cmp_top_rank);
		for (size_t i = 0; i < n; i++) {
			size_t dom = 0;

			for (size_t j = 0; j < out && dom < POST_TOP_K; j++)
				dom += top_dominates(&v[j], &v[i]);
			if (dom < POST_TOP_K)
				v[out++] = v[i];
		}
		return out;
	}
	k = *scr;
	tmp = k + n;
	ktf = (uint32_t *)(tmp + n);
	kttf = ktf + n;
	klen = kttf + n;
	for (size_t i = 0; i < n; i++)
		k[i] = rank_key(&v[i]);
	radix_sort64(k, tmp, n);
	for (size_t i = 0; i < n; i++) {
		post_top p = rank_unkey(k[i]);

		if (dominators(ktf, kttf, klen, out, &p) >= POST_TOP_K)
			continue;
		ktf[out] = p.tf;
		kttf[out] = p.ttf;
		klen[out] = p.len;
		v[out++] = p;
	}
	return out;
}

size_t post_top_reduce(post_top *v, size_t n)
{
	void *scr = NULL;
	size_t cap = 0, out = reduce_rank(v, n, &scr, &cap);

	free(scr);
	qsort(v, out, sizeof(*v), cmp_top_docid);
	return out;
}

void post_topacc_init(post_topacc *a)
{
	memset(a, 0, sizeof(*a));
	a->thr_set = 1;
	post_topacc_reset(a);
}

/* Runs once a term: the 4 KB filter is filled again only when a reduce
 * set it (most terms never fill the list). */
void post_topacc_reset(post_topacc *a)
{
	a->n = a->kept = 0;
	a->finished = 0;
	if (!a->thr_set)
		return;
	a->thr_set = 0;
	for (size_t t = 0; t <= POST_TOP_TFMAX; t++)
		for (size_t u = 0; u <= POST_TOP_TTFMAX; u++)
			a->thr[t][u] = UINT32_MAX;
}

void post_topacc_release(post_topacc *a)
{
	free(a->v);
	free(a->scr);
	memset(a, 0, sizeof(*a));
}

/* Reduce, then thr[t][u] from the kept postings, tf descending, for
 * each u over those of ttf >= u. */
static void topacc_reduce(post_topacc *a)
{
	a->n = reduce_rank(a->v, a->n, &a->scr, &a->scrcap);
	a->kept = a->n;
	a->thr_set = 1;
	for (uint32_t u = 0; u <= POST_TOP_TTFMAX; u++) {
		uint32_t cur[POST_TOP_K];
		size_t nc = 0, i = 0;

		for (; i < a->n && a->v[i].tf > POST_TOP_TFMAX; i++)
			if (a->v[i].ttf >= u)
				lens_keep(cur, &nc, a->v[i].len);
		for (uint32_t t = POST_TOP_TFMAX; t >= 1; t--) {
			for (; i < a->n && a->v[i].tf == t; i++)
				if (a->v[i].ttf >= u)
					lens_keep(cur, &nc, a->v[i].len);
			a->thr[t][u] = nc == POST_TOP_K ?
				       cur[POST_TOP_K - 1] : UINT32_MAX;
		}
	}
}

int post_topacc_add(post_topacc *a, uint32_t docid, uint32_t tf,
		    uint32_t ttf, uint32_t len)
{
	int known = tf <= POST_TOP_TFMAX && ttf <= POST_TOP_TTFMAX;

	if (known && len > a->thr[tf][ttf])
		return 0;
	/* Reduce early and then as the list doubles, so that the test
	 * above turns most postings away from the start. */
	if (a->n >= 2 * a->kept + 16 * POST_TOP_K) {
		topacc_reduce(a);
		if (known && len > a->thr[tf][ttf])
			return 0;
	}
	if (a->n == a->cap) {
		post_top *p = arr_grow(a->v, &a->cap, sizeof(*p), 256);

		if (!p)
			return LEDE_ENOMEM;
		a->v = p;
	}
	a->v[a->n].docid = docid;
	a->v[a->n].tf = tf;
	a->v[a->n].ttf = ttf;
	a->v[a->n].len = len;
	a->n++;
	a->finished = 0;
	return 0;
}

void post_topacc_finish(post_topacc *a)
{
	if (a->finished)
		return;
	if (a->n > a->kept)
		topacc_reduce(a);
	qsort(a->v, a->n, sizeof(*a->v), cmp_top_docid);
	a->finished = 1;
}

int post_term_encode_inline(uint32_t df, const post_dirent *ent,
			    const uint8_t *blk, size_t blen,
			    const uint8_t *pos, size_t plen, buf *out)
{
	size_t len0 = out->len;
	int rc = term_encode(df, ent, 1, 1, out);

	if (!rc)
		rc = buf_add_varint(out, blen);
	if (!rc)
		rc = buf_add(out, blk, blen);
	if (!rc)
		rc = buf_add_varint(out, plen);
	if (!rc)
		rc = buf_add(out, pos, plen);
	if (rc)
		out->len = len0;
	return rc;
}

int post_term_df(const uint8_t *p, size_t len, uint32_t *df)
{
	return varint_get32(&p, p + len, df);
}

int post_term_decode(const uint8_t *p, size_t len, uint32_t *df,
		     post_dirent **ents, size_t *n)
{
	return post_term_decode_ex(p, len, df, ents, n, NULL);
}

static int get_bytes(const uint8_t **p, const uint8_t *end,
		     const uint8_t **s, size_t *n)
{
	uint64_t x;

	if (varint_get(p, end, &x) || x > (uint64_t)(end - *p))
		return LEDE_ECORRUPT;
	*s = *p;
	*n = (size_t)x;
	*p += x;
	return 0;
}

int post_term_decode_ex(const uint8_t *p, size_t len, uint32_t *df,
			post_dirent **ents, size_t *n, post_inline *inl)
{
	const uint8_t *end = p + len;
	post_dirent *v = NULL;
	post_loc pb = { 0, 0, 0 }, pp = { 0, 0, 0 };
	uint64_t nb, i, x, prev = 0;
	int rc = LEDE_ECORRUPT, is_inl;
	post_inline il = { NULL, 0, NULL, 0, NULL, 0, 0 };

	*ents = NULL;
	*n = 0;
	if (inl)
		*inl = il;
	if (varint_get32(&p, end, df) || varint_get(&p, end, &nb))
		return LEDE_ECORRUPT;
	is_inl = (int)(nb & 1);
	nb >>= 1;
	if (is_inl && nb != 1)
		return LEDE_ECORRUPT;
	/* Reject a count the bytes cannot hold before allocating for it. */
	if (nb > (uint64_t)(end - p) / (is_inl ? DIRENT_MIN_BYTES :
					 DIRENT_LOC_MIN_BYTES))
		return LEDE_ECORRUPT;
	if (nb == 0)
		return p == end ? 0 : LEDE_ECORRUPT;
	/* not zeroed: every field read is set below (pairs up to npairs) */
	v = malloc((size_t)nb * sizeof(*v));
	if (!v)
		return LEDE_ENOMEM;
	for (i = 0; i < nb; i++) {
		post_dirent *e = &v[i];
		uint32_t j, d;

		if (varint_get32_fast(&p, end, &d) || d == 0 ||
		    d > UINT32_MAX - prev)
			goto out;
		e->first = (uint32_t)(prev + d);
		if (varint_get32_fast(&p, end, &d) || d > UINT32_MAX - e->first)
			goto out;
		e->last = e->first + d;
		if (end - p < 2)
			goto out;
		e->n = (uint32_t)p[0] + 1;
		e->npairs = p[1];
		p += 2;
		if (e->npairs < 1 || e->npairs > POST_MAX_PAIRS)
			goto out;
		for (j = 0; j < e->npairs; j++) {
			if (varint_get32_fast(&p, end, &e->pairs[j].tf) ||
			    varint_get32_fast(&p, end, &e->pairs[j].len))
				goto out;
		}
		if (is_inl) {
			memset(&e->bl, 0, sizeof(e->bl));
			memset(&e->pl, 0, sizeof(e->pl));
		} else if (loc_get(&p, end, &e->bl, &pb) || e->bl.len == 0 ||
			   loc_get(&p, end, &e->pl, &pp)) {
			goto out;
		}
		if (!dirent_ok(e, (uint32_t)prev, i == 0))
			goto out;
		prev = e->last;
	}
	if (is_inl && (get_bytes(&p, end, &il.blk, &il.blen) ||
		       il.blen == 0 ||
		       get_bytes(&p, end, &il.pos, &il.plen)))
		goto out;
	if (!is_inl) {
		/* The top list: its count, then the rest of the record. */
		if (varint_get(&p, end, &x) || x == 0 ||
		    x > (uint64_t)(end - p) / 3)
			goto out;
		/* Not walked here: a query reads a term's record far more
		 * often than its top list, and post_top_decode checks every
		 * byte of the list when it is read (so does lede check). */
		il.ntop = (size_t)x;
		il.top = p;
		il.top_len = (size_t)(end - p);
		p = end;
	}
	if (p != end)
		goto out;
	if (inl)
		*inl = il;
	*ents = v;
	*n = (size_t)nb;
	v = NULL;
	rc = 0;
out:
	free(v);
	return rc;
}
