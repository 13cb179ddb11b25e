/*
 * tok.h - the tokenizer: UTF-8 text in, folded tokens with positions and
 * byte offsets out.
 *
 * Rules (the index and every query use the same ones):
 * - A token is a run of letters (L*), marks (M*) and digits/numbers (N*)
 *   of any script. Han, Hiragana, Katakana and Hangul-less ideographs are
 *   one token per code point (no spaces to split on; phrases rebuild
 *   words).
 * - Folding: NFKC-style compatibility decomposition, case folding and
 *   removal of combining marks with utf8proc, so Café, cafe and CAFÉ are
 *   all "cafe". ASCII takes a fast path with the same result.
 * - An apostrophe (' or U+2019) between two letters stays inside the
 *   token as ASCII "'" (O'Brien -> "o'brien", NSO's -> "nso's"; the
 *   stemmer strips possessives).
 * - A hyphen between two letters/digits splits the word into tokens at
 *   consecutive positions (al-Assad -> "al" "assad"), so the query
 *   "al-Assad" matches it as a phrase.
 * - Between two digits '.', ':' and ',' join: 3.5 -> "3.5", 12:48 ->
 *   "12:48"; ',' is dropped: 1,000 -> "1000". "$500" -> "500".
 * - Invalid UTF-8: each bad byte is a separator; text after it is still
 *   tokenized.
 * - Folded tokens longer than TOK_MAX_BYTES are dropped (they still take
 *   a position), so base64 blobs do not bloat the index.
 * - A token never contains a byte < 0x20, so index keys can use 0x00 and
 *   0x01 as separators and field marks.
 */
#ifndef LEDE_TOK_H
#define LEDE_TOK_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define TOK_MAX_BYTES 64

typedef struct tok_token {
	const char *text;  /* folded, NUL-terminated; valid until next tok_next */
	size_t len;        /* bytes in text, 1..TOK_MAX_BYTES */
	uint32_t pos;      /* token position, counting from the reset value */
	size_t start;      /* byte offset of the token's first byte in input */
	size_t end;        /* byte offset one past its last byte in input */
} tok_token;

typedef struct tok tok;

int tok_new(tok **out) LEDE_WUR;
void tok_free(tok *t);  /* tok_free(NULL) is a no-op */

/* Start on text[0..len) (not copied: it must outlive the iteration);
 * the first token gets position first_pos. */
void tok_reset(tok *t, const char *text, size_t len, uint32_t first_pos);

/* 0 and *out filled: a token; >0: end of text; <0: error. */
int tok_next(tok *t, tok_token *out);

/* Position the next token would get (one past the last one returned,
 * counting dropped over-long tokens). */
uint32_t tok_pos(const tok *t);

#endif
