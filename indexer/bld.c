/*
 * bld.c - the index writer (see bld.h).
 *
 * What it owns: one write transaction at a time, the accumulator of the
 * batch (a table of termkeys, each with a byte stream of its postings),
 * and the per-batch document lengths.
 *
 * Accumulator stream of one term, per document in docid order:
 *     varint docid - previous docid (the first: the docid itself)
 *     varint tf
 *     main-field terms only: tf varints, first position then gaps
 * It is decoded once at flush time and cut into blocks of
 * POST_BLOCK_MAX documents (post.h), written after the term's existing
 * blocks; the term record (df, directory) is rewritten once per batch.
 *
 * Positions: title tokens take positions 0..T-1, the body starts at T+1
 * so that a phrase never runs from the headline into the first sentence.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "../common/ana.h"
#include "../common/buf.h"
#include "../common/post.h"
#include "bld.h"

#define TT_EMPTY UINT32_MAX
#define BODY_ZSTD_MIN 256        /* shorter bodies are stored raw */
/* zstd level of stored bodies: on 300k synthetic articles level 1
 * compressed the bodies 0.4% larger than level 3 and cut the whole
 * bulk load from 10.6 to 9.3 s (the reader thread spent half its time
 * in zstd); level -1 was faster still but 45% larger. */
#define BODY_ZSTD_LEVEL 1
/* Sorted runs merged at once: each is an open file with a read buffer,
 * so a bulk load with more runs merges them in passes first (a big
 * archive at a small --mem would otherwise run out of file descriptors
 * at the very end). LEDE_RUN_FANIN (2 or more) lowers it for tests. */
#define RUN_FANIN 64
#define RUN_BUF_MIN ((size_t)64 << 10)
#define RUN_BUF_MAX ((size_t)1 << 20)

/* ---- term table: open addressing over entries in a vector ---- */

typedef struct term {
	uint64_t hash;
	uint32_t key_off;        /* into tt.keys */
	uint16_t key_len;
	uint8_t has_pos;
	uint32_t last_docid;     /* last docid appended to post */
	buf post;                /* the stream described above */
	/* per-document scratch while a document is analysed */
	uint32_t cur_doc;
	uint32_t cur_tf;
	uint32_t cur_head, cur_tail;   /* occurrence chain */
	uint32_t val;                  /* token cache: accumulator index */
} term;

typedef struct termtab {
	uint32_t *slots;         /* entry index or TT_EMPTY */
	size_t nslots;           /* power of two */
	term *ents;
	size_t n, cap;
	buf keys;
} termtab;

static void tt_init(termtab *t)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->keys);
}

static void tt_release(termtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		buf_release(&t->ents[i].post);
	free(t->slots);
	free(t->ents);
	buf_release(&t->keys);
	memset(t, 0, sizeof(*t));
}

