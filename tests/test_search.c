/*
 * test_search.c - the search core against oracles.
 *
 * A seeded random archive (Zipf-like words, titles, dates, some deleted
 * documents, several batches so terms have many blocks) is indexed;
 * then many random queries run twice, pruned (MaxScore + block bounds)
 * and exhaustive (every match scored), and must give the same hits in
 * the same order with the same scores. Matching (required, excluded,
 * phrases, title, date filters) is checked against a brute-force scan
 * of the documents kept in memory, and counts against the same scan.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "../common/ana.h"
#include "../common/ix.h"
#include "../indexer/bld.h"
#include "../indexer/maint.h"
#include "../searcher/search.h"

#define MIB ((size_t)1 << 20)
/* More than three windows of run_window and run_window_and (4,096
 * docids each): with 3,000 documents everything fell in one, and a
 * wrong window skip (a bound test loosened by 30%, AND jumping to the
 * window of a block's last docid) passed every test. */
#define NDOC 14000
#define NVOC 400
#define MAXW 120

#define REQ(expr) do { \
	int req_rc_ = (expr); \
	CHECK_INT(req_rc_, 0); \
	if (req_rc_ != 0) \
		goto out; \
} while (0)

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A Zipf-like draw: word i with weight about 1/(i+1). */
static uint32_t zipf(void)
{
	double u = (rnd(1000000) + 0.5) / 1000000.0;

	return (uint32_t)(pow((double)NVOC + 1, u) - 1) % NVOC;
}

/* Words are "wNNN" (no stemming effect) and positions are the token
 * order: title tokens first, then the body after a gap of one. */
typedef struct tdoc {
	uint16_t tw[8], bw[MAXW];
	int nt, nb;
	int32_t date;
	int live;
} tdoc;

static tdoc docs[NDOC];

static void word(char *out, uint32_t w)
{
	snprintf(out, 8, "w%03u", (unsigned)w);
}

static void render(const tdoc *d, char *title, char *body)
{
	size_t at = 0;

	title[0] = body[0] = 0;
	for (int i = 0; i < d->nt; i++) {
		word(title + at, d->tw[i]);
		at += 4;
		title[at++] = ' ';
		title[at] = 0;
	}
	at = 0;
	for (int i = 0; i < d->nb; i++) {
		word(body + at, d->bw[i]);
		at += 4;
		body[at++] = ' ';
		body[at] = 0;
	}
}

static int has_word(const uint16_t *w, int n, uint32_t x)
{
	for (int i = 0; i < n; i++)
		if (w[i] == x)
			return 1;
	return 0;
}

/* Adjacent pair a b in the body or across the title. */
static int has_pair(const tdoc *d, uint32_t a, uint32_t b)
{
	for (int i = 0; i + 1 < d->nb; i++)
		if (d->bw[i] == a && d->bw[i + 1] == b)
			return 1;
	for (int i = 0; i + 1 < d->nt; i++)
		if (d->tw[i] == a && d->tw[i + 1] == b)
			return 1;
	return 0;
}

static int seq_in(const uint16_t *ws, int n, const uint32_t *w, int len)
{
	for (int i = 0; i + len <= n; i++) {
		int j = 0;

		while (j < len && ws[i + j] == w[j])
			j++;
		if (j == len)
			return 1;
	}
	return 0;
}

static int p_seq3(const tdoc *d, const uint32_t *w)
{
	return seq_in(d->bw, d->nb, w, 3) || seq_in(d->tw, d->nt, w, 3);
}

static int p_seq4(const tdoc *d, const uint32_t *w)
{
	return seq_in(d->bw, d->nb, w, 4) || seq_in(d->tw, d->nt, w, 4);
}

static int doc_has(const tdoc *d, uint32_t w)
{
	return has_word(d->bw, d->nb, w) || has_word(d->tw, d->nt, w);
}

static ix *X;
static ana *A;
static char Dir[64];

