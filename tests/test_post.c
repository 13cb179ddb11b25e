/*
 * test_post.c - unit tests for the postings codec (common/post.c and
 * its positions codec common/post_pos.c).
 *
 * Every decoder is fed bytes copied to the very end of a malloc'd buffer
 * of exactly their size, so under ASan a read one byte past the value
 * (which in production would be past an LMDB value in the mmap) aborts
 * the test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../common/post.h"
#include "t.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* A one-entry top list for records whose top list is not the point. */
static const post_top top1[1] = { { 1, 1, 0, 0 } };

static uint64_t rnd64(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd32(void)
{
	return (uint32_t)(rnd64() >> 32);
}

/* Uniform-ish in [lo, hi], hi - lo < 2^32. */
static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	uint64_t span = (uint64_t)hi - lo + 1;

	return lo + (uint32_t)(rnd64() % span);
}

static double rnd_unit(void)
{
	return (double)(rnd64() >> 11) / 9007199254740992.0;
}

/* A copy of p[0..n) placed flush against the end of its allocation, so
 * under ASan a read past it reports; free with exact_free(). ASan lets a
 * malloc(0) region be read, so an empty value is the end of a 1-byte
 * block (passed through a volatile so gcc cannot see into it and warn
 * that the byte "may be used uninitialized": it is never read). */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *m = malloc(n ? n : 1);
	uint8_t *volatile q;

	if (!m)
		abort();
	if (n)
		memcpy(m, p, n);
	q = n ? m : m + 1;
	return q;
}

static void exact_free(uint8_t *p, size_t n)
{
	free(n ? p : p - 1);
}

static uint32_t mask_w(unsigned w)
{
	return w == 32 ? UINT32_MAX : (uint32_t)(((uint64_t)1 << w) - 1);
}

/* Reference bit reader: value i at width w, LSB first, bit by bit. */
static uint32_t ref_get(const uint8_t *p, unsigned i, unsigned w)
{
	uint32_t v = 0;
	unsigned k;

	for (k = 0; k < w; k++) {
		size_t bit = (size_t)i * w + k;
		if (p[bit / 8] >> (bit % 8) & 1)
			v |= (uint32_t)1 << k;
	}
	return v;
}

static void test_bits(void)
{
	CHECK_INT(post_bits(0), 0);
	CHECK_INT(post_bits(1), 1);
	CHECK_INT(post_bits(2), 2);
	CHECK_INT(post_bits(255), 8);
	CHECK_INT(post_bits(256), 9);
	CHECK_INT(post_bits(UINT32_MAX), 32);
	CHECK_INT(post_packed_bytes(0, 32), 0);
	CHECK_INT(post_packed_bytes(128, 0), 0);
	CHECK_INT(post_packed_bytes(1, 1), 1);
	CHECK_INT(post_packed_bytes(9, 1), 2);
	CHECK_INT(post_packed_bytes(3, 3), 2);
	CHECK_INT(post_packed_bytes(128, 32), 512);
}

static void test_pack_layout(void)
{
	static const uint32_t v[3] = { 1, 2, 3 };
	uint32_t out[3];
	buf b;

	/* 001 010 011 LSB first: 1 | 2 << 3 | 3 << 6 = 0xd1, then 3 >> 2. */
	buf_init(&b);
	CHECK_INT(post_pack(v, 3, 3, &b), 0);
	CHECK_INT(b.len, 2);
	CHECK(b.len == 2 && b.data[0] == 0xd1 && b.data[1] == 0x00);
	post_unpack(b.data, 3, 3, out);
	CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3);
	/* Rejects: a value wider than w, a width over 32; out unchanged. */
	CHECK_INT(post_pack(v, 3, 1, &b), LEDE_EINVAL);
	CHECK_INT(post_pack(v, 3, 33, &b), LEDE_EINVAL);
	CHECK_INT(b.len, 2);
	buf_release(&b);
}

static void test_pack_roundtrip(void)
{
	static const unsigned ns[] = { 0, 1, 3, 7, 8, 9, 31, 32, 33, 127,
				       128 };
	uint32_t v[129], out[130];
	unsigned w, ni, i, mode;
	int bad_layout = 0, bad_value = 0, bad_len = 0, bad_guard = 0;
	buf b;

	buf_init(&b);
	for (w = 0; w <= 32; w++) {
		for (ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
			for (mode = 0; mode < 3; mode++) {
				unsigned n = ns[ni];
				uint8_t *p;

				/* random, all max, max at both ends */
				for (i = 0; i < n; i++)
					v[i] = mode == 1 ? mask_w(w) :
					       rnd32() & mask_w(w);
				if (mode == 2 && n) {
					v[0] = mask_w(w);
					v[n - 1] = mask_w(w);
				}
				buf_clear(&b);
				if (post_pack(v, n, w, &b)) {
					bad_len++;
					continue;
				}
				if (b.len != post_packed_bytes(n, w))
					bad_len++;
				p = exact_copy(b.data, b.len);
				for (i = 0; i < n; i++)
					if (ref_get(p, i, w) != v[i])
						bad_layout++;
				for (i = 0; i < 130; i++)
					out[i] = 0xdeadbeef;
				post_unpack(p, n, w, out);
				for (i = 0; i < n; i++)
					if (out[i] != v[i])
						bad_value++;
				if (out[n] != 0xdeadbeef)
					bad_guard++;
				exact_free(p, b.len);
			}
		}
	}
	CHECK_INT(bad_len, 0);
	CHECK_INT(bad_layout, 0);
	CHECK_INT(bad_value, 0);
	CHECK_INT(bad_guard, 0);

	/* Padding bits set in the last byte must not leak into values. */
	{
		uint8_t raw[2] = { 0xff, 0xff };
		uint8_t *p = exact_copy(raw, 2);

		post_unpack(p, 3, 5, out);  /* 15 bits used, 1 padding */
		CHECK(out[0] == 31 && out[1] == 31 && out[2] == 31);
		exact_free(p, 2);
	}
	buf_release(&b);
}

static int block_roundtrip(const uint32_t *d, const uint32_t *tf,
			   unsigned n)
{
	uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX];
	unsigned on = 0, i;
	int ok = 1;
	uint8_t *p;
	buf b;

	buf_init(&b);
	if (post_block_encode(d, tf, n, &b)) {
		buf_release(&b);
		return 0;
	}
	if (b.len > POST_BLOCK_BYTES_MAX)
		ok = 0;
	p = exact_copy(b.data, b.len);
	if (post_block_decode(p, b.len, d[0], od, ot, &on) || on != n)
		ok = 0;
	for (i = 0; ok && i < n; i++)
		if (od[i] != d[i] || ot[i] != tf[i])
			ok = 0;
	/* the docids alone, as counting reads them */
	memset(od, 0, sizeof(od));
	on = 0;
	if (post_block_docids(p, b.len, d[0], od, &on) || on != n)
		ok = 0;
	for (i = 0; ok && i < n; i++)
		if (od[i] != d[i])
			ok = 0;
	exact_free(p, b.len);
	buf_release(&b);
	return ok;
}

static int block_decode_rc(const uint8_t *raw, size_t len, uint32_t first)
{
	uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX];
	unsigned on = 99;
	uint8_t *p = exact_copy(raw, len);
	int rc = post_block_decode(p, len, first, od, ot, &on);

	exact_free(p, len);
	return rc;
}

static void test_block(void)
{
	static const unsigned ns[] = { 1, 2, 3, 8, 9, 127, 128 };
	uint32_t d[POST_BLOCK_MAX + 1], tf[POST_BLOCK_MAX + 1];
	unsigned ni, i, rep;
	int fails = 0;
	buf b;

	buf_init(&b);

	/* Hand layout: docids 5 6 9, tfs 1 1 2 -> gaps-1 {0,2} at 2 bits,
	 * tf-1 {0,0,1} at 1 bit. */
	d[0] = 5; d[1] = 6; d[2] = 9;
	tf[0] = 1; tf[1] = 1; tf[2] = 2;
	CHECK_INT(post_block_encode(d, tf, 3, &b), 0);
	CHECK_INT(b.len, 5);
	CHECK(b.len == 5 && b.data[0] == 3 && b.data[1] == 2 &&
	      b.data[2] == 1 && b.data[3] == 0x08 && b.data[4] == 0x04);

	for (ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
		unsigned n = ns[ni];

		for (rep = 0; rep < 50; rep++) {
			/* Gaps of a random width, tfs of another. */
			unsigned gw = rnd_range(0, 24), tw = rnd_range(0, 12);
			uint64_t x = rnd_range(1, 1000);

			for (i = 0; i < n; i++) {
				d[i] = (uint32_t)x;
				tf[i] = 1 + (rnd32() & mask_w(tw));
				x += 1 + (rnd32() & mask_w(gw));
			}
			if (!block_roundtrip(d, tf, n))
				fails++;
		}
		/* tfs all 1: no tf bytes at all. */
		for (i = 0; i < n; i++) {
			d[i] = 1000 + 3 * i;
			tf[i] = 1;
		}
		buf_clear(&b);
		CHECK_INT(post_block_encode(d, tf, n, &b), 0);
		CHECK_INT(b.data[2], 0);
		CHECK_INT(b.len, 3 + post_packed_bytes(n - 1, post_bits(2)));
		CHECK(block_roundtrip(d, tf, n));
		/* Consecutive docids, tf 1: the 3-byte header is all. */
		for (i = 0; i < n; i++)
			d[i] = 77 + i;
		buf_clear(&b);
		CHECK_INT(post_block_encode(d, tf, n, &b), 0);
		CHECK_INT(b.len, 3);
		CHECK(block_roundtrip(d, tf, n));
		/* Big tfs, up to UINT32_MAX. */
		for (i = 0; i < n; i++)
			tf[i] = UINT32_MAX - (i % 2 ? 0 : rnd_range(0, 9));
		CHECK(block_roundtrip(d, tf, n));
		buf_clear(&b);
		CHECK_INT(post_block_encode(d, tf, n, &b), 0);
		CHECK_INT(b.data[2], 32);
		/* The last docids of the space. */
		for (i = 0; i < n; i++) {
			d[i] = UINT32_MAX - (n - 1 - i);
			tf[i] = 1;
		}
		CHECK(block_roundtrip(d, tf, n));
	}
	CHECK_INT(fails, 0);

	/* Huge gaps: docid 1, then near UINT32_MAX. */
	d[0] = 1; d[1] = UINT32_MAX - 1; d[2] = UINT32_MAX;
	tf[0] = 3; tf[1] = 1; tf[2] = 70000;
	CHECK(block_roundtrip(d, tf, 3));
	buf_clear(&b);
	CHECK_INT(post_block_encode(d, tf, 3, &b), 0);
	/* Plain would be 3 + 8 + 7 bytes: both arrays take exceptions. */
	CHECK_INT(b.data[1], 0x80 | 4);
	CHECK(b.len < 3 + 8 + 7);
	d[0] = 0; d[1] = UINT32_MAX;
	CHECK(block_roundtrip(d, tf, 2));

	/* Encode rejects. */
	for (i = 0; i <= POST_BLOCK_MAX; i++) {
		d[i] = 10 + i;
		tf[i] = 1;
	}
	buf_clear(&b);
	CHECK_INT(post_block_encode(d, tf, 0, &b), LEDE_EINVAL);
	CHECK_INT(post_block_encode(d, tf, POST_BLOCK_MAX + 1, &b),
		  LEDE_EINVAL);
	tf[5] = 0;
	CHECK_INT(post_block_encode(d, tf, 9, &b), LEDE_EINVAL);
	tf[5] = 1;
	d[5] = d[4];
	CHECK_INT(post_block_encode(d, tf, 9, &b), LEDE_EINVAL);
	d[5] = d[4] - 1;
	CHECK_INT(post_block_encode(d, tf, 9, &b), LEDE_EINVAL);
	CHECK_INT(b.len, 0);

	/* Decode rejects. A valid block to damage: */
	for (i = 0; i < 20; i++) {
		d[i] = 100 + 7 * i;
		tf[i] = 1 + i;
	}
	buf_clear(&b);
	CHECK_INT(post_block_encode(d, tf, 20, &b), 0);
	CHECK_INT(block_decode_rc(b.data, b.len, 100), 0);
	for (i = 0; i < b.len; i++)  /* every truncation */
		if (block_decode_rc(b.data, i, 100) != LEDE_ECORRUPT)
			fails++;
	CHECK_INT(fails, 0);
	{
		uint8_t raw[POST_BLOCK_BYTES_MAX + 8];

		memcpy(raw, b.data, b.len);
		raw[b.len] = 0;  /* overlong */
		CHECK_INT(block_decode_rc(raw, b.len + 1, 100), LEDE_ECORRUPT);
		raw[0] = 0;      /* n = 0 */
		CHECK_INT(block_decode_rc(raw, b.len, 100), LEDE_ECORRUPT);
		raw[0] = 129;    /* n = 129 */
		CHECK_INT(block_decode_rc(raw, b.len, 100), LEDE_ECORRUPT);
		raw[0] = 255;
		CHECK_INT(block_decode_rc(raw, b.len, 100), LEDE_ECORRUPT);
		raw[0] = 20;
		CHECK_INT(block_decode_rc(raw, b.len, 100), 0);
		raw[1] = 33;     /* wd = 33 */
		CHECK_INT(block_decode_rc(raw, b.len, 100), LEDE_ECORRUPT);
		raw[1] = b.data[1];
		raw[2] = 33;     /* wt = 33 */
		CHECK_INT(block_decode_rc(raw, b.len, 100), LEDE_ECORRUPT);

		/* 129 documents with all widths 0 is 3 bytes long. */
		raw[0] = 129; raw[1] = 0; raw[2] = 0;
		CHECK_INT(block_decode_rc(raw, 3, 1), LEDE_ECORRUPT);
		raw[0] = 128;
		CHECK_INT(block_decode_rc(raw, 3, 1), 0);
		/* ... which runs past UINT32_MAX from a late first docid. */
		CHECK_INT(block_decode_rc(raw, 3, UINT32_MAX - 127), 0);
		CHECK_INT(block_decode_rc(raw, 3, UINT32_MAX - 126),
			  LEDE_ECORRUPT);
		/* Gaps that only overflow as a 64-bit sum. */
		raw[0] = 3; raw[1] = 32; raw[2] = 0;
		memset(raw + 3, 0xff, 8);  /* two gaps of 2^32 */
		CHECK_INT(block_decode_rc(raw, 11, 1), LEDE_ECORRUPT);
		memset(raw + 3, 0x80, 8);  /* 2 * 0x80808081 */
		CHECK_INT(block_decode_rc(raw, 11, 1), LEDE_ECORRUPT);
		/* tf - 1 = UINT32_MAX cannot be a uint32 tf. */
		raw[0] = 1; raw[1] = 0; raw[2] = 32;
		memset(raw + 3, 0xff, 4);
		CHECK_INT(block_decode_rc(raw, 7, 1), LEDE_ECORRUPT);
		raw[3] = 0xfe;
		CHECK_INT(block_decode_rc(raw, 7, 1), 0);
		CHECK_INT(block_decode_rc(raw, 2, 1), LEDE_ECORRUPT);
		CHECK_INT(block_decode_rc(raw, 0, 1), LEDE_ECORRUPT);
	}
	buf_release(&b);
}

