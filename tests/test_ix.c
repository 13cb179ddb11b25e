/*
 * test_ix.c - the index layer through its public APIs: ix.h (open,
 * stats, document records, ids, lengths, raw access), bld.h (batch and
 * bulk writers), maint.h (check, compact) and search.h (BM25).
 *
 * Every case builds its own index in a fresh mkdtemp folder under /tmp
 * and removes it at the end; removing the folder itself is checked, so
 * a bulk load that leaves its run files behind fails the test.
 *
 * Document lengths are counted here independently of the tokenizer:
 * the texts are plain ASCII words separated by spaces or punctuation,
 * for which tok.h's rules give one token per run of letters/digits.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* mkdtemp */
#endif
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lmdb.h>
#include "t.h"
#include "../common/ana.h"
#include "../common/buf.h"
#include "../common/ix.h"
#include "../indexer/bld.h"
#include "../indexer/maint.h"
#include "../searcher/search.h"

#define MIB ((size_t)1 << 20)

/* ---- helpers ---- */

/* A setup step that must work for the rest of the case to mean
 * anything: counted as a check, and the case ends on failure. */
#define REQ(expr) do { \
	int req_rc_ = (expr); \
	CHECK_INT(req_rc_, 0); \
	if (req_rc_ != 0) \
		goto out; \
} while (0)

static int tmp_dir(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/lede-test-ix.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove the index files and the folder; anything else left in it
 * (e.g. bulk-load run files) makes rmdir fail, which is a failure. */
static void tmp_remove(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	CHECK(rmdir(dir) == 0);
}

/* Tokens of plain ASCII text: runs of letters and digits. */
static uint32_t count_words(const char *s)
{
	uint32_t n = 0;
	int in = 0;

	for (; *s; s++) {
		int w = isalnum((unsigned char)*s) != 0;
		if (w && !in)
			n++;
		in = w;
	}
	return n;
}

static void doc_init(rd_doc *d, const char *id, const char *title,
		     const char *body, int32_t date)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->title = title;
	d->date = date;
	d->url = "";
	d->tags = "";
	d->body = body;
	d->body_len = strlen(body);
	d->source = "test";
}

static int add_doc(bld *b, const char *id, const char *title,
		   const char *body, int32_t date)
{
	rd_doc d;

	doc_init(&d, id, title, body, date);
	return bld_add(b, &d);
}

static int get_stats(ix *x, ix_stats *st)
{
	ix_txn *t;
	int rc = ix_begin(x, 0, &t);

	if (rc)
		return rc;
	rc = ix_stats_get(t, st);
	ix_abort(t);
	return rc;
}

static int same_stats(const ix_stats *a, const ix_stats *b)
{
	return a->ndocs == b->ndocs && a->sumlen == b->sumlen &&
	       a->next_docid == b->next_docid && a->sumtlen == b->sumtlen;
}

/* Length table entry of docid, or -1 on error. */
static int len_of(ix_txn *t, uint32_t docid)
{
	uint16_t scratch[IX_LEN_CHUNK];
	const uint16_t *arr;

	if (ix_lens_chunk(t, docid / IX_LEN_CHUNK, &arr, scratch))
		return -1;
	return arr[docid % IX_LEN_CHUNK];
}

static int lookup(ix_txn *t, const char *id, uint32_t *docid)
{
	return ix_id_lookup(t, id, strlen(id), docid);
}

/* mt_check's problem count, or UINT64_MAX if the check itself failed. */
static uint64_t check_problems(ix *x)
{
	FILE *devnull = fopen("/dev/null", "w");
	uint64_t problems = UINT64_MAX;
	int rc;

	if (!devnull)
		return UINT64_MAX;
	rc = mt_check(x, devnull, &problems);
	fclose(devnull);
	return rc ? UINT64_MAX : problems;
}

/* Run query with k/offset on a fresh read transaction. */
static int search(ix *x, const char *q, size_t k, size_t offset,
		  srch_result *r)
{
	ix_txn *t = NULL;
	ana *a = NULL;
	srch_opts o;
	int rc;

	memset(r, 0, sizeof(*r));
	srch_opts_init(&o);
	o.k = k;
	o.offset = offset;
	o.count = 1;
	o.k1 = 1.2;      /* the hand-computed scores: Lucene's BM25 */
	o.b = 0.75;
	o.title_w = 0;   /* body BM25 only */
	rc = ana_new(ix_lang(x), &a);
	if (!rc)
		rc = ix_begin(x, 0, &t);
	if (!rc)
		rc = srch_run(t, a, q, strlen(q), &o, r);
	ix_abort(t);
	ana_free(a);
	return rc;
}

static int has_hit(const srch_result *r, uint32_t docid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->hits[i].docid == docid)
			return 1;
	return 0;
}

/* A copy of p[0..n) flush against the end of its allocation, so ASan
 * reports a read past it. */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *m = malloc(n ? n : 1);

	if (!m)
		abort();
	memcpy(m, p, n);
	return m;
}

/* The tiny corpus of the BM25 and damage cases. "red" is in docs 1
 * (tf 2: title + body) and 3 (tf 3); lengths count title + body. */
static const char *const c3_id[3] = { "d1", "d2", "d3" };
static const char *const c3_title[3] = { "red fox", "blue sky", "red car" };
static const char *const c3_body[3] = {
	"the quick red fox jumps",
	"a clear blue sky with no clouds",
	"a fast red car and a red bus",
};

static int build_c3(ix *x)
{
	bld_opts o = { 8 * MIB, 0, 0 };
	bld *b = NULL;
	int rc = bld_new(x, &o, &b);

	for (int i = 0; !rc && i < 3; i++)
		rc = add_doc(b, c3_id[i], c3_title[i], c3_body[i],
			     20240101 + i);
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	return rc;
}

static uint32_t c3_len(int i)
{
	return count_words(c3_title[i]) + count_words(c3_body[i]);
}

static double bm25(double N, double n, double tf, double dl, double avgdl)
{
	double k1 = 1.2, b = 0.75;
	double idf = log(1.0 + (N - n + 0.5) / (n + 0.5));

	return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl));
}

static int close_rel(double got, double want)
{
	return fabs(got - want) <= 1e-4 * fabs(want);
}

/* xorshift64*: deterministic generated documents. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Word v of a vocabulary of letters a..t: "k" + 4 letters. */
static void vocab_word(uint32_t v, char *out)
{
	out[0] = 'k';
	out[1] = (char)('a' + v % 20);
	out[2] = (char)('a' + v / 20 % 20);
	out[3] = (char)('a' + v / 400 % 20);
	out[4] = (char)('a' + v / 8000 % 20);
	out[5] = 0;
}

/* A body of nwords words from a vocabulary of vocab words, plus extra
 * (may be "") at the end. */
static void gen_body(buf *o, unsigned nwords, uint32_t vocab,
		     const char *extra)
{
	char w[8];

	buf_clear(o);
	for (unsigned i = 0; i < nwords; i++) {
		vocab_word(rnd() % vocab, w);
		if (buf_adds(o, w) || buf_addc(o, ' '))
			abort();
	}
	if (buf_adds(o, extra) || buf_nul(o))
		abort();
}

/* Files named run-* in dir/bulk-<pid>.tmp. */
static int count_runs(const char *dir)
{
	char p[512];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(p, sizeof(p), "%s/bulk-%ld.tmp", dir, (long)getpid());
	d = opendir(p);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "run-", 4) == 0)
			n++;
	closedir(d);
	return n;
}

/* ---- 1. ix_open ---- */

