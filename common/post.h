/*
 * post.h - the postings codec: blocks of docids and term frequencies,
 * position lists, and the per-term record with its block directory.
 *
 * Pure functions over bytes: no LMDB here (ix.h places these values under
 * their keys). Every decoder bounds-checks its input and returns
 * LEDE_ECORRUPT rather than read past the end: the bytes come from disk.
 *
 * Byte layouts (all integers little-endian bit order inside bit-packed
 * arrays; "varint" is LEB128 as in buf.h):
 *
 * Postings block (in a chunk of the "blocks" table, where its directory
 * entry's loc says; ix.h):
 *     u8  n        documents in the block, 1..POST_BLOCK_MAX
 *     u8  wd       bit width wd of the n-1 docid gaps-1, 0..32, in the
 *                  low 6 bits; bit 7 (0x80): gap exceptions follow;
 *                  bit 6 is zero
 *     u8  wt       the same for the n tf-1 values
 *     bytes        (n-1) values docid[i]-docid[i-1]-1, i = 1..n-1,
 *                  bit-packed LSB first at width wd, padded to a byte
 *     bytes        n values tf[i]-1, bit-packed at width wt, padded
 *     exceptions   for the gaps if wd has bit 7, then for the tfs if wt
 *                  has bit 7; no byte follows
 *   docid[0] is not stored: the directory entry holds it. A block whose tfs are all 1
 *   spends no byte on them (wt = 0).
 *   Exceptions (patched frame of reference, as in PForDelta): an array
 *   flagged with bit 7 is packed at a width w < 32 smaller than its
 *   largest value needs; the packed slots hold each value's low w bits
 *   and the values >= 2^w are listed as
 *     u8  c        1..length of the array
 *     c x (u8 index, varint (value >> w) - 1)   indices strictly ascending
 *   so one outlier gap or tf no longer widens the whole array. The
 *   encoder picks, per array, the smallest of plain packing and every
 *   width w with exceptions (plain on ties), so a block is never larger
 *   than plain packing would make it.
 *
 * Positions block (in a chunk of the "pos" table, where the entry's
 * second loc says):
 *     u8  codec    0 = varint deltas, 1 = Golomb-Rice,
 *                  2 = binary interpolative (needs document lengths),
 *                  3 = codec 2 with offsets to skip documents
 *   Codecs 0 and 1 code the same values: for each document of the
 *   postings block in order, tf[i] values, the first position, then
 *   each gap to the previous one minus one (gaps >= 1: positions
 *   strictly increase within a document, so gap-1 is stored and
 *   adjacent words cost the least). The encoder writes codec 2 when it
 *   is at least 8% smaller than both others (it decodes slower), else
 *   the smaller of codecs 0 and 1 (0 on ties; it wins tiny blocks).
 *   Codec 0: the values as varints.
 *   Codec 1:
 *     u8  kf       Rice parameter of the first positions, 0..31
 *     u8  kg       Rice parameter of the gaps, 0..31; present only if
 *                  some tf[i] > 1 (the decoder has the tfs)
 *     bits         the values, LSB first, padded with zero bits to a
 *                  byte; no byte follows. Value x at parameter k, with
 *                  q = x >> k: if q < 32, q one bits, a zero bit, then
 *                  the k low bits of x; else 32 one bits then x in 32
 *                  bits (an escape, only valid when x >> k >= 32).
 *   Codec 2:
 *     bits         for each document i in order, its tf[i] positions,
 *                  all in 0..U where U = lens[i] is the document's
 *                  value in the lens table (ix.h; a tombstoned
 *                  document's is kept in the "dead" table), coded by
 *                  code(v[0..t), lo = 0, hi = U): nothing if t = 0;
 *                  else with m = (t - 1) / 2, v[m] - (lo + m) as a
 *                  truncated binary number below r = hi - lo - t + 2,
 *                  then code(v[0..m), lo, v[m] - 1) and
 *                  code(v[m+1..t), v[m] + 1, hi). Truncated binary of
 *                  x below r: nothing if r = 1; else k = floor(log2 r),
 *                  u = 2^(k+1) - r; x < u is x in k bits; otherwise
 *                  u + (x - u) / 2 in k bits, then bit (x - u) % 2.
 *                  LSB first, padded with zero bits to a byte; no byte
 *                  follows. Written only when every U <= 65535 and
 *                  every position <= its U.
 *   Codec 3 (written instead of codec 2 for a block of more than
 *   POS_SKIP documents whose codec 2 bits take POS_SKIP_BYTES or more;
 *   schema 6):
 *     u8  w        bit width of the offsets below, 0..32
 *     bytes        m = (n - 1) / POS_SKIP values at width w, packed as
 *                  a postings block's arrays (LSB first, padded to a
 *                  byte): value j is the number of bits that documents
 *                  j * POS_SKIP .. (j + 1) * POS_SKIP - 1 take in the
 *                  bits below, so document k * POS_SKIP's positions
 *                  start at the sum of the first k values
 *     bits         exactly codec 2's bits
 *   A phrase wanting document i's positions starts decoding at the
 *   offset of document i / POS_SKIP * POS_SKIP instead of document 0;
 *   a whole decode checks every offset against where it got.
 *
 * Term record (value under key  termkey 0x00 in the term table, ix.h;
 * one lookup finds it and, through its directory, every block):
 *     varint df        live documents that contain the term
 *     varint nblocks << 1 | inline
 *     nblocks directory entries, in docid order:
 *        varint first - prev_last   (prev_last = 0 before the first
 *                                    entry; docids start at 1)
 *        varint last - first
 *        u8     n - 1               documents in the block
 *        u8     npairs              1..POST_MAX_PAIRS
 *        npairs x (varint tf, varint len)   competitive pairs
 *        loc    the postings block's place (inline 0: not written)
 *        loc    the positions block's place (inline 0: not written)
 *     where a loc is, relative to the previous loc of the same kind in
 *     this record (chunk 0, off 0, len 0 before the first):
 *        varint len << 1 | moved   len: the block's bytes in its chunk,
 *                                  its 4-byte checksum included (0: no
 *                                  block, a title term's positions),
 *                                  below 2^31
 *        if moved:  varint zigzag(chunk - prev chunk), varint off
 *        else:      chunk = prev chunk, off = prev off + prev len
 *     so the blocks of one term written one after the other in a chunk
 *     cost one varint each.
 *   When inline is 0 and nblocks >= 1, the top list follows:
 *     varint ntop      1..
 *     ntop x (varint docid - prev, varint tf - 1, varint ttf)
 *                      prev = the previous docid of the list (0 before
 *                      the first), so docids strictly ascend; ttf is
 *                      the document's tf in the title field's term
 *                      (0 for a title term's own list)
 *   The top list is the term's POST_TOP_K-skyband over its postings
 *   (all of them, tombstoned documents included, with the lengths the
 *   lens table had when they were written): the postings (tf, ttf,
 *   len, docid) that fewer than POST_TOP_K others dominate, where Q
 *   dominates P when tf_Q >= tf_P, ttf_Q >= ttf_P, len_Q <= len_P and
 *   (tf_Q > tf_P or ttf_Q > ttf_P or len_Q < len_P or docid_Q <
 *   docid_P). With k1 > 0, b > 0 and a title weight > 0 a dominating
 *   posting has a strictly higher BM25 score for the word alone (main
 *   part plus headline part), or the same and a lower docid, whatever
 *   k1, b and avgdl: so the k best documents for the word, k <=
 *   POST_TOP_K - (postings - df), are all in the list, and the
 *   one-word search reads only it.
 *   When inline is 1 (only with nblocks = 1), the single block and its
 *   positions follow in the record itself instead of under keys of their
 *   own:
 *     varint blen, blen bytes   the postings block
 *     varint plen, plen bytes   its positions block (0 bytes: title field)
 *   Most terms are rare: inlining saves them two LMDB entries (about 46
 *   bytes of keys and node headers) and a seek.
 *   The competitive pairs are the block's Pareto frontier of (tf, doc
 *   length): no document of the block has tf' >= tf and len' <= len with
 *   one of them strict, for a pair not listed or dominated by a listed
 *   one. So max over pairs of tf/(tf + k1*(1-b+b*len/avgdl)) bounds the
 *   block's BM25 term weight for every k1, b and avgdl. Pairs are sorted
 *   by tf ascending (len then ascends too). Frontiers longer than
 *   POST_MAX_PAIRS are shrunk by replacing neighbours (tf_a,len_a),
 *   (tf_b,len_b) with (tf_b, len_a), which dominates both: still a bound.
 */
