/*
 * stem.c - Snowball stemming through libstemmer, behind a word -> stem
 * cache (see stem.h).
 *
 * A stem handle owns one sb_stemmer (none for the language "none"), a
 * cache and a scratch buffer for the returned stem.
 *
 * The cache is an open-addressing hash table with linear probing. A slot
 * holds the word's 64-bit hash (hash64), the offset of its bytes in an
 * arena and two lengths; the arena stores, per entry,
 *
 *     word bytes | stem bytes | NUL
 *
 * so a hit returns a pointer into the arena without copying. The table
 * starts small and doubles while its load is over 1/2, so a handle used
 * for a query costs a few KB, not the 32 MB a full table needs.
 *
 * Caps: at most max_used entries and arena_max arena bytes
 * (STEM_CACHE_MAX and STEM_ARENA_MAX unless stem_set_cache_bytes says
 * less); reaching either empties the cache (arena and table) and starts over.
 * Emptying, like arena growth (realloc), invalidates pointers returned
 * earlier, which stem.h allows: a stem is valid until the next call.
 * Words longer than STEM_WORD_MAX bypass the cache (tok.h tokens are at
 * most 64 bytes; this only bounds other callers).
 *
 * Invariants: a slot is empty iff its wlen is 0 (empty words never enter
 * the cache); nused <= max_used; nused <= mask / 2 + 1 (the table
 * always has free slots, so probing ends); every slot's off + wlen +
 * slen + 1 <= arena_len.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include "buf.h"
#include "stem.h"

#define STEM_WORD_MAX 255                 /* longest cached word, bytes */
#define STEM_ARENA_MAX ((size_t)64 << 20) /* arena cap: 64 MiB */
#define STEM_TABLE_MIN 1024               /* initial slots, power of 2 */
#define STEM_HASH_SEED 0x5374656d4c656465ULL

typedef struct slot {
	uint64_t h;
	uint32_t off;     /* word bytes start here in the arena */
	uint16_t wlen;    /* 0: empty slot */
	uint16_t slen;
} slot;

struct stem {
	struct sb_stemmer *sb;  /* NULL for "none" */
	slot *tab;
	size_t mask;            /* table size - 1 */
	size_t nused;
	char *arena;
	size_t arena_len, arena_cap;
	size_t max_used;        /* cached words at most */
	size_t arena_max;       /* arena bytes at most */
	char *scratch;          /* uncached results */
	size_t scratch_cap;
};

/* stem_langs(): libstemmer's list plus "none", built once. */
#define STEM_LANGS_MAX 64
static const char *langs[STEM_LANGS_MAX + 2];
static pthread_once_t langs_once = PTHREAD_ONCE_INIT;

static void langs_init(void)
{
	const char **l = sb_stemmer_list();
	size_t n = 0;

	for (; l && *l && n < STEM_LANGS_MAX; l++)
		langs[n++] = *l;
	langs[n++] = "none";
	langs[n] = NULL;
}

const char **stem_langs(void)
{
	pthread_once(&langs_once, langs_init);
	return langs;
}

int stem_lang_ok(const char *lang)
{
	const char **l;

	if (!lang)
		return 0;
	for (l = stem_langs(); *l; l++)
		if (strcmp(*l, lang) == 0)
			return 1;
	return 0;
}

int stem_new(const char *lang, stem **out)
{
	stem *s;

	*out = NULL;
	if (!stem_lang_ok(lang))
		return LEDE_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return LEDE_ENOMEM;
	s->max_used = STEM_CACHE_MAX;
	s->arena_max = STEM_ARENA_MAX;
	if (strcmp(lang, "none") != 0) {
		s->sb = sb_stemmer_new(lang, "UTF_8");
		if (!s->sb) {
			/* Listed yet refused: only out of memory is left. */
			free(s);
			return LEDE_ENOMEM;
		}
	}
	*out = s;
	return 0;
}

void stem_free(stem *s)
{
	if (!s)
		return;
	if (s->sb)
		sb_stemmer_delete(s->sb);
	free(s->tab);
	free(s->arena);
	free(s->scratch);
	free(s);
}

/* Copy p[0..n) to the scratch buffer, NUL-terminated. */
static int scratch_set(stem *s, const void *p, size_t n, const char **out)
{
	if (n + 1 > s->scratch_cap) {
		size_t nc = s->scratch_cap ? s->scratch_cap : 256;
		char *q;

		while (nc < n + 1)
			nc *= 2;
		q = realloc(s->scratch, nc);
		if (!q)
			return LEDE_ENOMEM;
		s->scratch = q;
		s->scratch_cap = nc;
	}
	/* memmove: p may be a stem returned earlier, i.e. the scratch
	 * buffer itself (then n < scratch_cap and it was not moved). */
	if (n)
		memmove(s->scratch, p, n);
	s->scratch[n] = '\0';
	*out = s->scratch;
	return 0;
}

static void cache_empty(stem *s)
{
	if (s->tab)
		memset(s->tab, 0, (s->mask + 1) * sizeof(*s->tab));
	s->nused = 0;
	s->arena_len = 0;
}

void stem_set_cache_bytes(stem *s, size_t bytes)
{
	/* Half for the arena, half for the table: at most 4 slots of 16
	 * bytes per word (the table doubles at half full). */
	s->arena_max = bytes ? bytes / 2 : STEM_ARENA_MAX;
	s->max_used = bytes ? bytes / 2 / (4 * sizeof(slot)) : STEM_CACHE_MAX;
	if (s->arena_max < 4096)
		s->arena_max = 4096;
	if (s->max_used < STEM_TABLE_MIN / 4)
		s->max_used = STEM_TABLE_MIN / 4;
	free(s->tab);
	free(s->arena);
	s->tab = NULL;
	s->arena = NULL;
	s->mask = 0;
	s->nused = 0;
	s->arena_len = 0;
	s->arena_cap = 0;
}

