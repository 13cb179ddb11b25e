/*
 * test_page.c - unit tests for the web interface's HTML (web/page.c) and
 * embedded assets (web/assets.c): escaping and percent-encoding, the
 * search page (hits, marks, timeline, pagination arithmetic, filters,
 * front page, errors, empty results), the article page (paragraphs,
 * marks, back link), the error page, hostile strings in every field,
 * invalid UTF-8 and NUL bytes, output caps, and the asset table.
 *
 * Every page goes through three invariant checks: its tags balance
 * (a raw "<" from an untrusted string would break that), it keeps to
 * the Content-Security-Policy (no inline script, no style or on*
 * attributes, no javascript: URL), and it is valid UTF-8 without NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../web/page.h"
#include "t.h"

#define EVIL "<script>alert(1)</script>"

/* ---- invariant checkers ---- */

static const char *const VOIDS[] = {
	"meta", "link", "input", "img", "br", "hr", "source", "wbr", NULL
};

/* Do the tags of s nest properly (void elements aside)? */
static int balanced(const char *s)
{
	char stack[128][16];
	int sp = 0;
	const char *p = s;

	while ((p = strchr(p, '<')) != NULL) {
		const char *e = strchr(p, '>'), *n;
		int close, is_void = 0;
		size_t l;

		if (!e)
			return 0;
		if (p[1] == '!') {
			p = e + 1;
			continue;
		}
		close = p[1] == '/';
		n = p + 1 + close;
		l = strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (l == 0 || l >= sizeof(stack[0]))
			return 0;
		for (int i = 0; VOIDS[i]; i++)
			if (strlen(VOIDS[i]) == l &&
			    strncmp(VOIDS[i], n, l) == 0)
				is_void = 1;
		if (close) {
			if (sp == 0 || strlen(stack[sp - 1]) != l ||
			    strncmp(stack[sp - 1], n, l) != 0) {
				fprintf(stderr, "unbalanced </%.*s>\n",
					(int)l, n);
				return 0;
			}
			sp--;
		} else if (!is_void) {
			if (sp == 128)
				return 0;
			memcpy(stack[sp], n, l);
			stack[sp][l] = 0;
			sp++;
		}
		p = e + 1;
	}
	return sp == 0;
}

/*
 * Does s keep to the CSP (default-src 'none'; script-src 'self';
 * style-src 'self')? Every <script> is the one external script with an
 * empty body; no tag has a style attribute or an on* handler; no
 * attribute value is a javascript: URL. Attributes are parsed, quoted
 * values skipped, so text like aria-label="Search on..." is no alarm.
 */
static int csp_clean(const char *s)
{
	const char *p = s;

	while ((p = strchr(p, '<')) != NULL) {
		const char *e = strchr(p, '>'), *q;

		if (!e)
			return 0;
		if (strncasecmp(p, "<script", 7) == 0) {
			static const char ok[] =
				"<script src=\"/static/lede.js\" defer>";

			if ((size_t)(e + 1 - p) != strlen(ok) ||
			    strncmp(p, ok, strlen(ok)) != 0 ||
			    strncmp(e + 1, "</script>", 9) != 0)
				return 0;
		}
		if (strncasecmp(p, "<style", 6) == 0)
			return 0;
		q = p + 1 + strcspn(p + 1, " >");
		while (q < e) {
			const char *name;
			size_t nl;

			while (q < e && *q == ' ')
				q++;
			name = q;
			while (q < e && *q != '=' && *q != ' ')
				q++;
			nl = (size_t)(q - name);
			if ((nl == 5 && strncasecmp(name, "style", 5) == 0) ||
			    (nl > 2 && strncasecmp(name, "on", 2) == 0)) {
				fprintf(stderr, "attribute %.*s\n",
					(int)nl, name);
				return 0;
			}
			if (q < e && *q == '=') {
				const char *v = q + 2, *ve;

				if (q[1] != '"')
					return 0;   /* we always quote */
				ve = strchr(v, '"');
				if (!ve || ve > e)
					return 0;
				if (strncasecmp(v, "javascript:", 11) == 0)
					return 0;
				q = ve + 1;
			}
		}
		p = e + 1;
	}
	return 1;
}

