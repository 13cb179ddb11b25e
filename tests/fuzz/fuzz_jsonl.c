/*
 * fuzz_jsonl.c - libFuzzer harness: the JSON Lines reader (rd_jsonl) on
 * arbitrary bytes from a FILE * over a memfd (the stream path) and via
 * rd_file on a ".jsonl" name (the regular-file path), and rd_parse_date
 * on the same bytes as one string.
 */
#include "fuzz_reader_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rd_stats st;
	FILE *f;
	char *s;
	int32_t ymd;

	f = fdopen(fuzz_memfd(data, size), "rb");
	if (!f)
		abort();
	memset(&st, 0, sizeof(st));
	ignore(rd_jsonl(f, "fuzz.jsonl", on_doc, NULL, &st));
	fclose(f);
	fuzz_file(data, size, "jsonl");

	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	ignore(rd_parse_date(s, &ymd));
	free(s);
	return 0;
}
