/*
 * test_reader.c - the archive readers (indexer/reader.h): JSONL, .txt,
 * .html, .md, binary/empty detection, the folder walk and rd_parse_date.
 * Fixtures are in tests/fixtures/readers/ (paths relative to the repo
 * root, where the tests run); binary and big inputs are written to a
 * temporary folder at run time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* mkdtemp, symlink, strdup */
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "../indexer/reader.h"

#define FX "tests/fixtures/readers/"
#define MAX_DOCS 64

typedef struct cdoc {
	char *id, *title, *url, *tags, *body, *source;
	size_t body_len;
	int32_t date;
	unsigned line;
} cdoc;

typedef struct coll {
	cdoc d[MAX_DOCS];
	int n;
	int stop_after;   /* >0: return an error after that many docs */
} coll;

static int collect(void *ctx, const rd_doc *d)
{
	coll *c = ctx;
	cdoc *o;

	if (c->n >= MAX_DOCS)
		return LEDE_ENOMEM;
	o = &c->d[c->n++];
	o->id = strdup(d->id);
	o->title = strdup(d->title);
	o->url = strdup(d->url);
	o->tags = strdup(d->tags);
	o->source = strdup(d->source);
	o->body = malloc(d->body_len + 1);
	memcpy(o->body, d->body, d->body_len);
	o->body[d->body_len] = 0;
	o->body_len = d->body_len;
	o->date = d->date;
	o->line = d->line;
	if (c->stop_after && c->n >= c->stop_after)
		return LEDE_EFULL;
	return 0;
}

static void coll_free(coll *c)
{
	for (int i = 0; i < c->n; i++) {
		cdoc *o = &c->d[i];
		free(o->id);
		free(o->title);
		free(o->url);
		free(o->tags);
		free(o->body);
		free(o->source);
	}
	memset(c, 0, sizeof(*c));
}

static const cdoc *find(const coll *c, const char *id)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->d[i].id, id) == 0)
			return &c->d[i];
	return NULL;
}

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

static int32_t date_of(const char *s)
{
	int32_t d = -1;

	if (rd_parse_date(s, &d))
		return -1;
	return d;
}

static void test_dates(void)
{
	int32_t d = 7;

	CHECK_INT(date_of("2021-11-27"), 20211127);
	CHECK_INT(date_of("2021-11-27T12:48:00Z"), 20211127);
	CHECK_INT(date_of("2021-11-27T12:48:00.123+02:00"), 20211127);
	CHECK_INT(date_of("2021-11-27 12:48:00"), 20211127);
	CHECK_INT(date_of("2021/11/27"), 20211127);
	CHECK_INT(date_of("November 27, 2021"), 20211127);
	CHECK_INT(date_of("November 27, 2021 at 12:48 pm"), 20211127);
	CHECK_INT(date_of("  Nov 27, 2021  "), 20211127);
	CHECK_INT(date_of("Nov. 27, 2021"), 20211127);
	CHECK_INT(date_of("27 November 2021"), 20211127);
	CHECK_INT(date_of("27 Nov 2021"), 20211127);
	CHECK_INT(date_of("Sat, 27 Nov 2021 12:48:00 GMT"), 20211127);
	CHECK_INT(date_of("Sat, 27 Nov 2021 12:48:00 +0000"), 20211127);
	CHECK_INT(date_of("Saturday, November 27th, 2021"), 20211127);
	CHECK_INT(date_of("1987-02-26"), 19870226);
	CHECK_INT(date_of("2024-02-29"), 20240229);
	CHECK_INT(date_of("2000-02-29"), 20000229);
	CHECK_INT(date_of("Sept 3, 2005"), 20050903);
	/* invalid */
	CHECK_INT(date_of("2021-02-30"), -1);
	CHECK_INT(date_of("2023-02-29"), -1);
	CHECK_INT(date_of("1900-02-29"), -1);
	CHECK_INT(date_of("2021-13-01"), -1);
	CHECK_INT(date_of("2021-00-10"), -1);
	CHECK_INT(date_of("13/13"), -1);
	CHECK_INT(date_of("13/13/2021"), -1);
	CHECK_INT(date_of("garbage"), -1);
	CHECK_INT(date_of(""), -1);
	CHECK_INT(date_of("1799-12-31"), -1);
	CHECK_INT(date_of("2201-01-01"), -1);
	CHECK_INT(date_of("November 31, 2021"), -1);
	CHECK_INT(date_of("Creating new perspectives since 2009"), -1);
	CHECK_INT(date_of("On November 27, 2021 the ministry said"), -1);
	CHECK_INT(date_of("November 27, 2021 the ministry said"), -1);
	CHECK_INT(date_of("2021-11-27x"), -1);
	CHECK_INT(date_of("21-11-27"), -1);
	CHECK_INT(date_of("2021-11-27T25:00"), -1);
	CHECK(rd_parse_date("2021-02-30", &d) == LEDE_EPARSE);
	CHECK_INT(d, 7);   /* untouched on failure */
}