#ifndef LEDE_POST_H
#define LEDE_POST_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

#define POST_BLOCK_MAX 128
#define POST_MAX_PAIRS 4
/* Largest encoded block: 3 header bytes + two arrays at 32 bits. */
#define POST_BLOCK_BYTES_MAX (3 + 2 * 4 * POST_BLOCK_MAX)

typedef struct post_pair {
	uint32_t tf;
	uint32_t len;
} post_pair;

/* Where a block lies in its table of chunks (ix.h, "blocks" and "pos"):
 * the chunk's id, the block's byte offset in it and its length with its
 * 4-byte checksum. All zero: no such block (an inline block, or a title
 * term's positions). */
typedef struct post_loc {
	uint32_t chunk, off, len;
} post_loc;
#define POST_LOC_LEN_MAX (UINT32_MAX >> 1)   /* len << 1 fits 32 bits */

typedef struct post_dirent {
	uint32_t first;          /* first docid of the block */
	uint32_t last;           /* last docid */
	uint32_t n;              /* documents, 1..POST_BLOCK_MAX */
	uint32_t npairs;         /* 1..POST_MAX_PAIRS */
	post_pair pairs[POST_MAX_PAIRS];
	post_loc bl, pl;         /* the postings and the positions block */
} post_dirent;

/* Encode n (1..POST_BLOCK_MAX) postings: docids strictly ascending,
 * tfs >= 1. Appends to out. LEDE_EINVAL on bad input. */
