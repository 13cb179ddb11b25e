/*
 * snip.c - snippets (snip.h): pick the best window of a stored text for
 * a query, rewrite it as clean one-line UTF-8 with the matches marked,
 * and render text with marks for a terminal or for HTML.
 *
 * Owns nothing across calls: each snip_make allocates its token array,
 * frees it before returning and hands the caller only snip.text.
 *
 * How snip_make works, in two steps:
 *  1. One pass of ana_text over the text keeps, per token, its byte
 *     offsets, which query stem it matches (or none) and whether it
 *     starts a sentence. A document may be 50 MB, so only the first
 *     SNIP_SCAN_TOKENS tokens of the first SNIP_SCAN_BYTES bytes are
 *     looked at: a match past them is not found (news puts its matter
 *     first), and the cost of a snippet stays bounded.
 *  2. Every match m proposes one window of SNIP_WORDS tokens: it starts
 *     at the last sentence start at most SNIP_SENT_BACK tokens before m,
 *     else SNIP_LEAD tokens before m. Those starts never move backwards
 *     as m grows, so two pointers and a count per query stem score every
 *     window in one pass: distinct stems first, then matches, then the
 *     earliest. Scoring the window that will be shown (not a window
 *     shifted afterwards) keeps the score honest.
 *
 * Invariants of the output: snip.text is valid UTF-8 without C0/C1
 * control characters or DEL, holds no two spaces in a row, no leading or
 * trailing space but for the "… " / " …" ellipses, and is at most
 * SNIP_MAX_BYTES bytes plus the ellipses; marks are ascending,
 * non-overlapping and each cuts exactly a matched word out of it.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "snip.h"

#define SNIP_SCAN_TOKENS 200000    /* tokens examined per text */
/* Bytes examined per text; also keeps offsets within a uint32_t. */
#define SNIP_SCAN_BYTES  ((size_t)64 << 20)
#define SNIP_MAX_TERMS   64        /* query stems looked for */
#define SNIP_SENT_BACK   8         /* sentence start at most this early */
#define SNIP_LEAD        3         /* else start this many before */
#define SNIP_MAX_BYTES   2048      /* output cap (a window of 30 words
				    * is a few hundred bytes; a run of
				    * punctuation in a gap may be huge) */
#define SNIP_PUNCT_MAX   16        /* punctuation taken around a window */

static const char ELLIPSIS[] = "\xe2\x80\xa6";   /* U+2026 */
static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

typedef struct snip_tok {
	uint32_t start, end;  /* byte offsets in the text */
	int16_t term;         /* index of the matched query stem, or -1 */
	uint8_t sent;         /* 1: starts a sentence or the text */
} snip_tok;

/* Query stems with their lengths, deduplicated by taking the first equal
 * one, so "sanction sanctions" counts one distinct stem. */
typedef struct snip_q {
	const char *s[SNIP_MAX_TERMS];
	size_t len[SNIP_MAX_TERMS];
	size_t n;
} snip_q;

typedef struct scan_ctx {
	const snip_q *q;
	const uint8_t *text;
	int marks_only;       /* snip_mark_all: spans, not toks */
	snip_tok *toks;       /* snip_make: every token */
	size_t n, cap, max;
	snip_span *spans;     /* snip_mark_all */
	size_t nspans, maxspans;
	int full;             /* stopped at a cap (not an error) */
} scan_ctx;

static void q_init(snip_q *sq, const snip_terms *q)
{
	sq->n = 0;
	for (size_t i = 0; q && q->stems && i < q->n; i++) {
		const char *s = q->stems[i];

		if (!s || !*s)
			continue;
		if (sq->n == SNIP_MAX_TERMS)
			break;
		sq->s[sq->n] = s;
		sq->len[sq->n] = strlen(s);
		sq->n++;
	}
}

/* The index of the first query stem equal to stem[0..len), or -1. */
static int q_find(const snip_q *sq, const char *stem, size_t len)
{
	for (size_t i = 0; i < sq->n; i++)
		if (sq->len[i] == len && memcmp(sq->s[i], stem, len) == 0)
			return (int)i;
	return -1;
}