/* The size plain packing gives a block, to hold the encoder to it. */
static size_t block_plain_bytes(const uint32_t *d, const uint32_t *tf,
				unsigned n)
{
	uint32_t gmax = 0, tmax = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		tmax |= tf[i] - 1;
		if (i)
			gmax |= d[i] - d[i - 1] - 1;
	}
	return 3 + post_packed_bytes(n - 1, post_bits(gmax)) +
	       post_packed_bytes(n, post_bits(tmax));
}

/* Random block: gaps-1 of width gw with k outliers of width ow, tfs-1 of
 * width tw with k outliers of width ot (widths 0..32, tf-1 < 2^32-1),
 * docids kept inside uint32. */
static void block_outliers(uint32_t *d, uint32_t *tf, unsigned n,
			   unsigned gw, unsigned ow, unsigned tw, unsigned ot,
			   unsigned k)
{
	uint64_t x = 1;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t g = rnd32() & mask_w(gw), t = rnd32() & mask_w(tw);

		if (i && rnd_range(0, n) < k)
			g = rnd32() & mask_w(ow);
		if (rnd_range(0, n) < k)
			t = rnd32() & mask_w(ot);
		if (t == UINT32_MAX)
			t--;
		/* Room left for the remaining n - i documents. */
		if (i && x + g + 1 > (uint64_t)UINT32_MAX - n)
			g = 0;
		x += i ? (uint64_t)g + 1 : 0;
		d[i] = (uint32_t)x;
		tf[i] = t + 1;
	}
}

static void test_block_pfor(void)
{
	static const unsigned ns[] = { 1, 2, 3, 8, 9, 127, 128 };
	uint32_t d[POST_BLOCK_MAX], tf[POST_BLOCK_MAX];
	unsigned i, ni, w, ow, rep;
	int fails = 0, bigger = 0, plainsz = 0, flagged = 0;
	buf b;

	buf_init(&b);

	/* One huge gap among small ones: the gaps take an exception. */
	for (i = 0; i < 128; i++) {
		d[i] = 10 + 2 * i + (i >= 70 ? 1000000 : 0);
		tf[i] = 1 + i % 2;
	}
	CHECK_INT(post_block_encode(d, tf, 128, &b), 0);
	CHECK_INT(b.data[1], 0x80 | 1);
	CHECK_INT(b.data[2], 1);
	/* 16 + 16 packed bytes, count, index 69, 3-byte varint */
	CHECK_INT(b.len, 3 + 16 + 16 + 1 + 1 + 3);
	CHECK(b.len < block_plain_bytes(d, tf, 128));
	CHECK(block_roundtrip(d, tf, 128));

	/* One huge tf among small ones: the tfs take an exception. */
	for (i = 0; i < 128; i++) {
		d[i] = 10 + i;
		tf[i] = 1 + (i % 3 == 0);
	}
	tf[127] = 1000000;
	buf_clear(&b);
	CHECK_INT(post_block_encode(d, tf, 128, &b), 0);
	CHECK_INT(b.data[1], 0);
	CHECK_INT(b.data[2], 0x80 | 1);
	CHECK_INT(b.len, 3 + 16 + 1 + 1 + 3);
	CHECK(block_roundtrip(d, tf, 128));
	/* ... and the largest tf of all as the outlier. */
	tf[127] = UINT32_MAX;
	CHECK(block_roundtrip(d, tf, 128));
	buf_clear(&b);
	CHECK_INT(post_block_encode(d, tf, 128, &b), 0);
	CHECK_INT(b.data[2], 0x80 | 1);

	/* Every base width under every outlier width, every block size;
	 * the encoder is never worse than plain, and equal to it exactly
	 * when it writes no exception list. */
	for (ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
		unsigned n = ns[ni];

		for (ow = 1; ow <= 32; ow++) {
			for (w = 0; w < ow; w++) {
				for (rep = 0; rep < 2; rep++) {
					size_t plain;

					block_outliers(d, tf, n, w, ow, w % 13,
						       ow, rnd_range(1, 4));
					buf_clear(&b);
					if (post_block_encode(d, tf, n, &b)) {
						fails++;
						continue;
					}
					plain = block_plain_bytes(d, tf, n);
					if (b.len > plain)
						bigger++;
					if ((b.data[1] | b.data[2]) & 0x80)
						flagged++;
					else if (b.len != plain)
						plainsz++;
					if (!block_roundtrip(d, tf, n))
						fails++;
				}
			}
		}
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bigger, 0);
	CHECK_INT(plainsz, 0);
	CHECK(flagged > 1000);

	/* Hand layout: 17 docs, gaps-1 all 0 but gap 5 = 300 (299 + 1 as
	 * the high part at width 0), tfs all 1: count 1, index 5, varint
	 * 299 = ab 02, where plain would pack 16 gaps at 9 bits. */
	for (i = 0; i < 17; i++) {
		d[i] = 100 + i + (i > 5 ? 300 : 0);
		tf[i] = 1;
	}
	buf_clear(&b);
	CHECK_INT(post_block_encode(d, tf, 17, &b), 0);
	{
		static const uint8_t want[] = { 17, 0x80, 0, 1, 5, 0xab, 0x02 };

		CHECK(b.len == sizeof(want) &&
		      memcmp(b.data, want, sizeof(want)) == 0);
	}
	{
		uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX];
		uint8_t raw[96];
		unsigned on = 0;
		uint8_t *p;

		memcpy(raw, b.data, b.len);
		p = exact_copy(raw, 7);
		CHECK_INT(post_block_decode(p, 7, 100, od, ot, &on), 0);
		CHECK(on == 17 && od[5] == 105 && od[6] == 406 &&
		      od[16] == 416 && ot[16] == 1);
		exact_free(p, 7);
		for (i = 0; i < 7; i++)  /* every truncation */
			if (block_decode_rc(raw, i, 100) != LEDE_ECORRUPT)
				fails++;
		CHECK_INT(fails, 0);
		raw[7] = 0;      /* overlong */
		CHECK_INT(block_decode_rc(raw, 8, 100), LEDE_ECORRUPT);
		raw[4] = 15;     /* last gap index */
		CHECK_INT(block_decode_rc(raw, 7, 100), 0);
		raw[4] = 16;     /* index out of range: 16 gaps */
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[4] = 255;
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[4] = 5;
		raw[3] = 0;      /* count 0 */
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[3] = 2;      /* count 2, one entry: truncated */
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[3] = 17;     /* count over the 16 gaps */
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[3] = 1;
		raw[1] = 0xc0;   /* reserved bit 6 */
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[1] = 0x40;
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[1] = 0x80 | 32;  /* exceptions at width 32 */
		memset(raw + 3, 0, 64);
		raw[3 + 64] = 1; raw[3 + 65] = 5; raw[3 + 66] = 0;
		CHECK_INT(block_decode_rc(raw, 3 + 67, 100), LEDE_ECORRUPT);
		raw[1] = 0x80 | 33;
		CHECK_INT(block_decode_rc(raw, 3 + 67, 100), LEDE_ECORRUPT);
		raw[1] = 0x80;
		raw[2] = 0x80;   /* tf flag with nothing for it */
		raw[3] = 1; raw[4] = 5; raw[5] = 0xab; raw[6] = 0x02;
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[7] = 1; raw[8] = 16; raw[9] = 6;  /* tf of doc 16 is 8 */
		p = exact_copy(raw, 10);
		CHECK_INT(post_block_decode(p, 10, 100, od, ot, &on), 0);
		CHECK(on == 17 && ot[16] == 8 && ot[15] == 1 &&
		      od[16] == 416);
		exact_free(p, 10);
		raw[8] = 17;     /* 17 tfs: index 17 is out */
		CHECK_INT(block_decode_rc(raw, 10, 100), LEDE_ECORRUPT);
	}

	/* Two exceptions: indices must strictly ascend. */
	{
		uint8_t raw[16] = { 17, 0x80, 0, 2, 5, 1, 9, 1 };

		CHECK_INT(block_decode_rc(raw, 8, 100), 0);
		raw[6] = 5;      /* equal */
		CHECK_INT(block_decode_rc(raw, 8, 100), LEDE_ECORRUPT);
		raw[6] = 4;      /* descending */
		CHECK_INT(block_decode_rc(raw, 8, 100), LEDE_ECORRUPT);
		raw[6] = 6;
		CHECK_INT(block_decode_rc(raw, 8, 100), 0);
		CHECK_INT(block_decode_rc(raw, 7, 100), LEDE_ECORRUPT);
		raw[7] = 0x80;   /* varint running off the end */
		CHECK_INT(block_decode_rc(raw, 8, 100), LEDE_ECORRUPT);
	}

	/* High parts that leave uint32 (or tf-1 = UINT32_MAX). */
	{
		uint8_t raw[32] = { 2, 0x80, 0, 1, 0 };
		size_t k;

		/* gap-1 = 2^32 - 2 at width 0 (high - 1 = 2^32 - 3): docid
		 * 2^32 - 1 after first 0, one too many after first 1 */
		k = 5 + varint_put(raw + 5, 0xfffffffdULL);
		CHECK_INT(block_decode_rc(raw, k, 0), 0);
		CHECK_INT(block_decode_rc(raw, k, 1), LEDE_ECORRUPT);
		/* gap-1 = 2^32 - 1 fits the gap but not the docid */
		k = 5 + varint_put(raw + 5, 0xfffffffeULL);
		CHECK_INT(block_decode_rc(raw, k, 0), LEDE_ECORRUPT);
		/* gap-1 = 2^32 fits nothing */
		k = 5 + varint_put(raw + 5, 0xffffffffULL);
		CHECK_INT(block_decode_rc(raw, k, 0), LEDE_ECORRUPT);
		k = 5 + varint_put(raw + 5, UINT64_MAX);
		CHECK_INT(block_decode_rc(raw, k, 0), LEDE_ECORRUPT);
		/* width 31: a high part of 2 is 2^32 */
		raw[1] = 0x80 | 31;
		memset(raw + 3, 0, 4);
		raw[7] = 1; raw[8] = 0; raw[9] = 0;
		CHECK_INT(block_decode_rc(raw, 10, 0), 0);
		raw[9] = 1;
		CHECK_INT(block_decode_rc(raw, 10, 0), LEDE_ECORRUPT);
		/* tf: n 1, width 0, tf-1 = 2^32 - 2 fits, 2^32 - 1 not */
		raw[0] = 1; raw[1] = 0; raw[2] = 0x80; raw[3] = 1; raw[4] = 0;
		k = 5 + varint_put(raw + 5, 0xfffffffdULL);
		CHECK_INT(block_decode_rc(raw, k, 1), 0);
		k = 5 + varint_put(raw + 5, 0xfffffffeULL);
		CHECK_INT(block_decode_rc(raw, k, 1), LEDE_ECORRUPT);
		/* gap flag on a one-document block (no gaps) */
		raw[1] = 0x80; raw[2] = 0; raw[3] = 1; raw[4] = 0; raw[5] = 0;
		CHECK_INT(block_decode_rc(raw, 6, 1), LEDE_ECORRUPT);
	}
	buf_release(&b);
}