int post_block_encode(const uint32_t *docids, const uint32_t *tfs,
		      unsigned n, buf *out) LEDE_WUR;

/* Decode a block whose key gave first. docids and tfs have room for
 * POST_BLOCK_MAX. Sets *n. LEDE_ECORRUPT on anything malformed (length
 * mismatch, n out of range, docid overflow). */
int post_block_decode(const uint8_t *p, size_t len, uint32_t first,
		      uint32_t *docids, uint32_t *tfs, unsigned *n) LEDE_WUR;
/* The docids alone (counting): the tfs are neither decoded nor checked
 * (the value's checksum still covers them). */
int post_block_docids(const uint8_t *p, size_t len, uint32_t first,
		      uint32_t *docids, unsigned *n) LEDE_WUR;

/* Encode positions of n documents; doc i has tfs[i] positions, all
 * concatenated in pos (strictly increasing within one document).
 * lens[i] is doc i's value in the lens table, or lens is NULL (then
 * codec 2 is not considered). */
int post_pos_encode(const uint32_t *pos, const uint32_t *tfs,
		    const uint32_t *lens, unsigned n, buf *out) LEDE_WUR;

/* Reading a positions block a few documents at a time: a phrase query
 * wants one document's positions, and the ones before it in the block,
 * not the whole block's. Open, then read up to document `to`. */
#define POS_SKIP       16   /* codec 3: an offset every 16 documents */
#define POS_SKIP_MAX   ((POST_BLOCK_MAX - 1) / POS_SKIP)
#define POS_SKIP_BYTES 128  /* codec 3 only for longer codec 2 bits */