static void test_jsonl(void)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	const cdoc *d;
	int rc;

	rc = rd_file(FX "feed.jsonl", collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 4);
	CHECK_INT(st.docs, 4);
	CHECK_INT(st.files, 1);
	CHECK_INT(st.bad_lines, 3);   /* not json, an array, junk after */
	CHECK_INT(st.skipped_empty, 1);
	d = find(&c, "r1");   /* BOM and CRLF on the first line */
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->title, "Oil prices climb");
		CHECK_INT(d->date, 19870302);
		CHECK_STR(d->tags, "crude, opec");
		CHECK_STR(d->body, "Crude oil prices climbed.");
		CHECK_STR(d->url, "");
		CHECK_INT(d->line, 1);
		CHECK_STR(d->source, FX "feed.jsonl");
	}
	d = find(&c, "42");   /* numeric id, unicode, string tags */
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->title, "Caf\xc3\xa9 society \xe2\x80\x94 "
			  "na\xc3\xafve");
		CHECK_STR(d->body, "Caf\xc3\xa9 owners "
			  "\xe6\x97\xa5\xe6\x9c\xac protest.");
		CHECK_INT(d->date, 0);
		CHECK_STR(d->url, "http://example.com/cafe");
		CHECK_STR(d->tags, "food");
		CHECK_INT(d->line, 2);
	}
	d = find(&c, FX "feed.jsonl:6");   /* no id: path:line */
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->title, "No id here");
		CHECK_INT(d->date, 20211127);
	}
	d = find(&c, "last");   /* no final newline */
	CHECK(d != NULL);
	if (d)
		CHECK_INT(d->date, 20211127);
	coll_free(&c);

	/* A callback error stops the reader and comes back unchanged. */
	memset(&st, 0, sizeof(st));
	c.stop_after = 1;
	rc = rd_file(FX "feed.jsonl", collect, &c, &st);
	CHECK_INT(rc, LEDE_EFULL);
	CHECK_INT(c.n, 1);
	coll_free(&c);
}

static void test_txt(void)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	const char *p = FX "000_0e32cc8d4e6d34c1.txt";
	int rc;

	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_STR(c.d[0].id, p);
		CHECK_STR(c.d[0].source, p);
		CHECK_STR(c.d[0].title, "Israel reduces cyber technologies "
			  "sales amid NSO scandal");
		CHECK_INT(c.d[0].date, 20211127);
		CHECK_INT(c.d[0].line, 0);
		CHECK(strncmp(c.d[0].body, "This studio photographic", 24)
		      == 0);
		CHECK(!has(c.d[0].body, "Creating new perspectives"));
		CHECK(!has(c.d[0].body, "12:48 pm"));
		CHECK(has(c.d[0].body, "2018.\n\nHowever, The Times"));
		CHECK(has(c.d[0].body, "Israel\xe2\x80\x99s cyber technology "
			  "industry."));
		CHECK_INT(c.d[0].body_len, strlen(c.d[0].body));
	}
	coll_free(&c);

	memset(&st, 0, sizeof(st));
	rc = rd_path(FX "walk/a.txt", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "Title line only");
		CHECK_INT(c.d[0].date, 0);
		CHECK_STR(c.d[0].body, "Body of the text file.\nSecond line.");
	}
	coll_free(&c);

	rc = rd_file(FX "crlf.txt", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "Headline here");
		CHECK_INT(c.d[0].date, 20050303);
		CHECK_STR(c.d[0].body, "Body one.\nBody two.");
	}
	coll_free(&c);
	rc = rd_file(FX "datefirst.txt", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "Title after date");
		CHECK_INT(c.d[0].date, 20211127);
		CHECK_STR(c.d[0].body, "The body.");
	}
	coll_free(&c);
}

