/*
 * fuzz_tok.c - libFuzzer harness: the tokenizer and ana_text on arbitrary
 * bytes. Checks the tokenizer's documented invariants (token length
 * 1..TOK_MAX_BYTES, byte offsets inside the input, positions ascending).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tok.h"
#include "../../common/ana.h"

static tok *T;
static ana *A;

static int on_stem(void *ctx, const char *stem, size_t len,
		   const tok_token *t)
{
	volatile char sink = 0;
	size_t i;

	(void)ctx; (void)t;
	for (i = 0; i < len; i++)   /* ASan checks every byte is readable */
		sink ^= stem[i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tok_token tk;
	uint32_t next = 0, last = 0;
	int first = 1, rc;

	if (!T) {
		if (tok_new(&T) || ana_new("english", &A))
			abort();
	}
	tok_reset(T, (const char *)data, size, 7);
	for (;;) {
		rc = tok_next(T, &tk);
		if (rc != 0)
			break;
		if (tk.len < 1 || tk.len > TOK_MAX_BYTES ||
		    tk.start >= tk.end || tk.end > size ||
		    strlen(tk.text) != tk.len || (!first && tk.pos <= last))
			abort();
		last = tk.pos;
		first = 0;
	}
	if (rc < 0)
		abort();
	if (ana_text(A, (const char *)data, size, 0, on_stem, NULL, &next))
		return 0;
	return 0;
}
