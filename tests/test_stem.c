/*
 * test_stem.c - unit tests for the stemmer (common/stem.c): English and
 * Arabic stems, "none", unknown languages, the language list, and the
 * cache checked against a fresh uncached libstemmer handle, across many
 * repeats, many distinct words and a cache reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include "../common/stem.h"
#include "t.h"

/* Stem word with s into a static copy ("" on error). */
static const char *st(stem *s, const char *word)
{
	static char out[512];
	const char *r;
	size_t rl;

	if (stem_word(s, word, strlen(word), &r, &rl) != 0 ||
	    rl >= sizeof(out))
		return "";
	memcpy(out, r, rl);
	out[rl] = '\0';
	return out;
}

/* The stem straight from libstemmer, for comparisons. */
static const char *ref(struct sb_stemmer *sb, const char *w, size_t len)
{
	static char out[512];
	const sb_symbol *r = sb_stemmer_stem(sb, (const sb_symbol *)w,
					     (int)len);
	int rl = sb_stemmer_length(sb);

	if (!r || rl < 0 || (size_t)rl >= sizeof(out))
		return "(error)";
	memcpy(out, r, (size_t)rl);
	out[rl] = '\0';
	return out;
}

static void test_english(void)
{
	stem *s = NULL;
	char a[64];

	CHECK_INT(stem_new("english", &s), 0);
	if (!s)
		return;
	CHECK_STR(st(s, "running"), "run");
	snprintf(a, sizeof(a), "%s", st(s, "sanctions"));
	CHECK_STR(st(s, "sanctioned"), a);
	CHECK_STR(a, "sanction");
	CHECK_STR(st(s, "nso's"), "nso");
	CHECK_STR(st(s, "o'brien"), "o'brien");
	CHECK_STR(st(s, "1000"), "1000");
	CHECK_STR(st(s, "3.5"), "3.5");
	/* A word of 0 bytes is not an error; the result is empty. */
	{
		const char *r = NULL;
		size_t rl = 99;

		CHECK_INT(stem_word(s, "", 0, &r, &rl), 0);
		CHECK_INT(rl, 0);
	}
	/* Repeats hit the cache and keep the same answer; the result is
	 * NUL-terminated and not tied to the caller's buffer. */
	for (int k = 0; k < 1000; k++) {
		char w[16];
		const char *r;
		size_t rl;

		strcpy(w, "connections");
		if (stem_word(s, w, strlen(w), &r, &rl) != 0) {
			CHECK(0);
			break;
		}
		memset(w, 'x', sizeof(w) - 1);
		if (k == 0 || k == 999) {
			CHECK_INT(rl, 7);
			CHECK(memcmp(r, "connect", 7) == 0);
			CHECK_INT(r[rl], '\0');
		}
	}
	/* Passing a returned stem back in (it points into the cache). */
	{
		const char *r, *r2;
		size_t rl, rl2;

		CHECK_INT(stem_word(s, "generalizations", 15, &r, &rl), 0);
		CHECK_INT(stem_word(s, r, rl, &r2, &rl2), 0);
		CHECK_INT(rl2, rl);
	}
	/* Words over the cached length still stem. */
	{
		char w[400];

		memset(w, 'a', 300);
		strcpy(w + 300, "ing");
		CHECK_INT(strlen(st(s, w)), 300);
	}
	stem_free(s);
}

static void test_arabic(void)
{
	const char **l;
	int found = 0, none = 0;
	stem *s = NULL;
	struct sb_stemmer *sb;

	for (l = stem_langs(); *l; l++) {
		found += strcmp(*l, "arabic") == 0;
		none += strcmp(*l, "none") == 0;
	}
	CHECK_INT(found, 1);
	CHECK_INT(none, 1);
	CHECK(stem_lang_ok("arabic"));
	CHECK_INT(stem_new("arabic", &s), 0);
	sb = sb_stemmer_new("arabic", "UTF_8");
	CHECK(sb != NULL);
	if (s && sb) {
		/* "the book" loses its article, "the libraries" its article
		 * and plural suffix, "they write" its verb affixes. */
		CHECK_STR(st(s, "الكتاب"), "كتاب");
		CHECK_STR(st(s, "المكتبات"), "مكتب");
		CHECK_STR(st(s, "يكتبون"), "يكتب");
		CHECK_STR(st(s, "والكتاب"), ref(sb, "والكتاب",
						 strlen("والكتاب")));
	}
	sb_stemmer_delete(sb);
	stem_free(s);
}