static void test_open(void)
{
	char dir[64], missing[96];
	ix *x = NULL;
	ix_txn *t = NULL;
	int rc;

	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, "french", &x));
	CHECK_STR(ix_lang(x), "french");
	CHECK_STR(ix_path(x), dir);
	ix_close(x);
	x = NULL;

	/* Reopen without IX_CREATE: the stored language. */
	REQ(ix_open(dir, 0, NULL, &x));
	CHECK_STR(ix_lang(x), "french");
	ix_close(x);
	x = NULL;

	/* IX_CREATE on an existing index: a different language is
	 * refused, the same one accepted, and no language (NULL) keeps the
	 * index's own. */
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	CHECK_STR(ix_lang(x), "french");
	ix_close(x);
	x = NULL;
	rc = ix_open(dir, IX_CREATE, "german", &x);
	CHECK_INT(rc, LEDE_EINVAL);
	CHECK(x == NULL);
	ix_close(x);
	x = NULL;
	REQ(ix_open(dir, IX_CREATE, "french", &x));
	ix_close(x);
	x = NULL;

	/* A missing folder without IX_CREATE. */
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	rc = ix_open(missing, 0, NULL, &x);
	CHECK_INT(rc, LEDE_ENOTFOUND);
	CHECK(x == NULL);
	ix_close(x);
	x = NULL;
	CHECK(access(missing, F_OK) != 0);   /* and nothing was made */

	/* Read-only: reads work, a write transaction is refused. */
	REQ(ix_open(dir, IX_RDONLY, NULL, &x));
	rc = ix_begin(x, 1, &t);
	CHECK(rc < 0);
	CHECK(t == NULL);
	ix_abort(t);
	t = NULL;
	REQ(ix_begin(x, 0, &t));
	{
		ix_stats st;
		CHECK_INT(ix_stats_get(t, &st), 0);
	}
	ix_abort(t);
	t = NULL;
	ix_close(x);
	x = NULL;

	/* Schema 7 opens; 6 (blocks under keys of their own, ix.h) and
	 * 8 are refused, read-only or not. */
	for (uint32_t sch = 6; sch <= 8; sch++) {
		uint8_t le[4] = { (uint8_t)sch, 0, 0, 0 };
		const uint8_t *v;
		size_t vl;

		REQ(ix_open(dir, 0, NULL, &x));
		REQ(ix_begin(x, 1, &t));
		REQ(ix_put(t, IX_META, "schema", 6, le, 4, 0));
		REQ(ix_commit(t));
		t = NULL;
		ix_close(x);
		x = NULL;
		/* read-only first (schema kept), then a writer (marked 6) */
		for (int wr = 0; wr < 2; wr++) {
			rc = ix_open(dir, wr ? 0 : IX_RDONLY, NULL, &x);
			CHECK_INT(rc, sch == IX_SCHEMA ? 0 : LEDE_EVERSION);
			if (!rc) {
				REQ(ix_begin(x, 0, &t));
				REQ(ix_get(t, IX_META, "schema", 6, &v, &vl));
				CHECK(vl == 4 &&
				      v[0] == (wr ? IX_SCHEMA : sch));
				ix_abort(t);
				t = NULL;
			}
			ix_close(x);
			x = NULL;
		}
		if (rc) {
			/* put a readable schema back for the next round */
			tmp_remove(dir);
			REQ(ix_open(dir, IX_CREATE, "french", &x));
			ix_close(x);
			x = NULL;
		}
	}
out:
	ix_abort(t);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 2. stats ---- */

static void test_stats(void)
{
	char dir[64];
	ix *x = NULL;
	ix_txn *t = NULL;
	ix_stats st, in = { 5, 77, 9, 11 };
	uint64_t problems;

	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	CHECK_STR(ix_lang(x), "english");   /* the default */
	REQ(ix_begin(x, 0, &t));
	memset(&st, 0xab, sizeof(st));
	CHECK_INT(ix_stats_get(t, &st), 0);
	CHECK_INT(st.ndocs, 0);
	CHECK_INT(st.sumlen, 0);
	CHECK_INT(st.next_docid, 1);
	CHECK_INT(st.sumtlen, 0);
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);

	/* Round trip through a committed write transaction. */
	REQ(ix_begin(x, 1, &t));
	CHECK_INT(ix_stats_put(t, &in), 0);
	REQ(ix_commit(t));
	t = NULL;
	REQ(ix_begin(x, 0, &t));
	memset(&st, 0, sizeof(st));
	CHECK_INT(ix_stats_get(t, &st), 0);
	CHECK_INT(st.ndocs, 5);
	CHECK_INT(st.sumlen, 77);
	CHECK_INT(st.next_docid, 9);
	CHECK_INT(st.sumtlen, 11);
	ix_abort(t);
	t = NULL;

	/* An aborted write leaves the committed value. */
	REQ(ix_begin(x, 1, &t));
	in.ndocs = 1;
	CHECK_INT(ix_stats_put(t, &in), 0);
	ix_abort(t);
	t = NULL;
	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.ndocs, 5);

	/* Impossible values: no docid to hand out, more documents than
	 * docids. */
	REQ(ix_begin(x, 1, &t));
	in.ndocs = 0;
	in.next_docid = 0;
	CHECK_INT(ix_stats_put(t, &in), 0);
	CHECK_INT(ix_stats_get(t, &st), LEDE_ECORRUPT);
	in.ndocs = 9;
	in.next_docid = 9;
	CHECK_INT(ix_stats_put(t, &in), 0);
	CHECK_INT(ix_stats_get(t, &st), LEDE_ECORRUPT);

	/* A 3-byte value. */
	CHECK_INT(ix_put(t, IX_META, "stats", 5, "abc", 3, 0), 0);
	CHECK_INT(ix_stats_get(t, &st), LEDE_ECORRUPT);
	REQ(ix_commit(t));
	t = NULL;
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(ix_stats_get(t, &st), LEDE_ECORRUPT);
	ix_abort(t);
	t = NULL;
	problems = check_problems(x);
	CHECK(problems > 0 && problems != UINT64_MAX);

	/* Missing altogether. */
	REQ(ix_begin(x, 1, &t));
	CHECK_INT(ix_del(t, IX_META, "stats", 5), 0);
	CHECK_INT(ix_stats_get(t, &st), LEDE_ECORRUPT);
	ix_abort(t);
	t = NULL;
out:
	ix_abort(t);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 3. ix_doc_parse ---- */

/* How many of the vl prefixes of record rec parse other than as
 * corrupt; each is tried at the end of its own allocation so that ASan
 * sees a read past it. */
static size_t prefixes_parsed(const uint8_t *rec, size_t vl, uint32_t docid)
{
	size_t bad = 0;
	ix_doc d;

	for (size_t n = 0; n < vl; n++) {
		uint8_t *p = exact_copy(rec, n);

		if (ix_doc_parse(p, n, docid, &d) != LEDE_ECORRUPT)
			bad++;
		free(p);
	}
	return bad;
}

/* Add rd, commit, and copy document docid's "docs" record (exactly
 * its size, for ASan) into *rec. */
static int add_record(ix *x, bld *b, const rd_doc *rd, uint32_t docid,
		      uint8_t **rec, size_t *vl)
{
	ix_txn *t = NULL;
	const uint8_t *v;
	uint8_t k[4];
	int rc = bld_add(b, rd);

	if (!rc)
		rc = bld_commit(b);
	if (!rc)
		rc = ix_begin(x, 0, &t);
	u32be_put(k, docid);
	if (!rc)
		rc = ix_get(t, IX_DOCS, k, 4, &v, vl);
	if (!rc)
		*rec = exact_copy(v, *vl);
	ix_abort(t);
	return rc;
}

