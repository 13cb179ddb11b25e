/*
 * query.h - the query language, parsed into a tree.
 *
 * Syntax (README.md, "Query language"):
 *   word            ranked: any word may match, more and rarer rank first
 *   +word  -word    required / excluded (also +"a phrase", -(a b))
 *   a AND b         both required; binds tighter than OR / juxtaposition
 *   a OR b          either (the same as "a b")
 *   NOT a           excluded (the same as -a)
 *   ( ... )         a group
 *   "a phrase"      the words in this order, adjacent (positions)
 *   title:word  title:"a phrase"   only in the headline
 *   word*           prefix: the Q_PREFIX_MAX most frequent index terms
 *                   starting with the folded word
 *   from:YYYY[-MM[-DD]]  to:YYYY[-MM[-DD]]   date range, both inclusive
 *   sort:date  sort:relevance
 * Operators AND, OR, NOT are upper case only; "and" is a word. Anything
 * malformed is read forgivingly: an unbalanced quote or parenthesis is
 * dropped and the rest read as words, a dangling operator is ignored, an
 * invalid from:/to:/sort: value is read as words.
 *
 * Every word goes through the index's analysis (ana.h). A word that
 * analyses to several tokens (al-Assad, 3.5-inch) becomes a phrase of
 * them; one that analyses to none (punctuation) disappears.
 */
#ifndef LEDE_QUERY_H
#define LEDE_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "../common/ana.h"
#include "../common/err.h"
#include "../common/tok.h"

#define Q_MAX_BYTES   1024   /* longer queries: LEDE_ETOOBIG */
#define Q_MAX_TERMS   64     /* stems over all leaves: LEDE_ETOOBIG */
/* Q_PLAIN reads test-collection topics (whole abstracts, as the peers
 * take them): its caps are wider, distinct words counted. */
#define Q_PLAIN_MAX_BYTES 8192
#define Q_PLAIN_MAX_TERMS 256
#define Q_MAX_DEPTH   16     /* deeper nesting is flattened */
#define Q_PREFIX_MAX  128    /* expansions of one word* */
#define Q_PREFIX_MIN  2      /* shorter prefixes are read as words */

enum q_kind {
	Q_TERM,     /* one stem: stems[0] */
	Q_PHRASE,   /* nstems stems at relative positions rel[] */
	Q_PREFIX,   /* folded, unstemmed prefix in text */
	Q_BOOL      /* kids */
};

enum q_occur {
	Q_SHOULD,   /* adds to the score; a bool with no MUST kid needs
		     * at least one SHOULD kid to match */
	Q_MUST,     /* must match, adds to the score */
	Q_MUST_NOT  /* must not match */
};

enum q_field { Q_MAIN = 0, Q_TITLE = 1 };

typedef struct q_node {
	int kind;               /* enum q_kind */
	int occur;              /* enum q_occur: how it joins its parent */
	int field;              /* enum q_field (leaves) */
	double boost;           /* score weight, 1; repeats of the same
				 * plain term add up (query tf) */
	char *text;             /* the leaf as typed (display) / prefix */
	char **stems;           /* Q_TERM 1, Q_PHRASE nstems: NUL-terminated
				 * stems, no field mark */
	uint32_t *rel;          /* Q_PHRASE: position of stem i relative to
				 * stem 0 (0, 1, 2... gaps when the analysis
				 * skipped an over-long token) */
	size_t nstems;
	struct q_node **kids;   /* Q_BOOL */
	size_t nkids;
} q_node;

enum q_sort { Q_SORT_RELEVANCE = 0, Q_SORT_DATE = 1 };

typedef struct query {
	q_node *root;           /* always a Q_BOOL (maybe with no kids) */
	int32_t from, to;       /* YYYYMMDD inclusive; 0 = open. A partial
				 * date widens: from:2019 = 20190101,
				 * to:2019-02 = 20190228 */
	int sort;               /* enum q_sort; -1 = not given */
	size_t nterms;          /* stems over all leaves */
} query;

#define Q_PLAIN  0   /* every token a ranked word: operators off */
#define Q_SYNTAX 1   /* the query language */

/* Parse s[0..len) (not NUL-terminated) with a (the index's analysis).
 * Q_PLAIN ignores every operator and reads only words (the --batch
 * default, as the peers take their topics). LEDE_ETOOBIG over
 * Q_MAX_BYTES / Q_MAX_TERMS (Q_PLAIN: Q_PLAIN_MAX_BYTES /
 * Q_PLAIN_MAX_TERMS), LEDE_ENOMEM; never fails on syntax. */
int q_parse(ana *a, const char *s, size_t len, int mode, query *out)
	LEDE_WUR;
void q_free(query *q);
/* Parse one date bound ("2019", "2019-03", "2019-03-07"); end != 0
 * gives the last day it covers. 0 on success. */
int q_date(const char *s, size_t len, int end, int32_t *ymd);
/* The tree as one line, for tests and --explain:
 *   (+nso pegasus -apple title:"jamal khashoggi" sanction*)
 * Written into out (cap bytes, NUL-terminated, truncated). */
void q_dump(const query *q, char *out, size_t cap);

#endif
