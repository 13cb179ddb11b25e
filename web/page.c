/*
 * page.c - the HTML of the web interface (page.h): the search page, the
 * article page and the error page, rendered on the server.
 *
 * Owns nothing across calls. Every string that reaches the output comes
 * from an article, a query or the server's structs and is untrusted: it
 * goes through w_esc (attributes, headlines), w_text (snippets and
 * bodies, through snip_html) or w_enc (URLs), and is read only within
 * the lengths given; the fixed char arrays (dates, labels) are read with
 * strnlen so a missing NUL cannot run past them.
 *
 * The Content-Security-Policy the server sends forbids inline script
 * and style, so nothing here writes a <script> body, a style attribute
 * or an on* handler: bar heights are the classes h0..h20 of lede.css.
 *
 * The DOM is mirrored by lede.js, which re-renders the results region
 * from /api/search; a change to the markup of #results (status,
 * timeline, hits, pagination, empty state) or to the links' query
 * strings must be made in both places.
 *
 * Link query strings are q, sort, from, to, n, offset in that order;
 * sort is always written (a toggle must win over a sort: in the query),
 * from/to only when set, n only when not WEB_DEFAULT_N, offset only when
 * not 0, so shared URLs stay short.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "../searcher/search.h"
#include "page.h"

#define WEB_DEFAULT_N   10      /* hits per page when the URL says none */
#define WEB_PAGE_SPAN   2       /* page numbers either side of the current */
#define WEB_BAR_LEVELS  20      /* .h0 .. .h20 in lede.css */
#define WEB_BAR_LABELS  6       /* bar labels shown at most (the rest
				 * keep theirs for screen readers) */
#define WEB_TEXT_CHUNK  4096    /* bytes escaped per snip_html call */
#define DATE_LEN        10      /* "YYYY-MM-DD" */

static const char REPLACEMENT[] = "\xef\xbf\xbd";   /* U+FFFD */
static const char *const MONTHS[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * The writer: an output buffer with a sticky error. Rendering a page is
 * a few hundred appends; checking each one with a goto would bury the
 * markup, so every w_* call is a no-op once w->rc is set and the page
 * function returns w->rc at the end (w_finish), undoing its partial
 * output.
 */
typedef struct wr {
	buf *b;
	size_t start;         /* b->len on entry: restored on failure */
	buf tmp;              /* snip_html's output before it is copied */
	int rc;
} wr;

static void w_init(wr *w, buf *out)
{
	w->b = out;
	w->start = out ? out->len : 0;
	buf_init(&w->tmp);
	w->rc = out ? 0 : LEDE_EINVAL;
}

static int w_finish(wr *w)
{
	if (w->rc && w->b)
		w->b->len = w->start;
	buf_release(&w->tmp);
	return w->rc;
}

/*
 * Append p[0..n). buf_add reports its cap as LEDE_ENOMEM, the same as a
 * failed malloc; page.h promises LEDE_ETOOBIG for the cap, so the room
 * is checked here first.
 */
static void w_raw(wr *w, const void *p, size_t n)
{
	buf *b = w->b;

	if (w->rc || n == 0)
		return;
	if (b->len > b->limit || n > b->limit - b->len) {
		w->rc = LEDE_ETOOBIG;
		return;
	}
	w->rc = buf_add(b, p, n);
}

static void w_s(wr *w, const char *s)
{
	w_raw(w, s, strlen(s));
}

static void w_fmt(wr *w, const char *fmt, ...) LEDE_PRINTF(2, 3);
static void w_fmt(wr *w, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	if (w->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->rc = LEDE_EINVAL;   /* only numbers are formatted here */
		return;
	}
	w_raw(w, tmp, (size_t)n);
}

/* A count with thousands separated by commas: "12,345". */
static void w_count(wr *w, uint64_t v)
{
	char d[32], o[48];
	int n = snprintf(d, sizeof(d), "%llu", (unsigned long long)v);
	size_t k = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			o[k++] = ',';
		o[k++] = d[i];
	}
	w_raw(w, o, k);
}


/*
 * s[0..n) escaped for HTML text and quoted attributes. Tab, newline and
 * carriage return become a space rather than vanish, so "Oil\nprices"
 * does not read "Oilprices"; other C0/C1 controls and DEL are dropped.
 */
static void w_esc(wr *w, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, run = 0;

	if (w->rc)
		return;
	if (!s && n) {
		w->rc = LEDE_EINVAL;
		return;
	}
	while (i < n && !w->rc) {
		uint32_t cp = 0;
		size_t u = utf8_unit(p + i, n - i, &cp);
		const char *rep = NULL;

		if (u == 0) {
			rep = REPLACEMENT;
			u = 1;
		} else if (cp == '&') {
			rep = "&amp;";
		} else if (cp == '<') {
			rep = "&lt;";
		} else if (cp == '>') {
			rep = "&gt;";
		} else if (cp == '"') {
			rep = "&quot;";
		} else if (cp == '\'') {
			rep = "&#39;";
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			rep = " ";
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			rep = "";
		}
		if (rep) {
			w_raw(w, p + run, i - run);
			w_s(w, rep);
			run = i + u;
		}
		i += u;
	}
	w_raw(w, p + run, i - run);
}