/* Remove the index folder dir and its files. */
static void remove_index(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb",
					     "writer.lock" };
	char p[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Add one article with these fields to the batch b. */
static int add_doc(bld *b, const char *id, const char *title, int32_t date,
		   const char *body, size_t body_len)
{
	rd_doc rd;

	memset(&rd, 0, sizeof(rd));
	rd.id = id;
	rd.title = title;
	rd.date = date;
	rd.url = "";
	rd.tags = "";
	rd.body = body;
	rd.body_len = body_len;
	rd.source = "test";
	return bld_add(b, &rd);
}

/* A new empty index in a fresh folder dir (room for 64 bytes) named
 * after tag; CHECK fails when it cannot be made. */
static int temp_index(char *dir, const char *tag, ix **y)
{
	int rc;

	*y = NULL;
	snprintf(dir, 64, "/tmp/lede-test-%s.XXXXXX", tag);
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return -1;
	}
	rc = ix_open(dir, IX_CREATE, NULL, y);
	CHECK_INT(rc, 0);
	return rc;
}

/* docs[] into x in three sessions: a bulk load, then two batches
 * appended, so that terms have blocks from several writes. */
static int load_docs(ix *x)
{
	bld_opts o = { 8 * MIB, 1, 0 };
	char title[64], body[MAXW * 5 + 8], id[16];
	bld *b = NULL;
	int rc = 0;

	for (int part = 0; part < 3 && !rc; part++) {
		int lo = part * NDOC / 3, hi = (part + 1) * NDOC / 3;

		o.bulk = part == 0;
		rc = bld_new(x, &o, &b);
		for (int i = lo; i < hi && !rc; i++) {
			render(&docs[i], title, body);
			snprintf(id, sizeof(id), "d%d", i);
			rc = add_doc(b, id, title, docs[i].date, body,
				     strlen(body));
		}
		if (!rc)
			rc = bld_commit(b);
		bld_free(b);
		b = NULL;
	}
	return rc;
}

static int build_index(void)
{
	bld *b = NULL;
	bld_opts o = { 8 * MIB, 1, 0 };
	char id[16];
	int rc = 0;

	snprintf(Dir, sizeof(Dir), "/tmp/lede-test-search.XXXXXX");
	if (!mkdtemp(Dir))
		return -1;
	rc = ix_open(Dir, IX_CREATE, NULL, &X);
	if (rc)
		return rc;
	for (int i = 0; i < NDOC; i++) {
		tdoc *d = &docs[i];
		d->nt = 1 + (int)rnd(6);
		d->nb = 5 + (int)rnd(MAXW - 5);
		for (int j = 0; j < d->nt; j++)
			d->tw[j] = (uint16_t)zipf();
		for (int j = 0; j < d->nb; j++)
			d->bw[j] = (uint16_t)zipf();
		d->date = 20100101 + (int32_t)rnd(10) * 10000 +
			  (int32_t)rnd(12) * 100 + (int32_t)rnd(28);
		d->live = 1;
	}
	rc = load_docs(X);
	/* delete every 17th document */
	if (!rc)
		rc = bld_new(X, &o, &b);
	for (int i = 0; i < NDOC && !rc; i += 17) {
		snprintf(id, sizeof(id), "d%d", i);
		rc = bld_remove(b, id, strlen(id));
		docs[i].live = 0;
	}
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	if (!rc)
		rc = ana_new("english", &A);
	return rc;
}

static int run(const char *q, srch_opts *o, srch_result *r)
{
	ix_txn *t = NULL;
	int rc = ix_begin(X, 0, &t);

	if (!rc)
		rc = srch_run(t, A, q, strlen(q), o, r);
	ix_abort(t);
	return rc;
}

/* Hits of the docids, as indexes into docs[] (docid = index + 1: one
 * bulk load and batches in order, no replacement). */
static int hits_match(const srch_result *r, int (*pred)(const tdoc *,
		      const uint32_t *), const uint32_t *w)
{
	for (size_t i = 0; i < r->n; i++) {
		uint32_t d = r->hits[i].docid;
		if (d < 1 || d > NDOC || !docs[d - 1].live ||
		    !pred(&docs[d - 1], w))
			return 0;
	}
	return 1;
}

static uint64_t count_docs(int (*pred)(const tdoc *, const uint32_t *),
			   const uint32_t *w)
{
	uint64_t n = 0;

	for (int i = 0; i < NDOC; i++)
		if (docs[i].live && pred(&docs[i], w))
			n++;
	return n;
}

static int p_any2(const tdoc *d, const uint32_t *w)
{
	return doc_has(d, w[0]) || doc_has(d, w[1]);
}

