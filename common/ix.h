/*
 * ix.h - the index: one LMDB environment (a folder holding data.mdb and
 * lock.mdb) with the DBIs below. This header is the one place where the
 * on-disk format is written down byte for byte; README.md repeats it.
 *
 * Checksums: every value of every table below but the chunks of "blocks"
 * and "pos" (whose blocks have their own) ends with 4 more bytes,
 * a u32 LE holding ix_sum(key, value): the low 32 bits of XXH3-64 of the
 * value's bytes before the trailer, seeded with XXH3-64 of the key. The
 * layouts below describe the value without its trailer. Every read
 * through ix.c verifies the trailer and strips it; a mismatch (or a
 * value shorter than 4 bytes) is LEDE_ECORRUPT, with ix_damage() naming
 * the table and key. So a flipped, zeroed or truncated value is caught
 * before any decoder sees it, and a value moved to another key too.
 *
 * Conventions: keys use big-endian integers (so LMDB's bytewise order is
 * numeric order); fixed integers inside values are little-endian;
 * "varint" is LEB128 (buf.h). A "termkey" is the bytes of a stemmed
 * token (never containing a byte < 0x20, see tok.h) for the main field,
 * or 0x01 followed by those bytes for the title field.
 *
 * DBI "meta"  (ASCII key -> value)
 *     "schema"  u32 IX_SCHEMA
 *     "lang"    stemmer language, ASCII, e.g. "english"
 *     "bm25"    optional ranking defaults, ASCII "k1 b title_weight"
 *               (e.g. "2 0.75 0.5"), written by `lede index --k1 ...`
 *     "stats"   u64 ndocs      live documents
 *               u64 sumlen     sum of live documents' lengths (tokens)
 *               u32 next_docid next docid to hand out (docids start at 1)
 *               u64 sumtlen    sum of live documents' title lengths
 *
 * DBI "post"  termkey 0x00 -> term record (post.h: df, block directory,
 *   top list, or one inline block). Each directory entry holds its
 *   block's place (a "loc": chunk, offset, length) in the two tables
 *   below, so one lookup of the record finds every block of the term.
 *
 * DBI "blocks"  u32be(chunk) -> postings blocks (post.h), one after the
 *                               other, each followed by its checksum
 * DBI "pos"     u32be(chunk) -> positions blocks, the same way
 *   A chunk holds the blocks of many terms, in the order they were
 *   written, up to IX_CHUNK_BYTES (a block longer than that gets a chunk
 *   to itself). It has no trailer of its own: each block in it is
 *   followed by a u32 LE ix_sum(termkey 0x00 u32be(first docid), block),
 *   which a read checks, so a block read through a wrong loc fails as a
 *   damaged one does. Chunk ids count up from 1 in each table; chunks
 *   are written once and never changed. A batch writes its new blocks
 *   (and a term that outgrows its inline block, that block) into new
 *   chunks and rewrites only the records of the terms it touched.
 *   `lede compact` writes the terms it rewrites into new chunks, then
 *   rewrites the terms that still have blocks in chunks more than half
 *   unused, and deletes the chunks no directory names any more.
 *   Why chunks: one LMDB entry per block cost a key, a node header and
 *   page slack for each, 70 MB of the 493 MB inverted index on 1M
 *   articles (schema 6); a 64 KiB chunk costs one entry and its last
 *   page's unused tail.
 *   Only main-field terms have positions; only phrase queries read them.
 *
 * DBI "docs"  u32be(docid) -> document record
 *     u8     IX_DOC_VERSION
 *     u8     flags: IX_DOC_FSTAT or 0 (other bits are corrupt)
 *     u64    content hash (hash64 of title, date, url, tags, body)
 *     varint date (YYYYMMDD, 0 = unknown)
 *     varint length (tokens, title + body)
 *     varint title length (tokens)
 *     varint+bytes  external id, title, url, source path, tags
 *   with IX_DOC_FSTAT (an article read from its own file), then:
 *     varint file size (bytes)
 *     varint file mtime (ns since 1970, as a u64 two's complement)
 *   `lede index` skips a file whose size and mtime match its record
 *   without reading it (`--reread` reads every file again).
 *
 * DBI "body"  u32be(docid) -> u8 codec (0 raw, 1 zstd) + the text
 *   Kept out of "docs" so that listing hits never touches long bodies.
 *
 * DBI "ids"   external id -> u32be(docid)
 *   Ids longer than IX_ID_KEY_MAX bytes are keyed by their first
 *   IX_ID_KEY_MAX - 17 bytes, 0x00 and 16 hex digits of hash64(id); the
 *   record in "docs" holds the full id.
 *
 * DBI "lens"  u32be(chunk) -> IX_LEN_CHUNK u16 LE lengths, for docids
 *     chunk*IX_LEN_CHUNK .. +IX_LEN_CHUNK-1; 0 means "no live document"
 *     (never used, deleted or replaced), so the scorer's one array read
 *     per posting both normalises and filters tombstones. Lengths over
 *     65535 are stored as 65535.
 *
 * DBI "dead"  u32be(docid) -> u16 LE length
 *   The lens value a tombstoned document had. Its postings stay until
 *   `lede compact`, and decoding a positions block of codec 2 (post.h)
 *   needs the length of every document in it. `lede compact` drops the
 *   postings of every tombstoned document and then empties this table.
 *
 * DBI "xid"   u32be(chunk) -> the external ids of docids
 *     chunk*IX_XID_CHUNK .. +n-1, so that a list of hits gets its ids
 *     without a B-tree search for each one's document record:
 *         u32 LE  n, 1..IX_XID_CHUNK
 *         (n + 1) u32 LE offsets into the bytes that follow, the first
 *                 0, increasing; id i is bytes [off[i], off[i+1])
 *         the ids' bytes
 *   A copy of what "docs" holds, kept by every writer for the documents
 *   it adds: an empty id, a docid past n or a missing chunk (an index
 *   written before the table, or a writer without it) means "read the
 *   id from the document record". Ids over IX_XID_ID_MAX bytes are left
 *   empty, so that no chunk (rewritten by each batch) grows with them.
 *   A deleted document's id stays until `lede compact` writes the table
 *   again from "docs". Optional: an index opened read-only without it
 *   reads every id from "docs".
 *
 * Deletion tombstones a document at once: its lens entry becomes 0 (its
 * old value goes to "dead"), its "ids", "docs" and "body" records go,
 * the stats and the df of each of its terms drop. Its postings stay
 * until `lede compact`.
 *
 * The map grows by itself: writers double it on MDB_MAP_FULL and retry,
 * readers pick up a size grown by another process.
 */
