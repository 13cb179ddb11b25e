/*
 * fuzz_query.c - libFuzzer harness: q_parse in both modes (Q_PLAIN and
 * Q_SYNTAX) on arbitrary bytes, then q_dump of every tree it returns.
 * A failed parse must leave q.root NULL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/ana.h"
#include "../../searcher/query.h"

static ana *A;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dump[4096];
	int mode;

	if (!A && ana_new("english", &A))
		abort();
	for (mode = Q_PLAIN; mode <= Q_SYNTAX; mode++) {
		query q;
		int rc;

		memset(&q, 0x5a, sizeof(q));
		rc = q_parse(A, (const char *)data, size, mode, &q);
		if (rc) {
			if (q.root != NULL)
				abort();
		} else {
			q_dump(&q, dump, sizeof(dump));
			if (strlen(dump) >= sizeof(dump))
				abort();
			q_dump(&q, dump, 8);   /* truncation path */
		}
		q_free(&q);
	}
	return 0;
}
