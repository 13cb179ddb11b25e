/*
 * rd_html.c - article text and metadata out of an HTML page, with
 * libxml2's forgiving HTML parser. Used by rd_file.c for .html/.htm.
 *
 * Metadata: title from <meta property="og:title">, else <title>, else the
 * first <h1>; date from article:published_time (or a name=date/pubdate
 * style meta), else the first <time datetime>; url from og:url, else
 * <link rel="canonical">.
 *
 * Text: the <body> in document order, minus elements that are chrome,
 * code or forms (script, style, nav, header, footer, aside, ...). Block
 * elements end a paragraph ("\n\n" in the output); other whitespace runs
 * collapse to one space.
 *
 * Safety: the parser never touches the network (HTML_PARSE_NONET) and is
 * left at its default depth limit of 256 (RD_HTML_MAX_DEPTH; no
 * HTML_PARSE_HUGE, whose unbounded element stack makes each stray end
 * tag cost a scan of it). At that depth libxml2 halts and returns the
 * tree built so far; such a page is refused (LEDE_ETOOBIG) rather than
 * indexed without the rest of its text. The tree walks here follow
 * parent/next pointers instead of recursing, so depth costs no stack.
 */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include "reader.h"
#include "../common/buf.h"

/* Defined here, called from rd_file.c (declared there: the module has no
 * private header). Fills title, url and body as NUL-terminated strings
 * and *date (0 if none). 0, LEDE_ENOMEM, LEDE_EPARSE, or LEDE_ETOOBIG
 * when the parser stopped early (elements nested over
 * RD_HTML_MAX_DEPTH deep): the text would be incomplete. */
int rd_html_extract(const char *data, size_t n, buf *title, buf *url,
		    int32_t *date, buf *body);

#define CHARSET_SCAN 4096   /* meta charset must be early in the page */

static const char *const skip_tags[] = {
	"script", "style", "noscript", "nav", "header", "footer", "aside",
	"form", "template", "svg", "iframe", "head", "object", "canvas",
	"select", "button", "math", NULL
};

static const char *const block_tags[] = {
	"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br",
	"article", "section", "blockquote", "tr", "pre", "ul", "ol", "dl",
	"dt", "dd", "table", "main", "figure", "figcaption", "hr",
	"address", "caption", NULL
};

/* Cells and options: a word boundary but not a paragraph. */
static const char *const space_tags[] = { "td", "th", "option", NULL };

static const char *const date_metas[] = {
	"article:published_time", "og:published_time", "date", "pubdate",
	"publishdate", "publish-date", "publish_date", "dc.date",
	"dc.date.issued", "dcterms.created", "datepublished",
	"parsely-pub-date", "sailthru.date", NULL
};

static int in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcasecmp(*l, s) == 0)
			return 1;
	return 0;
}

static int is_el(const xmlNode *nd, const char *name)
{
	return nd->type == XML_ELEMENT_NODE &&
	       strcasecmp((const char *)nd->name, name) == 0;
}

/* Attribute value or NULL; the caller xmlFree()s it. */
static char *attr(const xmlNode *nd, const char *name)
{
	return (char *)xmlGetProp(nd, (const xmlChar *)name);
}

/* Next node in document order below root; skips nd's subtree if asked. */
static xmlNode *walk_next(xmlNode *nd, const xmlNode *root, int skip_kids)
{
	if (!skip_kids && nd->children)
		return nd->children;
	while (nd && nd != root) {
		if (nd->next)
			return nd->next;
		nd = nd->parent;
	}
	return NULL;
}

/* Text writer: collapses whitespace and places paragraph breaks. */
typedef struct tw {
	buf *b;
	int space, para, rc;
} tw;

static void tw_text(tw *w, const unsigned char *s)
{
	for (; *s && !w->rc; s++) {
		unsigned char c = *s;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			w->space = 1;
			continue;
		}
		if (c == 0xC2 && s[1] == 0xA0) {   /* no-break space */
			w->space = 1;
			s++;
			continue;
		}
		if (w->b->len && w->para)
			w->rc = buf_add(w->b, "\n\n", 2);
		else if (w->b->len && w->space)
			w->rc = buf_addc(w->b, ' ');
		w->space = w->para = 0;
		if (!w->rc)
			w->rc = buf_addc(w->b, c);
	}
}