#ifndef LEDE_IX_H
#define LEDE_IX_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "post.h"

#define IX_SCHEMA       7u
/* Schema 7 moved the blocks from keys of their own into chunks: older
 * indexes are refused with a message to index the archive again. */
#define IX_SCHEMA_MIN   7u
#define IX_SUM_BYTES    4              /* checksum trailer of every value */
#define IX_DOC_VERSION  1
#define IX_DOC_FSTAT    1              /* doc record flag: file stat */
#define IX_LEN_CHUNK    4096
#define IX_XID_CHUNK    1024
#define IX_XID_ID_MAX   255            /* longer ids: from "docs" only */
#define IX_ID_KEY_MAX   400
#define IX_TERMKEY_MAX  (1 + 64)       /* field mark + TOK_MAX_BYTES */
#define IX_TITLE_MARK   0x01
#define IX_LANG_MAX     32
/* A chunk's bytes: 16 pages of 4 KiB less LMDB's page header, so that a
 * full chunk fills its overflow pages exactly. */
#define IX_CHUNK_BYTES  (16 * 4096 - 16)

typedef struct ix ix;          /* an open index */
typedef struct ix_txn ix_txn;  /* a read or write transaction */

typedef struct ix_stats {
	uint64_t ndocs;
	uint64_t sumlen;
	uint32_t next_docid;
	uint64_t sumtlen;
} ix_stats;

/* A parsed document record; strings point into the transaction's
 * memory, are NOT NUL-terminated, and live until the transaction ends. */
typedef struct ix_doc {
	uint32_t docid;
	uint64_t hash;
	int32_t date;
	uint32_t len, tlen;
	const char *id;     size_t id_len;
	const char *title;  size_t title_len;
	const char *url;    size_t url_len;
	const char *source; size_t source_len;
	const char *tags;   size_t tags_len;
	int has_fstat;      /* the article's own file, when read from one */
	uint64_t fsize;
	int64_t mtime_ns;
} ix_doc;

#define IX_CREATE 1   /* create the folder/index if missing */
#define IX_RDONLY 2   /* read-only: no write transactions */

/* Open the index in folder dir. With IX_CREATE a missing index is made
 * with stemmer language lang (NULL = "english"); an existing one keeps
 * its own language, and a different non-NULL lang is LEDE_EINVAL.
 * Without IX_CREATE a missing index is LEDE_ENOTFOUND. */
int ix_open(const char *dir, int flags, const char *lang, ix **out) LEDE_WUR;
void ix_close(ix *x);
/* Take the index's writer lock (an flock on DIR/writer.lock) for as long
 * as x stays open: one `lede index`, `rm` or `compact` at a time, since a
 * bulk load spans several transactions. LEDE_EEXIST-like failure is
 * LEDE_EINVAL with ix_errmsg() naming the holder's pid when known. */
