/*
 * post_pos.c - the positions codec of post.h (post_pos_encode/decode).
 *
 * Owns the byte layout of a positions block (post.h). Same invariants as
 * post.c: decoders read only [p, p + len), consume it exactly, and
 * encoders validate before appending.
 */
#include <stdlib.h>
#include <string.h>
#include "post.h"

#if defined(__GNUC__)
#define POST_INLINE static inline __attribute__((always_inline))
#else
#define POST_INLINE static inline
#endif

/* ---- positions ------------------------------------------------------ */

/* Most positions gaps fit one byte: skip the general varint call. */
POST_INLINE int get_varint32(const uint8_t **pp, const uint8_t *end,
			     uint32_t *v)
{
	const uint8_t *p = *pp;

	if (p < end && *p < 0x80) {
		*v = *p;
		*pp = p + 1;
		return 0;
	}
	return varint_get32(pp, end, v);
}

int post_pos_encode(const uint32_t *pos, const uint32_t *tfs, unsigned n,
		    buf *out)
{
	size_t len0 = out->len, k = 0;
	unsigned i;
	uint32_t j;
	int rc;

	/* Validate everything first so a failure appends nothing. */
	for (i = 0; i < n; i++) {
		for (j = 1; j < tfs[i]; j++)
			if (pos[k + j] <= pos[k + j - 1])
				return LEDE_EINVAL;
		k += tfs[i];
	}
	rc = buf_addc(out, 0);   /* codec 0: varint deltas */
	k = 0;
	for (i = 0; i < n && !rc; i++) {
		for (j = 0; j < tfs[i] && !rc; j++, k++) {
			uint32_t x = j ? pos[k] - pos[k - 1] - 1 : pos[k];
			rc = buf_add_varint(out, x);
		}
	}
	if (rc)
		out->len = len0;
	return rc;
}

int post_pos_decode(const uint8_t *p, size_t len, const uint32_t *tfs,
		    unsigned n, uint32_t *pos, size_t cap)
{
	const uint8_t *end = p + len;
	uint64_t total = 0, cur;
	size_t k = 0;
	unsigned i;
	uint32_t j, x;

	if (len < 1 || p[0] != 0)
		return LEDE_ECORRUPT;
	p++;
	for (i = 0; i < n; i++)
		total += tfs[i];
	if (total > cap)
		return LEDE_ETOOBIG;
	for (i = 0; i < n; i++) {
		if (tfs[i] == 0)
			continue;
		if (get_varint32(&p, end, &x))
			return LEDE_ECORRUPT;
		pos[k++] = x;
		cur = x;
		for (j = 1; j < tfs[i]; j++) {
			if (get_varint32(&p, end, &x))
				return LEDE_ECORRUPT;
			cur += (uint64_t)x + 1;
			if (cur > UINT32_MAX)
				return LEDE_ECORRUPT;
			pos[k++] = (uint32_t)cur;
		}
	}
	if (p != end)
		return LEDE_ECORRUPT;
	return 0;
}