static int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* White space of any script (what is collapsed to one space). */
static int is_space(uint32_t cp)
{
	switch (cp) {
	case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	}
	return cp >= 0x2000 && cp <= 0x200a;
}

/* Punctuation that belongs to the word before it ("end." "word," "x)"). */
static int is_closing(uint32_t cp)
{
	switch (cp) {
	case '.': case ',': case ';': case ':': case '!': case '?':
	case ')': case ']': case '}': case '"': case '\'': case '%':
	case 0xbb: case 0x2019: case 0x201d: case 0x2026: case 0x203a:
	case 0x3001: case 0x3002: case 0xff01: case 0xff0c: case 0xff1f:
		return 1;
	}
	return 0;
}

/* Punctuation that belongs to the word after it ("(see" "“Quote"). */
static int is_opening(uint32_t cp)
{
	switch (cp) {
	case '(': case '[': case '{': case '"': case '\'': case 0xa1:
	case 0xab: case 0xbf: case 0x2018: case 0x201c: case 0x2039:
		return 1;
	}
	return 0;
}

/*
 * Does the gap text[a..b) between two tokens end a sentence? Yes for a
 * paragraph break (two newlines with only white space between) and for
 * . ! ? … followed by white space, when the next word (at b) does not
 * begin with a lowercase letter: "U.S. sanctions" and "example.com" do
 * not start sentences. A CJK full stop needs no space after it.
 */
static int gap_ends_sentence(const uint8_t *t, size_t a, size_t b,
			     size_t len)
{
	int stop = 0, nl = 0, para = 0, cjk = 0;
	uint32_t cp;
	size_t i = a, u;

	while (i < b) {
		u = utf8_unit(t + i, b - i, &cp);
		if (u == 0) {
			u = 1;
			cp = 0xfffd;
		}
		if (cp == '\n') {
			if (nl)
				para = 1;
			nl = 1;
		}
		if (is_space(cp)) {
			if (stop == 1)
				stop = 2;
		} else {
			nl = 0;
			if (cp == '.' || cp == '!' || cp == '?' ||
			    cp == 0x2026)
				stop = stop == 2 ? 2 : 1;
			else if (cp == 0x3002 || cp == 0xff01 ||
				 cp == 0xff1f)
				cjk = 1;
		}
		i += u;
	}
	if (para || cjk)
		return 1;
	if (stop != 2)
		return 0;
	u = b < len ? utf8_unit(t + b, len - b, &cp) : 0;
	return !(u && utf8proc_category((utf8proc_int32_t)cp) ==
		 UTF8PROC_CATEGORY_LL);
}

/* ana_fn: note one token (snip_make) or one match (snip_mark_all). */
static int scan_tok(void *ctx, const char *stem, size_t len,
		    const tok_token *t)
{
	scan_ctx *c = ctx;
	int term = q_find(c->q, stem, len);
	snip_tok *st;

	if (c->marks_only) {
		if (term < 0)
			return 0;
		if (c->nspans == c->maxspans) {
			c->full = 1;
			/* Stops ana_text; the caller knows it is no error. */
			return LEDE_ETOOBIG;
		}
		c->spans[c->nspans].start = t->start;
		c->spans[c->nspans].end = t->end;
		c->nspans++;
		return 0;
	}
	if (c->n == c->max) {
		c->full = 1;
		return LEDE_ETOOBIG;
	}
	if (c->n == c->cap) {
		snip_tok *p = arr_grow(c->toks, &c->cap, sizeof(*p), 256);

		if (!p)
			return LEDE_ENOMEM;
		c->toks = p;
	}
	st = &c->toks[c->n];
	st->start = (uint32_t)t->start;
	st->end = (uint32_t)t->end;
	st->term = (int16_t)term;
	st->sent = c->n == 0 ||
		gap_ends_sentence(c->text, c->toks[c->n - 1].end, t->start,
				  t->end);
	c->n++;
	return 0;
}

