/*
 * test_snip.c - unit tests for snippets (searcher/snip.c): matching by
 * stem and through accents, window choice (distinct stems, matches,
 * sentence starts), ellipses, clean-up of whitespace, controls and
 * invalid UTF-8, bounded work on big texts, marks that cut exactly the
 * surface word, snip_mark_all, and the ANSI and HTML renderers with
 * hostile text and bad spans.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../searcher/snip.h"
#include "t.h"

#define MAXQ 16

static ana *A;

/* Query stems, computed with ana itself so the test follows the
 * stemmer rather than guessing its output. */
typedef struct qstems {
	char s[MAXQ][TOK_MAX_BYTES + 1];
	const char *p[MAXQ];
	snip_terms t;
} qstems;

static int add_stem(void *ctx, const char *stem, size_t len,
		    const tok_token *tk)
{
	qstems *q = ctx;

	(void)tk;
	if (q->t.n == MAXQ || len > TOK_MAX_BYTES)
		return 0;
	memcpy(q->s[q->t.n], stem, len);
	q->s[q->t.n][len] = 0;
	q->p[q->t.n] = q->s[q->t.n];
	q->t.n++;
	return 0;
}

static const snip_terms *query(const char *words, qstems *q)
{
	memset(q, 0, sizeof(*q));
	q->t.stems = q->p;
	if (ana_text(A, words, strlen(words), 0, add_stem, q, NULL) != 0)
		fprintf(stderr, "ana_text failed on the query\n");
	return &q->t;
}

