/*
 * rd_file.c - rd_file(): one file, chosen by its extension, turned into
 * one document (or, for .jsonl/.ndjson, handed to rd_jsonl).
 *
 * Whole-file readers (.txt, .md/.markdown, .html/.htm) load the file into
 * a buffer capped at rd_max_doc() (HTML: a quarter), refuse binary
 * content, and fill the four fields of a doc_fields. The .txt and .md readers live here;
 * HTML is in rd_html.c.
 *
 * Binary test (files of every kind): a NUL byte in the first 8 KiB, or
 * more than 30% of those bytes being control characters or invalid UTF-8.
 * A multi-byte sequence cut by the 8 KiB edge is not held against it.
 *
 * .txt: within the first TXT_HEAD_LINES non-empty lines, a line that is a
 * whole date (rd_parse_date) is the dateline: the title is the non-empty
 * line before it (or after it, if it comes first) and the body starts
 * after both, which drops a site tagline above the title. Without a
 * dateline the first non-empty line is the title. The body keeps its
 * line breaks ('\r\n' and '\r' become '\n').
 *
 * .md: optional front matter ("---" ... "---" with title:, date:, url:,
 * tags:), then the text with its markup lightly removed (see md_line and
 * md_inline). Without a front-matter title, the first "# " heading, else
 * the first non-empty line, is the title and leaves the body.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "reader.h"
#include "../common/buf.h"

/* In rd_html.c; there is no private header for the readers. */
int rd_html_extract(const char *data, size_t n, buf *title, buf *url,
		    int32_t *date, buf *body);

#define SNIFF_BYTES    8192
#define TXT_HEAD_LINES 6
#define DATE_LINE_MAX  100    /* a longer line is prose, not a dateline */
#define TITLE_MAX      512    /* a longer first line is text, not a title */
#define FM_MAX_LINES   200    /* front matter longer than this is not one */
#define MD_LINK_DEPTH  4      /* nested [..](..) unwrapped this deep */

enum kind { K_UNKNOWN, K_JSONL, K_TXT, K_HTML, K_MD };

typedef struct doc_fields {
	buf title, url, tags, body;
	int32_t date;
} doc_fields;

typedef struct line {
	const char *s;
	size_t n;
} line;

static enum kind kind_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');

	if (!dot)
		return K_UNKNOWN;
	dot++;
	if (!strcasecmp(dot, "jsonl") || !strcasecmp(dot, "ndjson"))
		return K_JSONL;
	if (!strcasecmp(dot, "txt"))
		return K_TXT;
	if (!strcasecmp(dot, "html") || !strcasecmp(dot, "htm"))
		return K_HTML;
	if (!strcasecmp(dot, "md") || !strcasecmp(dot, "markdown"))
		return K_MD;
	return K_UNKNOWN;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid,
 * -1 if it is valid so far but cut off by the end. */
static int utf8_len(const unsigned char *s, size_t n)
{
	int len;
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	}
	/* Overlongs, surrogates and > U+10FFFF. */
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
		return 0;
	return len;
}

static int looks_binary(const unsigned char *s, size_t n)
{
	size_t lim = n < SNIFF_BYTES ? n : SNIFF_BYTES, bad = 0, i = 0;

	if (memchr(s, 0, lim))
		return 1;
	while (i < lim) {
		int l = utf8_len(s + i, lim - i);

		if (l < 0)
			break;
		if (l == 0) {
			bad++;
			i++;
			continue;
		}
		if (l == 1 && ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
				s[i] != '\r' && s[i] != '\f') || s[i] == 0x7f))
			bad++;
		i += (size_t)l;
	}
	return lim > 0 && bad * 10 > lim * 3;
}

/* Next line of [*pos, n): without '\n', a trailing '\r' dropped. */
static int next_line(const char *d, size_t n, size_t *pos, line *l)
{
	const char *nl;

	if (*pos >= n)
		return 0;
	l->s = d + *pos;
	nl = memchr(l->s, '\n', n - *pos);
	l->n = nl ? (size_t)(nl - l->s) : n - *pos;
	*pos += l->n + (nl ? 1 : 0);
	if (l->n && l->s[l->n - 1] == '\r')
		l->n--;
	return 1;
}