static int tt_grow(termtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *s = malloc(ns * sizeof(*s));

	if (!s)
		return LEDE_ENOMEM;
	memset(s, 0xff, ns * sizeof(*s));
	for (size_t i = 0; i < t->n; i++) {
		size_t j = t->ents[i].hash & (ns - 1);
		while (s[j] != TT_EMPTY)
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return 0;
}

static const char *tt_key(const termtab *t, const term *e)
{
	return (const char *)t->keys.data + e->key_off;
}

/* Find or insert key; *out is the entry's index. */
static int tt_get(termtab *t, const char *key, size_t len, int has_pos,
		  uint32_t *out)
{
	uint64_t h = hash64(key, len, 7);
	size_t j;
	term *e;
	int rc;

	if ((t->n + 1) * 2 > t->nslots) {
		rc = tt_grow(t);
		if (rc)
			return rc;
	}
	j = h & (t->nslots - 1);
	while (t->slots[j] != TT_EMPTY) {
		e = &t->ents[t->slots[j]];
		if (e->hash == h && e->key_len == len &&
		    memcmp(tt_key(t, e), key, len) == 0) {
			*out = t->slots[j];
			return 0;
		}
		j = (j + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		term *ne = arr_grow(t->ents, &t->cap, sizeof(*ne), 1024);
		if (!ne)
			return LEDE_ENOMEM;
		t->ents = ne;
	}
	e = &t->ents[t->n];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->key_off = (uint32_t)t->keys.len;
	e->key_len = (uint16_t)len;
	e->has_pos = (uint8_t)has_pos;
	buf_init(&e->post);
	rc = buf_add(&t->keys, key, len);
	if (rc)
		return rc;
	t->slots[j] = (uint32_t)t->n;
	*out = (uint32_t)t->n++;
	return 0;
}

/* ---- token cache: folded token (with field mark) -> accumulator entry
 *
 * The hottest lookup of indexing: one per token. A slot is 32 bytes,
 * half a cache line, and holds short keys inline, zero-padded, so a hit
 * costs one probe and three word compares. Longer tokens (rare) bypass
 * the cache. */

#define TC_KEY 23

typedef struct tc_slot {
	uint32_t hash;
	uint32_t val;            /* accumulator index + 1; 0 = empty */
	uint8_t len;
	uint8_t key[TC_KEY];
} tc_slot;

typedef struct tcache {
	tc_slot *slots;
	size_t mask, n;
} tcache;

static void tc_release(tcache *c)
{
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

static int tc_grow(tcache *c)
{
	size_t ns = c->slots ? (c->mask + 1) * 2 : 4096;
	tc_slot *s = calloc(ns, sizeof(*s));

	if (!s)
		return LEDE_ENOMEM;
	for (size_t i = 0; c->slots && i <= c->mask; i++) {
		size_t j;

		if (!c->slots[i].val)
			continue;
		j = c->slots[i].hash & (ns - 1);
		while (s[j].val)
			j = (j + 1) & (ns - 1);
		s[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = s;
	c->mask = ns - 1;
	return 0;
}

static inline uint32_t tc_hash(const uint64_t w[3], size_t len)
{
	uint64_t h = (w[0] * 0x9e3779b97f4a7c15ULL) ^
		     (w[1] * 0xc2b2ae3d27d4eb4fULL) ^
		     (w[2] * 0x165667b19e3779f9ULL) ^ len;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* Find key (len <= TC_KEY); *slot is where it is or would go. Returns
 * the cached value (0 = absent). */
static inline uint32_t tc_find(tcache *c, const uint64_t w[3], size_t len,
			       uint32_t h, tc_slot **slot)
{
	size_t j = h & c->mask;

	for (;;) {
		tc_slot *s = &c->slots[j];

		if (!s->val) {
			*slot = s;
			return 0;
		}
		/* Keys are stored zero-padded, so a fixed-size compare
		 * (inlined as word compares) decides. */
		if (s->hash == h && s->len == len &&
		    memcmp(s->key, w, TC_KEY) == 0) {
			*slot = s;
			return s->val;
		}
		j = (j + 1) & c->mask;
	}
}

#define PREFETCH_AHEAD 8

typedef struct dtok {
	uint64_t w[3];           /* folded token, field mark first, padded */
	uint32_t h;              /* tc_hash, 0 when too long to cache */
	uint32_t pos;
	uint32_t ei;             /* accumulator entry + 1; 0 = skip */
	uint32_t text_off;       /* long tokens: offset in b->longtok */
	uint8_t len;             /* key length (with the mark) */
	uint8_t title;           /* title field */
} dtok;

/* Work on one document that needs no index access: its content hash,
 * its tokens (pass 1 of the analysis) and its compressed body. It can run
 * in another thread than the writer (bld_add_paths). */
typedef struct prep {
	ana *an;                 /* used for tokenizing only */
	ZSTD_CCtx *zc;
	int own_zc;              /* prep_release frees zc */
	dtok *dt;
	size_t ndt, capdt;
	buf longtok;             /* text of tokens too long to cache */
	uint32_t ntitle;         /* dt[0..ntitle) are main-field title tokens */
	uint32_t head;           /* positions below it are the headline's */
	uint64_t hash;
	buf body;                /* the "body" value: codec byte + text */
	int zdefer;              /* prep_doc leaves body to the writer */
	int title;               /* collecting the title field */
	size_t chunk;            /* body tokens collected at a time */
	size_t body_base;        /* offset in the body of what is collected */
	int more;                /* body tokens left after dt (prep_more) */
	size_t more_off;         /* where they start in the body */
	uint32_t more_pos;       /* and the position of the first */
} prep;

static int prep_init(prep *p, const char *lang, ZSTD_CCtx *shared);
static void prep_release(prep *p);

/* ---- the writer ---- */

struct bld {
	ix *x;
	bld_opts o;
	ana *an;
	ix_txn *txn;
	ix_stats st;
	bld_counts c;
	int post_was_empty;      /* batch may use MDB_APPEND on post/pos */
	int bulk;                /* new index: runs on disk, one commit */
	char *run_dir;           /* bulk: folder of the sorted runs */
	unsigned nruns;

	termtab acc;             /* postings of the batch */
	tcache tokc;             /* folded token (+field) -> acc index */
	size_t acc_bytes;        /* memory of the accumulator's streams */
	/* --mem shared out (bld_new, see "Memory" below) */
	size_t acc_cap;          /* bulk: accumulator, all of it */
	size_t txn_cap;          /* bulk: one checkpoint transaction */
	size_t batch_cap;        /* batch: accumulator + transaction */
	size_t pipe_cap;         /* documents between reader and writer */
	size_t doc_cap;          /* input bytes of one document */
	size_t keep_cap;         /* per-document buffers kept between docs */
	uint64_t db_pages;       /* term table pages when the batch began */
	size_t txn_bytes;        /* bytes written in the open transaction */
	uint64_t room;           /* map room made for this transaction */
	uint32_t base;           /* first docid of the batch */
	uint32_t *blen;          /* lengths of batch docs (0 = dropped) */
	uint32_t *bhead;         /* their headline ends: the first body
				  * position less one (bld.c's top) */
	size_t nblen, capblen;
	ix_xidw xw;              /* "xid" chunk of the last docs added */

	/* analysis scratch for the current document */
	uint32_t *occ_pos, *occ_next;
	size_t nocc, capocc;
	prep sp;                 /* pass 1 when documents come one by one */
	uint32_t *dterms;        /* distinct entries of the doc, in order */
	size_t ndterms, capdterms;
	uint32_t cur_docid;

	ZSTD_CCtx *zc;           /* bodies the reader thread left */
	uint8_t *seen;           /* bitmap of docids seen this run */
	size_t seen_bytes;
	buf tmp, tmp2;
};

static void remove_runs(bld *b);

/* ---- memory ----
 *
 * --mem bounds the whole process, so bld_new shares it out once. First
 * MEM_RESERVE for what does not scale (code, libraries, stacks, the
 * LMDB environment, the pipeline's zstd contexts); of the rest, U:
 *   2/5 U  the bulk accumulator: streams, entries, hash slots, keys and
 *          the token cache (acc_mem), spilled to a run when full;
 *   1/5 U  a bulk checkpoint transaction (LMDB keeps every page it
 *          writes in memory until the commit);
 *   3/5 U  a batch: accumulator, records written and the pages the
 *          flush will dirty (batch_mem), committed when full;
 *   1/16 U the stem cache, 1/16 U documents waiting between the reader
 *          and the writer, 1/8 U the merge's read buffers (the
 *          accumulator is empty by then);
 *   1/8 U  the largest document read (doc_cap); it costs about three
 *          times that while it is parsed, tokenized and compressed, so
 *          the writer first empties the accumulator (add_prepared).
 * Tokens are collected DT_CHUNK at a time, so a long document's token
 * array stays small. */
#define MEM_RESERVE ((size_t)12 << 20)
#define MEM_MIN ((size_t)32 << 20)
#define DT_CHUNK 65536
#define DIRTY_PAGE 4096          /* an LMDB page the flush rewrites */

/* DT_CHUNK, or LEDE_TOK_CHUNK (1 or more) for tests. */
static size_t chunk_size(void)
{
	const char *env = getenv("LEDE_TOK_CHUNK");
	long v = env && *env ? strtol(env, NULL, 10) : 0;

	return v >= 1 && v < DT_CHUNK ? (size_t)v : DT_CHUNK;
}

static size_t acc_mem(const bld *b)
{
	return b->acc_bytes + b->acc.cap * sizeof(term) +
	       b->acc.nslots * sizeof(uint32_t) + b->acc.keys.cap +
	       (b->tokc.slots ? (b->tokc.mask + 1) * sizeof(tc_slot) : 0);
}

/* What a batch holds, and what its commit will add: each term's record
 * goes into its leaf page of the term table, so the flush dirties up to
 * a page per term, and never more than that table holds; the new blocks
 * go into new chunks (counted in txn_bytes as they are written). */
static size_t batch_mem(const bld *b)
{
	uint64_t pages = (uint64_t)b->acc.n;

	if (pages > b->db_pages)
		pages = b->db_pages;
	/* A document's external id may go into a leaf of its own (ids
	 * sort as written, not as they arrive), and the leaves' parents
	 * are dirtied too: an eighth more (1 GB index + 42,000 articles at
	 * --mem 64: 77 MB peak before these two were counted). */
	pages += b->nblen;
	pages += pages / 8;

	return acc_mem(b) + b->txn_bytes + (size_t)pages * DIRTY_PAGE;
}

static void share_mem(bld *b)
{
	size_t m = b->o.mem_bytes < MEM_MIN ? MEM_MIN : b->o.mem_bytes;
	size_t u = m - MEM_RESERVE;

	b->o.mem_bytes = m;
	b->acc_cap = u / 5 * 2;
	b->txn_cap = u / 5;
	b->batch_cap = u / 5 * 3;
	b->pipe_cap = u / 16;
	b->doc_cap = u / 8;
	b->keep_cap = u / 16 / 32;
	if (b->keep_cap < ((size_t)64 << 10))
		b->keep_cap = (size_t)64 << 10;
}

/* Remove run folders left by a bulk load that was killed: their process
 * is gone, and so is their transaction. */
static void remove_stale_runs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[4096], sub[4096 + 256];
		long pid;
		DIR *rd;
		struct dirent *re;

		if (sscanf(de->d_name, "bulk-%ld.tmp", &pid) != 1 ||
		    pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rd = opendir(path);
		while (rd && (re = readdir(rd)) != NULL) {
			if (strncmp(re->d_name, "run-", 4) != 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, re->d_name);
			unlink(sub);
		}
		if (rd)
			closedir(rd);
		rmdir(path);
	}
	closedir(d);
}

const bld_counts *bld_get_counts(const bld *b)
{
	return &b->c;
}

int bld_new(ix *x, const bld_opts *o, bld **out)
{
	bld *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b)
		return LEDE_ENOMEM;
	b->x = x;
	b->o = *o;
	share_mem(b);
	tt_init(&b->acc);
	remove_stale_runs(ix_path(x));
	buf_init(&b->tmp);
	buf_init(&b->tmp2);
	ix_xidw_init(&b->xw);
	rc = ana_new(ix_lang(x), &b->an);
	if (!rc)
		rc = prep_init(&b->sp, ix_lang(x), NULL);
	if (rc) {
		bld_free(b);
		return rc;
	}
	ana_set_cache_bytes(b->an, (b->o.mem_bytes - MEM_RESERVE) / 16);
	*out = b;
	return 0;
}

void bld_free(bld *b)
{
	if (!b)
		return;
	ix_abort(b->txn);
	remove_runs(b);
	ana_free(b->an);
	tt_release(&b->acc);
	tc_release(&b->tokc);
	free(b->blen);
	free(b->bhead);
	free(b->occ_pos);
	free(b->occ_next);
	free(b->dterms);
	prep_release(&b->sp);
	ZSTD_freeCCtx(b->zc);
	free(b->seen);
	buf_release(&b->tmp);
	buf_release(&b->tmp2);
	ix_xidw_release(&b->xw);
	free(b);
}

static int mark_seen(bld *b, uint32_t docid)
{
	size_t need = (size_t)docid / 8 + 1;

	if (need > b->seen_bytes) {
		size_t n = b->seen_bytes ? b->seen_bytes : 4096;
		uint8_t *p;

		while (n < need)
			n *= 2;
		p = realloc(b->seen, n);
		if (!p)
			return LEDE_ENOMEM;
		memset(p + b->seen_bytes, 0, n - b->seen_bytes);
		b->seen = p;
		b->seen_bytes = n;
	}
	b->seen[docid / 8] |= (uint8_t)(1u << (docid % 8));
	return 0;
}

static int is_seen(const bld *b, uint32_t docid)
{
	return (size_t)docid / 8 < b->seen_bytes &&
	       (b->seen[docid / 8] >> (docid % 8) & 1);
}

/* Map room to make before a transaction that may also receive a
 * document of doc_bytes: the batch is bounded by mem_bytes; twice that
 * covers it, its copy-on-write shadow and rewritten term records. */
static uint64_t room_for(const bld *b, size_t doc_bytes)
{
	uint64_t r = (uint64_t)b->o.mem_bytes * 2;
	uint64_t d = (uint64_t)doc_bytes * 3;

	return r > d ? r : d;
}

/* Pages of the postings and positions tables: a batch's flush cannot
 * dirty more of their pages than that (batch_mem). */
static void count_pages(bld *b)
{
	ix_dbi_usage u[IX_NDBI];
	int n = ix_usage(b->txn, u, IX_NDBI);

	b->db_pages = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(u[i].name, "post") == 0)
			b->db_pages += u[i].bytes / DIRTY_PAGE;
}

static int begin(bld *b)
{
	const uint8_t *k, *v;
	size_t kl, vl;
	ix_cur *c;
	int rc;

	if (b->txn)
		return 0;
	/* The batch is bounded by mem_bytes; leave room for it, its copy-on-
	 * write shadow and the rewritten term records. */
	rc = ix_ensure_room(b->x, room_for(b, 0));
	if (rc)
		return rc;
	b->room = room_for(b, 0);
	rc = ix_begin(b->x, 1, &b->txn);
	if (rc)
		return rc;
	rc = ix_stats_get(b->txn, &b->st);
	if (rc)
		return rc;
	rc = ix_cur_open(b->txn, IX_POST, &c);
	if (rc)
		return rc;
	rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl);
	ix_cur_close(c);
	if (rc < 0)
		return rc;
	b->post_was_empty = rc > 0;
	if (b->st.ndocs == 0 && b->st.next_docid == 1) {
		/* An index that never committed a document may still hold
		 * what a killed bulk load checkpointed: nothing reachable,
		 * and in the way of MDB_APPEND. */
		for (int i = IX_POST; i < IX_NDBI; i++) {
			rc = ix_clear(b->txn, i);
			if (rc)
				return rc;
		}
		b->post_was_empty = 1;
	}
	b->bulk = b->o.bulk && b->post_was_empty && b->st.ndocs == 0 &&
		  b->st.next_docid == 1;
	b->base = b->st.next_docid;
	b->nblen = 0;
	b->acc_bytes = 0;
	b->txn_bytes = 0;
	count_pages(b);
	return 0;
}

/* Bulk load: commit what the transaction holds so far and go on in a
 * new one, so that LMDB's dirty pages stay within the memory budget.
 * Nothing committed here is reachable: the statistics still say the
 * index is empty until the last commit, and begin() wipes such
 * leftovers if the load is killed. */
static int bulk_checkpoint(bld *b, size_t doc_bytes)
{
	int rc = ix_commit(b->txn);

	b->txn = NULL;
	b->txn_bytes = 0;
	b->room = room_for(b, doc_bytes);
	if (!rc)
		rc = ix_ensure_room(b->x, b->room);
	if (!rc)
		rc = ix_begin(b->x, 1, &b->txn);
	return rc;
}

/* ---- analysis of one document into the accumulator ---- */

static int occ_push(bld *b, uint32_t pos, uint32_t *idx)
{
	if (b->nocc == b->capocc) {
		size_t nc = b->capocc ? b->capocc * 2 : 4096;
		uint32_t *p1 = realloc(b->occ_pos, nc * sizeof(*p1));
		uint32_t *p2;

		if (!p1)
			return LEDE_ENOMEM;
		b->occ_pos = p1;
		p2 = realloc(b->occ_next, nc * sizeof(*p2));
		if (!p2)
			return LEDE_ENOMEM;
		b->occ_next = p2;
		b->capocc = nc;
	}
	b->occ_pos[b->nocc] = pos;
	b->occ_next[b->nocc] = UINT32_MAX;
	*idx = (uint32_t)b->nocc++;
	return 0;
}

/*
 * A document is analysed in three passes so that the two random memory
 * accesses per token (the token cache slot, then the accumulator entry)
 * can be prefetched a few tokens ahead instead of stalling on each:
 *   1. tokenize title (main and title field) and body into b->dt;
 *   2. resolve each token to its accumulator entry through the cache
 *      (stemming only on a miss);
 *   3. count each entry's tf and chain its positions for this document.
 */

static int on_collect(void *ctx, const char *unused, size_t unused_len,
		      const tok_token *t)
{
	prep *p = ctx;
	dtok *d;
	size_t kl = t->len + (p->title ? 1 : 0);

	(void)unused;
	(void)unused_len;
	if (p->ndt == p->capdt) {
		dtok *n = arr_grow(p->dt, &p->capdt, sizeof(*n), 512);
		if (!n)
			return LEDE_ENOMEM;
		p->dt = n;
	}
	d = &p->dt[p->ndt++];
	memset(d, 0, sizeof(*d));
	d->pos = t->pos;
	d->title = (uint8_t)p->title;
	d->len = (uint8_t)kl;
	if (kl <= TC_KEY) {
		uint8_t *wb = (uint8_t *)d->w;

		if (p->title)
			wb[0] = IX_TITLE_MARK;
		memcpy(wb + (p->title ? 1 : 0), t->text, t->len);
		d->h = tc_hash(d->w, kl) | 1;   /* never 0 */
		return 0;
	}
	/* Too long for the cache: keep the text for pass 2. */
	d->text_off = (uint32_t)p->longtok.len;
	return buf_add(&p->longtok, t->text, t->len);
}

/* on_collect, then stop the walk (returning 1) once DT_CHUNK body
 * tokens are collected: the rest waits for prep_more. */
static int on_collect_body(void *ctx, const char *st, size_t len,
			   const tok_token *t)
{
	prep *p = ctx;
	int rc = on_collect(ctx, st, len, t);

	if (rc || p->ndt < p->chunk)
		return rc;
	p->more = 1;
	p->more_off = p->body_base + t->end;
	p->more_pos = t->pos + 1;
	return 1;
}

/* Collect body tokens from p->more_off on (the tokenizer starts afresh
 * after a token, so the tokens are those of one pass over the body). */
static int prep_body(prep *p, const rd_doc *d, size_t off, uint32_t pos)
{
	int rc;

	p->more = 0;
	p->body_base = off;
	rc = ana_tokens(p->an, d->body + off, d->body_len - off, pos,
			on_collect_body, p, NULL);
	return rc == 1 ? 0 : rc;
}

/* The next chunk of a long document's body tokens, in place of dt. */
static int prep_more(prep *p, const rd_doc *d)
{
	p->ndt = 0;
	p->ntitle = 0;
	buf_clear(&p->longtok);
	return prep_body(p, d, p->more_off, p->more_pos);
}

static uint64_t content_hash(const rd_doc *d);

/* shared: NULL for a prep with its own zstd context, else the context
 * that every prep used by one thread shares (about 0.5 MB each). */
static int prep_init(prep *p, const char *lang, ZSTD_CCtx *shared)
{
	int rc;

	memset(p, 0, sizeof(*p));
	buf_init(&p->longtok);
	buf_init(&p->body);
	p->chunk = chunk_size();
	rc = ana_new(lang, &p->an);
	if (rc)
		return rc;
	p->zc = shared;
	if (shared)
		return 0;
	p->zc = ZSTD_createCCtx();
	p->own_zc = 1;
	return p->zc ? 0 : LEDE_ENOMEM;
}

/* Free what a long document grew past keep bytes. */
static void prep_shrink(prep *p, size_t keep)
{
	if (p->capdt * sizeof(*p->dt) > keep) {
		free(p->dt);
		p->dt = NULL;
		p->capdt = 0;
		p->ndt = 0;
	}
	if (p->longtok.cap > keep)
		buf_release(&p->longtok);
	if (p->body.cap > keep)
		buf_release(&p->body);
}

static void prep_release(prep *p)
{
	ana_free(p->an);
	if (p->own_zc)
		ZSTD_freeCCtx(p->zc);
	free(p->dt);
	buf_release(&p->longtok);
	buf_release(&p->body);
	memset(p, 0, sizeof(*p));
}

/* The "body" value of d into p->body: zstd (with zc) when it pays,
 * else raw. */
static int body_value(prep *p, ZSTD_CCtx *zc, const rd_doc *d)
{
	size_t bound = ZSTD_compressBound(d->body_len), zn = 0;
	int rc;

	buf_clear(&p->body);
	rc = buf_reserve(&p->body, bound + 1);
	if (rc)
		return rc;
	if (d->body_len >= BODY_ZSTD_MIN) {
		zn = ZSTD_compressCCtx(zc, p->body.data + 1, bound, d->body,
				       d->body_len, BODY_ZSTD_LEVEL);
		if (ZSTD_isError(zn) || zn >= d->body_len)
			zn = 0;
	}
	if (zn) {
		p->body.data[0] = 1;
		p->body.len = zn + 1;
		return 0;
	}
	p->body.data[0] = 0;
	p->body.len = 1;
	return buf_add(&p->body, d->body, d->body_len);
}

/* Pass 1 of the analysis, the content hash and the body value. */
static int prep_doc(prep *p, const rd_doc *d)
{
	size_t tlen = strlen(d->title);
	uint32_t next = 0;
	int rc;

	p->ndt = 0;
	buf_clear(&p->longtok);
	p->hash = content_hash(d);
	/* Title: main field (with positions) and title field. */
	p->title = 0;
	rc = ana_tokens(p->an, d->title, tlen, 0, on_collect, p, &next);
	if (rc)
		return rc;
	p->ntitle = (uint32_t)p->ndt;
	p->head = next;
	p->title = 1;
	rc = ana_tokens(p->an, d->title, tlen, 0, on_collect, p, NULL);
	if (rc)
		return rc;
	p->title = 0;
	rc = prep_body(p, d, 0, next + 1);
	if (rc)
		return rc;
	if (p->zdefer)
		return 0;   /* the writer makes it (add_prepared) */
	return body_value(p, p->zc, d);
}

/* Stem a token and find or make its accumulator entry. */
static int resolve_slow(bld *b, const char *text, size_t len, int title,
			uint32_t *ei)
{
	char key[IX_TERMKEY_MAX];
	const char *st;
	size_t sl, kl = 0;
	int rc;

	*ei = 0;
	rc = ana_stem(b->an, text, len, &st, &sl);
	if (rc)
		return rc;
	if (sl == 0 || sl > IX_TERMKEY_MAX - 1)
		return 0;
	if (title)
		key[kl++] = IX_TITLE_MARK;
	memcpy(key + kl, st, sl);
	kl += sl;
	rc = tt_get(&b->acc, key, kl, !title, ei);
	if (!rc)
		(*ei)++;
	return rc;
}

static int resolve(bld *b, prep *p)
{
	tcache *c = &b->tokc;
	int rc;

	/* Room for every token of the document up front, so the slots we
	 * prefetch do not move under us. */
	while ((c->n + p->ndt + 1) * 2 > c->mask + 1) {
		rc = tc_grow(c);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < p->ndt; i++) {
		dtok *d = &p->dt[i];
		tc_slot *slot = NULL;
		uint32_t hit = 0;

		if (i + PREFETCH_AHEAD < p->ndt && p->dt[i + PREFETCH_AHEAD].h)
			__builtin_prefetch(&c->slots[p->dt[i + PREFETCH_AHEAD].h &
						     c->mask]);
		if (d->h) {
			hit = tc_find(c, d->w, d->len, d->h, &slot);
			if (hit) {
				d->ei = hit;
				continue;
			}
			rc = resolve_slow(b, (const char *)d->w + d->title,
					  d->len - d->title, d->title, &d->ei);
			if (rc)
				return rc;
			if (d->ei) {
				slot->hash = d->h;
				slot->val = d->ei;
				slot->len = d->len;
				memcpy(slot->key, d->w, TC_KEY);
				c->n++;
			}
			continue;
		}
		rc = resolve_slow(b, (const char *)p->longtok.data +
				  d->text_off, d->len - d->title, d->title,
				  &d->ei);
		if (rc)
			return rc;
	}
	return 0;
}

static int count_terms(bld *b, const prep *p, uint32_t *nmain)
{
	uint32_t n = 0, oi;
	int rc;

	for (size_t i = 0; i < p->ndt; i++) {
		const dtok *d = &p->dt[i];
		term *e;

		if (i + PREFETCH_AHEAD < p->ndt &&
		    p->dt[i + PREFETCH_AHEAD].ei)
			__builtin_prefetch(&b->acc.ents[
				p->dt[i + PREFETCH_AHEAD].ei - 1]);
		if (!d->ei)
			continue;
		e = &b->acc.ents[d->ei - 1];
		if (e->cur_doc != b->cur_docid) {
			if (b->ndterms == b->capdterms) {
				uint32_t *nt = arr_grow(b->dterms,
							&b->capdterms,
							sizeof(*nt), 1024);
				if (!nt)
					return LEDE_ENOMEM;
				b->dterms = nt;
			}
			b->dterms[b->ndterms++] = d->ei - 1;
			e->cur_doc = b->cur_docid;
			e->cur_tf = 0;
			e->cur_head = e->cur_tail = UINT32_MAX;
		}
		e->cur_tf++;
		if (!e->has_pos)
			continue;
		n++;
		rc = occ_push(b, d->pos, &oi);
		if (rc)
			return rc;
		if (e->cur_tail == UINT32_MAX)
			e->cur_head = oi;
		else
			b->occ_next[e->cur_tail] = oi;
		e->cur_tail = oi;
	}
	*nmain = n;
	return 0;
}

/* The writer's per-document scratch, after a long document. */
static void shrink_scratch(bld *b)
{
	if (b->capocc * 2 * sizeof(uint32_t) > b->keep_cap) {
		free(b->occ_pos);
		free(b->occ_next);
		b->occ_pos = b->occ_next = NULL;
		b->capocc = b->nocc = 0;
	}
	if (b->capdterms * sizeof(uint32_t) > b->keep_cap) {
		free(b->dterms);
		b->dterms = NULL;
		b->capdterms = b->ndterms = 0;
	}
	prep_shrink(&b->sp, b->keep_cap);
}

/* Passes 2 and 3 over a prepared document: fills the accumulator and
 * returns the main-field and title lengths. */
static int analyse(bld *b, uint32_t docid, prep *p, const rd_doc *d,
		   uint32_t *len, uint32_t *title_len)
{
	uint32_t nmain = 0, n;
	int rc;

	b->cur_docid = docid;
	b->nocc = 0;
	b->ndterms = 0;
	rc = resolve(b, p);
	if (!rc)
		rc = count_terms(b, p, &nmain);
	if (rc)
		return rc;
	/* Title length: main-field title tokens that made it to a term. */
	*title_len = 0;
	for (uint32_t i = 0; i < p->ntitle; i++)
		if (p->dt[i].ei)
			(*title_len)++;
	/* A long body comes in chunks of tokens. */
	while (p->more) {
		rc = prep_more(p, d);
		if (!rc)
			rc = resolve(b, p);
		if (!rc)
			rc = count_terms(b, p, &n);
		if (rc)
			return rc;
		nmain += n;
	}
	*len = nmain;
	return 0;
}

/* Append the analysed document to each of its terms' streams. */
static int accumulate(bld *b, uint32_t docid)
{
	for (size_t i = 0; i < b->ndterms; i++) {
		term *e = &b->acc.ents[b->dterms[i]];
		size_t before = e->post.cap;
		uint32_t prev = 0;
		int rc;

		rc = buf_add_varint(&e->post, docid - e->last_docid);
		if (!rc)
			rc = buf_add_varint(&e->post, e->cur_tf);
		for (uint32_t o = e->cur_head; !rc && e->has_pos &&
		     o != UINT32_MAX; o = b->occ_next[o]) {
			rc = buf_add_varint(&e->post, b->occ_pos[o] - prev);
			prev = b->occ_pos[o];
		}
		if (rc)
			return rc;
		e->last_docid = docid;
		b->acc_bytes += e->post.cap - before;
	}
	return 0;
}

/* ---- tombstones ---- */

/* Keep a tombstoned document's length for positions codec 2 (ix.h,
 * "dead"). */
static int dead_put(bld *b, uint32_t docid, uint32_t len)
{
	uint8_t k[4], v[2];

	if (len == 0)
		return 0;
	if (len > 65535)
		len = 65535;
	u32be_put(k, docid);
	v[0] = (uint8_t)len;
	v[1] = (uint8_t)(len >> 8);
	return ix_put(b->txn, IX_DEAD, k, 4, v, 2, 0);
}

/* Set docid's lens value to val; *old gets the value it had. */
static int lens_set(bld *b, uint32_t docid, uint16_t val, uint16_t *old)
{
	uint8_t k[4];
	uint16_t chunk[IX_LEN_CHUNK];
	const uint16_t *arr;
	uint32_t ci = docid / IX_LEN_CHUNK;
	int rc;

	rc = ix_lens_chunk(b->txn, ci, &arr, chunk);
	if (rc)
		return rc;
	if (arr != chunk)
		memcpy(chunk, arr, sizeof(chunk));
	*old = chunk[docid % IX_LEN_CHUNK];
	chunk[docid % IX_LEN_CHUNK] = val;
	u32be_put(k, ci);
	return ix_put(b->txn, IX_LENS, k, 4, chunk, sizeof(chunk), 0);
}

typedef struct dfctx {
	bld *b;
	termtab set;
	int title;
} dfctx;

static int on_del_token(void *ctx, const char *st, size_t len,
			const tok_token *t)
{
	dfctx *d = ctx;
	char key[IX_TERMKEY_MAX];
	size_t kl = 0;
	uint32_t ei;

	(void)t;
	if (len > IX_TERMKEY_MAX - 1)
		return 0;
	if (d->title)
		key[kl++] = IX_TITLE_MARK;
	memcpy(key + kl, st, len);
	kl += len;
	return tt_get(&d->set, key, kl, 0, &ei);
}

/* Rewrite a term record with df lowered by one. */
static int df_decrement(bld *b, const char *tk, size_t tkl)
{
	const uint8_t *p, *q;
	size_t len;
	uint32_t df;
	uint8_t key[IX_TERMKEY_MAX + 1];
	int rc;

	rc = ix_term_get(b->txn, tk, tkl, &p, &len);
	if (rc == LEDE_ENOTFOUND)
		return 0;   /* the term's blocks were never written */
	if (rc)
		return rc;
	q = p;
	rc = varint_get32(&q, p + len, &df);
	if (rc)
		return rc;
	buf_clear(&b->tmp2);
	rc = buf_add_varint(&b->tmp2, df ? df - 1 : 0);
	if (!rc)
		rc = buf_add(&b->tmp2, q, (size_t)(p + len - q));
	if (rc)
		return rc;
	memcpy(key, tk, tkl);
	key[tkl] = 0;
	return ix_put(b->txn, IX_POST, key, tkl + 1, b->tmp2.data,
		      b->tmp2.len, 0);
}

static int tombstone(bld *b, uint32_t docid)
{
	ix_doc d;
	uint8_t k[4], idkey[IX_ID_KEY_MAX];
	size_t idkl;
	uint32_t cur;
	uint16_t old;
	dfctx dc;
	int rc;

	rc = ix_doc_get(b->txn, docid, &d);
	if (rc)
		return rc;
	if (docid >= b->base) {
		/* Still in the accumulator: drop it from the batch. Blocks
		 * this transaction already wrote may hold it. */
		rc = dead_put(b, docid, b->blen[docid - b->base]);
		if (rc)
			return rc;
		b->blen[docid - b->base] = 0;
	} else {
		/* Committed: the df of each of its distinct terms drops. */
		rc = ix_body_get(b->txn, docid, &b->tmp);
		if (rc)
			return rc;
		memset(&dc, 0, sizeof(dc));
		dc.b = b;
		tt_init(&dc.set);
		/* d.title points into the map: fine, nothing is written
		 * before the analysis is over. */
		rc = ana_text(b->an, d.title, d.title_len, 0, on_del_token,
			      &dc, NULL);
		if (!rc)
			rc = ana_text(b->an, (char *)b->tmp.data, b->tmp.len,
				      0, on_del_token, &dc, NULL);
		dc.title = 1;
		if (!rc)
			rc = ana_text(b->an, d.title, d.title_len, 0,
				      on_del_token, &dc, NULL);
		for (size_t i = 0; !rc && i < dc.set.n; i++)
			rc = df_decrement(b, tt_key(&dc.set, &dc.set.ents[i]),
					  dc.set.ents[i].key_len);
		tt_release(&dc.set);
		if (rc)
			return rc;
		rc = ix_doc_get(b->txn, docid, &d);
		if (rc)
			return rc;
		rc = lens_set(b, docid, 0, &old);
		if (!rc)
			rc = dead_put(b, docid, old);
		if (rc)
			return rc;
	}
	if (b->st.ndocs == 0 || b->st.sumlen < d.len ||
	    b->st.sumtlen < d.tlen)
		return LEDE_ECORRUPT;
	b->st.ndocs--;
	b->st.sumlen -= d.len;
	b->st.sumtlen -= d.tlen;
	idkl = ix_id_key(d.id, d.id_len, idkey);
	rc = ix_id_lookup(b->txn, d.id, d.id_len, &cur);
	if (!rc && cur == docid)
		rc = ix_del(b->txn, IX_IDS, idkey, idkl);
	if (rc && rc != LEDE_ENOTFOUND)
		return rc;
	u32be_put(k, docid);
	rc = ix_del(b->txn, IX_DOCS, k, 4);
	if (!rc || rc == LEDE_ENOTFOUND)
		rc = ix_del(b->txn, IX_BODY, k, 4);
	if (rc == LEDE_ENOTFOUND)
		rc = 0;
	return rc;
}

/* ---- adding ---- */

static uint64_t content_hash(const rd_doc *d)
{
	uint64_t h = hash64(d->title, strlen(d->title), 1);

	h = hash64(d->body, d->body_len, h);
	h = hash64(d->url, strlen(d->url), h);
	h = hash64(d->tags, strlen(d->tags), h);
	return hash64(&d->date, sizeof(d->date), h);
}

static int put_str(buf *o, const char *s, size_t n)
{
	int rc = buf_add_varint(o, n);

	return rc ? rc : buf_add(o, s, n);
}

/* The "docs" record (ix.h) of od into o; od.docid is not used. */
static int doc_encode(buf *o, const ix_doc *od)
{
	int rc;

	buf_clear(o);
	rc = buf_addc(o, IX_DOC_VERSION);
	if (!rc)
		rc = buf_addc(o, od->has_fstat ? IX_DOC_FSTAT : 0);
	for (int i = 0; !rc && i < 8; i++)
		rc = buf_addc(o, (uint8_t)(od->hash >> (8 * i)));
	if (!rc)
		rc = buf_add_varint(o, od->date > 0 ? (uint64_t)od->date : 0);
	if (!rc)
		rc = buf_add_varint(o, od->len);
	if (!rc)
		rc = buf_add_varint(o, od->tlen);
	if (!rc)
		rc = put_str(o, od->id, od->id_len);
	if (!rc)
		rc = put_str(o, od->title, od->title_len);
	if (!rc)
		rc = put_str(o, od->url, od->url_len);
	if (!rc)
		rc = put_str(o, od->source, od->source_len);
	if (!rc)
		rc = put_str(o, od->tags, od->tags_len);
	if (!rc && od->has_fstat)
		rc = buf_add_varint(o, od->fsize);
	if (!rc && od->has_fstat)
		rc = buf_add_varint(o, (uint64_t)od->mtime_ns);
	return rc;
}

static int write_doc(bld *b, uint32_t docid, const rd_doc *d, uint64_t h,
		     uint32_t len, uint32_t tlen, const buf *body)
{
	uint8_t k[4], idkey[IX_ID_KEY_MAX];
	size_t idkl;
	ix_doc od = {
		.hash = h, .date = d->date, .len = len, .tlen = tlen,
		.id = d->id, .id_len = strlen(d->id),
		.title = d->title, .title_len = strlen(d->title),
		.url = d->url, .url_len = strlen(d->url),
		.source = d->source, .source_len = strlen(d->source),
		.tags = d->tags, .tags_len = strlen(d->tags),
		.has_fstat = d->has_fstat, .fsize = d->fsize,
		.mtime_ns = d->mtime_ns,
	};
	int rc = doc_encode(&b->tmp, &od);

	if (rc)
		return rc;
	u32be_put(k, docid);
	rc = ix_put(b->txn, IX_DOCS, k, 4, b->tmp.data, b->tmp.len, IX_APPEND);
	if (rc)
		return rc;
	b->txn_bytes += b->tmp.len + 64;

	rc = ix_put(b->txn, IX_BODY, k, 4, body->data, body->len, IX_APPEND);
	if (rc)
		return rc;
	b->txn_bytes += body->len + 64;

	idkl = ix_id_key(d->id, strlen(d->id), idkey);
	b->txn_bytes += idkl + 64;
	return ix_put(b->txn, IX_IDS, idkey, idkl, k, 4, 0);
}

static int blen_push(bld *b, uint32_t len, uint32_t head)
{
	if (b->nblen == b->capblen) {
		size_t cap = b->capblen;
		uint32_t *p = arr_grow(b->blen, &cap, sizeof(*p), 4096);

		if (!p)
			return LEDE_ENOMEM;
		b->blen = p;
		p = realloc(b->bhead, cap * sizeof(*p));
		if (!p)
			return LEDE_ENOMEM;
		b->bhead = p;
		b->capblen = cap;
	}
	b->bhead[b->nblen] = head;
	b->blen[b->nblen++] = len;
	return 0;
}

/* ---- bulk load: sorted runs ----
 *
 * A new index is built in one transaction. Whenever the accumulator is
 * full its terms are written, sorted, to a run file in a folder inside
 * the index folder; at the end the runs are merged term by term and the
 * blocks written in key order with MDB_APPEND, so LMDB fills its pages
 * and never splits one. A run file is a sequence of
 *     u8 has_pos, varint key length, key, varint stream length, stream
 * with streams as in the accumulator (docids restart from 0 per run).
 */

static const termtab *sort_tab;
static const uint64_t *sort_pre;
static int cmp_term(const void *a, const void *b);

/* A key's first 8 bytes as a big-endian number, zero-padded. Keys hold
 * no zero byte (tok.h), so these numbers order keys as memcmp does up
 * to the eighth byte, a key that is a prefix of another first: most
 * comparisons of the sort below end on them, without reading the terms
 * and their keys (a cache miss each, scattered over the table). */
static uint64_t key_prefix(const char *k, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < n ? (uint8_t)k[i] : 0);
	return v;
}

static int sorted_terms(bld *b, uint32_t **out)
{
	uint32_t *order;
	uint64_t *pre;

	*out = NULL;
	if (!b->acc.n)
		return 0;
	order = malloc(b->acc.n * sizeof(*order));
	pre = malloc(b->acc.n * sizeof(*pre));
	if (!order || !pre) {
		free(order);
		free(pre);
		return LEDE_ENOMEM;
	}
	for (size_t i = 0; i < b->acc.n; i++) {
		const term *e = &b->acc.ents[i];

		order[i] = (uint32_t)i;
		pre[i] = key_prefix(tt_key(&b->acc, e), e->key_len);
	}
	sort_tab = &b->acc;
	sort_pre = pre;
	qsort(order, b->acc.n, sizeof(*order), cmp_term);
	free(pre);
	*out = order;
	return 0;
}

static void run_path(const bld *b, unsigned i, char *out, size_t n)
{
	snprintf(out, n, "%s/run-%06u", b->run_dir, i);
}

static int put_vint(FILE *f, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = varint_put(tmp, v);

	return fwrite(tmp, 1, n, f) == n ? 0 : LEDE_EIO;
}

static void reset_acc(bld *b)
{
	tt_release(&b->acc);
	tt_init(&b->acc);
	tc_release(&b->tokc);
	b->acc_bytes = 0;
}

static int spill_run(bld *b)
{
	char path[4096];
	uint32_t *order = NULL;
	FILE *f = NULL;
	int rc, err;

	if (!b->run_dir) {
		snprintf(path, sizeof(path), "%s/bulk-%ld.tmp", ix_path(b->x),
			 (long)getpid());
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return LEDE_EIO;
		b->run_dir = strdup(path);
		if (!b->run_dir)
			return LEDE_ENOMEM;
	}
	rc = sorted_terms(b, &order);
	if (rc)
		return rc;
	run_path(b, b->nruns, path, sizeof(path));
	f = fopen(path, "wb");
	if (!f) {
		free(order);
		return LEDE_EIO;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	for (size_t i = 0; !rc && i < b->acc.n; i++) {
		const term *e = &b->acc.ents[order[i]];

		if (fputc(e->has_pos, f) == EOF)
			rc = LEDE_EIO;
		if (!rc)
			rc = put_vint(f, e->key_len);
		if (!rc && fwrite(tt_key(&b->acc, e), 1, e->key_len, f) !=
		    e->key_len)
			rc = LEDE_EIO;
		if (!rc)
			rc = put_vint(f, e->post.len);
		if (!rc && fwrite(e->post.data, 1, e->post.len, f) !=
		    e->post.len)
			rc = LEDE_EIO;
	}
	if (fclose(f) != 0 && !rc)
		rc = LEDE_EIO;
	err = errno;
	free(order);
	if (rc) {
		/* Not counted in nruns, so remove_runs() would miss it and
		 * leave the space taken on a full disk. */
		unlink(path);
		return err == ENOSPC || err == EDQUOT || err == EFBIG
			       ? LEDE_EFULL : rc;
	}
	b->nruns++;
	reset_acc(b);
	return 0;
}

static void remove_runs(bld *b)
{
	char path[4096];

	if (!b->run_dir)
		return;
	for (unsigned i = 0; i < b->nruns; i++) {
		run_path(b, i, path, sizeof(path));
		unlink(path);
	}
	rmdir(b->run_dir);
	free(b->run_dir);
	b->run_dir = NULL;
	b->nruns = 0;
}

static int restat_doc(bld *b, const ix_doc *od, const rd_doc *d)
{
	ix_doc nd = *od;
	uint8_t k[4];
	int rc;

	nd.has_fstat = 1;
	nd.fsize = d->fsize;
	nd.mtime_ns = d->mtime_ns;
	/* od points into the map: encode into a buffer of our own first */
	rc = doc_encode(&b->tmp, &nd);
	if (rc)
		return rc;
	u32be_put(k, od->docid);
	b->txn_bytes += b->tmp.len + 64;
	return ix_put(b->txn, IX_DOCS, k, 4, b->tmp.data, b->tmp.len, 0);
}

static int add_prepared(bld *b, const rd_doc *d, prep *p)
{
	uint64_t h = p->hash;
	uint32_t old, docid, len, tlen;
	size_t idlen = strlen(d->id);
	int rc, have_old = 0;

	if (idlen == 0)
		return LEDE_EINVAL;
	/* A long document needs room here too, about twice its size for
	 * its positions and postings: empty the accumulator first. */
	if (b->txn && d->body_len > ((size_t)1 << 20)) {
		size_t need = 2 * d->body_len;

		if (b->bulk && b->acc.n && acc_mem(b) + need > b->acc_cap)
			rc = spill_run(b);
		else if (!b->bulk && batch_mem(b) + need > b->batch_cap)
			rc = bld_commit(b);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	/* A document too big for the room made for this transaction: end
	 * the transaction first, so the map can grow before the next. */
	if (b->txn && b->txn_bytes + b->acc_bytes + 3 * d->body_len >
	    b->room) {
		rc = b->bulk ? bulk_checkpoint(b, d->body_len) : bld_commit(b);
		if (rc)
			return rc;
	}
	if (!b->txn) {
		rc = ix_ensure_room(b->x, room_for(b, d->body_len));
		if (rc)
			return rc;
	}
	rc = begin(b);
	if (rc)
		return rc;
	if (b->room < room_for(b, d->body_len))
		b->room = room_for(b, d->body_len);
	rc = ix_id_lookup(b->txn, d->id, idlen, &old);
	if (!rc) {
		ix_doc od;

		rc = ix_doc_get(b->txn, old, &od);
		if (rc)
			return rc;
		if (od.hash == h) {
			b->c.unchanged++;
			if (d->has_fstat && (!od.has_fstat ||
					     od.fsize != d->fsize ||
					     od.mtime_ns != d->mtime_ns)) {
				/* Same text, the file touched: keep its new
				 * stat so the next run need not read it. */
				rc = restat_doc(b, &od, d);
				if (rc)
					return rc;
			}
			return mark_seen(b, old);
		}
		have_old = 1;
	} else if (rc != LEDE_ENOTFOUND) {
		return rc;
	}
	if (b->st.next_docid == UINT32_MAX)
		return LEDE_ETOOBIG;
	docid = b->st.next_docid;
	rc = analyse(b, docid, p, d, &len, &tlen);
	if (rc)
		return rc;
	if (len == 0) {
		/* Nothing to search for: keep the old version, if any. */
		for (size_t i = 0; i < b->ndterms; i++)
			b->acc.ents[b->dterms[i]].cur_doc = 0;
		b->c.empty++;
		if (have_old)
			return mark_seen(b, old);
		return LEDE_EEMPTY;
	}
	if (have_old) {
		rc = tombstone(b, old);
		if (rc)
			return rc;
		b->c.replaced++;
	} else {
		b->c.added++;
	}
	rc = accumulate(b, docid);
	if (!rc)
		rc = blen_push(b, len, p->head);
	if (!rc && p->zdefer) {
		if (!b->zc)
			b->zc = ZSTD_createCCtx();
		if (!b->zc)
			return LEDE_ENOMEM;
		rc = body_value(p, b->zc, d);
	}
	if (!rc)
		rc = write_doc(b, docid, d, h, len, tlen, &p->body);
	if (!rc)
		rc = ix_xidw_add(b->txn, &b->xw, docid, d->id, idlen, b->bulk);
	if (!rc)
		rc = mark_seen(b, docid);
	if (rc)
		return rc;
	b->st.next_docid++;
	b->st.ndocs++;
	b->st.sumlen += len;
	b->st.sumtlen += tlen;
	b->c.text_bytes += strlen(d->title) + d->body_len;
	shrink_scratch(b);
	if (!b->bulk) {
		if (batch_mem(b) >= b->batch_cap)
			return bld_commit(b);
		return 0;
	}
	if (acc_mem(b) >= b->acc_cap)
		rc = spill_run(b);
	if (!rc && b->txn_bytes >= b->txn_cap)
		rc = bulk_checkpoint(b, 0);
	return rc;
}

int bld_add(bld *b, const rd_doc *d)
{
	int rc;

	if (!d->id[0])
		return LEDE_EINVAL;
	rc = prep_doc(&b->sp, d);
	return rc ? rc : add_prepared(b, d, &b->sp);
}

int bld_remove(bld *b, const char *id, size_t len)
{
	uint32_t docid;
	int rc = begin(b);

	if (rc)
		return rc;
	rc = ix_id_lookup(b->txn, id, len, &docid);
	if (rc)
		return rc;
	rc = tombstone(b, docid);
	if (rc)
		return rc;
	b->c.deleted++;
	return 0;
}

/* ---- flush: accumulator -> blocks ---- */

/* One term's new postings on their way to blocks. Decoded documents
 * wait in docids/tfs/lens/pos until SEG_DOCS of them (or SEG_POS
 * positions) are there, then go into encoded blocks (fb_encode): the
 * decoded arrays stay small however long the list, and only the
 * encoded blocks (about a tenth of their size) are held whole, until
 * flush_term writes the record, which sorts first, then the blocks. */
#define SEG_DOCS (64 * POST_BLOCK_MAX)
#define SEG_POS ((size_t)1 << 20)

typedef struct flushbuf {
	uint32_t *docids, *tfs, *pos, *lens;
	uint32_t *heads;         /* each document's headline end (bhead) */
	size_t cap, poscap;
	size_t nd, np;           /* decoded documents and positions */
	size_t ndocs;            /* documents of the term, encoded or not */
	buf blocks, posblk, rec;
	post_dirent *newents;    /* entries of the encoded blocks */
	size_t nnew, capnew;
	post_dirent *ents;       /* flush_term: old entries, then new */
	size_t nents, capents;
	size_t *boff, *poff;     /* block offsets into blocks/posblk */
	size_t capoff;
	post_topacc top;         /* the term's top list (post.h) */
	post_top *oldtop;        /* flush_term: the old record's */
	uint32_t *oldu;          /* their docids, then their lengths */
	size_t capold;
} flushbuf;

static int cmp_term(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const term *x, *y;
	size_t n;
	int c;

	if (sort_pre[i] != sort_pre[j])
		return sort_pre[i] < sort_pre[j] ? -1 : 1;
	x = &sort_tab->ents[i];
	y = &sort_tab->ents[j];
	n = x->key_len < y->key_len ? x->key_len : y->key_len;
	c = memcmp(tt_key(sort_tab, x), tt_key(sort_tab, y), n);

	if (c)
		return c;
	return (int)x->key_len - (int)y->key_len;
}

static int fb_need(flushbuf *f, size_t ndocs, size_t npos)
{
	if (ndocs > f->cap) {
		size_t nc = ndocs + ndocs / 2 + 64;
		uint32_t *p;

		p = realloc(f->docids, nc * sizeof(*p));
		if (!p) return LEDE_ENOMEM;
		f->docids = p;
		p = realloc(f->tfs, nc * sizeof(*p));
		if (!p) return LEDE_ENOMEM;
		f->tfs = p;
		p = realloc(f->lens, nc * sizeof(*p));
		if (!p) return LEDE_ENOMEM;
		f->lens = p;
		p = realloc(f->heads, nc * sizeof(*p));
		if (!p) return LEDE_ENOMEM;
		f->heads = p;
		f->cap = nc;
	}
	if (npos > f->poscap) {
		size_t nc = npos + npos / 2 + 64;
		uint32_t *p = realloc(f->pos, nc * sizeof(*p));
		if (!p) return LEDE_ENOMEM;
		f->pos = p;
		f->poscap = nc;
	}
	return 0;
}

/* Encode the decoded documents into blocks: all of them when last (the
 * term's end), else the whole blocks among them, the rest moved to the
 * front. */
static int fb_encode(flushbuf *f, int has_pos, int last)
{
	size_t n = f->nd, nb, at = 0;
	int rc;

	/* Blocks stay full but the last, unless fewer than a block of
	 * documents hold SEG_POS positions. */
	if (!last && (n >= POST_BLOCK_MAX || f->np < SEG_POS))
		n -= n % POST_BLOCK_MAX;
	if (n == 0)
		return 0;
	nb = (n + POST_BLOCK_MAX - 1) / POST_BLOCK_MAX;
	if (f->nnew + nb + 1 > f->capoff) {
		size_t nc = (f->nnew + nb + 1) * 2;
		size_t *p1 = realloc(f->boff, nc * sizeof(*p1));
		size_t *p2;

		if (!p1)
			return LEDE_ENOMEM;
		f->boff = p1;
		p2 = realloc(f->poff, nc * sizeof(*p2));
		if (!p2)
			return LEDE_ENOMEM;
		f->poff = p2;
		f->capoff = nc;
	}
	if (f->nnew + nb > f->capnew) {
		size_t nc = (f->nnew + nb) * 2;
		post_dirent *p = realloc(f->newents, nc * sizeof(*p));

		if (!p)
			return LEDE_ENOMEM;
		f->newents = p;
		f->capnew = nc;
	}
	rc = post_encode_blocks(f->docids, f->tfs, f->lens,
				has_pos ? f->pos : NULL, n, &f->blocks,
				f->boff + f->nnew, &f->posblk,
				f->poff + f->nnew, f->newents + f->nnew);
	/* The top list, with each document's headline tf: its positions
	 * before the body (the title field's term has the same tokens). */
	for (size_t i = 0, o = 0; !rc && i < n; o += has_pos ? f->tfs[i] : 0,
	     i++) {
		uint32_t ttf = 0;

		for (uint32_t j = 0; has_pos && j < f->tfs[i] &&
		     f->pos[o + j] < f->heads[i]; j++)
			ttf++;
		rc = post_topacc_add(&f->top, f->docids[i], f->tfs[i], ttf,
				     f->lens[i]);
	}
	if (rc)
		return rc;
	f->nnew += nb;
	for (size_t i = 0; has_pos && i < n; i++)
		at += f->tfs[i];
	memmove(f->docids, f->docids + n, (f->nd - n) * sizeof(*f->docids));
	memmove(f->tfs, f->tfs + n, (f->nd - n) * sizeof(*f->tfs));
	memmove(f->lens, f->lens + n, (f->nd - n) * sizeof(*f->lens));
	memmove(f->heads, f->heads + n, (f->nd - n) * sizeof(*f->heads));
	if (has_pos)
		memmove(f->pos, f->pos + at, (f->np - at) * sizeof(*f->pos));
	f->nd -= n;
	f->np -= at;
	return 0;
}

/* A new term: nothing decoded or encoded yet. */
static void fb_start(flushbuf *f)
{
	f->nd = f->np = f->ndocs = 0;
	f->nnew = 0;
	post_topacc_reset(&f->top);
	buf_clear(&f->blocks);
	buf_clear(&f->posblk);
}

/* Decode a term's stream into f->docids/tfs/pos, dropping documents
 * tombstoned within the batch; full segments go into blocks. */
static int decode_stream(bld *b, const uint8_t *p, size_t len, int has_pos,
			 flushbuf *f)
{
	const uint8_t *end = p + len;
	uint32_t docid = 0;
	int rc;

	while (p < end) {
		uint32_t delta, tf, pv = 0;
		int keep;

		if (varint_get32_fast(&p, end, &delta) ||
		    varint_get32_fast(&p, end, &tf))
			return LEDE_ECORRUPT;
		docid += delta;
		if (docid < b->base || docid - b->base >= b->nblen)
			return LEDE_ECORRUPT;
		keep = b->blen[docid - b->base] != 0;
		rc = fb_need(f, f->nd + 1, f->np + (has_pos ? tf : 0));
		if (rc)
			return rc;
		if (has_pos) {
			for (uint32_t i = 0; i < tf; i++) {
				uint32_t g;
				if (varint_get32_fast(&p, end, &g))
					return LEDE_ECORRUPT;
				pv += g;
				f->pos[f->np + i] = pv;
			}
		}
		if (!keep)
			continue;
		f->docids[f->nd] = docid;
		f->tfs[f->nd] = tf;
		f->lens[f->nd] = b->blen[docid - b->base] > 65535 ? 65535 :
				 b->blen[docid - b->base];
		f->heads[f->nd] = b->bhead[docid - b->base];
		if (has_pos)
			f->np += tf;
		f->nd++;
		f->ndocs++;
		if (f->nd >= SEG_DOCS || f->np >= SEG_POS) {
			rc = fb_encode(f, has_pos, 0);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* The term's existing postings that may belong in its new top list:
 * the old record's top list, or its inline block, into f->top. Their
 * lengths are the lens table's, or the dead table's when tombstoned. */
static int old_top(bld *b, flushbuf *f, const char *tk, size_t tkl,
		   const post_inline *il, uint32_t first)
{
	size_t n = il->blk ? POST_BLOCK_MAX : il->ntop;
	uint32_t *ids, *lens;
	int rc;

	if (!il->blk && !il->top)
		return 0;
	if (n > f->capold) {
		post_top *t = realloc(f->oldtop, n * sizeof(*t));
		uint32_t *u;

		if (!t)
			return LEDE_ENOMEM;
		f->oldtop = t;
		u = realloc(f->oldu, 2 * n * sizeof(*u));
		if (!u)
			return LEDE_ENOMEM;
		f->oldu = u;
		f->capold = n;
	}
	ids = f->oldu;
	lens = f->oldu + f->capold;
	if (il->blk) {
		uint32_t tfs[POST_BLOCK_MAX], ttfs[POST_BLOCK_MAX] = { 0 };
		unsigned nb = 0;

		rc = post_block_decode(il->blk, il->blen, first, ids, tfs,
				       &nb);
		n = nb;
		if (!rc && tk[0] != IX_TITLE_MARK)
			rc = ix_title_tfs(b->txn, tk, tkl, ids, n, ttfs);
		for (size_t i = 0; !rc && i < n; i++)
			f->oldtop[i] = (post_top){ ids[i], tfs[i], 0, ttfs[i] };
	} else {
		rc = post_top_decode(il->top, il->top_len, n, f->oldtop);
		for (size_t i = 0; !rc && i < n; i++)
			ids[i] = f->oldtop[i].docid;
	}
	if (!rc)
		rc = ix_pos_lens(b->txn, ids, (unsigned)n, lens);
	for (size_t i = 0; !rc && i < n; i++)
		rc = post_topacc_add(&f->top, ids[i], f->oldtop[i].tf,
				     f->oldtop[i].ttf, lens[i]);
	return rc;
}

/* Write the postings gathered in f (fb_start, decode_stream) for
 * termkey tk after the term's existing blocks, and its record. */
static int flush_term(bld *b, const char *tk, size_t tkl, int has_pos,
		      flushbuf *f)
{
	uint8_t key[IX_TERMKEY_MAX + 5];
	size_t nb, old_n = 0;
	post_dirent *old = NULL;
	uint32_t df = 0;
	const uint8_t *rp;
	size_t rlen;
	int flags = b->post_was_empty ? IX_APPEND : 0;
	int rc;

	rc = fb_encode(f, has_pos, 1);
	if (rc)
		return rc;
	if (f->ndocs == 0)
		return 0;
	nb = f->nnew;
	/* Existing record: its directory comes first. */
	memcpy(key, tk, tkl);
	key[tkl] = 0;
	rc = ix_term_get(b->txn, tk, tkl, &rp, &rlen);
	if (!rc) {
		post_inline il;

		rc = post_term_decode_ex(rp, rlen, &df, &old, &old_n, &il);
		if (rc)
			return rc;
		if (old_n && old[old_n - 1].last >= f->newents[0].first) {
			free(old);
			return LEDE_ECORRUPT;
		}
		rc = old_top(b, f, tk, tkl, &il, old_n ? old[0].first : 0);
		if (rc) {
			free(old);
			return rc;
		}
		if (il.blk) {
			/* The term outgrows its inline block: the block and
			 * its positions go into chunks. Copy first: the
			 * record may sit on a page this transaction already
			 * changed, which a put can rearrange. */
			size_t boff[2] = { 0, il.blen };
			size_t poff[2] = { 0, il.plen };

			buf_clear(&f->rec);
			rc = buf_add(&f->rec, il.blk, il.blen);
			if (!rc)
				rc = buf_add(&f->rec, il.pos, il.plen);
			if (!rc && old_n != 1)
				rc = LEDE_ECORRUPT;
			if (!rc)
				rc = ix_blks_put(b->txn, tk, tkl, 1,
						 f->rec.data, boff,
						 has_pos ? f->rec.data +
						 il.blen : NULL, poff, old);
			if (rc) {
				free(old);
				return rc;
			}
		}
	} else if (rc != LEDE_ENOTFOUND) {
		return rc;
	}
	if (old_n + nb > f->capents) {
		size_t nc = old_n + nb + 16;
		post_dirent *p = realloc(f->ents, nc * sizeof(*p));
		if (!p) {
			free(old);
			return LEDE_ENOMEM;
		}
		f->ents = p;
		f->capents = nc;
	}
	if (old_n)
		memcpy(f->ents, old, old_n * sizeof(*old));
	free(old);
	memcpy(f->ents + old_n, f->newents, nb * sizeof(*f->ents));
	f->nents = old_n + nb;
	b->txn_bytes += f->blocks.len + f->posblk.len + 64 * (nb + 1);
	df += (uint32_t)f->ndocs;
	buf_clear(&f->rec);
	if (f->nents == 1) {
		/* A new term with one block: the block lives in the record. */
		rc = post_term_encode_inline(df, &f->ents[0], f->blocks.data,
					     f->boff[1], f->posblk.data,
					     f->poff[1], &f->rec);
		if (rc)
			return rc;
		return ix_put(b->txn, IX_POST, key, tkl + 1u,
			      f->rec.data, f->rec.len, flags);
	}
	/* The blocks first: the record holds where they went. */
	rc = ix_blks_put(b->txn, tk, tkl, nb, f->blocks.data, f->boff,
			 has_pos ? f->posblk.data : NULL, f->poff,
			 f->ents + old_n);
	if (rc)
		return rc;
	post_topacc_finish(&f->top);
	rc = post_term_encode(df, f->ents, f->nents, f->top.v, f->top.n,
			      &f->rec);
	if (rc)
		return rc;
	return ix_put(b->txn, IX_POST, key, tkl + 1u, f->rec.data,
		      f->rec.len, flags);
}

static int flush_lens(bld *b)
{
	uint16_t chunk[IX_LEN_CHUNK];
	uint8_t k[4];
	size_t i = 0;
	int rc;

	while (i < b->nblen) {
		uint32_t docid = b->base + (uint32_t)i;
		uint32_t ci = docid / IX_LEN_CHUNK;
		const uint16_t *arr;

		rc = ix_lens_chunk(b->txn, ci, &arr, chunk);
		if (rc)
			return rc;
		if (arr != chunk)
			memcpy(chunk, arr, sizeof(chunk));
		for (; i < b->nblen; i++) {
			docid = b->base + (uint32_t)i;
			if (docid / IX_LEN_CHUNK != ci)
				break;
			chunk[docid % IX_LEN_CHUNK] = (uint16_t)
				(b->blen[i] > 65535 ? 65535 : b->blen[i]);
		}
		u32be_put(k, ci);
		rc = ix_put(b->txn, IX_LENS, k, 4, chunk, sizeof(chunk), 0);
		if (rc)
			return rc;
	}
	return 0;
}

typedef struct run_rd {
	FILE *f;
	int has_pos;
	int eof;
	buf key, stream;
} run_rd;

static int get_vint(FILE *f, uint64_t *v)
{
	uint64_t x = 0;
	int c;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		c = fgetc(f);
		if (c == EOF)
			return LEDE_ECORRUPT;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return LEDE_ECORRUPT;
}

static int run_next(run_rd *r)
{
	uint64_t n;
	int c = fgetc(r->f);
	int rc;

	if (c == EOF) {
		r->eof = 1;
		return 0;
	}
	r->has_pos = c;
	buf_clear(&r->key);
	buf_clear(&r->stream);
	n = 0;
	rc = get_vint(r->f, &n);
	if (rc || n == 0 || n > IX_TERMKEY_MAX)
		return LEDE_ECORRUPT;
	rc = buf_reserve(&r->key, (size_t)n);
	if (rc)
		return rc;
	if (fread(r->key.data, 1, (size_t)n, r->f) != n)
		return LEDE_ECORRUPT;
	r->key.len = (size_t)n;
	rc = get_vint(r->f, &n);
	if (rc || n == 0)
		return LEDE_ECORRUPT;
	rc = buf_reserve(&r->stream, (size_t)n);
	if (rc)
		return rc;
	if (fread(r->stream.data, 1, (size_t)n, r->f) != n)
		return LEDE_ECORRUPT;
	r->stream.len = (size_t)n;
	return 0;
}

static int key_cmp(const buf *a, const buf *b2)
{
	size_t n = a->len < b2->len ? a->len : b2->len;
	int c = memcmp(a->data, b2->data, n);

	if (c)
		return c;
	return a->len < b2->len ? -1 : a->len > b2->len;
}

static unsigned run_fanin(void)
{
	const char *env = getenv("LEDE_RUN_FANIN");
	long v = env && *env ? strtol(env, NULL, 10) : 0;

	return v >= 2 && v < RUN_FANIN ? (unsigned)v : RUN_FANIN;
}

/* The read buffer of each of n runs open at once: an eighth of the
 * memory budget shared out, within RUN_BUF_MIN..RUN_BUF_MAX. */
static size_t run_bufsize(const bld *b, unsigned n)
{
	size_t s = (b->o.mem_bytes - MEM_RESERVE) / 8 / (n ? n : 1);

	return s < RUN_BUF_MIN ? RUN_BUF_MIN : s > RUN_BUF_MAX ? RUN_BUF_MAX
							      : s;
}

/* Open runs first..first+n-1 and read the first record of each into
 * rd[0..n); close_runs() releases them, also after a failure. sets:
 * how many readers of the same runs share the read buffers' budget. */
static int open_runs(bld *b, unsigned first, unsigned n, unsigned sets,
		     run_rd *rd)
{
	char path[4096];
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		buf_init(&rd[i].key);
		buf_init(&rd[i].stream);
	}
	for (unsigned i = 0; !rc && i < n; i++) {
		run_path(b, first + i, path, sizeof(path));
		rd[i].f = fopen(path, "rb");
		if (!rd[i].f) {
			rc = LEDE_EIO;
			break;
		}
		setvbuf(rd[i].f, NULL, _IOFBF, run_bufsize(b, n * sets));
		rc = run_next(&rd[i]);
	}
	return rc;
}

static void close_runs(run_rd *rd, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (rd[i].f)
			fclose(rd[i].f);
		buf_release(&rd[i].key);
		buf_release(&rd[i].stream);
	}
}

/* The smallest current key of the runs not at their end, or NULL. */
static const buf *min_key(const run_rd *rd, unsigned n)
{
	const buf *min = NULL;

	for (unsigned i = 0; i < n; i++)
		if (!rd[i].eof && (!min || key_cmp(&rd[i].key, min) < 0))
			min = &rd[i].key;
	return min;
}

static int at_key(const run_rd *r, const char *key, size_t kl)
{
	return !r->eof && r->key.len == kl &&
	       memcmp(r->key.data, key, kl) == 0;
}

/* Merge runs first..first+n-1 into one run numbered out, records in key
 * order. The records of one key stay separate, one after the other in
 * run order (ascending docids): merge_runs() reads them in turn. */
static int merge_group(bld *b, unsigned first, unsigned n, unsigned out)
{
	run_rd *rd = calloc(n, sizeof(*rd));
	char tmp[4096], path[4096], key[IX_TERMKEY_MAX];
	FILE *w = NULL;
	int rc, err = 0;

	if (!rd)
		return LEDE_ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s/run-merge", b->run_dir);
	rc = open_runs(b, first, n, 1, rd);
	if (!rc) {
		w = fopen(tmp, "wb");
		if (!w)
			rc = LEDE_EIO;
		else
			setvbuf(w, NULL, _IOFBF, RUN_BUF_MAX);
	}
	while (!rc) {
		const buf *min = min_key(rd, n);
		size_t kl;

		if (!min)
			break;
		kl = min->len;
		memcpy(key, min->data, kl);
		for (unsigned i = 0; !rc && i < n; i++) {
			while (!rc && at_key(&rd[i], key, kl)) {
				if (fputc(rd[i].has_pos, w) == EOF)
					rc = LEDE_EIO;
				if (!rc)
					rc = put_vint(w, kl);
				if (!rc && fwrite(key, 1, kl, w) != kl)
					rc = LEDE_EIO;
				if (!rc)
					rc = put_vint(w, rd[i].stream.len);
				if (!rc && fwrite(rd[i].stream.data, 1,
						  rd[i].stream.len, w) !=
					   rd[i].stream.len)
					rc = LEDE_EIO;
				if (!rc)
					rc = run_next(&rd[i]);
			}
		}
	}
	if (w && fclose(w) != 0 && !rc)
		rc = LEDE_EIO;
	err = errno;
	close_runs(rd, n);
	free(rd);
	if (rc) {
		unlink(tmp);
		return rc == LEDE_EIO && (err == ENOSPC || err == EDQUOT ||
					  err == EFBIG) ? LEDE_EFULL : rc;
	}
	for (unsigned i = 0; i < n; i++) {
		run_path(b, first + i, path, sizeof(path));
		unlink(path);
	}
	run_path(b, out, path, sizeof(path));
	return rename(tmp, path) == 0 ? 0 : LEDE_EIO;
}

/* Until at most run_fanin() runs are left: merge each group of that
 * many into one. Run g of a pass is written after the groups before it
 * have been merged, so it never overwrites an input still to be read;
 * on failure remove_runs() still covers every number in use. */
static int merge_passes(bld *b)
{
	unsigned fan = run_fanin();

	while (b->nruns > fan) {
		unsigned groups = (b->nruns + fan - 1) / fan;

		for (unsigned g = 0; g < groups; g++) {
			unsigned first = g * fan;
			unsigned n = b->nruns - first < fan ? b->nruns - first
							    : fan;
			int rc = merge_group(b, first, n, g);

			if (rc)
				return rc;
		}
		b->nruns = groups;
	}
	return 0;
}

/* The term's last blocks into f (fb_encode). Into an empty index, where
 * flush_term finds no old record, its top list is finished here too: on
 * an encoder thread rather than the writer, when there are encoders. */
static int fb_end(const bld *b, flushbuf *f, int has_pos)
{
	int rc = fb_encode(f, has_pos, 1);

	if (!rc && b->post_was_empty && f->nnew > 1)
		post_topacc_finish(&f->top);
	return rc;
}

/* The records of the runs' smallest key, decoded and encoded into f:
 * all the work of a term but its writes; with f NULL the runs only move
 * past them (another encoder's term). 0 with *got 0 when every run is
 * at its end. */
static int merge_next(bld *b, run_rd *rd, unsigned n, flushbuf *f,
		      char *key, size_t *kl, int *has_pos, int *got)
{
	const buf *min = min_key(rd, n);
	int rc = 0;

	*got = 0;
	if (!min)
		return 0;
	*kl = min->len;
	memcpy(key, min->data, *kl);
	*has_pos = 0;
	/* Runs hold ascending docid ranges: concatenate in order (a merged
	 * run may hold several records of one key). */
	if (f)
		fb_start(f);
	for (unsigned i = 0; !rc && i < n; i++) {
		while (!rc && at_key(&rd[i], key, *kl)) {
			*has_pos = rd[i].has_pos;
			if (f)
				rc = decode_stream(b, rd[i].stream.data,
						   rd[i].stream.len, *has_pos,
						   f);
			if (!rc)
				rc = run_next(&rd[i]);
		}
	}
	if (!rc && f)
		rc = fb_end(b, f, *has_pos);
	*got = !rc;
	return rc;
}

/* The accumulator's postings of t, decoded and encoded into f: all
 * the work of the term but its writes. */
static int acc_encode(bld *b, const term *t, flushbuf *f)
{
	int rc;

	fb_start(f);
	rc = decode_stream(b, t->post.data, t->post.len, t->has_pos, f);
	return rc ? rc : fb_end(b, f, t->has_pos);
}

/* ---- writing the runs' terms on three threads ----
 *
 * Reading a term's postings and encoding its blocks (decode_stream,
 * fb_encode) is most of a commit's work and touches nothing of the
 * transaction, so MQ_ENC encoder threads do it, each for every MQ_ENC-th
 * term in key order, while this thread writes the terms in that order
 * (flush_term, checkpoints), taking them from the encoders' rings in
 * turn. The terms come from the bulk load's sorted runs: each encoder
 * reads all of them and skips the others' terms, so which encoder takes
 * a term is fixed (a commit without runs takes its terms from the
 * accumulator, any thread any term: aq_run below). The writes are the
 * same, in the same order, as on one thread. Most terms are tiny, so
 * no side wakes another per term: an encoder publishes every MQ_BATCH
 * terms (or a large one at once), the writer takes whatever is
 * published in one go, and a side only signals when another sleeps. */
#define MQ_ENC 2
#define MQ_SLOTS 64
#define MQ_BATCH 16
/* A slot holding more than this after its term was written gives its
 * memory back; an encoder waits while its slots in flight hold more
 * than MQ_BYTES. */
#define MQ_SLOT_KEEP ((size_t)64 << 10)
#define MQ_BYTES ((size_t)8 << 20)
/* Below this --mem the merge stays on one thread: the slots and the
 * second set of run readers would not fit a small budget. */
#define MQ_MIN_MEM ((size_t)128 << 20)
/* A batch with fewer terms than this is written on one thread. */
#define MQ_MIN_TERMS 4096

typedef struct mslot {
	flushbuf f;
	char key[IX_TERMKEY_MAX];
	size_t kl;
	int has_pos;
	size_t bytes;            /* fb_bytes when handed over */
} mslot;

typedef struct mring {
	mslot slot[MQ_SLOTS];
	size_t head, tail;       /* slots [head, tail) are filled */
	size_t inflight;         /* bytes of those slots */
	int pwait;               /* its encoder sleeps */
	int done, wrc;           /* its encoder ended, with wrc */
	run_rd *rd;              /* its own readers of the runs */
} mring;

typedef struct mqueue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	mring r[MQ_ENC];
	int cwait;               /* the writer sleeps */
	int stop;                /* the writer failed or ended */
	bld *b;
	unsigned n;              /* runs */
} mqueue;

typedef struct menc {
	mqueue *q;
	unsigned e;
} menc;

static void fb_init(flushbuf *f)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->blocks);
	buf_init(&f->posblk);
	buf_init(&f->rec);
	post_topacc_init(&f->top);
}

static void fb_release(flushbuf *f)
{
	post_topacc_release(&f->top);
	free(f->oldtop);
	free(f->oldu);
	free(f->docids);
	free(f->tfs);
	free(f->lens);
	free(f->heads);
	free(f->pos);
	free(f->ents);
	free(f->newents);
	free(f->boff);
	free(f->poff);
	buf_release(&f->blocks);
	buf_release(&f->posblk);
	buf_release(&f->rec);
}

/* Memory a flushbuf holds. */
static size_t fb_bytes(const flushbuf *f)
{
	return f->blocks.cap + f->posblk.cap + f->rec.cap +
	       f->cap * 4 * sizeof(uint32_t) + f->poscap * sizeof(uint32_t) +
	       (f->capnew + f->capents) * sizeof(post_dirent) +
	       f->capoff * 2 * sizeof(size_t) +
	       f->top.cap * sizeof(post_top) +
	       f->capold * (sizeof(post_top) + 2 * sizeof(uint32_t));
}

/* A slot's flushbuf, its term written: the memory it holds goes back
 * when over keep. */
static void fb_trim(flushbuf *f, size_t keep)
{
	if (fb_bytes(f) > keep) {
		fb_release(f);
		fb_init(f);
	}
}

/* Encoder e's next term (term k of the key order, for k = e, e +
 * MQ_ENC, ...) from the runs into sl, skipping the other encoders'
 * terms; *got 0 at the end. */
static int enc_next(mqueue *q, mring *r, unsigned e, uint64_t *k,
		    mslot *sl, int *got)
{
	bld *b = q->b;
	int rc = 0;

	*got = 1;
	while (!rc && *got && *k % MQ_ENC != e) {
		rc = merge_next(b, r->rd, q->n, NULL, sl->key, &sl->kl,
				&sl->has_pos, got);
		(*k)++;
	}
	if (rc || !*got)
		return rc;
	rc = merge_next(b, r->rd, q->n, &sl->f, sl->key, &sl->kl,
			&sl->has_pos, got);
	if (!rc && *got)
		(*k)++;
	return rc;
}

static void *mq_encoder(void *arg)
{
	mqueue *q = ((menc *)arg)->q;
	unsigned e = ((menc *)arg)->e;
	mring *r = &q->r[e];
	size_t tail = 0, pending = 0;
	uint64_t k = 0;            /* terms seen, in key order */
	int rc = 0, got = 1;

	while (!rc && got) {
		mslot *sl;
		int publish;

		pthread_mutex_lock(&q->mu);
		while (!q->stop && (tail - r->head == MQ_SLOTS ||
				    (tail > r->head &&
				     r->inflight > MQ_BYTES))) {
			if (r->tail != tail) {
				/* publish before sleeping */
				r->tail = tail;
				pending = 0;
				if (q->cwait)
					pthread_cond_broadcast(&q->cv);
			}
			r->pwait = 1;
			pthread_cond_wait(&q->cv, &q->mu);
			r->pwait = 0;
		}
		if (q->stop) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		pthread_mutex_unlock(&q->mu);
		sl = &r->slot[tail % MQ_SLOTS];
		rc = enc_next(q, r, e, &k, sl, &got);
		if (rc || !got)
			break;
		sl->bytes = fb_bytes(&sl->f);
		tail++;
		pending++;
		publish = pending >= MQ_BATCH || sl->bytes > MQ_SLOT_KEEP;
		pthread_mutex_lock(&q->mu);
		r->inflight += sl->bytes;
		if (publish) {
			r->tail = tail;
			pending = 0;
			if (q->cwait)
				pthread_cond_broadcast(&q->cv);
		}
		pthread_mutex_unlock(&q->mu);
	}
	pthread_mutex_lock(&q->mu);
	r->tail = tail;
	r->done = 1;
	r->wrc = rc;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* The writer's side: terms in key order, term k from ring k % MQ_ENC. */
static int mq_write(bld *b, mqueue *q)
{
	size_t head[MQ_ENC] = { 0 }, avail[MQ_ENC];
	uint64_t k = 0;
	int rc = 0;

	for (;;) {
		size_t freed[MQ_ENC] = { 0 };
		mring *r = &q->r[k % MQ_ENC];
		unsigned e;

		pthread_mutex_lock(&q->mu);
		while (r->tail == head[k % MQ_ENC] && !r->done) {
			q->cwait = 1;
			pthread_cond_wait(&q->cv, &q->mu);
			q->cwait = 0;
		}
		for (e = 0; e < MQ_ENC; e++)
			avail[e] = q->r[e].tail;
		if (avail[k % MQ_ENC] == head[k % MQ_ENC]) {
			/* no term k: the end, or its encoder failed */
			for (e = 0; e < MQ_ENC && !rc; e++)
				if (q->r[e].done)
					rc = q->r[e].wrc;
			pthread_mutex_unlock(&q->mu);
			return rc;
		}
		pthread_mutex_unlock(&q->mu);
		for (;;) {
			mslot *sl;

			e = (unsigned)(k % MQ_ENC);
			if (rc || head[e] == avail[e])
				break;
			sl = &q->r[e].slot[head[e] % MQ_SLOTS];

			rc = flush_term(b, sl->key, sl->kl, sl->has_pos,
					&sl->f);
			if (!rc && b->txn_bytes >= b->txn_cap)
				rc = bulk_checkpoint(b, 0);
			freed[e] += sl->bytes;
			fb_trim(&sl->f, MQ_SLOT_KEEP);
			head[e]++;
			k++;
		}
		pthread_mutex_lock(&q->mu);
		for (e = 0; e < MQ_ENC; e++) {
			q->r[e].head = head[e];
			q->r[e].inflight -= freed[e];
			if (q->r[e].pwait)
				pthread_cond_broadcast(&q->cv);
		}
		pthread_mutex_unlock(&q->mu);
		if (rc)
			return rc;
	}
}

/* Encode and write every term of the n runs on MQ_ENC + 1 threads. */
static int mq_run(bld *b, unsigned n)
{
	mqueue *q = calloc(1, sizeof(*q));
	menc arg[MQ_ENC];
	pthread_t th[MQ_ENC];
	unsigned started = 0;
	int rc = 0;

	if (!q)
		return LEDE_ENOMEM;
	q->b = b;
	q->n = n;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (unsigned e = 0; e < MQ_ENC; e++) {
		for (unsigned i = 0; i < MQ_SLOTS; i++)
			fb_init(&q->r[e].slot[i].f);
		q->r[e].rd = calloc(n, sizeof(run_rd));
		if (!q->r[e].rd)
			rc = LEDE_ENOMEM;
		else if (!rc)
			rc = open_runs(b, 0, n, MQ_ENC, q->r[e].rd);
	}
	for (unsigned e = 0; !rc && e < MQ_ENC; e++) {
		arg[e].q = q;
		arg[e].e = e;
		if (pthread_create(&th[e], NULL, mq_encoder, &arg[e]) != 0)
			rc = LEDE_ENOMEM;
		else
			started++;
	}
	if (!rc)
		rc = mq_write(b, q);
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (unsigned e = 0; e < started; e++)
		pthread_join(th[e], NULL);
	for (unsigned e = 0; e < MQ_ENC; e++) {
		if (q->r[e].rd)
			close_runs(q->r[e].rd, n);
		free(q->r[e].rd);
		for (unsigned i = 0; i < MQ_SLOTS; i++)
			fb_release(&q->r[e].slot[i].f);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return rc;
}

/* ---- the accumulator's terms on two threads ----
 *
 * A commit without runs (a bulk load that fit in memory, a large batch)
 * has every term's postings in the accumulator, so any thread can encode
 * any term. One encoder thread and this thread (the writer) take the
 * terms in key order from one counter: AQ_SLOTS terms at most are taken
 * and not yet written, each encoded into slot k % AQ_SLOTS. The writer
 * writes term k as soon as it is encoded, encodes it itself when no
 * one has taken it yet, and while the encoder holds it (a long list)
 * encodes later terms, so both cores work and no third thread competes
 * for them. (With two encoders each owning every other term and the
 * writer only writing, all three waited on each other: on news the
 * writer waited 0.43 s and each encoder 0.35 s of a 0.8 s merge.) */
#define AQ_SLOTS 256
/* A slot holding more than this after its term was written gives its
 * memory back: AQ_SLOTS of them keep at most 8 MB. */
#define AQ_SLOT_KEEP ((size_t)32 << 10)

typedef struct aqueue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bld *b;
	const uint32_t *order;   /* the terms in key order */
	size_t n;                /* how many */
	mslot *slot;             /* AQ_SLOTS */
	unsigned char *ready;    /* per slot: its term is encoded */
	size_t next;             /* terms taken: [0, next) */
	size_t written;          /* terms written: [0, written) */
	size_t inflight;         /* bytes of encoded terms not written */
	int ewait, wwait;        /* the encoder, the writer sleeps */
	int stop;                /* the writer ended or failed */
	int edone, erc;          /* the encoder ended, with erc */
} aqueue;

/* Term k of the key order into its slot. */
static int aq_encode(aqueue *q, size_t k)
{
	const term *t = &q->b->acc.ents[q->order[k]];
	mslot *sl = &q->slot[k % AQ_SLOTS];

	sl->kl = t->key_len;
	memcpy(sl->key, tt_key(&q->b->acc, t), t->key_len);
	sl->has_pos = t->has_pos;
	return acc_encode(q->b, t, &sl->f);
}

/* May another term be taken (q->mu held)? Its slot must be free, and
 * the encoded terms waiting must stay under MQ_BYTES, unless the taker
 * is the writer taking the very term it writes next. */
static int aq_can_take(const aqueue *q)
{
	return q->next < q->n && q->next < q->written + AQ_SLOTS &&
	       (q->inflight <= MQ_BYTES || q->next == q->written);
}

/* Mark term k encoded (q->mu held). */
static void aq_ready(aqueue *q, size_t k)
{
	mslot *sl = &q->slot[k % AQ_SLOTS];

	sl->bytes = fb_bytes(&sl->f);
	q->inflight += sl->bytes;
	q->ready[k % AQ_SLOTS] = 1;
}

static void *aq_encoder(void *arg)
{
	aqueue *q = arg;
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t k;

		while (!q->stop && q->next < q->n && !aq_can_take(q)) {
			q->ewait = 1;
			pthread_cond_wait(&q->cv, &q->mu);
			q->ewait = 0;
		}
		if (q->stop || q->next >= q->n)
			break;
		k = q->next++;
		pthread_mutex_unlock(&q->mu);
		rc = aq_encode(q, k);
		pthread_mutex_lock(&q->mu);
		if (rc)
			break;
		aq_ready(q, k);
		if (q->wwait)
			pthread_cond_signal(&q->cv);
	}
	q->edone = 1;
	q->erc = rc;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* The writer's side: every term in key order, encoding what it can. */
static int aq_write(aqueue *q)
{
	bld *b = q->b;
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	while (!rc && q->written < q->n) {
		size_t k = q->written;
		mslot *sl = &q->slot[k % AQ_SLOTS];

		if (!q->ready[k % AQ_SLOTS]) {
			size_t j;

			if (!aq_can_take(q)) {
				if (q->edone) {
					/* the encoder took term k (the
					 * writer may always take it) and
					 * failed: erc is not 0 */
					rc = q->erc ? q->erc : LEDE_EIO;
					break;
				}
				q->wwait = 1;
				pthread_cond_wait(&q->cv, &q->mu);
				q->wwait = 0;
				continue;
			}
			j = q->next++;
			pthread_mutex_unlock(&q->mu);
			rc = aq_encode(q, j);
			pthread_mutex_lock(&q->mu);
			if (!rc)
				aq_ready(q, j);
			continue;
		}
		pthread_mutex_unlock(&q->mu);
		rc = flush_term(b, sl->key, sl->kl, sl->has_pos, &sl->f);
		fb_trim(&sl->f, AQ_SLOT_KEEP);
		pthread_mutex_lock(&q->mu);
		q->ready[k % AQ_SLOTS] = 0;
		q->inflight -= sl->bytes;
		q->written++;
		if (q->ewait)
			pthread_cond_signal(&q->cv);
	}
	q->stop = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Encode and write the accumulator's terms, in the key order of order,
 * on two threads. */
static int aq_run(bld *b, const uint32_t *order)
{
	aqueue *q = calloc(1, sizeof(*q));
	pthread_t th;
	int rc = 0, started = 0;

	if (!q)
		return LEDE_ENOMEM;
	q->b = b;
	q->order = order;
	q->n = b->acc.n;
	q->slot = calloc(AQ_SLOTS, sizeof(*q->slot));
	q->ready = calloc(AQ_SLOTS, 1);
	if (!q->slot || !q->ready) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < AQ_SLOTS; i++)
		fb_init(&q->slot[i].f);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	started = pthread_create(&th, NULL, aq_encoder, q) == 0;
	/* without the thread, the writer encodes every term itself */
	if (!started)
		q->edone = 1;
	rc = aq_write(q);
	if (started)
		pthread_join(th, NULL);
	for (unsigned i = 0; i < AQ_SLOTS; i++)
		fb_release(&q->slot[i].f);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
out:
	free(q->slot);
	free(q->ready);
	free(q);
	return rc;
}

/* Whether the final merge of n runs may take more threads: enough
 * --mem, and file descriptors for every encoder's readers of the runs.
 * LEDE_MERGE_THREADS=1 keeps it on one thread, =3 takes three whatever
 * --mem says (tests compare the two). */
static int merge_on_more(const bld *b, unsigned n)
{
	const char *env = getenv("LEDE_MERGE_THREADS");
	struct rlimit rl;

	if (env && strcmp(env, "1") == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    (rl.rlim_cur != RLIM_INFINITY &&
	     rl.rlim_cur < (rlim_t)MQ_ENC * n + 64))
		return 0;
	if (env && strcmp(env, "3") == 0)
		return 1;
	return b->o.mem_bytes >= MQ_MIN_MEM;
}

/* Merge every run into the transaction, term by term, in key order. */
static int merge_runs(bld *b, flushbuf *f)
{
	run_rd *rd;
	unsigned n;
	int rc = merge_passes(b);

	if (rc)
		return rc;
	n = b->nruns;
	if (merge_on_more(b, n))
		return mq_run(b, n);
	rd = calloc(n, sizeof(*rd));
	if (!rd)
		return LEDE_ENOMEM;
	rc = open_runs(b, 0, n, 1, rd);
	while (!rc) {
		char key[IX_TERMKEY_MAX];
		size_t kl;
		int has_pos, got;

		rc = merge_next(b, rd, n, f, key, &kl, &has_pos, &got);
		if (rc || !got)
			break;
		rc = flush_term(b, key, kl, has_pos, f);
		if (!rc && b->txn_bytes >= b->txn_cap)
			rc = bulk_checkpoint(b, 0);
	}
	close_runs(rd, n);
	free(rd);
	return rc;
}

int bld_commit(bld *b)
{
	flushbuf f;
	uint32_t *order = NULL;
	int rc = 0;

	if (!b->txn)
		return 0;
	fb_init(&f);
	if (b->bulk && b->nruns) {
		/* The rest joins the runs; then one merge writes them all. */
		rc = spill_run(b);
		if (!rc)
			rc = merge_runs(b, &f);
	} else {
		rc = sorted_terms(b, &order);
	}
	if (!rc && order && b->acc.n >= MQ_MIN_TERMS && merge_on_more(b, 0)) {
		rc = aq_run(b, order);
		free(order);
		order = NULL;
	}
	for (size_t i = 0; !rc && order && i < b->acc.n; i++) {
		const term *e = &b->acc.ents[order[i]];

		rc = acc_encode(b, e, &f);
		if (!rc)
			rc = flush_term(b, tt_key(&b->acc, e), e->key_len,
					e->has_pos, &f);
	}
	if (!rc)
		rc = flush_lens(b);
	if (!rc)
		rc = ix_xidw_flush(b->txn, &b->xw, b->bulk);
	if (!rc)
		rc = ix_stats_put(b->txn, &b->st);
	if (rc)
		goto out;
	rc = ix_commit(b->txn);
	b->txn = NULL;
	if (!rc)
		b->c.commits++;
out:
	free(order);
	fb_release(&f);
	reset_acc(b);
	remove_runs(b);
	b->bulk = 0;
	b->nblen = 0;
	ix_xidw_reset(&b->xw);
	if (rc) {
		ix_abort(b->txn);
		b->txn = NULL;
	}
	return rc;
}

/* ---- prune ---- */

/* Is source path src[0..n) at or below root (normalised as the readers
 * normalise ids)? JSONL sources are file paths too. */
static int under(const char *src, size_t n, const char *root)
{
	size_t rl = strlen(root);

	if (strcmp(root, ".") == 0)
		return n > 0 && src[0] != '/' && !(n == 1 && src[0] == '-');
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (n < rl || memcmp(src, root, rl) != 0)
		return 0;
	return n == rl || src[rl] == '/' || src[rl] == ':' ||
	       (rl == 1 && root[0] == '/');
}

int bld_prune(bld *b, const char *const *paths, size_t n)
{
	ix_cur *c = NULL;
	const uint8_t *k, *v;
	size_t kl, vl;
	uint32_t *gone = NULL;
	size_t ngone = 0, capgone = 0;
	char path[4096];
	int rc;

	rc = begin(b);
	if (rc)
		return rc;
	rc = ix_cur_open(b->txn, IX_DOCS, &c);
	if (rc)
		return rc;
	for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(c, &k, &kl, &v, &vl)) {
		ix_doc d;
		uint32_t docid;
		struct stat sb;
		int drop = 0;

		if (kl != 4)
			continue;
		docid = u32be_get(k);
		if (is_seen(b, docid) || ix_doc_parse(v, vl, docid, &d))
			continue;
		for (size_t i = 0; i < n && !drop; i++) {
			buf root;

			buf_init_limit(&root, sizeof(path));
			if (rd_normalise_path(paths[i], &root) == 0)
				drop = under(d.source, d.source_len,
					     (const char *)root.data);
			buf_release(&root);
		}
		if (!drop && d.source_len && d.source_len < sizeof(path) &&
		    !(d.source_len == 1 && d.source[0] == '-')) {
			memcpy(path, d.source, d.source_len);
			path[d.source_len] = 0;
			drop = stat(path, &sb) != 0 && errno == ENOENT;
		}
		if (!drop)
			continue;
		if (ngone == capgone) {
			uint32_t *p = arr_grow(gone, &capgone, sizeof(*p), 256);
			if (!p) {
				rc = LEDE_ENOMEM;
				break;
			}
			gone = p;
		}
		gone[ngone++] = docid;
	}
	ix_cur_close(c);
	if (rc < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; !rc && i < ngone; i++) {
		rc = tombstone(b, gone[i]);
		if (!rc)
			b->c.deleted++;
	}
out:
	free(gone);
	return rc;
}

/* ---- two threads: a reader, and this writer ----
 *
 * bld_add_paths runs the readers and prep_doc (parsing, tokenizing,
 * hashing, compressing) in a second thread and everything that touches
 * the accumulator or LMDB in the caller's, with a ring of PIPE_JOBS
 * prepared documents between them. Each job owns copies of its
 * document's strings: a reader's strings die with its callback. */

/* Each job keeps its token array (48 bytes a token, 4096 at least) and
 * a zstd context: 64 jobs cost about 50 MB whatever --mem says, 16 do as
 * well for throughput (massif and /proc RssAnon, syn300k at --mem 64:
 * 180 -> 130 MB peak; 18.2/22.4 s against 20.2/19.3 s, A/B). */
#define PIPE_JOBS 16

typedef struct job {
	buf strs;
	rd_doc d;
	prep p;
	int rc;                  /* prep_doc's result */
	size_t bytes;            /* counted in pipe_s.inflight */
	int same;                /* d is a file not read: same_docid holds
				    it as it is */
	uint32_t same_docid;
} job;

typedef struct pipe_s {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job jobs[PIPE_JOBS];
	uint64_t head, tail;     /* produced, consumed */
	ZSTD_CCtx *zc;           /* the reader thread's, for every job */
	size_t inflight;         /* text bytes of jobs head..tail */
	size_t cap;              /* at most this, unless one job is more */
	int done, stop, missing;
	char *const *paths;
	int npaths;
	rd_stats *st;
	int rc;                  /* a reader's fatal error */
	ix *x;                   /* for pipe_same's read transactions */
} pipe_s;

static int job_fill(job *j, const rd_doc *d)
{
	size_t off[5];
	const char *src[5] = { d->id, d->title, d->url, d->tags, d->source };
	size_t body_off;
	int rc = 0;

	buf_clear(&j->strs);
	for (int i = 0; i < 5 && !rc; i++) {
		off[i] = j->strs.len;
		rc = buf_add(&j->strs, src[i], strlen(src[i]) + 1);
	}
	body_off = j->strs.len;
	if (!rc)
		rc = buf_add(&j->strs, d->body, d->body_len);
	if (!rc)
		rc = buf_addc(&j->strs, 0);
	if (rc)
		return rc;
	/* Pointers only now: the buffer may have moved while growing. */
	j->d = *d;
	j->d.id = (const char *)j->strs.data + off[0];
	j->d.title = (const char *)j->strs.data + off[1];
	j->d.url = (const char *)j->strs.data + off[2];
	j->d.tags = (const char *)j->strs.data + off[3];
	j->d.source = (const char *)j->strs.data + off[4];
	j->d.body = (const char *)j->strs.data + body_off;
	return 0;
}

/* The next free job, once what is in flight leaves room for bytes more;
 * NULL when the writer stopped. */
static job *pipe_slot(pipe_s *q, size_t bytes)
{
	job *j;

	pthread_mutex_lock(&q->mu);
	/* A long document waits until the writer has taken the others:
	 * what is in flight stays within q->cap (or is one document). */
	while ((q->head - q->tail == PIPE_JOBS ||
		(q->head != q->tail &&
		 q->inflight + bytes > q->cap)) && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->stop) {
		pthread_mutex_unlock(&q->mu);
		return NULL;
	}
	j = &q->jobs[q->head % PIPE_JOBS];
	j->bytes = bytes;
	q->inflight += j->bytes;
	/* Few documents waiting: the writer is ahead and would wait for
	 * this thread, so it compresses the body itself. */
	j->p.zdefer = q->head - q->tail < PIPE_JOBS / 2;
	pthread_mutex_unlock(&q->mu);
	return j;   /* ours until head moves past it */
}

static void pipe_publish(pipe_s *q)
{
	pthread_mutex_lock(&q->mu);
	q->head++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static int pipe_emit(void *ctx, const rd_doc *d)
{
	pipe_s *q = ctx;
	job *j = pipe_slot(q, d->body_len);

	if (!j)
		return LEDE_EINTR;
	j->same = 0;
	j->rc = job_fill(j, d);
	if (!j->rc)
		j->rc = prep_doc(&j->p, &j->d);
	pipe_publish(q);
	return 0;
}

/* rd_same_fn: whether the index holds the file id at this size and
 * mtime. A read transaction of its own for each file, so that no old
 * snapshot keeps the writer's freed pages from being reused. Any doubt
 * (no such record, a failed read) reads the file. */
static int pipe_same(void *ctx, const char *id, uint64_t size,
		     int64_t mtime_ns)
{
	pipe_s *q = ctx;
	size_t idlen = strlen(id);
	ix_txn *t = NULL;
	uint32_t docid = 0;
	ix_doc od;
	int same;
	job *j;

	if (ix_begin(q->x, 0, &t))
		return 0;
	same = !ix_id_lookup(t, id, idlen, &docid) &&
	       !ix_doc_get(t, docid, &od) && od.has_fstat &&
	       od.fsize == size && od.mtime_ns == mtime_ns &&
	       od.id_len == idlen && !memcmp(od.id, id, idlen);
	ix_abort(t);
	if (!same)
		return 0;
	j = pipe_slot(q, 0);
	if (!j)
		return LEDE_EINTR;
	j->same = 1;
	j->same_docid = docid;
	j->rc = job_fill(j, &(rd_doc){ .id = id, .title = "", .url = "",
				       .tags = "", .body = "", .source = id });
	pipe_publish(q);
	return 1;
}

static void *pipe_reader(void *arg)
{
	pipe_s *q = arg;
	int rc = 0;

	for (int i = 0; i < q->npaths && !rc; i++) {
		rc = rd_path(q->paths[i], pipe_emit, q, q->st);
		if (rc == LEDE_EIO) {
			q->missing = 1;   /* warned; the other paths go on */
			rc = 0;
		}
	}
	pthread_mutex_lock(&q->mu);
	if (rc != LEDE_EINTR)
		q->rc = rc;
	q->done = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int bld_add_paths(bld *b, char *const *paths, int n, rd_stats *st,
		  bld_each_fn each, void *ctx, int *missing)
{
	pipe_s *q = calloc(1, sizeof(*q));
	pthread_t th;
	int rc = 0, i;

	*missing = 0;
	if (!q)
		return LEDE_ENOMEM;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->paths = paths;
	q->npaths = n;
	q->st = st;
	q->x = b->x;
	if (!b->o.reread) {
		st->same_fn = pipe_same;
		st->same_ctx = q;
	}
	q->cap = b->pipe_cap;
	if (!st->max_doc)
		st->max_doc = b->doc_cap;
	q->zc = ZSTD_createCCtx();
	if (!q->zc)
		rc = LEDE_ENOMEM;
	for (i = 0; i < PIPE_JOBS && !rc; i++) {
		buf_init(&q->jobs[i].strs);
		rc = prep_init(&q->jobs[i].p, ix_lang(b->x), q->zc);
	}
	if (!rc && pthread_create(&th, NULL, pipe_reader, q) != 0)
		rc = LEDE_ENOMEM;
	if (rc)
		goto out;
	for (;;) {
		job *j;
		int r;

		pthread_mutex_lock(&q->mu);
		while (q->tail == q->head && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->tail == q->head) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		j = &q->jobs[q->tail % PIPE_JOBS];
		pthread_mutex_unlock(&q->mu);
		r = j->rc;
		if (!r && j->same) {
			b->c.unchanged++;
			r = mark_seen(b, j->same_docid);
		} else if (!r) {
			r = add_prepared(b, &j->d, &j->p);
		}
		r = each(ctx, &j->d, r);
		if (j->strs.cap > b->keep_cap)
			buf_release(&j->strs);
		prep_shrink(&j->p, b->keep_cap);
		pthread_mutex_lock(&q->mu);
		q->inflight -= j->bytes;
		q->tail++;
		if (r) {
			rc = r;
			q->stop = 1;
		}
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (r)
			break;
	}
	pthread_join(th, NULL);
	if (!rc)
		rc = q->rc;
	*missing = q->missing;
out:
	st->same_fn = NULL;
	st->same_ctx = NULL;
	for (i = 0; i < PIPE_JOBS; i++) {
		buf_release(&q->jobs[i].strs);
		prep_release(&q->jobs[i].p);
	}
	ZSTD_freeCCtx(q->zc);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return rc;
}