/* Double the table (or create it); entries are re-placed by their
 * stored hash, the arena is untouched. */
static int table_grow(stem *s)
{
	size_t nslots = s->tab ? (s->mask + 1) * 2 : STEM_TABLE_MIN;
	size_t nmask = nslots - 1;
	slot *nt = calloc(nslots, sizeof(*nt));

	if (!nt)
		return LEDE_ENOMEM;
	if (s->tab) {
		for (size_t k = 0; k <= s->mask; k++) {
			size_t j;

			if (!s->tab[k].wlen)
				continue;
			j = s->tab[k].h & nmask;
			while (nt[j].wlen)
				j = (j + 1) & nmask;
			nt[j] = s->tab[k];
		}
		free(s->tab);
	}
	s->tab = nt;
	s->mask = nmask;
	return 0;
}

/* Make room for n more arena bytes; 0, or >0 if the cap says empty the
 * cache first, or LEDE_ENOMEM. */
static int arena_room(stem *s, size_t n)
{
	size_t nc;
	char *p;

	if (s->arena_len + n > s->arena_max)
		return 1;
	if (s->arena_len + n <= s->arena_cap)
		return 0;
	nc = s->arena_cap ? s->arena_cap * 2 : 64 * 1024;
	while (nc < s->arena_len + n)
		nc *= 2;
	if (nc > s->arena_max)
		nc = s->arena_max;
	p = realloc(s->arena, nc);
	if (!p)
		return LEDE_ENOMEM;
	s->arena = p;
	s->arena_cap = nc;
	return 0;
}

/* Equality of two short byte strings. Inline because a cache hit, the
 * common case, always ends in one compare and a libc call costs more
 * than the compare of a typical 6-byte word. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	while (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
		a += 8;
		b += 8;
		n -= 8;
	}
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* Run the Snowball stemmer; *res valid until its next call. */
static int run_stemmer(stem *s, const char *word, size_t len,
		       const char **res, size_t *reslen)
{
	const sb_symbol *r;
	int rl;

	if (len > INT_MAX)
		return LEDE_ETOOBIG;
	r = sb_stemmer_stem(s->sb, (const sb_symbol *)word, (int)len);
	if (!r)
		return LEDE_ENOMEM;
	rl = sb_stemmer_length(s->sb);
	if (rl < 0)
		return LEDE_ENOMEM;
	*res = (const char *)r;
	*reslen = (size_t)rl;
	return 0;
}

int stem_word(stem *s, const char *word, size_t len,
	      const char **out, size_t *outlen)
{
	char wcopy[STEM_WORD_MAX];
	const char *r;
	size_t rl, j;
	uint64_t h;
	slot *e;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!s || (!word && len))
		return LEDE_EINVAL;
	if (!s->sb || len == 0) {
		*outlen = len;
		return scratch_set(s, word, len, out);
	}
	if (len > STEM_WORD_MAX) {
		rc = run_stemmer(s, word, len, &r, &rl);
		if (!rc)
			rc = scratch_set(s, r, rl, out);
		if (!rc)
			*outlen = rl;
		return rc;
	}

	h = hash64(word, len, STEM_HASH_SEED);
	if (s->tab) {
		for (j = h & s->mask; s->tab[j].wlen; j = (j + 1) & s->mask) {
			e = &s->tab[j];
			if (e->h == h && e->wlen == len &&
			    same_bytes(s->arena + e->off, word, len)) {
				*out = s->arena + e->off + len;
				*outlen = e->slen;
				return 0;
			}
		}
	}

	/* A miss: stem, then insert. The word is copied first because a
	 * caller may pass back a stem we returned, which points into the
	 * arena that the insert below may move or empty. */
	memcpy(wcopy, word, len);
	word = wcopy;
	rc = run_stemmer(s, word, len, &r, &rl);
	if (rc)
		return rc;
	if (rl > UINT16_MAX)   /* cannot happen for <= 255-byte words */
		goto uncached;
	if (s->nused >= s->max_used)
		cache_empty(s);
	rc = arena_room(s, len + rl + 1);
	if (rc > 0) {
		cache_empty(s);
		rc = arena_room(s, len + rl + 1);
	}
	if (rc < 0)
		return rc;
	if (rc > 0)
		goto uncached;
	if (!s->tab || (s->nused + 1) * 2 > s->mask + 1) {
		rc = table_grow(s);
		if (rc)
			return rc;
	}
	for (j = h & s->mask; s->tab[j].wlen; j = (j + 1) & s->mask)
		;
	e = &s->tab[j];
	e->h = h;
	e->off = (uint32_t)s->arena_len;
	e->wlen = (uint16_t)len;
	e->slen = (uint16_t)rl;
	memcpy(s->arena + s->arena_len, word, len);
	memcpy(s->arena + s->arena_len + len, r, rl);
	s->arena[s->arena_len + len + rl] = '\0';
	s->arena_len += len + rl + 1;
	s->nused++;
	*out = s->arena + e->off + len;
	*outlen = rl;
	return 0;

uncached:
	rc = scratch_set(s, r, rl, out);
	if (!rc)
		*outlen = rl;
	return rc;
}
