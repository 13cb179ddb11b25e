/*
 * bld.h - the index writer: documents in, LMDB batches out.
 *
 * A bld keeps one write transaction open per batch. Documents are
 * analysed as they arrive; their records go into the transaction at
 * once, their postings into an in-memory accumulator. When the batch's
 * memory (accumulator, written records, the pages the flush will dirty)
 * passes its share of opts.mem_bytes (bld.c, "memory"), or on
 * bld_commit(), the accumulated postings are written as new blocks after
 * each term's existing ones, the term records rewritten, and the
 * transaction committed: a batch is all or nothing, so a killed run
 * leaves the index at its last commit.
 *
 * A new index is loaded differently (opts.bulk): postings spill to sorted
 * run files whenever memory is full, and one final merge writes every
 * table in key order with MDB_APPEND in a single transaction. A killed
 * bulk load leaves the index empty, as it was before.
 *
 * An external id already in the index with the same content hash is
 * "unchanged" and skipped; with another hash the old document is
 * tombstoned and the new one added ("replaced").
 */
#ifndef LEDE_BLD_H
#define LEDE_BLD_H

#include <stddef.h>
#include <stdint.h>
#include "../common/err.h"
#include "../common/ix.h"
#include "reader.h"

typedef struct bld_opts {
	size_t mem_bytes;      /* the process's memory, 32 MiB or more */
	int bulk;              /* a new, empty index is loaded in one
				* transaction from sorted runs (see bld.c) */
	int reread;            /* bld_add_paths reads every file, also
				* those whose size and mtime match */
} bld_opts;

typedef struct bld_counts {
	uint64_t added, replaced, unchanged, deleted, empty;
	uint64_t commits;
	uint64_t text_bytes;   /* title + body bytes of added documents */
} bld_counts;

typedef struct bld bld;

int bld_new(ix *x, const bld_opts *o, bld **out) LEDE_WUR;
/* Aborts what is not committed. NULL is a no-op. */
void bld_free(bld *b);

/* Add or replace one document (may commit a batch). */
int bld_add(bld *b, const rd_doc *d) LEDE_WUR;
/* Tombstone the document with this external id: LEDE_ENOTFOUND if none. */
int bld_remove(bld *b, const char *id, size_t len) LEDE_WUR;
/* Write and commit the current batch (no-op when empty). */
int bld_commit(bld *b) LEDE_WUR;

/* Tombstone every live document not added, replaced or found unchanged
 * by this bld whose source path is one of paths[0..n) or lies under one
 * of them (as a folder), or whose source file no longer exists. */
int bld_prune(bld *b, const char *const *paths, size_t n) LEDE_WUR;

/* Called by bld_add_paths after each document with bld_add's result rc;
 * return 0 to go on (e.g. after reporting rc), <0 to stop. */
typedef int (*bld_each_fn)(void *ctx, const rd_doc *d, int rc);

/* Read paths (rd_path) and add every document, with the reading,
 * parsing, tokenizing and compressing in a second thread. A file whose
 * size and mtime match its document's record is not read (unless
 * opts.reread): it counts as unchanged, as for prune. *missing is
 * set when a path could not be read (warned, the others go on). Returns
 * the first error that stopped it. A zero st->max_doc is set to the
 * longest document that fits in opts.mem_bytes, so the readers, also
 * those called later with st, refuse longer ones. */
int bld_add_paths(bld *b, char *const *paths, int n, rd_stats *st,
		  bld_each_fn each, void *ctx, int *missing) LEDE_WUR;

const bld_counts *bld_get_counts(const bld *b);

#endif
