/*
 * search.c - the search core of search.h: query tree -> evaluation tree
 * of postings cursors -> top k.
 *
 * Owns, for one query: a cursor per leaf term (its decoded directory, the
 * current block decoded, positions of the current block when a phrase
 * asks), the evaluation nodes, a one-chunk cache of the length table and
 * the hit heap handed to the caller. Everything lives until the search
 * returns; nothing is shared between searches, so searches of different
 * threads only share the LMDB read transaction's map.
 *
 * Invariants: docids only grow along a cursor (document at a time); a
 * node's doc is 0 before its first move, DOC_END after its last match;
 * score bounds are never below a real score (each block's bound comes
 * from the competitive (tf, len) pairs the directory keeps, post.h).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/post.h"
#include "search.h"

#define DOC_END UINT32_MAX
/* Clauses of the root run_top handles: the plain-words cap plus what
 * feedback adds (at most 100 words). */
#define ROOT_MAX 512
/* Bounds are compared with a little slack so that rounding in a bound
 * never prunes a document whose exact score ties the threshold. */
#define UB_SLACK (1 + 1e-9)

/* ---- shared state of one search ------------------------------------- */

typedef struct sctx {
	ix_txn *t;
	ana *a;
	const srch_opts *o;
	double N, avgdl;
	/* length table: one chunk cached (docids ascend) */
	uint32_t chunk;
	const uint16_t *lens;
	uint16_t scratch[IX_LEN_CHUNK];
	/* the current candidate's length norm */
	uint32_t kdoc;
	double K;            /* k1 * (1 - b + b * len / avgdl) */
	double kbase, kslope;/* K = kbase + kslope * len */
	uint32_t next_docid;
	double dl;
	uint64_t postings, blocks, candidates;
	int top_list;        /* a lone word answered from its top list */
	/* explain */
	srch_part *parts;
	size_t nparts, cap_parts;
} sctx;

static int len_get(sctx *s, uint32_t d, uint32_t *dl)
{
	if (d / IX_LEN_CHUNK != s->chunk || !s->lens) {
		int rc = ix_lens_chunk(s->t, d / IX_LEN_CHUNK, &s->lens,
				       s->scratch);
		if (rc)
			return rc;
		s->chunk = d / IX_LEN_CHUNK;
	}
	*dl = s->lens[d % IX_LEN_CHUNK];
	return 0;
}

/* Prepare the length norm of document d; *live 0 for a tombstone. */
static int doc_norm(sctx *s, uint32_t d, int *live)
{
	uint32_t dl;
	int rc;

	if (s->kdoc == d) {
		*live = s->dl > 0;
		return 0;
	}
	rc = len_get(s, d, &dl);
	if (rc)
		return rc;
	s->kdoc = d;
	s->dl = dl;
	s->K = s->kbase + s->kslope * dl;
	*live = dl > 0;
	return 0;
}

static double idf_of(const sctx *s, uint32_t df)
{
	return log(1.0 + (s->N - df + 0.5) / (df + 0.5));
}

/* ---- a term's postings cursor ---------------------------------------- */

typedef struct tcur {
	char key[IX_TERMKEY_MAX];
	size_t klen;
	int title;                 /* title field: no length norm */
	uint32_t df;
	post_dirent *ents;
	size_t nents;
	post_inline il;
	size_t bi;                 /* current block */
	int loaded;
	uint32_t docids[POST_BLOCK_MAX], tfs[POST_BLOCK_MAX];
	unsigned n, i;
	uint32_t doc;
	size_t sbi;                /* shallow block (bounds only) */
	double w;                  /* boost * idf * (k1 + 1) */
	double *bub;               /* per-block score bound */
	double ub;                 /* max of bub */
	/* positions of the current block, when a phrase asks */
	uint32_t *pos;
	size_t pcap;
	size_t pos_bi;             /* block they belong to, +1 */
	uint32_t pstart[POST_BLOCK_MAX + 1];
	uint32_t plens[POST_BLOCK_MAX];   /* lengths, for codecs 2 and 3 */
	unsigned plens_to;                /* plens set up to here (the
					     documents decoded) */
	post_pos_rd prd;           /* read up to the documents asked for */
} tcur;

static void tc_free(tcur *c)
{
	if (!c)
		return;
	free(c->ents);
	free(c->bub);
	free(c->pos);
	free(c);
}

