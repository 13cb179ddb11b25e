/*
 * maint.h - index maintenance: `lede stats`, `lede check`, `lede compact`.
 */
#ifndef LEDE_MAINT_H
#define LEDE_MAINT_H

#include <stdint.h>
#include <stdio.h>
#include "../common/err.h"
#include "../common/ix.h"

typedef struct mt_stats {
	ix_stats st;
	uint64_t terms, title_terms;     /* term records */
	uint64_t blocks, postings;       /* main + title fields */
	uint64_t inline_blocks;          /* blocks inside term records */
	uint64_t post_bytes, pos_bytes;  /* value bytes, without B+tree */
	uint64_t pos_codec[4];   /* positions blocks by codec (post.h) */
	uint64_t rec_bytes;              /* term records (directories) */
	uint64_t title_postings, title_bytes;   /* the title field's share */
	uint64_t chunk_bytes, chunk_used;       /* chunks' bytes, and the
						   blocks' the directories
						   name */
	ix_dbi_usage u[IX_NDBI];
	int nu;
	uint64_t file_bytes;
} mt_stats;

int mt_stats_get(ix *x, mt_stats *s) LEDE_WUR;
void mt_stats_print(ix *x, const mt_stats *s, FILE *out);

/* Verify every term record, block, positions block, document record,
 * id mapping, length and the collection statistics. Each problem is
 * printed to out; *problems counts them. Returns <0 only when the check
 * itself cannot go on. */
int mt_check(ix *x, FILE *out, uint64_t *problems) LEDE_WUR;

typedef struct mt_compact_counts {
	uint64_t terms, blocks_before, blocks_after, dropped;
	uint64_t chunks_freed, chunk_bytes_freed;
	uint64_t bytes;          /* blocks and records written */
} mt_compact_counts;

/* Rewrite every term whose blocks are not all full or hold deleted
 * documents' postings, as full blocks of live postings; then rewrite the
 * terms with blocks in chunks more than half unused, and delete the
 * chunks no term uses (ix.h). In transactions of about 64 MB each, whole
 * terms in each (so memory stays bounded whatever the index); the last
 * frees the chunks and the tombstones' lengths. Searches go on; a
 * killed compaction leaves a sound index, partly compacted. */
int mt_compact(ix *x, mt_compact_counts *c) LEDE_WUR;

#endif