static line trim(line l)
{
	while (l.n && isspace((unsigned char)l.s[0])) {
		l.s++;
		l.n--;
	}
	while (l.n && isspace((unsigned char)l.s[l.n - 1]))
		l.n--;
	return l;
}

static int line_date(line l, int32_t *d)
{
	char tmp[DATE_LINE_MAX + 1];

	l = trim(l);
	if (l.n == 0 || l.n > DATE_LINE_MAX)
		return LEDE_EPARSE;
	memcpy(tmp, l.s, l.n);
	tmp[l.n] = 0;
	return rd_parse_date(tmp, d);
}

/* Copies at most max bytes of s, cut back to a UTF-8 boundary. */
static int put_title(buf *t, line l, size_t max)
{
	size_t n = l.n;

	if (n > max) {
		n = max;
		while (n && ((unsigned char)l.s[n] & 0xC0) == 0x80)
			n--;
	}
	buf_clear(t);
	return buf_add(t, l.s, n);
}

/* Text from d onward into body with '\r\n'/'\r' made '\n', outer
 * whitespace trimmed. */
static int put_body(buf *b, const char *d, size_t n)
{
	size_t i = 0;
	int rc = 0;

	while (i < n && isspace((unsigned char)d[i]))
		i++;
	while (n > i && isspace((unsigned char)d[n - 1]))
		n--;
	rc = buf_reserve(b, n - i);
	for (; i < n && !rc; i++) {
		if (d[i] == '\r') {
			b->data[b->len++] = '\n';
			if (i + 1 < n && d[i + 1] == '\n')
				i++;
		} else {
			b->data[b->len++] = (uint8_t)d[i];
		}
	}
	return rc;
}

static int read_txt(const char *d, size_t n, doc_fields *f)
{
	line head[TXT_HEAD_LINES];
	size_t after[TXT_HEAD_LINES];   /* offset just past each head line */
	size_t pos = 0, nh = 0, body_at;
	int ti = 0, di = -1;
	line l;
	int rc;

	while (nh < TXT_HEAD_LINES && next_line(d, n, &pos, &l)) {
		l = trim(l);
		if (!l.n)
			continue;
		head[nh] = l;
		after[nh++] = pos;
	}
	if (nh == 0)
		return 0;
	for (size_t i = 0; i < nh && di < 0; i++)
		if (line_date(head[i], &f->date) == 0)
			di = (int)i;
	if (di > 0) {
		ti = di - 1;
		body_at = after[di];
	} else if (di == 0 && nh > 1) {
		ti = 1;
		body_at = after[1];
	} else {
		if (di == 0)   /* a lone date line: nothing else */
			f->date = 0;
		ti = 0;
		body_at = after[0];
	}
	rc = put_title(&f->title, head[ti], TITLE_MAX);
	if (!rc && head[ti].n > TITLE_MAX)   /* keep the whole line as text */
		body_at = (size_t)(head[ti].s - d);
	if (!rc)
		rc = put_body(&f->body, d + body_at, n - body_at);
	return rc;
}

/* ---- markdown ---- */

static int is_word(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Finds the byte matching open (']' or ')') from s[i], or n. */
static size_t find_close(const char *s, size_t i, size_t n, char open,
			 char close)
{
	int depth = 0;

	for (; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
		} else if (s[i] == open) {
			depth++;
		} else if (s[i] == close && --depth == 0) {
			return i;
		}
	}
	return n;
}

/* Inline markup: images dropped, [text](url) and [text][ref] -> text,
 * backticks dropped, * and _ runs that open or close emphasis dropped,
 * backslash escapes resolved. */
