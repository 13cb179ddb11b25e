/*
 * fuzz_text.c - libFuzzer harness: the plain-text and Markdown readers on
 * arbitrary bytes, through rd_file on ".txt" and ".md" names.
 */
#include "fuzz_reader_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file(data, size, "txt");
	fuzz_file(data, size, "md");
	return 0;
}