int ix_lock_writer(ix *x) LEDE_WUR;
/* Detail of this thread's last failed ix_open. */
const char *ix_open_errmsg(void);
const char *ix_lang(const ix *x);
const char *ix_path(const ix *x);
/* Human-readable detail of the last LMDB failure on this handle. */
const char *ix_errmsg(const ix *x);

int ix_begin(ix *x, int write, ix_txn **out) LEDE_WUR;
int ix_commit(ix_txn *t) LEDE_WUR;   /* frees t, also on failure */
void ix_abort(ix_txn *t);            /* frees t; NULL is a no-op */
ix *ix_txn_ix(ix_txn *t);

int ix_stats_get(ix_txn *t, ix_stats *st) LEDE_WUR;
int ix_stats_put(ix_txn *t, const ix_stats *st) LEDE_WUR;

/* Document records. */
int ix_doc_get(ix_txn *t, uint32_t docid, ix_doc *d) LEDE_WUR;
int ix_doc_parse(const uint8_t *p, size_t len, uint32_t docid,
		 ix_doc *d) LEDE_WUR;
int ix_id_lookup(ix_txn *t, const char *id, size_t len,
		 uint32_t *docid) LEDE_WUR;
/* The stored body text, decompressed into out (cleared first). */
int ix_body_get(ix_txn *t, uint32_t docid, buf *out) LEDE_WUR;

/* The external id of docid from the "xid" table, *id valid until the
 * txn ends: LEDE_ENOTFOUND when the table does not hold it (read the
 * document record then), LEDE_ECORRUPT for a damaged chunk. A read
 * transaction verifies each chunk's checksum once and keeps it. */
int ix_xid_get(ix_txn *t, uint32_t docid, const char **id,
	       size_t *len) LEDE_WUR;
/* The external id of docid: from "xid" when it holds it, else (also
 * when its chunk is damaged) from the document record; LEDE_ENOTFOUND
 * when there is none. */
int ix_doc_id(ix_txn *t, uint32_t docid, const char **id,
	      size_t *len) LEDE_WUR;

/* Writing "xid": ids added in docid order (increasing, each docid
 * once) gather in one chunk, written when the next docid falls in
 * another chunk and by ix_xidw_flush. A chunk already in the table is
 * read first and extended; docids skipped get empty ids. append: the
 * table holds nothing past these chunks (a bulk load), MDB_APPEND. */
typedef struct ix_xidw {
	int open;
	uint32_t chunk, n;
	uint32_t off[IX_XID_CHUNK + 1];
	buf bytes;
} ix_xidw;
void ix_xidw_init(ix_xidw *w);
int ix_xidw_add(ix_txn *t, ix_xidw *w, uint32_t docid, const char *id,
		size_t len, int append) LEDE_WUR;
int ix_xidw_flush(ix_txn *t, ix_xidw *w, int append) LEDE_WUR;
/* Forget the open chunk without writing it (after an abort). */
void ix_xidw_reset(ix_xidw *w);
void ix_xidw_release(ix_xidw *w);
/* Write "xid" again from "docs" (lede compact). */
int ix_xid_rebuild(ix_txn *t) LEDE_WUR;
/* 1 when this process opened the table (a read-only open of an index
 * written before it has none). */
int ix_has_table(ix_txn *t, int dbi);

/* Document length table: *arr points at IX_LEN_CHUNK lengths of chunk
 * (docid / IX_LEN_CHUNK), in place in the map when aligned, else copied
 * into scratch (IX_LEN_CHUNK u16s). A missing chunk gives all zeros. */
int ix_lens_chunk(ix_txn *t, uint32_t chunk, const uint16_t **arr,
		  uint16_t *scratch) LEDE_WUR;

/* Lengths of n documents as positions codec 2 wants them (post.h):
 * the lens value, or for a tombstoned document its "dead" value. A
 * document in neither is LEDE_ECORRUPT. */
int ix_pos_lens(ix_txn *t, const uint32_t *docids, unsigned n,
		uint32_t *lens) LEDE_WUR;

/* The tf of each of n documents (docids ascending) in the title
 * field's term of stem tk (tk without the title mark): 0 where the
 * title term lacks the document or does not exist. */
int ix_title_tfs(ix_txn *t, const char *tk, size_t tklen,
		 const uint32_t *docids, size_t n, uint32_t *ttf) LEDE_WUR;

/* Term record of termkey (raw bytes, *p valid until the txn ends).
 * LEDE_ENOTFOUND if the term is not in the index. */
int ix_term_get(ix_txn *t, const char *tk, size_t tklen,
		const uint8_t **p, size_t *len) LEDE_WUR;

