/*
 * search.h - the search core: a query (query.h) evaluated against one
 * read transaction, BM25-ranked top k with dynamic pruning.
 *
 * Ranking: BM25 with Lucene's idf, idf = ln(1 + (N - n + 0.5) /
 * (n + 0.5)), N = live documents, n = a term's live df, and a term's part
 * idf * boost * tf*(k1+1) / (tf + k1*(1 - b + b*len/avgdl)), len counting
 * title and body. A word that is also in the headline adds title_w times
 * the same part computed on the title field without length
 * normalisation (titles are short and alike). A phrase scores as one
 * term whose tf is the number of times the phrase occurs and whose idf
 * is the sum of its words' idfs. Deleted documents never match and
 * count nowhere.
 *
 * Evaluation is document at a time. The root's optional clauses run
 * under MaxScore: clauses sorted by their score bound, those that cannot
 * lift a document into the top k on their own are only probed for
 * documents the others found, and every candidate is first bounded with
 * the block directory (each block's competitive (tf, len) pairs, post.h)
 * so that blocks which cannot matter are never decoded. Required
 * clauses are intersected by seeking; phrases check positions on the
 * candidates only. sort:date and exact counts enumerate every match.
 */
#ifndef LEDE_SEARCH_H
#define LEDE_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "../common/ana.h"
#include "../common/err.h"
#include "../common/ix.h"
#include "query.h"

#define SRCH_MAX_QUERY_BYTES Q_MAX_BYTES
#define SRCH_MAX_TERMS Q_MAX_TERMS
#define SRCH_MAX_K 10000            /* offset + k */
#define SRCH_PREFIX_SCAN 100000     /* index terms a prefix may scan */
/* RM3 defaults (--rm3), chosen on cranfield and cisi (README.md) */
#define SRCH_FB_DOCS  10
#define SRCH_FB_TERMS 20
#define SRCH_FB_ORIG  0.6

typedef struct srch_opts {
	size_t k;         /* hits wanted, 10 */
	size_t offset;    /* hits skipped, 0 */
	double k1;        /* BM25 "k1" */
	double b;         /* BM25 "b" */
	double title_w;   /* weight of the title field's part */
	int mode;         /* Q_PLAIN or Q_SYNTAX (default) */
	int count;        /* 1: exact total of matches */
	int sort;         /* -1: as the query says, else enum q_sort */
	int32_t from, to; /* YYYYMMDD; 0: as the query says */
	int exhaustive;   /* 1: score every match (tests, comparisons) */
	/* Pseudo-relevance feedback (RM3): the fb_docs best documents of a
	 * first pass lend their fb_terms most weighted words to a second
	 * pass, the original query keeping weight fb_orig. 0 = off. */
	int fb_docs, fb_terms;
	double fb_orig;
	/* Optional: each document the exact count counts (count = 1),
	 * in docid order; setting it also disables the one-word shortcut
	 * of the count. */
	void (*on_match)(void *ctx, uint32_t docid);
	void *match_ctx;
	/* Optional: dates[docid] (YYYYMMDD) for docids < ndates, used by
	 * filters and sort:date instead of reading document records. */
	const int32_t *dates;
	uint32_t ndates;
	/* Optional, with dates: matches per month for a timeline, counted
	 * inline by the exact count (count = 1) as month_cnt[months[d]]++
	 * for each counted docid d < ndates; month_cnt has 65536 entries
	 * and months[] holds 16-bit month numbers (0: no date). Much
	 * cheaper than an on_match call per match; it also disables the
	 * one-word shortcut. */
	const uint16_t *months;
	uint32_t *month_cnt;
} srch_opts;

typedef struct srch_hit {
	uint32_t docid;
	double score;
	int32_t date;     /* YYYYMMDD, 0 unknown; filled for sort:date,
			   * else 0 */
} srch_hit;

typedef struct srch_result {
	srch_hit *hits;   /* malloc'd, n entries, best first */
	size_t n;
	uint64_t total;   /* exact matches when counted, else 0 */
	int counted;
	char **stems;     /* main-field stems of the query's leaves, prefix
			   * expansions included (for snippets) */
	size_t nstems;
	uint64_t postings;  /* postings decoded (top k part) */
	uint64_t postings_total; /* postings of the lists it could read */
	uint64_t blocks;    /* blocks decoded */
	uint64_t candidates;/* documents scored */
	int top_list;       /* a lone word, answered from its top list */
	int sort;           /* what was applied */
	int32_t from, to;
	char parsed[512];   /* q_dump of the query */
} srch_result;

/* One part of a hit's score, for --explain. */
typedef struct srch_part {
	char what[96];    /* "nso", "title:nso", "\"jamal khashoggi\"" */
	double tf;        /* tf or phrase frequency in the document */
	double idf;       /* boost * idf */
	double len;       /* the document's length (tokens) */
	double score;
} srch_part;

#define SRCH_MAX_PARTS 256

void srch_opts_init(srch_opts *o);
/* Read BM25 settings stored in the index (meta "bm25": "k1 b title_w")
 * over o's defaults; absent means keep. */
int srch_opts_from_index(ix_txn *t, srch_opts *o) LEDE_WUR;
/* Run query on t. Fills r (release with srch_result_release; r is
 * valid to release after a failure too). LEDE_ETOOBIG for a query over
 * the caps, LEDE_ECORRUPT when the index data fails a check. */
int srch_run(ix_txn *t, ana *a, const char *query, size_t len,
	     const srch_opts *o, srch_result *r) LEDE_WUR;
/* The score parts of docid for query (same options as the search). */
int srch_explain(ix_txn *t, ana *a, const char *query, size_t len,
		 const srch_opts *o, uint32_t docid, srch_part *parts,
		 size_t cap, size_t *n) LEDE_WUR;
void srch_result_release(srch_result *r);

#endif