static int p_must_not(const tdoc *d, const uint32_t *w)
{
	return doc_has(d, w[0]) && !doc_has(d, w[1]);
}

static int p_and(const tdoc *d, const uint32_t *w)
{
	return doc_has(d, w[0]) && doc_has(d, w[1]);
}

static int p_phrase(const tdoc *d, const uint32_t *w)
{
	return has_pair(d, w[0], w[1]);
}

static int p_title(const tdoc *d, const uint32_t *w)
{
	return has_word(d->tw, d->nt, w[0]);
}

static int p_dated(const tdoc *d, const uint32_t *w)
{
	return doc_has(d, w[0]) && d->date >= 20130101 &&
		d->date <= 20151231;
}

static int same_hits(const srch_result *a, const srch_result *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->hits[i].docid != b->hits[i].docid ||
		    a->hits[i].score != b->hits[i].score)
			return 0;
	return 1;
}

/* q run pruned into r1, then exhaustive (o->exhaustive set) into r2:
 * 0, or -1 with nothing left to release. */
static int run_pair(const char *q, srch_opts *o, srch_result *r1,
		    srch_result *r2)
{
	if (run(q, o, r1))
		return -1;
	o->exhaustive = 1;
	if (run(q, o, r2)) {
		srch_result_release(r1);
		return -1;
	}
	return 0;
}

/* Pruned and exhaustive agree on random disjunctions (and with + and -)
 * for several k and ranking settings; the second 300 require half
 * their words, the third 300 all of them (run_window_and). */
static void test_pruned_equals_exhaustive(void)
{
	static const double tws[] = { 0, 0.5, 2 };
	static const double k1s[] = { 1.2, 2.0, 0.5 };
	int bad = 0, runs = 0;

	for (int it = 0; it < 900; it++) {
		char q[256], w[8];
		size_t at = 0;
		int nw = 1 + (int)rnd(5);
		srch_opts o;
		srch_result r1, r2;

		for (int j = 0; j < nw; j++) {
			const char *pre = "";
			uint32_t v = it % 3 ? zipf() : rnd(NVOC);
			if (it >= 600 || rnd(it < 300 ? 8 : 2) == 0)
				pre = "+";
			else if (rnd(10) == 0)
				pre = "-";
			word(w, v);
			at += (size_t)snprintf(q + at, sizeof(q) - at,
					       "%s%s ", pre, w);
		}
		srch_opts_init(&o);
		o.k = (size_t[]){ 1, 10, 100, 1000 }[it % 4];
		o.title_w = tws[it % 3];
		o.k1 = k1s[(it / 3) % 3];
		if (run_pair(q, &o, &r1, &r2)) {
			bad++;
			continue;
		}
		runs++;
		if (!same_hits(&r1, &r2)) {
			bad++;
			if (bad < 4)
				fprintf(stderr, "differ: %s (k %zu)\n", q, o.k);
		}
		srch_result_release(&r1);
		srch_result_release(&r2);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(runs, 900);
}

/* A query of one phrase is ranked without reading the positions of
 * documents that cannot enter the top k (run_phrase): pruned and
 * exhaustive agree for phrases of 2-4 words, cut from live documents or
 * made of two frequent words, at several k and ranking settings, with a
 * date filter now and then; and the pruning has to have skipped
 * documents somewhere, or this checks nothing. */
static void test_phrase_pruned(void)
{
	static const double k1s[] = { 1.2, 2.0, 0.5 };
	static const double bs[] = { 0.75, 0.3, 1.0 };
	int bad = 0, runs = 0, fewer = 0;

	for (int it = 0; it < 600; it++) {
		char q[128], ws[8];
		size_t ql = 0;
		int len = 2 + it % 3, di = (int)rnd(NDOC), at;
		srch_opts o;
		srch_result r1, r2;

		if (!docs[di].live || docs[di].nb < len)
			continue;
		at = (int)rnd((uint32_t)(docs[di].nb - len + 1));
		q[ql++] = '"';
		for (int j = 0; j < len; j++) {
			uint32_t v = len == 2 && it % 2 ? zipf() % 12 :
				     docs[di].bw[at + j];
			word(ws, v);
			ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "%s%s",
					       j ? " " : "", ws);
		}
		snprintf(q + ql, sizeof(q) - ql, "\"%s",
			 it % 7 == 0 ? " from:2013 to:2016" : "");
		srch_opts_init(&o);
		o.k = (size_t[]){ 1, 10, 3, 50 }[it % 4];
		o.k1 = k1s[(it / 4) % 3];
		o.b = bs[(it / 12) % 3];
		if (run_pair(q, &o, &r1, &r2)) {
			bad++;
			continue;
		}
		runs++;
		fewer += r1.candidates < r2.candidates;
		if (!same_hits(&r1, &r2)) {
			bad++;
			if (bad < 4)
				fprintf(stderr, "phrase differs: %s (k %zu)\n",
					q, o.k);
		}
		srch_result_release(&r1);
		srch_result_release(&r2);
	}
	CHECK_INT(bad, 0);
	CHECK(runs > 400);
	CHECK(fewer > runs / 5);
}

