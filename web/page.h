/*
 * page.h - the HTML of the web interface, rendered on the server, and
 * the static assets (CSS, JavaScript, icon) embedded in the binary.
 *
 * The server (serve.c) gathers what a page shows into the structs below
 * and calls a renderer; the renderer escapes every string it prints
 * (they come from articles and queries: untrusted) and never reads past
 * the given lengths. Strings are NOT NUL-terminated unless said so.
 *
 * The page works without JavaScript: GET /?q=... renders the results on
 * the server. The script (asset /static/lede.js) then takes over
 * navigation through /api/search (JSON, see README.md) without reloads.
 */
#ifndef LEDE_PAGE_H
#define LEDE_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include "../common/buf.h"
#include "../common/err.h"
#include "../searcher/snip.h"

typedef struct web_hit {
	const char *id;       size_t id_len;
	const char *title;    size_t title_len;
	char date[11];        /* "YYYY-MM-DD", "" when unknown (NUL-term.) */
	const char *url;      size_t url_len;     /* "" when none */
	double score;
	const char *snippet;  size_t snippet_len; /* valid UTF-8 */
	const snip_span *marks;                   /* offsets into snippet */
	size_t nmarks;
} web_hit;

/* One bar of the timeline: matches per year (or per month when the
 * range is short). */
typedef struct web_bar {
	char label[8];        /* "2019" or "2019-03" (NUL-terminated) */
	char from[11], to[11];/* the range a click narrows to */
	uint64_t count;
} web_bar;

typedef struct web_results {
	const char *q;        size_t q_len;  /* the query as typed (raw) */
	int searched;         /* 0: the front page, no query */
	const char *error;    /* NUL-terminated message, or NULL */
	uint64_t total;       /* exact number of matches */
	double took_ms;
	size_t offset, n;     /* this page: hits offset+1.. of n per page */
	int sort;             /* 0 relevance, 1 newest first */
	char from[11], to[11];/* the date filter as given ("" = open) */
	const web_hit *hits;  size_t nhits;
	const web_bar *bars;  size_t nbars;
	uint64_t ndocs;       /* documents in the index */
} web_results;

typedef struct web_article {
	const char *id;       size_t id_len;
	const char *title;    size_t title_len;
	char date[11];
	const char *url;      size_t url_len;
	const char *source;   size_t source_len;
	const char *body;     size_t body_len;   /* any bytes */
	const snip_span *marks;                  /* offsets into body */
	size_t nmarks;
	const char *q;        size_t q_len;      /* the search it came
						  * from, or q_len 0 */
} web_article;

/* Whole HTML documents, appended to out. 0, or LEDE_ENOMEM /
 * LEDE_ETOOBIG when out's cap is reached. */
int web_page_search(const web_results *r, buf *out) LEDE_WUR;
int web_page_article(const web_article *a, buf *out) LEDE_WUR;
/* A small page for 404 and friends; msg NUL-terminated. */
int web_page_error(int status, const char *msg, buf *out) LEDE_WUR;

/* Append s[0..n) HTML-escaped (& < > " '), control bytes dropped and
 * invalid UTF-8 replaced by U+FFFD. */
int web_escape(const char *s, size_t n, buf *out) LEDE_WUR;
/* Append s[0..n) percent-encoded for a URL path segment or query value
 * (everything but A-Z a-z 0-9 - . _ ~). */
int web_urlenc(const char *s, size_t n, buf *out) LEDE_WUR;

typedef struct web_asset {
	const char *path;     /* "/static/lede.css" */
	const char *type;     /* Content-Type */
	const unsigned char *data;
	size_t len;
} web_asset;

/* The embedded asset served at path (NUL-terminated), or NULL. */
const web_asset *web_asset_find(const char *path);

#endif