/* Whitespace-collapsed text content of one element into out. */
static int node_text(xmlNode *nd, buf *out)
{
	xmlChar *s = xmlNodeGetContent(nd);
	tw w = { out, 0, 0, 0 };

	buf_clear(out);
	if (s) {
		tw_text(&w, s);
		xmlFree(s);
	}
	return w.rc ? w.rc : buf_nul(out);
}

static int set_str(buf *out, const char *s)
{
	tw w = { out, 0, 0, 0 };

	buf_clear(out);
	tw_text(&w, (const unsigned char *)s);
	return w.rc ? w.rc : buf_nul(out);
}

typedef struct meta {
	int have_og_title, have_title, have_h1, have_og_url, have_canon;
	int date_rank;   /* 3 published_time, 2 other meta, 1 <time> */
} meta;

static int on_meta(xmlNode *nd, meta *m, buf *title, buf *url,
		   int32_t *date)
{
	char *key = attr(nd, "property"), *content = attr(nd, "content");
	int rc = 0;
	int32_t d;

	if (!key)
		key = attr(nd, "name");
	if (!key)
		key = attr(nd, "itemprop");
	if (!key || !content)
		goto out;
	if (strcasecmp(key, "og:title") == 0 && !m->have_og_title) {
		rc = set_str(title, content);
		m->have_og_title = title->len > 0;
	} else if (strcasecmp(key, "og:url") == 0 && !m->have_og_url) {
		rc = set_str(url, content);
		m->have_og_url = url->len > 0;
	} else if (in_list(date_metas, key) && m->date_rank < 3 &&
		   rd_parse_date(content, &d) == 0) {
		int rank = strcasecmp(key, "article:published_time") == 0 ? 3
									   : 2;
		if (rank > m->date_rank) {
			*date = d;
			m->date_rank = rank;
		}
	}
out:
	xmlFree(key);
	xmlFree(content);
	return rc;
}

static int collect_meta(xmlNode *root, buf *title, buf *url, int32_t *date)
{
	meta m;
	xmlNode *nd;
	int rc = 0;
	int32_t d;

	memset(&m, 0, sizeof(m));
	for (nd = root; nd && !rc; nd = walk_next(nd, root, 0)) {
		if (nd->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(nd, "meta")) {
			rc = on_meta(nd, &m, title, url, date);
		} else if (is_el(nd, "title") && !m.have_og_title &&
			   !m.have_title) {
			rc = node_text(nd, title);
			m.have_title = title->len > 0;
		} else if (is_el(nd, "h1") && !m.have_og_title &&
			   !m.have_title && !m.have_h1) {
			rc = node_text(nd, title);
			m.have_h1 = title->len > 0;
		} else if (is_el(nd, "link") && !m.have_og_url &&
			   !m.have_canon) {
			char *rel = attr(nd, "rel"), *href = attr(nd, "href");
			if (rel && href && strcasecmp(rel, "canonical") == 0) {
				rc = set_str(url, href);
				m.have_canon = url->len > 0;
			}
			xmlFree(rel);
			xmlFree(href);
		} else if (is_el(nd, "time") && m.date_rank == 0) {
			char *dt = attr(nd, "datetime");
			if (dt && rd_parse_date(dt, &d) == 0) {
				*date = d;
				m.date_rank = 1;
			}
			xmlFree(dt);
		}
	}
	return rc;
}

static xmlNode *find_body(xmlNode *root)
{
	for (xmlNode *nd = root; nd; nd = walk_next(nd, root, 0))
		if (is_el(nd, "body"))
			return nd;
	return root;
}