static void test_html(void)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	const char *b;
	int rc;

	rc = rd_file(FX "article.html", collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		b = c.d[0].body;
		CHECK_STR(c.d[0].title, "Leaders meet at the harbour summit");
		CHECK_INT(c.d[0].date, 20200304);
		CHECK_STR(c.d[0].url, "https://news.example.com/world/summit");
		CHECK(has(b, "fishing quotas & tariffs."));
		CHECK(has(b, "The caf\xc3\xa9 owner said quokkabird was "
			  "seen."));
		CHECK(has(b, "Leaders meet\n\n"));
		CHECK(has(b, "Second\n\nline"));
		CHECK(!has(b, "trackingcode"));
		CHECK(!has(b, "not text"));
		CHECK(!has(b, "stylerule"));
		CHECK(!has(b, "Sportlink"));
		CHECK(!has(b, "sitebanner"));
		CHECK(!has(b, "javascript"));
		CHECK(!has(b, "asidestuff"));
		CHECK(!has(b, "Searchbutton"));
		CHECK(!has(b, "commentword"));
		CHECK(!has(b, "footerword"));
		CHECK(!has(b, "scriptword"));
		CHECK(!has(b, "  "));
		CHECK(!has(b, "\n\n\n"));
		CHECK(b[0] != '\n' && b[strlen(b) - 1] != '\n');
	}
	coll_free(&c);

	rc = rd_file(FX "plain.htm", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "Only a title tag");
		CHECK_INT(c.d[0].date, 0);
		CHECK_STR(c.d[0].url, "http://example.org/plain");
		CHECK_STR(c.d[0].body, "First paragraph.\n\nSecond boldword "
			  "paragraph.\n\ncell1 cell2");
	}
	coll_free(&c);

	rc = rd_file(FX "h1only.html", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "Heading title");
		CHECK_INT(c.d[0].date, 20050301);
	}
	coll_free(&c);
}