/* Where the window for the match at m starts (see the file header). */
static size_t window_start(const snip_tok *tk, size_t nt, size_t m)
{
	size_t lo = m > SNIP_SENT_BACK ? m - SNIP_SENT_BACK : 0;
	size_t s = m > SNIP_LEAD ? m - SNIP_LEAD : 0;

	for (size_t i = m + 1; i-- > lo;)
		if (tk[i].sent) {
			s = i;
			break;
		}
	/* Near the end, start earlier rather than show a short window:
	 * at the earliest sentence start that keeps the match, else a full
	 * window back from the end (a short text is shown whole). */
	if (s + SNIP_WORDS > nt) {
		size_t e = nt > SNIP_WORDS ? nt - SNIP_WORDS : 0, i;

		for (i = e; i < s && !tk[i].sent; i++)
			;
		s = tk[i].sent ? i : e;
	}
	return s;
}

/* The first token of the best window of tk[0..nt) (0 without matches). */
static int best_window(const snip_tok *tk, size_t nt, size_t nterms,
		       size_t *best)
{
	size_t *cnt = calloc(nterms ? nterms : 1, sizeof(*cnt));
	size_t lo = 0, hi = 0, distinct = 0, matches = 0;
	size_t best_d = 0, best_m = 0;

	*best = 0;
	if (!cnt)
		return LEDE_ENOMEM;
	for (size_t m = 0; m < nt; m++) {
		size_t s, e;

		if (tk[m].term < 0)
			continue;
		s = window_start(tk, nt, m);
		e = s + SNIP_WORDS < nt ? s + SNIP_WORDS : nt;
		if (s < lo) {
			/* Starts only move forward (file header); should
			 * one not, recount rather than go wrong. */
			memset(cnt, 0, nterms * sizeof(*cnt));
			lo = hi = s;
			distinct = matches = 0;
		}
		for (; hi < e; hi++) {
			if (tk[hi].term < 0)
				continue;
			matches++;
			cnt[tk[hi].term]++;
			if (cnt[tk[hi].term] == 1)
				distinct++;
		}
		for (; lo < s; lo++) {
			if (tk[lo].term < 0)
				continue;
			matches--;
			cnt[tk[lo].term]--;
			if (cnt[tk[lo].term] == 0)
				distinct--;
		}
		if (distinct > best_d ||
		    (distinct == best_d && matches > best_m)) {
			best_d = distinct;
			best_m = matches;
			*best = s;
		}
	}
	free(cnt);
	return 0;
}

/* Does text[a..b) hold anything but white space and controls? */
static int has_content(const uint8_t *t, size_t a, size_t b)
{
	uint32_t cp;

	while (a < b) {
		size_t u = utf8_unit(t + a, b - a, &cp);

		if (u == 0)
			return 1;
		if (!is_space(cp) && !is_control(cp))
			return 1;
		a += u;
	}
	return 0;
}

/* Start of the character that ends at text[..i) (i > 0), or i - 1. */
static size_t prev_unit(const uint8_t *t, size_t i, uint32_t *cp)
{
	for (size_t k = 1; k <= 4 && k <= i; k++) {
		if ((t[i - k] & 0xc0) == 0x80)
			continue;
		if (utf8_unit(t + i - k, k, cp) == k)
			return i - k;
		break;
	}
	*cp = 0xfffd;
	return i - 1;
}

/*
 * Write text[ws..we) into out as clean one-line UTF-8, recording in
 * marks the output offsets of the match tokens mt[0..nm). Stops before
 * out->len would pass SNIP_MAX_BYTES; *stop is where in the input.
 */