/* Open the cursor of termkey key; *out NULL when the index lacks it. */
static int tc_open(sctx *s, const char *key, size_t klen, double boost,
		   tcur **out)
{
	const uint8_t *rp;
	size_t rl;
	tcur *c;
	double k1 = s->o->k1, b = s->o->b;
	int rc;

	*out = NULL;
	if (klen == 0 || klen > IX_TERMKEY_MAX)
		return 0;
	rc = ix_term_get(s->t, key, klen, &rp, &rl);
	if (rc == LEDE_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return LEDE_ENOMEM;
	memcpy(c->key, key, klen);
	c->klen = klen;
	c->title = key[0] == IX_TITLE_MARK;
	rc = post_term_decode_ex(rp, rl, &c->df, &c->ents, &c->nents,
				 &c->il);
	if (rc)
		goto fail;
	if (c->df == 0 || c->nents == 0) {
		tc_free(c);
		return 0;
	}
	c->bub = malloc(c->nents * sizeof(*c->bub));
	if (!c->bub) {
		rc = LEDE_ENOMEM;
		goto fail;
	}
	c->w = boost * idf_of(s, c->df) * (k1 + 1);
	for (size_t i = 0; i < c->nents; i++) {
		double f = post_dirent_bound(&c->ents[i], k1,
					     c->title ? 0 : b, s->avgdl);
		c->bub[i] = c->w * f * UB_SLACK;
		if (c->bub[i] > c->ub)
			c->ub = c->bub[i];
	}
	*out = c;
	return 0;
fail:
	tc_free(c);
	return rc;
}

/* Decode block bi of c into docids/tfs (room for POST_BLOCK_MAX), *n
 * documents, checked against its directory entry (tfs NULL: docids
 * only). */
static int tc_read(sctx *s, const tcur *c, size_t bi, uint32_t *docids,
		   uint32_t *tfs, unsigned *n)
{
	const post_dirent *e = &c->ents[bi];
	const uint8_t *bp;
	size_t bl;
	uint32_t first = e->first;
	int rc;

	if (c->il.blk) {
		if (bi != 0)
			return LEDE_ECORRUPT;
		bp = c->il.blk;
		bl = c->il.blen;
	} else {
		rc = ix_blk_get(s->t, IX_BLK_POST, c->key, c->klen, e->first,
				&e->bl, &bp, &bl);
		if (rc)
			return rc;
	}
	rc = tfs ? post_block_decode(bp, bl, first, docids, tfs, n) :
		   post_block_docids(bp, bl, first, docids, n);
	if (rc)
		return rc;
	if (*n != e->n || docids[*n - 1] != e->last)
		return LEDE_ECORRUPT;
	s->postings += *n;
	s->blocks++;
	return 0;
}

static int tc_load(sctx *s, tcur *c, size_t bi)
{
	unsigned n;
	int rc = tc_read(s, c, bi, c->docids, c->tfs, &n);

	if (rc)
		return rc;
	c->n = n;
	c->i = 0;
	c->bi = bi;
	c->loaded = 1;
	return 0;
}

/* Back to before the first posting, keeping the directory and bounds
 * (a second pass over the list costs no second decode of its record). */
static void tc_rewind(tcur *c)
{
	c->bi = 0;
	c->loaded = 0;
	c->n = c->i = 0;
	c->doc = 0;
	c->sbi = 0;
	c->pos_bi = 0;
}

/* First block at or after from whose last docid is >= target. */
static size_t tc_find(const tcur *c, size_t from, uint32_t target)
{
	size_t lo = from, step = 1, hi;

	if (lo >= c->nents || c->ents[lo].last >= target)
		return lo;
	/* gallop, then binary search: long jumps cost O(log distance) */
	while (lo + step < c->nents && c->ents[lo + step].last < target) {
		lo += step;
		step <<= 1;
	}
	hi = lo + step < c->nents ? lo + step : c->nents;
	lo++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->ents[mid].last < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Move to the first posting with docid >= target. */
static int tc_advance(sctx *s, tcur *c, uint32_t target)
{
	size_t b;
	int rc;

	if (c->doc >= target)
		return 0;
	if (!c->loaded || c->docids[c->n - 1] < target) {
		b = tc_find(c, c->loaded ? c->bi + 1 : c->bi, target);
		if (b >= c->nents) {
			c->doc = DOC_END;
			return 0;
		}
		rc = tc_load(s, c, b);
		if (rc)
			return rc;
	}
	while (c->docids[c->i] < target)
		c->i++;
	c->doc = c->docids[c->i];
	return 0;
}

/* Score bound of the block holding target (0 past the end); *last gets
 * its last docid. Does not decode. */
static double tc_block_ub(tcur *c, uint32_t target, uint32_t *last)
{
	c->sbi = tc_find(c, c->sbi, target);
	if (c->sbi >= c->nents) {
		*last = DOC_END;
		return 0;
	}
	if (target < c->ents[c->sbi].first) {
		/* in the gap before the block: the term is absent there */
		*last = c->ents[c->sbi].first - 1;
		return 0;
	}
	*last = c->ents[c->sbi].last;
	return c->bub[c->sbi];
}

/* c's part at tf in a document of length dl (positive): tc_score
 * without the current document's cached norm. */
static double tc_part(const sctx *s, const tcur *c, double tf, uint32_t dl)
{
	double K = c->title ? s->o->k1 : s->kbase + s->kslope * dl;

	return c->w * tf / (tf + K);
}

static double tc_score(const sctx *s, const tcur *c)
{
	double tf = c->tfs[c->i];

	if (c->title)
		return c->w * tf / (tf + s->o->k1);
	return c->w * tf / (tf + s->K);
}

/* Positions of the current document (c->doc must be a posting). The
 * block's positions are read only as far as this document: a phrase's
 * candidates are usually a few documents of each block. */
static int tc_positions(sctx *s, tcur *c, const uint32_t **p, uint32_t *n)
{
	int rc;

	if (c->pos_bi != c->bi + 1) {
		const uint8_t *pp;
		size_t pl, tot = 0;

		for (unsigned j = 0; j < c->n; j++) {
			c->pstart[j] = (uint32_t)tot;
			tot += c->tfs[j];
		}
		c->pstart[c->n] = (uint32_t)tot;
		if (tot > c->pcap) {
			uint32_t *np = realloc(c->pos, tot * sizeof(*np));
			if (!np)
				return LEDE_ENOMEM;
			c->pos = np;
			c->pcap = tot;
		}
		if (c->il.blk) {
			pp = c->il.pos;
			pl = c->il.plen;
		} else {
			rc = ix_blk_get(s->t, IX_BLK_POS, c->key, c->klen,
					c->ents[c->bi].first,
					&c->ents[c->bi].pl, &pp, &pl);
			if (rc)
				return rc;
		}
		if (!pp || pl == 0)
			return LEDE_ECORRUPT;
		/* codecs 2 and 3 need the lengths of the documents they
		 * decode: fetched below, for those only */
		c->plens_to = post_pos_needs_lens(pp, pl) ? 0 : c->n;
		rc = post_pos_open(&c->prd, pp, pl, c->tfs, c->plens, c->n);
		if (rc)
			return rc;
		c->pos_bi = c->bi + 1;
	}
	if (c->prd.done <= c->i) {
		/* Asked for the very next document: candidates are dense
		 * here, read ahead rather than call once a document. A
		 * codec 3 block skips to the stored offset nearest before
		 * c->i instead of decoding every document up to it. */
		unsigned to = c->i + 1;
		int jumped = c->i > c->prd.done &&
			     post_pos_seek(&c->prd, c->i);

		if (c->i == c->prd.done && !jumped)
			to = c->i + 16 < c->n ? c->i + 16 : c->n;
		if (to > c->plens_to) {
			unsigned from = c->prd.done > c->plens_to ?
				c->prd.done : c->plens_to;

			/* lengths below from stay unset: never decoded */
			rc = ix_pos_lens(s->t, c->docids + from, to - from,
					 c->plens + from);
			if (rc)
				return rc;
			c->plens_to = to;
		}
		rc = post_pos_read(&c->prd, c->tfs, c->plens, c->n, to,
				   c->pos + c->pstart[c->prd.done]);
		if (rc)
			return rc;
	}
	*p = c->pos + c->pstart[c->i];
	*n = c->tfs[c->i];
	return 0;
}

/* ---- evaluation nodes ------------------------------------------------ */

enum { N_TERM, N_PHRASE, N_TPHRASE, N_BOOL, N_NONE };

typedef struct node node;
struct node {
	int kind, occur;
	size_t at;         /* index among its parent's kids */
	uint32_t doc;
	double ub;
	char what[96];
	/* N_TERM: c (main or title field), tb (the title booster of a
	 * main-field term, may be NULL) */
	tcur *c, *tb;
	double tbw;
	/* N_PHRASE / N_TPHRASE */
	tcur **pc;
	uint32_t *rel;
	char **stems;
	size_t np;
	double pw;         /* boost * sum idf * (k1 + 1) */
	uint32_t pf;       /* phrase frequency at doc */
	/* N_BOOL */
	node **kids;
	size_t nkids, nmust;
};

static void node_free(node *n)
{
	if (!n)
		return;
	tc_free(n->c);
	tc_free(n->tb);
	for (size_t i = 0; i < n->np; i++) {
		if (n->pc)
			tc_free(n->pc[i]);
		if (n->stems)
			free(n->stems[i]);
	}
	free(n->pc);
	free(n->rel);
	free(n->stems);
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n);
}

static int node_next(sctx *s, node *n, uint32_t target);
static int node_score(sctx *s, node *n, uint32_t d, double *sc);
static int probe(sctx *s, node *k, uint32_t d, double *x);

/* The two of cs[0..n) (n >= 2) with the fewest documents: cs[*a] the
 * fewest, then cs[*b]. */
static void rarest_two(tcur *const *cs, size_t n, size_t *a, size_t *b)
{
	*a = 0;
	*b = 1;
	if (cs[1]->df < cs[0]->df) {
		*a = 1;
		*b = 0;
	}
	for (size_t j = 2; j < n; j++) {
		if (cs[j]->df < cs[*a]->df) {
			*b = *a;
			*a = j;
		} else if (cs[j]->df < cs[*b]->df) {
			*b = j;
		}
	}
}

/* Count the occurrences of the phrase in the current document. */
static int phrase_freq(sctx *s, node *n, uint32_t *pf)
{
	const uint32_t *p[Q_MAX_TERMS];
	uint32_t np[Q_MAX_TERMS], at[Q_MAX_TERMS] = { 0 }, cnt = 0;
	int rc;

	if (n->np >= 3) {
		/* The two rarest words first: when they never stand at
		 * their distance, the frequent words' positions (the big
		 * blocks) are not read for this document. */
		size_t a, b, i = 0, k = 0;

		rarest_two(n->pc, n->np, &a, &b);
		rc = tc_positions(s, n->pc[a], &p[a], &np[a]);
		if (!rc)
			rc = tc_positions(s, n->pc[b], &p[b], &np[b]);
		if (rc)
			return rc;
		/* p[a][i] - rel[a] == p[b][k] - rel[b], both sorted */
		while (i < np[a] && k < np[b]) {
			uint64_t x = (uint64_t)p[a][i] + n->rel[b];
			uint64_t y = (uint64_t)p[b][k] + n->rel[a];

			if (x == y)
				break;
			if (x < y)
				i++;
			else
				k++;
		}
		if (i == np[a] || k == np[b]) {
			*pf = 0;
			return 0;
		}
	}
	for (size_t j = 0; j < n->np; j++) {
		rc = tc_positions(s, n->pc[j], &p[j], &np[j]);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < np[0]; i++) {
		uint64_t base = p[0][i];
		size_t j;

		for (j = 1; j < n->np; j++) {
			uint64_t want = base + n->rel[j];
			while (at[j] < np[j] && p[j][at[j]] < want)
				at[j]++;
			if (at[j] == np[j]) {
				*pf = cnt;
				return 0;
			}
			if (p[j][at[j]] != want)
				break;
		}
		if (j == n->np)
			cnt++;
	}
	*pf = cnt;
	return 0;
}

/* Occurrences of one word a headline may hold that a title phrase
 * looks at; more are ignored. */
#define TPOS_MAX 64

typedef struct tmatch {
	char **stems;
	size_t np;
	const uint32_t *rel;
	uint32_t *pos[Q_MAX_TERMS];
	uint32_t cnt[Q_MAX_TERMS];
	int over;
} tmatch;

static int on_title_tok(void *ctx, const char *st, size_t len,
			const tok_token *t)
{
	tmatch *m = ctx;

	for (size_t j = 0; j < m->np; j++) {
		if (strlen(m->stems[j]) == len &&
		    memcmp(m->stems[j], st, len) == 0) {
			if (m->cnt[j] < TPOS_MAX)
				m->pos[j][m->cnt[j]++] = t->pos;
			else
				m->over = 1;
		}
	}
	return 0;
}

/* Title phrases: the title field keeps no positions, so the stored
 * headline is analysed again (short, and only for candidates). */
static int title_phrase_freq(sctx *s, node *n, uint32_t d, uint32_t *pf)
{
	ix_doc doc;
	tmatch m;
	uint32_t pbuf[Q_MAX_TERMS][TPOS_MAX];
	uint32_t cnt = 0;
	int rc;

	*pf = 0;
	memset(&m, 0, sizeof(m));
	m.stems = n->stems;
	m.np = n->np;
	m.rel = n->rel;
	for (size_t j = 0; j < n->np; j++)
		m.pos[j] = pbuf[j];
	rc = ix_doc_get(s->t, d, &doc);
	if (rc == LEDE_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	rc = ana_text(s->a, doc.title, doc.title_len, 0, on_title_tok, &m,
		      NULL);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < m.cnt[0]; i++) {
		size_t j;
		for (j = 1; j < n->np; j++) {
			uint32_t want = m.pos[0][i] + n->rel[j], k;
			for (k = 0; k < m.cnt[j]; k++)
				if (m.pos[j][k] == want)
					break;
			if (k == m.cnt[j])
				break;
		}
		if (j == n->np)
			cnt++;
	}
	*pf = cnt;
	return 0;
}

/* Two cursors to their next common docid >= target: inside the blocks
 * both have loaded, a merge whose steps do not branch on which docid is
 * smaller (a coin toss per posting for words of similar frequency);
 * tc_advance only to cross into another block. */
static int leap_two(sctx *s, tcur *a, tcur *b, uint32_t target,
		    uint32_t *out)
{
	uint32_t d = target;
	int rc;

	for (;;) {
		const uint32_t *x, *y;
		unsigned i, j;

		rc = tc_advance(s, a, d);
		if (!rc && a->doc != DOC_END)
			rc = tc_advance(s, b, a->doc);
		if (rc)
			return rc;
		if (a->doc == DOC_END || b->doc == DOC_END) {
			*out = DOC_END;
			return 0;
		}
		x = a->docids;
		y = b->docids;
		i = a->i;
		j = b->i;
		while (i < a->n && j < b->n) {
			uint32_t u = x[i], v = y[j];

			if (u == v) {
				a->i = i;
				b->i = j;
				a->doc = b->doc = *out = u;
				return 0;
			}
			i += u < v;
			j += v < u;
		}
		/* One block ran out; every docid it had is below the other
		 * list's current one, where the search goes on. */
		if (i == a->n) {
			b->i = j;
			b->doc = d = y[j];
			a->i = a->n - 1;
			a->doc = x[a->i];
		} else {
			a->i = i;
			a->doc = d = x[i];
			b->i = b->n - 1;
			b->doc = y[b->i];
		}
	}
}

/* Cursors cs[0..n) to a common docid >= target: the two with the
 * fewest documents meet (leap_two), then the others are asked. */
static int leap_terms(sctx *s, tcur **cs, size_t n, uint32_t target,
		      uint32_t *out)
{
	uint32_t d = target;
	size_t a, b, j;
	int rc;

	if (n < 2) {
		rc = n ? tc_advance(s, cs[0], d) : 0;
		*out = n ? cs[0]->doc : d;
		return rc;
	}
	rarest_two(cs, n, &a, &b);
	for (;;) {
		rc = leap_two(s, cs[a], cs[b], d, &d);
		if (rc || d == DOC_END) {
			*out = DOC_END;
			return rc;
		}
		for (j = 0; j < n; j++) {
			rc = tc_advance(s, cs[j], d);
			if (rc)
				return rc;
			if (cs[j]->doc == DOC_END) {
				*out = DOC_END;
				return 0;
			}
			if (cs[j]->doc > d)
				break;
		}
		if (j == n) {
			*out = d;
			return 0;
		}
		d = cs[j]->doc;
	}
}

static int bool_excluded(sctx *s, node *n, uint32_t d, int *ex)
{
	int rc;

	*ex = 0;
	for (size_t i = 0; i < n->nkids; i++) {
		node *k = n->kids[i];
		if (k->occur != Q_MUST_NOT)
			continue;
		rc = node_next(s, k, d);
		if (rc)
			return rc;
		if (k->doc == d) {
			*ex = 1;
			return 0;
		}
	}
	return 0;
}

/* Move n to its first match >= target (n->doc). */
static int node_next(sctx *s, node *n, uint32_t target)
{
	uint32_t d;
	int rc, ex;

	if (n->doc >= target)
		return 0;
	switch (n->kind) {
	case N_NONE:
		n->doc = DOC_END;
		return 0;
	case N_TERM:
		rc = tc_advance(s, n->c, target);
		n->doc = n->c->doc;
		return rc;
	case N_PHRASE:
	case N_TPHRASE:
		for (;;) {
			rc = leap_terms(s, n->pc, n->np, target, &d);
			if (rc)
				return rc;
			if (d == DOC_END)
				break;
			if (n->kind == N_PHRASE)
				rc = phrase_freq(s, n, &n->pf);
			else
				rc = title_phrase_freq(s, n, d, &n->pf);
			if (rc)
				return rc;
			if (n->pf)
				break;
			target = d + 1;
		}
		n->doc = d;
		return 0;
	case N_BOOL:
		for (;;) {
			if (n->nmust) {
				d = target;
				for (size_t i = 0; i < n->nkids;) {
					node *k = n->kids[i];
					if (k->occur != Q_MUST) {
						i++;
						continue;
					}
					rc = node_next(s, k, d);
					if (rc)
						return rc;
					if (k->doc == DOC_END) {
						n->doc = DOC_END;
						return 0;
					}
					if (k->doc > d) {
						d = k->doc;
						i = 0;
						continue;
					}
					i++;
				}
			} else {
				d = DOC_END;
				for (size_t i = 0; i < n->nkids; i++) {
					node *k = n->kids[i];
					if (k->occur != Q_SHOULD)
						continue;
					rc = node_next(s, k, target);
					if (rc)
						return rc;
					if (k->doc < d)
						d = k->doc;
				}
			}
			if (d == DOC_END)
				break;
			rc = bool_excluded(s, n, d, &ex);
			if (rc)
				return rc;
			if (!ex)
				break;
			target = d + 1;
		}
		n->doc = d;
		return 0;
	}
	return LEDE_EINVAL;
}

static void add_part(sctx *s, const char *what, double tf, double idf,
		     double score)
{
	srch_part *p;

	if (!s->parts || s->nparts >= s->cap_parts)
		return;
	p = &s->parts[s->nparts++];
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->tf = tf;
	p->idf = idf;
	p->len = s->dl;
	p->score = score;
}

/* Score of n at d; n->doc == d (a match). */
static int node_score(sctx *s, node *n, uint32_t d, double *sc)
{
	double v = 0, x;
	int rc;

	switch (n->kind) {
	case N_TERM:
		v = tc_score(s, n->c);
		add_part(s, n->what, n->c->tfs[n->c->i],
			 n->c->w / (s->o->k1 + 1), v);
		if (n->tb) {
			rc = tc_advance(s, n->tb, d);
			if (rc)
				return rc;
			if (n->tb->doc == d) {
				x = n->tbw * tc_score(s, n->tb);
				v += x;
				if (s->parts) {
					char w[96];
					snprintf(w, sizeof(w), "title:%.80s",
						 n->what);
					add_part(s, w, n->tb->tfs[n->tb->i],
						 n->tbw * n->tb->w /
						 (s->o->k1 + 1), x);
				}
			}
		}
		break;
	case N_PHRASE:
		v = n->pw * n->pf / (n->pf + s->K);
		add_part(s, n->what, n->pf, n->pw / (s->o->k1 + 1), v);
		break;
	case N_TPHRASE:
		v = n->pw * n->pf / (n->pf + s->o->k1);
		add_part(s, n->what, n->pf, n->pw / (s->o->k1 + 1), v);
		break;
	case N_BOOL:
		for (size_t i = 0; i < n->nkids; i++) {
			node *k = n->kids[i];
			if (k->occur == Q_MUST_NOT)
				continue;
			rc = probe(s, k, d, &x);
			if (rc < 0)
				return rc;
			if (rc)
				v += x;
		}
		break;
	default:
		break;
	}
	*sc = v;
	return 0;
}

/* Move optional clause k to d and score it there: 1 with *x set when
 * it matches d, 0 when it does not, <0 on error. */
static int probe(sctx *s, node *k, uint32_t d, double *x)
{
	int rc = node_next(s, k, d);

	if (rc)
		return rc;
	if (k->doc != d)
		return 0;
	rc = node_score(s, k, d, x);
	return rc ? rc : 1;
}

/* Bound of n's score for documents from target to *last, as tight as
 * the block directory allows for single terms (*last = DOC_END for
 * nodes bounded as a whole). */
static double node_block_ub(node *n, uint32_t target, uint32_t *last)
{
	if (n->kind == N_TERM) {
		double v = tc_block_ub(n->c, target, last);
		uint32_t l2;

		if (n->tb) {
			v += n->tbw * tc_block_ub(n->tb, target, &l2);
			if (l2 < *last)
				*last = l2;
		}
		return v;
	}
	*last = DOC_END;
	return n->ub;
}

/* ---- building the evaluation tree ------------------------------------ */

static node *node_new(int kind, int occur)
{
	node *n = calloc(1, sizeof(*n));

	if (n) {
		n->kind = kind;
		n->occur = occur;
	}
	return n;
}

static int kid_add(node *p, node *k)
{
	node **nk = realloc(p->kids, (p->nkids + 1) * sizeof(*nk));

	if (!nk)
		return LEDE_ENOMEM;
	p->kids = nk;
	k->at = p->nkids;
	p->kids[p->nkids++] = k;
	if (k->occur == Q_MUST)
		p->nmust++;
	return 0;
}

static int make_key(int field, const char *stem, char *key, size_t *klen)
{
	size_t l = strlen(stem), at = 0;

	if (l == 0 || l + 1 > IX_TERMKEY_MAX)
		return 0;
	if (field == Q_TITLE)
		key[at++] = IX_TITLE_MARK;
	memcpy(key + at, stem, l);
	*klen = at + l;
	return 1;
}

static int term_node(sctx *s, int field, const char *stem, double boost,
		     int occur, const char *label, node **out)
{
	char key[IX_TERMKEY_MAX];
	size_t kl;
	node *n;
	int rc;

	*out = NULL;
	n = node_new(N_TERM, occur);
	if (!n)
		return LEDE_ENOMEM;
	snprintf(n->what, sizeof(n->what), "%s%s",
		 field == Q_TITLE ? "title:" : "", label);
	if (!make_key(field, stem, key, &kl)) {
		n->kind = N_NONE;
		*out = n;
		return 0;
	}
	rc = tc_open(s, key, kl, boost, &n->c);
	if (rc)
		goto fail;
	if (!n->c) {
		n->kind = N_NONE;
		*out = n;
		return 0;
	}
	n->ub = n->c->ub;
	if (field == Q_MAIN && s->o->title_w > 0 &&
	    make_key(Q_TITLE, stem, key, &kl)) {
		rc = tc_open(s, key, kl, boost, &n->tb);
		if (rc)
			goto fail;
		if (n->tb) {
			tcur *tb = n->tb;

			/* one idf per word (the main field's), as BM25F */
			for (size_t i = 0; i < tb->nents; i++)
				tb->bub[i] *= n->c->w / tb->w;
			tb->ub *= n->c->w / tb->w;
			tb->w = n->c->w;
			n->tbw = s->o->title_w;
			n->ub += n->tbw * tb->ub;
		}
	}
	*out = n;
	return 0;
fail:
	node_free(n);
	return rc;
}

static int phrase_node(sctx *s, const q_node *q, node **out)
{
	node *n;
	double idf = 0;
	size_t at = 0;
	int rc = 0;

	*out = NULL;
	n = node_new(q->field == Q_TITLE ? N_TPHRASE : N_PHRASE, q->occur);
	if (!n)
		return LEDE_ENOMEM;
	at = (size_t)snprintf(n->what, sizeof(n->what), "%s\"",
			      q->field == Q_TITLE ? "title:" : "");
	n->pc = calloc(q->nstems, sizeof(*n->pc));
	n->rel = calloc(q->nstems, sizeof(*n->rel));
	n->stems = calloc(q->nstems, sizeof(*n->stems));
	if (!n->pc || !n->rel || !n->stems) {
		rc = LEDE_ENOMEM;
		goto fail;
	}
	n->np = q->nstems;
	for (size_t j = 0; j < q->nstems; j++) {
		char key[IX_TERMKEY_MAX];
		size_t kl;

		if (at < sizeof(n->what))
			at += (size_t)snprintf(n->what + at,
					       sizeof(n->what) - at, "%s%s",
					       j ? " " : "", q->stems[j]);
		n->rel[j] = q->rel[j];
		n->stems[j] = strdup(q->stems[j]);
		if (!n->stems[j]) {
			rc = LEDE_ENOMEM;
			goto fail;
		}
		if (!make_key(q->field, q->stems[j], key, &kl))
			n->kind = N_NONE;
		else {
			rc = tc_open(s, key, kl, 1.0, &n->pc[j]);
			if (rc)
				goto fail;
		}
		if (!n->pc[j])
			n->kind = N_NONE;
		else
			idf += idf_of(s, n->pc[j]->df);
	}
	if (at < sizeof(n->what))
		snprintf(n->what + at, sizeof(n->what) - at, "\"");
	n->pw = q->boost * idf * (s->o->k1 + 1);
	n->ub = n->pw * UB_SLACK;
	*out = n;
	return 0;
fail:
	node_free(n);
	return rc;
}

typedef struct pfx_term {
	char key[IX_TERMKEY_MAX];
	size_t klen;
	uint32_t df;
} pfx_term;

static int pfx_worse(const pfx_term *a, const pfx_term *b)
{
	if (a->df != b->df)
		return a->df < b->df;
	return a->klen != b->klen ? a->klen > b->klen :
		memcmp(a->key, b->key, a->klen) > 0;
}

/* Keep the Q_PREFIX_MAX most frequent terms in a min-heap (h[0] the
 * least frequent kept). */
static void pfx_push(pfx_term *h, size_t *n, pfx_term v)
{
	size_t i;

	if (*n < Q_PREFIX_MAX) {
		i = (*n)++;
		while (i > 0 && pfx_worse(&v, &h[(i - 1) / 2])) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = v;
		return;
	}
	if (!pfx_worse(&h[0], &v))
		return;
	i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = l;
		if (l >= *n)
			break;
		if (r < *n && pfx_worse(&h[r], &h[l]))
			w = r;
		if (!pfx_worse(&h[w], &v))
			break;
		h[i] = h[w];
		i = w;
	}
	h[i] = v;
}