/* Matching semantics against the in-memory oracle, and exact counts. */
static void test_matching(void)
{
	int bad = 0, checks = 0;

	for (int it = 0; it < 120; it++) {
		uint32_t w[2] = { zipf(), zipf() };
		char a[8], b[8], q[64];
		srch_opts o;
		srch_result r;
		int (*pred)(const tdoc *, const uint32_t *);

		if (w[0] == w[1])
			w[1] = (w[1] + 1) % NVOC;
		word(a, w[0]);
		word(b, w[1]);
		switch (it % 6) {
		case 0:
			snprintf(q, sizeof(q), "%s %s", a, b);
			pred = p_any2;
			break;
		case 1:
			snprintf(q, sizeof(q), "%s -%s", a, b);
			pred = p_must_not;
			break;
		case 2:
			snprintf(q, sizeof(q), "%s AND %s", a, b);
			pred = p_and;
			break;
		case 3:
			snprintf(q, sizeof(q), "\"%s %s\"", a, b);
			pred = p_phrase;
			break;
		case 4:
			snprintf(q, sizeof(q), "title:%s", a);
			pred = p_title;
			break;
		default:
			snprintf(q, sizeof(q), "%s from:2013 to:2015", a);
			pred = p_dated;
			break;
		}
		srch_opts_init(&o);
		o.k = 1000;
		o.count = 1;
		if (run(q, &o, &r)) {
			bad++;
			continue;
		}
		checks++;
		if (!hits_match(&r, pred, w) ||
		    r.total != count_docs(pred, w) ||
		    r.n != (r.total < 1000 ? r.total : 1000)) {
			bad++;
			if (bad < 4)
				fprintf(stderr, "%s: %zu hits, total %llu, "
					"oracle %llu\n", q, r.n,
					(unsigned long long)r.total,
					(unsigned long long)count_docs(pred,
								       w));
		}
		srch_result_release(&r);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(checks, 120);

	/* Phrases of 3 and 4 words cut from a live document's body (so
	 * at least that one matches): the two rarest words are checked
	 * first, and must not lose a match. */
	bad = checks = 0;
	for (int it = 0; it < 200; it++) {
		uint32_t w[4];
		int len = 3 + it % 2, di = (int)rnd(NDOC), at;
		char q[128], ws[8];
		size_t ql = 0;
		srch_opts o;
		srch_result r;
		int (*pred)(const tdoc *, const uint32_t *) =
			len == 3 ? p_seq3 : p_seq4;

		if (!docs[di].live || docs[di].nb < len)
			continue;
		at = (int)rnd((uint32_t)(docs[di].nb - len + 1));
		q[ql++] = '"';
		for (int j = 0; j < len; j++) {
			w[j] = docs[di].bw[at + j];
			word(ws, w[j]);
			ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "%s%s",
					       j ? " " : "", ws);
		}
		snprintf(q + ql, sizeof(q) - ql, "\"");
		srch_opts_init(&o);
		o.k = 1000;
		o.count = 1;
		if (run(q, &o, &r)) {
			bad++;
			continue;
		}
		checks++;
		if (r.total == 0 || !hits_match(&r, pred, w) ||
		    r.total != count_docs(pred, w)) {
			bad++;
			if (bad < 4)
				fprintf(stderr, "%s: total %llu, oracle %llu\n",
					q, (unsigned long long)r.total,
					(unsigned long long)count_docs(pred,
								       w));
		}
		srch_result_release(&r);
	}
	CHECK_INT(bad, 0);
	CHECK(checks > 100);
}

