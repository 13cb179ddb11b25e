/*
 * fuzz_http.c - libFuzzer harness: the web server's request parsing and
 * the page writer. web/serve.c is #included so that its file-static
 * pct_decode and params_parse can be reached without editing it; the
 * harness is therefore linked without build/fuzz/web/serve.o. The input
 * is used as a query string (both decoders and params_parse), as raw
 * strings for web_escape / web_urlenc, and as the query, title, URL,
 * id and snippet of a result page for web_page_search.
 */
#include "../../web/serve.c"

#include <stdint.h>

/* An error is a fine answer to a fuzzed input; a crash is not. */
static void ignore(int rc)
{
	(void)rc;
}

static int memchr_hi(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	params p;
	buf b;
	web_results r;
	web_hit h;
	snip_span mk[2];
	size_t third = size / 3;

	buf_init_limit(&b, WEB_MAX_URI + 1);
	ignore(pct_decode(s, size, 0, &b));
	buf_clear(&b);
	ignore(pct_decode(s, size, 1, &b));
	buf_release(&b);

	memset(&p, 0, sizeof(p));
	buf_init_limit(&p.q, Q_MAX_BYTES + 1);
	params_parse(s, size, &p);
	if (strnlen(p.n, sizeof(p.n)) == sizeof(p.n) ||
	    strnlen(p.sort, sizeof(p.sort)) == sizeof(p.sort) ||
	    strnlen(p.from, sizeof(p.from)) == sizeof(p.from) ||
	    strnlen(p.to, sizeof(p.to)) == sizeof(p.to) ||
	    strnlen(p.offset, sizeof(p.offset)) == sizeof(p.offset))
		abort();
	buf_release(&p.q);

	buf_init(&b);
	ignore(web_escape(s, size, &b));
	buf_clear(&b);
	ignore(web_urlenc(s, size, &b));
	buf_clear(&b);

	/* The snippet must be valid UTF-8 (page.h): use the input only when
	 * it is, with two marks over its thirds. */
	memset(&h, 0, sizeof(h));
	h.id = s;               h.id_len = third;
	h.title = s + third;    h.title_len = third;
	h.url = s + 2 * third;  h.url_len = size - 2 * third;
	strcpy(h.date, "2019-03-07");
	h.score = 1.5;
	if (utf8_valid(data, size)) {
		mk[0].start = 0;     mk[0].end = third;
		mk[1].start = third; mk[1].end = 2 * third;
		h.snippet = s;  h.snippet_len = size;
		h.marks = mk;
		/* marks on character boundaries: only when all ASCII */
		h.nmarks = size >= 6 && !memchr_hi(data, size) ? 2 : 0;
	} else {
		h.snippet = "";
	}
	memset(&r, 0, sizeof(r));
	r.q = s; r.q_len = size;
	r.searched = 1;
	r.total = 1;
	r.n = 10;
	r.hits = &h; r.nhits = 1;
	r.ndocs = 1;
	ignore(web_page_search(&r, &b));
	buf_clear(&b);
	r.error = "bad query";
	r.nhits = 0;
	ignore(web_page_search(&r, &b));
	buf_release(&b);
	return 0;
}