static int md_inline(buf *o, const char *s, size_t n, int depth)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n &&
		    ispunct((unsigned char)s[i + 1])) {
			rc = buf_addc(o, (uint8_t)s[++i]);
		} else if ((c == '[' || (c == '!' && i + 1 < n &&
					 s[i + 1] == '[')) &&
			   depth < MD_LINK_DEPTH) {
			size_t a = c == '!' ? i + 1 : i;
			size_t e = find_close(s, a, n, '[', ']');
			size_t u = n;

			if (e < n && e + 1 < n && s[e + 1] == '(')
				u = find_close(s, e + 1, n, '(', ')');
			else if (e < n && e + 1 < n && s[e + 1] == '[')
				u = find_close(s, e + 1, n, '[', ']');
			if (u == n) {   /* not a link: keep the text */
				rc = buf_addc(o, (uint8_t)c);
				continue;
			}
			if (c != '!')
				rc = md_inline(o, s + a + 1, e - a - 1,
					       depth + 1);
			i = u;
		} else if (c == '`') {
			continue;
		} else if (c == '*' || c == '_') {
			size_t j = i;
			unsigned char p = i ? (unsigned char)s[i - 1] : ' ';
			unsigned char q;

			while (j < n && s[j] == c)
				j++;
			q = j < n ? (unsigned char)s[j] : ' ';
			if ((c == '_' && is_word(p) && is_word(q)) ||
			    (isspace(p) && isspace(q)))
				rc = buf_add(o, s + i, j - i);   /* literal */
			i = j - 1;
		} else {
			rc = buf_addc(o, (uint8_t)c);
		}
	}
	return rc;
}

/* A line made only of 3+ '-', '*', '_' or '=' (and spaces): a rule or a
 * setext underline, no text. */
static int is_rule(line l)
{
	size_t marks = 0;
	char m = 0;

	for (size_t i = 0; i < l.n; i++) {
		char c = l.s[i];
		if (c == ' ' || c == '\t')
			continue;
		if ((c != '-' && c != '*' && c != '_' && c != '=') ||
		    (m && c != m))
			return 0;
		m = c;
		marks++;
	}
	return marks >= 3;
}

/* Block markup of one line off (heading, quote, list marker). Sets
 * *h1 if it was a level-one heading. */
static line md_strip(line l, int *h1)
{
	size_t k = 0;

	*h1 = 0;
	l = trim(l);
	while (l.n && l.s[0] == '>') {
		l.s++;
		l.n--;
		l = trim(l);
	}
	while (k < l.n && k < 7 && l.s[k] == '#')
		k++;
	if (k >= 1 && k <= 6 && (k == l.n || l.s[k] == ' ')) {
		*h1 = k == 1;
		l.s += k;
		l.n -= k;
		while (l.n && (l.s[l.n - 1] == '#' || l.s[l.n - 1] == ' '))
			l.n--;
		return trim(l);
	}
	if (l.n >= 2 && (l.s[0] == '-' || l.s[0] == '*' || l.s[0] == '+') &&
	    l.s[1] == ' ') {
		l.s += 2;
		l.n -= 2;
		return trim(l);
	}
	k = 0;
	while (k < l.n && k < 9 && isdigit((unsigned char)l.s[k]))
		k++;
	if (k && k + 1 < l.n && (l.s[k] == '.' || l.s[k] == ')') &&
	    l.s[k + 1] == ' ') {
		l.s += k + 2;
		l.n -= k + 2;
		l = trim(l);
	}
	return l;
}

static int is_ref_def(line l)
{
	l = trim(l);
	if (!l.n || l.s[0] != '[')
		return 0;
	for (size_t i = 1; i + 1 < l.n; i++)
		if (l.s[i] == ']')
			return l.s[i + 1] == ':';
	return 0;
}

/* "value", 'value' or value, trimmed. */
static line unquote(line v)
{
	v = trim(v);
	if (v.n >= 2 && (v.s[0] == '"' || v.s[0] == '\'') &&
	    v.s[v.n - 1] == v.s[0]) {
		v.s++;
		v.n -= 2;
	}
	return v;
}

static int add_tag(buf *t, line v)
{
	int rc = 0;

	v = unquote(v);
	if (!v.n)
		return 0;
	if (t->len)
		rc = buf_add(t, ", ", 2);
	return rc ? rc : buf_add(t, v.s, v.n);
}