static void test_none_and_errors(void)
{
	stem *s = (stem *)1;
	const char *r;
	size_t rl;

	CHECK_INT(stem_new("klingon", &s), LEDE_EINVAL);
	CHECK(s == NULL);
	CHECK_INT(stem_new("", &s), LEDE_EINVAL);
	CHECK(!stem_lang_ok("klingon"));
	CHECK(!stem_lang_ok(NULL));
	CHECK(stem_lang_ok("english"));
	CHECK(stem_lang_ok("none"));
	CHECK_INT(stem_new("none", &s), 0);
	if (s) {
		CHECK_STR(st(s, "running"), "running");
		CHECK_STR(st(s, "nso's"), "nso's");
		CHECK_INT(stem_word(s, "abcdef", 3, &r, &rl), 0);
		CHECK_INT(rl, 3);
		CHECK(memcmp(r, "abc", 3) == 0);
	}
	stem_free(s);
	stem_free(NULL);
}

/* Many distinct words, in several rounds, checked against uncached
 * libstemmer: every word stemmed again later (a cache hit) must give
 * the same answer, across table growth and the emptying at
 * STEM_CACHE_MAX. */
static void test_cache(void)
{
	enum { NWORDS = 200000 };
	static const char *suf[] = { "", "s", "ing", "ed", "ation", "ness",
				     "ly", "ies", "'s", "ful" };
	struct sb_stemmer *sb = sb_stemmer_new("english", "UTF_8");
	stem *s = NULL;
	int bad = 0, checked = 0;
	char w[64];

	CHECK(sb != NULL);
	CHECK_INT(stem_new("english", &s), 0);
	if (!s || !sb)
		goto out;
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < NWORDS; k++) {
			const char *r;
			size_t rl;
			unsigned x = (unsigned)k * 2654435761u;
			int n;

			n = snprintf(w, sizeof(w), "%c%c%c%x%s",
				     'a' + x % 26, 'a' + (x >> 5) % 26,
				     'a' + (x >> 10) % 26, (unsigned)k,
				     suf[k % 10]);
			if (stem_word(s, w, (size_t)n, &r, &rl) != 0) {
				bad++;
				continue;
			}
			/* Check a sample each round (all in round 1). */
			if (round == 1 || k % 97 == 0) {
				const char *e = ref(sb, w, (size_t)n);

				checked++;
				if (strlen(e) != rl || memcmp(e, r, rl) != 0 ||
				    r[rl] != '\0')
					bad++;
			}
		}
	}
	CHECK_INT(bad, 0);
	CHECK(checked > NWORDS);
	/* Past STEM_CACHE_MAX: the cache empties and keeps answering. */
	bad = 0;
	for (int k = 0; k < STEM_CACHE_MAX + 50000; k++) {
		const char *r;
		size_t rl;
		int n = snprintf(w, sizeof(w), "w%dings", k);

		if (stem_word(s, w, (size_t)n, &r, &rl) != 0) {
			bad++;
			continue;
		}
		if (k % 9973 == 0 || k > STEM_CACHE_MAX - 5) {
			const char *e = ref(sb, w, (size_t)n);

			if (strlen(e) != rl || memcmp(e, r, rl) != 0)
				bad++;
		}
	}
	CHECK_INT(bad, 0);
	CHECK_STR(st(s, "running"), "run");
	CHECK_STR(st(s, "w5ings"), ref(sb, "w5ings", 6));
out:
	stem_free(s);
	if (sb)
		sb_stemmer_delete(sb);
}

int main(void)
{
	test_english();
	test_arabic();
	test_none_and_errors();
	test_cache();
	return t_done("test_stem");
}