static void test_doc_parse(void)
{
	char dir[64];
	ix *x = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	size_t vl;
	uint8_t *rec = NULL;
	ix_doc d;

	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(bld_new(x, &o, &b));
	{
		rd_doc rd;
		doc_init(&rd, "doc-one", "A title here", "some body words",
			 20211127);
		rd.url = "https://example.org/x";
		rd.tags = "news, test";
		REQ(add_record(x, b, &rd, 1, &rec, &vl));
	}

	/* The whole record parses, with every field. */
	memset(&d, 0, sizeof(d));
	CHECK_INT(ix_doc_parse(rec, vl, 1, &d), 0);
	CHECK_INT(d.docid, 1);
	CHECK_INT(d.date, 20211127);
	CHECK_INT(d.len, 6);
	CHECK_INT(d.tlen, 3);
	CHECK(d.id_len == 7 && memcmp(d.id, "doc-one", 7) == 0);
	CHECK(d.title_len == 12 && memcmp(d.title, "A title here", 12) == 0);
	CHECK(d.url_len == 21 &&
	      memcmp(d.url, "https://example.org/x", 21) == 0);
	CHECK(d.source_len == 4 && memcmp(d.source, "test", 4) == 0);
	CHECK(d.tags_len == 10 && memcmp(d.tags, "news, test", 10) == 0);

	/* Every shorter length is corrupt. */
	CHECK_INT(prefixes_parsed(rec, vl, 1), 0);

	/* A wrong version byte. */
	rec[0] = IX_DOC_VERSION + 1;
	CHECK_INT(ix_doc_parse(rec, vl, 1, &d), LEDE_ECORRUPT);
	rec[0] = 0;
	CHECK_INT(ix_doc_parse(rec, vl, 1, &d), LEDE_ECORRUPT);
	rec[0] = IX_DOC_VERSION;
	CHECK_INT(ix_doc_parse(rec, vl, 1, &d), 0);
	CHECK_INT(d.has_fstat, 0);
	/* An unknown flag bit; the file stat flag with no stat after. */
	rec[1] = 2;
	CHECK_INT(ix_doc_parse(rec, vl, 1, &d), LEDE_ECORRUPT);
	rec[1] = IX_DOC_FSTAT;
	CHECK_INT(ix_doc_parse(rec, vl, 1, &d), LEDE_ECORRUPT);
	free(rec);
	rec = NULL;

	/* An article from its own file keeps the file's size and mtime,
	 * a time before 1970 included. */
	{
		rd_doc rd;
		doc_init(&rd, "doc-two", "Another", "more body words", 0);
		rd.has_fstat = 1;
		rd.fsize = 123456789012ULL;
		rd.mtime_ns = -1500000000;
		REQ(add_record(x, b, &rd, 2, &rec, &vl));
	}
	memset(&d, 0, sizeof(d));
	CHECK_INT(ix_doc_parse(rec, vl, 2, &d), 0);
	CHECK_INT(d.has_fstat, 1);
	CHECK(d.fsize == 123456789012ULL);
	CHECK(d.mtime_ns == -1500000000);
	CHECK(d.id_len == 7 && memcmp(d.id, "doc-two", 7) == 0);
	CHECK_INT(prefixes_parsed(rec, vl, 2), 0);
	rec[1] = 0;   /* the stat left over without its flag */
	CHECK_INT(ix_doc_parse(rec, vl, 2, &d), LEDE_ECORRUPT);
out:
	free(rec);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 4. ix_id_key ---- */

static void test_id_key(void)
{
	char dir[64];
	char *long1 = malloc(1001), *long2 = malloc(1001);
	uint8_t k1[IX_ID_KEY_MAX + 16], k2[IX_ID_KEY_MAX + 16];
	size_t n1, n2;
	ix *x = NULL;
	ix_txn *t = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	uint32_t docid = 0;

	if (!long1 || !long2)
		abort();
	for (int i = 0; i < 1000; i++) {
		long1[i] = (char)('a' + i % 26);
		long2[i] = (char)('a' + i % 26);
	}
	long1[1000] = long2[1000] = 0;
	long2[700] = 'Z';   /* same first 500 bytes, and more */

	/* Short ids and ids of exactly IX_ID_KEY_MAX bytes are the key. */
	n1 = ix_id_key("abc", 3, k1);
	CHECK(n1 == 3 && memcmp(k1, "abc", 3) == 0);
	n1 = ix_id_key(long1, IX_ID_KEY_MAX, k1);
	CHECK(n1 == IX_ID_KEY_MAX && memcmp(k1, long1, IX_ID_KEY_MAX) == 0);

	/* Longer: exactly IX_ID_KEY_MAX bytes, prefix kept, and two ids
	 * that share the prefix get different keys. */
	memset(k1, 0xee, sizeof(k1));
	n1 = ix_id_key(long1, 1000, k1);
	CHECK_INT(n1, IX_ID_KEY_MAX);
	CHECK(k1[IX_ID_KEY_MAX] == 0xee);   /* nothing written past it */
	CHECK(memcmp(k1, long1, IX_ID_KEY_MAX - 17) == 0);
	n2 = ix_id_key(long2, 1000, k2);
	CHECK_INT(n2, IX_ID_KEY_MAX);
	CHECK(memcmp(k1, k2, IX_ID_KEY_MAX) != 0);
	/* A one-byte-longer id differs too (the hash covers the length). */
	n2 = ix_id_key(long1, 999, k2);
	CHECK(n2 == IX_ID_KEY_MAX && memcmp(k1, k2, IX_ID_KEY_MAX) != 0);
	/* Deterministic. */
	n2 = ix_id_key(long1, 1000, k2);
	CHECK(n2 == n1 && memcmp(k1, k2, n1) == 0);

	/* A document with a 1000-byte id is found by it, and its record
	 * keeps the full id. */
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		free(long1);
		free(long2);
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(bld_new(x, &o, &b));
	REQ(add_doc(b, long1, "long id", "first document body", 0));
	REQ(add_doc(b, long2, "long id two", "second document body", 0));
	REQ(bld_commit(b));
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(ix_id_lookup(t, long1, 1000, &docid), 0);
	CHECK_INT(docid, 1);
	CHECK_INT(ix_id_lookup(t, long2, 1000, &docid), 0);
	CHECK_INT(docid, 2);
	CHECK_INT(ix_id_lookup(t, long1, 999, &docid), LEDE_ENOTFOUND);
	{
		ix_doc d;
		CHECK_INT(ix_doc_get(t, 1, &d), 0);
		CHECK(d.id_len == 1000 && memcmp(d.id, long1, 1000) == 0);
	}
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);
out:
	ix_abort(t);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
	free(long1);
	free(long2);
}

/* ---- 5. bld in batches ---- */

