/*
 * ana.c - tokenizer + stemmer glue (see ana.h).
 */
#include <stdlib.h>
#include "ana.h"
#include "stem.h"

struct ana {
	tok *t;
	stem *s;
};

int ana_new(const char *lang, ana **out)
{
	ana *a = calloc(1, sizeof(*a));
	int rc;

	*out = NULL;
	if (!a)
		return LEDE_ENOMEM;
	rc = tok_new(&a->t);
	if (!rc)
		rc = stem_new(lang, &a->s);
	if (rc) {
		ana_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void ana_free(ana *a)
{
	if (!a)
		return;
	tok_free(a->t);
	stem_free(a->s);
	free(a);
}

static int walk(ana *a, const char *text, size_t len, uint32_t first_pos,
		ana_fn fn, void *ctx, uint32_t *next_pos, int stemmed)
{
	tok_token tk;
	int rc;

	tok_reset(a->t, text, len, first_pos);
	for (;;) {
		const char *st = NULL;
		size_t sl = 0;

		rc = tok_next(a->t, &tk);
		if (rc > 0)
			break;
		if (rc < 0)
			return rc;
		if (stemmed) {
			rc = stem_word(a->s, tk.text, tk.len, &st, &sl);
			if (rc)
				return rc;
			if (sl == 0)
				continue;
		}
		rc = fn(ctx, st, sl, &tk);
		if (rc)
			return rc;
	}
	if (next_pos)
		*next_pos = tok_pos(a->t);
	return 0;
}

void ana_set_cache_bytes(ana *a, size_t bytes)
{
	stem_set_cache_bytes(a->s, bytes);
}

int ana_text(ana *a, const char *text, size_t len, uint32_t first_pos,
	     ana_fn fn, void *ctx, uint32_t *next_pos)
{
	return walk(a, text, len, first_pos, fn, ctx, next_pos, 1);
}

int ana_tokens(ana *a, const char *text, size_t len, uint32_t first_pos,
	       ana_fn fn, void *ctx, uint32_t *next_pos)
{
	return walk(a, text, len, first_pos, fn, ctx, next_pos, 0);
}

int ana_stem(ana *a, const char *word, size_t len, const char **st,
	     size_t *sl)
{
	return stem_word(a->s, word, len, st, sl);
}