/* Blocks in chunks ("blocks" and "pos" above). kind is IX_BLK_POST or
 * IX_BLK_POS; tk/tklen the termkey and first the block's first docid,
 * which its checksum covers. */
enum { IX_BLK_POST, IX_BLK_POS };
/* Append a block to the transaction's open chunk of that kind; *loc
 * gets its place. Chunks go to the table as they fill and at
 * ix_commit; the block can be read back at once. */
int ix_blk_put(ix_txn *t, int kind, const char *tk, size_t tklen,
	       uint32_t first, const void *v, size_t len,
	       post_loc *loc) LEDE_WUR;
/* Blocks 0..nb-1 of one term through ix_blk_put: postings block i is
 * blocks[boff[i] .. boff[i + 1]), its positions posblk[poff[i] ..
 * poff[i + 1]) (posblk NULL: none, a title term); ents[i].first is its
 * first docid, and ents[i].bl and .pl get the places. */
int ix_blks_put(ix_txn *t, const char *tk, size_t tklen, size_t nb,
		const uint8_t *blocks, const size_t *boff,
		const uint8_t *posblk, const size_t *poff,
		post_dirent *ents) LEDE_WUR;
/* The table of a kind's chunks: IX_BLK or IX_POS. */
int ix_blk_dbi(int kind);
/* The block at loc (without its checksum), *p valid until the txn
 * ends or writes. A loc outside its chunk, a missing chunk or a
 * checksum that does not match is LEDE_ECORRUPT (ix_damage() says
 * where). */
int ix_blk_get(ix_txn *t, int kind, const char *tk, size_t tklen,
	       uint32_t first, const post_loc *loc, const uint8_t **p,
	       size_t *len) LEDE_WUR;

/* Bytes used by each DBI (pages * page size) and entry counts, for
 * `lede stats`. names[i] is static. Returns the number filled (<= max). */
typedef struct ix_dbi_usage {
	const char *name;
	uint64_t bytes;
	uint64_t entries;
} ix_dbi_usage;
int ix_usage(ix_txn *t, ix_dbi_usage *u, int max);

/* Make the external-id key for id into key (room for IX_ID_KEY_MAX). */
size_t ix_id_key(const char *id, size_t len, uint8_t *key);

/* Raw access for the indexer, `check` and `compact`: the DBIs by
 * number, get/put/del of one key, and cursors. Values returned point
 * into the map (without their checksum trailer) and live until the next
 * write in t or its end. A value failing its checksum is LEDE_ECORRUPT;
 * cursors then still return the key and the unverified value and stay
 * in place, so a walk (`lede check`) can report it and go on. */
enum ix_dbi { IX_META, IX_POST, IX_POS, IX_DOCS, IX_BODY, IX_IDS, IX_LENS,
	      IX_DEAD, IX_XID, IX_BLK, IX_NDBI };
#define IX_APPEND 1   /* key sorts after every key of the DBI */

int ix_get(ix_txn *t, int dbi, const void *k, size_t klen,
	   const uint8_t **v, size_t *vlen) LEDE_WUR;
int ix_put(ix_txn *t, int dbi, const void *k, size_t klen,
	   const void *v, size_t vlen, int flags) LEDE_WUR;
int ix_del(ix_txn *t, int dbi, const void *k, size_t klen) LEDE_WUR;
/* Delete every entry of a DBI. */
int ix_clear(ix_txn *t, int dbi) LEDE_WUR;

typedef struct ix_cur ix_cur;
int ix_cur_open(ix_txn *t, int dbi, ix_cur **out) LEDE_WUR;
/* Position at the first key >= k (k NULL: the first key). 0 = found,
 * >0 = no such key, <0 error (LEDE_ECORRUPT: see above). With v NULL
 * the value is neither returned nor verified. */
int ix_cur_seek(ix_cur *c, const void *k, size_t klen,
		const uint8_t **key, size_t *key_len,
		const uint8_t **v, size_t *vlen);
/* Next entry: 0, >0 at the end, <0 error. */
int ix_cur_next(ix_cur *c, const uint8_t **key, size_t *key_len,
		const uint8_t **v, size_t *vlen);
/* Delete the entry under the cursor. */
int ix_cur_del(ix_cur *c) LEDE_WUR;
void ix_cur_close(ix_cur *c);

/* The checksum trailer of a value: the low 32 bits of
 * XXH3_64bits_withSeed(value, vlen, XXH3_64bits(key, klen)). */
uint32_t ix_sum(const void *k, size_t klen, const void *v, size_t vlen);
/* Where this thread's last checksum failure was ("table 'post', key
 * ..."), for messages. */
const char *ix_damage(void);

/* Make sure the map has room for at least `bytes` more data; call with
 * no transaction of this handle open. */
int ix_ensure_room(ix *x, uint64_t bytes) LEDE_WUR;

#endif