/* Required frequent words with an exact count go a window at a time
 * (the count, the on_match calls and the months of every match, while
 * only windows that can win are scored): all of it against the oracle,
 * and the top k against an exhaustive run, for k from 1 to 12. */
static uint64_t match_calls;
static unsigned char match_seen[NDOC + 1];

static void on_match_cb(void *ctx, uint32_t d)
{
	(void)ctx;
	match_calls++;
	if (d <= NDOC)
		match_seen[d]++;
}

static void test_and_count(void)
{
	static uint16_t months[NDOC + 1];
	uint32_t *mcnt = calloc(65536, sizeof(*mcnt));
	int bad = 0, checks = 0;

	CHECK(mcnt != NULL);
	if (!mcnt)
		return;
	for (uint32_t d = 0; d <= NDOC; d++)
		months[d] = (uint16_t)(1 + d % 5);
	for (int it = 0; it < 60; it++) {
		uint32_t w[2] = { rnd(12), rnd(12) };
		uint64_t want, per[6] = { 0 };
		char a[8], b[8], q[64];
		srch_opts o, x;
		srch_result r, e;
		int ok;

		if (w[0] == w[1])
			w[1] = (w[1] + 1) % 12;
		word(a, w[0]);
		word(b, w[1]);
		snprintf(q, sizeof(q), "+%s +%s", a, b);
		srch_opts_init(&o);
		o.k = 1 + (size_t)it % 12;
		o.count = 1;
		x = o;
		x.exhaustive = 1;
		if (it % 2) {
			o.on_match = on_match_cb;
			match_calls = 0;
			memset(match_seen, 0, sizeof(match_seen));
		}
		if (it % 3 == 0) {
			o.months = months;
			o.ndates = NDOC + 1;
			o.month_cnt = mcnt;
			memset(mcnt, 0, 65536 * sizeof(*mcnt));
		}
		if (run(q, &o, &r)) {
			bad++;
			continue;
		}
		if (run(q, &x, &e)) {
			bad++;
			srch_result_release(&r);
			continue;
		}
		checks++;
		want = count_docs(p_and, w);
		ok = want > 0 && r.total == want && e.total == want &&
		     r.n == e.n && hits_match(&r, p_and, w);
		for (size_t i = 0; ok && i < r.n; i++)
			ok = r.hits[i].docid == e.hits[i].docid &&
			     r.hits[i].score == e.hits[i].score;
		for (uint32_t d = 1; ok && o.on_match && d <= NDOC; d++)
			ok = match_seen[d] == (docs[d - 1].live &&
					       p_and(&docs[d - 1], w));
		if (o.on_match && match_calls != want)
			ok = 0;
		for (uint32_t d = 1; d <= NDOC; d++)
			if (docs[d - 1].live && p_and(&docs[d - 1], w))
				per[months[d]]++;
		for (int m = 1; ok && o.month_cnt && m <= 5; m++)
			ok = mcnt[m] == per[m];
		if (!ok) {
			bad++;
			if (bad < 4)
				fprintf(stderr, "%s (k %zu): total %llu, "
					"oracle %llu\n", q, o.k,
					(unsigned long long)r.total,
					(unsigned long long)want);
		}
		srch_result_release(&r);
		srch_result_release(&e);
	}
	free(mcnt);
	CHECK_INT(bad, 0);
	CHECK_INT(checks, 60);
}

/* The same on an index built for it: the best matches all sit in the
 * first window, so the later windows' bounds cannot win a top k of 1
 * or 5 and are never scored, and their matches must still be counted. */