static int prefix_node(sctx *s, const q_node *q, node **out)
{
	char pk[IX_TERMKEY_MAX + 1];
	size_t pl = 0, nh = 0, scanned = 0;
	pfx_term *h = NULL;
	ix_cur *cur = NULL;
	const uint8_t *k, *v;
	size_t kl, vl;
	node *n;
	int rc;

	*out = NULL;
	n = node_new(N_BOOL, q->occur);
	if (!n)
		return LEDE_ENOMEM;
	snprintf(n->what, sizeof(n->what), "%s%s*",
		 q->field == Q_TITLE ? "title:" : "", q->text);
	if (!q->text || !make_key(q->field, q->text, pk, &pl)) {
		n->kind = N_NONE;
		*out = n;
		return 0;
	}
	h = malloc(Q_PREFIX_MAX * sizeof(*h));
	if (!h) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	rc = ix_cur_open(s->t, IX_POST, &cur);
	if (rc)
		goto out;
	rc = ix_cur_seek(cur, pk, pl, &k, &kl, &v, &vl);
	while (rc == 0 && scanned < SRCH_PREFIX_SCAN) {
		uint32_t df;

		if (kl < pl || memcmp(k, pk, pl) != 0)
			break;
		if (kl >= 1 && kl - 1 <= IX_TERMKEY_MAX && k[kl - 1] == 0 &&
		    memchr(k, 0, kl) == k + kl - 1) {
			/* a term record: termkey 0x00 */
			scanned++;
			if (post_term_df(v, vl, &df) == 0 && df > 0) {
				pfx_term e;
				memcpy(e.key, k, kl - 1);
				e.klen = kl - 1;
				e.df = df;
				pfx_push(h, &nh, e);
			}
		}
		rc = ix_cur_next(cur, &k, &kl, &v, &vl);
	}
	if (rc < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < nh; i++) {
		char stem[IX_TERMKEY_MAX + 1];
		size_t off = q->field == Q_TITLE ? 1 : 0;
		node *kid;

		memcpy(stem, h[i].key + off, h[i].klen - off);
		stem[h[i].klen - off] = 0;
		rc = term_node(s, q->field, stem, q->boost, Q_SHOULD, stem,
			       &kid);
		if (rc)
			goto out;
		if (kid->kind == N_NONE) {
			node_free(kid);
			continue;
		}
		rc = kid_add(n, kid);
		if (rc) {
			node_free(kid);
			goto out;
		}
		n->ub += kid->ub;
	}
	if (n->nkids == 0)
		n->kind = N_NONE;
out:
	ix_cur_close(cur);
	free(h);
	if (rc) {
		node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static int build(sctx *s, const q_node *q, int depth, node **out);

static int bool_node(sctx *s, const q_node *q, int depth, node **out)
{
	node *n;
	size_t nshould = 0;
	int rc;

	*out = NULL;
	n = node_new(N_BOOL, q->occur);
	if (!n)
		return LEDE_ENOMEM;
	snprintf(n->what, sizeof(n->what), "(group)");
	for (size_t i = 0; i < q->nkids; i++) {
		node *k;
		rc = build(s, q->kids[i], depth + 1, &k);
		if (rc)
			goto fail;
		if (k->kind == N_NONE && k->occur != Q_MUST) {
			node_free(k);   /* an absent optional or excluded
					 * word changes nothing */
			continue;
		}
		rc = kid_add(n, k);
		if (rc) {
			node_free(k);
			goto fail;
		}
		if (k->occur != Q_MUST_NOT)
			n->ub += k->ub;
		if (k->occur == Q_SHOULD)
			nshould++;
	}
	/* A required clause the index lacks, or nothing that could match:
	 * the group matches nothing. */
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->occur == Q_MUST &&
		    n->kids[i]->kind == N_NONE)
			n->kind = N_NONE;
	if (n->nmust == 0 && nshould == 0)
		n->kind = N_NONE;
	*out = n;
	return 0;
fail:
	node_free(n);
	return rc;
}

static int build(sctx *s, const q_node *q, int depth, node **out)
{
	if (depth > Q_MAX_DEPTH + 2) {
		*out = node_new(N_NONE, q->occur);
		return *out ? 0 : LEDE_ENOMEM;
	}
	switch (q->kind) {
	case Q_TERM:
		if (q->nstems < 1) {
			*out = node_new(N_NONE, q->occur);
			return *out ? 0 : LEDE_ENOMEM;
		}
		return term_node(s, q->field, q->stems[0], q->boost,
				 q->occur, q->stems[0], out);
	case Q_PHRASE:
		if (q->nstems == 1)
			return term_node(s, q->field, q->stems[0], q->boost,
					 q->occur, q->stems[0], out);
		if (q->nstems == 0 || q->nstems > Q_MAX_TERMS) {
			*out = node_new(N_NONE, q->occur);
			return *out ? 0 : LEDE_ENOMEM;
		}
		return phrase_node(s, q, out);
	case Q_PREFIX:
		return prefix_node(s, q, out);
	case Q_BOOL:
		return bool_node(s, q, depth, out);
	}
	return LEDE_EINVAL;
}

/* Postings of every list of the tree: what an exhaustive evaluation
 * would decode. */
static uint64_t tree_postings(const node *n)
{
	uint64_t v = 0;

	if (n->c)
		v += n->c->df;
	if (n->tb)
		v += n->tb->df;
	for (size_t j = 0; j < n->np; j++)
		if (n->pc && n->pc[j])
			v += n->pc[j]->df;
	for (size_t i = 0; i < n->nkids; i++)
		v += tree_postings(n->kids[i]);
	return v;
}

/* Main-field stems of the tree, for snippets. */
static int collect_stems(const node *n, srch_result *r)
{
	const char *one[Q_MAX_TERMS];
	size_t m = 0;

	if (n->kind == N_TERM && !n->c->title)
		one[m++] = n->c->key;
	if (n->kind == N_PHRASE)
		for (size_t j = 0; j < n->np && m < Q_MAX_TERMS; j++)
			one[m++] = n->stems[j];
	if (n->kind == N_TPHRASE)
		for (size_t j = 0; j < n->np && m < Q_MAX_TERMS; j++)
			one[m++] = n->stems[j];
	if (n->kind == N_TERM && n->c->title)
		one[m++] = n->c->key + 1;
	if (n->occur == Q_MUST_NOT)
		return 0;
	for (size_t i = 0; i < m; i++) {
		size_t l = n->kind == N_TERM ? n->c->klen - n->c->title :
			strlen(one[i]);
		char **ns;
		size_t j;

		for (j = 0; j < r->nstems; j++)
			if (strlen(r->stems[j]) == l &&
			    memcmp(r->stems[j], one[i], l) == 0)
				break;
		if (j < r->nstems)
			continue;
		ns = realloc(r->stems, (r->nstems + 1) * sizeof(*ns));
		if (!ns)
			return LEDE_ENOMEM;
		r->stems = ns;
		r->stems[r->nstems] = strndup(one[i], l);
		if (!r->stems[r->nstems])
			return LEDE_ENOMEM;
		r->nstems++;
	}
	if (n->kind == N_BOOL)
		for (size_t i = 0; i < n->nkids; i++) {
			int rc = collect_stems(n->kids[i], r);
			if (rc)
				return rc;
		}
	return 0;
}

/* ---- top k ---------------------------------------------------------- */

typedef struct heap {
	srch_hit *h;
	size_t n, m;
	int by_date;
} heap;

static int hit_better(const heap *hp, const srch_hit *a, const srch_hit *b)
{
	if (hp->by_date && a->date != b->date)
		return a->date > b->date;
	if (a->score != b->score)
		return a->score > b->score;
	return a->docid < b->docid;
}

static void heap_push(heap *hp, srch_hit v)
{
	srch_hit *h = hp->h;
	size_t i;

	if (hp->m == 0)
		return;
	if (hp->n < hp->m) {
		i = hp->n++;
		while (i > 0 && hit_better(hp, &h[(i - 1) / 2], &v)) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = v;
		return;
	}
	if (!hit_better(hp, &v, &h[0]))
		return;
	i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = l;
		if (l >= hp->n)
			break;
		if (r < hp->n && hit_better(hp, &h[l], &h[r]))
			w = r;
		if (!hit_better(hp, &v, &h[w]))
			break;
		h[i] = h[w];
		i = w;
	}
	h[i] = v;
}

static int cmp_hit(const void *a, const void *b, void *ctx)
{
	const heap *hp = ctx;
	const srch_hit *x = a, *y = b;

	if (hit_better(hp, x, y))
		return -1;
	return hit_better(hp, y, x) ? 1 : 0;
}

static double heap_min(const heap *hp)
{
	return hp->n < hp->m ? -1.0 : hp->h[0].score;
}

/* The date of d if the filter passes: *ok 0 when it does not. */
static int date_ok(sctx *s, int32_t from, int32_t to, uint32_t d,
		   int need, int32_t *date, int *ok)
{
	ix_doc doc;
	int rc;

	*ok = 1;
	*date = 0;
	if (!from && !to && !need)
		return 0;
	if (s->o->dates && d < s->o->ndates) {
		*date = s->o->dates[d];
		if ((from && *date < from) || (to && (*date > to ||
						      *date <= 0)))
			*ok = 0;
		return 0;
	}
	rc = ix_doc_get(s->t, d, &doc);
	if (rc == LEDE_ENOTFOUND) {
		*ok = 0;
		return 0;
	}
	if (rc)
		return rc;
	*date = doc.date;
	if ((from && doc.date < from) || (to && (doc.date > to ||
						 doc.date <= 0)))
		*ok = 0;
	return 0;
}