typedef struct post_pos_rd {
	const uint8_t *p, *end;   /* unread bytes */
	uint64_t acc;             /* bit codecs: loaded, unread bits */
	unsigned nb;
	unsigned codec, kf, kg;   /* codec 1's parameters */
	unsigned done;            /* documents read */
	/* codec 3: where the bits start, and where documents POS_SKIP,
	 * 2 * POS_SKIP, ... start in them (bits) */
	const uint8_t *base;
	unsigned nsk;
	uint32_t skip[POS_SKIP_MAX];
} post_pos_rd;

/* Start reading block p of n documents with tfs; lens as for
 * post_pos_decode (LEDE_EINVAL for codec 2 without them). */
int post_pos_open(post_pos_rd *rd, const uint8_t *p, size_t len,
		  const uint32_t *tfs, const uint32_t *lens,
		  unsigned n) LEDE_WUR;
/* Decode documents rd->done .. to - 1 (to <= n), their positions one
 * after the other from pos[0]. Reaching n also checks that the value
 * ends there; a block read only in part is checked only as far as it
 * was read. LEDE_ECORRUPT as post_pos_decode; pos must have room. */
int post_pos_read(post_pos_rd *rd, const uint32_t *tfs, const uint32_t *lens,
		  unsigned n, unsigned to, uint32_t *pos) LEDE_WUR;

/* Before reading document i of a codec 3 block, move past the
 * documents before it without decoding them, to the last stored offset
 * at or before i, when that is past rd->done: returns 1 and sets
 * rd->done to that document (positions are then read from there); 0
 * when it did not move (other codecs, or i in reach). */
int post_pos_seek(post_pos_rd *rd, unsigned i);

/* Whether the block is codec 2 or 3, whose decoding needs lens. */
int post_pos_needs_lens(const uint8_t *p, size_t len);

/* Decode into pos (room for cap entries; the total must equal the sum
 * of tfs). lens as for post_pos_encode: required (else LEDE_EINVAL) for
 * codec 2, ignored otherwise. LEDE_ECORRUPT on a short or overlong
 * value or non-increasing positions; LEDE_ETOOBIG if cap is too small. */
int post_pos_decode(const uint8_t *p, size_t len, const uint32_t *tfs,
		    const uint32_t *lens, unsigned n, uint32_t *pos,
		    size_t cap) LEDE_WUR;

/* Fill e->pairs/e->npairs with the competitive (tf, len) pairs of n
 * documents (lens[i] is doc i's length), shrunk to POST_MAX_PAIRS. */
void post_pairs_compute(const uint32_t *tfs, const uint32_t *lens,
			unsigned n, post_dirent *e);

/* Cut nd (>= 1) postings into blocks of POST_BLOCK_MAX documents, as a
 * term's blocks are written: each block is appended to blocks and, when
 * pos is not NULL, its positions (pos holds tfs[i] of them per document)
 * to posblk. boff[i] and poff[i] get where block i starts in blocks and
 * posblk, boff[nb] and poff[nb] their ends (nb = ceil(nd /
 * POST_BLOCK_MAX); both arrays have nb + 1 entries); ents[0..nb) get the
 * directory entries, with competitive pairs from the documents' lens. */
int post_encode_blocks(const uint32_t *docids, const uint32_t *tfs,
		       const uint32_t *lens, const uint32_t *pos, size_t nd,
		       buf *blocks, size_t *boff, buf *posblk, size_t *poff,
		       post_dirent *ents) LEDE_WUR;

/* Upper bound of tf/(tf + k1*(1 - b + b*len/avgdl)) over e's pairs. */
double post_dirent_bound(const post_dirent *e, double k1, double b,
			 double avgdl);

/* ---- top lists (see "Term record") ---- */

#define POST_TOP_K 16
#define POST_TOP_TFMAX 255   /* tfs the accumulator's filter tracks */
#define POST_TOP_TTFMAX 3    /* and title tfs */

typedef struct post_top {
	uint32_t docid, tf, len, ttf;
} post_top;

/* Reduce v[0..n) (distinct docids) to its POST_TOP_K-skyband, in place,
 * sorted by docid; returns the new count. */
size_t post_top_reduce(post_top *v, size_t n);