static void test_and_count_skipped(void)
{
	enum { N = 4 * 4096 + 100 };
	char dir[64], id[16], body[512];
	bld_opts bo = { 8 * MIB, 1, 0 };
	ix *y = NULL;
	bld *b = NULL;
	uint64_t want = 0;
	int rc;

	if (temp_index(dir, "andc", &y))
		return;
	rc = bld_new(y, &bo, &b);
	for (int i = 0; i < N && !rc; i++) {
		size_t bl = 0;

		if (i < 40) {
			bl = (size_t)snprintf(body, sizeof(body),
					      "alpha beta alpha beta alpha");
		} else {
			if (i % 3 == 0)
				bl = (size_t)snprintf(body, sizeof(body),
						      "alpha beta");
			for (int j = 0; j < 60; j++)
				bl += (size_t)snprintf(body + bl,
						       sizeof(body) - bl,
						       " filler%d", j % 7);
		}
		if (i < 40 || i % 3 == 0)
			want++;
		snprintf(id, sizeof(id), "a%d", i);
		rc = add_doc(b, id, "headline", 0, body, bl);
	}
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	CHECK_INT(rc, 0);
	for (size_t k = 1; !rc && k <= 5; k += 4) {
		srch_opts o, x;
		srch_result r, e;
		ix_txn *t = NULL;
		int ok;

		srch_opts_init(&o);
		o.k = k;
		o.count = 1;
		o.on_match = on_match_cb;
		match_calls = 0;
		x = o;
		x.exhaustive = 1;
		x.on_match = NULL;
		rc = ix_begin(y, 0, &t);
		if (!rc)
			rc = srch_run(t, A, "+alpha +beta", 12, &o, &r);
		if (!rc) {
			rc = srch_run(t, A, "+alpha +beta", 12, &x, &e);
			if (rc)
				srch_result_release(&r);
		}
		ix_abort(t);
		CHECK_INT(rc, 0);
		if (rc)
			break;
		ok = r.total == want && e.total == want &&
		     match_calls == want && r.n == k && e.n == k;
		for (size_t i = 0; ok && i < k; i++)
			ok = r.hits[i].docid == e.hits[i].docid &&
			     r.hits[i].score == e.hits[i].score &&
			     r.hits[i].docid <= 40;
		if (!ok)
			fprintf(stderr, "+alpha +beta (k %zu): total %llu, "
				"%llu calls, oracle %llu\n", k,
				(unsigned long long)r.total,
				(unsigned long long)match_calls,
				(unsigned long long)want);
		CHECK(ok);
		srch_result_release(&r);
		srch_result_release(&e);
	}
	ix_close(y);
	remove_index(dir);
}

/* sort:date returns the newest matches first; scores break ties. */
static void test_sort_date(void)
{
	srch_opts o;
	srch_result r;
	uint32_t w[2] = { 3, 0 };
	int ok = 1;

	srch_opts_init(&o);
	o.k = 50;
	o.sort = Q_SORT_DATE;
	CHECK_INT(run("w003", &o, &r), 0);
	CHECK(r.n == 50);
	CHECK(hits_match(&r, p_any2, (uint32_t[]){ 3, 3 }));
	for (size_t i = 1; i < r.n; i++) {
		int32_t a = docs[r.hits[i - 1].docid - 1].date;
		int32_t b = docs[r.hits[i].docid - 1].date;
		if (a < b)
			ok = 0;
	}
	CHECK(ok);
	/* the newest of all matching documents comes first */
	{
		int32_t best = 0;
		for (int i = 0; i < NDOC; i++)
			if (docs[i].live && doc_has(&docs[i], 3) &&
			    docs[i].date > best)
				best = docs[i].date;
		CHECK(r.n && docs[r.hits[0].docid - 1].date == best);
	}
	(void)w;
	srch_result_release(&r);
}

/* Feedback keeps the query's own matches ranked and adds words. */
static void test_rm3(void)
{
	srch_opts o;
	srch_result r1, r2;

	srch_opts_init(&o);
	o.k = 10;
	CHECK_INT(run("w050 w120", &o, &r1), 0);
	o.fb_docs = 10;
	o.fb_terms = 10;
	o.fb_orig = 0.5;
	CHECK_INT(run("w050 w120", &o, &r2), 0);
	CHECK(r1.n == 10 && r2.n == 10);
	/* the snippet words stay the query's own */
	CHECK_INT(r2.nstems, 2);
	/* pruned and exhaustive agree with feedback too */
	{
		srch_result r3;
		o.exhaustive = 1;
		CHECK_INT(run("w050 w120", &o, &r3), 0);
		CHECK(same_hits(&r2, &r3));
		srch_result_release(&r3);
	}
	srch_result_release(&r1);
	srch_result_release(&r2);
}