/* Is s[0..n) valid UTF-8 without NUL (shortest forms, no surrogates)? */
static int utf8_ok(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 :
			     (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		uint32_t v;

		if (c == 0 || len == 0 || i + len > n)
			return 0;
		v = len == 1 ? c : c & (0x7fu >> len);
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			v = v << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) ||
		    (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
		    (v >= 0xd800 && v <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static size_t count_of(const char *s, const char *needle)
{
	size_t n = 0, l = strlen(needle);

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += l;
	}
	return n;
}

#define HAS(s, needle) CHECK(strstr((s), (needle)) != NULL)
#define HASNT(s, needle) CHECK(strstr((s), (needle)) == NULL)

/* The three invariants of every page, as checks. */
static void check_page(const char *s, size_t len)
{
	CHECK(strlen(s) == len);
	CHECK(utf8_ok(s, len));
	CHECK(balanced(s));
	CHECK(csp_clean(s));
	CHECK(strncmp(s, "<!doctype html>\n<html lang=\"en\">", 32) == 0);
}

/* ---- rendering helpers: the output as a C string (freed by caller) */

static char *search_page(const web_results *r)
{
	buf b;
	int rc;

	buf_init(&b);
	rc = web_page_search(r, &b);
	CHECK_INT(rc, 0);
	if (rc || buf_nul(&b)) {
		buf_release(&b);
		return strdup("");
	}
	check_page((char *)b.data, b.len);
	return (char *)b.data;
}

static char *article_page(const web_article *a)
{
	buf b;
	int rc;

	buf_init(&b);
	rc = web_page_article(a, &b);
	CHECK_INT(rc, 0);
	if (rc || buf_nul(&b)) {
		buf_release(&b);
		return strdup("");
	}
	check_page((char *)b.data, b.len);
	return (char *)b.data;
}

static char *esc(const char *s, size_t n)
{
	buf b;

	buf_init(&b);
	CHECK_INT(web_escape(s, n, &b), 0);
	if (buf_nul(&b))
		return strdup("");
	return b.data ? (char *)b.data : strdup("");
}

static char *urlenc(const char *s, size_t n)
{
	buf b;

	buf_init(&b);
	CHECK_INT(web_urlenc(s, n, &b), 0);
	if (buf_nul(&b))
		return strdup("");
	return b.data ? (char *)b.data : strdup("");
}

/* ---- fixtures ---- */

static const char SNIP1[] = "NSO Group sold Pegasus to governments.";
static const snip_span MARKS1[] = { { 15, 22 } };   /* "Pegasus" */

static web_hit HITS[3];
static web_bar BARS[4];

static void fixtures(web_results *r)
{
	memset(HITS, 0, sizeof(HITS));
	HITS[0].id = "2019/nso.txt";
	HITS[0].id_len = strlen(HITS[0].id);
	HITS[0].title = "Spyware maker NSO";
	HITS[0].title_len = strlen(HITS[0].title);
	strcpy(HITS[0].date, "2019-03-01");
	HITS[0].url = "https://www.example.com/news/nso?x=1";
	HITS[0].url_len = strlen(HITS[0].url);
	HITS[0].snippet = SNIP1;
	HITS[0].snippet_len = strlen(SNIP1);
	HITS[0].marks = MARKS1;
	HITS[0].nmarks = 1;
	HITS[1].id = "b";
	HITS[1].id_len = 1;
	HITS[1].title = "";           /* untitled: shown by id */
	HITS[1].url = "javascript:alert(1)";
	HITS[1].url_len = strlen(HITS[1].url);
	HITS[1].snippet = "plain";
	HITS[1].snippet_len = 5;
	HITS[2].id = "c";
	HITS[2].id_len = 1;
	HITS[2].title = "Third";
	HITS[2].title_len = 5;
	strcpy(HITS[2].date, "2019-02-30");   /* not a date */
	HITS[2].url = "";
	HITS[2].snippet = "";

	memset(BARS, 0, sizeof(BARS));
	strcpy(BARS[0].label, "2018");
	strcpy(BARS[0].from, "2018-01-01");
	strcpy(BARS[0].to, "2018-12-31");
	BARS[0].count = 0;
	strcpy(BARS[1].label, "2019");
	strcpy(BARS[1].from, "2019-01-01");
	strcpy(BARS[1].to, "2019-12-31");
	BARS[1].count = 12;
	strcpy(BARS[2].label, "2020");
	strcpy(BARS[2].from, "2020-01-01");
	strcpy(BARS[2].to, "2020-12-31");
	BARS[2].count = 1;
	strcpy(BARS[3].label, "2021");
	strcpy(BARS[3].from, "2021-01-01");
	strcpy(BARS[3].to, "2021-12-31");
	BARS[3].count = 1234;

	memset(r, 0, sizeof(*r));
	r->q = "nso pegasus";
	r->q_len = strlen(r->q);
	r->searched = 1;
	r->total = 95;
	r->took_ms = 12.3;
	r->offset = 10;
	r->n = 10;
	r->sort = 1;
	strcpy(r->from, "2019-01-01");
	r->hits = HITS;
	r->nhits = 3;
	r->bars = BARS;
	r->nbars = 4;
	r->ndocs = 1000;
}

/* ---- tests ---- */

static void test_escape(void)
{
	char *s;

	s = esc(EVIL, strlen(EVIL));
	CHECK_STR(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
	free(s);
	s = esc("a&b\"c'd", 7);
	CHECK_STR(s, "a&amp;b&quot;c&#39;d");
	free(s);
	s = esc("a\x01" "b\x7f" "c", 5);
	CHECK_STR(s, "abc");
	free(s);
	s = esc("oil\nprices\tup", 13);
	CHECK_STR(s, "oil prices up");
	free(s);
	s = esc("a\0b", 3);
	CHECK_STR(s, "ab");
	free(s);
	s = esc("x\xff" "y", 3);
	CHECK_STR(s, "x\xef\xbf\xbdy");
	free(s);
	s = esc("\xe2\x80", 2);           /* cut short: two bad bytes */
	CHECK_STR(s, "\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = esc("\xc0\xaf", 2);           /* overlong "/" */
	CHECK_STR(s, "\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = esc("caf\xc3\xa9 \xc2\x85!", 9);   /* é kept, U+0085 dropped */
	CHECK_STR(s, "caf\xc3\xa9 !");
	free(s);
	s = esc(NULL, 0);
	CHECK_STR(s, "");
	free(s);
	{
		buf b;

		buf_init(&b);
		CHECK_INT(web_escape(NULL, 3, &b), LEDE_EINVAL);
		buf_release(&b);
	}
}

static void test_urlenc(void)
{
	char *s;

	s = urlenc("a b/c?d=e&f", 11);
	CHECK_STR(s, "a%20b%2Fc%3Fd%3De%26f");
	free(s);
	s = urlenc("-._~AZaz09", 10);
	CHECK_STR(s, "-._~AZaz09");
	free(s);
	s = urlenc("\xc3\xa9\0+", 4);
	CHECK_STR(s, "%C3%A9%00%2B");
	free(s);
	s = urlenc(EVIL, strlen(EVIL));
	CHECK_STR(s, "%3Cscript%3Ealert%281%29%3C%2Fscript%3E");
	free(s);
	s = urlenc("\"'", 2);
	CHECK_STR(s, "%22%27");
	free(s);
}

static void test_results_page(void)
{
	web_results r;
	char *s;

	fixtures(&r);
	s = search_page(&r);
	/* the head */
	HAS(s, "<meta charset=\"utf-8\">");
	HAS(s, "<meta name=\"viewport\" content=\"width=device-width, "
	       "initial-scale=1\">");
	HAS(s, "<title>nso pegasus \xe2\x80\x93 lede</title>");
	HAS(s, "<link rel=\"stylesheet\" href=\"/static/lede.css\">");
	HAS(s, "<link rel=\"icon\" href=\"/static/icon.svg\">");
	HAS(s, "<link rel=\"search\" type=\"application/opensearchdescription"
	       "+xml\" href=\"/opensearch.xml\" title=\"lede\">");
	HAS(s, "<script src=\"/static/lede.js\" defer></script>");
	CHECK_INT(count_of(s, "<script"), 1);
	/* the form */
	HAS(s, "<form id=\"search\" role=\"search\" action=\"/\" "
	       "method=\"get\">");
	HAS(s, "<input type=\"search\" name=\"q\" id=\"q\" "
	       "value=\"nso pegasus\" autofocus aria-label=\"Search the "
	       "archive\"");
	HAS(s, "<button type=\"submit\">");
	HAS(s, "data-sort=\"relevance\" href=\"/?q=nso%20pegasus&amp;"
	       "sort=relevance&amp;from=2019-01-01\">Relevance</a>");
	HAS(s, "data-sort=\"date\" href=\"/?q=nso%20pegasus&amp;sort=date"
	       "&amp;from=2019-01-01\" aria-current=\"true\">Newest</a>");
	HAS(s, "<input type=\"hidden\" name=\"sort\" value=\"date\">");
	HASNT(s, "name=\"n\"");     /* the default page size */
	HAS(s, "name=\"from\" id=\"from\" value=\"2019-01-01\"");
	HAS(s, "name=\"to\" id=\"to\" value=\"\"");
	HAS(s, "class=\"clear\"");
	HAS(s, "<a class=\"skip\" href=\"#results\">");
	HAS(s, "aria-live=\"polite\"");
	/* status */
	HAS(s, "<p id=\"status\" class=\"status\">95 results (12 ms)</p>");
	HASNT(s, "role=\"alert\"");
	/* timeline */
	HAS(s, "<section id=\"timeline\"");
	CHECK_INT(count_of(s, "<a class=\"bar"), 4);
	HAS(s, "aria-label=\"2019: 12 matches\"");
	HAS(s, "aria-label=\"2020: 1 match\"");
	HAS(s, "aria-label=\"2021: 1,234 matches\"");
	HAS(s, "href=\"/?q=nso%20pegasus&amp;sort=date&amp;from=2019-01-01"
	       "&amp;to=2019-12-31\" aria-label");
	HAS(s, "title=\"2019: 12 matches\"><span class=\"col\">");
	HASNT(s, "class=\"bar minor\"");   /* 4 bars: every label shown */
	HASNT(s, "\" aria-current=\"true\" aria-label");
	HAS(s, "<span class=\"fill h20\">");   /* the tallest */
	HAS(s, "<span class=\"fill h0\">");    /* the empty year */
	HAS(s, "<span class=\"fill h1\">");    /* 1 of 1234: still seen */
	/* hits */
	HAS(s, "<ol id=\"hits\" class=\"hits\" start=\"11\">");
	CHECK_INT(count_of(s, "<li class=\"hit\">"), 3);
	HAS(s, "<a class=\"title\" href=\"/article/2019%2Fnso.txt?q=nso%20"
	       "pegasus\">Spyware maker NSO</a>");
	HAS(s, "<a class=\"title untitled\" href=\"/article/b?q=nso%20pegasus"
	       "\">b</a>");
	HAS(s, "<time datetime=\"2019-03-01\">Mar 1, 2019</time>");
	HAS(s, "<span class=\"date\">2019-02-30</span>");
	HAS(s, "<a class=\"source\" href=\"https://www.example.com/news/nso?"
	       "x=1\" rel=\"noopener noreferrer\">example.com</a>");
	HASNT(s, "javascript:");
	HAS(s, "<p class=\"snippet\">NSO Group sold <mark>Pegasus</mark> to "
	       "governments.</p>");
	/* pagination: page 2 of 10 */
	HAS(s, "<nav id=\"pages\" class=\"pages\" aria-label=\"Pages\">");
	HAS(s, "<a rel=\"prev\" href=\"/?q=nso%20pegasus&amp;sort=date&amp;"
	       "from=2019-01-01\">");
	HAS(s, "<a rel=\"next\" href=\"/?q=nso%20pegasus&amp;sort=date&amp;"
	       "from=2019-01-01&amp;offset=20\">");
	HAS(s, "offset=10\" aria-current=\"page\" aria-label=\"Page 2\">2</a>");
	HAS(s, "aria-label=\"Page 10\">10</a>");
	HAS(s, "class=\"gap\"");
	HASNT(s, "Page 11");
	CHECK_INT(count_of(s, "aria-current=\"page\""), 1);
	free(s);

	/* the first page: no Previous */
	r.offset = 0;
	s = search_page(&r);
	HASNT(s, "rel=\"prev\"");
	HAS(s, "offset=10\">Next");
	HAS(s, "start=\"1\"");
	free(s);

	/* the last page: no Next */
	r.offset = 90;
	s = search_page(&r);
	HASNT(s, "rel=\"next\"");
	HAS(s, "<a rel=\"prev\" href=\"/?q=nso%20pegasus&amp;sort=date&amp;"
	       "from=2019-01-01&amp;offset=80\">");
	HAS(s, "aria-current=\"page\" aria-label=\"Page 10\"");
	free(s);

	/* one page only: no navigation at all */
	r.offset = 0;
	r.total = 3;
	s = search_page(&r);
	HASNT(s, "id=\"pages\"");
	HAS(s, ">3 results (12 ms)<");
	free(s);

	/* the search's cap (offset + n <= 10,000): no page past it */
	r.total = 50000;
	r.offset = 9990;
	r.took_ms = 0.42;
	s = search_page(&r);
	HASNT(s, "rel=\"next\"");
	HAS(s, "Page 1000\"");
	HASNT(s, "Page 1001\"");
	HAS(s, ">50,000 results (0.4 ms)<");
	free(s);

	/* another page size travels in links and in the form */
	r.total = 95;
	r.offset = 20;
	r.n = 20;
	r.sort = 0;
	r.from[0] = 0;
	s = search_page(&r);
	HAS(s, "<a rel=\"next\" href=\"/?q=nso%20pegasus&amp;sort=relevance"
	       "&amp;n=20&amp;offset=40\">");
	HAS(s, "<input type=\"hidden\" name=\"n\" value=\"20\">");
	HASNT(s, "name=\"sort\" value");   /* relevance is the default */
	HASNT(s, "class=\"clear\"");
	HAS(s, "data-sort=\"relevance\" href=\"/?q=nso%20pegasus&amp;sort="
	       "relevance&amp;n=20\" aria-current=\"true\">");
	free(s);

	/* a hand-made offset far past the cap neither loops nor wraps */
	r.offset = SIZE_MAX - 3;
	r.n = 1;
	r.nhits = 0;
	s = search_page(&r);
	HAS(s, "No more results");
	free(s);

	/* the bar of the range shown is marked; 25 bars: every fifth
	 * label only (the rest stay in aria-label), so they fit a phone */
	fixtures(&r);
	strcpy(r.to, "2019-12-31");
	s = search_page(&r);
	HAS(s, "&amp;to=2019-12-31\" aria-current=\"true\" aria-label=\"2019");
	CHECK_INT(count_of(s, "aria-current=\"true\""), 2);  /* + toggle */
	free(s);
	{
		web_bar many[25];

		memset(many, 0, sizeof(many));
		for (unsigned i = 0; i < 25; i++) {
			unsigned y = (1990 + i) % 10000;   /* 4 digits */

			snprintf(many[i].label, sizeof(many[i].label), "%u", y);
			snprintf(many[i].from, sizeof(many[i].from),
				 "%u-01-01", y);
			snprintf(many[i].to, sizeof(many[i].to), "%u-12-31", y);
			many[i].count = (uint64_t)i * 7;
		}
		r.bars = many;
		r.nbars = 25;
		s = search_page(&r);
		CHECK_INT(count_of(s, "<a class=\"bar\" "), 5);
		CHECK_INT(count_of(s, "<a class=\"bar minor\" "), 20);
		HAS(s, "aria-label=\"1991: 7 matches\"");
		free(s);
	}

	/* partial dates fill a date input as the whole year / month */
	fixtures(&r);
	strcpy(r.from, "2019");
	strcpy(r.to, "2020-02");
	s = search_page(&r);
	HAS(s, "id=\"from\" value=\"2019-01-01\"");
	HAS(s, "id=\"to\" value=\"2020-02-29\"");
	HAS(s, "&amp;from=2019&amp;to=2020-02\"");   /* links keep them */
	free(s);
}

static void test_front_and_errors(void)
{
	web_results r;
	char *s;

	memset(&r, 0, sizeof(r));
	r.q = "";
	r.ndocs = 12345;
	r.n = 10;
	s = search_page(&r);
	HAS(s, "<body class=\"search front\">");
	HAS(s, ">Search 12,345 articles</h2>");
	HAS(s, "href=\"/?q=nso%20pegasus\"");
	HAS(s, "href=\"/?q=%22oil%20prices%22%20sort%3Adate\"");
	HAS(s, "href=\"/?q=title%3Aopec\"");
	HAS(s, "href=\"/?q=sanction%2A\"");
	HAS(s, "href=\"/?q=khashoggi%20-saudi%20from%3A2019\"");
	HAS(s, "<code>&quot;oil prices&quot; sort:date</code>");
	HAS(s, "autofocus");
	HASNT(s, "id=\"status\"");
	HASNT(s, "id=\"hits\"");
	HAS(s, "<section id=\"results\"");
	free(s);

	r.ndocs = 1;
	s = search_page(&r);
	HAS(s, ">Search 1 article</h2>");
	free(s);

	/* an error: the message in an alert, nothing else */
	fixtures(&r);
	r.error = "query over 1 KiB <b>";
	s = search_page(&r);
	HAS(s, "<div class=\"alert\" role=\"alert\">query over 1 KiB "
	       "&lt;b&gt;</div>");
	HASNT(s, "id=\"hits\"");
	HASNT(s, "id=\"status\"");
	free(s);

	/* no match, with a date filter to offer to drop */
	fixtures(&r);
	r.total = 0;
	r.nhits = 0;
	r.nbars = 0;
	s = search_page(&r);
	HAS(s, "No articles match <q>nso pegasus</q>");
	HAS(s, "Try fewer words");
	HAS(s, "<a href=\"/?q=nso%20pegasus&amp;sort=date\">search all "
	       "dates</a>");
	HAS(s, ">0 results (12 ms)<");
	HASNT(s, "id=\"timeline\"");
	HASNT(s, "id=\"pages\"");
	free(s);

	/* exactly one result */
	fixtures(&r);
	r.total = 1;
	r.nhits = 1;
	r.offset = 0;
	s = search_page(&r);
	HAS(s, ">1 result (12 ms)<");
	free(s);
}

static void test_hostile(void)
{
	static const snip_span bad[] = { { 30, 5 }, { 2, 9999 }, { 0, 3 },
					 { SIZE_MAX - 1, SIZE_MAX } };
	static const char nasty[] = "<b>\0\xff\xc3" EVIL "\x01\xe2\x80";
	web_results r;
	web_hit h;
	web_bar b;
	char *s;

	memset(&h, 0, sizeof(h));
	h.id = EVIL;
	h.id_len = strlen(EVIL);
	h.title = nasty;
	h.title_len = sizeof(nasty) - 1;
	memcpy(h.date, "<s>\"'&x</s", 10);   /* no NUL: read at most 11 */
	h.date[10] = 'y';
	h.url = "https://" EVIL "/\"onmouseover=\"x";
	h.url_len = strlen(h.url);
	h.snippet = nasty;
	h.snippet_len = sizeof(nasty) - 1;
	h.marks = bad;
	h.nmarks = 4;
	memset(&b, 0, sizeof(b));
	memcpy(b.label, "<b>ABCDE", 8);        /* no NUL either */
	memcpy(b.from, "\"><script", 9);
	memcpy(b.to, "x", 1);
	b.count = 3;

	memset(&r, 0, sizeof(r));
	r.q = EVIL " \"x\"";
	r.q_len = strlen(r.q);
	r.searched = 1;
	r.total = 40;
	r.n = 10;
	r.hits = &h;
	r.nhits = 1;
	r.bars = &b;
	r.nbars = 1;
	memcpy(r.from, EVIL, 11);               /* no NUL */
	s = search_page(&r);
	HASNT(s, EVIL);
	HASNT(s, "<b>");
	HASNT(s, "\"onmouseover");
	HAS(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
	HAS(s, "&lt;b&gt;ABCDE");               /* the 8 label bytes */
	free(s);

	r.error = EVIL;
	s = search_page(&r);
	HASNT(s, EVIL);
	HAS(s, "role=\"alert\">&lt;script&gt;");
	free(s);

	{
		buf o;

		buf_init(&o);
		CHECK_INT(web_page_error(404, EVIL, &o), 0);
		CHECK(buf_nul(&o) == 0);
		check_page((char *)o.data, o.len);
		HASNT((char *)o.data, EVIL);
		buf_release(&o);
	}
}

static void test_article(void)
{
	/* three paragraphs (the blank lines carry white space), marks on
	 * "pegasus" in the first and last, one across a paragraph break */
	static const char body[] =
		"  First para with pegasus.\n\nSecond <i>para</i>\n"
		"still second\n \t\r\n\n\nThird pegasus.\n";
	snip_span marks[3];
	web_article a;
	char *s;
	const char *p;

	marks[0].start = (size_t)(strstr(body, "pegasus") - body);
	marks[0].end = marks[0].start + 7;
	marks[1].start = (size_t)(strstr(body, "still") - body);
	marks[1].end = (size_t)(strstr(body, "Third") - body) + 5;
	marks[2].start = (size_t)(strstr(body, "Third pegasus") - body) + 6;
	marks[2].end = marks[2].start + 7;
	memset(&a, 0, sizeof(a));
	a.id = "2019/nso.txt";
	a.id_len = strlen(a.id);
	a.title = "NSO & the " EVIL;
	a.title_len = strlen(a.title);
	strcpy(a.date, "2019-12-31");
	a.url = "http://user@news.example.org:8080/a";
	a.url_len = strlen(a.url);
	a.source = "corpus/2019/nso.txt";
	a.source_len = strlen(a.source);
	a.body = body;
	a.body_len = strlen(body);
	a.marks = marks;
	a.nmarks = 3;
	a.q = "pegasus & co";
	a.q_len = strlen(a.q);
	s = article_page(&a);
	HAS(s, "<article id=\"article\"");
	HAS(s, "<h1>NSO &amp; the &lt;script&gt;alert(1)&lt;/script&gt;</h1>");
	HASNT(s, EVIL);
	HAS(s, "<title>NSO &amp; the &lt;script&gt;");
	HAS(s, "<a id=\"back\" href=\"/?q=pegasus%20%26%20co\">");
	HAS(s, "Back to results");
	HAS(s, "<time datetime=\"2019-12-31\">Dec 31, 2019</time>");
	HAS(s, "<a class=\"source\" href=\"http://user@news.example.org:8080/"
	       "a\" rel=\"noopener noreferrer\">Original at "
	       "news.example.org:8080</a>");
	HAS(s, "value=\"pegasus &amp; co\"");
	HASNT(s, " autofocus");
	p = strstr(s, "<div class=\"body\">");
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(count_of(p, "<p>"), 3);
		HAS(p, "<p>First para with <mark id=\"m1\">pegasus</mark>."
		       "</p>");
		HAS(p, "<p>Second &lt;i&gt;para&lt;/i&gt;\n<mark>still "
		       "second</mark></p>");
		HAS(p, "<p><mark>Third</mark> <mark>pegasus</mark>.</p>");
		CHECK_INT(count_of(p, "<mark"), 4);
		CHECK_INT(count_of(p, "id=\"m1\""), 1);
	}
	HAS(s, "<a href=\"#m1\">Jump to the first match</a> (3 highlights)");
	free(s);

	/* no search, no web URL, no date, no body */
	a.q_len = 0;
	a.url = "javascript:alert(1)";
	a.url_len = strlen(a.url);
	a.date[0] = 0;
	a.body_len = 0;
	a.nmarks = 0;
	s = article_page(&a);
	HASNT(s, "id=\"back\"");
	HASNT(s, "<time");
	HASNT(s, "javascript:");
	HAS(s, "<span class=\"source\">corpus/2019/nso.txt</span>");
	HAS(s, "This article has no text.");
	HASNT(s, "#m1");
	free(s);

	/* NUL and invalid bytes in a body, spans past its end */
	{
		static const char raw[] = "a\0b\xff\n\nc\x1b[31m";
		static const snip_span far[] = { { 100, 200 } };

		a.body = raw;
		a.body_len = sizeof(raw) - 1;
		a.marks = far;
		a.nmarks = 1;
		s = article_page(&a);
		HAS(s, "<p>ab\xef\xbf\xbd</p>");
		HAS(s, "<p>c[31m</p>");
		HASNT(s, "<mark");
		free(s);
	}
}

static void test_error_page(void)
{
	buf b;
	char *s;

	buf_init(&b);
	CHECK_INT(web_page_error(404, "no article \"x\"", &b), 0);
	CHECK(buf_nul(&b) == 0);
	s = (char *)b.data;
	check_page(s, b.len);
	HAS(s, "<title>404 Not found \xe2\x80\x93 lede</title>");
	HAS(s, "<h1><span class=\"code\">404</span> Not found</h1>");
	HAS(s, "role=\"alert\">no article &quot;x&quot;</p>");
	HAS(s, "<a href=\"/\">");
	buf_release(&b);

	buf_init(&b);
	CHECK_INT(web_page_error(-7, NULL, &b), 0);
	CHECK(buf_nul(&b) == 0);
	HAS((char *)b.data, ">500</span> Internal server error<");
	buf_release(&b);
}

/* Every cap below the page's size fails with LEDE_ETOOBIG, writes
 * nothing past the cap and leaves what was in the buffer before. */
static void test_caps(void)
{
	web_results r;
	buf b;
	size_t full;
	int bad = 0, tried = 0;

	fixtures(&r);
	buf_init(&b);
	CHECK_INT(web_page_search(&r, &b), 0);
	full = b.len;
	buf_release(&b);
	CHECK(full > 1000);
	for (size_t lim = 0; lim < full + 3; lim += lim < 64 ? 1 : 97) {
		int rc;

		buf_init_limit(&b, lim + 3);
		if (buf_add(&b, "abc", 3)) {
			bad++;
			buf_release(&b);
			continue;
		}
		rc = web_page_search(&r, &b);
		tried++;
		if (lim < full && (rc != LEDE_ETOOBIG || b.len != 3 ||
				   memcmp(b.data, "abc", 3) != 0))
			bad++;
		if (lim >= full && (rc != 0 || b.len != full + 3))
			bad++;
		if (b.len > b.limit)
			bad++;
		buf_release(&b);
	}
	CHECK(tried > 50);
	CHECK_INT(bad, 0);
	buf_init_limit(&b, full + 3);
	CHECK_INT(buf_add(&b, "abc", 3), 0);
	CHECK_INT(web_page_search(&r, &b), 0);   /* exactly enough */
	CHECK_INT(b.len, full + 3);
	buf_release(&b);

	buf_init_limit(&b, 10);
	CHECK_INT(web_escape(EVIL, strlen(EVIL), &b), LEDE_ETOOBIG);
	CHECK_INT(b.len, 0);
	CHECK_INT(web_urlenc(EVIL, strlen(EVIL), &b), LEDE_ETOOBIG);
	CHECK_INT(web_page_error(500, "x", &b), LEDE_ETOOBIG);
	buf_release(&b);

	{
		web_article a;
		char *big = malloc(100000);

		CHECK(big != NULL);
		if (!big)
			return;
		memset(big, '<', 100000);
		memset(&a, 0, sizeof(a));
		a.id = "x";
		a.id_len = 1;
		a.body = big;
		a.body_len = 100000;
		buf_init_limit(&b, 200000);   /* escaping makes it 400 KB */
		CHECK_INT(web_page_article(&a, &b), LEDE_ETOOBIG);
		CHECK_INT(b.len, 0);
		buf_release(&b);
		free(big);
	}
	CHECK_INT(web_page_search(NULL, NULL), LEDE_EINVAL);
}

/* The embedded bytes are the files in web/assets/ (tests run from the
 * top of the tree): a stale assets.c fails here. */
static int same_as_file(const web_asset *a, const char *file)
{
	FILE *f = fopen(file, "rb");
	unsigned char *d;
	long n;
	int ok;

	if (!f) {
		fprintf(stderr, "cannot open %s (run from the tree's top)\n",
			file);
		return 0;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc(n > 0 ? (size_t)n : 1);
	ok = d && n >= 0 && fread(d, 1, (size_t)n, f) == (size_t)n &&
	     (size_t)n == a->len && memcmp(d, a->data, a->len) == 0;
	free(d);
	fclose(f);
	return ok;
}

static void test_assets(void)
{
	static const struct {
		const char *path, *type, *file;
	} want[] = {
		{ "/static/lede.css", "text/css; charset=utf-8",
		  "web/assets/lede.css" },
		{ "/static/lede.js", "text/javascript; charset=utf-8",
		  "web/assets/lede.js" },
		{ "/static/icon.svg", "image/svg+xml", "web/assets/icon.svg" },
	};
	const web_asset *a;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		a = web_asset_find(want[i].path);
		CHECK(a != NULL);
		if (!a)
			continue;
		CHECK_STR(a->path, want[i].path);
		CHECK_STR(a->type, want[i].type);
		CHECK(a->data != NULL && a->len > 100);
		CHECK(same_as_file(a, want[i].file));
	}
	CHECK(web_asset_find("/static/../x") == NULL);
	CHECK(web_asset_find("/static/../web/assets/lede.css") == NULL);
	CHECK(web_asset_find("/static/lede.css/") == NULL);
	CHECK(web_asset_find("/static/LEDE.CSS") == NULL);
	CHECK(web_asset_find("/static/") == NULL);
	CHECK(web_asset_find("") == NULL);
	CHECK(web_asset_find(NULL) == NULL);

	a = web_asset_find("/static/lede.css");
	if (a) {
		/* the 21 bar heights the pages use instead of style="" */
		char cls[16];
		int missing = 0;

		for (int i = 0; i <= 20; i++) {
			snprintf(cls, sizeof(cls), ".h%d ", i);
			if (!memmem(a->data, a->len, cls, strlen(cls)))
				missing++;
		}
		CHECK_INT(missing, 0);
		CHECK(memmem(a->data, a->len, "prefers-color-scheme: dark",
			     26) != NULL);
		CHECK(memmem(a->data, a->len, "focus-visible", 13) != NULL);
	}
	a = web_asset_find("/static/lede.js");
	if (a) {
		CHECK(memmem(a->data, a->len, "innerHTML", 9) == NULL);
		CHECK(memmem(a->data, a->len, "eval(", 5) == NULL);
		CHECK(memmem(a->data, a->len, "/api/search", 11) != NULL);
		CHECK(memmem(a->data, a->len, "pushState", 9) != NULL);
	}
	a = web_asset_find("/static/icon.svg");
	if (a)
		CHECK(a->len > 4 && memcmp(a->data, "<svg", 4) == 0);
}

int main(void)
{
	test_escape();
	test_urlenc();
	test_results_page();
	test_front_and_errors();
	test_hostile();
	test_article();
	test_error_page();
	test_caps();
	test_assets();
	return t_done("test_page");
}
