/*
 * reader.h - archive readers: JSON Lines, .txt, .html/.htm, .md, and the
 * recursive folder walk. They turn files into rd_doc records and hand
 * each to a callback; they never touch the index.
 *
 * Ownership: every string in an rd_doc is owned by the reader and valid
 * only during the callback. Strings are NUL-terminated UTF-8 (invalid
 * sequences are passed through; the tokenizer copes), never NULL ("" for
 * absent fields).
 *
 * Failures on one document or one line are reported with lede_warn()
 * ("file:line: bad json: ...") and counted, and reading goes on. Only an
 * error from the callback, or an unreadable root, stops a reader.
 */
#ifndef LEDE_READER_H
#define LEDE_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../common/buf.h"
#include "../common/err.h"

/* Documents (a whole JSONL line, a file) over this are refused. */
#define RD_MAX_DOC_BYTES ((size_t)128 << 20)
/* HTML pages nested deeper (libxml2's default limit) are refused. */
#define RD_HTML_MAX_DEPTH 256

typedef struct rd_doc {
	const char *id;       /* external id: JSONL "id", else the file path */
	const char *title;
	int32_t date;         /* YYYYMMDD, 0 when unknown */
	const char *url;      /* JSONL "url", HTML canonical/og:url, or "" */
	const char *tags;     /* tags joined with ", " or "" */
	const char *body;     /* main text, paragraphs split by blank lines */
	size_t body_len;
	const char *source;   /* file path as reached ("-" for stdin) */
	unsigned line;        /* JSONL line number, 0 for whole files */
	int has_fstat;        /* an article in its own file: */
	uint64_t fsize;       /*   its size in bytes */
	int64_t mtime_ns;     /*   and mtime, ns since 1970 */
} rd_doc;

/* Asked before an article's own file (.txt, .html, .md) is read: id is
 * the id the article would get, size and mtime_ns the file's. Return 1
 * when the index already holds that file as it is: it is then not read
 * (counted in rd_stats.same), 0 to read it, <0 to stop the reader. */
typedef int (*rd_same_fn)(void *ctx, const char *id, uint64_t size,
			  int64_t mtime_ns);

typedef struct rd_stats {
	uint64_t files;          /* files opened and read */
	uint64_t docs;           /* documents handed to the callback */
	uint64_t bytes;          /* input bytes read */
	uint64_t skipped_binary; /* files that look binary */
	uint64_t skipped_unknown;/* files with an extension we do not read */
	uint64_t skipped_empty;  /* empty files / documents without text */
	uint64_t bad_lines;      /* JSONL lines that failed to parse */
	uint64_t too_big;        /* documents over rd_max_doc(), html
				  * nested over RD_HTML_MAX_DEPTH */
	uint64_t errors;         /* unreadable files, other failures */
	size_t max_doc;          /* in: refuse documents (a JSONL line, a
				  * file) over this many bytes; 0 means
				  * RD_MAX_DOC_BYTES, more is taken as it */
	uint64_t same;           /* files not read: rd_same_fn said so */
	rd_same_fn same_fn;      /* in: NULL reads every file */
	void *same_ctx;
} rd_stats;

/* The cap in effect: st->max_doc within 1..RD_MAX_DOC_BYTES. */
size_t rd_max_doc(const rd_stats *st);
/* For the warning about a refused document: how to take it, if --mem
 * can ("" if not). */
const char *rd_big_hint(const rd_stats *st);

/* Return 0 to go on, <0 to stop the reader (that value is returned). */
typedef int (*rd_emit_fn)(void *ctx, const rd_doc *doc);

/* JSON Lines from an open stream; path is used in messages and as
 * rd_doc.source. Lines without "id" get id "<path>:<line>". */
int rd_jsonl(FILE *f, const char *path, rd_emit_fn emit, void *ctx,
	     rd_stats *st) LEDE_WUR;

/* One file, by extension: .jsonl/.ndjson, .txt, .html/.htm, .md/
 * .markdown. Unknown extensions and binary content are skipped and
 * counted (return 0). */
int rd_file(const char *path, rd_emit_fn emit, void *ctx,
	    rd_stats *st) LEDE_WUR;

/* A path: a file (rd_file), a folder (walked recursively in sorted
 * order, hidden entries and symlink loops skipped), or "-" for JSONL on
 * stdin. */
int rd_path(const char *path, rd_emit_fn emit, void *ctx,
	    rd_stats *st) LEDE_WUR;

/* Append path normalised as rd_path does for ids and sources ("./a//b/"
 * -> "a/b", "./" -> ".") to out, NUL-terminated. */
int rd_normalise_path(const char *in, buf *out) LEDE_WUR;

/* Parse a date in the usual news forms: 2021-11-27, 2021-11-27T12:48:00Z,
 * 2021/11/27, November 27, 2021 (with "at 12:48 pm" and the like after
 * it), Nov 27, 2021, 27 November 2021, Sat, 27 Nov 2021 12:48:00 GMT.
 * Leading/trailing text is allowed only as in those forms. 0 and *out =
 * YYYYMMDD on success, LEDE_EPARSE otherwise. */
int rd_parse_date(const char *s, int32_t *out) LEDE_WUR;

#endif