/* Caps and bad options. */
static void test_caps(void)
{
	srch_opts o;
	srch_result r;
	char big[1100];

	srch_opts_init(&o);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_INT(run(big, &o, &r), LEDE_ETOOBIG);
	o.k = SRCH_MAX_K;
	o.offset = 1;
	CHECK_INT(run("w001", &o, &r), LEDE_ETOOBIG);
	srch_opts_init(&o);
	o.b = 2;
	CHECK_INT(run("w001", &o, &r), LEDE_EINVAL);
	srch_opts_init(&o);
	o.k = 0;
	o.count = 1;
	CHECK_INT(run("w001", &o, &r), 0);
	CHECK(r.n == 0 && r.counted && r.total > 0);
	srch_result_release(&r);
}

/* Pruned against exhaustive for every word alone, on index y. */
static int one_words(ix *y, int *used, int *runs)
{
	static const double tws[] = { 0, 0.5, 2 };
	static const double k1s[] = { 1.2, 2.0, 0.5 };
	static const double bs[] = { 0.75, 0.3, 1.0 };
	static const size_t ks[] = { 1, 10, 16, 5 };
	int bad = 0;

	for (int v = 0; v < NVOC; v++) {
		char w[8];
		srch_opts o;
		srch_result r1, r2;
		ix_txn *t = NULL;
		int rc;

		word(w, (uint32_t)v);
		srch_opts_init(&o);
		o.k = ks[v % 4];
		o.title_w = tws[v % 3];
		o.k1 = k1s[(v / 3) % 3];
		o.b = bs[(v / 9) % 3];
		rc = ix_begin(y, 0, &t);
		if (!rc)
			rc = srch_run(t, A, w, strlen(w), &o, &r1);
		if (!rc) {
			o.exhaustive = 1;
			rc = srch_run(t, A, w, strlen(w), &o, &r2);
			if (rc)
				srch_result_release(&r1);
		}
		ix_abort(t);
		if (rc) {
			bad++;
			continue;
		}
		(*runs)++;
		*used += r1.top_list;
		if (!same_hits(&r1, &r2)) {
			bad++;
			if (bad < 4)
				fprintf(stderr, "one word differs: %s "
					"(k %zu)\n", w, o.k);
		}
		srch_result_release(&r1);
		srch_result_release(&r2);
	}
	return bad;
}

/* One query on y, pruned and exhaustive: 1 when the hits agree; *top
 * whether the pruned run used the top list. */
static int agree(ix *y, const char *q, size_t k, int *top)
{
	srch_opts o;
	srch_result r1, r2;
	ix_txn *t = NULL;
	int rc, same = 0;

	srch_opts_init(&o);
	o.k = k;
	rc = ix_begin(y, 0, &t);
	if (!rc)
		rc = srch_run(t, A, q, strlen(q), &o, &r1);
	if (!rc) {
		o.exhaustive = 1;
		rc = srch_run(t, A, q, strlen(q), &o, &r2);
		if (!rc) {
			same = same_hits(&r1, &r2) && r1.n == k;
			*top = r1.top_list;
			srch_result_release(&r2);
		}
		srch_result_release(&r1);
	}
	ix_abort(t);
	return same;
}

/* 200 documents of one length where "chainword" appears 200, 199, ...
 * 1 times (two blocks): each dominates the next, so the top list is the
 * 16 of highest tf. With the 10 best deleted, k = 10 must not use the
 * list (it holds 6 live documents), k = 6 may. */
static int chain_check(ix *y)
{
	bld_opts bo = { 8 * MIB, 0, 0 };
	bld *b = NULL;
	char id[16], body[200 * 10 + 8];
	int rc, top = 0;

	rc = bld_new(y, &bo, &b);
	for (int i = 0; i < 200 && !rc; i++) {
		rd_doc rd;
		size_t at = 0;

		for (int j = 0; j < 200; j++)
			at += (size_t)snprintf(body + at, sizeof(body) - at,
					       "%s ", j < 200 - i ?
					       "chainword" : "filler");
		snprintf(id, sizeof(id), "c%d", i);
		memset(&rd, 0, sizeof(rd));
		rd.id = id;
		rd.title = "note";
		rd.url = "";
		rd.tags = "";
		rd.body = body;
		rd.body_len = strlen(body);
		rd.source = "test";
		rc = bld_add(b, &rd);
	}
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	if (rc)
		return rc;
	CHECK(agree(y, "chainword", 10, &top) && top);
	rc = bld_new(y, &bo, &b);
	for (int i = 0; i < 10 && !rc; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		rc = bld_remove(b, id, strlen(id));
	}
	if (!rc)
		rc = bld_commit(b);
	bld_free(b);
	if (rc)
		return rc;
	CHECK(agree(y, "chainword", 10, &top) && !top);
	CHECK(agree(y, "chainword", 6, &top) && top);
	return 0;
}