static void test_md(void)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	const char *b;
	int rc;

	rc = rd_file(FX "front.md", collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		b = c.d[0].body;
		CHECK_STR(c.d[0].title, "Markets rally on rate cut");
		CHECK_INT(c.d[0].date, 20190506);
		CHECK_STR(c.d[0].url, "https://example.com/markets");
		CHECK_STR(c.d[0].tags, "markets, rates");
		CHECK(strncmp(b, "Markets rally\n\nStocks rose sharply after "
			      "the central bank cut rates. See the report "
			      "and  more.", 90) == 0);
		CHECK(!has(b, "title:"));
		CHECK(!has(b, "http://x.example"));
		CHECK(!has(b, "img.png"));
		CHECK(!has(b, "chart"));
		CHECK(has(b, "\nQuoted words here\nfirst item\nsecond item\n"
			  "numbered item"));
		CHECK(has(b, "code_kept = 1"));
		CHECK(!has(b, "```"));
		CHECK(has(b, "snake_case_word stays, 2 * 3 stays."));
	}
	coll_free(&c);

	rc = rd_file(FX "nofront.md", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "The real heading title");
		CHECK_STR(c.d[0].body, "Some intro line before the heading."
			  "\n\nBody text with emphasis and a link.");
		CHECK_STR(c.d[0].tags, "");
		CHECK_INT(c.d[0].date, 0);
	}
	coll_free(&c);

	rc = rd_file(FX "list.md", collect, &c, &st);   /* CRLF, "- tag" */
	CHECK_INT(rc, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "List tags");
		CHECK_STR(c.d[0].tags, "one, two");
		CHECK_STR(c.d[0].body, "Body here.");
	}
	coll_free(&c);
	rc = rd_file(FX "unclosed.md", collect, &c, &st);
	CHECK_INT(rc, 0);
	if (c.n == 1) {   /* not front matter: plain text */
		CHECK_STR(c.d[0].title, "title: x");
		CHECK_STR(c.d[0].body, "no closing");
	}
	coll_free(&c);
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void test_binary_empty(const char *tmp)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	char p[512];
	static const char bin[] = "GIF89a\0\1\2\3binary\0junk";
	unsigned char ctl[400];
	int rc;

	snprintf(p, sizeof(p), "%s/picture.txt", tmp);
	CHECK_INT(write_file(p, bin, sizeof(bin) - 1), 0);
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(st.skipped_binary, 1);
	CHECK_INT(c.n, 0);

	/* No NUL, but mostly control bytes and broken UTF-8. */
	for (size_t i = 0; i < sizeof(ctl); i++)
		ctl[i] = i % 2 ? 0x01 + (unsigned char)(i % 8) : 0xFF;
	snprintf(p, sizeof(p), "%s/noise.html", tmp);
	CHECK_INT(write_file(p, ctl, sizeof(ctl)), 0);
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(st.skipped_binary, 2);

	snprintf(p, sizeof(p), "%s/bin.jsonl", tmp);
	CHECK_INT(write_file(p, bin, sizeof(bin) - 1), 0);
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(st.skipped_binary, 3);
	CHECK_INT(st.bad_lines, 0);

	rc = rd_file(FX "walk/empty.txt", collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(st.skipped_empty, 1);
	rc = rd_file(FX "walk/blank.md", collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(st.skipped_empty, 2);
	rc = rd_file(FX "walk/sub/d.csv", collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(st.skipped_unknown, 1);
	CHECK_INT(c.n, 0);

	/* Latin-1 text is not binary: a few bad bytes in mostly ASCII. */
	snprintf(p, sizeof(p), "%s/latin1.txt", tmp);
	CHECK_INT(write_file(p, "Caf\xe9 title\n\nThe caf\xe9 body.\n", 27), 0);
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(c.n, 1);
	CHECK_INT(st.skipped_binary, 3);
	coll_free(&c);
}

static void test_walk(const char *tmp)
{
	coll c = { 0 }, c2 = { 0 };
	rd_stats st = { 0 }, st2 = { 0 };
	char p[512], q[600];
	int rc;

	rc = rd_path(FX "walk", collect, &c, &st);
	CHECK_INT(rc, 0);
	/* a.txt, b.jsonl (2), c.md; hidden entries skipped. */
	CHECK_INT(c.n, 4);
	CHECK_INT(st.docs, 4);
	CHECK_INT(st.skipped_empty, 2);
	CHECK_INT(st.skipped_unknown, 1);
	CHECK_INT(st.errors, 0);
	if (c.n == 4) {
		/* strcmp order: a.txt, blank.md, empty.txt, sub/... */
		CHECK_STR(c.d[0].id, FX "walk/a.txt");
		CHECK_STR(c.d[1].id, "w1");
		CHECK_STR(c.d[1].source, FX "walk/sub/b.jsonl");
		CHECK_STR(c.d[2].id, "w2");
		CHECK_STR(c.d[3].id, FX "walk/sub/c.md");
		CHECK_STR(c.d[3].title, "Heading");
	}
	/* "dir/" and "./dir//" give the same ids. */
	rc = rd_path("./" FX "walk//", collect, &c2, &st2);
	CHECK_INT(rc, 0);
	CHECK_INT(c2.n, 4);
	if (c2.n == 4)
		CHECK_STR(c2.d[3].id, FX "walk/sub/c.md");
	coll_free(&c);
	coll_free(&c2);

	/* Missing root: LEDE_EIO and a warning. */
	memset(&st, 0, sizeof(st));
	rc = rd_path(FX "no-such-thing", collect, &c, &st);
	CHECK_INT(rc, LEDE_EIO);
	CHECK_INT(st.errors, 1);

	/* A symlink loop is not followed; an unreadable file is counted. */
	snprintf(p, sizeof(p), "%s/tree", tmp);
	mkdir(p, 0700);
	snprintf(q, sizeof(q), "%s/loop", p);
	CHECK_INT(symlink("..", q), 0);
	snprintf(q, sizeof(q), "%s/ok.txt", p);
	CHECK_INT(write_file(q, "T\n\nbody\n", 8), 0);
	snprintf(q, sizeof(q), "%s/link.txt", p);
	CHECK_INT(symlink("ok.txt", q), 0);
	memset(&st, 0, sizeof(st));
	rc = rd_path(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 2);   /* ok.txt and link.txt, no loop */
	if (c.n == 2) {
		snprintf(q, sizeof(q), "%s/link.txt", p);
		CHECK_STR(c.d[0].id, q);
	}
	coll_free(&c);
	if (geteuid() != 0) {   /* root reads anything */
		snprintf(q, sizeof(q), "%s/secret.txt", p);
		CHECK_INT(write_file(q, "x\n", 2), 0);
		chmod(q, 0);
		memset(&st, 0, sizeof(st));
		rc = rd_path(p, collect, &c, &st);
		CHECK_INT(rc, 0);
		CHECK_INT(st.errors, 1);
		CHECK_INT(c.n, 2);
		coll_free(&c);
	}

	/* A callback error stops the walk and is returned. */
	c.stop_after = 2;
	memset(&st, 0, sizeof(st));
	rc = rd_path(FX "walk", collect, &c, &st);
	CHECK_INT(rc, LEDE_EFULL);
	CHECK_INT(c.n, 2);
	coll_free(&c);
}

/* Nesting past RD_HTML_MAX_DEPTH stops libxml2's parser: the page is
 * refused and counted, not indexed without its text after that point;
 * a page just under the limit is read whole. */
static void write_deep(const char *p, int depth, const char *open)
{
	FILE *f = fopen(p, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs("<html><head><title>Deep</title></head><body>", f);
	for (int i = 0; i < depth; i++)
		fputs(open, f);
	fputs("deepword", f);
	fclose(f);
}

static void test_deep_html(const char *tmp)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	char p[512];
	int rc;

	snprintf(p, sizeof(p), "%s/deep.html", tmp);
	write_deep(p, 100000, "<div><span>");
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 0);
	CHECK_INT(st.too_big, 1);
	coll_free(&c);

	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	write_deep(p, 100, "<div><span>");   /* 200 + html, body: 202 */
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 1);
	CHECK_INT(st.too_big, 0);
	if (c.n == 1) {
		CHECK_STR(c.d[0].title, "Deep");
		CHECK(strstr(c.d[0].body, "deepword") != NULL);
	}
	coll_free(&c);
}