static int pos_decode_rc(const uint8_t *raw, size_t len, const uint32_t *tfs,
			 unsigned n, uint32_t *pos, size_t cap)
{
	uint8_t *p = exact_copy(raw, len);
	int rc = post_pos_decode(p, len, tfs, NULL, n, pos, cap);

	exact_free(p, len);
	return rc;
}

/* What every encoded positions value b must do: decode to pos (total
 * of them), be too big for one entry less of room, and be corrupt cut
 * by its last byte or grown by a zero byte. Returns the failures. */
static int pos_value_fails(buf *b, const uint32_t *tfs, const uint32_t *lens,
			   unsigned n, const uint32_t *pos, size_t total,
			   uint32_t *out)
{
	uint8_t *p = exact_copy(b->data, b->len);
	int fails = 0;

	if (post_pos_decode(p, b->len, tfs, lens, n, out, total) ||
	    memcmp(out, pos, total * sizeof(*pos)))
		fails++;
	if (post_pos_decode(p, b->len, tfs, lens, n, out, total - 1) !=
	    LEDE_ETOOBIG)
		fails++;
	exact_free(p, b->len);
	if (b->len > 1) {
		p = exact_copy(b->data, b->len - 1);
		if (post_pos_decode(p, b->len - 1, tfs, lens, n, out, total) !=
		    LEDE_ECORRUPT)
			fails++;
		exact_free(p, b->len - 1);
	}
	if (buf_addc(b, 0))
		return fails + 1;
	p = exact_copy(b->data, b->len);
	if (post_pos_decode(p, b->len, tfs, lens, n, out, total) !=
	    LEDE_ECORRUPT)
		fails++;
	exact_free(p, b->len);
	b->len--;
	return fails;
}

static void test_positions(void)
{
	static uint32_t pos[POST_BLOCK_MAX * 64], out[POST_BLOCK_MAX * 64];
	uint32_t tfs[POST_BLOCK_MAX];
	unsigned rep, i, n;
	size_t k, total;
	int fails = 0;
	buf b;

	buf_init(&b);
	/* Hand layout: doc tfs {2, 1}, positions {3, 4} {10}. */
	tfs[0] = 2; tfs[1] = 1;
	pos[0] = 3; pos[1] = 4; pos[2] = 10;
	CHECK_INT(post_pos_encode(pos, tfs, NULL, 2, &b), 0);
	CHECK_INT(b.len, 4);
	CHECK(b.len == 4 && b.data[0] == 0 && b.data[1] == 3 &&
	      b.data[2] == 0 && b.data[3] == 10);
	CHECK_INT(pos_decode_rc(b.data, b.len, tfs, 2, out, 3), 0);
	CHECK(out[0] == 3 && out[1] == 4 && out[2] == 10);
	/* Rejects on this value. */
	CHECK_INT(pos_decode_rc(b.data, b.len, tfs, 2, out, 2), LEDE_ETOOBIG);
	CHECK_INT(pos_decode_rc(b.data, 3, tfs, 2, out, 3), LEDE_ECORRUPT);
	CHECK_INT(pos_decode_rc(b.data, 0, tfs, 2, out, 3), LEDE_ECORRUPT);
	{
		uint8_t raw[8];

		memcpy(raw, b.data, 4);
		raw[4] = 0;  /* overlong */
		CHECK_INT(pos_decode_rc(raw, 5, tfs, 2, out, 3),
			  LEDE_ECORRUPT);
		raw[0] = 4;  /* unknown codec */
		CHECK_INT(pos_decode_rc(raw, 4, tfs, 2, out, 3),
			  LEDE_ECORRUPT);
		/* First position UINT32_MAX then a gap: overflow. */
		raw[0] = 0;
		raw[1] = 0xff; raw[2] = 0xff; raw[3] = 0xff; raw[4] = 0xff;
		raw[5] = 0x0f; raw[6] = 0x00;
		tfs[0] = 1;
		CHECK_INT(pos_decode_rc(raw, 6, tfs, 1, out, 3), 0);
		CHECK_INT(out[0], UINT32_MAX);
		tfs[0] = 2;
		CHECK_INT(pos_decode_rc(raw, 7, tfs, 1, out, 3),
			  LEDE_ECORRUPT);
		/* A position over 32 bits. */
		raw[5] = 0x1f;
		tfs[0] = 1;
		CHECK_INT(pos_decode_rc(raw, 6, tfs, 1, out, 3),
			  LEDE_ECORRUPT);
	}
	/* Encode rejects non-increasing positions and appends nothing. */
	buf_clear(&b);
	tfs[0] = 3;
	pos[0] = 5; pos[1] = 9; pos[2] = 9;
	CHECK_INT(post_pos_encode(pos, tfs, NULL, 1, &b), LEDE_EINVAL);
	pos[2] = 2;
	CHECK_INT(post_pos_encode(pos, tfs, NULL, 1, &b), LEDE_EINVAL);
	CHECK_INT(b.len, 0);

	/* Random round trips, including positions near UINT32_MAX. */
	for (rep = 0; rep < 300; rep++) {
		uint8_t *p;

		n = rnd_range(1, POST_BLOCK_MAX);
		k = 0;
		for (i = 0; i < n; i++) {
			uint64_t x = rep % 10 == 0 ? UINT32_MAX - 200 :
				     rnd_range(0, 5000);
			uint32_t j;

			tfs[i] = rnd_range(1, rep % 3 ? 4 : 60);
			for (j = 0; j < tfs[i]; j++) {
				pos[k++] = (uint32_t)x;
				x += rnd_range(1, rep % 2 ? 3 : 2);
			}
		}
		total = k;
		buf_clear(&b);
		if (post_pos_encode(pos, tfs, NULL, n, &b)) {
			fails++;
			continue;
		}
		fails += pos_value_fails(&b, tfs, NULL, n, pos, total, out);
		/* Without its first byte it is corrupt too. */
		p = exact_copy(b.data, b.len);
		if (post_pos_decode(p + 1, b.len - 1, tfs, NULL, n, out,
				    total) != LEDE_ECORRUPT)
			fails++;
		exact_free(p, b.len);
	}
	CHECK_INT(fails, 0);
	buf_release(&b);
}

/* Bytes codec 0 would take for these positions. */
static size_t pos_codec0_size(const uint32_t *pos, const uint32_t *tfs,
			      unsigned n)
{
	size_t size = 1, k = 0;
	unsigned i;
	uint32_t j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < tfs[i]; j++, k++) {
			uint32_t x = j ? pos[k] - pos[k - 1] - 1 : pos[k];

			size++;
			while (x >= 0x80) {
				x >>= 7;
				size++;
			}
		}
	}
	return size;
}