static void test_bld(void)
{
	static const char *const id[3] = { "a", "b", "c" };
	static const char *const title[3] = {
		"Alpha report", "Bravo news today", ""
	};
	static const char *const body[3] = {
		"the first body has six words",
		"second body, with: punctuation; and 7 words!",
		"third",
	};
	char dir[64], longbody[2048] = "";
	ix *x = NULL;
	ix_txn *t = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	ix_stats st, st2;
	uint32_t len[4], sum = 0, docid = 0;
	buf body_out;

	buf_init(&body_out);
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(bld_new(x, &o, &b));
	for (int i = 0; i < 3; i++) {
		CHECK_INT(add_doc(b, id[i], title[i], body[i], 20200101 + i),
			  0);
		len[i] = count_words(title[i]) + count_words(body[i]);
		sum += len[i];
	}
	CHECK_INT(bld_get_counts(b)->added, 3);
	REQ(bld_commit(b));
	CHECK(bld_get_counts(b)->commits >= 1);

	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.ndocs, 3);
	CHECK_INT(st.next_docid, 4);
	CHECK_INT(st.sumlen, sum);
	CHECK_INT(st.sumtlen, count_words(title[0]) + count_words(title[1]));

	REQ(ix_begin(x, 0, &t));
	for (uint32_t i = 0; i < 3; i++) {
		ix_doc d;
		uint32_t docid_i = i + 1;

		CHECK_INT(ix_doc_get(t, docid_i, &d), 0);
		CHECK_INT(d.docid, docid_i);
		CHECK(d.id_len == strlen(id[i]) &&
		      memcmp(d.id, id[i], d.id_len) == 0);
		CHECK(d.title_len == strlen(title[i]) &&
		      memcmp(d.title, title[i], d.title_len) == 0);
		CHECK_INT(d.date, 20200101 + (int)i);
		CHECK_INT(d.len, len[i]);
		CHECK_INT(ix_body_get(t, docid_i, &body_out), 0);
		CHECK(body_out.len == strlen(body[i]) &&
		      memcmp(body_out.data, body[i], body_out.len) == 0);
		CHECK_INT(len_of(t, docid_i), len[i]);
		CHECK_INT(lookup(t, id[i], &docid), 0);
		CHECK_INT(docid, docid_i);
	}
	CHECK_INT(len_of(t, 0), 0);
	CHECK_INT(len_of(t, 4), 0);
	CHECK_INT(len_of(t, IX_LEN_CHUNK - 1), 0);
	CHECK_INT(len_of(t, IX_LEN_CHUNK + 5), 0);   /* a missing chunk */
	{
		ix_doc d;
		CHECK_INT(ix_doc_get(t, 4, &d), LEDE_ENOTFOUND);
		CHECK_INT(ix_body_get(t, 4, &body_out), LEDE_ENOTFOUND);
		CHECK_INT(lookup(t, "zz", &docid), LEDE_ENOTFOUND);
		CHECK_INT(ix_id_lookup(t, "", 0, &docid), LEDE_ENOTFOUND);
	}
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);
	bld_free(b);
	b = NULL;

	/* The same document again: unchanged, nothing moves. */
	REQ(bld_new(x, &o, &b));
	CHECK_INT(add_doc(b, id[1], title[1], body[1], 20200102), 0);
	CHECK_INT(bld_get_counts(b)->unchanged, 1);
	CHECK_INT(bld_get_counts(b)->added, 0);
	CHECK_INT(bld_get_counts(b)->replaced, 0);
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st2), 0);
	CHECK(same_stats(&st, &st2));
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(lookup(t, id[1], &docid), 0);
	CHECK_INT(docid, 2);
	CHECK_INT(len_of(t, 2), len[1]);
	ix_abort(t);
	t = NULL;

	/* A new body replaces it: a new docid, the old one tombstoned.
	 * A body of 256+ bytes is stored compressed: it must come back
	 * byte for byte too. */
	for (int i = 0; i < 40; i++)
		strcat(longbody, "lorem ipsum dolor ");
	len[3] = count_words(title[1]) + count_words(longbody);
	CHECK_INT(add_doc(b, id[1], title[1], longbody, 20200102), 0);
	CHECK_INT(bld_get_counts(b)->replaced, 1);
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st2), 0);
	CHECK_INT(st2.ndocs, 3);
	CHECK_INT(st2.next_docid, 5);
	CHECK_INT(st2.sumlen, sum - len[1] + len[3]);
	CHECK_INT(st2.sumtlen, st.sumtlen);
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(lookup(t, id[1], &docid), 0);
	CHECK_INT(docid, 4);
	CHECK_INT(len_of(t, 2), 0);
	CHECK_INT(len_of(t, 4), len[3]);
	{
		ix_doc d;
		CHECK_INT(ix_doc_get(t, 2, &d), LEDE_ENOTFOUND);
		CHECK_INT(ix_body_get(t, 2, &body_out), LEDE_ENOTFOUND);
		CHECK_INT(ix_doc_get(t, 4, &d), 0);
		CHECK(d.id_len == 1 && d.id[0] == 'b');
	}
	CHECK_INT(ix_body_get(t, 4, &body_out), 0);
	CHECK(body_out.len == strlen(longbody) &&
	      memcmp(body_out.data, longbody, body_out.len) == 0);
	{
		const uint8_t *v;
		size_t vl;
		uint8_t k[4];

		u32be_put(k, 4);
		CHECK_INT(ix_get(t, IX_BODY, k, 4, &v, &vl), 0);
		CHECK(vl > 0 && v[0] == 1 && vl < strlen(longbody));
	}
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);

	/* Removal: unknown id, then a known one. */
	CHECK_INT(bld_remove(b, "nope", 4), LEDE_ENOTFOUND);
	CHECK_INT(bld_remove(b, "a", 1), 0);
	CHECK_INT(bld_get_counts(b)->deleted, 1);
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st2), 0);
	CHECK_INT(st2.ndocs, 2);
	CHECK_INT(st2.next_docid, 5);
	CHECK_INT(st2.sumlen, sum - len[1] + len[3] - len[0]);
	CHECK_INT(st2.sumtlen, count_words(title[1]));
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(len_of(t, 1), 0);
	CHECK_INT(lookup(t, "a", &docid), LEDE_ENOTFOUND);
	{
		ix_doc d;
		CHECK_INT(ix_doc_get(t, 1, &d), LEDE_ENOTFOUND);
	}
	ix_abort(t);
	t = NULL;
	CHECK_INT(bld_remove(b, "a", 1), LEDE_ENOTFOUND);   /* gone */
	REQ(bld_commit(b));
	CHECK_INT(check_problems(x), 0);

	/* No indexable text. */
	CHECK_INT(add_doc(b, "empty", "", "!!! ???", 0), LEDE_EEMPTY);
	CHECK_INT(bld_get_counts(b)->empty, 1);
	/* An empty id is refused. */
	CHECK_INT(add_doc(b, "", "t", "words here", 0), LEDE_EINVAL);
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st), 0);
	CHECK(same_stats(&st, &st2));
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(lookup(t, "empty", &docid), LEDE_ENOTFOUND);
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);
out:
	buf_release(&body_out);
	ix_abort(t);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* The same id twice in one batch: the first version never reaches the
 * index, the second is live, and the index checks clean. */
static void test_bld_same_batch(void)
{
	char dir[64];
	ix *x = NULL;
	ix_txn *t = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	ix_stats st;
	uint32_t docid = 0;
	srch_result r;

	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(bld_new(x, &o, &b));
	REQ(add_doc(b, "x", "one", "apple banana", 0));
	REQ(add_doc(b, "y", "two", "banana cherry", 0));
	REQ(add_doc(b, "x", "one", "apple grape", 0));
	CHECK_INT(bld_get_counts(b)->replaced, 1);
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.ndocs, 2);
	CHECK_INT(st.next_docid, 4);
	CHECK_INT(st.sumlen, 3 + 3);
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(lookup(t, "x", &docid), 0);
	CHECK_INT(docid, 3);
	CHECK_INT(len_of(t, 1), 0);
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);
	CHECK_INT(search(x, "banana", 10, 0, &r), 0);
	CHECK_INT(r.total, 1);
	CHECK(r.n == 1 && r.hits[0].docid == 2);
	srch_result_release(&r);
	CHECK_INT(search(x, "apple", 10, 0, &r), 0);
	CHECK(r.n == 1 && r.hits[0].docid == 3);
	srch_result_release(&r);
out:
	ix_abort(t);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* A document over 65535 tokens: its record keeps the true length, the
 * length table the capped one, and the index checks clean. */
static void test_long_doc(void)
{
	char dir[64];
	ix *x = NULL;
	ix_txn *t = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	ix_stats st;
	buf body;

	buf_init(&body);
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	for (int i = 0; i < 70000; i++)
		if (buf_adds(&body, "word "))
			abort();
	if (buf_nul(&body))
		abort();
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(bld_new(x, &o, &b));
	REQ(add_doc(b, "long", "t", (const char *)body.data, 0));
	REQ(add_doc(b, "short", "t", "word other", 0));
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.sumlen, 70001 + 3);
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(len_of(t, 1), 65535);
	{
		ix_doc d;
		CHECK_INT(ix_doc_get(t, 1, &d), 0);
		CHECK_INT(d.len, 70001);
	}
	ix_abort(t);
	t = NULL;
	CHECK_INT(check_problems(x), 0);
	REQ(bld_remove(b, "long", 4));
	REQ(bld_commit(b));
	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.sumlen, 3);
	CHECK_INT(check_problems(x), 0);
out:
	ix_abort(t);
	buf_release(&body);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 6. bulk load ---- */

#define BULK_DOCS 3000
#ifndef BULK_WORDS
#define BULK_WORDS 200
#endif
#ifndef BULK_VOCAB
#define BULK_VOCAB 100000
#endif