static int collect_text(xmlNode *root, buf *body)
{
	tw w = { body, 0, 0, 0 };
	xmlNode *nd = root;

	buf_clear(body);
	while (nd && !w.rc) {
		int skip = 0;

		if (nd->type == XML_TEXT_NODE ||
		    nd->type == XML_CDATA_SECTION_NODE) {
			if (nd->content)
				tw_text(&w, nd->content);
		} else if (nd->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)nd->name;
			if (nd != root && in_list(skip_tags, name)) {
				skip = 1;
				w.space = 1;
			} else if (in_list(block_tags, name)) {
				w.para = 1;
			} else if (in_list(space_tags, name)) {
				w.space = 1;
			}
		} else {
			skip = 1;   /* comments, PIs, entity refs */
		}
		if (!skip && nd->children) {
			nd = nd->children;
			continue;
		}
		/* Climbing out: a block's end is a paragraph end too, so
		 * "<div>a</div>b" does not run a and b together. */
		while (nd && nd != root && !nd->next) {
			nd = nd->parent;
			if (nd && nd->type == XML_ELEMENT_NODE &&
			    in_list(block_tags, (const char *)nd->name))
				w.para = 1;
		}
		nd = nd && nd != root ? nd->next : NULL;
	}
	return w.rc ? w.rc : buf_nul(body);
}

/* The encoding to tell libxml2: the page's own <meta charset> when it has
 * one, else UTF-8. libxml2 2.9 would otherwise guess ISO-8859-1 for an
 * undeclared page and garble UTF-8 text. */
static const char *guess_encoding(const char *data, size_t n, char *enc,
				  size_t cap)
{
	size_t lim = n < CHARSET_SCAN ? n : CHARSET_SCAN;

	for (size_t i = 0; i + 7 < lim; i++) {
		size_t j, k = 0;
		xmlCharEncodingHandlerPtr h;

		if (strncasecmp(data + i, "charset", 7) != 0)
			continue;
		j = i + 7;
		while (j < lim && (data[j] == ' ' || data[j] == '='
				   || data[j] == '"' || data[j] == '\''))
			j++;
		while (j < lim && k + 1 < cap &&
		       (isalnum((unsigned char)data[j]) || data[j] == '-' ||
			data[j] == '_' || data[j] == '.' || data[j] == ':'))
			enc[k++] = data[j++];
		enc[k] = 0;
		if (k == 0)
			continue;
		if (strcasecmp(enc, "utf8") == 0 ||
		    strcasecmp(enc, "utf-8") == 0)
			return "UTF-8";
		/* Only names libxml2 can decode; others read as UTF-8. The
		 * handler may be a fresh iconv one: close it again. */
		h = xmlFindCharEncodingHandler(enc);
		if (!h)
			return "UTF-8";
		xmlCharEncCloseFunc(h);
		return enc;
	}
	return "UTF-8";
}

int rd_html_extract(const char *data, size_t n, buf *title, buf *url,
		    int32_t *date, buf *body)
{
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
		   HTML_PARSE_NOWARNING | HTML_PARSE_NONET;
	char encbuf[48];
	const char *enc;
	htmlParserCtxtPtr ctxt = NULL;
	htmlDocPtr doc = NULL;
	xmlNode *root;
	int rc;

	*date = 0;
	buf_clear(title);
	buf_clear(url);
	buf_clear(body);
	if (n > (size_t)INT_MAX)
		return LEDE_ETOOBIG;
	xmlInitParser();
	enc = guess_encoding(data, n, encbuf, sizeof(encbuf));
	ctxt = htmlNewParserCtxt();
	if (!ctxt)
		return LEDE_ENOMEM;
	doc = htmlCtxtReadMemory(ctxt, data, (int)n, NULL, enc, opts);
	if (!doc) {
		rc = LEDE_EPARSE;
		goto out;
	}
	/* In recovery mode only a halt disables SAX: the depth limit, or
	 * memory. The tree then ends where the parser stopped. */
	if (ctxt->disableSAX) {
		rc = ctxt->lastError.code == XML_ERR_NO_MEMORY ? LEDE_ENOMEM
							       : LEDE_ETOOBIG;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	rc = root ? collect_meta(root, title, url, date) : 0;
	if (!rc && root)
		rc = collect_text(find_body(root), body);
	if (!rc)
		rc = buf_nul(title);
	if (!rc)
		rc = buf_nul(url);
	if (!rc)
		rc = buf_nul(body);
out:
	xmlFreeDoc(doc);
	htmlFreeParserCtxt(ctxt);
	return rc;
}
