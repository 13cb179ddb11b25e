/*
 * fuzz_post.c - libFuzzer harness: the postings decoders on arbitrary
 * bytes, as they would read a corrupt index. The first input byte picks
 * the decoder; for post_pos_decode the next bytes are the tfs (a random
 * count of 1..POST_BLOCK_MAX documents), the rest the encoded positions.
 * A successful block decode is re-encoded and must decode the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/post.h"

/* An error is a fine answer to a fuzzed input; a crash is not. */
static void ignore(int rc)
{
	(void)rc;
}

static void fuzz_block(const uint8_t *p, size_t n, uint32_t first)
{
	uint32_t d[POST_BLOCK_MAX], t[POST_BLOCK_MAX];
	uint32_t d2[POST_BLOCK_MAX], t2[POST_BLOCK_MAX];
	unsigned nd = 0, nd2 = 0;
	buf b;

	if (post_block_decode(p, n, first, d, t, &nd))
		return;
	if (nd < 1 || nd > POST_BLOCK_MAX)
		abort();
	buf_init(&b);
	if (post_block_encode(d, t, nd, &b) == 0) {
		if (post_block_decode(b.data, b.len, d[0], d2, t2, &nd2) ||
		    nd2 != nd || memcmp(d, d2, nd * sizeof(*d)) ||
		    memcmp(t, t2, nd * sizeof(*t)))
			abort();
	}
	buf_release(&b);
}

static void fuzz_pos(const uint8_t *p, size_t n)
{
	uint32_t tfs[POST_BLOCK_MAX], lens[POST_BLOCK_MAX];
	uint32_t *pos;
	unsigned nd, i;
	size_t sum = 0, cap;

	if (n < 1)
		return;
	nd = p[0] % POST_BLOCK_MAX + 1;
	p++; n--;
	for (i = 0; i < nd; i++) {
		tfs[i] = i < n ? p[i] % 16 + 1 : 1;
		sum += tfs[i];
	}
	p += nd < n ? nd : n;
	n -= nd < n ? nd : n;
	/* Lengths for codec 2, some too short for their tfs, one past
	 * the lens table's range. */
	for (i = 0; i < nd; i++)
		lens[i] = i >= n ? 200 : p[i] == 255 ? 70000 : p[i] * 3u;
	p += nd < n ? nd : n;
	n -= nd < n ? nd : n;
	cap = sum - (sum > 4 && (n & 1)); /* sometimes too small: ETOOBIG */
	pos = malloc(cap * sizeof(*pos) + 1);
	if (!pos)
		abort();
	ignore(post_pos_decode(p, n, tfs, lens, nd, pos, cap));
	free(pos);
}

static void fuzz_term(const uint8_t *p, size_t n)
{
	post_dirent *ents = NULL;
	post_inline inl;
	size_t ne = 0, i;
	uint32_t df;

	if (post_term_decode_ex(p, n, &df, &ents, &ne, &inl) == 0) {
		volatile uint32_t sink = 0;
		for (i = 0; i < ne; i++)
			sink ^= ents[i].n;
		if (inl.blk) {
			if (inl.blk < p || inl.blk + inl.blen > p + n)
				abort();
			fuzz_block(inl.blk, inl.blen, 0);
		}
		if (inl.top) {
			post_top *top;

			if (inl.top < p || inl.top + inl.top_len > p + n ||
			    inl.ntop == 0 || inl.ntop > n)
				abort();
			top = malloc(inl.ntop * sizeof(*top));
			if (!top)
				abort();
			ignore(post_top_decode(inl.top, inl.top_len,
					       inl.ntop, top));
			free(top);
		}
	}
	free(ents);
	ents = NULL;
	ignore(post_term_decode_ex(p, n, &df, &ents, &ne, NULL));
	free(ents);
	ignore(post_term_df(p, n, &df));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p;

	if (size < 1)
		return 0;
	/* a copy of exactly the input bytes: overreads hit ASan's redzone */
	p = malloc(size - 1 ? size - 1 : 1);
	if (!p)
		abort();
	memcpy(p, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0: fuzz_block(p, size - 1, data[0]); break;
	case 1: fuzz_pos(p, size - 1); break;
	default: fuzz_term(p, size - 1); break;
	}
	free(p);
	return 0;
}