/* A 50 MB JSONL line is read whole (the cap is 128 MiB). */
static void test_big_line(const char *tmp)
{
	coll c = { 0 };
	rd_stats st = { 0 };
	char p[512];
	FILE *f;
	size_t words = 0;
	int rc;

	snprintf(p, sizeof(p), "%s/big.jsonl", tmp);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("{\"id\":\"big-1\",\"title\":\"Huge\",\"body\":\"", f);
	while (words * 10 < (size_t)50 << 20) {
		fputs("word12345 ", f);
		words++;
	}
	fputs("needleword\"}\n{\"id\":\"after\",\"title\":\"t\"}\n", f);
	fclose(f);
	rc = rd_file(p, collect, &c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		CHECK_STR(c.d[0].id, "big-1");
		CHECK_INT(c.d[0].body_len, words * 10 + 10);
		CHECK(has(c.d[0].body + c.d[0].body_len - 20, "needleword"));
		CHECK_STR(c.d[1].id, "after");
		CHECK_INT(c.d[1].line, 2);
	}
	coll_free(&c);
}

static void rm_tree(const char *tmp)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmp,
		 tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
}

int main(void)
{
	char tmp[] = "/tmp/test_reader.XXXXXX";

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_dates();
	test_jsonl();
	test_txt();
	test_html();
	test_md();
	test_binary_empty(tmp);
	test_walk(tmp);
	test_deep_html(tmp);
	test_big_line(tmp);
	rm_tree(tmp);
	return t_done("test_reader");
}