static void test_bulk(void)
{
	char dir[64], id[32];
	ix *x = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 1, 0 };
	ix_stats st;
	uint64_t sum = 0;
	uint32_t len2 = 0, len3 = 0;
	unsigned fails = 0;
	srch_result r;
	buf body;

	buf_init(&body);
	memset(&r, 0, sizeof(r));
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(bld_new(x, &o, &b));
	for (unsigned i = 1; i <= BULK_DOCS && !fails; i++) {
		uint32_t n;

		snprintf(id, sizeof(id), "g%05u", i);
		gen_body(&body, BULK_WORDS, BULK_VOCAB,
			 i == BULK_DOCS ? "quokka" : "");
		if (add_doc(b, id, "generated doc", (const char *)body.data,
			    0))
			fails++;
		n = 2 + count_words((const char *)body.data);
		sum += n;
		if (i == 2)
			len2 = n;
		if (i == 3)
			len3 = n;
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bld_get_counts(b)->added, BULK_DOCS);
	/* Memory filled several times: at least two runs spilled before
	 * the final one. */
	CHECK(count_runs(dir) >= 2);
	/* Documents already spilled to a run: one removed, one replaced
	 * before the load commits. */
	CHECK_INT(bld_remove(b, "g00002", 6), 0);
	CHECK_INT(add_doc(b, "g00003", "generated doc", "platypus echidna",
			  0), 0);
	CHECK_INT(bld_get_counts(b)->replaced, 1);
	CHECK_INT(bld_get_counts(b)->deleted, 1);
	sum -= len2 + len3;
	sum += 4;
	REQ(bld_commit(b));
	CHECK_INT(count_runs(dir), 0);
	CHECK_INT(bld_get_counts(b)->commits, 1);
	bld_free(b);
	b = NULL;

	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.ndocs, BULK_DOCS - 1);
	CHECK_INT(st.next_docid, BULK_DOCS + 2);
	CHECK_INT(st.sumlen, sum);
	CHECK_INT(check_problems(x), 0);
	CHECK_INT(search(x, "quokka", 10, 0, &r), 0);
	CHECK_INT(r.total, 1);
	CHECK(r.n == 1 && r.hits[0].docid == BULK_DOCS);
	srch_result_release(&r);
	CHECK_INT(search(x, "platypus", 10, 0, &r), 0);
	CHECK(r.n == 1 && r.hits[0].docid == BULK_DOCS + 1);
	srch_result_release(&r);
	/* Every live document has the title words. */
	CHECK_INT(search(x, "generated", 5, 0, &r), 0);
	CHECK_INT(r.total, BULK_DOCS - 1);
	CHECK_INT(r.n, 5);
	srch_result_release(&r);
	CHECK_INT(search(x, "generated", SRCH_MAX_K, 0, &r), 0);
	CHECK(!has_hit(&r, 2) && !has_hit(&r, 3) && has_hit(&r, 1));
	srch_result_release(&r);

	/* A second bulk bld on the now non-empty index must take the batch
	 * path (a bulk merge would append over existing keys). */
	REQ(bld_new(x, &o, &b));
	for (unsigned i = BULK_DOCS + 1; i <= BULK_DOCS + 200; i++) {
		snprintf(id, sizeof(id), "g%05u", i);
		gen_body(&body, BULK_WORDS, BULK_VOCAB,
			 i == BULK_DOCS + 200 ? "wombat" : "");
		if (add_doc(b, id, "generated doc", (const char *)body.data,
			    0))
			fails++;
		sum += 2 + count_words((const char *)body.data);
	}
	CHECK_INT(fails, 0);
	/* The same id again, changed: replaced on the batch path. */
	REQ(add_doc(b, "g00001", "generated doc", "quokka", 0));
	sum -= 2 + BULK_WORDS;
	sum += 3;
	CHECK_INT(bld_get_counts(b)->added, 200);
	CHECK_INT(bld_get_counts(b)->replaced, 1);
	CHECK_INT(count_runs(dir), 0);
	REQ(bld_commit(b));
	bld_free(b);
	b = NULL;
	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.ndocs, BULK_DOCS - 1 + 200);
	CHECK_INT(st.next_docid, BULK_DOCS + 203);
	CHECK_INT(st.sumlen, sum);
	CHECK_INT(check_problems(x), 0);
	CHECK_INT(search(x, "wombat", 10, 0, &r), 0);
	CHECK(r.n == 1 && r.hits[0].docid == BULK_DOCS + 201);
	srch_result_release(&r);
	CHECK_INT(search(x, "quokka", 10, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK(has_hit(&r, BULK_DOCS) && has_hit(&r, BULK_DOCS + 202));
	srch_result_release(&r);
	CHECK_INT(search(x, "generated", 10, 0, &r), 0);
	CHECK_INT(r.total, BULK_DOCS - 1 + 200);
	srch_result_release(&r);
out:
	srch_result_release(&r);
	buf_release(&body);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 7. mt_check against damage ---- */

static void test_check_lens(void)
{
	char dir[64];
	ix *x = NULL;
	ix_txn *t = NULL;
	uint16_t scratch[IX_LEN_CHUNK];
	const uint16_t *arr;
	uint8_t raw[IX_LEN_CHUNK * 2], k[4];
	uint64_t problems;

	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(build_c3(x));
	{
		FILE *f = tmpfile();
		problems = UINT64_MAX;
		CHECK(f != NULL);
		if (f) {
			CHECK_INT(mt_check(x, f, &problems), 0);
			CHECK_INT(problems, 0);
			CHECK_INT(ftell(f), 0);   /* nothing printed */
			fclose(f);
		}
	}

	REQ(ix_begin(x, 1, &t));
	REQ(ix_lens_chunk(t, 0, &arr, scratch));
	CHECK_INT(arr[2], c3_len(1));
	for (size_t i = 0; i < IX_LEN_CHUNK; i++) {
		uint16_t l = arr[i];
		if (i == 2)
			l = (uint16_t)(l + 3);
		raw[2 * i] = (uint8_t)l;
		raw[2 * i + 1] = (uint8_t)(l >> 8);
	}
	u32be_put(k, 0);
	REQ(ix_put(t, IX_LENS, k, 4, raw, sizeof(raw), 0));
	REQ(ix_commit(t));
	t = NULL;
	REQ(ix_begin(x, 0, &t));
	CHECK_INT(len_of(t, 2), c3_len(1) + 3);
	ix_abort(t);
	t = NULL;
	{
		FILE *f = tmpfile();
		problems = 0;
		CHECK(f != NULL);
		if (f) {
			CHECK_INT(mt_check(x, f, &problems), 0);
			CHECK(problems > 0);
			CHECK(ftell(f) > 0);   /* and says so */
			fclose(f);
		}
	}

	/* A lens chunk of the wrong size is corrupt, for the reader and
	 * for check. */
	REQ(ix_begin(x, 1, &t));
	REQ(ix_put(t, IX_LENS, k, 4, raw, 100, 0));
	CHECK_INT(ix_lens_chunk(t, 0, &arr, scratch), LEDE_ECORRUPT);
	REQ(ix_commit(t));
	t = NULL;
	problems = check_problems(x);
	CHECK(problems > 0 && problems != UINT64_MAX);
out:
	ix_abort(t);
	ix_close(x);
	tmp_remove(dir);
}

/* Build n docs all holding "common" (so it has blocks of its own, not
 * one inline in its record) in two batches. Doc i (1-based) also holds
 * "alpha" when i % 3 == 0 and "beta" when i % 7 == 0. */
static int build_common(ix *x, unsigned n)
{
	bld_opts o = { 8 * MIB, 0, 0 };
	bld *b = NULL;
	char id[32], bodytxt[256];
	int rc = bld_new(x, &o, &b);

	for (unsigned i = 1; !rc && i <= n; i++) {
		snprintf(id, sizeof(id), "c%u", i);
		snprintf(bodytxt, sizeof(bodytxt), "common words %s %s n%u",
			 i % 3 == 0 ? "alpha alpha" : "gamma",
			 i % 7 == 0 ? "beta" : "delta", i);
		rc = add_doc(b, id, i % 5 == 0 ? "alpha title" : "title",
			     bodytxt, 0);
		/* Commit part way so terms get a short block mid-list. */
		if (!rc && i == n / 2 + 1)
			rc = bld_commit(b);
	}
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	return rc;
}

static void test_check_post(void)
{
	char dir[64], dir2[64];
	ix *x = NULL;
	ix_txn *t = NULL;
	ix_cur *c = NULL;
	const uint8_t *v;
	size_t vl;
	uint8_t key[64], garbage[24];
	size_t keylen = 0;
	uint64_t problems;
	srch_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(garbage, 0xff, sizeof(garbage));
	dir2[0] = 0;
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(build_common(x, 300));
	CHECK_INT(check_problems(x), 0);

	/* The first block of "common", where its record says, gets one
	 * byte flipped inside its chunk. */
	REQ(ix_begin(x, 1, &t));
	{
		post_dirent *ents = NULL;
		size_t ne = 0;
		uint32_t df;
		const uint8_t *cv;
		size_t cl;
		uint8_t *copy = NULL;

		REQ(ix_term_get(t, "common", 6, &v, &vl));
		REQ(post_term_decode(v, vl, &df, &ents, &ne));
		CHECK(ne >= 2 && ents[0].first == 1 && ents[0].bl.len > 4);
		if (ne >= 2) {
			u32be_put(key, ents[0].bl.chunk);
			keylen = 4;
			REQ(ix_get(t, IX_BLK, key, 4, &cv, &cl));
			CHECK(cl >= (size_t)ents[0].bl.off + ents[0].bl.len);
			copy = malloc(cl);
			if (copy && cl >= (size_t)ents[0].bl.off + 2) {
				memcpy(copy, cv, cl);
				copy[ents[0].bl.off + 1] ^= 0x10;
				REQ(ix_put(t, IX_BLK, key, 4, copy, cl, 0));
			} else {
				keylen = 0;
			}
		}
		free(copy);
		free(ents);
	}
	if (!keylen)
		goto out;
	REQ(ix_commit(t));
	t = NULL;
	problems = check_problems(x);
	CHECK(problems > 0 && problems != UINT64_MAX);
	rc = search(x, "common", 10, 0, &r);
	CHECK(rc == LEDE_ECORRUPT || rc == 0);
	srch_result_release(&r);
	/* Other terms still search fine. */
	CHECK_INT(search(x, "beta", 100, 0, &r), 0);
	CHECK_INT(r.total, 300 / 7);
	srch_result_release(&r);
	ix_close(x);
	x = NULL;

	/* Another index: a term record (inline block) overwritten. */
	if (tmp_dir(dir2, sizeof(dir2))) {
		CHECK(!"mkdtemp");
		dir2[0] = 0;
		goto out;
	}
	REQ(ix_open(dir2, IX_CREATE, NULL, &x));
	REQ(build_c3(x));
	REQ(ix_begin(x, 1, &t));
	REQ(ix_get(t, IX_POST, "red", 4, &v, &vl));
	REQ(ix_put(t, IX_POST, "red", 4, garbage, sizeof(garbage), 0));
	REQ(ix_commit(t));
	t = NULL;
	problems = check_problems(x);
	CHECK(problems > 0 && problems != UINT64_MAX);
	rc = search(x, "red", 10, 0, &r);
	CHECK(rc == LEDE_ECORRUPT || rc == 0);
	if (rc == 0)
		CHECK_INT(r.total, 0);
	srch_result_release(&r);
	CHECK_INT(search(x, "sky", 10, 0, &r), 0);
	CHECK(r.n == 1 && r.hits[0].docid == 2);
	srch_result_release(&r);
	/* Compact refuses to rewrite from a bad record. */
	{
		mt_compact_counts cc;
		CHECK(mt_compact(x, &cc) < 0);
	}
out:
	srch_result_release(&r);
	ix_cur_close(c);
	ix_abort(t);
	ix_close(x);
	tmp_remove(dir);
	if (dir2[0])
		tmp_remove(dir2);
}

/* ---- 8. mt_compact ---- */

#define NQ 4
static const char *const compact_q[NQ] = {
	"common", "alpha", "beta delta", "common alpha beta title"
};

static int snapshot(ix *x, srch_result *r)
{
	for (int i = 0; i < NQ; i++) {
		int rc = search(x, compact_q[i], 1000, 0, &r[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Chunks in "blocks" and "pos" together. */
static uint64_t chunk_count(ix *x)
{
	ix_txn *t = NULL;
	ix_dbi_usage u[IX_NDBI];
	uint64_t n = 0;
	int nu;

	if (ix_begin(x, 0, &t))
		return UINT64_MAX;
	nu = ix_usage(t, u, IX_NDBI);
	for (int i = 0; i < nu; i++)
		if (!strcmp(u[i].name, "blocks") || !strcmp(u[i].name, "pos"))
			n += u[i].entries;
	ix_abort(t);
	return n;
}

static void test_compact(void)
{
	char dir[64];
	ix *x = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	srch_result before[NQ], after[NQ];
	mt_compact_counts cc;
	uint64_t nch;
	int rc;
	ix_stats st;

	memset(before, 0, sizeof(before));
	memset(after, 0, sizeof(after));
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(build_common(x, 300));
	REQ(bld_new(x, &o, &b));
	REQ(bld_remove(b, "c5", 2));
	REQ(bld_remove(b, "c21", 3));
	REQ(bld_remove(b, "c200", 4));
	REQ(bld_commit(b));
	bld_free(b);
	b = NULL;
	CHECK_INT(check_problems(x), 0);
	REQ(snapshot(x, before));
	CHECK_INT(before[0].total, 297);
	CHECK(!has_hit(&before[0], 5) && !has_hit(&before[0], 21) &&
	      !has_hit(&before[0], 200));

	/* A commit after every term: the result is the same. */
	setenv("LEDE_COMPACT_TXN_BYTES", "1", 1);
	rc = mt_compact(x, &cc);
	unsetenv("LEDE_COMPACT_TXN_BYTES");
	REQ(rc);
	CHECK(cc.terms > 0);
	CHECK(cc.dropped >= 3 * 4);   /* each removed doc had 4+ terms */
	CHECK(cc.blocks_after <= cc.blocks_before);
	CHECK_INT(check_problems(x), 0);
	CHECK_INT(get_stats(x, &st), 0);
	CHECK_INT(st.ndocs, 297);
	REQ(snapshot(x, after));
	for (int i = 0; i < NQ; i++) {
		int same = before[i].n == after[i].n &&
			   before[i].total == after[i].total;
		for (size_t j = 0; same && j < before[i].n; j++)
			same = before[i].hits[j].docid ==
			       after[i].hits[j].docid &&
			       before[i].hits[j].score ==
			       after[i].hits[j].score;
		CHECK(same);
		CHECK(before[i].n > 0);
	}

	/* The two batches' chunks held the rewritten terms' old blocks:
	 * they are gone; the new ones (one or two for each commit, one
	 * commit a term here) are full. */
	CHECK(cc.chunks_freed >= 2);
	nch = chunk_count(x);
	CHECK(nch >= 2 && nch <= 2 * cc.terms);

	/* A second compact has nothing left to drop or free. */
	REQ(mt_compact(x, &cc));
	CHECK_INT(cc.dropped, 0);
	CHECK_INT(cc.chunks_freed, 0);
	CHECK_INT(chunk_count(x), nch);
	CHECK_INT(check_problems(x), 0);
out:
	for (int i = 0; i < NQ; i++) {
		srch_result_release(&before[i]);
		srch_result_release(&after[i]);
	}
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* Compaction and the chunks. Batch 1: f0 (60 times: most of the
 * chunks' bytes), f1 and f2 in docs 1..200, two blocks each, the
 * second short; batch 2: g0..g19 in docs 201..400; batch 3: f0 once
 * more (doc 401). f0 then has a short block before its last and is
 * rewritten, with the headline word "t" of every document in both
 * fields. That leaves batch 1's chunks mostly unused: f1 and f2 move
 * out and they go. Batch 2's lose only t's blocks: they stay, their
 * unused bytes shown by lede stats. Batch 3's held only rewritten
 * blocks. One commit a batch (256 MiB). */
static void test_compact_partial(void)
{
	char dir[64], body[1024];
	ix *x = NULL;
	bld *b = NULL;
	bld_opts o = { 256 * MIB, 0, 0 };
	mt_compact_counts cc;
	mt_stats ms;
	srch_result r;

	memset(&r, 0, sizeof(r));
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	for (int batch = 0; batch < 3; batch++) {
		unsigned lo = batch == 0 ? 1 : batch == 1 ? 201 : 401;
		unsigned hi = batch == 0 ? 200 : batch == 1 ? 400 : 401;

		REQ(bld_new(x, &o, &b));
		for (unsigned i = lo; i <= hi; i++) {
			char id[16];
			int n = 0;

			snprintf(id, sizeof(id), "p%u", i);
			for (int w = 0; w < (batch == 2 ? 1 :
					     batch == 1 ? 20 : 3); w++)
				for (int k = 0; k < (batch == 0 && w == 0 ?
						     60 : 1); k++)
					n += snprintf(body + n,
						      sizeof(body) - (size_t)n,
						      "%c%d ",
						      batch == 1 ? 'g' : 'f', w);
			REQ(add_doc(b, id, "t", body, 0));
		}
		REQ(bld_commit(b));
		bld_free(b);
		b = NULL;
	}
	CHECK_INT(chunk_count(x), 6);
	REQ(mt_compact(x, &cc));
	CHECK_INT(cc.terms, 3 + 2);      /* f0, t, title:t; f1, f2 */
	CHECK_INT(cc.chunks_freed, 4);   /* batches 1 and 3, both kinds */
	CHECK_INT(chunk_count(x), 4);    /* batch 2's and the new ones */
	CHECK_INT(check_problems(x), 0);
	REQ(mt_stats_get(x, &ms));
	/* t's old blocks in batch 2's chunks: unused, not freed */
	CHECK(ms.chunk_bytes > ms.chunk_used);
	CHECK(ms.chunk_bytes - ms.chunk_used < ms.chunk_bytes / 4);
	CHECK_INT(search(x, "f0", 1000, 0, &r), 0);
	CHECK_INT(r.total, 201);
	srch_result_release(&r);
	CHECK_INT(search(x, "\"f0 f1\"", 1000, 0, &r), 0);
	CHECK_INT(r.total, 200);
	srch_result_release(&r);
	/* Again: nothing to rewrite, nothing to free. */
	REQ(mt_compact(x, &cc));
	CHECK_INT(cc.terms, 0);
	CHECK_INT(cc.chunks_freed, 0);
out:
	srch_result_release(&r);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 9. BM25 by hand ---- */

static void test_bm25(void)
{
	char dir[64];
	char big[SRCH_MAX_QUERY_BYTES + 2];
	ix *x = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	srch_result r;
	double N = 3, avgdl, s1, s3, sfox;
	uint32_t l1 = c3_len(0), l2 = c3_len(1), l3 = c3_len(2);

	memset(&r, 0, sizeof(r));
	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	REQ(build_c3(x));
	CHECK_INT(l1, 7);
	CHECK_INT(l2, 9);
	CHECK_INT(l3, 10);
	avgdl = (l1 + l2 + l3) / N;

	/* "red": tf 2 in doc 1 (title + body), 3 in doc 3. */
	s1 = bm25(N, 2, 2, l1, avgdl);
	s3 = bm25(N, 2, 3, l3, avgdl);
	CHECK_INT(search(x, "red", 10, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK_INT(r.n, 2);
	if (r.n == 2) {
		CHECK_INT(r.hits[0].docid, 3);
		CHECK_INT(r.hits[1].docid, 1);
		CHECK(close_rel(r.hits[0].score, s3));
		CHECK(close_rel(r.hits[1].score, s1));
	}
	srch_result_release(&r);

	/* Case and stemming: "RED" and "Reds" are the same term. */
	CHECK_INT(search(x, "Reds", 10, 0, &r), 0);
	CHECK(r.n == 2 && close_rel(r.hits[0].score, s3));
	srch_result_release(&r);

	/* Two terms add up; a repeated query word counts twice. */
	sfox = bm25(N, 1, 2, l1, avgdl);
	CHECK_INT(search(x, "red fox", 10, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK(r.n == 2 && r.hits[0].docid == 1 &&
	      close_rel(r.hits[0].score, s1 + sfox) &&
	      close_rel(r.hits[1].score, s3));
	srch_result_release(&r);
	CHECK_INT(search(x, "fox fox", 10, 0, &r), 0);
	CHECK(r.n == 1 && close_rel(r.hits[0].score, 2 * sfox));
	srch_result_release(&r);

	/* k and offset. */
	CHECK_INT(search(x, "red", 1, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK(r.n == 1 && r.hits[0].docid == 3);
	srch_result_release(&r);
	CHECK_INT(search(x, "red", 1, 1, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK(r.n == 1 && r.hits[0].docid == 1 &&
	      close_rel(r.hits[0].score, s1));
	srch_result_release(&r);
	CHECK_INT(search(x, "red", 10, 2, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK_INT(r.n, 0);
	srch_result_release(&r);
	CHECK_INT(search(x, "red", 0, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK_INT(r.n, 0);
	srch_result_release(&r);
	CHECK_INT(search(x, "red", SRCH_MAX_K, 1, &r), LEDE_ETOOBIG);
	srch_result_release(&r);

	/* An unknown word does not hide the others' hits, wherever it
	 * stands, and alone it finds nothing without an error. */
	CHECK_INT(search(x, "zebra red", 10, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK(r.n == 2 && close_rel(r.hits[0].score, s3));
	srch_result_release(&r);
	CHECK_INT(search(x, "red zebra", 10, 0, &r), 0);
	CHECK_INT(r.total, 2);
	CHECK(r.n == 2 && close_rel(r.hits[0].score, s3));
	srch_result_release(&r);
	CHECK_INT(search(x, "zebra", 10, 0, &r), 0);
	CHECK(r.total == 0 && r.n == 0);
	srch_result_release(&r);
	/* No terms at all. */
	CHECK_INT(search(x, "!!! ...", 10, 0, &r), 0);
	CHECK(r.total == 0 && r.n == 0);
	srch_result_release(&r);
	CHECK_INT(search(x, "", 10, 0, &r), 0);
	CHECK(r.total == 0 && r.n == 0);
	srch_result_release(&r);

	/* Query length cap. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;   /* SRCH_MAX_QUERY_BYTES + 1 bytes */
	CHECK_INT(search(x, big, 10, 0, &r), LEDE_ETOOBIG);
	srch_result_release(&r);
	big[SRCH_MAX_QUERY_BYTES] = 0;   /* exactly at the cap: fine */
	CHECK_INT(search(x, big, 10, 0, &r), 0);
	srch_result_release(&r);

	/* Delete doc 3: it never appears, and N, n and avgdl follow. */
	REQ(bld_new(x, &o, &b));
	REQ(bld_remove(b, "d3", 2));
	REQ(bld_commit(b));
	CHECK_INT(search(x, "red", 10, 0, &r), 0);
	CHECK_INT(r.total, 1);
	CHECK(r.n == 1 && r.hits[0].docid == 1 &&
	      close_rel(r.hits[0].score,
			bm25(2, 1, 2, l1, (l1 + l2) / 2.0)));
	srch_result_release(&r);
	CHECK_INT(search(x, "car bus red", 10, 0, &r), 0);
	CHECK(!has_hit(&r, 3));
	CHECK_INT(r.total, 1);
	srch_result_release(&r);
out:
	srch_result_release(&r);
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

/* ---- 10. the id table ("xid") ---- */

typedef struct xid_tally {
	uint32_t table;     /* live documents the table names rightly */
	uint32_t fallback;  /* live documents it leaves to "docs" */
	uint32_t stale;     /* gone documents it still names */
	uint32_t bad;       /* wrong ids, damage, ix_doc_id failures */
	uint32_t longid;    /* ids over IX_XID_ID_MAX, rightly left out */
} xid_tally;

/* Every docid so far: the table against the document records. */
static int xid_tally_of(ix *x, xid_tally *n)
{
	ix_txn *t = NULL;
	ix_stats st;
	int rc = ix_begin(x, 0, &t);

	memset(n, 0, sizeof(*n));
	if (!rc)
		rc = ix_stats_get(t, &st);
	for (uint32_t d = 1; !rc && d < st.next_docid; d++) {
		ix_doc doc;
		const char *id, *id2;
		size_t len, len2;
		int dr = ix_doc_get(t, d, &doc);
		int xr = ix_xid_get(t, d, &id, &len);

		if (dr == LEDE_ENOTFOUND) {
			n->stale += xr == 0;
			n->bad += xr != 0 && xr != LEDE_ENOTFOUND;
			continue;
		}
		if (dr) {
			rc = dr;
			break;
		}
		if (xr == 0 && len == doc.id_len &&
		    memcmp(id, doc.id, len) == 0)
			n->table++;
		else if (xr == LEDE_ENOTFOUND && doc.id_len > IX_XID_ID_MAX)
			n->longid++;   /* read from the record */
		else if (xr == LEDE_ENOTFOUND)
			n->fallback++;
		else
			n->bad++;
		if (ix_doc_id(t, d, &id2, &len2) || len2 != doc.id_len ||
		    memcmp(id2, doc.id, len2) != 0)
			n->bad++;
	}
	ix_abort(t);
	return rc;
}

static int xid_add(ix *x, int bulk, unsigned from, unsigned to,
		   unsigned per_commit, const char *tag)
{
	bld_opts o = { 8 * MIB, bulk, 0 };
	bld *b = NULL;
	char id[320], body[96];
	int rc = bld_new(x, &o, &b);

	for (unsigned i = from; !rc && i < to; i++) {
		/* ids of varied length; one in 97 over IX_XID_ID_MAX */
		if (i % 97 == 0) {
			memset(id, 'z', 300);
			snprintf(id + 300, sizeof(id) - 300, "%u", i);
		} else {
			snprintf(id, sizeof(id), "a%u", i);
		}
		snprintf(body, sizeof(body), "word%u common %s", i % 50, tag);
		rc = add_doc(b, id, "t", body, 0);
		if (!rc && per_commit && (i - from + 1) % per_commit == 0)
			rc = bld_commit(b);
	}
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	return rc;
}

/* The damage a chunk of the table can take without a bad checksum: a
 * structure that does not hold together (count 0). */
static int xid_break(ix *x, uint32_t chunk)
{
	ix_txn *t = NULL;
	uint8_t k[4] = { (uint8_t)(chunk >> 24), (uint8_t)(chunk >> 16),
			 (uint8_t)(chunk >> 8), (uint8_t)chunk };
	uint8_t v[8] = { 0 };
	int rc = ix_begin(x, 1, &t);

	if (!rc)
		rc = ix_put(t, IX_XID, k, 4, v, sizeof(v), 0);
	if (!rc)
		return ix_commit(t);
	ix_abort(t);
	return rc;
}

static int xid_clear(ix *x)
{
	ix_txn *t = NULL;
	int rc = ix_begin(x, 1, &t);

	if (!rc)
		rc = ix_clear(t, IX_XID);
	if (!rc)
		return ix_commit(t);
	ix_abort(t);
	return rc;
}

static void test_xid(void)
{
	char dir[64];
	ix *x = NULL;
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 0, 0 };
	mt_compact_counts cc;
	xid_tally n;

	if (tmp_dir(dir, sizeof(dir))) {
		CHECK(!"mkdtemp");
		return;
	}
	REQ(ix_open(dir, IX_CREATE, NULL, &x));
	/* a bulk load over two chunks, then batches across the next
	 * chunk boundaries, one commit ending exactly on one */
	REQ(xid_add(x, 1, 0, 1500, 0, "bulk"));
	REQ(xid_add(x, 0, 1500, 2200, 300, "batch"));
	REQ(xid_add(x, 0, 2200, 3072 - 1, 0, "fill"));
	REQ(xid_add(x, 0, 3072 - 1, 3200, 7, "small"));
	REQ(xid_tally_of(x, &n));
	/* one id in 97 is long: a0, a97, ..., a3104 */
	CHECK_INT(n.table, 3200 - 33);
	CHECK_INT(n.longid, 33);
	CHECK_INT(n.fallback + n.stale + n.bad, 0);
	CHECK_INT(check_problems(x), 0);

	/* deleted and replaced: the old docids' ids stay until compact */
	REQ(bld_new(x, &o, &b));
	REQ(bld_remove(b, "a5", 2));
	REQ(bld_remove(b, "a2047", 5));
	REQ(add_doc(b, "a10", "t", "a new text", 0));
	REQ(add_doc(b, "a3000", "t", "a new text", 0));
	REQ(bld_commit(b));
	bld_free(b);
	b = NULL;
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.table, 3198 - 33);
	CHECK_INT(n.stale, 4);
	CHECK_INT(n.fallback + n.bad, 0);
	CHECK_INT(check_problems(x), 0);
	REQ(mt_compact(x, &cc));
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.table, 3198 - 33);
	CHECK_INT(n.stale + n.fallback + n.bad, 0);

	/* an index written before the table: every id from "docs", new
	 * documents in the table, compact fills it */
	REQ(xid_clear(x));
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.fallback, 3198 - 33);
	CHECK_INT(n.table + n.bad, 0);
	REQ(xid_add(x, 0, 5000, 5010, 0, "later"));
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.table, 10);
	CHECK_INT(n.fallback, 3198 - 33);
	CHECK_INT(n.bad, 0);
	CHECK_INT(check_problems(x), 0);
	REQ(mt_compact(x, &cc));
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.table, 3208 - 33);
	CHECK_INT(n.fallback + n.bad, 0);

	/* a chunk that does not hold together: reported by the reader and
	 * by check (ix_doc_id reads the records instead), mended by
	 * compact */
	REQ(xid_break(x, 1));
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.bad, IX_XID_CHUNK);
	CHECK(check_problems(x) >= IX_XID_CHUNK);
	REQ(mt_compact(x, &cc));
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.table, 3208 - 33);
	CHECK_INT(n.bad, 0);
	CHECK_INT(check_problems(x), 0);

	/* an index of a lede before the table, opened read-only: no
	 * table at all, every id from "docs", nothing to report */
	ix_close(x);
	x = NULL;
	{
		MDB_env *env = NULL;
		MDB_txn *txn = NULL;
		MDB_dbi dbi;
		int rc = mdb_env_create(&env);

		if (!rc)
			rc = mdb_env_set_maxdbs(env, 16);
		if (!rc)
			rc = mdb_env_open(env, dir, 0, 0644);
		if (!rc)
			rc = mdb_txn_begin(env, NULL, 0, &txn);
		if (!rc)
			rc = mdb_dbi_open(txn, "xid", 0, &dbi);
		if (!rc)
			rc = mdb_drop(txn, dbi, 1);
		if (!rc) {
			rc = mdb_txn_commit(txn);
			txn = NULL;
		}
		if (txn)
			mdb_txn_abort(txn);
		mdb_env_close(env);
		REQ(rc);
	}
	REQ(ix_open(dir, IX_RDONLY, NULL, &x));
	{
		ix_txn *t = NULL;

		REQ(ix_begin(x, 0, &t));
		CHECK(!ix_has_table(t, IX_XID));
		CHECK(ix_has_table(t, IX_DOCS));
		ix_abort(t);
	}
	REQ(xid_tally_of(x, &n));
	CHECK_INT(n.fallback, 3208 - 33);
	CHECK_INT(n.table + n.bad, 0);
	CHECK_INT(check_problems(x), 0);
out:
	bld_free(b);
	ix_close(x);
	tmp_remove(dir);
}

int main(void)
{
	test_open();
	test_stats();
	test_doc_parse();
	test_id_key();
	test_bld();
	test_bld_same_batch();
	test_long_doc();
	test_bulk();
	test_check_lens();
	test_check_post();
	test_compact();
	test_compact_partial();
	test_bm25();
	test_xid();
	return t_done("test_ix");
}
