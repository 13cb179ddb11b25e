/*
 * render.h - a search result made presentable: per hit its document
 * record and snippet, and the JSON the CLI (--json) and the web API
 * share, so both print the same fields.
 *
 * JSON shape (cJSON):
 *   { "query": "...", "parsed": "...", "total": N | null,
 *     "took_ms": T, "offset": O, "sort": "relevance" | "date",
 *     "from": "YYYY-MM-DD" | null, "to": ... ,
 *     "hits": [ { "rank", "id", "title", "date": "YYYY-MM-DD" | null,
 *                 "url", "score", "snippet",
 *                 "highlights": [[start, end], ...] } ] }
 * highlights are byte offsets into snippet.
 */
#ifndef LEDE_RENDER_H
#define LEDE_RENDER_H

#include <cJSON.h>
#include "../common/ana.h"
#include "../common/err.h"
#include "../common/ix.h"
#include "search.h"
#include "snip.h"

/* "YYYY-MM-DD" of a YYYYMMDD date into out (11 bytes); "" for 0. */
void rnd_date(int32_t ymd, char out[11]);
/* The snippet of docid's body for r's stems (body_scratch is reused
 * between calls). A document without a body gives an empty snippet. */
int rnd_snippet(ix_txn *t, ana *a, const srch_result *r, uint32_t docid,
		buf *body_scratch, snip *out) LEDE_WUR;
/* The whole result as JSON; *out is the caller's (cJSON_Delete).
 * explain: also each hit's score parts (srch_explain). */
int rnd_json(ix_txn *t, ana *a, const char *qs, size_t qlen,
	     const srch_opts *o, const srch_result *r, double took_ms,
	     int explain, cJSON **out) LEDE_WUR;

#endif