/* Codec 1 (Golomb-Rice) by hand, then its rejections. */
static void test_positions_rice_layout(void)
{
	static uint32_t out[8];
	uint32_t tfs[2];
	uint8_t raw[16];

	/* tfs {2}, kf 2, kg 0: first 5 = q 1 r 01 -> bits 1 0 1 0, gap-1
	 * 0 -> bit 0: one byte 0x05, positions {5, 6}. */
	tfs[0] = 2;
	raw[0] = 1; raw[1] = 2; raw[2] = 0; raw[3] = 0x05;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), 0);
	CHECK(out[0] == 5 && out[1] == 6);
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 1), LEDE_ETOOBIG);
	CHECK_INT(pos_decode_rc(raw, 3, tfs, 1, out, 2), LEDE_ECORRUPT);
	CHECK_INT(pos_decode_rc(raw, 2, tfs, 1, out, 2), LEDE_ECORRUPT);
	CHECK_INT(pos_decode_rc(raw, 1, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[4] = 0;   /* overlong */
	CHECK_INT(pos_decode_rc(raw, 5, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[3] = 0x25;   /* a one in the padding */
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[3] = 0x05;
	raw[1] = 32;   /* k out of range */
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[1] = 31;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[1] = 2; raw[2] = 32;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[2] = 255;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	/* tf 1 everywhere: no kg byte, so the same bytes are one too many. */
	raw[2] = 0;
	tfs[0] = 1;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[2] = 0x05;   /* first 5 alone */
	CHECK_INT(pos_decode_rc(raw, 3, tfs, 1, out, 2), 0);
	CHECK_INT(out[0], 5);

	/* Escape: kf 0, 32 ones, then x = 40 in 32 bits. */
	raw[0] = 1; raw[1] = 0;
	memset(raw + 2, 0xff, 4);
	raw[6] = 40; raw[7] = 0; raw[8] = 0; raw[9] = 0;
	CHECK_INT(pos_decode_rc(raw, 10, tfs, 1, out, 2), 0);
	CHECK_INT(out[0], 40);
	raw[6] = 31;   /* fits the plain code: not canonical */
	CHECK_INT(pos_decode_rc(raw, 10, tfs, 1, out, 2), LEDE_ECORRUPT);
	memset(raw + 6, 0xff, 4);
	CHECK_INT(pos_decode_rc(raw, 10, tfs, 1, out, 2), 0);
	CHECK_INT(out[0], UINT32_MAX);
	CHECK_INT(pos_decode_rc(raw, 9, tfs, 1, out, 2), LEDE_ECORRUPT);
	CHECK_INT(pos_decode_rc(raw, 6, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[1] = 31;   /* with k 31 no escape is ever canonical */
	CHECK_INT(pos_decode_rc(raw, 10, tfs, 1, out, 2), LEDE_ECORRUPT);
	/* Then a gap: UINT32_MAX + 1 overflows. tfs {2}, kg 0, gap bit 0. */
	tfs[0] = 2;
	raw[0] = 1; raw[1] = 0; raw[2] = 0;
	memset(raw + 3, 0xff, 8);
	raw[11] = 0;
	CHECK_INT(pos_decode_rc(raw, 12, tfs, 1, out, 2), LEDE_ECORRUPT);
	tfs[0] = 1;   /* same value, without the kg byte and the gap */
	CHECK_INT(pos_decode_rc(raw + 1, 10, tfs, 1, out, 2), LEDE_ECORRUPT);

	/* k 31, q 1: 2^31 fits; q 2: 2^32 overflows uint32. */
	raw[0] = 1; raw[1] = 31; raw[2] = 0x01;
	memset(raw + 3, 0, 4);
	CHECK_INT(pos_decode_rc(raw, 7, tfs, 1, out, 2), 0);
	CHECK_INT(out[0], (uint32_t)1 << 31);
	raw[2] = 0x03;
	CHECK_INT(pos_decode_rc(raw, 7, tfs, 1, out, 2), LEDE_ECORRUPT);
	/* A unary run into the end of the value. */
	raw[1] = 0; raw[2] = 0xff; raw[3] = 0xff;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	/* Unknown codecs. */
	raw[0] = 4;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
	raw[0] = 255;
	CHECK_INT(pos_decode_rc(raw, 4, tfs, 1, out, 2), LEDE_ECORRUPT);
}

/* Bits of stream gaps (0: each document's first position, 1: the gaps
 * - 1 within a document) at Rice parameter k, with codec 1's escape. */
static uint64_t rice_stream_bits(const uint32_t *pos, const uint32_t *tfs,
				 unsigned n, int gaps, unsigned k)
{
	uint64_t bits = 0;
	size_t at = 0;

	for (unsigned i = 0; i < n; at += tfs[i], i++) {
		for (uint32_t j = gaps ? 1 : 0; j < (gaps ? tfs[i] : 1) &&
		     j < tfs[i]; j++) {
			uint32_t x = j ? pos[at + j] - pos[at + j - 1] - 1 :
				     pos[at];
			uint32_t q = x >> k;

			bits += q < 32 ? q + 1 + k : 64;
		}
	}
	return bits;
}

/* 1 when k (the encoder's choice) codes the stream in more bits than
 * k - 1 or k + 1 would. */
static int rice_k_fails(const uint32_t *pos, const uint32_t *tfs,
			unsigned n, int gaps, unsigned k)
{
	uint64_t at = rice_stream_bits(pos, tfs, n, gaps, k);

	if (k > 31)
		return 1;
	if (k > 0 && rice_stream_bits(pos, tfs, n, gaps, k - 1) < at)
		return 1;
	if (k < 31 && rice_stream_bits(pos, tfs, n, gaps, k + 1) < at)
		return 1;
	return 0;
}

/* Random blocks shaped like real ones (n 1..128, tfs 1..50, positions up
 * to 1e6 or near UINT32_MAX): both codecs round trip from exact-size
 * copies, the choice is never larger than codec 0, truncated, overlong
 * and under-capped values are rejected, and 10,000 mutations of codec 1
 * values never crash and only ever return 0 or LEDE_ECORRUPT. */
static void test_positions_random(void)
{
	static uint32_t pos[POST_BLOCK_MAX * 50], out[POST_BLOCK_MAX * 50];
	uint32_t tfs[POST_BLOCK_MAX];
	unsigned rep, i, n, ncodec[2] = { 0, 0 };
	unsigned mutated = 0, mut_ok = 0;
	int fails = 0, bad_rc = 0, bad_order = 0;
	size_t k, total;
	buf b;

	buf_init(&b);
	for (rep = 0; rep < 2000; rep++) {
		unsigned shape = rep % 5, m;
		uint32_t span = shape == 0 ? 300 : shape == 1 ? 5000 :
				1000000;
		uint8_t *p;

		n = rep % 7 == 0 ? rnd_range(1, 3) :
		    rnd_range(1, POST_BLOCK_MAX);
		k = 0;
		for (i = 0; i < n; i++) {
			uint32_t j, tf = rnd_range(1, rep % 2 ? 3 : 50);
			uint64_t x = shape == 4 ?
				     UINT32_MAX - rnd_range(0, 5000) :
				     rnd_range(0, span);

			/* Clamp so tf strictly increasing positions fit. */
			if (x > (uint64_t)UINT32_MAX - 3 * 50 * 64)
				x = (uint64_t)UINT32_MAX - 3 * 50 * 64 +
				    rnd_range(0, 500);
			tfs[i] = tf;
			for (j = 0; j < tf; j++) {
				pos[k++] = (uint32_t)x;
				x += shape == 3 ? rnd_range(1, 64 * 50) :
				     rnd_range(1, 40);
			}
		}
		total = k;
		buf_clear(&b);
		if (post_pos_encode(pos, tfs, NULL, n, &b) || b.len < 1 ||
		    b.data[0] > 1) {
			fails++;
			continue;
		}
		ncodec[b.data[0]]++;
		if (b.len > pos_codec0_size(pos, tfs, n))
			fails++;
		/* codec 1's two Rice parameters are each no worse than
		 * their neighbours for their stream (firsts, gaps - 1) */
		if (b.data[0] == 1) {
			int gaps = 0;

			for (i = 0; i < n; i++)
				gaps |= tfs[i] > 1;
			fails += rice_k_fails(pos, tfs, n, 0, b.data[1]);
			if (gaps)
				fails += rice_k_fails(pos, tfs, n, 1,
						      b.data[2]);
		}
		fails += pos_value_fails(&b, tfs, NULL, n, pos, total, out);

		if (b.data[0] != 1)
			continue;
		/* Ten mutations of each codec 1 value: flipped bits,
		 * random bytes, cut or grown length. */
		for (m = 0; m < 10 && mutated < 10000; m++, mutated++) {
			uint8_t mb[POST_BLOCK_MAX * 50 * 8 + 16];
			size_t len = b.len, at, c;
			int rc;

			memcpy(mb, b.data, len);
			for (c = rnd_range(1, 4); c > 0; c--) {
				unsigned bit = rnd_range(0, 7);

				at = rnd_range(0, (uint32_t)len - 1);
				if (rnd64() & 1)
					mb[at] ^= (uint8_t)(1u << bit);
				else
					mb[at] = (uint8_t)rnd32();
			}
			if (rnd_range(0, 3) == 0)
				len = rnd_range(0, (uint32_t)len);
			else if (rnd_range(0, 3) == 0) {
				for (c = rnd_range(1, 8); c > 0; c--)
					mb[len++] = (uint8_t)rnd32();
			}
			p = exact_copy(mb, len);
			rc = post_pos_decode(p, len, tfs, NULL, n, out, total);
			exact_free(p, len);
			/* a codec byte turned to 2 or 3 asks for lengths */
			if (rc != 0 && rc != LEDE_ECORRUPT &&
			    !(rc == LEDE_EINVAL && len &&
			      (mb[0] == 2 || mb[0] == 3)))
				bad_rc++;
			if (rc == 0) {
				uint32_t j;

				mut_ok++;
				k = 0;
				for (i = 0; i < n; i++) {
					const uint32_t *o = out + k;

					for (j = 1; j < tfs[i]; j++)
						if (o[j] <= o[j - 1])
							bad_order++;
					k += tfs[i];
				}
			}
		}
	}
	CHECK_INT(fails, 0);
	CHECK(ncodec[0] > 50);
	CHECK(ncodec[1] > 500);
	CHECK_INT(mutated, 10000);
	CHECK_INT(bad_rc, 0);
	CHECK_INT(bad_order, 0);
	CHECK(mut_ok < mutated / 2);
	buf_release(&b);
}

/* Docs (tf, len) dominated by some pair: tf' >= tf and len' <= len. */
static int pairs_cover(const post_dirent *e, const uint32_t *tfs,
		       const uint32_t *lens, unsigned n)
{
	unsigned i, j;

	for (i = 0; i < n; i++) {
		int hit = 0;

		for (j = 0; j < e->npairs; j++)
			if (e->pairs[j].tf >= tfs[i] &&
			    e->pairs[j].len <= lens[i])
				hit = 1;
		if (!hit)
			return 0;
	}
	return 1;
}

static int pairs_sorted(const post_dirent *e)
{
	unsigned j;

	if (e->npairs < 1 || e->npairs > POST_MAX_PAIRS)
		return 0;
	for (j = 1; j < e->npairs; j++)
		if (e->pairs[j].tf <= e->pairs[j - 1].tf ||
		    e->pairs[j].len <= e->pairs[j - 1].len)
			return 0;
	return 1;
}

/* Brute-force frontier size: docs no other doc dominates, deduplicated. */
static unsigned frontier_size(const uint32_t *tfs, const uint32_t *lens,
			      unsigned n)
{
	unsigned i, j, cnt = 0;

	for (i = 0; i < n; i++) {
		int dom = 0;

		for (j = 0; j < n && !dom; j++) {
			if (tfs[j] >= tfs[i] && lens[j] <= lens[i] &&
			    (tfs[j] > tfs[i] || lens[j] < lens[i] ||
			     j < i))
				dom = 1;
		}
		if (!dom)
			cnt++;
	}
	return cnt;
}

static double bm25w(uint32_t tf, uint32_t len, double k1, double b,
		    double avgdl)
{
	return tf / (tf + k1 * (1 - b + b * len / avgdl));
}

static void test_pairs(void)
{
	uint32_t tfs[POST_BLOCK_MAX], lens[POST_BLOCK_MAX];
	post_dirent e, e2;
	unsigned rep, i, n, q;
	int fails = 0, bfails = 0, exact = 0, shrunk = 0;
	double want;

	/* Hand example: frontier (1,5) (3,15) (5,100). */
	{
		static const uint32_t t[] = { 1, 2, 3, 1, 5, 3, 2 };
		static const uint32_t l[] = { 10, 20, 15, 5, 100, 15, 50 };

		memset(&e, 0, sizeof(e));
		post_pairs_compute(t, l, 7, &e);
		CHECK_INT(e.npairs, 3);
		CHECK(e.pairs[0].tf == 1 && e.pairs[0].len == 5);
		CHECK(e.pairs[1].tf == 3 && e.pairs[1].len == 15);
		CHECK(e.pairs[2].tf == 5 && e.pairs[2].len == 100);
		want = bm25w(3, 15, 1.2, 0.75, 30);
		if (bm25w(5, 100, 1.2, 0.75, 30) > want)
			want = bm25w(5, 100, 1.2, 0.75, 30);
		CHECK(post_dirent_bound(&e, 1.2, 0.75, 30) == want);
		CHECK(post_dirent_bound(&e, 1.2, 0.75, 0) == 1.0);
	}
	/* A single document. */
	tfs[0] = 4; lens[0] = 0;
	post_pairs_compute(tfs, lens, 1, &e);
	CHECK(e.npairs == 1 && e.pairs[0].tf == 4 && e.pairs[0].len == 0);
	/* Six frontier points shrink to four that still cover every doc. */
	{
		static const uint32_t t[] = { 1, 2, 3, 4, 5, 6, 2 };
		static const uint32_t l[] = { 10, 20, 30, 40, 50, 60, 25 };

		post_pairs_compute(t, l, 7, &e);
		CHECK_INT(e.npairs, POST_MAX_PAIRS);
		CHECK(pairs_sorted(&e));
		CHECK(pairs_cover(&e, t, l, 7));
		CHECK_INT(e.pairs[0].len, 10);
		CHECK_INT(e.pairs[POST_MAX_PAIRS - 1].tf, 6);
	}

	for (rep = 0; rep < 2000; rep++) {
		n = rnd_range(1, POST_BLOCK_MAX);
		for (i = 0; i < n; i++) {
			/* Correlated tf and len make long frontiers. */
			lens[i] = rnd_range(1, rep % 2 ? 3000 : 40);
			tfs[i] = rep % 3 ? rnd_range(1, 8) :
				 1 + lens[i] / rnd_range(5, 30);
		}
		post_pairs_compute(tfs, lens, n, &e);
		post_pairs_compute(tfs, lens, n, &e2);
		if (memcmp(&e.pairs, &e2.pairs, sizeof(e.pairs)) ||
		    e.npairs != e2.npairs)
			fails++;   /* not deterministic */
		if (!pairs_sorted(&e) || !pairs_cover(&e, tfs, lens, n))
			fails++;
		q = frontier_size(tfs, lens, n);
		if (q <= POST_MAX_PAIRS) {
			exact++;
			if (e.npairs != q)
				fails++;
		} else {
			shrunk++;
			if (e.npairs != POST_MAX_PAIRS)
				fails++;
		}
		for (q = 0; q < 20; q++) {
			double k1 = 0.5 + 1.5 * rnd_unit();
			double b = rnd_unit();
			double avgdl = 10 + 990 * rnd_unit();
			double bound = post_dirent_bound(&e, k1, b, avgdl);

			for (i = 0; i < n; i++)
				if (bm25w(tfs[i], lens[i], k1, b, avgdl) >
				    bound * (1 + 1e-12))
					bfails++;
		}
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bfails, 0);
	CHECK(exact > 100);   /* both branches were exercised */
	CHECK(shrunk > 100);
}

/* A random place after prev: mostly right after it, sometimes in
 * another chunk (also an earlier one), at any offset; none (len 0)
 * when none is set. */
static void make_loc(post_loc *l, const post_loc *prev, int none)
{
	uint32_t r = rnd_range(0, 9);

	memset(l, 0, sizeof(*l));
	if (none)
		return;
	l->len = rnd_range(5, r == 9 ? 300000 : 400);
	if (prev && r < 6 &&
	    (uint64_t)prev->off + prev->len + l->len <= UINT32_MAX) {
		l->chunk = prev->chunk;
		l->off = prev->off + prev->len;
		return;
	}
	l->chunk = r == 7 && prev && prev->chunk > 3 ? prev->chunk - 3 :
		   rnd_range(1, r == 8 ? UINT32_MAX - 1 : 5000);
	l->off = r == 8 ? UINT32_MAX - l->len : rnd_range(0, 65000);
}

static void make_dir(post_dirent *ents, size_t n)
{
	uint32_t tfs[POST_BLOCK_MAX], lens[POST_BLOCK_MAX];
	uint64_t prev = 0;
	size_t k;
	unsigned i;
	int title = rnd_range(0, 3) == 0;

	for (k = 0; k < n; k++) {
		post_dirent *e = &ents[k];

		memset(e, 0, sizeof(*e));
		make_loc(&e->bl, k ? &ents[k - 1].bl : NULL, 0);
		make_loc(&e->pl, k ? &ents[k - 1].pl : NULL, title);
		e->n = rnd_range(1, POST_BLOCK_MAX);
		e->first = (uint32_t)(prev + rnd_range(1, k % 7 ? 50 : 100000));
		e->last = e->first + (e->n - 1) + rnd_range(0, 300);
		for (i = 0; i < e->n; i++) {
			tfs[i] = rnd_range(1, 20);
			lens[i] = rnd_range(1, 5000);
		}
		post_pairs_compute(tfs, lens, e->n, e);
		prev = e->last;
	}
}

static int dir_equal(const post_dirent *a, const post_dirent *b, size_t n)
{
	size_t k;
	unsigned j;

	for (k = 0; k < n; k++) {
		if (a[k].first != b[k].first || a[k].last != b[k].last ||
		    a[k].n != b[k].n || a[k].npairs != b[k].npairs ||
		    memcmp(&a[k].bl, &b[k].bl, sizeof(a[k].bl)) ||
		    memcmp(&a[k].pl, &b[k].pl, sizeof(a[k].pl)))
			return 0;
		for (j = 0; j < a[k].npairs; j++)
			if (a[k].pairs[j].tf != b[k].pairs[j].tf ||
			    a[k].pairs[j].len != b[k].pairs[j].len)
				return 0;
	}
	return 1;
}

static int term_decode_rc(const uint8_t *raw, size_t len, uint32_t *df,
			  post_dirent **ents, size_t *n)
{
	uint8_t *p = exact_copy(raw, len);
	int rc = post_term_decode(p, len, df, ents, n);

	exact_free(p, len);
	return rc;
}

/* A decoded directory must satisfy the record's invariants: encoding
 * it again succeeds. */
static int dir_valid(uint32_t df, const post_dirent *ents, size_t n)
{
	buf b;
	int rc;

	buf_init(&b);
	rc = post_term_encode(df, ents, n, top1, 1, &b);
	buf_release(&b);
	return rc == 0;
}

static void test_term(void)
{
	static const size_t sizes[] = { 0, 1, 2, 1000 };
	post_dirent *ents = malloc(1000 * sizeof(*ents)), *got = NULL;
	post_dirent bad[2];
	uint32_t df = 0;
	size_t si, n = 0, i;
	int fails = 0, accepted = 0, rc;
	buf b, m;

	if (!ents)
		abort();
	buf_init(&b);
	buf_init(&m);
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t cnt = sizes[si];

		make_dir(ents, cnt);
		buf_clear(&b);
		CHECK_INT(post_term_encode(4242 + (uint32_t)cnt, ents, cnt,
					   top1, 1, &b), 0);
		CHECK_INT(term_decode_rc(b.data, b.len, &df, &got, &n), 0);
		CHECK_INT(df, 4242 + cnt);
		CHECK_INT(n, cnt);
		CHECK(n == cnt && dir_equal(ents, got, cnt));
		free(got);
		got = NULL;
		df = 0;
		CHECK_INT(post_term_df(b.data, b.len, &df), 0);
		CHECK_INT(df, 4242 + cnt);
	}
	/* The empty record is two bytes. */
	buf_clear(&b);
	CHECK_INT(post_term_encode(0, ents, 0, top1, 1, &b), 0);
	CHECK_INT(b.len, 2);
	CHECK_INT(post_term_df(b.data, 0, &df), LEDE_ECORRUPT);

	/* Encode rejects broken directories. */
	make_dir(bad, 2);
	buf_clear(&b);
	bad[1].first = bad[0].last;      /* overlap */
	CHECK_INT(post_term_encode(1, bad, 2, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[0].first = 0;                /* docids start at 1 */
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[0].last = bad[0].first + bad[0].n - 2;  /* n does not fit */
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[0].npairs = 0;
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	bad[0].npairs = POST_MAX_PAIRS + 1;
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[0].n = 0;
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	bad[0].n = POST_BLOCK_MAX + 1;
	bad[0].last = bad[0].first + 1000;
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[0].pairs[0].tf = 0;
	CHECK_INT(post_term_encode(1, bad, 1, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[1].bl.len = 0;               /* a block with no place */
	CHECK_INT(post_term_encode(1, bad, 2, top1, 1, &b), LEDE_EINVAL);
	make_dir(bad, 2);
	bad[1].pl.len = POST_LOC_LEN_MAX + 1;   /* 2 GiB of positions */
	bad[1].pl.off = 0;
	CHECK_INT(post_term_encode(1, bad, 2, top1, 1, &b), LEDE_EINVAL);
	bad[1].pl.len = POST_LOC_LEN_MAX;       /* the most there may be */
	buf_clear(&b);
	CHECK_INT(post_term_encode(1, bad, 2, top1, 1, &b), 0);
	CHECK_INT(term_decode_rc(b.data, b.len, &df, &got, &n), 0);
	CHECK(n == 2 && got[1].pl.len == POST_LOC_LEN_MAX);
	free(got);
	got = NULL;
	buf_clear(&b);
	CHECK_INT(b.len, 0);

	/* Decode rejects, by hand. */
	{
		/* df 1, nblocks 1 (<< 1, not inline): first 5,
		 * last-first 3, n-1 3, 1 pair; the block's place (10
		 * bytes, moved: chunk 0 + 3, offset 0), no positions;
		 * a top list of 1: doc 5, tf 1, title tf 0 */
		uint8_t ok[] = { 1, 2, 5, 3, 3, 1, 2, 9, 21, 6, 0, 0,
				 1, 5, 0, 0 };
		uint8_t raw[96];

		CHECK_INT(term_decode_rc(ok, sizeof(ok), &df, &got, &n), 0);
		CHECK(n == 1 && got[0].first == 5 && got[0].last == 8 &&
		      got[0].n == 4 && got[0].pairs[0].tf == 2 &&
		      got[0].pairs[0].len == 9 && got[0].bl.chunk == 3 &&
		      got[0].bl.off == 0 && got[0].bl.len == 10 &&
		      got[0].pl.len == 0);
		free(got);
		for (i = 0; i < sizeof(ok); i++)
			if (term_decode_rc(ok, i, &df, &got, &n) !=
			    LEDE_ECORRUPT || got || n)
				fails++;
		memcpy(raw, ok, sizeof(ok));
		raw[sizeof(ok)] = 0;   /* overlong */
		{
			/* The record decoder leaves the top list's bytes to
			 * post_top_decode, which rejects the extra byte. */
			post_inline il;
			post_top tp[2];

			CHECK_INT(post_term_decode_ex(raw, sizeof(ok) + 1, &df,
						      &got, &n, &il), 0);
			free(got);
			CHECK(il.top == raw + 13 && il.ntop == 1 &&
			      il.top_len == 4);
			CHECK_INT(post_top_decode(il.top, il.top_len, il.ntop,
						  tp), LEDE_ECORRUPT);
			CHECK_INT(post_top_decode(il.top, 3, il.ntop, tp), 0);
			CHECK(tp[0].docid == 5 && tp[0].tf == 1 &&
			      tp[0].ttf == 0);
			/* two entries claimed, one there */
			CHECK_INT(post_top_decode(il.top, 3, 2, tp),
				  LEDE_ECORRUPT);
		}
		raw[2] = 0;            /* first docid 0 */
		CHECK_INT(term_decode_rc(raw, sizeof(ok), &df, &got, &n),
			  LEDE_ECORRUPT);
		memcpy(raw, ok, sizeof(ok));
		raw[4] = 4;            /* n = 5 in 4 docids */
		CHECK_INT(term_decode_rc(raw, sizeof(ok), &df, &got, &n),
			  LEDE_ECORRUPT);
		raw[4] = 128;          /* n = 129 */
		raw[3] = 0x7f;
		CHECK_INT(term_decode_rc(raw, sizeof(ok), &df, &got, &n),
			  LEDE_ECORRUPT);
		memcpy(raw, ok, sizeof(ok));
		raw[5] = 0;            /* npairs 0 */
		CHECK_INT(term_decode_rc(raw, sizeof(ok) - 2, &df, &got, &n),
			  LEDE_ECORRUPT);
		raw[5] = 5;            /* npairs 5 */
		CHECK_INT(term_decode_rc(raw, sizeof(ok), &df, &got, &n),
			  LEDE_ECORRUPT);
		memcpy(raw, ok, sizeof(ok));
		raw[6] = 0;            /* pair tf 0 */
		CHECK_INT(term_decode_rc(raw, sizeof(ok), &df, &got, &n),
			  LEDE_ECORRUPT);
		/* nblocks 2^40 with 6 bytes after it: rejected unallocated */
		raw[0] = 1;
		raw[1] = 0x80; raw[2] = 0x80; raw[3] = 0x80; raw[4] = 0x80;
		raw[5] = 0x80; raw[6] = 0x20;
		memcpy(raw + 7, ok + 2, 6);
		CHECK_INT(term_decode_rc(raw, 13, &df, &got, &n),
			  LEDE_ECORRUPT);
		/* Two entries, the second starting at the first's last;
		 * its block right after the first's in chunk 3. */
		{
			uint8_t two[] = { 2, 4, 5, 3, 0, 1, 2, 9, 21, 6, 0, 0,
					  0, 0, 0, 1, 2, 9, 20, 0,
					  1, 5, 0, 0 };

			CHECK_INT(term_decode_rc(two, sizeof(two), &df, &got,
						 &n), LEDE_ECORRUPT);
			two[12] = 1;
			CHECK_INT(term_decode_rc(two, sizeof(two), &df, &got,
						 &n), 0);
			CHECK(n == 2 && got[1].first == 9 &&
			      got[1].bl.chunk == 3 && got[1].bl.off == 10 &&
			      got[1].bl.len == 10);
			free(got);
			/* a postings block of 0 bytes */
			two[18] = 0;
			CHECK_INT(term_decode_rc(two, sizeof(two), &df, &got,
						 &n), LEDE_ECORRUPT);
		}
		/* The second block moved to chunk 3 - 4 < 0, then to 0. */
		{
			uint8_t mv[] = { 2, 4, 5, 3, 0, 1, 2, 9, 21, 6, 0, 0,
					 1, 0, 0, 1, 2, 9, 21, 7, 0, 0,
					 1, 5, 0, 0 };

			CHECK_INT(term_decode_rc(mv, sizeof(mv), &df, &got,
						 &n), LEDE_ECORRUPT);
			mv[19] = 5;
			CHECK_INT(term_decode_rc(mv, sizeof(mv), &df, &got,
						 &n), 0);
			CHECK(n == 2 && got[1].bl.chunk == 0 &&
			      got[1].bl.off == 0 && got[1].bl.len == 10);
			free(got);
		}
		/* A place whose end passes 2^32 */
		{
			uint8_t far[] = { 1, 2, 5, 3, 3, 1, 2, 9,
					  21, 6, 0xfc, 0xff, 0xff, 0xff, 0x0f,
					  0, 1, 5, 0, 0 };

			CHECK_INT(term_decode_rc(far, sizeof(far), &df, &got,
						 &n), LEDE_ECORRUPT);
			far[10] = 0xf0;   /* offset 2^32 - 16, 10 bytes */
			CHECK_INT(term_decode_rc(far, sizeof(far), &df, &got,
						 &n), 0);
			free(got);
		}
		/* last overflowing uint32 */
		{
			uint8_t ov[] = { 1, 2, 0xff, 0xff, 0xff, 0xff, 0x0f,
					 1, 0, 1, 2, 9, 21, 6, 0, 0,
					 1, 0xff, 0xff, 0xff, 0xff, 0x0f,
					 0, 0 };

			CHECK_INT(term_decode_rc(ov, sizeof(ov), &df, &got,
						 &n), LEDE_ECORRUPT);
			ov[7] = 0;
			CHECK_INT(term_decode_rc(ov, sizeof(ov), &df, &got,
						 &n), 0);
			CHECK(n == 1 && got[0].first == UINT32_MAX &&
			      got[0].last == UINT32_MAX);
			free(got);
		}
		got = NULL;
	}
	/* Inline records: the block and its positions ride in the record. */
	{
		uint32_t d[3] = { 7, 9, 30 }, tf[3] = { 1, 2, 1 };
		uint32_t ps[4] = { 3, 0, 5, 11 }, lens3[3] = { 10, 20, 30 };
		uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX], op[4];
		post_dirent e;
		post_inline il;
		buf blk, pb, rec;
		unsigned on;

		buf_init(&blk);
		buf_init(&pb);
		buf_init(&rec);
		memset(&e, 0, sizeof(e));
		e.first = 7;
		e.last = 30;
		e.n = 3;
		post_pairs_compute(tf, lens3, 3, &e);
		CHECK_INT(post_block_encode(d, tf, 3, &blk), 0);
		CHECK_INT(post_pos_encode(ps, tf, NULL, 3, &pb), 0);
		CHECK_INT(post_term_encode_inline(3, &e, blk.data, blk.len,
						  pb.data, pb.len, &rec), 0);
		CHECK_INT(post_term_decode_ex(rec.data, rec.len, &df, &got, &n,
					      &il), 0);
		CHECK(n == 1 && df == 3 && got && got[0].first == 7 &&
		      got[0].last == 30);
		free(got);
		CHECK(il.blk && il.blen == blk.len && il.plen == pb.len);
		CHECK_INT(post_block_decode(il.blk, il.blen, 7, od, ot, &on), 0);
		CHECK(on == 3 && od[2] == 30 && ot[1] == 2);
		CHECK_INT(post_pos_decode(il.pos, il.plen, ot, NULL, on, op,
					  4), 0);
		CHECK(op[0] == 3 && op[1] == 0 && op[2] == 5 && op[3] == 11);
		/* Every truncation is rejected. */
		for (i = 0; i < rec.len; i++) {
			if (post_term_decode_ex(rec.data, i, &df, &got, &n,
						&il) != LEDE_ECORRUPT)
				fails++;
			free(got);
			got = NULL;
		}
		/* The inline flag with two entries is rejected. */
		rec.data[1] = 2 << 1 | 1;
		CHECK(post_term_decode_ex(rec.data, rec.len, &df, &got, &n,
					  &il) != 0);
		free(got);
		got = NULL;
		buf_release(&blk);
		buf_release(&pb);
		buf_release(&rec);
	}
	CHECK_INT(fails, 0);

	/* 10000 random mutations of a valid record: an error, or a
	 * directory that keeps every invariant; never a crash (ASan). */
	make_dir(ents, 40);
	buf_clear(&b);
	CHECK_INT(post_term_encode(77, ents, 40, top1, 1, &b), 0);
	for (i = 0; i < 10000; i++) {
		unsigned k, kinds = rnd_range(1, 4);

		buf_clear(&m);
		if (buf_add(&m, b.data, b.len))
			abort();
		for (k = 0; k < kinds; k++) {
			size_t at = rnd64() % m.len;

			switch (rnd_range(0, 3)) {
			case 0:   /* flip bits */
				m.data[at] ^= (uint8_t)rnd_range(1, 255);
				break;
			case 1:   /* truncate */
				m.len = at;
				break;
			case 2:   /* random byte */
				m.data[at] = (uint8_t)rnd32();
				break;
			default:  /* small byte, likely a varint edge */
				m.data[at] = (uint8_t)rnd_range(0, 2);
				break;
			}
			if (m.len == 0)
				break;
		}
		rc = term_decode_rc(m.data, m.len, &df, &got, &n);
		if (rc == 0) {
			accepted++;
			if (!dir_valid(df, got, n))
				fails++;
		} else if (rc != LEDE_ECORRUPT || got || n) {
			fails++;
		}
		free(got);
		got = NULL;
	}
	/* Inline records: the block and its positions ride in the record. */
	{
		uint32_t d[3] = { 7, 9, 30 }, tf[3] = { 1, 2, 1 };
		uint32_t ps[4] = { 3, 0, 5, 11 }, lens3[3] = { 10, 20, 30 };
		uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX], op[4];
		post_dirent e;
		post_inline il;
		buf blk, pb, rec;
		unsigned on;

		buf_init(&blk);
		buf_init(&pb);
		buf_init(&rec);
		memset(&e, 0, sizeof(e));
		e.first = 7;
		e.last = 30;
		e.n = 3;
		post_pairs_compute(tf, lens3, 3, &e);
		CHECK_INT(post_block_encode(d, tf, 3, &blk), 0);
		CHECK_INT(post_pos_encode(ps, tf, NULL, 3, &pb), 0);
		CHECK_INT(post_term_encode_inline(3, &e, blk.data, blk.len,
						  pb.data, pb.len, &rec), 0);
		CHECK_INT(post_term_decode_ex(rec.data, rec.len, &df, &got, &n,
					      &il), 0);
		CHECK(n == 1 && df == 3 && got && got[0].first == 7 &&
		      got[0].last == 30);
		free(got);
		CHECK(il.blk && il.blen == blk.len && il.plen == pb.len);
		CHECK_INT(post_block_decode(il.blk, il.blen, 7, od, ot, &on), 0);
		CHECK(on == 3 && od[2] == 30 && ot[1] == 2);
		CHECK_INT(post_pos_decode(il.pos, il.plen, ot, NULL, on, op,
					  4), 0);
		CHECK(op[0] == 3 && op[1] == 0 && op[2] == 5 && op[3] == 11);
		/* Every truncation is rejected. */
		for (i = 0; i < rec.len; i++) {
			if (post_term_decode_ex(rec.data, i, &df, &got, &n,
						&il) != LEDE_ECORRUPT)
				fails++;
			free(got);
			got = NULL;
		}
		/* The inline flag with two entries is rejected. */
		rec.data[1] = 2 << 1 | 1;
		CHECK(post_term_decode_ex(rec.data, rec.len, &df, &got, &n,
					  &il) != 0);
		free(got);
		got = NULL;
		buf_release(&blk);
		buf_release(&pb);
		buf_release(&rec);
	}
	CHECK_INT(fails, 0);
	CHECK(accepted > 0);   /* some mutations stay well-formed */

	buf_release(&m);
	buf_release(&b);
	free(ents);
}

/* Same treatment for blocks and positions. */
static void test_block_fuzz(void)
{
	uint32_t d[POST_BLOCK_MAX], tf[POST_BLOCK_MAX];
	uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX], ul[POST_BLOCK_MAX];
	static uint32_t pos[POST_BLOCK_MAX * 8], opos[POST_BLOCK_MAX * 8];
	unsigned i, on, n = 60, k;
	size_t np = 0;
	int fails = 0, rc;
	buf b, pb, m;

	buf_init(&b);
	buf_init(&pb);
	buf_init(&m);
	for (i = 0; i < n; i++) {
		uint32_t j;

		d[i] = 10 + 5 * i + (i % 3);
		tf[i] = 1 + i % 5;
		ul[i] = 3 * (tf[i] - 1) + i % 4 + 1;
		for (j = 0; j < tf[i]; j++)
			pos[np++] = 3 * j + i % 4;
	}
	CHECK_INT(post_block_encode(d, tf, n, &b), 0);
	CHECK_INT(post_pos_encode(pos, tf, ul, n, &pb), 0);
	CHECK(pb.len > 0 && pb.data[0] == 2);
	for (i = 0; i < 10000; i++) {
		const buf *src = i % 2 ? &b : &pb;
		uint8_t *p;
		size_t at;

		buf_clear(&m);
		if (buf_add(&m, src->data, src->len))
			abort();
		for (k = rnd_range(1, 3); k > 0 && m.len; k--) {
			at = rnd64() % m.len;
			if (rnd_range(0, 4) == 0)
				m.len = at;
			else
				m.data[at] ^= (uint8_t)rnd_range(1, 255);
		}
		p = exact_copy(m.data, m.len);
		if (i % 2) {
			rc = post_block_decode(p, m.len, 10, od, ot, &on);
			if (rc == 0) {
				for (k = 1; k < on; k++)
					if (od[k] <= od[k - 1] || ot[k] < 1)
						fails++;
			} else if (rc != LEDE_ECORRUPT) {
				fails++;
			}
		} else {
			rc = post_pos_decode(p, m.len, tf, ul, n, opos,
					     POST_BLOCK_MAX * 8);
			if (rc != 0 && rc != LEDE_ECORRUPT)
				fails++;
		}
		exact_free(p, m.len);
	}
	CHECK_INT(fails, 0);
	buf_release(&m);
	buf_release(&pb);
	buf_release(&b);
}

/* 10,000 random mutations of blocks with exception lists: every one is
 * either decoded into ascending docids and tfs >= 1 or LEDE_ECORRUPT,
 * and under ASan none reads outside its exact-size copy. Half of the
 * flips land in the exception lists at the end, where they matter. */
static void test_block_pfor_fuzz(void)
{
	uint32_t d[POST_BLOCK_MAX], tf[POST_BLOCK_MAX];
	uint32_t od[POST_BLOCK_MAX], ot[POST_BLOCK_MAX];
	unsigned i, k, on, n;
	int fails = 0, accepted = 0, rc;
	buf b[3], m;

	buf_init(&m);
	for (k = 0; k < 3; k++) {
		buf_init(&b[k]);
		n = k == 0 ? 128 : k == 1 ? 37 : 19;
		for (i = 0; i < n; i++) {
			d[i] = 5 + 3 * i + (i > n / 2 ? 100000 : 0) +
			       (i > n / 3 ? 7000 : 0);
			tf[i] = 1 + i % 3 + (i % 17 == 1 ? 40000 : 0);
		}
		CHECK_INT(post_block_encode(d, tf, n, &b[k]), 0);
		CHECK((b[k].data[1] & 0x80) && (b[k].data[2] & 0x80));
	}
	for (i = 0; i < 10000; i++) {
		const buf *src = &b[i % 3];
		uint8_t *p;
		size_t at;

		buf_clear(&m);
		if (buf_add(&m, src->data, src->len))
			abort();
		for (k = rnd_range(1, 3); k > 0 && m.len; k--) {
			at = rnd64() % m.len;
			if (i % 2 && m.len > 12)
				at = m.len - 1 - rnd64() % 12;
			if (rnd_range(0, 4) == 0)
				m.len = at;
			else
				m.data[at] ^= (uint8_t)rnd_range(1, 255);
		}
		p = exact_copy(m.data, m.len);
		rc = post_block_decode(p, m.len, 5, od, ot, &on);
		if (rc == 0) {
			accepted++;
			if (on < 1 || on > POST_BLOCK_MAX || od[0] != 5)
				fails++;
			for (k = 1; k < on; k++)
				if (od[k] <= od[k - 1] || ot[k] < 1)
					fails++;
		} else if (rc != LEDE_ECORRUPT) {
			fails++;
		}
		exact_free(p, m.len);
	}
	CHECK_INT(fails, 0);
	CHECK(accepted > 0);
	buf_release(&m);
	for (k = 0; k < 3; k++)
		buf_release(&b[k]);
}

/* Codec 2 (binary interpolative, post.h) on a hand layout, random
 * round trips against the lengths, damaged values and the choice. */
static void test_positions_bic(void)
{
	static uint32_t pos[POST_BLOCK_MAX * 64], out[POST_BLOCK_MAX * 64];
	uint32_t tfs[POST_BLOCK_MAX], lens[POST_BLOCK_MAX];
	unsigned rep, i, n, bic_used = 0;
	size_t k, total, smaller = 0, plain = 0, sk;
	int fails = 0, bad_rc = 0, bad_range = 0;
	uint8_t *p;
	buf b, b0;

	buf_init(&b);
	buf_init(&b0);
	/* Three documents with one position each: 5 of 0..7 and 2 of 0..7
	 * in 3 bits each; 4 of 0..5 is truncated binary with k = 2, u = 2:
	 * z = 2, so 2 + 1 in 2 bits, then bit 0. */
	tfs[0] = tfs[1] = tfs[2] = 1;
	lens[0] = lens[1] = 7;
	lens[2] = 5;
	pos[0] = 5; pos[1] = 2; pos[2] = 4;
	CHECK_INT(post_pos_encode(pos, tfs, lens, 3, &b), 0);
	CHECK_INT(b.len, 3);
	CHECK(b.len == 3 && b.data[0] == 2 && b.data[1] == 0xd5 &&
	      b.data[2] == 0x00);
	CHECK(post_pos_needs_lens(b.data, b.len));
	p = exact_copy(b.data, b.len);
	CHECK_INT(post_pos_decode(p, b.len, tfs, lens, 3, out, 3), 0);
	CHECK(out[0] == 5 && out[1] == 2 && out[2] == 4);
	CHECK_INT(post_pos_decode(p, b.len, tfs, NULL, 3, out, 3),
		  LEDE_EINVAL);
	CHECK_INT(post_pos_decode(p, b.len - 1, tfs, lens, 3, out, 3),
		  LEDE_ECORRUPT);
	lens[2] = 70000;  /* past the lens table's range */
	CHECK_INT(post_pos_decode(p, b.len, tfs, lens, 3, out, 3),
		  LEDE_ECORRUPT);
	lens[2] = 5;
	tfs[2] = 7;       /* more positions than 0..5 holds */
	CHECK_INT(post_pos_decode(p, b.len, tfs, lens, 3, out, 9),
		  LEDE_ECORRUPT);
	tfs[2] = 1;
	exact_free(p, b.len);
	/* A position past its length, or a length past 65535: not codec 2. */
	pos[2] = 6;
	buf_clear(&b);
	CHECK_INT(post_pos_encode(pos, tfs, lens, 3, &b), 0);
	CHECK(b.len > 0 && b.data[0] != 2);
	CHECK(!post_pos_needs_lens(b.data, b.len));
	pos[2] = 4;
	lens[0] = 65536;
	buf_clear(&b);
	CHECK_INT(post_pos_encode(pos, tfs, lens, 3, &b), 0);
	CHECK(b.len > 0 && b.data[0] != 2);

	for (rep = 0; rep < 2000; rep++) {
		n = rnd_range(1, POST_BLOCK_MAX);
		k = 0;
		for (i = 0; i < n; i++) {
			uint32_t u = rep % 7 == 0 ? rnd_range(0, 65535) :
				     rep % 7 == 1 ? rnd_range(0, 8) :
				     rnd_range(20, 3000);
			uint32_t tf = rnd_range(1, rep % 3 ? 3 : 60), j, x;

			if (tf > u + 1)
				tf = u + 1;
			/* tf distinct positions of 0..u, by skipping: a
			 * dense run when tf is near u + 1 */
			for (j = 0, x = 0; j < tf; j++, x++) {
				uint32_t room = u + 1 - x - (tf - j);

				x += room ? rnd_range(0, room < 40 ? room :
						      room / (tf - j)) : 0;
				pos[k++] = x;
			}
			tfs[i] = tf;
			lens[i] = rep % 5 == 4 && i == n / 2 ? u + 1000 : u;
		}
		total = k;
		buf_clear(&b);
		buf_clear(&b0);
		if (post_pos_encode(pos, tfs, lens, n, &b) ||
		    post_pos_encode(pos, tfs, NULL, n, &b0) || b.len < 1) {
			fails++;
			continue;
		}
		/* Never larger than codecs 0 and 1 would make it, codec 3's
		 * offsets aside (they are added to codec 2 once chosen). */
		sk = 0;
		if (b.data[0] == 3)
			sk = 1 + post_packed_bytes((n - 1) / POS_SKIP,
						   b.data[1]);
		if (b.len - sk > b0.len)
			fails++;
		if (b.data[0] != 2 && b.data[0] != 3)
			continue;
		bic_used++;
		/* Written only when 8% smaller than the others (post_pos.c,
		 * POS_BIC_EDGE). */
		if ((b.len - sk) * 100 >= b0.len * 92)
			fails++;
		if (b.len < b0.len)
			smaller += b0.len - b.len;
		plain += b0.len;
		fails += pos_value_fails(&b, tfs, lens, n, pos, total, out);
		/* Damaged bytes: corrupt, or positions that still increase
		 * within each document's length. */
		for (unsigned m = 0; m < 5; m++) {
			size_t at = rnd_range(0, (uint32_t)b.len - 1);
			int rc;

			p = exact_copy(b.data, b.len);
			p[at] ^= (uint8_t)(1u << rnd_range(0, 7));
			if (at == 0)
				p[0] = b.data[0];
			rc = post_pos_decode(p, b.len, tfs, lens, n, out,
					     total);
			exact_free(p, b.len);
			if (rc != 0 && rc != LEDE_ECORRUPT)
				bad_rc++;
			for (i = 0, k = 0; rc == 0 && i < n; k += tfs[i], i++)
				for (uint32_t j = 0; j < tfs[i]; j++)
					if (out[k + j] > lens[i] ||
					    (j && out[k + j] <= out[k + j - 1]))
						bad_range++;
		}
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bad_rc, 0);
	CHECK_INT(bad_range, 0);
	/* Codec 2 wins many blocks (855 of 2000 with this seed). */
	CHECK(bic_used > 600);
	CHECK(smaller * 20 > plain);
	buf_release(&b);
	buf_release(&b0);
}

/* Codec 3 (codec 2 with an offset every POS_SKIP documents): written
 * for blocks of more than POS_SKIP documents whose codec 2 bits reach
 * POS_SKIP_BYTES; it decodes to the same positions; post_pos_seek then
 * post_pos_read give any document's positions, in any increasing order
 * of requests, as the whole decode does; a wrong offset fails the whole
 * decode (lede check) and one past the bits fails to open. */
static void test_positions_skip(void)
{
	static uint32_t pos[POST_BLOCK_MAX * 64], out[POST_BLOCK_MAX * 64];
	static uint32_t got[POST_BLOCK_MAX * 64];
	uint32_t tfs[POST_BLOCK_MAX], lens[POST_BLOCK_MAX];
	uint32_t start[POST_BLOCK_MAX + 1];
	unsigned n3 = 0, jumps = 0;
	int fails = 0, bad = 0;
	buf b;

	buf_init(&b);
	for (unsigned rep = 0; rep < 1500; rep++) {
		unsigned n = rnd_range(rep % 5 ? POS_SKIP + 1 : 1,
				       POST_BLOCK_MAX), i, k = 0;
		post_pos_rd rd;
		uint8_t *p;
		size_t total;

		for (i = 0; i < n; i++) {
			uint32_t u = rnd_range(50, 3000), tf, x, j;

			tf = rnd_range(1, rep % 2 ? 4 : 20);
			start[i] = k;
			for (j = 0, x = 0; j < tf; j++, x++) {
				x += rnd_range(0, u / (tf + 1));
				pos[k++] = x;
			}
			tfs[i] = tf;
			/* lengths close to the last position: codec 2's
			 * ranges are tight, so it wins most blocks */
			lens[i] = x + rnd_range(0, 3);
		}
		start[n] = k;
		total = k;
		buf_clear(&b);
		if (post_pos_encode(pos, tfs, lens, n, &b) || b.len < 1) {
			fails++;
			continue;
		}
		if (b.data[0] != 3) {
			/* codec 3 is for long enough blocks only */
			if (b.data[0] == 2 && n > POS_SKIP &&
			    b.len - 1 >= POS_SKIP_BYTES)
				fails++;
			continue;
		}
		n3++;
		if (n <= POS_SKIP || b.len < POS_SKIP_BYTES)
			fails++;
		fails += pos_value_fails(&b, tfs, lens, n, pos, total, out);
		/* increasing requests, as a phrase makes them */
		p = exact_copy(b.data, b.len);
		if (post_pos_open(&rd, p, b.len, tfs, lens, n)) {
			fails++;
		} else {
			for (i = rnd_range(0, 20); i < n;
			     i += rnd_range(1, 40)) {
				if (i >= rd.done) {
					jumps += post_pos_seek(&rd, i) == 1;
					if (post_pos_read(&rd, tfs, lens, n,
							  i + 1,
							  got + start[rd.done])) {
						fails++;
						break;
					}
				}
				if (memcmp(got + start[i], pos + start[i],
					   tfs[i] * sizeof(*pos)))
					fails++;
			}
		}
		exact_free(p, b.len);
		/* a wrong offset: the first one's lowest bit flipped (after
		 * the codec and the width byte) */
		p = exact_copy(b.data, b.len);
		if (p[1] > 0) {
			p[2] ^= 1;
			if (post_pos_decode(p, b.len, tfs, lens, n, out,
					    total) != LEDE_ECORRUPT)
				bad++;
		} else {
			bad++;   /* the offsets are not all 0 here */
		}
		exact_free(p, b.len);
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bad, 0);
	CHECK(n3 > 300);
	CHECK(jumps > 800);
	/* hand-made: 17 documents, one position each at 0 of 0..0 (no
	 * bits): codec 3, offsets 0 bits wide (the one offset is 0), no
	 * stream: opens and reads. An offset of 8 bits (width 4) is past
	 * the empty stream, a width of 33 is no width, 16 documents have
	 * no offset: none opens. */
	{
		uint8_t raw[4] = { 3, 0, 0, 0 };
		post_pos_rd rd;

		for (unsigned i = 0; i < 17; i++) {
			tfs[i] = 1;
			lens[i] = 0;
		}
		CHECK_INT(post_pos_decode(raw, 2, tfs, lens, 17, out, 17), 0);
		CHECK_INT(post_pos_open(&rd, raw, 2, tfs, lens, 17), 0);
		CHECK_INT(post_pos_seek(&rd, 16), 1);
		CHECK_INT(rd.done, 16);
		CHECK_INT(post_pos_read(&rd, tfs, lens, 17, 17, out), 0);
		raw[1] = 4;
		raw[2] = 8;
		CHECK_INT(post_pos_open(&rd, raw, 3, tfs, lens, 17),
			  LEDE_ECORRUPT);
		raw[2] = 0;   /* offset 0 at width 4: decodes; one byte more
				 is a stream that is too long */
		CHECK_INT(post_pos_decode(raw, 3, tfs, lens, 17, out, 17), 0);
		CHECK_INT(post_pos_open(&rd, raw, 4, tfs, lens, 17), 0);
		CHECK_INT(post_pos_decode(raw, 4, tfs, lens, 17, out, 17),
			  LEDE_ECORRUPT);
		raw[1] = 33;
		CHECK_INT(post_pos_open(&rd, raw, 3, tfs, lens, 17),
			  LEDE_ECORRUPT);
		raw[1] = 0;
		CHECK_INT(post_pos_open(&rd, raw, 2, tfs, lens, 16),
			  LEDE_ECORRUPT);
		CHECK_INT(post_pos_decode(raw, 2, tfs, NULL, 17, out, 17),
			  LEDE_EINVAL);
	}
	buf_release(&b);
}

/* Q dominates P (post.h, "Term record"). */
static int top_dominates(const post_top *q, const post_top *p)
{
	return q->tf >= p->tf && q->ttf >= p->ttf && q->len <= p->len &&
	       (q->tf > p->tf || q->ttf > p->ttf || q->len < p->len ||
		q->docid < p->docid);
}

/* The top list against its definition (brute force), the accumulator
 * against the plain reduction, and what it is for: the k best by the
 * main-field part plus a headline part, for random k1 > 0, b > 0,
 * avgdl and title weight > 0, are in it. */
static void test_top(void)
{
	enum { NMAX = 3000 };
	static post_top v[NMAX], w[NMAX];
	int fails = 0, miss = 0, rounds = 0;
	size_t sizes = 0;
	post_topacc a;

	/* One accumulator for every list, reset between them as the
	 * indexer does: a filter left over from a long list would turn
	 * away postings of the next. */
	post_topacc_init(&a);
	for (int rep = 0; rep < 60; rep++) {
		size_t n = rnd_range(1, rep % 4 ? 400 : NMAX), m, want = 0;
		/* tfs over 1023 and title tfs over 63 take the reduce's
		 * slower path (its sort key cannot hold them) */
		uint32_t tfmax = rep % 3 ? 6 : rep % 2 ? 400 : 3000;
		uint32_t ttfmax = rep % 2 ? 2 : rep % 7 ? 6 : 90;
		uint32_t lmax = rep % 5 ? 50 : 3000;

		for (size_t i = 0; i < n; i++) {
			v[i].docid = (uint32_t)(i * 3 + 1 + rnd_range(0, 2));
			v[i].tf = rnd_range(1, tfmax);
			v[i].len = rnd_range(v[i].tf, v[i].tf + lmax);
			v[i].ttf = rnd_range(0, 9) < 7 ? 0 :
				   rnd_range(1, ttfmax);
		}
		memcpy(w, v, n * sizeof(*v));
		/* brute force: fewer than POST_TOP_K dominators */
		for (size_t i = 0; i < n; i++) {
			size_t dom = 0;

			for (size_t j = 0; j < n; j++)
				if (j != i && top_dominates(&v[j], &v[i]))
					dom++;
			if (dom < POST_TOP_K)
				want++;
		}
		m = post_top_reduce(w, n);
		sizes += m;
		if (m != want)
			fails++;
		for (size_t i = 0; i < m; i++) {
			size_t dom = 0;

			if (i && w[i].docid <= w[i - 1].docid)
				fails++;
			for (size_t j = 0; j < n; j++)
				if (top_dominates(&v[j], &w[i]))
					dom++;
			if (dom >= POST_TOP_K)
				fails++;
		}
		/* the accumulator, fed in a shuffled order */
		post_topacc_reset(&a);
		for (size_t i = 0; i < n; i++) {
			size_t j = i + rnd_range(0, (uint32_t)(n - 1 - i));
			post_top x = v[j];

			v[j] = v[i];
			v[i] = x;
			if (post_topacc_add(&a, x.docid, x.tf, x.ttf, x.len))
				fails++;
		}
		post_topacc_finish(&a);
		/* a second finish (the writer's, after an encoder's)
		 * changes nothing */
		post_topacc_finish(&a);
		if (a.n != m)
			fails++;
		for (size_t i = 0; i < a.n && a.n == m; i++)
			if (a.v[i].docid != w[i].docid ||
			    a.v[i].tf != w[i].tf || a.v[i].ttf != w[i].ttf)
				fails++;
		/* the k best by tf / (tf + k1 (1 - b + b len / avgdl)),
		 * then by docid, are in the list */
		for (int r = 0; r < 20; r++) {
			double k1 = 0.05 + rnd_range(0, 300) / 100.0;
			double b = 0.01 + rnd_range(0, 99) / 100.0;
			double avg = 1 + rnd_range(0, 500);
			double tw = 0.01 + rnd_range(0, 300) / 100.0;
			size_t k = rnd_range(1, POST_TOP_K);

			rounds++;
			for (size_t i = 0; i < n; i++) {
				double si = v[i].tf / (v[i].tf + k1 *
					    (1 - b + b * v[i].len / avg)) +
					    tw * v[i].ttf / (v[i].ttf + k1);
				size_t better = 0, in = 0;

				for (size_t j = 0; j < n; j++) {
					double sj = v[j].tf / (v[j].tf + k1 *
						    (1 - b + b * v[j].len /
						     avg)) + tw * v[j].ttf /
						    (v[j].ttf + k1);
					if (sj > si || (sj == si &&
							v[j].docid <
							v[i].docid))
						better++;
				}
				if (better >= k)
					continue;
				for (size_t j = 0; j < m; j++)
					if (w[j].docid == v[i].docid)
						in = 1;
				if (!in)
					miss++;
			}
		}
	}
	post_topacc_release(&a);
	CHECK_INT(fails, 0);
	CHECK_INT(miss, 0);
	CHECK(rounds == 1200);
	/* far fewer than the postings (about 6,000 of 60,000 here) */
	CHECK(sizes > 0 && sizes < 20000);
}


/* The AVX2 decoder (where the CPU has it) against the portable one:
 * random blocks of 1..128 documents at every gap and tf width, with
 * outliers that make exception lists, each decoded from an exact-size
 * copy (ASan: no load past the block) both ways; then mutated blocks,
 * which must give the same result code and, when they decode, the same
 * values; then sums that pass UINT32_MAX, which both reject. */
static void test_block_simd(void)
{
	uint32_t d[POST_BLOCK_MAX], tf[POST_BLOCK_MAX];
	uint32_t ad[POST_BLOCK_MAX], at[POST_BLOCK_MAX];
	uint32_t sd[POST_BLOCK_MAX], st[POST_BLOCK_MAX];
	unsigned an, sn, i, k;
	int fails = 0, ra, rs, simd = post_simd(-1);
	buf b;

	buf_init(&b);
	for (unsigned round = 0; round < 6000; round++) {
		unsigned n = round < 128 ? round + 1 :
			(unsigned)rnd_range(1, POST_BLOCK_MAX);
		unsigned gw = (unsigned)rnd_range(0, 25);
		unsigned tw = (unsigned)rnd_range(0, 12);
		uint32_t first = (uint32_t)rnd_range(1, 1u << 20);
		uint64_t x = first;
		uint8_t *p;

		if (gw >= 24 && n > 100)
			n = 100;   /* 100 gaps of 2^25 stay below 2^32 */

		for (i = 0; i < n; i++) {
			uint32_t g = gw ? (uint32_t)(rnd64() & mask_w(gw)) : 0;

			if (rnd_range(0, 30) == 0)
				g = (uint32_t)rnd_range(0, 1u << 23);
			x += i ? (uint64_t)g + 1 : 0;
			d[i] = (uint32_t)x;
			tf[i] = 1 + (tw ? (uint32_t)(rnd64() & mask_w(tw)) : 0);
			if (rnd_range(0, 40) == 0)
				tf[i] = (uint32_t)rnd_range(1, 1u << 24);
		}
		buf_clear(&b);
		if (post_block_encode(d, tf, n, &b))
			abort();
		for (int mut = 0; mut < 3; mut++) {
			size_t len = b.len;

			if (mut > 0) {
				/* flip a byte, or cut the block short */
				size_t at_ = rnd64() % b.len;

				if (mut == 2)
					len = at_;
				else
					b.data[at_] ^= (uint8_t)rnd_range(1, 255);
			}
			p = exact_copy(b.data, len);
			post_simd(0);
			rs = post_block_decode(p, len, first, sd, st, &sn);
			post_simd(1);
			ra = post_block_decode(p, len, first, ad, at, &an);
			exact_free(p, len);
			if (ra != rs || (ra == 0 && (an != sn ||
			    memcmp(ad, sd, an * sizeof(*ad)) ||
			    memcmp(at, st, an * sizeof(*at)))))
				fails++;
			if (mut == 0 && (rs != 0 || sn != n ||
					 memcmp(sd, d, n * sizeof(*d)) ||
					 memcmp(st, tf, n * sizeof(*tf))))
				fails++;
		}
	}
	/* docids past UINT32_MAX: consecutive from near the top, and
	 * 127 gaps of 2^25 - 1 from 2^31 */
	for (k = 0; k < 2; k++) {
		uint32_t first = k ? 1u << 31 : UINT32_MAX - 100;
		uint8_t raw[3 + 4 * POST_BLOCK_MAX];
		size_t len;

		raw[0] = POST_BLOCK_MAX;
		raw[1] = k ? 25 : 0;
		raw[2] = 0;
		len = 3 + post_packed_bytes(POST_BLOCK_MAX - 1, raw[1]);
		memset(raw + 3, 0xff, len - 3);
		for (int on = 0; on < 2; on++) {
			uint8_t *p = exact_copy(raw, len);

			post_simd(on);
			CHECK_INT(post_block_decode(p, len, first, sd, st, &sn),
				  LEDE_ECORRUPT);
			exact_free(p, len);
		}
	}
	post_simd(1);
	CHECK_INT(post_simd(-1), simd);
#if defined(__x86_64__) && defined(__GNUC__)
	/* on x86-64 the comparison above is a real one where AVX2 is */
	__builtin_cpu_init();
	CHECK_INT(simd, __builtin_cpu_supports("avx2") ? 1 : 0);
#endif
	CHECK_INT(fails, 0);
	buf_release(&b);
}

int main(void)
{
	test_bits();
	test_pack_layout();
	test_pack_roundtrip();
	test_block();
	test_block_pfor();
	test_positions();
	test_positions_rice_layout();
	test_positions_random();
	test_positions_bic();
	test_positions_skip();
	test_top();
	test_pairs();
	test_term();
	test_block_fuzz();
	test_block_pfor_fuzz();
	test_block_simd();
	return t_done("test_post");
}
