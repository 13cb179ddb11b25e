/*
 * search.c - exhaustive BM25 over plain terms (see search.h).
 *
 * Owns nothing beyond one query: the term list, a dense score array over
 * docids (4 bytes a document), and the hit list handed to the caller.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../common/post.h"
#include "search.h"

typedef struct qterm {
	char key[IX_TERMKEY_MAX];
	size_t len;
	uint32_t qtf;
} qterm;

typedef struct qctx {
	qterm terms[SRCH_MAX_TERMS];
	size_t n;
	int over;
} qctx;

void srch_opts_init(srch_opts *o)
{
	o->k = 10;
	o->offset = 0;
	o->k1 = 1.2;    /* BM25 "k1", Lucene's default */
	o->b = 0.75;    /* BM25 "b", Lucene's default */
}

void srch_result_release(srch_result *r)
{
	free(r->hits);
	memset(r, 0, sizeof(*r));
}

static int on_qtoken(void *ctx, const char *st, size_t len,
		     const tok_token *t)
{
	qctx *q = ctx;

	(void)t;
	if (len >= IX_TERMKEY_MAX)
		return 0;
	for (size_t i = 0; i < q->n; i++) {
		if (q->terms[i].len == len &&
		    memcmp(q->terms[i].key, st, len) == 0) {
			q->terms[i].qtf++;
			return 0;
		}
	}
	if (q->n == SRCH_MAX_TERMS) {
		q->over = 1;
		return LEDE_ETOOBIG;
	}
	memcpy(q->terms[q->n].key, st, len);
	q->terms[q->n].len = len;
	q->terms[q->n].qtf = 1;
	q->n++;
	return 0;
}

static int hit_better(const srch_hit *a, const srch_hit *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	return a->docid < b->docid;
}

static int cmp_hit(const void *a, const void *b)
{
	const srch_hit *x = a, *y = b;

	if (hit_better(x, y))
		return -1;
	return hit_better(y, x) ? 1 : 0;
}

/* Min-heap of the best m hits: heap[0] is the worst kept. */
static void heap_push(srch_hit *h, size_t *n, size_t m, srch_hit v)
{
	size_t i;

	if (*n < m) {
		i = (*n)++;
		while (i > 0 && hit_better(&h[(i - 1) / 2], &v)) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = v;
		return;
	}
	if (!hit_better(&v, &h[0]))
		return;
	i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = l;
		if (l >= *n)
			break;
		if (r < *n && hit_better(&h[l], &h[r]))
			w = r;
		if (!hit_better(&v, &h[w]))
			break;
		h[i] = h[w];
		i = w;
	}
	h[i] = v;
}

typedef struct term_scorer {
	ix_txn *t;
	float *acc;
	uint32_t next_docid;
	double w, k1, b, avgdl;   /* w = qtf * idf */
} term_scorer;

/* Add one block's BM25 contributions to the score array. */
static int score_block(term_scorer *ts, uint32_t first, const uint8_t *bp,
		       size_t bl)
{
	uint32_t docids[POST_BLOCK_MAX], tfs[POST_BLOCK_MAX];
	uint16_t scratch[IX_LEN_CHUNK];
	uint32_t cur_chunk = UINT32_MAX;
	const uint16_t *lens = NULL;
	unsigned n;
	int rc;

	rc = post_block_decode(bp, bl, first, docids, tfs, &n);
	if (rc)
		return rc;
	for (unsigned j = 0; j < n; j++) {
		uint32_t d = docids[j];
		double tf = tfs[j], dl;

		if (d >= ts->next_docid)
			return LEDE_ECORRUPT;
		if (d / IX_LEN_CHUNK != cur_chunk) {
			cur_chunk = d / IX_LEN_CHUNK;
			rc = ix_lens_chunk(ts->t, cur_chunk, &lens, scratch);
			if (rc)
				return rc;
		}
		dl = lens[d % IX_LEN_CHUNK];
		if (dl == 0)
			continue;   /* tombstoned */
		ts->acc[d] += (float)(ts->w * tf * (ts->k1 + 1) /
			(tf + ts->k1 * (1 - ts->b + ts->b * dl / ts->avgdl)));
	}
	return 0;
}

int srch_run(ix_txn *t, ana *a, const char *query, size_t len,
	     const srch_opts *o, srch_result *r)
{
	qctx q;
	ix_stats st;
	float *acc = NULL;
	double avgdl, N;
	size_t m, nh = 0;
	srch_hit *heap = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len > SRCH_MAX_QUERY_BYTES)
		return LEDE_ETOOBIG;
	if (o->k + o->offset > SRCH_MAX_K)
		return LEDE_ETOOBIG;
	memset(&q, 0, sizeof(q));
	rc = ana_text(a, query, len, 0, on_qtoken, &q, NULL);
	if (rc)
		return rc;
	rc = ix_stats_get(t, &st);
	if (rc)
		return rc;
	if (q.n == 0 || st.ndocs == 0)
		return 0;
	N = (double)st.ndocs;
	avgdl = (double)st.sumlen / N;
	acc = calloc(st.next_docid, sizeof(*acc));
	if (!acc)
		return LEDE_ENOMEM;
	for (size_t i = 0; i < q.n; i++) {
		const uint8_t *rp, *bp;
		size_t rl, bl;
		uint32_t df, first;
		ix_blocks *bk = NULL;
		post_dirent *ents = NULL;
		size_t nents;
		post_inline il;
		term_scorer ts;
		uint32_t ifirst;

		rc = ix_term_get(t, q.terms[i].key, q.terms[i].len, &rp, &rl);
		if (rc == LEDE_ENOTFOUND) {
			rc = 0;   /* a word the index lacks adds nothing */
			continue;
		}
		if (!rc)
			rc = post_term_decode_ex(rp, rl, &df, &ents, &nents,
						 &il);
		ifirst = !rc && nents ? ents[0].first : 0;
		free(ents);
		if (rc)
			goto out;
		if (df == 0)
			continue;
		ts.t = t;
		ts.acc = acc;
		ts.next_docid = st.next_docid;
		ts.w = q.terms[i].qtf * log(1.0 + (N - df + 0.5) / (df + 0.5));
		ts.k1 = o->k1;
		ts.b = o->b;
		ts.avgdl = avgdl;
		if (il.blk) {
			rc = score_block(&ts, ifirst, il.blk, il.blen);
			if (rc)
				goto out;
			continue;
		}
		rc = ix_blocks_open(t, q.terms[i].key, q.terms[i].len, &bk);
		if (rc)
			goto out;
		while ((rc = ix_blocks_next(bk, 0, &first, &bp, &bl)) == 0) {
			rc = score_block(&ts, first, bp, bl);
			if (rc)
				break;
		}
		ix_blocks_close(bk);
		if (rc < 0)
			goto out;
		rc = 0;
	}
	m = o->k + o->offset;
	heap = malloc((m ? m : 1) * sizeof(*heap));
	if (!heap) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	for (uint32_t d = 1; d < st.next_docid; d++) {
		if (acc[d] <= 0)
			continue;
		r->total++;
		if (m)
			heap_push(heap, &nh, m, (srch_hit){ d, acc[d] });
	}
	qsort(heap, nh, sizeof(*heap), cmp_hit);
	if (nh > o->offset) {
		memmove(heap, heap + o->offset,
			(nh - o->offset) * sizeof(*heap));
		r->n = nh - o->offset;
	}
	r->hits = heap;
	heap = NULL;
out:
	free(heap);
	free(acc);
	return rc;
}
