/*
 * search.h - BM25 search over an open read transaction.
 *
 * This first version evaluates plain terms (a ranked OR) exhaustively,
 * term at a time, over a dense score array; it proves the index end to
 * end. Ranking: BM25 with Lucene's idf, idf = ln(1 + (N - n + 0.5) /
 * (n + 0.5)), N = live documents, n = a term's live df, and
 * tf*(k1+1) / (tf + k1*(1 - b + b*len/avgdl)); deleted documents are
 * skipped by their zero length.
 */
#ifndef LEDE_SEARCH_H
#define LEDE_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "../common/ana.h"
#include "../common/err.h"
#include "../common/ix.h"

#define SRCH_MAX_QUERY_BYTES 1024   /* longer queries are refused */
#define SRCH_MAX_TERMS 64           /* distinct terms */
#define SRCH_MAX_K 10000            /* offset + k */

typedef struct srch_opts {
	size_t k;         /* hits wanted */
	size_t offset;    /* hits skipped */
	double k1;        /* BM25 k1, 1.2 */
	double b;         /* BM25 b, 0.75 */
} srch_opts;

typedef struct srch_hit {
	uint32_t docid;
	double score;
} srch_hit;

typedef struct srch_result {
	srch_hit *hits;   /* malloc'd, n entries, best first */
	size_t n;
	uint64_t total;   /* documents matching any term */
} srch_result;

void srch_opts_init(srch_opts *o);
/* Run query on t. Fills r (release with srch_result_release).
 * LEDE_ETOOBIG for a query over the caps, LEDE_ECORRUPT when the index
 * data fails a check. */
int srch_run(ix_txn *t, ana *a, const char *query, size_t len,
	     const srch_opts *o, srch_result *r) LEDE_WUR;
void srch_result_release(srch_result *r);

#endif