/* Is s[0..n) valid UTF-8 (shortest forms, no surrogates)? */
static int utf8_ok(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 :
			(c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		uint32_t cp;

		if (len == 0 || i + len > n)
			return 0;
		cp = len == 1 ? c : c & (0x7fu >> len);
		for (size_t j = 1; j < len; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Does s break a snip.h invariant of a made snippet? */
static int inv_bad(const snip *s)
{
	int bad = 0;

	if (!s->text || strlen(s->text) != s->len || !utf8_ok(s->text, s->len))
		bad = 1;
	for (size_t i = 0; s->text && i < s->len; i++) {
		uint8_t c = (uint8_t)s->text[i];

		if (c < 0x20 || c == 0x7f)
			bad = 1;
		if (c == ' ' && (i == 0 || i + 1 == s->len ||
				 s->text[i + 1] == ' '))
			bad = 1;
		/* UTF-8 of U+0080..U+009F (C1 controls) */
		if (c == 0xc2 && i + 1 < s->len &&
		    (uint8_t)s->text[i + 1] < 0xa0)
			bad = 1;
	}
	if (s->nmarks > SNIP_MAX_MARKS)
		bad = 1;
	for (size_t k = 0; k < s->nmarks; k++) {
		if (s->marks[k].start >= s->marks[k].end ||
		    s->marks[k].end > s->len)
			bad = 1;
		if (k && s->marks[k].start < s->marks[k - 1].end)
			bad = 1;
	}
	if (s->src_start > s->src_end)
		bad = 1;
	return bad;
}

static void check_inv(const snip *s)
{
	CHECK(!inv_bad(s));
}

static int make_len(const char *text, size_t len, const char *words,
		    snip *s)
{
	qstems q;
	int rc = snip_make(A, text, len, query(words, &q), s);

	if (rc == 0)
		check_inv(s);
	return rc;
}

static int make(const char *text, const char *words, snip *s)
{
	return make_len(text, strlen(text), words, s);
}

/* The k-th mark's bytes of the snippet, as a string. */
static const char *mark(const snip *s, size_t k)
{
	static char m[4][256];
	static int slot;
	char *o = m[slot++ % 4];
	size_t n;

	if (k >= s->nmarks)
		return "(no mark)";
	n = s->marks[k].end - s->marks[k].start;
	if (n >= sizeof(m[0]))
		n = sizeof(m[0]) - 1;
	memcpy(o, s->text + s->marks[k].start, n);
	o[n] = 0;
	return o;
}

static int starts_with(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

static int ends_with(const char *s, const char *p)
{
	size_t n = s ? strlen(s) : 0, m = strlen(p);

	return s && n >= m && strcmp(s + n - m, p) == 0;
}

/* Count of space-separated words in s, ellipses not counted. */
static int words(const char *s)
{
	int n = 0, in = 0;

	for (; *s; s++) {
		if (*s == ' ') {
			in = 0;
		} else if (!in) {
			in = 1;
			if (strncmp(s, "\xe2\x80\xa6", 3) != 0 ||
			    (s[3] != ' ' && s[3] != 0))
				n++;
		}
	}
	return n;
}

/* "w0 w1 ... w<n-1>" with words built from a stem: filler text. */
static void filler(char *out, size_t cap, const char *word, int n)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s%c", i ? " " : "",
				      word, 'a' + i % 26);
}

static void test_stems_and_accents(void)
{
	snip s;

	CHECK_INT(make("The board Sanctioned the deal.", "sanctions", &s), 0);
	CHECK_STR(s.text, "The board Sanctioned the deal.");
	CHECK_INT(s.nmarks, 1);
	CHECK_STR(mark(&s, 0), "Sanctioned");
	CHECK_INT(s.src_start, 0);
	CHECK_INT(s.src_end, strlen("The board Sanctioned the deal."));
	snip_free(&s);
	CHECK(s.text == NULL && s.nmarks == 0);

	CHECK_INT(make("Le Café de Flore, CAFÉ bar", "cafe", &s), 0);
	CHECK_INT(s.nmarks, 2);
	CHECK_STR(mark(&s, 0), "Café");
	CHECK_STR(mark(&s, 1), "CAFÉ");
	snip_free(&s);

	/* Possessives, apostrophes and hyphen-split words: the mark is
	 * the token as written, never its punctuation. */
	CHECK_INT(make("\xe2\x80\x9cSanctions,\xe2\x80\x9d said O'Brien's "
		       "aide of al-Assad\xe2\x80\x99s camp.",
		       "sanction o'brien assad", &s), 0);
	CHECK_INT(s.nmarks, 3);
	CHECK_STR(mark(&s, 0), "Sanctions");
	CHECK_STR(mark(&s, 1), "O'Brien's");
	CHECK_STR(mark(&s, 2), "Assad\xe2\x80\x99s");
	/* The opening quote and the closing punctuation stay. */
	CHECK(starts_with(s.text, "\xe2\x80\x9cSanctions,\xe2\x80\x9d"));
	CHECK(ends_with(s.text, "camp."));
	snip_free(&s);

	/* Duplicate query stems do not double the marks. */
	CHECK_INT(make("Sanctions bite.", "sanction sanctions", &s), 0);
	CHECK_INT(s.nmarks, 1);
	snip_free(&s);
}

static void test_window_choice(void)
{
	char text[8192], a[2048], b[2048];
	snip s;

	/* "oil" repeated early, "oil" and "prices" together late: the
	 * window with both stems wins over the one with more matches. */
	filler(a, sizeof(a), "pad", 40);
	filler(b, sizeof(b), "gap", 40);
	snprintf(text, sizeof(text), "oil oil oil oil oil oil. %s. "
		 "Oil prices rose. %s", a, b);
	CHECK_INT(make(text, "oil prices", &s), 0);
	CHECK_INT(s.nmarks, 2);
	CHECK_STR(mark(&s, 0), "Oil");
	CHECK_STR(mark(&s, 1), "prices");
	CHECK(starts_with(s.text, "\xe2\x80\xa6 "));
	CHECK(ends_with(s.text, " \xe2\x80\xa6"));
	CHECK(strstr(s.text, "oil oil") == NULL);
	snip_free(&s);

	/* Same distinct stems: more matches win. */
	snprintf(text, sizeof(text), "Oil prices. %s. Oil prices oil "
		 "prices oil. %s", a, b);
	CHECK_INT(make(text, "oil prices", &s), 0);
	CHECK_INT(s.nmarks, 5);
	CHECK(s.src_start > 0);
	snip_free(&s);

	/* A tie: the earliest window. */
	snprintf(text, sizeof(text), "Oil prices. %s. Oil prices. %s", a, b);
	CHECK_INT(make(text, "oil prices", &s), 0);
	CHECK_INT(s.nmarks, 2);
	CHECK_INT(s.src_start, 0);
	CHECK(starts_with(s.text, "Oil prices."));
	snip_free(&s);

	/* A window is at most SNIP_WORDS words. */
	CHECK_INT(make(text, "nothing", &s), 0);
	CHECK_INT(words(s.text), SNIP_WORDS);
	snip_free(&s);
}

static void test_sentence_start(void)
{
	char text[8192], a[2048], b[2048];
	snip s;

	filler(a, sizeof(a), "pad", 40);
	filler(b, sizeof(b), "gap", 40);
	/* The sentence starts 5 tokens before the match: start there. */
	snprintf(text, sizeof(text), "%s. The new round of harsh "
		 "sanctions began today. %s", a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 The new round"));
	CHECK_STR(mark(&s, 0), "sanctions");
	CHECK_INT(s.src_start, strstr(text, "The new") - text);
	snip_free(&s);

	/* A paragraph break starts a sentence too, without a stop. */
	snprintf(text, sizeof(text), "%s\n\nHeadline about the "
		 "sanctions here %s", a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 Headline about"));
	snip_free(&s);

	/* A stop and a single newline; a question mark. */
	snprintf(text, sizeof(text), "%s done.\nWhy the sanctions now %s",
		 a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 Why the sanctions now"));
	snip_free(&s);
	snprintf(text, sizeof(text), "%s, is it? \xe2\x80\x9cMore "
		 "sanctions,\xe2\x80\x9d he said %s", a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 \xe2\x80\x9cMore "
			  "sanctions,\xe2\x80\x9d he said"));
	CHECK_STR(mark(&s, 0), "sanctions");
	snip_free(&s);

	/* No sentence start within reach: three words of lead. */
	snprintf(text, sizeof(text), "%s then some more words that run "
		 "on and on before the sanctions were felt %s", a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 on before the sanctions"));
	snip_free(&s);

	/* "U.S. sanctions": an abbreviation is not a sentence end. */
	snprintf(text, sizeof(text), "%s. Then came new U.S. sanctions "
		 "on %s", a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 Then came new U.S. "
			  "sanctions"));
	snip_free(&s);

	/* Near the end the window reaches back to keep SNIP_WORDS words
	 * and shows the end: no closing ellipsis. */
	snprintf(text, sizeof(text), "%s %s last sanctions.", a, b);
	CHECK_INT(make(text, "sanctions", &s), 0);
	CHECK(starts_with(s.text, "\xe2\x80\xa6 "));
	CHECK(ends_with(s.text, "last sanctions."));
	CHECK_INT(words(s.text), SNIP_WORDS);
	CHECK_INT(s.src_end, strlen(text));
	snip_free(&s);
}

static void test_ellipses_and_space(void)
{
	char text[4096], a[2048];
	snip s;

	CHECK_INT(make("  \n\t Sanctions bite hard.\n\n", "sanctions", &s), 0);
	CHECK_STR(s.text, "Sanctions bite hard.");
	CHECK_STR(mark(&s, 0), "Sanctions");
	snip_free(&s);

	CHECK_INT(make("a\t\tb\n\n  sanctions\r\nc  \xc2\xa0 d", "sanctions",
		       &s), 0);
	CHECK_STR(s.text, "a b sanctions c d");
	CHECK_STR(mark(&s, 0), "sanctions");
	CHECK_INT(s.marks[0].start, 4);
	CHECK_INT(s.marks[0].end, 13);
	snip_free(&s);

	/* No match: the start of the text, with a closing ellipsis when
	 * there is more. */
	filler(a, sizeof(a), "pad", 60);
	snprintf(text, sizeof(text), "Opening words. %s", a);
	CHECK_INT(make(text, "zebra", &s), 0);
	CHECK(starts_with(s.text, "Opening words. pada"));
	CHECK(ends_with(s.text, " \xe2\x80\xa6"));
	CHECK_INT(s.nmarks, 0);
	CHECK_INT(s.src_start, 0);
	CHECK(s.src_end < strlen(text));
	snip_free(&s);

	/* A short text without a match is shown whole. */
	CHECK_INT(make("Just a line.", "zebra", &s), 0);
	CHECK_STR(s.text, "Just a line.");
	snip_free(&s);

	/* No query at all. */
	CHECK_INT(snip_make(A, "Just a line.", 12, NULL, &s), 0);
	CHECK_STR(s.text, "Just a line.");
	CHECK_INT(s.nmarks, 0);
	snip_free(&s);
}

static void test_empty_and_bad_bytes(void)
{
	snip s;

	CHECK_INT(make("", "sanctions", &s), 0);
	CHECK_STR(s.text, "");
	CHECK_INT(s.len, 0);
	CHECK_INT(s.nmarks, 0);
	snip_free(&s);

	CHECK_INT(snip_make(A, NULL, 0, NULL, &s), 0);
	CHECK_STR(s.text, "");
	snip_free(&s);

	/* Only punctuation and space: no word, an empty snippet. */
	CHECK_INT(make(" -- !! \n", "sanctions", &s), 0);
	CHECK_INT(s.len, 0);
	snip_free(&s);

	/* Invalid UTF-8 becomes U+FFFD and the marks still fit. */
	CHECK_INT(make("caf\xff sanctions \xc3 x\xed\xa0\x80y end",
		       "sanctions", &s), 0);
	CHECK_STR(s.text, "caf\xef\xbf\xbd sanctions \xef\xbf\xbd "
		  "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy end");
	CHECK_STR(mark(&s, 0), "sanctions");
	snip_free(&s);

	/* A NUL byte separates words and leaves a space in its stead. */
	CHECK_INT(make_len("foo\0sanctions bar", 17, "sanctions", &s), 0);
	CHECK_STR(s.text, "foo sanctions bar");
	CHECK_INT(s.len, 17);
	CHECK_STR(mark(&s, 0), "sanctions");
	snip_free(&s);

	/* Control characters (C0, DEL, C1) never reach the snippet. */
	CHECK_INT(make("x\x1b[31m sanctions\x07 \x7f" "y \xc2\x9b" "z",
		       "sanctions", &s), 0);
	CHECK_STR(s.text, "x [31m sanctions y z");
	CHECK_STR(mark(&s, 0), "sanctions");
	snip_free(&s);

	CHECK_INT(snip_make(NULL, "x", 1, NULL, &s), LEDE_EINVAL);
	CHECK(s.text == NULL);
	CHECK_INT(snip_make(A, NULL, 5, NULL, &s), LEDE_EINVAL);
	CHECK_INT(snip_make(A, "x", 1, NULL, NULL), LEDE_EINVAL);
	snip_free(&s);
	snip_free(NULL);
}

/* Output caps: a window of 30 words with huge gaps stays small. */
static void test_caps(void)
{
	size_t n = 30 * 1001 + 64, o = 0;
	char *text = malloc(n);
	snip s;

	if (!text)
		return;
	for (int i = 0; i < 30; i++) {
		text[o++] = i == 0 ? 'S' : 'w';
		memset(text + o, '=', 1000);
		o += 1000;
	}
	memcpy(text + o, " sanctions", 10);
	o += 10;
	CHECK_INT(make_len(text, o, "sanctions", &s), 0);
	CHECK(s.len <= 2048 + 8);
	CHECK(ends_with(s.text, " \xe2\x80\xa6"));
	CHECK(s.src_end < o);
	snip_free(&s);
	free(text);
}

static void test_big_text(void)
{
	size_t cap = 5u << 20, o = 0;
	char *text = malloc(cap + 64);
	clock_t t0;
	double secs;
	snip s;
	snip_span sp[8];
	size_t n = 0;

	if (!text)
		return;
	o += (size_t)sprintf(text, "Intro. xxxxxxxxx ");
	while (o + 40 < cap)
		o += (size_t)sprintf(text + o, "plain words without it %zu. ",
				     o % 1000);
	o += (size_t)sprintf(text + o, "sanctions at the end");
	t0 = clock();
	CHECK_INT(make_len(text, o, "sanctions", &s), 0);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 5.0);
	/* The match lies past the tokens examined: the start is shown. */
	CHECK(starts_with(s.text, "Intro. xxxxxxxxx plain words"));
	CHECK_INT(s.nmarks, 0);
	snip_free(&s);

	/* A match early in a big text is found. */
	memcpy(text + 7, "sanctions", 9);
	t0 = clock();
	CHECK_INT(make_len(text, o, "sanctions", &s), 0);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 5.0);
	CHECK_INT(s.nmarks, 1);
	CHECK_STR(mark(&s, 0), "sanctions");
	snip_free(&s);

	/* snip_mark_all walks the whole text, and stops at its cap. */
	{
		qstems q;

		t0 = clock();
		CHECK_INT(snip_mark_all(A, text, o, query("sanctions", &q),
					sp, 8, &n), 0);
		secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
		CHECK(secs < 10.0);
		CHECK_INT(n, 2);
		CHECK_INT(sp[0].start, 7);
		CHECK_INT(sp[1].start, o - strlen("sanctions at the end"));
	}
	free(text);
}

static void test_mark_all(void)
{
	const char *t = "Sanctioned firms; more sanctions. Café: CAFE cafés";
	snip_span sp[8];
	qstems q;
	size_t n = 99;

	CHECK_INT(snip_mark_all(A, t, strlen(t), query("sanctions cafe", &q),
				sp, 8, &n), 0);
	CHECK_INT(n, 5);
	CHECK_INT(sp[0].start, 0);
	CHECK_INT(sp[0].end, 10);
	CHECK(strncmp(t + sp[1].start, "sanctions", 9) == 0);
	CHECK_INT(sp[1].end - sp[1].start, 9);
	CHECK(strncmp(t + sp[2].start, "Café", sp[2].end - sp[2].start) == 0);
	CHECK_INT(sp[2].end - sp[2].start, strlen("Café"));
	CHECK(strncmp(t + sp[4].start, "cafés", 6) == 0);
	CHECK(sp[1].start >= sp[0].end && sp[2].start >= sp[1].end);

	CHECK_INT(snip_mark_all(A, t, strlen(t), query("sanctions cafe", &q),
				sp, 2, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(snip_mark_all(A, t, strlen(t), query("sanctions", &q),
				sp, 0, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(snip_mark_all(A, t, strlen(t), query("zebra", &q),
				sp, 8, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(snip_mark_all(A, "", 0, query("zebra", &q), sp, 8, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(snip_mark_all(A, t, strlen(t), query("cafe", &q), NULL, 8,
				&n), LEDE_EINVAL);
}

static const char *render_ansi(const char *t, size_t len,
			       const snip_span *sp, size_t n, buf *b)
{
	buf_clear(b);
	if (snip_ansi(t, len, sp, n, b) || buf_nul(b))
		return NULL;
	return (const char *)b->data;
}

static const char *render_html(const char *t, size_t len,
			       const snip_span *sp, size_t n, buf *b)
{
	buf_clear(b);
	if (snip_html(t, len, sp, n, b) || buf_nul(b))
		return NULL;
	return (const char *)b->data;
}

static void test_ansi(void)
{
	const char *t = "a\x1b[31mbad\x07 word\x7f\n\xc2\x9b" "end";
	snip_span sp[1] = { { 11, 15 } };   /* "word" */
	buf b;

	buf_init(&b);
	CHECK_STR(render_ansi(t, strlen(t), sp, 1, &b),
		  "a[31mbad \033[1mword\033[0mend");
	CHECK_STR(render_ansi(t, strlen(t), NULL, 0, &b),
		  "a[31mbad wordend");
	CHECK_STR(render_ansi("", 0, NULL, 0, &b), "");
	/* Invalid UTF-8 cannot sneak a raw C1 byte through either. */
	CHECK_STR(render_ansi("x\x9by", 3, NULL, 0, &b),
		  "x\xef\xbf\xbdy");

	/* Overlapping, unsorted and out-of-range spans. */
	{
		snip_span bad[5] = { { 0, 5 }, { 3, 8 }, { 7, 6 },
				     { 9, 1000 }, { 500, 600 } };

		CHECK_STR(render_ansi("hello world", 11, bad, 5, &b),
			  "\033[1mhello\033[0m\033[1m wo\033[0mr"
			  "\033[1mld\033[0m");
	}
	/* A real snippet with its marks. */
	{
		snip s;

		CHECK_INT(make("Firms were Sanctioned\x1b]0;pwn\x07 today.",
			       "sanctions", &s), 0);
		CHECK_STR(render_ansi(s.text, s.len, s.marks, s.nmarks, &b),
			  "Firms were \033[1mSanctioned\033[0m ]0;pwn today.");
		snip_free(&s);
	}
	CHECK_INT(snip_ansi("x", 1, NULL, 0, NULL), LEDE_EINVAL);
	CHECK_INT(snip_ansi(NULL, 3, NULL, 0, &b), LEDE_EINVAL);
	CHECK_INT(snip_ansi("x", 1, NULL, 2, &b), LEDE_EINVAL);
	buf_release(&b);
}

static void test_html(void)
{
	const char *t = "<script>alert(1)</script> & \"q\" 'x'";
	snip_span sp[1] = { { 8, 13 } };   /* "alert" */
	buf b;
	snip s;

	buf_init(&b);
	CHECK_STR(render_html(t, strlen(t), sp, 1, &b),
		  "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; "
		  "&amp; &quot;q&quot; &#39;x&#39;");
	CHECK_STR(render_html("a\tb\nc\x01\xff", 7, NULL, 0, &b),
		  "a\tb\nc\xef\xbf\xbd");

	/* Through snip_make: the mark sits inside the escaped text. */
	CHECK_INT(make("Before <script>alert(1)</script> after & more",
		       "alert", &s), 0);
	CHECK_STR(mark(&s, 0), "alert");
	CHECK_STR(render_html(s.text, s.len, s.marks, s.nmarks, &b),
		  "Before &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; "
		  "after &amp; more");
	snip_free(&s);

	/* A mark text containing <, spans past the end, overlaps. */
	{
		snip_span bad[4] = { { 0, 2 }, { 1, 4 }, { 3, 3 },
				     { 2, (size_t)-1 } };

		CHECK_STR(render_html("<a>'", 4, bad, 4, &b),
			  "<mark>&lt;a</mark><mark>&gt;&#39;</mark>");
		CHECK_STR(render_html("<a>'", 4, bad + 3, 1, &b),
			  "&lt;a<mark>&gt;&#39;</mark>");
	}
	buf_release(&b);
}

/* Every mark of a snippet of varied text cuts exactly a query word, and
 * the window bytes begin at src_start. */
static void test_marks_cut_words(void)
{
	const char *t = "In Zürich, the ZÜRICH office (zurich) noted "
		"sanctions\xe2\x80\x94SANCTIONS, and sanction-busting. "
		"\xe6\x9d\xb1\xe4\xba\xac news.";
	snip s;

	CHECK_INT(make(t, "zurich sanctions \xe6\x9d\xb1", &s), 0);
	CHECK_INT(s.nmarks, 7);
	CHECK_STR(mark(&s, 0), "Zürich");
	CHECK_STR(mark(&s, 1), "ZÜRICH");
	CHECK_STR(mark(&s, 2), "zurich");
	CHECK_STR(mark(&s, 3), "sanctions");
	CHECK_STR(mark(&s, 4), "SANCTIONS");
	CHECK_STR(mark(&s, 5), "sanction");
	CHECK_STR(mark(&s, 6), "\xe6\x9d\xb1");
	CHECK_STR(s.text, t);
	CHECK_INT(s.src_start, 0);
	CHECK_INT(s.src_end, strlen(t));
	snip_free(&s);

	/* With an opening ellipsis the offsets count it too. */
	{
		char text[4096], a[2048];

		filler(a, sizeof(a), "pad", 40);
		snprintf(text, sizeof(text), "%s. Zürich imposed sanctions.",
			 a);
		CHECK_INT(make(text, "zurich sanctions", &s), 0);
		CHECK_STR(s.text, "\xe2\x80\xa6 Zürich imposed sanctions.");
		CHECK_INT(s.marks[0].start, 4);
		CHECK_STR(mark(&s, 0), "Zürich");
		CHECK_STR(mark(&s, 1), "sanctions");
		CHECK(strncmp(text + s.src_start, "Zürich", 7) == 0);
		snip_free(&s);
	}
}

/* First stem of s[0..n) by ana, into out (empty when none). */
static void stem_of(const char *s, size_t n, char *out)
{
	qstems q;
	char tmp[256];

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	query(tmp, &q);
	strcpy(out, q.t.n ? q.s[0] : "");
}

/*
 * Random texts from fragments chosen to hit the edge cases together
 * (bad bytes, NUL, controls, accents, stops, markup): every snippet
 * keeps the invariants, each mark is a word whose stem is a query
 * stem, and the renderers emit no control byte of the text's own.
 */
static void test_random(void)
{
	static const char *frag[] = {
		"sanctions", "Sanctioned", "Café", "cafe", "oil", " ", "  ",
		".", ". ", "\n", "\n\n", "\t", "\xff", "\xc3", "\xe2\x80",
		"<", "&", "\"", "'", "O'Brien", "-", "U.S.", "\x1b[1m",
		"\x7f", "\xc2\x85", "\xc2\x9b", "word", "Zürich",
		"\xe6\x9d\xb1", "\xe2\x80\x9c", "\xe2\x80\x9d", "3.5", "\0", "x",
	};
	size_t nf = sizeof(frag) / sizeof(frag[0]);
	char text[4096];
	int bad_inv = 0, bad_mark = 0, bad_ansi = 0, bad_html = 0;
	int bad_all = 0;
	size_t nmarks = 0;
	unsigned seed = 12345;
	buf b;

	buf_init(&b);
	for (int r = 0; r < 3000; r++) {
		size_t o = 0, nfr;
		snip s;
		qstems q;
		snip_span sp[6], all[SNIP_MAX_MARKS];
		size_t nall;

		seed = seed * 1103515245u + 12345u;
		nfr = (seed >> 16) % 120;
		for (size_t k = 0; k < nfr; k++) {
			const char *f;
			size_t fl;

			seed = seed * 1103515245u + 12345u;
			f = frag[(seed >> 16) % nf];
			fl = f[0] ? strlen(f) : 1;   /* "\0" is one NUL */
			if (o + fl >= sizeof(text))
				break;
			memcpy(text + o, f, fl);
			o += fl;
		}
		if (snip_make(A, text, o, query("sanctions cafe zurich", &q),
			      &s) != 0) {
			bad_inv++;
			continue;
		}
		bad_inv += inv_bad(&s);
		nmarks += s.nmarks;
		for (size_t k = 0; k < s.nmarks; k++) {
			char st[256];

			stem_of(s.text + s.marks[k].start,
				s.marks[k].end - s.marks[k].start, st);
			if (strcmp(st, q.s[0]) && strcmp(st, q.s[1]) &&
			    strcmp(st, q.s[2]))
				bad_mark++;
		}
		if (s.src_end > o || s.src_start > s.src_end)
			bad_inv++;
		for (size_t k = 0; k < 6; k++) {
			seed = seed * 1103515245u + 12345u;
			sp[k].start = (seed >> 8) % (o + 8);
			seed = seed * 1103515245u + 12345u;
			sp[k].end = (seed >> 8) % (o + 8);
		}
		buf_clear(&b);
		if (snip_ansi(text, o, sp, 6, &b) != 0)
			bad_ansi++;
		for (size_t k = 0; k < b.len; k++) {
			uint8_t c = b.data[k];

			if (c == 0x1b && k + 4 <= b.len &&
			    (memcmp(b.data + k, "\033[1m", 4) == 0 ||
			     memcmp(b.data + k, "\033[0m", 4) == 0)) {
				k += 3;
				continue;
			}
			if (c < 0x20 || c == 0x7f)
				bad_ansi++;
		}
		if (!utf8_ok((const char *)b.data, b.len))
			bad_ansi++;
		buf_clear(&b);
		if (snip_html(text, o, sp, 6, &b) != 0 || buf_nul(&b) ||
		    !utf8_ok((const char *)b.data, b.len))
			bad_html++;
		for (size_t k = 0; k < b.len; k++) {
			const char *p = (const char *)b.data + k;

			if (*p == '"' || *p == '\'' || *p == 0 ||
			    *p == '>' ||
			    (*p == '<' && strncmp(p, "<mark>", 6) &&
			     strncmp(p, "</mark>", 7)))
				bad_html++;
			else if (*p == '<')
				k += p[1] == '/' ? 6 : 5;
		}
		if (snip_mark_all(A, text, o, &q.t, all, SNIP_MAX_MARKS,
				  &nall) != 0)
			bad_all++;
		for (size_t k = 0; k < nall; k++)
			if (all[k].start >= all[k].end || all[k].end > o ||
			    (k && all[k].start < all[k - 1].end))
				bad_all++;
		/* The window's marks are among the whole text's. */
		if (s.nmarks > nall)
			bad_all++;
		snip_free(&s);
	}
	buf_release(&b);
	CHECK_INT(bad_inv, 0);
	CHECK_INT(bad_mark, 0);
	CHECK_INT(bad_ansi, 0);
	CHECK_INT(bad_html, 0);
	CHECK_INT(bad_all, 0);
	CHECK(nmarks > 1000);   /* the texts did hold matches */
}

int main(void)
{
	if (ana_new("english", &A) != 0) {
		fprintf(stderr, "ana_new failed\n");
		return 1;
	}
	test_stems_and_accents();
	test_window_choice();
	test_sentence_start();
	test_ellipses_and_space();
	test_empty_and_bad_bytes();
	test_caps();
	test_big_text();
	test_mark_all();
	test_ansi();
	test_html();
	test_marks_cut_words();
	test_random();
	ana_free(A);
	return t_done("test_snip");
}