static int copy_window(const uint8_t *t, size_t ws, size_t we,
		       const snip_tok *mt, size_t nm, snip *s, buf *out,
		       size_t *stop)
{
	size_t i = ws, k = 0, mstart = 0;
	int open = 0, rc = 0, space = 0;

	while (i < we) {
		uint32_t cp;
		size_t u = utf8_unit(t + i, we - i, &cp);
		const char *p = (const char *)t + i;
		size_t plen = u;

		if (!open && k < nm && i >= mt[k].start) {
			mstart = out->len + (space ? 1 : 0);
			open = 1;
		}
		if (u == 0) {
			u = 1;
			p = REPLACEMENT;
			plen = 3;
		} else if (is_space(cp) || is_control(cp)) {
			/* Controls separate words for the tokenizer:
			 * show them as the space they stand for. */
			space = out->len > 0;
			i += u;
			continue;
		}
		if (out->len + space + plen > SNIP_MAX_BYTES)
			break;
		if (space) {
			rc = buf_addc(out, ' ');
			if (rc)
				return rc;
			space = 0;
		}
		rc = buf_add(out, p, plen);
		if (rc)
			return rc;
		i += u;
		if (open && i >= mt[k].end) {
			if (s->nmarks < SNIP_MAX_MARKS) {
				s->marks[s->nmarks].start = mstart;
				s->marks[s->nmarks].end = out->len;
				s->nmarks++;
			}
			open = 0;
			k++;
		}
	}
	*stop = i;
	return 0;
}

int snip_make(ana *a, const char *text, size_t len, const snip_terms *q,
	      snip *out)
{
	const uint8_t *t = (const uint8_t *)text;
	scan_ctx c;
	snip_q sq;
	snip_tok *mt = NULL;
	buf b;
	size_t first = 0, last, nm = 0, ws, we, stop, pre, ext;
	uint32_t cp;
	int rc;

	if (!out)
		return LEDE_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!a || (!text && len))
		return LEDE_EINVAL;
	buf_init(&b);
	memset(&c, 0, sizeof(c));
	q_init(&sq, q);
	c.q = &sq;
	c.text = t;
	c.max = SNIP_SCAN_TOKENS;
	rc = ana_text(a, text ? text : "", len < SNIP_SCAN_BYTES ? len :
		      SNIP_SCAN_BYTES, 0, scan_tok, &c, NULL);
	if (rc == LEDE_ETOOBIG && c.full)
		rc = 0;
	if (rc)
		goto out;
	if (c.n == 0)
		goto done;   /* nothing to show: an empty snippet */

	rc = best_window(c.toks, c.n, sq.n, &first);
	if (rc)
		goto out;
	last = first + SNIP_WORDS < c.n ? first + SNIP_WORDS - 1 : c.n - 1;
	mt = c.toks + first;
	nm = last - first + 1;

	/* Widen to the punctuation that goes with the window's words. */
	ws = c.toks[first].start;
	for (ext = 0; ws > 0 && ext < SNIP_PUNCT_MAX;) {
		size_t p = prev_unit(t, ws, &cp);

		if (!is_opening(cp))
			break;
		ext += ws - p;
		ws = p;
	}
	we = c.toks[last].end;
	for (ext = 0; we < len && ext < SNIP_PUNCT_MAX;) {
		size_t u = utf8_unit(t + we, len - we, &cp);

		if (u == 0 || !is_closing(cp))
			break;
		ext += u;
		we += u;
	}

	pre = has_content(t, 0, ws);
	if (pre) {
		rc = buf_adds(&b, ELLIPSIS);
		if (!rc)
			rc = buf_addc(&b, ' ');
		if (rc)
			goto out;
	}
	/* Only the window's matches are marks: compact them in place. */
	{
		size_t k = 0;

		for (size_t i = 0; i < nm; i++)
			if (mt[i].term >= 0)
				mt[k++] = mt[i];
		nm = k;
	}
	rc = copy_window(t, ws, we, mt, nm, out, &b, &stop);
	if (rc)
		goto out;
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.len--;   /* a cut at the cap may leave one */
	if (stop < we || has_content(t, we, len)) {
		rc = buf_addc(&b, ' ');
		if (!rc)
			rc = buf_adds(&b, ELLIPSIS);
		if (rc)
			goto out;
	}
	out->src_start = ws;
	out->src_end = stop;
done:
	rc = buf_nul(&b);
	if (rc)
		goto out;
	out->text = (char *)b.data;
	out->len = b.len;
	b.data = NULL;   /* now the snip's */