/* "[a, 'b']" or "a, b" */
static int add_tag_list(buf *t, line v)
{
	size_t i = 0;
	int rc = 0;

	if (v.n >= 2 && v.s[0] == '[' && v.s[v.n - 1] == ']') {
		v.s++;
		v.n -= 2;
	}
	while (v.n && i <= v.n && !rc) {
		const char *c = memchr(v.s + i, ',', v.n - i);
		size_t e = c ? (size_t)(c - v.s) : v.n;
		line one = { v.s + i, e - i };

		rc = add_tag(t, one);
		i = e + 1;
	}
	return rc;
}

/* Front matter at d (which starts with "---"); returns the offset where
 * the text starts, or 0 when there is no closed front matter. */
static size_t md_front(const char *d, size_t n, doc_fields *f, int *rc)
{
	size_t pos = 0, lines = 0;
	int in_tags = 0;
	line l;

	if (!next_line(d, n, &pos, &l) || trim(l).n != 3 ||
	    memcmp(trim(l).s, "---", 3) != 0)
		return 0;
	while (!*rc && lines++ < FM_MAX_LINES && next_line(d, n, &pos, &l)) {
		line t = trim(l), key, val;
		const char *colon;
		char tmp[DATE_LINE_MAX + 1];

		if ((t.n == 3 && (!memcmp(t.s, "---", 3) ||
				  !memcmp(t.s, "...", 3))))
			return pos;
		if (in_tags && t.n >= 2 && t.s[0] == '-' && t.s[1] == ' ') {
			t.s += 2;
			t.n -= 2;
			*rc = add_tag(&f->tags, t);
			continue;
		}
		in_tags = 0;
		colon = memchr(t.s, ':', t.n);
		if (!colon || l.s[0] == ' ' || l.s[0] == '\t')
			continue;
		key.s = t.s;
		key.n = (size_t)(colon - t.s);
		val.s = colon + 1;
		val.n = t.n - key.n - 1;
		val = unquote(val);
		if (key.n == 5 && !strncasecmp(key.s, "title", 5)) {
			buf_clear(&f->title);
			*rc = buf_add(&f->title, val.s, val.n);
		} else if (key.n == 3 && !strncasecmp(key.s, "url", 3)) {
			buf_clear(&f->url);
			*rc = buf_add(&f->url, val.s, val.n);
		} else if (key.n == 4 && !strncasecmp(key.s, "date", 4) &&
			   val.n <= DATE_LINE_MAX) {
			memcpy(tmp, val.s, val.n);
			tmp[val.n] = 0;
			if (rd_parse_date(tmp, &f->date))
				f->date = 0;
		} else if (key.n == 4 && !strncasecmp(key.s, "tags", 4)) {
			buf_clear(&f->tags);
			in_tags = val.n == 0;   /* a "- tag" list follows */
			*rc = add_tag_list(&f->tags, val);
		}
	}
	/* Never closed: it was not front matter; forget what we took. */
	buf_clear(&f->title);
	buf_clear(&f->url);
	buf_clear(&f->tags);
	f->date = 0;
	return 0;
}