/* A lone word answered from its top list gives the exhaustive hits and
 * scores, with no document deleted, a few (within the list's margin
 * for most words) and many (the list then set aside); and after a
 * compact, which makes the lists again. */
static void test_one_word_top(void)
{
	char dir[64], id[16];
	bld_opts bo = { 8 * MIB, 1, 0 };
	ix *y = NULL;
	bld *b = NULL;
	int rc, bad, used, runs;
	mt_compact_counts cc;

	if (temp_index(dir, "top", &y))
		return;
	rc = load_docs(y);
	CHECK_INT(rc, 0);
	used = runs = 0;
	bad = rc ? 1 : one_words(y, &used, &runs);
	CHECK_INT(bad, 0);
	CHECK_INT(runs, NVOC);
	CHECK(used > 100);
	if (!rc)
		rc = chain_check(y);
	CHECK_INT(rc, 0);
	/* three deleted: within the margin of k <= 13 */
	for (int round = 0; round < 2 && !rc; round++) {
		int from = round ? 100 : 1, n = round ? 60 : 3;

		rc = bld_new(y, &bo, &b);
		for (int i = from; i < from + n && !rc; i++) {
			snprintf(id, sizeof(id), "d%d", i);
			rc = bld_remove(b, id, strlen(id));
		}
		if (!rc)
			rc = bld_commit(b);
		bld_free(b);
		b = NULL;
		CHECK_INT(rc, 0);
		used = runs = 0;
		bad = rc ? 1 : one_words(y, &used, &runs);
		CHECK_INT(bad, 0);
		CHECK_INT(runs, NVOC);
		if (round == 0)
			CHECK(used > 50);
	}
	/* the ten best of a few words deleted: their top lists lose
	 * them, and the words fall back (a list that ignored the deleted
	 * postings would miss the next ten) */
	for (int v = 3; v < 40 && !rc; v += 3) {
		char w[8];
		srch_opts o;
		srch_result r;
		ix_txn *t = NULL;

		word(w, (uint32_t)v);
		srch_opts_init(&o);
		o.k = 10;
		rc = ix_begin(y, 0, &t);
		if (!rc)
			rc = srch_run(t, A, w, strlen(w), &o, &r);
		ix_abort(t);
		if (rc)
			break;
		rc = bld_new(y, &bo, &b);
		for (size_t i = 0; i < r.n && !rc; i++) {
			snprintf(id, sizeof(id), "d%u", r.hits[i].docid - 1);
			rc = bld_remove(b, id, strlen(id));
		}
		if (!rc)
			rc = bld_commit(b);
		bld_free(b);
		b = NULL;
		srch_result_release(&r);
	}
	CHECK_INT(rc, 0);
	used = runs = 0;
	bad = rc ? 1 : one_words(y, &used, &runs);
	CHECK_INT(bad, 0);
	if (!rc)
		rc = mt_compact(y, &cc);
	CHECK_INT(rc, 0);
	used = runs = 0;
	bad = rc ? 1 : one_words(y, &used, &runs);
	CHECK_INT(bad, 0);
	CHECK(used > 100);
	ix_close(y);
	remove_index(dir);
}

int main(void)
{
	if (build_index()) {
		CHECK(!"build the test index");
		goto out;
	}
	test_pruned_equals_exhaustive();
	test_phrase_pruned();
	test_and_count();
	test_and_count_skipped();
	test_matching();
	test_sort_date();
	test_rm3();
	test_caps();
	test_one_word_top();
out:
	ana_free(A);
	ix_close(X);
	remove_index(Dir);
	return t_done("test_search");
}