/* Gathers a term's skyband from its postings, in any order, with a
 * constant-time test that turns away most postings once the list has
 * filled: thr[t][u] is the POST_TOP_K-th smallest length among the
 * kept postings of tf >= t and ttf >= u, and a posting longer than
 * that is dominated. */
typedef struct post_topacc {
	post_top *v;
	size_t n, cap, kept;   /* kept: v[0..kept) is a reduced list */
	int thr_set;           /* some thr is not UINT32_MAX */
	int finished;          /* v is the skyband by docid (finish) */
	void *scr;             /* the reduce's scratch, scrcap bytes */
	size_t scrcap;
	uint32_t thr[POST_TOP_TFMAX + 1][POST_TOP_TTFMAX + 1];
} post_topacc;

void post_topacc_init(post_topacc *a);
void post_topacc_reset(post_topacc *a);
void post_topacc_release(post_topacc *a);
int post_topacc_add(post_topacc *a, uint32_t docid, uint32_t tf,
		    uint32_t ttf, uint32_t len) LEDE_WUR;
/* Reduce what was added: a->v[0..a->n) is then the skyband, by docid.
 * A second call with nothing added since costs nothing. */
void post_topacc_finish(post_topacc *a);

/* Term record: encode df, the directory (entries in docid order,
 * non-overlapping) and the top list (ntop >= 1 entries by docid; only
 * docid, tf and ttf are stored) to out. */
int post_term_encode(uint32_t df, const post_dirent *ents, size_t n,
		     const post_top *top, size_t ntop, buf *out) LEDE_WUR;

/* Decode the top list post_term_decode_ex returned (inl->top): ntop
 * entries into out (len set to 0). LEDE_ECORRUPT if malformed. */
int post_top_decode(const uint8_t *p, size_t len, size_t ntop,
		    post_top *out) LEDE_WUR;

/* Decode a term record. *ents is malloc'd (caller frees), *n entries.
 * Checks: entries in ascending non-overlapping order, first <= last,
 * n in range, npairs in range. LEDE_ECORRUPT otherwise. */
int post_term_decode(const uint8_t *p, size_t len, uint32_t *df,
		     post_dirent **ents, size_t *n) LEDE_WUR;

/* An inline block and its positions inside a term record (pointers into
 * the record; blk NULL when the record has none). */
typedef struct post_inline {
	const uint8_t *blk;
	size_t blen;
	const uint8_t *pos;
	size_t plen;
	const uint8_t *top;      /* the top list's entries (not inline) */
	size_t top_len, ntop;
} post_inline;

/* post_term_decode that also returns the inline block, if any (inl may
 * be NULL: the block is then checked for framing only). */
int post_term_decode_ex(const uint8_t *p, size_t len, uint32_t *df,
			post_dirent **ents, size_t *n,
			post_inline *inl) LEDE_WUR;

/* A record with one directory entry and its block + positions inline. */
int post_term_encode_inline(uint32_t df, const post_dirent *ent,
			    const uint8_t *blk, size_t blen,
			    const uint8_t *pos, size_t plen,
			    buf *out) LEDE_WUR;

/* Only df, without the directory (cheap). */
int post_term_df(const uint8_t *p, size_t len, uint32_t *df) LEDE_WUR;

/* Bit packing, exposed for tests: pack n values at width w (0..32) to
 * out, LSB first, padded to a byte; unpack reads exactly
 * post_packed_bytes(n, w) bytes from p. */
size_t post_packed_bytes(unsigned n, unsigned w);
int post_pack(const uint32_t *v, unsigned n, unsigned w, buf *out) LEDE_WUR;
void post_unpack(const uint8_t *p, unsigned n, unsigned w, uint32_t *v);
unsigned post_bits(uint32_t maxval);  /* 0 for 0, else floor(log2)+1 */

/* Whether blocks decode with AVX2 (x86-64 CPUs that have it; the
 * result is the same byte for byte). on 0 turns it off and 1 back on,
 * for tests that compare both; -1 only asks. */
int post_simd(int on);

#endif