static int read_md(const char *d, size_t n, doc_fields *f)
{
	size_t pos, start, h1_at = 0, h1_end = 0, first_at = 0, first_end = 0;
	int rc = 0, in_code = 0, have_h1 = 0, have_first = 0, blank = 0;
	int have_fm_title;
	buf *b = &f->body;
	line l;

	pos = start = md_front(d, n, f, &rc);
	if (rc)
		return rc;
	have_fm_title = f->title.len > 0;
	while (!rc && next_line(d, n, &pos, &l)) {
		line t = trim(l);
		int h1;

		if (t.n >= 3 && (!memcmp(t.s, "```", 3) ||
				 !memcmp(t.s, "~~~", 3))) {
			in_code = !in_code;
			continue;
		}
		if (!in_code && (t.n == 0 || is_rule(t) || is_ref_def(t))) {
			blank = 1;
			continue;
		}
		if (in_code && t.n == 0) {
			blank = 1;
			continue;
		}
		if (b->len)
			rc = buf_add(b, blank ? "\n\n" : "\n", blank ? 2 : 1);
		blank = 0;
		if (rc)
			break;
		if (in_code) {
			rc = buf_add(b, l.s, l.n);
			continue;
		}
		t = md_strip(t, &h1);
		{
			size_t at = b->len;
			rc = md_inline(b, t.s, t.n, 0);
			if (!have_first && b->len > at) {
				have_first = 1;
				first_at = at;
				first_end = b->len;
			}
			if (h1 && !have_h1 && b->len > at) {
				have_h1 = 1;
				h1_at = at;
				h1_end = b->len;
			}
		}
	}
	if (rc || have_fm_title || !have_first)
		return rc;
	/* The title leaves the body, with the break after it. */
	if (have_h1) {
		first_at = h1_at;
		first_end = h1_end;
	}
	if (first_end - first_at > TITLE_MAX) {
		line tl = { (const char *)b->data + first_at,
			    first_end - first_at };
		return put_title(&f->title, tl, TITLE_MAX);
	}
	rc = buf_add(&f->title, b->data + first_at, first_end - first_at);
	while (first_end < b->len && b->data[first_end] == '\n')
		first_end++;
	memmove(b->data + first_at, b->data + first_end, b->len - first_end);
	b->len -= first_end - first_at;
	while (b->len && isspace(b->data[b->len - 1]))
		b->len--;
	return rc;
}

/* ---- loading and dispatch ---- */

/* Longest file of kind k taken: HTML's parse tree costs several times
 * the page, so a quarter of the cap. */
static size_t file_cap(enum kind k, const rd_stats *st)
{
	return k == K_HTML ? rd_max_doc(st) / 4 : rd_max_doc(st);
}

/* Warn about and count a file refused for its size. */
static void refuse_big(const char *path, enum kind k, rd_stats *st)
{
	lede_warn("%s: file over %zu bytes, skipped%s", path, file_cap(k, st),
		  rd_big_hint(st));
	st->too_big++;
}

static int load(FILE *fp, const char *path, buf *data, rd_stats *st,
		int *too_big)
{
	char tmp[65536];
	size_t got;

	*too_big = 0;
	while ((got = fread(tmp, 1, sizeof(tmp), fp)) > 0) {
		st->bytes += got;
		if (buf_add(data, tmp, got)) {
			*too_big = 1;   /* over data's limit */
			return 0;
		}
	}
	if (ferror(fp)) {
		lede_warn("%s: read error: %s", path, strerror(errno));
		st->errors++;
		return LEDE_EIO;
	}
	return 0;
}

static int nonblank(const buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (!isspace(b->data[i]))
			return 1;
	return 0;
}

static int64_t mtime_ns_of(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

static int whole_file(FILE *fp, const char *path, enum kind k,
		      const struct stat *sb, rd_emit_fn emit, void *ctx,
		      rd_stats *st)
{
	buf data;
	doc_fields f;
	const char *d;
	size_t n;
	int rc, big;
	rd_doc doc;

	buf_init_limit(&data, file_cap(k, st));
	buf_init(&f.title);
	buf_init(&f.url);
	buf_init(&f.tags);
	buf_init(&f.body);
	f.date = 0;
	st->files++;
	rc = load(fp, path, &data, st, &big);
	if (rc)
		goto out;
	if (big) {
		refuse_big(path, k, st);
		goto out;
	}
	d = (const char *)data.data;
	n = data.len;
	if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0) {
		d += 3;
		n -= 3;
	}
	if (n == 0) {
		st->skipped_empty++;
		goto out;
	}
	if (looks_binary((const unsigned char *)d, n)) {
		lede_warn("%s: binary file, skipped", path);
		st->skipped_binary++;
		goto out;
	}
	if (k == K_TXT) {
		rc = read_txt(d, n, &f);
	} else if (k == K_MD) {
		rc = read_md(d, n, &f);
	} else {
		rc = rd_html_extract(d, n, &f.title, &f.url, &f.date, &f.body);
		if (rc == LEDE_EPARSE) {
			lede_warn("%s: cannot parse html, skipped", path);
			st->errors++;
			rc = 0;
			goto out;
		}
		if (rc == LEDE_ETOOBIG) {
			lede_warn("%s: html elements nested over %d deep, "
				  "skipped", path, RD_HTML_MAX_DEPTH);
			st->too_big++;
			rc = 0;
			goto out;
		}
	}
	if (!rc)
		rc = buf_nul(&f.title);
	if (!rc)
		rc = buf_nul(&f.url);
	if (!rc)
		rc = buf_nul(&f.tags);
	if (!rc)
		rc = buf_nul(&f.body);
	if (rc)
		goto out;
	if (!nonblank(&f.title) && !nonblank(&f.body)) {
		st->skipped_empty++;
		goto out;
	}
	memset(&doc, 0, sizeof(doc));
	doc.id = path;
	doc.source = path;
	doc.title = (const char *)f.title.data;
	doc.url = (const char *)f.url.data;
	doc.tags = (const char *)f.tags.data;
	doc.body = (const char *)f.body.data;
	doc.body_len = f.body.len;
	doc.date = f.date;
	doc.line = 0;
	if (S_ISREG(sb->st_mode)) {
		doc.has_fstat = 1;
		doc.fsize = (uint64_t)sb->st_size;
		doc.mtime_ns = mtime_ns_of(sb);
	}
	st->docs++;
	rc = emit(ctx, &doc);
out:
	buf_release(&f.body);
	buf_release(&f.tags);
	buf_release(&f.url);
	buf_release(&f.title);
	buf_release(&data);
	return rc;
}

