/*
 * stem.h - Snowball stemming (libstemmer) with a cache.
 *
 * One stem handle per language and per thread (libstemmer handles are
 * not thread-safe). Stems are cached in a hash table owned by the handle:
 * news text repeats its words, and the cache keeps stemming a small part
 * of indexing time. The cache is capped (STEM_CACHE_MAX entries) and is
 * emptied when full.
 *
 * The language "none" is accepted and returns words unchanged.
 */
#ifndef LEDE_STEM_H
#define LEDE_STEM_H

#include <stddef.h>
#include "err.h"

#define STEM_CACHE_MAX 1000000

typedef struct stem stem;

/* lang: a name from stem_langs() (e.g. "english", "arabic") or "none".
 * LEDE_EINVAL for an unknown language. */
int stem_new(const char *lang, stem **out) LEDE_WUR;
void stem_free(stem *s);
/* Cap the cache's memory (its table and word arena) at about bytes;
 * 0 restores the defaults. Empties the cache. */
void stem_set_cache_bytes(stem *s, size_t bytes);

/* Stem word[0..len) (a folded token). *out points into memory owned by s
 * that stays valid until stem_free(s) or until the cache is emptied,
 * i.e. until the next stem_word call: copy it if you keep it. */
int stem_word(stem *s, const char *word, size_t len,
	      const char **out, size_t *outlen) LEDE_WUR;

/* NULL-terminated list of supported languages (libstemmer's, plus
 * "none"). Static storage. */
const char **stem_langs(void);
/* 1 if lang is supported, else 0. */
int stem_lang_ok(const char *lang);

#endif