out:
	if (rc) {
		buf_release(&b);
		memset(out, 0, sizeof(*out));
	}
	free(c.toks);
	return rc;
}

int snip_mark_all(ana *a, const char *text, size_t len,
		  const snip_terms *q, snip_span *spans, size_t cap,
		  size_t *n)
{
	scan_ctx c;
	snip_q sq;
	int rc;

	if (n)
		*n = 0;
	if (!a || !n || (!text && len) || (!spans && cap))
		return LEDE_EINVAL;
	q_init(&sq, q);
	if (cap == 0 || sq.n == 0 || len == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.q = &sq;
	c.text = (const uint8_t *)text;
	c.marks_only = 1;
	c.spans = spans;
	c.maxspans = cap;
	rc = ana_text(a, text, len, 0, scan_tok, &c, NULL);
	if (rc == LEDE_ETOOBIG && c.full)
		rc = 0;
	*n = c.nspans;
	return rc;
}

void snip_free(snip *s)
{
	if (!s)
		return;
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* How a renderer treats the bytes of the text. */
enum { R_ANSI, R_HTML };

/*
 * Append text[a..b) to out, made safe for the target: invalid UTF-8
 * becomes U+FFFD; ANSI drops every C0/C1 control and DEL (an article
 * must not drive the terminal); HTML escapes & < > " ' and drops
 * controls but tab and newline.
 */
static int put_safe(const uint8_t *t, size_t a, size_t b, int mode,
		    buf *out)
{
	int rc = 0;

	while (a < b && !rc) {
		uint32_t cp;
		size_t u = utf8_unit(t + a, b - a, &cp);

		if (u == 0) {
			rc = buf_adds(out, REPLACEMENT);
			a++;
			continue;
		}
		if (is_control(cp) && !(mode == R_HTML &&
					(cp == '\t' || cp == '\n')))
			rc = 0;   /* dropped */
		else if (mode == R_HTML && cp == '&')
			rc = buf_adds(out, "&amp;");
		else if (mode == R_HTML && cp == '<')
			rc = buf_adds(out, "&lt;");
		else if (mode == R_HTML && cp == '>')
			rc = buf_adds(out, "&gt;");
		else if (mode == R_HTML && cp == '"')
			rc = buf_adds(out, "&quot;");
		else if (mode == R_HTML && cp == '\'')
			rc = buf_adds(out, "&#39;");
		else
			rc = buf_add(out, t + a, u);
		a += u;
	}
	return rc;
}

/*
 * The renderers' common walk. Spans are trusted to nothing: each is
 * clipped to len and to the end of the span before it, and one left
 * empty is skipped, so overlapping, unsorted or out-of-range spans give
 * well-formed output and never a read past text[len).
 */
static int render(const char *text, size_t len, const snip_span *spans,
		  size_t n, int mode, buf *out)
{
	const uint8_t *t = (const uint8_t *)text;
	const char *on = mode == R_HTML ? "<mark>" : "\033[1m";
	const char *off = mode == R_HTML ? "</mark>" : "\033[0m";
	size_t at = 0;
	int rc = 0;

	if (!out || (!text && len) || (!spans && n))
		return LEDE_EINVAL;
	for (size_t k = 0; k < n && !rc; k++) {
		size_t s = spans[k].start < len ? spans[k].start : len;
		size_t e = spans[k].end < len ? spans[k].end : len;

		if (s < at)
			s = at;
		if (s >= e)
			continue;
		rc = put_safe(t, at, s, mode, out);
		if (!rc)
			rc = buf_adds(out, on);
		if (!rc)
			rc = put_safe(t, s, e, mode, out);
		if (!rc)
			rc = buf_adds(out, off);
		at = e;
	}
	if (!rc)
		rc = put_safe(t, at, len, mode, out);
	return rc;
}

int snip_ansi(const char *text, size_t len, const snip_span *spans,
	      size_t n, buf *out)
{
	return render(text, len, spans, n, R_ANSI, out);
}

int snip_html(const char *text, size_t len, const snip_span *spans,
	      size_t n, buf *out)
{
	return render(text, len, spans, n, R_HTML, out);
}