/* A JSONL file: sniffed for binary content first when it can be
 * rewound, then read line by line. */
static int jsonl_file(FILE *fp, const char *path, int seekable,
		      rd_emit_fn emit, void *ctx, rd_stats *st)
{
	unsigned char head[SNIFF_BYTES];
	size_t got;

	if (seekable) {
		got = fread(head, 1, sizeof(head), fp);
		if (got && looks_binary(head, got)) {
			lede_warn("%s: binary file, skipped", path);
			st->files++;
			st->bytes += got;
			st->skipped_binary++;
			return 0;
		}
		if (fseek(fp, 0, SEEK_SET) != 0) {
			lede_warn("%s: cannot rewind: %s", path,
				  strerror(errno));
			st->errors++;
			return LEDE_EIO;
		}
	}
	return rd_jsonl(fp, path, emit, ctx, st);
}

int rd_file(const char *path, rd_emit_fn emit, void *ctx, rd_stats *st)
{
	enum kind k = kind_of(path);
	struct stat sb;
	FILE *fp;
	int rc;

	if (k == K_UNKNOWN) {
		st->skipped_unknown++;
		return 0;
	}
	if (k != K_JSONL && st->same_fn && stat(path, &sb) == 0 &&
	    S_ISREG(sb.st_mode)) {
		rc = st->same_fn(st->same_ctx, path, (uint64_t)sb.st_size,
				 mtime_ns_of(&sb));
		if (rc < 0)
			return rc;
		if (rc) {
			st->same++;
			return 0;
		}
	}
	fp = fopen(path, "rb");
	if (!fp) {
		lede_warn("cannot open '%s': %s", path, strerror(errno));
		st->errors++;
		return LEDE_EIO;
	}
	if (fstat(fileno(fp), &sb) != 0) {
		lede_warn("cannot read '%s': %s", path, strerror(errno));
		st->errors++;
		fclose(fp);
		return LEDE_EIO;
	}
	if (S_ISDIR(sb.st_mode)) {
		lede_warn("cannot read '%s': is a folder", path);
		st->errors++;
		fclose(fp);
		return LEDE_EIO;
	}
	if (k == K_JSONL) {
		rc = jsonl_file(fp, path, S_ISREG(sb.st_mode), emit, ctx, st);
	} else if (S_ISREG(sb.st_mode) &&
		   (uint64_t)sb.st_size > file_cap(k, st)) {
		/* Refused before reading: no point loading it. */
		refuse_big(path, k, st);
		st->files++;
		rc = 0;
	} else {
		rc = whole_file(fp, path, k, &sb, emit, ctx, st);
	}
	fclose(fp);
	return rc;
}