/* A NUL-terminated string of at most max bytes, escaped. */
static void w_escz(wr *w, const char *s, size_t max)
{
	w_esc(w, s, strnlen(s, max));
}

/* s[0..n) percent-encoded: all but A-Z a-z 0-9 - . _ ~ (RFC 3986). */
static void w_enc(wr *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *p = (const uint8_t *)s;
	size_t run = 0;

	if (w->rc)
		return;
	if (!s && n) {
		w->rc = LEDE_EINVAL;
		return;
	}
	for (size_t i = 0; i < n && !w->rc; i++) {
		uint8_t c = p[i];
		char e[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			continue;
		w_raw(w, p + run, i - run);
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		w_raw(w, e, 3);
		run = i + 1;
	}
	w_raw(w, p + run, n - run);
}

/*
 * Text for element content through snip_html (the escaping the
 * snippets get everywhere else: tab and newline kept, other controls
 * dropped). It goes through w->tmp in chunks of WEB_TEXT_CHUNK bytes,
 * cut before a UTF-8 lead byte, so the temporary stays small even for
 * a 50 MB body and the cap of the real output is checked by w_raw.
 */
static void w_text(wr *w, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t at = 0;

	while (at < n && !w->rc) {
		size_t cut = n - at > WEB_TEXT_CHUNK ? at + WEB_TEXT_CHUNK : n;

		for (int k = 0; k < 3 && cut < n && cut > at + 1 &&
		     (p[cut] & 0xc0) == 0x80; k++)
			cut--;
		buf_clear(&w->tmp);
		w->rc = snip_html(s + at, cut - at, NULL, 0, &w->tmp);
		if (!w->rc)
			w_raw(w, w->tmp.data, w->tmp.len);
		at = cut;
	}
}

/*
 * text[a..e) with the spans that fall in it in <mark>; the first mark
 * of a page (*nth == 0) gets id="m1" when first_id is set, for the
 * article's "jump to first match" link. *k is the first span that may
 * still matter and only moves forward, so the paragraphs of a body
 * share one pass over its spans (given ascending, as snip makes them).
 * Spans are trusted to nothing: each is clipped to [a, e) and to the
 * end of the one before; one left empty is skipped.
 */
static void w_marked(wr *w, const char *text, size_t a, size_t e,
		     const snip_span *sp, size_t n, size_t *k, size_t *nth,
		     int first_id)
{
	size_t at = a;

	if (!sp)
		n = 0;
	while (*k < n && sp[*k].end <= a)
		(*k)++;
	for (size_t j = *k; j < n && !w->rc; j++) {
		size_t s = sp[j].start, t = sp[j].end;

		if (s >= e)
			break;
		if (s < at)
			s = at;
		if (t > e)
			t = e;
		if (s >= t)
			continue;
		w_text(w, text + at, s - at);
		w_s(w, first_id && *nth == 0 ? "<mark id=\"m1\">" : "<mark>");
		w_text(w, text + s, t - s);
		w_s(w, "</mark>");
		(*nth)++;
		at = t;
	}
	w_text(w, text + at, e - at);
}

/* ---- dates and URLs ---- */

static int is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int days_in(int y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				  30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Parse "YYYY-MM-DD" from a char[11]; 1 when it is a real date. */
static int date_parse(const char *d, int *y, int *m, int *day)
{
	if (strnlen(d, DATE_LEN + 1) != DATE_LEN || d[4] != '-' ||
	    d[7] != '-' || !is_digits(d, 4) || !is_digits(d + 5, 2) ||
	    !is_digits(d + 8, 2))
		return 0;
	*y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
	     (d[3] - '0');
	*m = (d[5] - '0') * 10 + (d[6] - '0');
	*day = (d[8] - '0') * 10 + (d[9] - '0');
	return *m >= 1 && *m <= 12 && *day >= 1 && *day <= days_in(*y, *m);
}

/* A date for people: <time datetime="2019-03-01">Mar 1, 2019</time>;
 * a date that does not parse is shown as it is, without <time>. */
static void w_date(wr *w, const char *d)
{
	int y, m, day;

	if (!date_parse(d, &y, &m, &day)) {
		w_s(w, "<span class=\"date\">");
		w_escz(w, d, DATE_LEN + 1);
		w_s(w, "</span>");
		return;
	}
	w_s(w, "<time datetime=\"");
	w_raw(w, d, DATE_LEN);
	w_fmt(w, "\">%s %d, %04d</time>", MONTHS[m - 1], day, y);
}

/*
 * The value for an <input type="date">, which takes only a full date:
 * a filter given as "2019" or "2019-03" (the query language allows it)
 * is shown as the first day (from) or the last day (to) it covers.
 * Anything else is shown empty, as the browser would show it.
 */
static void w_date_value(wr *w, const char *d, int is_to)
{
	size_t n = strnlen(d, DATE_LEN + 1);
	int y, m, day;

	if (n == DATE_LEN && date_parse(d, &y, &m, &day)) {
		w_raw(w, d, DATE_LEN);
		return;
	}
	if ((n != 4 && n != 7) || !is_digits(d, 4))
		return;
	y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
	    (d[3] - '0');
	if (n == 4) {
		w_fmt(w, "%04d-%s", y, is_to ? "12-31" : "01-01");
		return;
	}
	if (d[4] != '-' || !is_digits(d + 5, 2))
		return;
	m = (d[5] - '0') * 10 + (d[6] - '0');
	if (m < 1 || m > 12)
		return;
	w_fmt(w, "%04d-%02d-%02d", y, m, is_to ? days_in(y, m) : 1);
}

/*
 * The host of an http(s) URL, for display: userinfo and "www." left
 * out. 0 when url is not http(s): such a URL is shown, never made a
 * link, so an article's "javascript:" URL cannot become an href.
 */
static int url_host(const char *u, size_t n, const char **h, size_t *hl)
{
	size_t i, s, e;

	if (!u)
		return 0;
	if (n >= 7 && strncasecmp(u, "http://", 7) == 0)
		s = 7;
	else if (n >= 8 && strncasecmp(u, "https://", 8) == 0)
		s = 8;
	else
		return 0;
	for (e = s; e < n && u[e] != '/' && u[e] != '?' && u[e] != '#'; e++)
		;
	for (i = s; i < e; i++)
		if (u[i] == '@')
			s = i + 1;
	if (e - s > 4 && strncasecmp(u + s, "www.", 4) == 0)
		s += 4;
	if (s == e)
		return 0;
	*h = u + s;
	*hl = e - s;
	return 1;
}

/* ---- links ---- */

/* Where a link of the search page goes: the page's state, changed. */
typedef struct where {
	int sort;
	const char *from, *to;   /* char[11], "" = open */
	size_t offset;
} where;

static where here(const web_results *r)
{
	where h = { r->sort, r->from, r->to, r->offset };

	return h;
}

static size_t per_page(const web_results *r)
{
	if (r->n == 0)
		return WEB_DEFAULT_N;
	return r->n < SRCH_MAX_K ? r->n : SRCH_MAX_K;
}

/* href="/?q=...&amp;sort=...", in the order of the file header. */
static void w_href(wr *w, const web_results *r, const where *to)
{
	size_t fl = strnlen(to->from, DATE_LEN + 1);
	size_t tl = strnlen(to->to, DATE_LEN + 1);
	size_t n = per_page(r);

	w_s(w, "href=\"/?q=");
	w_enc(w, r->q, r->q_len);
	w_s(w, to->sort ? "&amp;sort=date" : "&amp;sort=relevance");
	if (fl) {
		w_s(w, "&amp;from=");
		w_enc(w, to->from, fl);
	}
	if (tl) {
		w_s(w, "&amp;to=");
		w_enc(w, to->to, tl);
	}
	if (n != WEB_DEFAULT_N)
		w_fmt(w, "&amp;n=%zu", n);
	if (to->offset)
		w_fmt(w, "&amp;offset=%zu", to->offset);
	w_s(w, "\"");
}

/* ---- the frame every page shares ---- */

static void w_head(wr *w, const char *title, size_t tlen, int with_suffix,
		   const char *body_class)
{
	w_s(w, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	       "<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, "
	       "initial-scale=1\">\n"
	       "<meta name=\"color-scheme\" content=\"light dark\">\n"
	       /* Outbound links must not tell a site what was searched. */
	       "<meta name=\"referrer\" content=\"same-origin\">\n"
	       "<title>");
	w_esc(w, title, tlen);
	if (with_suffix)
		w_s(w, " \xe2\x80\x93 lede");
	w_s(w, "</title>\n"
	       "<link rel=\"stylesheet\" href=\"/static/lede.css\">\n"
	       "<link rel=\"icon\" href=\"/static/icon.svg\">\n"
	       "<link rel=\"search\" "
	       "type=\"application/opensearchdescription+xml\" "
	       "href=\"/opensearch.xml\" title=\"lede\">\n"
	       "<script src=\"/static/lede.js\" defer></script>\n"
	       "</head>\n<body class=\"");
	w_s(w, body_class);
	w_s(w, "\">\n");
}

static void w_brand(wr *w)
{
	w_s(w, "<a class=\"brand\" href=\"/\"><img src=\"/static/icon.svg\" "
	       "alt=\"\" width=\"28\" height=\"28\"><span>lede</span>"
	       "<span class=\"visually-hidden\"> home</span></a>\n");
}

/* The search box; autofocus only where searching is the point. */
static void w_searchbox(wr *w, const char *q, size_t q_len, int autofocus)
{
	w_s(w, "<div class=\"searchrow\">\n<input type=\"search\" name=\"q\" "
	       "id=\"q\" value=\"");
	w_esc(w, q, q_len);
	w_s(w, "\"");
	if (autofocus)
		w_s(w, " autofocus");
	w_s(w, " aria-label=\"Search the archive\" "
	       "placeholder=\"Search the archive\" autocomplete=\"off\" "
	       "autocapitalize=\"off\" spellcheck=\"false\" "
	       "enterkeyhint=\"search\"");
	w_fmt(w, " maxlength=\"%d\">\n", SRCH_MAX_QUERY_BYTES);
	w_s(w, "<button type=\"submit\">Search</button>\n</div>\n");
}

static void w_footer(wr *w)
{
	w_s(w, "<footer><div class=\"wrap\">lede \xc2\xb7 full-text search "
	       "of the news archive \xc2\xb7 press <kbd>/</kbd> to search"
	       "</div></footer>\n</body>\n</html>\n");
}

/* ---- the search page ---- */

static void w_filters(wr *w, const web_results *r)
{
	where rel = here(r), date = here(r), nodates = here(r);
	int dated = r->from[0] || r->to[0];

	rel.sort = 0;
	date.sort = 1;
	rel.offset = date.offset = nodates.offset = 0;
	nodates.from = nodates.to = "";

	w_s(w, "<div class=\"filters\">\n<span class=\"toggle\" "
	       "id=\"sort-toggle\" role=\"group\" aria-label=\"Sort\">");
	w_s(w, "<a data-sort=\"relevance\" ");
	w_href(w, r, &rel);
	w_s(w, r->sort ? ">" : " aria-current=\"true\">");
	w_s(w, "Relevance</a><a data-sort=\"date\" ");
	w_href(w, r, &date);
	w_s(w, r->sort ? " aria-current=\"true\">" : ">");
	w_s(w, "Newest</a></span>\n");
	/* Only a non-default sort travels with the form: a sort:date typed
	 * into the box must not be overridden by a hidden "relevance". */
	if (r->sort)
		w_s(w, "<input type=\"hidden\" name=\"sort\" "
		       "value=\"date\">\n");
	if (per_page(r) != WEB_DEFAULT_N)
		w_fmt(w, "<input type=\"hidden\" name=\"n\" value=\"%zu\">\n",
		      per_page(r));
	w_s(w, "<span class=\"dates\"><label for=\"from\">From</label> "
	       "<input type=\"date\" name=\"from\" id=\"from\" value=\"");
	w_date_value(w, r->from, 0);
	w_s(w, "\"> <label for=\"to\">to</label> <input type=\"date\" "
	       "name=\"to\" id=\"to\" value=\"");
	w_date_value(w, r->to, 1);
	w_s(w, "\">");
	if (dated) {
		w_s(w, " <a class=\"clear\" ");
		w_href(w, r, &nodates);
		w_s(w, ">Any date</a>");
	}
	w_s(w, "</span>\n</div>\n");
}

static void w_timeline(wr *w, const web_results *r)
{
	uint64_t max = 0;
	size_t step = (r->nbars + WEB_BAR_LABELS - 1) / WEB_BAR_LABELS;
	int monthly;

	if (!r->bars || r->nbars == 0)
		return;
	for (size_t i = 0; i < r->nbars; i++)
		if (r->bars[i].count > max)
			max = r->bars[i].count;
	monthly = strnlen(r->bars[0].label, sizeof(r->bars[0].label)) > 4;
	w_s(w, "<section id=\"timeline\" class=\"timeline\" "
	       "aria-labelledby=\"timeline-heading\">\n"
	       "<h3 id=\"timeline-heading\">Matches by ");
	w_s(w, monthly ? "month" : "year");
	w_s(w, "</h3>\n<ol class=\"bars\">\n");
	for (size_t i = 0; i < r->nbars && !w->rc; i++) {
		const web_bar *b = &r->bars[i];
		size_t ll = strnlen(b->label, sizeof(b->label));
		where to = here(r);
		int level = 0, on;

		if (b->count && max)
			level = (int)ceil((double)WEB_BAR_LEVELS *
					  (double)b->count / (double)max);
		if (level > WEB_BAR_LEVELS)
			level = WEB_BAR_LEVELS;
		to.from = b->from;
		to.to = b->to;
		to.offset = 0;
		on = b->from[0] &&
		     strncmp(b->from, r->from, sizeof(b->from)) == 0 &&
		     strncmp(b->to, r->to, sizeof(b->to)) == 0;
		w_s(w, i % step ? "<li><a class=\"bar minor\" " :
			"<li><a class=\"bar\" ");
		w_href(w, r, &to);
		if (on)
			w_s(w, " aria-current=\"true\"");
		/* aria-label and title say the same: one for screen
		 * readers, one for a mouse pointer. */
		for (int pass = 0; pass < 2; pass++) {
			w_s(w, pass ? " title=\"" : " aria-label=\"");
			w_esc(w, b->label, ll);
			w_s(w, ": ");
			w_count(w, b->count);
			w_s(w, b->count == 1 ? " match\"" : " matches\"");
		}
		w_fmt(w, "><span class=\"col\"><span class=\"fill h%d\">"
		      "</span></span><span class=\"lbl\" aria-hidden=\"true\">",
		      level);
		w_esc(w, b->label, ll);
		w_s(w, "</span></a></li>\n");
	}
	w_s(w, "</ol>\n</section>\n");
}

static void w_hit(wr *w, const web_results *r, const web_hit *h)
{
	const char *host;
	size_t hl, k = 0, nth = 0;
	int dated = strnlen(h->date, sizeof(h->date)) > 0;
	int linked = url_host(h->url, h->url_len, &host, &hl);

	w_s(w, "<li class=\"hit\">\n<h3><a class=\"title");
	w_s(w, h->title_len ? "\" href=\"/article/" :
		" untitled\" href=\"/article/");
	w_enc(w, h->id, h->id_len);
	if (r->q_len) {
		w_s(w, "?q=");
		w_enc(w, r->q, r->q_len);
	}
	w_s(w, "\">");
	/* A headline-less article is shown by its id, which is what the
	 * archive calls it. */
	if (h->title_len)
		w_esc(w, h->title, h->title_len);
	else
		w_esc(w, h->id, h->id_len);
	w_s(w, "</a></h3>\n");
	if (dated || linked) {
		w_s(w, "<p class=\"meta\">");
		if (dated)
			w_date(w, h->date);
		if (linked) {
			w_s(w, "<a class=\"source\" href=\"");
			w_esc(w, h->url, h->url_len);
			w_s(w, "\" rel=\"noopener noreferrer\">");
			w_esc(w, host, hl);
			w_s(w, "</a>");
		}
		w_s(w, "</p>\n");
	}
	w_s(w, "<p class=\"snippet\">");
	if (!h->snippet && h->snippet_len)
		w->rc = w->rc ? w->rc : LEDE_EINVAL;
	else
		w_marked(w, h->snippet, 0, h->snippet_len, h->marks,
			 h->nmarks, &k, &nth, 0);
	w_s(w, "</p>\n</li>\n");
}

/* One page number: a link, aria-current on the page shown. */
static void w_pagenum(wr *w, const web_results *r, size_t p, size_t cur)
{
	where to = here(r);

	to.offset = (p - 1) * per_page(r);
	w_s(w, "<a class=\"num\" ");
	w_href(w, r, &to);
	if (p == cur)
		w_s(w, " aria-current=\"page\"");
	w_fmt(w, " aria-label=\"Page %zu\">%zu</a>\n", p, p);
}

static void w_gap(wr *w)
{
	w_s(w, "<span class=\"gap\" aria-hidden=\"true\">"
	       "\xe2\x80\xa6</span>\n");
}

/*
 * Previous, the first and last page numbers and those around the
 * current one, Next. Pages past SRCH_MAX_K (offset + n over the
 * search's cap) are not offered: the search would refuse them. An
 * offset over the cap (a hand-made URL) is taken as the cap, so the
 * arithmetic below cannot overflow.
 */
static void w_pages(wr *w, const web_results *r)
{
	size_t n = per_page(r);
	size_t off = r->offset < SRCH_MAX_K ? r->offset : SRCH_MAX_K;
	uint64_t npages = r->total / n + (r->total % n != 0);
	size_t reach = SRCH_MAX_K / n;   /* pages the cap lets us show */
	size_t cur = off / n + 1, last, lo, hi;
	int prev = off > 0;
	int next = off < r->total && r->total - off > n &&
		   2 * n <= SRCH_MAX_K && off <= SRCH_MAX_K - 2 * n;
	where to = here(r);

	last = npages < reach ? (size_t)npages : reach;
	if (last < cur)
		last = cur;
	if (r->total == 0 || (!prev && !next && last <= 1))
		return;
	w_s(w, "<nav id=\"pages\" class=\"pages\" aria-label=\"Pages\">\n");
	if (prev) {
		to.offset = off > n ? off - n : 0;
		w_s(w, "<a rel=\"prev\" ");
		w_href(w, r, &to);
		w_s(w, "><span aria-hidden=\"true\">\xe2\x80\xb9</span> "
		       "Previous</a>\n");
	}
	lo = cur > WEB_PAGE_SPAN + 2 ? cur - WEB_PAGE_SPAN : 2;
	hi = cur + WEB_PAGE_SPAN < last ? cur + WEB_PAGE_SPAN : last - 1;
	/* A gap that would hide one page shows the page instead. */
	if (lo == 3)
		lo = 2;
	if (hi + 2 == last)
		hi = last - 1;
	w_pagenum(w, r, 1, cur);
	if (lo > 2)
		w_gap(w);
	for (size_t p = lo; p <= hi && !w->rc; p++)
		w_pagenum(w, r, p, cur);
	if (hi + 1 < last)
		w_gap(w);
	if (last > 1)
		w_pagenum(w, r, last, cur);
	if (next) {
		to.offset = off + n;
		w_s(w, "<a rel=\"next\" ");
		w_href(w, r, &to);
		w_s(w, ">Next <span aria-hidden=\"true\">\xe2\x80\xba</span>"
		       "</a>\n");
	}
	w_s(w, "</nav>\n");
}

static void w_empty(wr *w, const web_results *r)
{
	where to = here(r);

	w_s(w, "<div class=\"empty\" id=\"empty\">\n");
	if (r->total > 0) {
		/* Paged past the end (an old link, a hand-made offset). */
		to.offset = 0;
		w_s(w, "<h2>No more results</h2>\n<p>There are ");
		w_count(w, r->total);
		w_s(w, r->total == 1 ? " result" : " results");
		w_s(w, " on earlier pages. <a ");
		w_href(w, r, &to);
		w_s(w, ">Go to the first page</a>.</p>\n</div>\n");
		return;
	}
	w_s(w, "<h2>No articles match <q>");
	w_esc(w, r->q, r->q_len);
	w_s(w, "</q></h2>\n<ul>\n"
	       "<li>Try fewer words, or more general ones.</li>\n"
	       "<li>Check the spelling, or search a prefix: "
	       "<code>sanction*</code>.</li>\n"
	       "<li>Drop <code>title:</code>, <code>-word</code>, "
	       "quotes or <code>from:</code>/<code>to:</code> from the "
	       "query.</li>\n");
	if (r->from[0] || r->to[0]) {
		to.from = to.to = "";
		to.offset = 0;
		w_s(w, "<li>Remove the date filter: <a ");
		w_href(w, r, &to);
		w_s(w, ">search all dates</a>.</li>\n");
	}
	w_s(w, "</ul>\n</div>\n");
}

static const struct {
	const char *q, *what;
} EXAMPLES[] = {
	{ "nso pegasus", "any of the words, best matches first" },
	{ "\"oil prices\" sort:date", "an exact phrase, newest first" },
	{ "title:opec", "only in headlines" },
	{ "sanction*", "words starting with sanction" },
	{ "khashoggi -saudi from:2019", "leave a word out, from 2019 on" },
};

static void w_intro(wr *w, const web_results *r)
{
	w_s(w, "<section class=\"intro\" aria-labelledby=\"intro-heading\">\n"
	       "<h2 id=\"intro-heading\" class=\"lead\">Search ");
	w_count(w, r->ndocs);
	w_s(w, r->ndocs == 1 ? " article</h2>\n" : " articles</h2>\n");
	w_s(w, "<ul class=\"examples\" aria-label=\"Example searches\">\n");
	for (size_t i = 0; i < sizeof(EXAMPLES) / sizeof(EXAMPLES[0]); i++) {
		size_t ql = strlen(EXAMPLES[i].q);

		w_s(w, "<li><a href=\"/?q=");
		w_enc(w, EXAMPLES[i].q, ql);
		w_s(w, "\"><code>");
		w_esc(w, EXAMPLES[i].q, ql);
		w_s(w, "</code><span>");
		w_s(w, EXAMPLES[i].what);
		w_s(w, "</span></a></li>\n");
	}
	w_s(w, "</ul>\n<p class=\"hint\">Words match in any form: "
	       "<q>sanctions</q> finds <q>sanctioned</q>. Press <kbd>/</kbd> "
	       "to jump to the search box.</p>\n</section>\n");
}

static void w_results(wr *w, const web_results *r)
{
	w_s(w, "<h2 id=\"results-heading\" class=\"visually-hidden\" "
	       "tabindex=\"-1\">Search results</h2>\n");
	if (r->error) {
		w_s(w, "<div class=\"alert\" role=\"alert\">");
		w_escz(w, r->error, SIZE_MAX);
		w_s(w, "</div>\n");
		return;
	}
	w_s(w, "<p id=\"status\" class=\"status\">");
	w_count(w, r->total);
	w_s(w, r->total == 1 ? " result (" : " results (");
	{
		double ms = r->took_ms;

		if (!(ms >= 0))
			ms = 0;     /* NaN or negative: a clock step */
		if (ms > 1e9)
			ms = 1e9;
		if (ms < 10)
			w_fmt(w, "%.1f", ms);
		else
			w_fmt(w, "%.0f", ms);
	}
	w_s(w, " ms)</p>\n");
	w_timeline(w, r);
	if (r->nhits == 0 || !r->hits) {
		w_empty(w, r);
	} else {
		w_fmt(w, "<ol id=\"hits\" class=\"hits\" start=\"%zu\">\n",
		      r->offset + 1);
		for (size_t i = 0; i < r->nhits && !w->rc; i++)
			w_hit(w, r, &r->hits[i]);
		w_s(w, "</ol>\n");
	}
	w_pages(w, r);
}

int web_page_search(const web_results *r, buf *out)
{
	wr w;

	w_init(&w, out);
	if (!r || (!r->q && r->q_len))
		w.rc = w.rc ? w.rc : LEDE_EINVAL;
	if (w.rc)
		return w_finish(&w);
	if (r->searched && r->q_len)
		w_head(&w, r->q, r->q_len, 1, "search");
	else
		w_head(&w, "lede \xe2\x80\x93 search the news archive",
		       strlen("lede \xe2\x80\x93 search the news archive"), 0,
		       r->searched ? "search" : "search front");
	w_s(&w, "<a class=\"skip\" href=\"#results\">Skip to results</a>\n"
		"<header class=\"masthead\"><div class=\"wrap\">\n");
	w_brand(&w);
	if (!r->searched)
		w_s(&w, "<p class=\"tagline\">Full-text search of the news "
			"archive</p>\n");
	w_s(&w, "<form id=\"search\" role=\"search\" action=\"/\" "
		"method=\"get\">\n");
	w_searchbox(&w, r->q, r->q_len, 1);
	w_filters(&w, r);
	w_s(&w, "</form>\n</div></header>\n"
		"<div id=\"live\" class=\"visually-hidden\" "
		"aria-live=\"polite\" "
		"aria-atomic=\"true\"></div>\n"
		"<main id=\"main\"><div class=\"wrap\">\n"
		"<section id=\"results\" tabindex=\"-1\" "
		"aria-labelledby=\"results-heading\">\n");
	if (r->searched)
		w_results(&w, r);
	else
		w_intro(&w, r);
	w_s(&w, "</section>\n</div></main>\n");
	w_footer(&w);
	return w_finish(&w);
}

/* ---- the article page ---- */

static int is_hspace(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The body as paragraphs: a blank line (a newline, white space, a
 * newline) ends one; each is trimmed and an empty one skipped. Marks
 * are offsets into the whole body; w_marked cuts them per paragraph.
 */
static void w_body(wr *w, const web_article *a)
{
	const uint8_t *t = (const uint8_t *)a->body;
	size_t p = 0, len = a->body_len, k = 0, nth = 0, shown = 0;

	while (p < len && !w->rc) {
		size_t brk = len, next = len, s, e;

		for (size_t i = p; i < len; i++) {
			size_t j = i + 1;

			if (t[i] != '\n')
				continue;
			while (j < len && is_hspace(t[j]))
				j++;
			if (j < len && t[j] == '\n') {
				brk = i;
				while (j < len && (t[j] == '\n' ||
						   is_hspace(t[j])))
					j++;
				next = j;
				break;
			}
		}
		for (s = p; s < brk && (is_hspace(t[s]) || t[s] == '\n'); s++)
			;
		for (e = brk; e > s && (is_hspace(t[e - 1]) ||
					t[e - 1] == '\n'); e--)
			;
		if (s < e) {
			w_s(w, "<p>");
			w_marked(w, a->body, s, e, a->marks, a->nmarks, &k,
				 &nth, 1);
			w_s(w, "</p>\n");
			shown++;
		}
		p = next;
	}
	if (!shown)
		w_s(w, "<p class=\"untitled\">This article has no text.</p>\n");
}

int web_page_article(const web_article *a, buf *out)
{
	const char *host;
	size_t hl;
	int linked, dated;
	wr w;

	w_init(&w, out);
	if (!a || (!a->id && a->id_len) || (!a->title && a->title_len) ||
	    (!a->url && a->url_len) || (!a->source && a->source_len) ||
	    (!a->body && a->body_len) || (!a->q && a->q_len))
		w.rc = w.rc ? w.rc : LEDE_EINVAL;
	if (w.rc)
		return w_finish(&w);
	linked = url_host(a->url, a->url_len, &host, &hl);
	dated = strnlen(a->date, sizeof(a->date)) > 0;

	if (a->title_len)
		w_head(&w, a->title, a->title_len, 1, "article-page");
	else
		w_head(&w, a->id, a->id_len, 1, "article-page");
	w_s(&w, "<a class=\"skip\" href=\"#article\">Skip to article</a>\n"
		"<header class=\"masthead\"><div class=\"wrap\">\n");
	w_brand(&w);
	w_s(&w, "<form id=\"search\" role=\"search\" action=\"/\" "
		"method=\"get\">\n");
	w_searchbox(&w, a->q, a->q_len, 0);
	w_s(&w, "</form>\n</div></header>\n"
		"<main id=\"main\"><div class=\"wrap\">\n");
	if (a->q_len) {
		w_s(&w, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\">"
			"<a id=\"back\" href=\"/?q=");
		w_enc(&w, a->q, a->q_len);
		w_s(&w, "\"><span aria-hidden=\"true\">\xe2\x86\x90</span> "
			"Back to results</a></nav>\n");
	}
	w_s(&w, "<article id=\"article\" tabindex=\"-1\">\n<header>\n");
	if (a->title_len) {
		w_s(&w, "<h1>");
		w_esc(&w, a->title, a->title_len);
	} else {
		w_s(&w, "<h1 class=\"untitled\">");
		w_esc(&w, a->id, a->id_len);
	}
	w_s(&w, "</h1>\n");
	if (dated || linked || a->source_len || a->url_len) {
		w_s(&w, "<p class=\"meta\">");
		if (dated)
			w_date(&w, a->date);
		if (linked) {
			w_s(&w, "<a class=\"source\" href=\"");
			w_esc(&w, a->url, a->url_len);
			w_s(&w, "\" rel=\"noopener noreferrer\">Original at ");
			w_esc(&w, host, hl);
			w_s(&w, "</a>");
		} else if (a->source_len || a->url_len) {
			/* Not a web link: the file it came from, as text. */
			w_s(&w, "<span class=\"source\">");
			if (a->source_len)
				w_esc(&w, a->source, a->source_len);
			else
				w_esc(&w, a->url, a->url_len);
			w_s(&w, "</span>");
		}
		w_s(&w, "</p>\n");
	}
	if (a->marks && a->nmarks) {
		w_s(&w, "<p class=\"matches\"><a href=\"#m1\">Jump to the "
			"first match</a> (");
		w_count(&w, a->nmarks);
		w_s(&w, a->nmarks == 1 ? " highlight)</p>\n" :
			" highlights)</p>\n");
	}
	w_s(&w, "</header>\n<div class=\"body\">\n");
	w_body(&w, a);
	w_s(&w, "</div>\n</article>\n</div></main>\n");
	w_footer(&w);
	return w_finish(&w);
}

/* ---- the error page ---- */

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad request";
	case 403: return "Forbidden";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 406: return "Not acceptable";
	case 408: return "Request timeout";
	case 413: return "Request too large";
	case 414: return "Address too long";
	case 429: return "Too many requests";
	case 500: return "Internal server error";
	case 501: return "Not implemented";
	case 503: return "Service unavailable";
	}
	return status >= 500 ? "Server error" : "Error";
}

int web_page_error(int status, const char *msg, buf *out)
{
	const char *what;
	char title[64];
	int tl;
	wr w;

	w_init(&w, out);
	if (w.rc)
		return w_finish(&w);
	if (status < 100 || status > 999)
		status = 500;
	what = status_text(status);
	tl = snprintf(title, sizeof(title), "%d %s", status, what);
	w_head(&w, title, (size_t)tl, 1, "error-page");
	w_s(&w, "<header class=\"masthead\"><div class=\"wrap\">\n");
	w_brand(&w);
	w_s(&w, "<form id=\"search\" role=\"search\" action=\"/\" "
		"method=\"get\">\n");
	w_searchbox(&w, "", 0, 0);
	w_s(&w, "</form>\n</div></header>\n"
		"<main id=\"main\"><div class=\"wrap\">\n");
	w_fmt(&w, "<h1><span class=\"code\">%d</span> %s</h1>\n", status,
	      what);
	if (msg && *msg) {
		w_s(&w, "<p class=\"alert\" role=\"alert\">");
		w_escz(&w, msg, SIZE_MAX);
		w_s(&w, "</p>\n");
	}
	w_s(&w, "<p><a href=\"/\">Go to the search page</a></p>\n"
		"</div></main>\n");
	w_footer(&w);
	return w_finish(&w);
}

/* ---- the escapers on their own ---- */

int web_escape(const char *s, size_t n, buf *out)
{
	wr w;

	w_init(&w, out);
	w_esc(&w, s, n);
	return w_finish(&w);
}

int web_urlenc(const char *s, size_t n, buf *out)
{
	wr w;

	w_init(&w, out);
	w_enc(&w, s, n);
	return w_finish(&w);
}