typedef struct plan {
	node *root;
	int32_t from, to;
	int by_date;
} plan;

/* Set bits of x, in a few instructions: __builtin_popcountll is a
 * library call on the baseline x86-64 this is built for. */
static inline uint64_t pop64(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* The live documents among the bits: all of them less the tombstoned
 * ones. A deleted document keeps its postings, and a "dead" entry,
 * until `lede compact` drops both (ix.h), so the dead table names every
 * document a list can hold whose length is 0; each is checked against
 * the length table all the same. */
static int count_live(sctx *s, const uint64_t *bits, size_t nw,
		      uint32_t next_docid, uint64_t *total)
{
	uint64_t n = 0;
	ix_cur *cu = NULL;
	const uint8_t *k;
	size_t kl;
	int rc;

	for (size_t w = 0; w < nw; w++)
		n += pop64(bits[w]);
	rc = ix_cur_open(s->t, IX_DEAD, &cu);
	if (rc)
		return rc;
	for (rc = ix_cur_seek(cu, NULL, 0, &k, &kl, NULL, NULL); rc == 0;
	     rc = ix_cur_next(cu, &k, &kl, NULL, NULL)) {
		uint32_t d, dl;

		if (kl != 4) {
			rc = LEDE_ECORRUPT;
			break;
		}
		d = u32be_get(k);
		if (d >= next_docid || !(bits[d >> 6] >> (d & 63) & 1))
			continue;
		rc = len_get(s, d, &dl);
		if (rc)
			break;
		if (dl) {
			rc = LEDE_ECORRUPT;   /* a live document listed dead */
			break;
		}
		n--;
	}
	ix_cur_close(cu);
	if (rc < 0)
		return rc;
	*total += n;
	return 0;
}

/* Whether the exact count must see each match (count_one), not only
 * add them up. */
static int count_each(const sctx *s)
{
	return (s->o->month_cnt && s->o->months) || s->o->on_match;
}

/* A match the exact count counts, besides the total: its month for the
 * timeline, and the caller's on_match. */
static void count_one(const sctx *s, uint32_t d)
{
	const srch_opts *o = s->o;

	if (o->month_cnt && o->months && d < o->ndates)
		o->month_cnt[o->months[d]]++;
	if (o->on_match)
		o->on_match(o->match_ctx, d);
}

/* The exact count of a root that is an OR of words, maybe with excluded
 * words: every list is decoded into a bitmap over docids (one bit a
 * document), the excluded ones cleared, and the bits walked once. Far
 * cheaper than matching document at a time through the tree. Returns
 * 1 (nothing done) for any other root, or a date filter without the
 * dense date array. */
static int count_bitmap(sctx *s, plan *p, uint32_t next_docid,
			uint64_t *total)
{
	node *r = p->root;
	uint64_t *bits = NULL;
	size_t nw = ((size_t)next_docid + 63) / 64;
	int rc = 0;
	int each = count_each(s);

	if (r->kind != N_BOOL || r->nmust)
		return 1;
	for (size_t i = 0; i < r->nkids; i++)
		if (r->kids[i]->kind != N_TERM)
			return 1;
	if ((p->from || p->to) && (!s->o->dates ||
				   s->o->ndates < next_docid))
		return 1;
	bits = calloc(nw ? nw : 1, sizeof(*bits));
	if (!bits)
		return LEDE_ENOMEM;
	/* optional words first, then the excluded ones clear their bits */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->nkids; i++) {
			node *k = r->kids[i];
			tcur *c = k->c;

			if ((k->occur == Q_MUST_NOT) != pass)
				continue;
			for (size_t bi = 0; bi < c->nents; bi++) {
				unsigned nd;

				/* docids only; tc_rewind follows */
				rc = tc_read(s, c, bi, c->docids, NULL, &nd);
				if (rc)
					goto out;
				/* ascending, the last checked against the
				 * directory by tc_read: one bound check */
				if (c->ents[bi].last >= next_docid) {
					rc = LEDE_ECORRUPT;
					goto out;
				}
				if (pass) {
					for (unsigned j = 0; j < nd; j++) {
						uint32_t d = c->docids[j];
						bits[d >> 6] &= ~(1ULL << (d & 63));
					}
				} else {
					for (unsigned j = 0; j < nd; j++) {
						uint32_t d = c->docids[j];
						bits[d >> 6] |= 1ULL << (d & 63);
					}
				}
			}
		}
	}
	if (!p->from && !p->to && !each) {
		rc = count_live(s, bits, nw, next_docid, total);
		goto out;
	}
	for (size_t w = 0; w < nw; w++) {
		uint64_t v = bits[w];

		while (v) {
			uint32_t d = (uint32_t)(w * 64 +
						(size_t)__builtin_ctzll(v));
			uint32_t dl;

			v &= v - 1;
			rc = len_get(s, d, &dl);
			if (rc)
				goto out;
			if (dl == 0)
				continue;   /* deleted */
			if (p->from || p->to) {
				int32_t dt = s->o->dates[d];
				if ((p->from && dt < p->from) ||
				    (p->to && (dt > p->to || dt <= 0)))
					continue;
			}
			(*total)++;
			count_one(s, d);
		}
	}
out:
	free(bits);
	return rc;
}

/* Every match in docid order, scored: sort:date, counts, exhaustive. */
static int run_all(sctx *s, plan *p, heap *hp, uint64_t *total,
		   int score)
{
	node *r = p->root;
	uint32_t d = 1;
	int rc, live, ok;

	for (;;) {
		double sc = 0;
		int32_t date;

		rc = node_next(s, r, d);
		if (rc)
			return rc;
		if (r->doc == DOC_END)
			return 0;
		d = r->doc;
		rc = doc_norm(s, d, &live);
		if (rc)
			return rc;
		if (live) {
			rc = date_ok(s, p->from, p->to, d, score &&
				     p->by_date, &date, &ok);
			if (rc)
				return rc;
			if (ok) {
				(*total)++;
				count_one(s, d);
				if (score) {
					s->candidates++;
					rc = node_score(s, r, d, &sc);
					if (rc)
						return rc;
					heap_push(hp, (srch_hit){ d, sc,
						  date });
				}
			}
		}
		if (d == DOC_END - 1)
			return 0;
		d++;
	}
}

/* The root's score from its kids' parts, added in the kids' order as
 * node_score does: pruned and exhaustive runs then agree to the bit,
 * and so do their tie breaks. */
static double canon_sum(const node *r, const double *part,
			const unsigned char *got)
{
	double v = 0;

	for (size_t i = 0; i < r->nkids && i < ROOT_MAX; i++)
		if (got[i])
			v += part[i];
	return v;
}

static int cmp_ub(const void *a, const void *b)
{
	const node *x = *(node *const *)a, *y = *(node *const *)b;

	return x->ub < y->ub ? -1 : x->ub > y->ub;
}

typedef struct ms_list {
	node *n;
	int ne;            /* non-essential */
} ms_list;

static int cmp_ub_asc(const void *a, const void *b)
{
	const ms_list *x = *(ms_list *const *)a, *y = *(ms_list *const *)b;

	return x->n->ub < y->n->ub ? -1 : x->n->ub > y->n->ub;
}

static int cmp_ub_desc(const void *a, const void *b)
{
	const ms_list *x = *(ms_list *const *)a, *y = *(ms_list *const *)b;

	return x->n->ub > y->n->ub ? -1 : x->n->ub < y->n->ub;
}

/* Block bounds of the m lists at docid at into blk[], their sum, and
 * *upto, the last docid for which all of them hold. */
static double list_bounds(const ms_list *ls, size_t m, uint32_t at,
			  double *blk, uint32_t *upto)
{
	double range = 0;
	uint32_t last;

	*upto = DOC_END;
	for (size_t i = 0; i < m; i++) {
		blk[i] = node_block_ub(ls[i].n, at, &last);
		range += blk[i];
		if (last < *upto)
			*upto = last;
	}
	return range;
}

/* Up to this many optional clauses, the essential ones are chosen again
 * for every stretch of docids over which all block bounds hold. */
#define LOCAL_MAX 16

/* The m bounds b in ascending order into idx (room for m);
 * returns how many come first whose sum is at most th (none when th <
 * 0): those lists cannot beat the threshold alone, the non-essential
 * ones of MaxScore. */
