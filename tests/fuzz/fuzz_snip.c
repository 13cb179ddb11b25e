/*
 * fuzz_snip.c - libFuzzer harness: snip_make and snip_mark_all on
 * arbitrary text with arbitrary stems, then snip_html and snip_ansi of
 * the result. Input layout: up to 4 stems separated by '\n' before the
 * first 0x00 byte, the text after it (all of it when there is none).
 * Checks the documented snippet invariants: valid UTF-8, marks ascending,
 * non-overlapping and inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/ana.h"
#include "../../common/buf.h"
#include "../../searcher/snip.h"

/* An error is a fine answer to a fuzzed input; a crash is not. */
static void ignore(int rc)
{
	(void)rc;
}

#define NSTEMS 4

static ana *A;

static void check_spans(const snip_span *sp, size_t n, size_t len)
{
	size_t i, end = 0;

	for (i = 0; i < n; i++) {
		if (sp[i].start < end || sp[i].start > sp[i].end ||
		    sp[i].end > len)
			abort();
		end = sp[i].end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char stems[NSTEMS][64];
	const char *sv[NSTEMS];
	snip_span spans[SNIP_MAX_MARKS];
	snip_terms q;
	snip s;
	buf b;
	const uint8_t *zero = memchr(data, 0, size);
	const char *text = (const char *)data;
	size_t tlen = size, ns = 0, nm = 0;

	if (!A && ana_new("english", &A))
		abort();
	if (zero) {
		const uint8_t *p = data;

		while (p < zero && ns < NSTEMS) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(zero - p));
			size_t l = (size_t)((nl ? nl : zero) - p);

			if (l >= sizeof(stems[0]))
				l = sizeof(stems[0]) - 1;
			memcpy(stems[ns], p, l);
			stems[ns][l] = '\0';
			sv[ns] = stems[ns];
			ns++;
			p = nl ? nl + 1 : zero;
		}
		text = (const char *)zero + 1;
		tlen = size - (size_t)(zero + 1 - data);
	}
	q.stems = sv;
	q.n = ns;

	memset(&s, 0, sizeof(s));
	if (snip_make(A, text, tlen, &q, &s) == 0) {
		if (!s.text || strlen(s.text) != s.len ||
		    !utf8_valid((const uint8_t *)s.text, s.len) ||
		    s.nmarks > SNIP_MAX_MARKS || s.src_start > s.src_end ||
		    s.src_end > tlen)
			abort();
		check_spans(s.marks, s.nmarks, s.len);
		buf_init(&b);
		ignore(snip_html(s.text, s.len, s.marks, s.nmarks, &b));
		buf_clear(&b);
		ignore(snip_ansi(s.text, s.len, s.marks, s.nmarks, &b));
		buf_release(&b);
	}
	snip_free(&s);

	if (snip_mark_all(A, text, tlen, &q, spans, SNIP_MAX_MARKS, &nm) == 0) {
		if (nm > SNIP_MAX_MARKS)
			abort();
		check_spans(spans, nm, tlen);
		/* the renderers on the raw (maybe invalid UTF-8) text */
		buf_init(&b);
		ignore(snip_html(text, tlen, spans, nm, &b));
		buf_clear(&b);
		ignore(snip_ansi(text, tlen, spans, nm, &b));
		buf_release(&b);
	}
	return 0;
}
