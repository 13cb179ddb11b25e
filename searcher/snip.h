/*
 * snip.h - snippets: the best window of a stored text for a query, with
 * the matched words marked as they are written in the text.
 *
 * The text is analysed with the index's analysis (ana.h); a token whose
 * stem is one of the query's stems is a match, so a search for
 * "sanctions" marks "Sanctioned". The window (about SNIP_WORDS tokens)
 * is chosen to hold the most distinct query stems, then the most
 * matches, then the earliest; it starts at a sentence start when one is
 * a few tokens before its first match.
 */
#ifndef LEDE_SNIP_H
#define LEDE_SNIP_H

#include <stddef.h>
#include <stdint.h>
#include "../common/ana.h"
#include "../common/buf.h"
#include "../common/err.h"

#define SNIP_WORDS     30     /* tokens in a window */
#define SNIP_MAX_MARKS 64     /* highlights kept per snippet */

typedef struct snip_span {
	size_t start, end;    /* byte offsets into snip.text */
} snip_span;

typedef struct snip {
	char *text;           /* malloc'd, NUL-terminated, valid UTF-8: the
			       * window (whitespace runs collapsed to one
			       * space), "…" prepended/appended when it does
			       * not start/end the text */
	size_t len;
	snip_span marks[SNIP_MAX_MARKS];   /* ascending, non-overlapping */
	size_t nmarks;
	size_t src_start, src_end;  /* the window's bytes in the input */
} snip;

/* The query's stems: NUL-terminated, main-field form (no field mark). */
typedef struct snip_terms {
	const char *const *stems;
	size_t n;
} snip_terms;

/* Make the snippet of text[0..len) (any bytes: invalid UTF-8 is
 * replaced by U+FFFD in the output). With no match the window is the
 * start of the text. An empty text gives an empty snippet. */
int snip_make(ana *a, const char *text, size_t len, const snip_terms *q,
	      snip *out) LEDE_WUR;
/* Mark every match in the whole of text[0..len) (article pages): the
 * text is not cut; marks as snip_make's, up to cap spans written to
 * spans, *n set to how many (the rest dropped). */
int snip_mark_all(ana *a, const char *text, size_t len,
		  const snip_terms *q, snip_span *spans, size_t cap,
		  size_t *n) LEDE_WUR;
void snip_free(snip *s);

/* Renderings of text[0..len) with spans marked, appended to out:
 * ANSI bold (ESC[1m ... ESC[0m; control bytes in the text are dropped),
 * HTML (& < > " ' escaped everywhere, spans in <mark>...</mark>). */
int snip_ansi(const char *text, size_t len, const snip_span *spans,
	      size_t n, buf *out) LEDE_WUR;
int snip_html(const char *text, size_t len, const snip_span *spans,
	      size_t n, buf *out) LEDE_WUR;

#endif
