/*
 * ana.h - analysis: text -> tokens (tok.h) -> stems (stem.h), the one
 * pipeline both the indexer and every query go through, so that a query
 * word meets the index's form of it.
 *
 * An ana owns one tokenizer and one stemmer: one per thread.
 */
#ifndef LEDE_ANA_H
#define LEDE_ANA_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "tok.h"

typedef struct ana ana;

int ana_new(const char *lang, ana **out) LEDE_WUR;
void ana_free(ana *a);
/* Cap the stem cache's memory (stem_set_cache_bytes). */
void ana_set_cache_bytes(ana *a, size_t bytes);

/* Called per token with its stem (not NUL-terminated, valid during the
 * call) and the token (surface offsets, position). Return 0 to go on,
 * anything else to stop: the walk returns that value. */
typedef int (*ana_fn)(void *ctx, const char *stem, size_t len,
		      const tok_token *t);

/* Analyse text[0..len); the first token gets position first_pos; on
 * return *next_pos (if not NULL) is one past the last position used. */
int ana_text(ana *a, const char *text, size_t len, uint32_t first_pos,
	     ana_fn fn, void *ctx, uint32_t *next_pos) LEDE_WUR;

/* Like ana_text, but fn receives the folded, unstemmed token (t->text):
 * a caller that caches per token stems only on a miss, with ana_stem. */
int ana_tokens(ana *a, const char *text, size_t len, uint32_t first_pos,
	       ana_fn fn, void *ctx, uint32_t *next_pos) LEDE_WUR;
/* Stem one folded token; *st lives until the next call on a. */
int ana_stem(ana *a, const char *word, size_t len, const char **st,
	     size_t *sl) LEDE_WUR;

#endif
