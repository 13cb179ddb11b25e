/*
 * fuzz_html.c - libFuzzer harness: the HTML reader (libxml2's HTML parser
 * plus lede's text extraction, canonical URL and date) on arbitrary
 * bytes, reached through rd_file on a ".html" name.
 */
#include "fuzz_reader_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file(data, size, "html");
	return 0;
}