static size_t split_bounds(const double *b, size_t m, double th,
			   size_t *idx)
{
	double sum = 0;
	size_t i, j;

	for (i = 0; i < m; i++) {
		for (j = i; j > 0 && b[idx[j - 1]] > b[i]; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	for (i = 0; i < m && th >= 0 && sum + b[idx[i]] <= th; i++)
		sum += b[idx[i]];
	return i;
}

/* Split the m lists by their block bounds blk over the current stretch:
 * those of least bound whose bounds sum to at most th are
 * non-essential there (nel, highest bound first, rem[i] the sum of
 * nel[i..]'s bounds); with blk NULL (no threshold yet) every list is
 * essential. */
static void local_partition(ms_list *ls, size_t m, const double *blk,
			    double th, ms_list **ess, size_t *ne,
			    ms_list **nel, size_t *nn, double *rem)
{
	size_t idx[LOCAL_MAX], i, j;

	*ne = *nn = 0;
	if (!blk) {
		for (i = 0; i < m; i++) {
			ls[i].ne = 0;
			ess[(*ne)++] = &ls[i];
		}
		rem[0] = 0;
		return;
	}
	i = split_bounds(blk, m, th, idx);
	/* idx[0..i) are non-essential: list them highest bound first */
	for (j = 0; j < m; j++)
		ls[idx[j]].ne = j < i;
	for (j = i; j-- > 0;)
		nel[(*nn)++] = &ls[idx[j]];
	for (j = m; j-- > i;)
		ess[(*ne)++] = &ls[idx[j]];
	rem[*nn] = 0;
	for (j = *nn; j-- > 0;)
		rem[j] = rem[j + 1] + blk[nel[j] - ls];
}

/* MaxScore over optional clauses: the clauses of least bound whose
 * bounds sum to at most the threshold can only add to documents the
 * others find; they are non-essential (probed, never walked). Choosing
 * them by cost (df) instead was measured 20% slower on the 1M corpus:
 * a high bound left among the probed ones rejects fewer candidates. */
static int run_maxscore(sctx *s, plan *p, heap *hp, node **sh, size_t m)
{
	node *r = p->root;
	ms_list ls[ROOT_MAX], *byasc[ROOT_MAX], *byub[ROOT_MAX];
	ms_list *ess[ROOT_MAX], *nel[ROOT_MAX];
	double rem[ROOT_MAX + 1], part[ROOT_MAX], blk[ROOT_MAX];
	double range = 0, pth = -2;
	unsigned char got[ROOT_MAX];
	size_t ne = 0, nn = 0;
	uint32_t d = 0, upto = 0;
	int have_blk = 0, rc, live, ok, ex, prune, dirty = 1;
	int local = m <= LOCAL_MAX;
	int32_t date;

	for (size_t i = 0; i < m; i++) {
		ls[i].n = sh[i];
		ls[i].ne = 0;
		byasc[i] = byub[i] = &ls[i];
	}
	qsort(byasc, m, sizeof(*byasc), cmp_ub_asc);
	qsort(byub, m, sizeof(*byub), cmp_ub_desc);
	for (;;) {
		double sc = 0, x, th, bound;
		size_t i;
		int rejected = 0;
		uint32_t c = DOC_END, target;

		th = heap_min(hp);
		prune = !s->o->exhaustive && th >= 0;
		if (th != pth && local) {
			pth = th;
			dirty = 1;
		} else if (th != pth) {
			/* (re)partition for the new threshold */
			double sum = 0;

			pth = th;
			int fits = prune;

			for (i = 0; i < m; i++) {
				ms_list *l = byasc[i];
				fits = fits && sum + l->n->ub <= th;
				l->ne = fits;
				sum += l->n->ub;
			}
			ne = nn = 0;
			for (i = 0; i < m; i++) {
				if (byub[i]->ne)
					nel[nn++] = byub[i];
				else
					ess[ne++] = byub[i];
			}
			if (ne == 0)
				return 0;   /* nothing can beat the top k */
			rem[nn] = 0;
			for (i = nn; i-- > 0;)
				rem[i] = rem[i + 1] + nel[i]->n->ub;
		}
		if (d == DOC_END)
			return 0;
		target = d + 1;
		/* Block bounds of every clause hold over [target, upto]:
		 * while even their sum cannot beat the threshold, jump past
		 * upto before any cursor moves there, so that the blocks
		 * jumped over are never decoded. */
		while (prune) {
			if (target > upto || !have_blk) {
				range = list_bounds(ls, m, target, blk, &upto);
				have_blk = 1;
				dirty = 1;
			}
			if (range > th)
				break;
			if (upto == DOC_END)
				return 0;
			target = upto + 1;
		}
		if (local && dirty) {
			local_partition(ls, m, prune ? blk : NULL, th, ess,
					&ne, nel, &nn, rem);
			dirty = 0;
		}
		/* the next candidate: the least docid of essential lists */
		for (i = 0; i < ne; i++) {
			rc = node_next(s, ess[i]->n, target);
			if (rc)
				return rc;
			if (ess[i]->n->doc < c)
				c = ess[i]->n->doc;
		}
		if (local && prune && c > upto) {
			/* no essential list has a document before upto: only
			 * the others do, and they cannot beat the threshold */
			if (upto == DOC_END)
				return 0;
			d = upto;
			continue;
		}
		if (c == DOC_END)
			return 0;
		d = c;
		if (prune) {
			if (d > upto)
				range = list_bounds(ls, m, d, blk, &upto);
			if (range <= th)
				continue;   /* the loop jumps from d + 1 */
			bound = 0;
			for (i = 0; i < m; i++)
				if (ls[i].ne || ls[i].n->doc == d)
					bound += blk[i];
			if (bound <= th)
				continue;
			/* A word's title part is bounded per block of its own
			 * list, which rarely lines up with the main blocks:
			 * drop it for a candidate whose title lacks the word
			 * (the title list is short, so looking is cheap). */
			for (i = 0; i < m && bound > th; i++) {
				node *k = ls[i].n;
				uint32_t l2;

				if (k->kind != N_TERM || !k->tb || k->doc != d)
					continue;
				rc = tc_advance(s, k->tb, d);
				if (rc)
					return rc;
				if (k->tb->doc != d)
					bound -= k->tbw * tc_block_ub(k->tb, d, &l2);
			}
			if (bound <= th)
				continue;
		}
		rc = doc_norm(s, d, &live);
		if (rc)
			return rc;
		if (!live)
			continue;
		s->candidates++;
		memset(got, 0, r->nkids);
		for (i = 0; i < ne; i++) {
			node *k = ess[i]->n;
			if (k->doc != d)
				continue;
			rc = node_score(s, k, d, &x);
			if (rc)
				return rc;
			sc += x;
			part[k->at] = x;
			got[k->at] = 1;
		}
		for (i = 0; i < nn; i++) {
			node *k = nel[i]->n;
			if (!s->o->exhaustive && th >= 0 &&
			    sc + rem[i] <= th) {
				rejected = 1;
				break;
			}
			rc = probe(s, k, d, &x);
			if (rc < 0)
				return rc;
			if (!rc)
				continue;
			sc += x;
			part[k->at] = x;
			got[k->at] = 1;
		}
		if (rejected)
			continue;
		sc = canon_sum(r, part, got);
		if (!s->o->exhaustive && th >= 0 && sc <= th)
			continue;
		rc = bool_excluded(s, r, d, &ex);
		if (rc)
			return rc;
		if (ex)
			continue;
		rc = date_ok(s, p->from, p->to, d, 0, &date, &ok);
		if (rc)
			return rc;
		if (ok)
			heap_push(hp, (srch_hit){ d, sc, 0 });
	}
}

/* ---- OR-ed words, a window of docids at a time ---------------------
 *
 * For a root that is an OR of plain words, the docids are taken WIN at a
 * time (one chunk of the length table). Over a window each word is
 * bounded by its highest block bound there; a window whose bounds sum
 * to at most the threshold is skipped without decoding. Otherwise the
 * words of least bound whose bounds sum to at most the threshold are
 * non-essential there (as in MaxScore), and the postings of the others
 * are decoded and their main-field parts added into an array over the
 * window, a word at a time: a tight loop with no per-document merging
 * of lists. The documents reached are then taken in docid order; one
 * whose sum plus the bounds of what is missing (title parts, the
 * non-essential words) can beat the threshold is scored exactly, its
 * non-essential words probed, and the parts added in the root's order
 * (canon_sum), so the hits and scores are the exhaustive ones, bit for
 * bit. Two or more frequent words (where every document of each list is
 * a candidate) are the case this is for. */
#define WIN IX_LEN_CHUNK
#define WIN_MAX 16           /* words; more go through run_maxscore */

typedef struct wblk {
	size_t bi;               /* block decoded in docids/tfs, +1 */
	unsigned n;
	uint32_t docids[POST_BLOCK_MAX], tfs[POST_BLOCK_MAX];
} wblk;

typedef struct wterm {
	node *n;
	size_t at, tat;          /* first block of c / tb ending in or after
				    the window */
	double wb;               /* bound over the window, title part in */
	wblk mb, tb;             /* the blocks of c / tb decoded last */
	uint32_t *tf, *ttf;      /* WIN tfs of c / tb over the window,
				    valid where has / thas has the bit */
	uint64_t has[WIN / 64], thas[WIN / 64];
} wterm;

/* Block j of c into bk, unless it is there already. */
static int wblk_load(sctx *s, const tcur *c, size_t j, wblk *bk)
{
	int rc;

	if (bk->bi == j + 1)
		return 0;
	rc = tc_read(s, c, j, bk->docids, bk->tfs,
		     &bk->n);
	if (!rc)
		bk->bi = j + 1;
	return rc;
}

/* The first posting of bk at or after docid lo. */
static unsigned wblk_from(const wblk *bk, uint32_t lo)
{
	unsigned a = 0, b = bk->n;

	if (bk->docids[0] >= lo)
		return 0;   /* the block starts in the window */
	while (a < b) {
		unsigned mid = (a + b) / 2;

		if (bk->docids[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/* The highest block bound of c over [lo, hi]; *at moves to c's first
 * block ending at or after lo. */
static double win_bound(const tcur *c, size_t *at, uint32_t lo, uint32_t hi)
{
	double v = 0;

	*at = tc_find(c, *at, lo);
	for (size_t j = *at; j < c->nents && c->ents[j].first <= hi; j++)
		if (c->bub[j] > v)
			v = c->bub[j];
	return v;
}

/* Whether run_window can take the root: an OR of 2..WIN_MAX words, with
 * nothing else to check per document. */
static int window_ok(const sctx *s, const plan *p, node **sh, size_t m)
{
	const node *r = p->root;

	if (s->o->exhaustive || p->from || p->to || m < 2 || m > WIN_MAX ||
	    m != r->nkids)
		return 0;
	for (size_t i = 0; i < m; i++)
		if (sh[i]->kind != N_TERM || sh[i]->occur != Q_SHOULD ||
		    sh[i]->c->title)
			return 0;
	return 1;
}

/* Decode c's postings in [lo, lo + WIN) (from its block at on) into
 * tf, adding each one's part times wt (main field: with the length norm)
 * to acc and marking the documents in has (tf is valid where has has
 * the bit). */
static int win_gather(sctx *s, const tcur *c, size_t at, wblk *bk,
		      double wt, uint32_t lo, const uint16_t *lens,
		      uint32_t *tf, double *acc, uint64_t *has)
{
	uint32_t hi = lo + WIN - 1;
	int rc;

	for (size_t j = at; j < c->nents && c->ents[j].first <= hi; j++) {
		unsigned q;

		rc = wblk_load(s, c, j, bk);
		if (rc)
			return rc;
		for (q = wblk_from(bk, lo); q < bk->n && bk->docids[q] <= hi;
		     q++) {
			uint32_t off = bk->docids[q] - lo, dl = lens[off];

			if (!dl)
				continue;   /* a tombstone */
			tf[off] = bk->tfs[q];
			acc[off] += wt * tc_part(s, c, bk->tfs[q], dl);
			has[off / 64] |= (uint64_t)1 << (off % 64);
		}
	}
	return 0;
}

/* The window's arrays, kept by each thread from one search to the next:
 * zeroing half a megabyte for every query cost news queries (50-100 µs)
 * about a tenth of their time. run_window leaves acc all zero, also
 * when it stops on an error; a tf counts only where its list's bit is
 * set (wterm.has), so tf needs no zeroing. */
typedef struct wscratch {
	double *acc;             /* WIN sums */
	uint32_t *tf;            /* 2 * words * WIN tfs */
	size_t words;            /* room in tf */
} wscratch;

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static int ws_key_ok;

static void ws_free(void *v)
{
	wscratch *w = v;

	free(w->acc);
	free(w->tf);
	free(w);
}

static void ws_init(void)
{
	ws_key_ok = pthread_key_create(&ws_key, ws_free) == 0;
}

/* This thread's arrays, with room for m words; NULL without memory. */
static wscratch *ws_get(size_t m)
{
	wscratch *w;

	pthread_once(&ws_once, ws_init);
	if (!ws_key_ok)
		return NULL;
	w = pthread_getspecific(ws_key);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return NULL;
		w->acc = calloc(WIN, sizeof(*w->acc));
		if (!w->acc || pthread_setspecific(ws_key, w)) {
			free(w->acc);
			free(w);
			return NULL;
		}
	}
	if (w->words < m) {
		uint32_t *tf = malloc(2 * m * (size_t)WIN * sizeof(*tf));

		if (!tf)
			return NULL;
		free(w->tf);
		w->tf = tf;
		w->words = m;
	}
	return w;
}

/* A non-essential word with at most this many postings in the window
 * per posting of the essential ones is added up with them instead of
 * probed: probing a candidate costs several times adding a posting, and
 * a word as frequent as the others would be probed at most of their
 * documents. Highest bound first, while the ratio holds. Measured
 * (second to fifth of five interleaved runs, medians): 0 -> 0.75 moved
 * 1M T2+T3 p99 3565 -> 3173 µs at the same p50, news p50 / p99 46 / 166
 * -> 44 / 150 µs; 1.0 was better on news, worse at 1M p50. */
#define WIN_PROMOTE 0.75
/* And more, when the last window that probed found many candidates: a
 * word is added up while its postings are at most WIN_PROBE_COST times
 * the candidates that window had per essential posting, times the
 * essential postings here. Two frequent words ("inc pct") are then
 * added up whole instead of probing one at every second document of
 * the other. 1M T2 p99 2539 -> 1933 µs, news T2 p99 134 -> 114 µs,
 * p50 unchanged (2 and 6 measured worse at 1M). */
#define WIN_PROBE_COST 4

/* Postings of c in blocks from at that start by hi (those of a block
 * partly in the window all count). */
static double win_np(const tcur *c, size_t at, uint32_t hi)
{
	double n = 0;

	for (size_t j = at; j < c->nents && c->ents[j].first <= hi; j++)
		n += c->ents[j].n;
	return n;
}

/* The window terms of the m words k (tfs in tfmem, 2 * m * WIN);
 * returns the sum of the words' bounds. */
static double win_setup(wterm *w, node **k, size_t m, uint32_t *tfmem)
{
	double gub = 0;

	for (size_t i = 0; i < m; i++) {
		w[i].n = k[i];
		w[i].tf = tfmem + 2 * i * WIN;
		w[i].ttf = w[i].tf + WIN;
		gub += k[i]->ub;
	}
	return gub;
}

/* Word k's part at main tf and headline tf tt (0: none), as node_score
 * adds them, to the bit. */
static double win_part(const sctx *s, const node *k, double tf, double tt)
{
	double x = k->c->w * tf / (tf + s->K);

	if (tt > 0)
		x += k->tbw * (k->tb->w * tt / (tt + s->o->k1));
	return x;
}

static int run_window(sctx *s, plan *p, heap *hp, node **sh, size_t m)
{
	double cand_rate = 0, ess_np = 0;
	uint64_t cand0 = 0;
	node *r = p->root;
	wterm *w = calloc(m, sizeof(*w));
	wscratch *ws = ws_get(m);
	double *acc = ws ? ws->acc : NULL;
	uint32_t *tfmem = ws ? ws->tf : NULL;
	wterm *ess[WIN_MAX], *nel[WIN_MAX];
	size_t ord[WIN_MAX];
	double part[WIN_MAX], rem[WIN_MAX + 1], wbs[WIN_MAX];
	double th, gub = 0;
	unsigned char got[WIN_MAX];
	size_t ne, nn;
	int rc = 0;

	if (!w || !acc || !tfmem) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	gub = win_setup(w, sh, m, tfmem);
	for (uint32_t lo = 0; !rc && lo < s->next_docid; lo += WIN) {
		uint32_t hi = lo + WIN - 1, dl;
		double sum = 0;
		size_t i, j;

		th = heap_min(hp);
		if (th >= 0 && gub <= th)
			break;          /* nothing left can enter the top k */
		for (i = 0; i < m; i++) {
			wterm *t = &w[i];
			node *k = t->n;

			t->wb = win_bound(k->c, &t->at, lo, hi);
			if (k->tb)
				t->wb += k->tbw * win_bound(k->tb, &t->tat,
							    lo, hi);
			sum += t->wb;
		}
		if (th >= 0 && sum <= th)
			continue;
		for (i = 0; i < m; i++)
			wbs[i] = w[i].wb;
		i = split_bounds(wbs, m, th, ord);
		ne = nn = 0;
		for (j = i; j-- > 0;)
			nel[nn++] = &w[ord[j]];
		for (j = m; j-- > i;)
			ess[ne++] = &w[ord[j]];
		ess_np = 0;
		if (nn > 0) {
			double npe = 0, promote = WIN_PROBE_COST * cand_rate;

			for (j = 0; j < ne; j++)
				npe += win_np(ess[j]->n->c, ess[j]->at, hi);
			if (promote < WIN_PROMOTE)
				promote = WIN_PROMOTE;
			while (nn > 0) {
				double npn = win_np(nel[0]->n->c,
						    nel[0]->at, hi);

				if (npn > promote * npe)
					break;
				npe += npn;
				ess[ne++] = nel[0];
				for (j = 1; j < nn; j++)
					nel[j - 1] = nel[j];
				nn--;
			}
			ess_np = npe;   /* for cand_rate, if some still probe */
		}
		rem[nn] = 0;
		for (j = nn; j-- > 0;)
			rem[j] = rem[j + 1] + nel[j]->wb;
		cand0 = s->candidates;
		rc = len_get(s, lo, &dl);
		for (j = 0; !rc && j < ne; j++) {
			wterm *t = ess[j];

			rc = win_gather(s, t->n->c, t->at, &t->mb, 1, lo,
					s->lens, t->tf, acc, t->has);
			if (!rc && t->n->tb)
				rc = win_gather(s, t->n->tb, t->tat, &t->tb,
						t->n->tbw, lo, s->lens,
						t->ttf, acc, t->thas);
		}
		/* the documents reached, in docid order */
		for (size_t wi = 0; wi < WIN / 64; wi++) {
			uint64_t bits = 0, hb[WIN_MAX], thb[WIN_MAX];

			/* the documents some list reached; each list's own
			 * bits say which of its tfs are valid */
			for (j = 0; j < ne; j++) {
				hb[j] = ess[j]->has[wi];
				thb[j] = ess[j]->thas[wi];
				ess[j]->has[wi] = ess[j]->thas[wi] = 0;
				bits |= hb[j] | thb[j];
			}
			while (bits) {
				uint32_t off = (uint32_t)(wi * 64 +
					(unsigned)__builtin_ctzll(bits));
				uint32_t d = lo + off;
				double sc = 0, x;
				int live, rejected = 0;

				bits &= bits - 1;
				if (rc || (th >= 0 &&
					   acc[off] * UB_SLACK + rem[0] <= th))
					goto next;
				rc = doc_norm(s, d, &live);
				if (rc || !live)
					goto next;
				s->candidates++;
				memset(got, 0, m);
				for (j = 0; j < ne; j++) {
					wterm *t = ess[j];
					node *k = t->n;
					uint64_t bit = (uint64_t)1 << (off % 64);
					double tf;

					if (!(hb[j] & bit))
						continue;
					tf = t->tf[off];
					x = win_part(s, k, tf, thb[j] & bit ?
						     t->ttf[off] : 0);
					part[k->at] = x;
					got[k->at] = 1;
					sc += x;
				}
				for (j = 0; j < nn; j++) {
					node *k = nel[j]->n;

					if (th >= 0 && sc + rem[j] <= th) {
						rejected = 1;
						break;
					}
					int pr = probe(s, k, d, &x);

					if (pr < 0) {
						rc = pr;
						goto next;
					}
					if (pr) {
						part[k->at] = x;
						got[k->at] = 1;
						sc += x;
					}
				}
				if (rejected)
					goto next;
				sc = canon_sum(r, part, got);
				if (th >= 0 && sc <= th)
					goto next;
				heap_push(hp, (srch_hit){ d, sc, 0 });
				th = heap_min(hp);
next:
				acc[off] = 0;
			}
		}
		if (nn > 0 && ess_np > 0)
			cand_rate = (double)(s->candidates - cand0) / ess_np;
	}
out:
	free(w);
	return rc;
}

/* ---- required words, a window at a time ---------------------------
 *
 * For a root of 2..WIN_MAX required plain words and nothing else: over
 * each window, the word with the fewest postings there is read whole,
 * each other only in the blocks that hold a document all before it had
 * (the intersection so far), and the headline lists only for the
 * documents of the whole intersection; those are scored exactly, as
 * node_score adds the parts, and in the root's order (canon_sum). A
 * window where some word has no block, or whose bounds sum to no more
 * than the threshold, is passed undecoded. */

/* True when any bit of b (WIN bits) in [a, z] is set. */
static int bits_any(const uint64_t *b, uint32_t a, uint32_t z)
{
	size_t wa = a / 64, wz = z / 64;
	uint64_t ma = ~(uint64_t)0 << (a % 64);
	uint64_t mz = ~(uint64_t)0 >> (63 - z % 64);

	if (wa == wz)
		return (b[wa] & ma & mz) != 0;
	if (b[wa] & ma)
		return 1;
	for (size_t i = wa + 1; i < wz; i++)
		if (b[i])
			return 1;
	return (b[wz] & mz) != 0;
}

/* The tfs of c's live postings in the window from lo, for the documents
 * marked in only (NULL: all), into tf, marking them in has; a block
 * with none of them in its stretch is not decoded. */
static int win_tfs(sctx *s, const tcur *c, size_t at, wblk *bk, uint32_t lo,
		   const uint16_t *lens, uint32_t *tf, uint64_t *has,
		   const uint64_t *only)
{
	uint32_t hi = lo + WIN - 1;
	int rc;

	for (size_t j = at; j < c->nents && c->ents[j].first <= hi; j++) {
		uint32_t a = c->ents[j].first, z = c->ents[j].last;
		unsigned q;

		if (only && !bits_any(only, a < lo ? 0 : a - lo,
				      z > hi ? WIN - 1 : z - lo))
			continue;
		rc = wblk_load(s, c, j, bk);
		if (rc)
			return rc;
		/* Without a branch on whether a document is in the
		 * intersection so far (a coin toss): every tf is stored,
		 * and has gets the bit only where it counts (a tf counts
		 * only where has has its bit; tombstones, length 0, never). */
		for (q = wblk_from(bk, lo); q < bk->n && bk->docids[q] <= hi;
		     q++) {
			uint32_t off = bk->docids[q] - lo;
			uint64_t bit = (uint64_t)1 << (off % 64);

			if (only)
				bit &= only[off / 64];
			bit &= -(uint64_t)(lens[off] != 0);
			tf[off] = bk->tfs[q];
			has[off / 64] |= bit;
		}
	}
	return 0;
}

/* Whether run_window_and takes the root: every word must average
 * AND_WIN_MIN postings a window or more. Rarer words are met faster
 * document by document (leapfrogging), and the windows would each cost
 * their overhead for a handful of documents: 1M AND queries, 1 ->
 * 64 moved p50 565 -> 510 µs at the same p99 (2.9 ms; 4.5-5 ms without
 * the windows). */
#define AND_WIN_MIN 64
static int window_and_ok(const sctx *s, const plan *p, node **must,
			 size_t nm)
{
	if (s->o->exhaustive || p->from || p->to || nm < 2 ||
	    nm > WIN_MAX || nm != p->root->nkids)
		return 0;
	for (size_t i = 0; i < nm; i++)
		if (must[i]->kind != N_TERM || must[i]->c->title ||
		    must[i]->c->df < AND_WIN_MIN *
		    (uint64_t)((s->next_docid + WIN - 1) / WIN))
			return 0;
	return 1;
}

/* With total (an exact count asked for), every window with a block of
 * each word is intersected and its live matches counted; only those
 * whose bounds can win are scored. */
static int run_window_and(sctx *s, plan *p, heap *hp, node **must,
			  size_t m, uint64_t *total)
{
	int each = count_each(s);
	node *r = p->root;
	wterm *w = calloc(m, sizeof(*w));
	wscratch *ws = ws_get(m);
	uint32_t *tfmem = ws ? ws->tf : NULL;
	wterm *ord[WIN_MAX];
	uint64_t inter[WIN / 64];
	double part[WIN_MAX], np[WIN_MAX], gub = 0;
	unsigned char got[WIN_MAX];
	node *lead = must[0];   /* fewest documents */
	size_t lat = 0;         /* lead's first block not behind lo */
	int rc = 0;

	if (!w || !tfmem) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	gub = win_setup(w, must, m, tfmem);
	for (size_t i = 1; i < m; i++)
		if (must[i]->c->df < lead->c->df)
			lead = must[i];
	for (uint32_t lo = 0; !rc && lo < s->next_docid; lo += WIN) {
		uint32_t hi, dl;
		double th = heap_min(hp), sum = 0;
		int empty = 0, score;

		if (th >= 0 && gub <= th && !total)
			break;
		/* on to the window of the rarest word's next block, found
		 * in its directory (decoding it here would decode it twice:
		 * win_tfs reads it into its own buffer) */
		lat = tc_find(lead->c, lat, lo);
		if (lat >= lead->c->nents)
			break;
		if (lead->c->ents[lat].first > lo)
			lo = lead->c->ents[lat].first / WIN * WIN;
		hi = lo + WIN - 1;
		for (size_t i = 0; i < m; i++) {
			wterm *t = &w[i];
			node *k = t->n;

			t->at = tc_find(k->c, t->at, lo);
			if (t->at >= k->c->nents ||
			    k->c->ents[t->at].first > hi)
				empty = 1;   /* no block here: no match */
			sum += win_bound(k->c, &t->at, lo, hi);
			if (k->tb)
				sum += k->tbw * win_bound(k->tb, &t->tat,
							  lo, hi);
		}
		score = !(th >= 0 && sum <= th);
		if (empty || (!score && !total))
			continue;
		rc = len_get(s, lo, &dl);
		/* fewest postings here first (insertion: m is small) */
		for (size_t i = 0; i < m; i++) {
			double v = win_np(w[i].n->c, w[i].at, hi);
			size_t j = i;

			for (; j > 0 && np[j - 1] > v; j--) {
				np[j] = np[j - 1];
				ord[j] = ord[j - 1];
			}
			np[j] = v;
			ord[j] = &w[i];
		}
		/* the intersection, rarest word first */
		for (size_t i = 0; !rc && i < m; i++) {
			wterm *t = ord[i];

			rc = win_tfs(s, t->n->c, t->at, &t->mb, lo, s->lens,
				     t->tf, t->has, i ? inter : NULL);
			for (size_t x = 0; x < WIN / 64; x++)
				inter[x] = i ? inter[x] & t->has[x] :
					       t->has[x];
		}
		for (size_t wi = 0; total && !rc && wi < WIN / 64; wi++) {
			uint64_t bits = inter[wi];

			*total += (uint64_t)__builtin_popcountll(bits);
			while (each && bits) {
				count_one(s, lo + (uint32_t)(wi * 64 +
					  (unsigned)__builtin_ctzll(bits)));
				bits &= bits - 1;
			}
		}
		for (size_t i = 0; score && !rc && i < m; i++)
			if (w[i].n->tb)
				rc = win_tfs(s, w[i].n->tb, w[i].tat, &w[i].tb,
					     lo, s->lens, w[i].ttf, w[i].thas,
					     inter);
		for (size_t wi = 0; wi < WIN / 64; wi++) {
			uint64_t bits = rc || !score ? 0 : inter[wi];

			while (bits) {
				uint32_t off = (uint32_t)(wi * 64 +
					(unsigned)__builtin_ctzll(bits));
				uint64_t bit = (uint64_t)1 << (off % 64);
				uint32_t d = lo + off;
				double sc;
				int live;

				bits &= bits - 1;
				rc = doc_norm(s, d, &live);
				if (rc)
					break;
				if (!live)
					continue;
				s->candidates++;
				for (size_t i = 0; i < m; i++) {
					node *k = w[i].n;

					part[k->at] = win_part(s, k, w[i].tf[off],
						w[i].thas[wi] & bit ?
						w[i].ttf[off] : 0);
					got[k->at] = 1;
				}
				sc = canon_sum(r, part, got);
				if (th >= 0 && sc <= th)
					continue;
				heap_push(hp, (srch_hit){ d, sc, 0 });
				th = heap_min(hp);
			}
			for (size_t i = 0; i < m; i++)
				w[i].has[wi] = w[i].thas[wi] = 0;
		}
	}
out:
	free(w);
	return rc;
}

/* One word with a title part, alone in the query: the title's bound,
 * added to every main block, would keep almost every block in play
 * (the title postings' blocks do not line up with the main ones). So
 * first the documents whose headline has the word are scored (few), and
 * then the main list runs with its own block bounds only, skipping the
 * documents the first pass scored. Later documents may then come with
 * smaller docids, so a score equal to the threshold is kept (ties go to
 * the smaller docid). */
/* A lone word through its top list (post.h, "Term record"): the k best
 * documents for the word are among the list's, which holds each one's
 * tf and headline tf, so only the list is read. Needs k1 > 0 and b > 0
 * and, when the list has headline tfs, a title weight > 0 (a dominated
 * posting then scores strictly lower or ties with a higher docid); no
 * date filter, relevance order, and k no more than POST_TOP_K less the
 * term's tombstoned postings. *done 0: not applicable, nothing done. */
static int one_word_top(sctx *s, plan *p, heap *hp, node *k, int *done)
{
	tcur *c = k->c, *tb = k->tb;
	post_top *top = NULL;
	uint64_t total = 0;
	size_t ntop = c->il.ntop;
	int rc;
	double v;

	*done = 0;
	if (!c->il.top || hp->by_date || p->from || p->to ||
	    !(s->o->k1 > 0) || !(s->o->b > 0) || (tb && !(k->tbw > 0)))
		return 0;
	for (size_t i = 0; i < c->nents; i++)
		total += c->ents[i].n;
	if (total < c->df || hp->m + (total - c->df) > POST_TOP_K)
		return 0;
	top = malloc(ntop * sizeof(*top));
	if (!top)
		return LEDE_ENOMEM;
	rc = post_top_decode(c->il.top, c->il.top_len, ntop, top);
	/* no headline part (title weight 0): headline tfs must not count */
	for (size_t i = 0; !rc && !tb && i < ntop; i++)
		if (top[i].ttf)
			goto out;
	if (rc)
		goto out;
	*done = 1;
	s->top_list = 1;
	for (size_t i = 0; i < ntop; i++) {
		uint32_t d = top[i].docid, dl;

		rc = len_get(s, d, &dl);
		if (rc)
			break;
		if (!dl)
			continue;   /* a tombstone */
		s->candidates++;
		/* node_score's parts, added in its order */
		v = tc_part(s, c, top[i].tf, dl);
		if (top[i].ttf)
			v += k->tbw * tc_part(s, tb, top[i].ttf, dl);
		heap_push(hp, (srch_hit){ d, v, 0 });
	}
out:
	free(top);
	return rc;
}

static int run_one_word(sctx *s, plan *p, heap *hp, node *k)
{
	tcur *c = k->c, *tb = k->tb;
	uint32_t d = 1, last;
	int rc, live, ok, done;
	int32_t date;
	double sc, th, ub;

	rc = one_word_top(s, p, hp, k, &done);
	if (rc || done)
		return rc;
	for (;;) {
		rc = tc_advance(s, tb, d);
		if (rc)
			return rc;
		if (tb->doc == DOC_END)
			break;
		d = tb->doc;
		/* Its title part is known: with the main block's bound it
		 * may not reach the threshold, and the main block stays
		 * undecoded (headline documents are spread over most). */
		th = heap_min(hp);
		if (th >= 0) {
			ub = (tc_block_ub(c, d, &last) +
			      k->tbw * tc_score(s, tb)) * UB_SLACK;
			if (ub <= th) {
				if (d == DOC_END - 1)
					break;
				d++;
				continue;
			}
		}
		rc = tc_advance(s, c, d);
		if (rc)
			return rc;
		if (c->doc == d) {
			rc = doc_norm(s, d, &live);
			if (rc)
				return rc;
			if (live) {
				s->candidates++;
				rc = node_score(s, k, d, &sc);
				if (!rc)
					rc = date_ok(s, p->from, p->to, d, 0,
						     &date, &ok);
				if (rc)
					return rc;
				if (ok)
					heap_push(hp, (srch_hit){ d, sc, 0 });
			}
		}
		if (d == DOC_END - 1)
			break;
		d++;
	}
	/* the main list, from the start, on its own block bounds */
	tc_rewind(c);
	tc_rewind(tb);
	d = 0;
	for (;;) {
		uint32_t target = d + 1;

		if (d == DOC_END - 1)
			break;
		th = heap_min(hp);
		while (th >= 0) {
			ub = tc_block_ub(c, target, &last);
			if (ub >= th)
				break;
			if (last == DOC_END)
				goto out;
			target = last + 1;
		}
		rc = tc_advance(s, c, target);
		if (rc || c->doc == DOC_END)
			goto out;
		d = c->doc;
		if (th >= 0 && tc_block_ub(c, d, &last) < th)
			continue;
		rc = tc_advance(s, tb, d);
		if (rc)
			goto out;
		if (tb->doc == d)
			continue;   /* scored with its title part above */
		rc = doc_norm(s, d, &live);
		if (rc)
			goto out;
		if (!live)
			continue;
		s->candidates++;
		sc = tc_score(s, c);
		if (th >= 0 && sc < th)
			continue;
		rc = date_ok(s, p->from, p->to, d, 0, &date, &ok);
		if (rc)
			goto out;
		if (ok)
			heap_push(hp, (srch_hit){ d, sc, 0 });
	}
out:
	return rc;
}

/* Relevance top k with MaxScore and block bounds over the root. */
/* Bound of a phrase's part over the documents from target to *last: a
 * phrase occurs in a document at most as often as each of its words, so
 * each word's block bound (its competitive pairs, at the phrase's
 * weight instead of the word's) bounds it, and the least of them holds. */
static double phrase_block_ub(node *n, uint32_t target, uint32_t *last)
{
	double ub = n->ub;

	*last = DOC_END;
	for (size_t j = 0; j < n->np; j++) {
		tcur *c = n->pc[j];
		uint32_t l;
		double b = tc_block_ub(c, target, &l) / c->w * n->pw;

		if (b < ub)
			ub = b;
		if (l < *last)
			*last = l;
	}
	return ub;
}

/* A query of one phrase, top k. Its positions decide a document's score,
 * and reading them is most of the cost, so they are read only for
 * documents that could enter the top k: a document holds the phrase at
 * most as often as its least frequent word, which bounds its score from
 * the block's tfs and its length alone; and where some word's block
 * bounds keep the phrase under the threshold, the words' blocks are not
 * even decoded. */
static int run_phrase(sctx *s, plan *p, heap *hp, node *n)
{
	node *r = p->root;
	double range = 0, part[1];
	unsigned char got[1] = { 1 };
	uint32_t d = 1, upto = 0, c;
	int rc, live, ok;
	int32_t date;

	for (;;) {
		double th = heap_min(hp), sc;
		uint32_t mt = UINT32_MAX;

		while (th >= 0) {
			if (d > upto)
				range = phrase_block_ub(n, d, &upto);
			if (range > th)
				break;
			if (upto == DOC_END)
				return 0;
			d = upto + 1;
		}
		rc = leap_terms(s, n->pc, n->np, d, &c);
		if (rc)
			return rc;
		if (c == DOC_END)
			return 0;
		rc = doc_norm(s, c, &live);
		if (rc)
			return rc;
		if (!live)
			goto next;
		for (size_t j = 0; j < n->np; j++) {
			uint32_t tf = n->pc[j]->tfs[n->pc[j]->i];
			if (tf < mt)
				mt = tf;
		}
		if (th >= 0 && n->pw * mt / (mt + s->K) <= th)
			goto next;
		rc = phrase_freq(s, n, &n->pf);
		if (rc)
			return rc;
		if (!n->pf)
			goto next;
		s->candidates++;
		rc = node_score(s, n, c, &part[0]);
		if (rc)
			return rc;
		sc = canon_sum(r, part, got);
		if (th >= 0 && sc <= th)
			goto next;
		rc = date_ok(s, p->from, p->to, c, 0, &date, &ok);
		if (rc)
			return rc;
		if (ok)
			heap_push(hp, (srch_hit){ c, sc, 0 });
next:
		if (c == DOC_END - 1)
			return 0;
		d = c + 1;
	}
}

static int run_top(sctx *s, plan *p, heap *hp)
{
	node *r = p->root;
	node *sh[ROOT_MAX], *must[ROOT_MAX];
	double pre[ROOT_MAX + 1];
	double part[ROOT_MAX];
	unsigned char got[ROOT_MAX];
	size_t m = 0, nm = 0;
	uint32_t d;
	int rc, live, ok, ex;
	int32_t date;

	if (r->kind != N_BOOL || r->nkids > ROOT_MAX)
		return LEDE_EINVAL;
	for (size_t i = 0; i < r->nkids && i < ROOT_MAX; i++) {
		node *k = r->kids[i];
		if (k->occur == Q_SHOULD)
			sh[m++] = k;
		else if (k->occur == Q_MUST)
			must[nm++] = k;
	}
	qsort(sh, m, sizeof(*sh), cmp_ub);
	pre[0] = 0;
	for (size_t i = 0; i < m; i++)
		pre[i + 1] = pre[i] + sh[i]->ub;

	if (window_and_ok(s, p, must, nm))
		return run_window_and(s, p, hp, must, nm, NULL);
	if (nm) {
		/* Required clauses drive; optional ones only add. The two
		 * plain words with the fewest documents meet first
		 * (leap_two), the other clauses are then asked. */
		tcur *tc[ROOT_MAX];
		size_t ti[ROOT_MAX], nt = 0, pa = nm, pb = nm;

		for (size_t i = 0; i < nm; i++)
			if (must[i]->kind == N_TERM) {
				tc[nt] = must[i]->c;
				ti[nt++] = i;
			}
		if (nt >= 2) {
			rarest_two(tc, nt, &pa, &pb);
			pa = ti[pa];
			pb = ti[pb];
		}
		d = 1;
		for (;;) {
			double sc = 0, x, th;
			uint32_t c = d;
			size_t i;

			for (;;) {
				if (pa < nm) {
					rc = leap_two(s, must[pa]->c,
						      must[pb]->c, c, &c);
					if (rc)
						return rc;
					if (c == DOC_END)
						return 0;
					must[pa]->doc = must[pb]->doc = c;
				}
				for (i = 0; i < nm; i++) {
					rc = node_next(s, must[i], c);
					if (rc)
						return rc;
					if (must[i]->doc == DOC_END)
						return 0;
					if (must[i]->doc > c)
						break;
				}
				if (i == nm)
					break;
				c = must[i]->doc;
			}
			d = c;
			rc = doc_norm(s, d, &live);
			if (rc)
				return rc;
			if (!live)
				goto next_must;
			rc = bool_excluded(s, r, d, &ex);
			if (rc)
				return rc;
			if (ex)
				goto next_must;
			s->candidates++;
			memset(got, 0, r->nkids);
			for (i = 0; i < nm; i++) {
				rc = node_score(s, must[i], d, &x);
				if (rc)
					return rc;
				sc += x;
				part[must[i]->at] = x;
				got[must[i]->at] = 1;
			}
			th = heap_min(hp);
			for (i = m; i-- > 0;) {
				if (!s->o->exhaustive && th >= 0 &&
				    sc + pre[i + 1] <= th)
					break;
				rc = probe(s, sh[i], d, &x);
				if (rc < 0)
					return rc;
				if (!rc)
					continue;
				sc += x;
				part[sh[i]->at] = x;
				got[sh[i]->at] = 1;
			}
			sc = canon_sum(r, part, got);
			if (th >= 0 && sc <= th && !s->o->exhaustive)
				goto next_must;
			rc = date_ok(s, p->from, p->to, d, 0, &date, &ok);
			if (rc)
				return rc;
			if (ok)
				heap_push(hp, (srch_hit){ d, sc, 0 });
next_must:
			if (d == DOC_END - 1)
				return 0;
			d++;
		}
	}

	if (r->nkids == 1 && m == 1 && sh[0]->kind == N_TERM &&
	    !s->o->exhaustive) {
		int done;

		if (sh[0]->tb)
			return run_one_word(s, p, hp, sh[0]);
		rc = one_word_top(s, p, hp, sh[0], &done);
		if (rc || done)
			return rc;
	}
	if (r->nkids == 1 && m == 1 && sh[0]->kind == N_PHRASE &&
	    !s->o->exhaustive && !hp->by_date)
		return run_phrase(s, p, hp, sh[0]);
	if (window_ok(s, p, sh, m))
		return run_window(s, p, hp, sh, m);
	return run_maxscore(s, p, hp, sh, m);
}

/* ---- pseudo-relevance feedback (RM3) -------------------------------- */

/* Stems of the feedback documents: an open-addressing table, with the
 * relevance-model weight each stem gathers over the documents. */
typedef struct fb_ent {
	char stem[IX_TERMKEY_MAX];
	uint8_t len;
	uint32_t tf;      /* in the current document */
	uint32_t gen;     /* document the tf belongs to, +1 */
	double w;
} fb_ent;

typedef struct fb_map {
	fb_ent *e;
	size_t cap, n;
	size_t *touched;  /* slots used by the current document */
	size_t ntouched, cap_touched;
	uint32_t gen;
	uint64_t dlen;
	int over;
} fb_map;

#define FB_MAX_STEMS 65536     /* distinct stems kept over all docs */
#define FB_MAX_TOKENS 20000    /* tokens read per feedback document */

static int fb_grow(fb_map *m)
{
	size_t nc = m->cap ? m->cap * 2 : 1024;
	fb_ent *ne = calloc(nc, sizeof(*ne));
	size_t *map = NULL;

	if (!ne)
		return LEDE_ENOMEM;
	map = malloc(m->cap * sizeof(*map) + 1);
	if (!map) {
		free(ne);
		return LEDE_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		fb_ent *o = &m->e[i];
		size_t h;

		map[i] = SIZE_MAX;
		if (!o->len)
			continue;
		h = (size_t)hash64(o->stem, o->len, 0) & (nc - 1);
		while (ne[h].len)
			h = (h + 1) & (nc - 1);
		ne[h] = *o;
		map[i] = h;
	}
	for (size_t i = 0; i < m->ntouched; i++)
		m->touched[i] = map[m->touched[i]];
	free(map);
	free(m->e);
	m->e = ne;
	m->cap = nc;
	return 0;
}

static int on_fb_tok(void *ctx, const char *st, size_t len,
		     const tok_token *t)
{
	fb_map *m = ctx;
	size_t h;
	int rc;

	(void)t;
	if (m->dlen >= FB_MAX_TOKENS)
		return 1;   /* enough of this document */
	m->dlen++;
	if (len == 0 || len >= IX_TERMKEY_MAX)
		return 0;
	if ((m->n + 1) * 2 > m->cap) {
		if (m->n >= FB_MAX_STEMS) {
			m->over = 1;
			return 0;
		}
		rc = fb_grow(m);
		if (rc)
			return rc;
	}
	h = (size_t)hash64(st, len, 0) & (m->cap - 1);
	while (m->e[h].len && (m->e[h].len != len ||
			       memcmp(m->e[h].stem, st, len) != 0))
		h = (h + 1) & (m->cap - 1);
	if (!m->e[h].len) {
		memcpy(m->e[h].stem, st, len);
		m->e[h].len = (uint8_t)len;
		m->n++;
	}
	if (m->e[h].gen != m->gen) {
		if (m->ntouched == m->cap_touched) {
			size_t *nt = arr_grow(m->touched, &m->cap_touched,
					      sizeof(*nt), m->ntouched + 1);
			if (!nt)
				return LEDE_ENOMEM;
			m->touched = nt;
		}
		m->touched[m->ntouched++] = h;
		m->e[h].gen = m->gen;
		m->e[h].tf = 0;
	}
	m->e[h].tf++;
	return 0;
}

static int cmp_fb(const void *a, const void *b)
{
	const fb_ent *x = *(fb_ent *const *)a, *y = *(fb_ent *const *)b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->stem, y->stem, x->len);
}

static q_node *fb_term(const char *stem, size_t len, double boost)
{
	q_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = Q_TERM;
	n->occur = Q_SHOULD;
	n->field = Q_MAIN;
	n->boost = boost;
	n->stems = calloc(1, sizeof(*n->stems));
	if (n->stems)
		n->stems[0] = strndup(stem, len);
	if (!n->stems || !n->stems[0]) {
		if (n->stems)
			free(n->stems);
		free(n);
		return NULL;
	}
	n->nstems = 1;
	return n;
}

/* Rewrite q with the relevance model of the documents in top (their
 * scores as weights): q's own clauses keep fb_orig of the weight, the
 * fb_terms best new words share the rest. */
static int rm3_expand(sctx *s, const srch_hit *top, size_t ntop, query *q)
{
	fb_map m;
	buf body;
	fb_ent **rank = NULL;
	double ssum = 0, bsum = 0, esum = 0;
	size_t nr = 0, nsel = 0, cap_kids;
	q_node *root = q->root, **nk;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	buf_init_limit(&body, (size_t)1 << 30);
	for (size_t i = 0; i < ntop; i++)
		ssum += top[i].score;
	if (!(ssum > 0) || !root)
		goto out;
	for (size_t i = 0; i < ntop; i++) {
		ix_doc d;

		m.gen = (uint32_t)i + 1;
		m.dlen = 0;
		m.ntouched = 0;
		rc = ix_doc_get(s->t, top[i].docid, &d);
		if (!rc)
			rc = ana_text(s->a, d.title, d.title_len, 0, on_fb_tok,
				      &m, NULL);
		if (rc < 0)
			goto out;
		rc = ix_body_get(s->t, top[i].docid, &body);
		if (rc == LEDE_ENOTFOUND)
			buf_clear(&body);
		else if (rc)
			goto out;
		rc = ana_text(s->a, (const char *)body.data, body.len, 0,
			      on_fb_tok, &m, NULL);
		if (rc < 0)
			goto out;
		rc = 0;
		for (size_t j = 0; j < m.ntouched && m.dlen; j++) {
			fb_ent *e = &m.e[m.touched[j]];
			e->w += top[i].score / ssum * e->tf / (double)m.dlen;
		}
	}
	rank = malloc((m.n ? m.n : 1) * sizeof(*rank));
	if (!rank) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m.cap; i++)
		if (m.e[i].len)
			rank[nr++] = &m.e[i];
	qsort(rank, nr, sizeof(*rank), cmp_fb);
	/* keep the best words that are not near-stopwords (in over a third
	 * of the documents) nor already plain words of the query */
	for (size_t i = 0; i < nr && nsel < (size_t)s->o->fb_terms; i++) {
		const uint8_t *rp;
		size_t rl;
		uint32_t df;
		int dup = 0;

		for (size_t k = 0; k < root->nkids; k++) {
			q_node *c = root->kids[k];
			if (c->kind == Q_TERM && c->field == Q_MAIN &&
			    c->nstems == 1 &&
			    strlen(c->stems[0]) == rank[i]->len &&
			    memcmp(c->stems[0], rank[i]->stem,
				   rank[i]->len) == 0)
				dup = 1;
		}
		if (ix_term_get(s->t, rank[i]->stem, rank[i]->len, &rp,
				&rl) || post_term_df(rp, rl, &df) ||
		    df > s->N / 3)
			continue;
		rank[nsel] = rank[i];
		rank[nsel]->gen = dup ? UINT32_MAX : 0;
		esum += rank[i]->w;
		nsel++;
	}
	if (nsel == 0 || !(esum > 0))
		goto out;
	for (size_t k = 0; k < root->nkids; k++)
		if (root->kids[k]->occur != Q_MUST_NOT)
			bsum += root->kids[k]->boost;
	if (!(bsum > 0))
		goto out;
	/* the original clauses: fb_orig of the weight, scaled so that the
	 * query's own weights keep their sum */
	for (size_t k = 0; k < root->nkids; k++)
		if (root->kids[k]->occur != Q_MUST_NOT)
			root->kids[k]->boost *= s->o->fb_orig;
	cap_kids = root->nkids + nsel;
	nk = realloc(root->kids, cap_kids * sizeof(*nk));
	if (!nk) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	root->kids = nk;
	for (size_t i = 0; i < nsel; i++) {
		double bw = (1 - s->o->fb_orig) * bsum * rank[i]->w / esum;
		q_node *n;

		if (rank[i]->gen == UINT32_MAX) {
			/* already a word of the query: more weight */
			for (size_t k = 0; k < root->nkids; k++) {
				q_node *c = root->kids[k];
				if (c->kind == Q_TERM && c->field == Q_MAIN &&
				    strlen(c->stems[0]) == rank[i]->len &&
				    memcmp(c->stems[0], rank[i]->stem,
					   rank[i]->len) == 0) {
					c->boost += bw;
					break;
				}
			}
			continue;
		}
		n = fb_term(rank[i]->stem, rank[i]->len, bw);
		if (!n) {
			rc = LEDE_ENOMEM;
			goto out;
		}
		root->kids[root->nkids++] = n;
	}
out:
	free(rank);
	free(m.e);
	free(m.touched);
	buf_release(&body);
	return rc;
}

/* ---- entry points ---------------------------------------------------- */

void srch_opts_init(srch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->k = 10;
	/* Chosen by MAP on cranfield and cisi (README.md, "Ranking"): k1 2
	 * and a title part of half a body part gain on both collections
	 * over Lucene's k1 1.2, b 0.75 without a title part. */
	o->k1 = 2.0;        /* BM25 "k1" */
	o->b = 0.75;        /* BM25 "b" */
	o->title_w = 0.5;
	o->mode = Q_SYNTAX;
	o->sort = -1;
}

int srch_opts_from_index(ix_txn *t, srch_opts *o)
{
	const uint8_t *v;
	size_t vl;
	char tmp[96];
	double k1, b, tw;
	int rc = ix_get(t, IX_META, "bm25", 4, &v, &vl);

	if (rc == LEDE_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (vl >= sizeof(tmp))
		return LEDE_ECORRUPT;
	memcpy(tmp, v, vl);
	tmp[vl] = 0;
	if (sscanf(tmp, "%lf %lf %lf", &k1, &b, &tw) != 3 || !(k1 >= 0) ||
	    !(b >= 0 && b <= 1) || !(tw >= 0))
		return LEDE_ECORRUPT;
	o->k1 = k1;
	o->b = b;
	o->title_w = tw;
	return 0;
}

void srch_result_release(srch_result *r)
{
	free(r->hits);
	for (size_t i = 0; i < r->nstems; i++)
		free(r->stems[i]);
	free(r->stems);
	memset(r, 0, sizeof(*r));
}

static int prepare(ix_txn *t, ana *a, const char *qs, size_t len,
		   const srch_opts *o, sctx *s, query *q, plan *p,
		   int *empty)
{
	ix_stats st;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(p, 0, sizeof(*p));
	*empty = 0;
	s->t = t;
	s->a = a;
	s->o = o;
	s->chunk = UINT32_MAX;
	s->kdoc = 0;
	if (!(o->k1 >= 0) || !(o->b >= 0 && o->b <= 1) ||
	    !(o->title_w >= 0) || o->k1 > 1000 || o->title_w > 1000)
		return LEDE_EINVAL;
	if (o->k > SRCH_MAX_K || o->offset > SRCH_MAX_K ||
	    o->k + o->offset > SRCH_MAX_K)
		return LEDE_ETOOBIG;
	rc = q_parse(a, qs, len, o->mode, q);
	if (rc)
		return rc;
	p->from = o->from ? o->from : q->from;
	p->to = o->to ? o->to : q->to;
	p->by_date = (o->sort >= 0 ? o->sort : q->sort) == Q_SORT_DATE;
	rc = ix_stats_get(t, &st);
	if (rc)
		return rc;
	if (st.ndocs == 0 || !q->root) {
		*empty = 1;
		return 0;
	}
	s->N = (double)st.ndocs;
	s->next_docid = st.next_docid;
	s->avgdl = (double)st.sumlen / s->N;
	if (!(s->avgdl > 0))
		s->avgdl = 1;
	s->kbase = o->k1 * (1 - o->b);
	s->kslope = o->k1 * o->b / s->avgdl;
	rc = build(s, q->root, 0, &p->root);
	if (rc)
		return rc;
	if (p->root->kind != N_BOOL)
		*empty = 1;
	return 0;
}

/* Whether every clause of root (a N_BOOL) is required. */
static int all_required(const node *root)
{
	if (root->kind != N_BOOL)
		return 0;
	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i]->occur != Q_MUST)
			return 0;
	return 1;
}

int srch_run(ix_txn *t, ana *a, const char *qs, size_t len,
	     const srch_opts *o, srch_result *r)
{
	sctx *s = NULL;
	query q;
	plan p = { 0 };
	heap hp = { 0 };
	int rc, empty, rank_all = 0;

	memset(r, 0, sizeof(*r));
	memset(&q, 0, sizeof(q));
	s = malloc(sizeof(*s));
	if (!s)
		return LEDE_ENOMEM;
	rc = prepare(t, a, qs, len, o, s, &q, &p, &empty);
	q_dump(&q, r->parsed, sizeof(r->parsed));
	r->sort = p.by_date;
	r->from = p.from;
	r->to = p.to;
	if (!rc && empty && (o->count || p.by_date || o->exhaustive))
		r->counted = 1;   /* nothing can match: exactly 0 */
	if (rc || empty)
		goto out;
	if (o->count && !p.by_date && !o->exhaustive) {
		node *only = p.root->nkids == 1 ? p.root->kids[0] : NULL;

		/* One word, no filter: its live df is the exact count. */
		if (only && only->kind == N_TERM && only->occur != Q_MUST_NOT
		    && !p.from && !p.to && !o->on_match && !o->month_cnt) {
			r->total = only->c->df;
		} else {
			rc = count_bitmap(s, &p, s->next_docid, &r->total);
			if (!rc) {
				/* it read each word's list through: back to
				 * their starts, directories kept */
				for (size_t i = 0; i < p.root->nkids; i++) {
					node *k = p.root->kids[i];

					tc_rewind(k->c);
					if (k->tb)
						tc_rewind(k->tb);
					k->doc = 0;
				}
			} else if (rc > 0 && !(o->fb_docs > 0 &&
						o->fb_terms > 0)) {
				/* Every match is visited anyway: rank them in
				 * the same pass (below) rather than walk the
				 * lists twice. */
				rank_all = 1;
				rc = 0;
			} else if (rc > 0) {
				rc = run_all(s, &p, NULL, &r->total, 0);
				/* the cursors are spent: a fresh tree for
				 * the top k */
				node_free(p.root);
				p.root = NULL;
				if (!rc)
					rc = build(s, q.root, 0, &p.root);
			}
			if (rc)
				goto out;
		}
		r->counted = 1;
	}
	/* highlight the query's own words, not feedback words */
	rc = collect_stems(p.root, r);
	if (rc)
		goto out;
	if (o->fb_docs > 0 && o->fb_terms > 0 && !p.by_date &&
	    q.root && q.nterms > 0) {
		heap fh = { NULL, 0, (size_t)o->fb_docs, 0 };

		fh.h = malloc(fh.m * sizeof(*fh.h));
		if (!fh.h) {
			rc = LEDE_ENOMEM;
			goto out;
		}
		rc = run_top(s, &p, &fh);
		if (!rc)
			rc = rm3_expand(s, fh.h, fh.n, &q);
		free(fh.h);
		if (rc)
			goto out;
		node_free(p.root);
		p.root = NULL;
		rc = build(s, q.root, 0, &p.root);
		if (rc)
			goto out;
		if (p.root->kind != N_BOOL)
			goto out;
	}
	hp.m = o->k + o->offset;
	hp.by_date = p.by_date;
	hp.h = malloc((hp.m ? hp.m : 1) * sizeof(*hp.h));
	if (!hp.h) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	if (rank_all && !hp.m) {
		rc = run_all(s, &p, NULL, &r->total, 0);
	} else if (rank_all && !p.by_date && !o->exhaustive &&
		   all_required(p.root) &&
		   window_and_ok(s, &p, p.root->kids, p.root->nkids)) {
		/* required words: counted and ranked a window at a time */
		rc = run_window_and(s, &p, &hp, p.root->kids, p.root->nkids,
				    &r->total);
	} else if (p.by_date || o->exhaustive || rank_all) {
		rc = run_all(s, &p, &hp, &r->total, 1);
		r->counted = 1;
	} else if (hp.m) {
		rc = run_top(s, &p, &hp);
	}
	if (rc)
		goto out;
	r->postings = s->postings;
	r->postings_total = tree_postings(p.root);
	r->blocks = s->blocks;
	r->candidates = s->candidates;
	r->top_list = s->top_list;
	qsort_r(hp.h, hp.n, sizeof(*hp.h), cmp_hit, &hp);
	if (hp.n > o->offset) {
		memmove(hp.h, hp.h + o->offset,
			(hp.n - o->offset) * sizeof(*hp.h));
		r->n = hp.n - o->offset;
	}
	r->hits = hp.h;
	hp.h = NULL;
out:
	free(hp.h);
	node_free(p.root);
	q_free(&q);
	free(s);
	if (rc) {
		srch_result_release(r);
	}
	return rc;
}

int srch_explain(ix_txn *t, ana *a, const char *qs, size_t len,
		 const srch_opts *o, uint32_t docid, srch_part *parts,
		 size_t cap, size_t *n)
{
	sctx *s = NULL;
	query q;
	plan p = { 0 };
	double sc;
	int rc, empty, live;

	*n = 0;
	memset(&q, 0, sizeof(q));
	s = malloc(sizeof(*s));
	if (!s)
		return LEDE_ENOMEM;
	rc = prepare(t, a, qs, len, o, s, &q, &p, &empty);
	if (rc || empty)
		goto out;
	rc = node_next(s, p.root, docid);
	if (rc || p.root->doc != docid)
		goto out;
	rc = doc_norm(s, docid, &live);
	if (rc || !live)
		goto out;
	s->parts = parts;
	s->cap_parts = cap;
	rc = node_score(s, p.root, docid, &sc);
	*n = s->nparts;
out:
	node_free(p.root);
	q_free(&q);
	free(s);
	return rc;
}
