/*
 * maint.c - `lede stats`, `lede check` and `lede compact` (maint.h).
 *
 * All three walk the "post" DBI in key order. A key there is a termkey
 * (no byte below 0x20 except the leading title mark 0x01), one 0x00,
 * then nothing (the term record) or a u32be first docid (a block); the
 * first 0x00 therefore always ends the termkey.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../common/ana.h"
#include "../common/post.h"
#include "maint.h"

/* Positions codecs counted by lede stats: as many as mt_stats has room
 * for (one per codec of post.h). */
#define NCODECS (sizeof(((mt_stats *)0)->pos_codec) / sizeof(uint64_t))

/* Split a post key; 0 = record, 1 = block (sets *first), <0 = bad key. */
static int split_key(const uint8_t *k, size_t kl, size_t *tkl,
		     uint32_t *first)
{
	const uint8_t *z = memchr(k, 0, kl);

	if (!z || z == k)
		return -1;
	*tkl = (size_t)(z - k);
	if (*tkl > IX_TERMKEY_MAX)
		return -1;
	if (kl == *tkl + 1)
		return 0;
	if (kl == *tkl + 5) {
		*first = u32be_get(z + 1);
		return 1;
	}
	return -1;
}

/* The whole length table as one array of next_docid entries. */
static int load_lens(ix_txn *t, uint32_t next, uint16_t **out)
{
	uint16_t scratch[IX_LEN_CHUNK];
	uint16_t *a = calloc((size_t)next + IX_LEN_CHUNK, sizeof(*a));
	int rc;

	*out = NULL;
	if (!a)
		return LEDE_ENOMEM;
	for (uint32_t c = 0; c <= next / IX_LEN_CHUNK; c++) {
		const uint16_t *arr;

		rc = ix_lens_chunk(t, c, &arr, scratch);
		if (rc) {
			free(a);
			return rc;
		}
		memcpy(a + (size_t)c * IX_LEN_CHUNK, arr,
		       IX_LEN_CHUNK * sizeof(*a));
	}
	*out = a;
	return 0;
}

int mt_stats_get(ix *x, mt_stats *s)
{
	ix_txn *t = NULL;
	ix_cur *c = NULL;
	const uint8_t *k, *v;
	size_t kl, vl, tkl;
	uint32_t first;
	char file[4096];
	struct stat sb;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = ix_begin(x, 0, &t);
	if (!rc)
		rc = ix_stats_get(t, &s->st);
	if (!rc)
		rc = ix_cur_open(t, IX_POST, &c);
	if (rc)
		goto out;
	for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(c, &k, &kl, &v, &vl)) {
		post_dirent *ents = NULL;
		size_t n = 0;
		uint32_t df;
		post_inline il;
		int title = k[0] == IX_TITLE_MARK;

		if (split_key(k, kl, &tkl, &first) != 0)
			continue;
		if (title) {
			s->title_terms++;
			s->title_bytes += vl;
		} else {
			s->terms++;
		}
		s->rec_bytes += vl;
		if (post_term_decode_ex(v, vl, &df, &ents, &n, &il) != 0)
			continue;   /* lede check reports it */
		if (il.blk) {
			s->blocks++;
			s->inline_blocks++;
			s->postings += il.blk[0];
			s->post_bytes += il.blen;
			s->pos_bytes += il.plen;
			if (il.plen > 0 && il.pos[0] < NCODECS)
				s->pos_codec[il.pos[0]]++;
			if (title)
				s->title_postings += il.blk[0];
			s->rec_bytes -= il.blen + il.plen;
		}
		for (size_t i = 0; !il.blk && i < n; i++) {
			const uint8_t *pp;
			size_t pl;

			s->blocks++;
			s->postings += ents[i].n;
			s->chunk_used += (uint64_t)ents[i].bl.len +
					 ents[i].pl.len;
			s->post_bytes += ents[i].bl.len - IX_SUM_BYTES;
			if (title) {
				s->title_postings += ents[i].n;
				s->title_bytes += ents[i].bl.len -
						  IX_SUM_BYTES;
			}
			if (ents[i].pl.len < IX_SUM_BYTES)
				continue;
			s->pos_bytes += ents[i].pl.len - IX_SUM_BYTES;
			/* the codec byte: read only when the block is sound */
			if (ix_blk_get(t, IX_BLK_POS, (const char *)k, tkl,
				       ents[i].first, &ents[i].pl, &pp,
				       &pl) == 0 && pl > 0 && pp[0] < NCODECS)
				s->pos_codec[pp[0]]++;
		}
		free(ents);
	}
	if (rc > 0)
		rc = 0;
	ix_cur_close(c);
	c = NULL;
	for (int i = 0; !rc && i < 2; i++) {
		rc = ix_cur_open(t, ix_blk_dbi(i), &c);
		if (rc)
			break;
		for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
		     rc = ix_cur_next(c, &k, &kl, &v, &vl))
			s->chunk_bytes += vl;
		rc = rc < 0 ? rc : 0;
		ix_cur_close(c);
		c = NULL;
	}
	if (rc)
		goto out;
	s->nu = ix_usage(t, s->u, IX_NDBI);
	snprintf(file, sizeof(file), "%s/data.mdb", ix_path(x));
	if (stat(file, &sb) == 0)
		s->file_bytes = (uint64_t)sb.st_size;
out:
	ix_cur_close(c);
	ix_abort(t);
	return rc;
}

void mt_stats_print(ix *x, const mt_stats *s, FILE *out)
{
	uint64_t inv = 0;

	fprintf(out, "index:            %s\n", ix_path(x));
	fprintf(out, "language:         %s\n", ix_lang(x));
	fprintf(out, "documents:        %llu\n",
		(unsigned long long)s->st.ndocs);
	fprintf(out, "docids used:      %llu\n",
		(unsigned long long)(s->st.next_docid - 1));
	fprintf(out, "terms:            %llu (+ %llu title terms)\n",
		(unsigned long long)s->terms,
		(unsigned long long)s->title_terms);
	fprintf(out, "postings:         %llu in %llu blocks "
		"(%llu inline in their term records)\n",
		(unsigned long long)s->postings,
		(unsigned long long)s->blocks,
		(unsigned long long)s->inline_blocks);
	fprintf(out, "title field:      %llu postings, %llu bytes\n",
		(unsigned long long)s->title_postings,
		(unsigned long long)s->title_bytes);
	fprintf(out, "avg doc length:   %.1f tokens\n",
		s->st.ndocs ? (double)s->st.sumlen / s->st.ndocs : 0.0);
	fprintf(out, "postings bytes:   %llu (%.2f bytes a posting)\n",
		(unsigned long long)s->post_bytes,
		s->postings ? (double)s->post_bytes / s->postings : 0.0);
	fprintf(out, "positions bytes:  %llu (blocks: %llu varint, %llu "
		"Rice, %llu interpolative, %llu with skips)\n",
		(unsigned long long)s->pos_bytes,
		(unsigned long long)s->pos_codec[0],
		(unsigned long long)s->pos_codec[1],
		(unsigned long long)s->pos_codec[2],
		(unsigned long long)s->pos_codec[3]);
	fprintf(out, "directory bytes:  %llu (term records without inline "
		"blocks)\n", (unsigned long long)s->rec_bytes);
	fprintf(out, "chunks:           %llu bytes, %llu of them no block's "
		"(lede compact frees chunks more than half unused)\n",
		(unsigned long long)s->chunk_bytes,
		(unsigned long long)(s->chunk_bytes > s->chunk_used ?
				     s->chunk_bytes - s->chunk_used : 0));
	fprintf(out, "tables (bytes in pages, entries):\n");
	for (int i = 0; i < s->nu; i++) {
		fprintf(out, "  %-6s %14llu %12llu\n", s->u[i].name,
			(unsigned long long)s->u[i].bytes,
			(unsigned long long)s->u[i].entries);
		if (!strcmp(s->u[i].name, "post") ||
		    !strcmp(s->u[i].name, "blocks") ||
		    !strcmp(s->u[i].name, "pos"))
			inv += s->u[i].bytes;
	}
	fprintf(out, "inverted index:   %llu bytes (post + blocks + pos)\n",
		(unsigned long long)inv);
	fprintf(out, "file:             %llu bytes\n",
		(unsigned long long)s->file_bytes);
}

/* ---- check ---- */

typedef struct chk {
	FILE *out;
	uint64_t problems;
	ix_txn *t;
	ix_stats st;
	uint16_t *lens;
	/* current term */
	uint8_t tk[IX_TERMKEY_MAX];
	size_t tkl;
	int have_term;
	post_dirent *ents;
	size_t nents, next_ent;
	uint32_t df, live;
	/* the term's top list: stored, and made again from its postings */
	post_top *top;
	size_t ntop, captop;
	int has_top, top_bad;
	post_topacc acc;
	uint32_t *ids, *tfs, *plens; /* the term's postings, for the list */
	size_t np, capp;
} chk;

#define PROBLEM(c, ...) do { (c)->problems++; \
	fprintf((c)->out, __VA_ARGS__); fputc('\n', (c)->out); } while (0)

static void term_name(const chk *c, char *out, size_t n)
{
	size_t off = c->tkl && c->tk[0] == IX_TITLE_MARK ? 1 : 0;

	snprintf(out, n, "%s%.*s", off ? "title:" : "",
		 (int)(c->tkl - off), c->tk + off);
}

/* The top list of a term's n postings into a (reset first), each
 * posting's title tf taken from the title field's term (none for a
 * title term's own list): compact writes it, check compares it. */
static int top_of(ix_txn *t, const uint8_t *tk, size_t tkl,
		  const uint32_t *docids, const uint32_t *tfs,
		  const uint32_t *lens, size_t n, post_topacc *a)
{
	uint32_t *ttf = calloc(n ? n : 1, sizeof(*ttf));
	int rc = 0;

	if (!ttf)
		return LEDE_ENOMEM;
	post_topacc_reset(a);
	if (tk[0] != IX_TITLE_MARK)
		rc = ix_title_tfs(t, (const char *)tk, tkl, docids, n, ttf);
	for (size_t i = 0; !rc && i < n; i++)
		rc = post_topacc_add(a, docids[i], tfs[i], ttf[i], lens[i]);
	free(ttf);
	if (!rc)
		post_topacc_finish(a);
	return rc;
}

static void finish_term(chk *c)
{
	char name[96];

	if (!c->have_term)
		return;
	term_name(c, name, sizeof(name));
	if (c->next_ent != c->nents)
		PROBLEM(c, "term '%s': directory lists %zu blocks, %zu found",
			name, c->nents, c->next_ent);
	if (c->live != c->df)
		PROBLEM(c, "term '%s': df %u but %u live postings", name,
			c->df, c->live);
	/* The title tfs come from the title field's term, where the
	 * writer took them from the headline's positions. */
	if (c->has_top && !c->top_bad &&
	    top_of(c->t, c->tk, c->tkl, c->ids, c->tfs, c->plens, c->np,
		   &c->acc) != 0) {
		PROBLEM(c, "term '%s': its title term does not read", name);
	} else if (c->has_top && !c->top_bad) {
		int same = c->acc.n == c->ntop;

		for (size_t i = 0; same && i < c->ntop; i++)
			same = c->acc.v[i].docid == c->top[i].docid &&
			       c->acc.v[i].tf == c->top[i].tf &&
			       c->acc.v[i].ttf == c->top[i].ttf;
		if (!same)
			PROBLEM(c, "term '%s': top list of %zu postings, its "
				"blocks give %zu", name, c->ntop, c->acc.n);
	}
	free(c->ents);
	c->ents = NULL;
	c->have_term = 0;
}

/* Append a block's n postings to the term's, for its top list;
 * nonzero when out of memory. */
static int chk_keep(chk *c, const uint32_t *docids, const uint32_t *tfs,
		    const uint32_t *lens, unsigned n)
{
	if (c->np + n > c->capp) {
		size_t nc = (c->np + n) * 2;
		uint32_t *a = realloc(c->ids, nc * sizeof(*a));
		uint32_t *b = a ? realloc(c->tfs, nc * sizeof(*b)) : NULL;
		uint32_t *l = b ? realloc(c->plens, nc * sizeof(*l)) : NULL;

		if (a)
			c->ids = a;
		if (b)
			c->tfs = b;
		if (!l)
			return 1;
		c->plens = l;
		c->capp = nc;
	}
	memcpy(c->ids + c->np, docids, n * sizeof(*docids));
	memcpy(c->tfs + c->np, tfs, n * sizeof(*tfs));
	memcpy(c->plens + c->np, lens, n * sizeof(*lens));
	c->np += n;
	return 0;
}

/* Check one block; pp/pl are its positions when inline (pp NULL: read
 * them where the directory entry says). */
static void check_block(chk *c, uint32_t first, const uint8_t *v, size_t vl,
			const uint8_t *ipp, size_t ipl)
{
	uint32_t docids[POST_BLOCK_MAX], tfs[POST_BLOCK_MAX];
	uint32_t lens[POST_BLOCK_MAX];
	uint32_t pos[POST_BLOCK_MAX * 64];
	int have_lens = 0;
	unsigned n;
	char name[96];
	const post_dirent *e;
	const uint8_t *pp;
	size_t pl;
	uint64_t sumtf = 0;
	int rc;

	term_name(c, name, sizeof(name));
	if (c->next_ent >= c->nents) {
		PROBLEM(c, "term '%s': block %u not in its directory", name,
			first);
		return;
	}
	e = &c->ents[c->next_ent++];
	if (e->first != first) {
		PROBLEM(c, "term '%s': block %u, directory says %u", name,
			first, e->first);
		return;
	}
	rc = post_block_decode(v, vl, first, docids, tfs, &n);
	if (rc) {
		PROBLEM(c, "term '%s': block %u does not decode", name, first);
		return;
	}
	if (n != e->n || docids[n - 1] != e->last)
		PROBLEM(c, "term '%s': block %u holds %u docs up to %u, "
			"directory says %u up to %u", name, first, n,
			docids[n - 1], e->n, e->last);
	if (c->has_top && !c->top_bad) {
		if (ix_pos_lens(c->t, docids, n, lens) != 0) {
			PROBLEM(c, "term '%s': block %u holds a document "
				"with no length", name, first);
			c->top_bad = 1;
		} else {
			have_lens = 1;
			c->top_bad = chk_keep(c, docids, tfs, lens, n);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t d = docids[i];
		uint16_t len;
		int covered = 0;

		sumtf += tfs[i];
		if (d >= c->st.next_docid) {
			PROBLEM(c, "term '%s': docid %u past the last one",
				name, d);
			return;
		}
		len = c->lens[d];
		if (len == 0)
			continue;
		c->live++;
		for (uint32_t j = 0; j < e->npairs; j++)
			if (e->pairs[j].tf >= tfs[i] &&
			    e->pairs[j].len <= len)
				covered = 1;
		if (!covered)
			PROBLEM(c, "term '%s': block %u: score bound misses "
				"doc %u (tf %u, length %u)", name, first, d,
				tfs[i], len);
	}
	if (c->tk[0] == IX_TITLE_MARK)
		return;
	if (ipp) {
		pp = ipp;
		pl = ipp ? ipl : 0;
		rc = 0;
	} else {
		rc = ix_blk_get(c->t, IX_BLK_POS, (const char *)c->tk, c->tkl,
				first, &e->pl, &pp, &pl);
	}
	if (rc) {
		PROBLEM(c, "term '%s': positions of block %u: %s", name,
			first, ix_damage());
		return;
	}
	if (post_pos_needs_lens(pp, pl) && !have_lens &&
	    ix_pos_lens(c->t, docids, n, lens) != 0) {
		PROBLEM(c, "term '%s': positions of block %u need the length "
			"of a document that has none", name, first);
		return;
	}
	if (sumtf > sizeof(pos) / sizeof(pos[0])) {
		uint32_t *big = malloc(sumtf * sizeof(*big));
		if (!big)
			return;
		rc = post_pos_decode(pp, pl, tfs, lens, n, big, sumtf);
		free(big);
	} else {
		rc = post_pos_decode(pp, pl, tfs, lens, n, pos, sumtf);
	}
	if (rc)
		PROBLEM(c, "term '%s': positions of block %u do not decode",
			name, first);
}

static int check_post(chk *c)
{
	ix_cur *cur = NULL;
	const uint8_t *k, *v;
	size_t kl, vl, tkl;
	uint32_t first;
	post_inline il;
	int rc;

	rc = ix_cur_open(c->t, IX_POST, &cur);
	if (rc)
		return rc;
	for (rc = ix_cur_seek(cur, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(cur, &k, &kl, &v, &vl)) {
		if (split_key(k, kl, &tkl, &first) != 0) {
			PROBLEM(c, "postings table: malformed key of %zu "
				"bytes", kl);
			continue;
		}
		finish_term(c);
		memcpy(c->tk, k, tkl);
		c->tkl = tkl;
		c->have_term = 1;
		c->next_ent = 0;
		c->live = 0;
		if (post_term_decode_ex(v, vl, &c->df, &c->ents, &c->nents,
					&il)) {
			char name[96];
			term_name(c, name, sizeof(name));
			PROBLEM(c, "term '%s': record does not decode", name);
			c->have_term = 0;
			c->ents = NULL;
			continue;
		}
		c->np = 0;
		c->has_top = il.top != NULL;
		c->top_bad = 0;
		if (c->has_top && il.ntop > c->captop) {
			post_top *nt = realloc(c->top, il.ntop * sizeof(*nt));
			if (!nt)
				return LEDE_ENOMEM;
			c->top = nt;
			c->captop = il.ntop;
		}
		c->ntop = il.ntop;
		if (c->has_top &&
		    post_top_decode(il.top, il.top_len, il.ntop, c->top)) {
			char name[96];
			term_name(c, name, sizeof(name));
			PROBLEM(c, "term '%s': top list does not decode",
				name);
			c->top_bad = 1;
		}
		if (il.blk) {
			/* A title term's inline positions are empty; a
			 * main term's may not be. */
			check_block(c, c->ents[0].first, il.blk, il.blen,
				    il.pos ? il.pos : (const uint8_t *)"",
				    il.plen);
			continue;
		}
		for (size_t i = 0; i < c->nents; i++) {
			const post_dirent *e = &c->ents[i];
			const uint8_t *bp;
			size_t bl;

			if (ix_blk_get(c->t, IX_BLK_POST, (const char *)k, tkl,
				       e->first, &e->bl, &bp, &bl)) {
				char name[96];
				term_name(c, name, sizeof(name));
				PROBLEM(c, "term '%s': block %u: %s", name,
					e->first, ix_damage());
				c->next_ent++;
				c->top_bad = 1;
				continue;
			}
			check_block(c, e->first, bp, bl, NULL, 0);
		}
	}
	finish_term(c);
	ix_cur_close(cur);
	return rc > 0 ? 0 : rc;
}

static int check_docs(chk *c)
{
	ix_cur *cur = NULL;
	const uint8_t *k, *v;
	size_t kl, vl;
	uint64_t n = 0, sumlen = 0, sumtlen = 0;
	uint8_t *has;
	buf body;
	int rc;

	has = calloc((size_t)c->st.next_docid + 1, 1);
	if (!has)
		return LEDE_ENOMEM;
	buf_init(&body);
	rc = ix_cur_open(c->t, IX_DOCS, &cur);
	if (rc)
		goto out;
	for (rc = ix_cur_seek(cur, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(cur, &k, &kl, &v, &vl)) {
		ix_doc d;
		uint32_t docid, back;

		if (kl != 4) {
			PROBLEM(c, "documents table: key of %zu bytes", kl);
			continue;
		}
		docid = u32be_get(k);
		if (docid == 0 || docid >= c->st.next_docid) {
			PROBLEM(c, "document %u: docid out of range", docid);
			continue;
		}
		if (ix_doc_parse(v, vl, docid, &d)) {
			PROBLEM(c, "document %u: record does not decode",
				docid);
			continue;
		}
		has[docid] = 1;
		n++;
		sumlen += d.len;
		sumtlen += d.tlen;
		if (c->lens[docid] != (d.len > 65535 ? 65535 : d.len))
			PROBLEM(c, "document %u: length %u, table says %u",
				docid, d.len, c->lens[docid]);
		if (ix_id_lookup(c->t, d.id, d.id_len, &back) || back != docid)
			PROBLEM(c, "document %u: id '%.*s' does not map back",
				docid, (int)d.id_len, d.id);
		{
			const char *xid;
			size_t xl;
			int xr = ix_xid_get(c->t, docid, &xid, &xl);

			if (xr == 0 && (xl != d.id_len ||
					memcmp(xid, d.id, xl) != 0))
				PROBLEM(c, "document %u: id table says '%.*s', "
					"the record '%.*s'", docid, (int)xl,
					xid, (int)d.id_len, d.id);
			else if (xr && xr != LEDE_ENOTFOUND)
				PROBLEM(c, "document %u: id table: %s", docid,
					ix_damage());
		}
		if (ix_body_get(c->t, docid, &body))
			PROBLEM(c, "document %u: body missing or corrupt",
				docid);
	}
	if (rc > 0)
		rc = 0;
	for (uint32_t d = 1; d < c->st.next_docid; d++)
		if (c->lens[d] && !has[d])
			PROBLEM(c, "docid %u: live length but no record", d);
	ix_cur_close(cur);
	cur = NULL;
	/* Lengths of tombstoned documents: only those, and never 0. */
	rc = ix_cur_open(c->t, IX_DEAD, &cur);
	if (rc)
		goto out;
	for (rc = ix_cur_seek(cur, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(cur, &k, &kl, &v, &vl)) {
		uint32_t docid = kl == 4 ? u32be_get(k) : 0;

		if (kl != 4 || vl != 2 || (v[0] | v[1]) == 0 ||
		    docid == 0 || docid >= c->st.next_docid)
			PROBLEM(c, "dead table: malformed entry");
		else if (c->lens[docid] || has[docid])
			PROBLEM(c, "dead table: document %u is live", docid);
	}
	if (rc > 0)
		rc = 0;
	if (n != c->st.ndocs || sumlen != c->st.sumlen ||
	    sumtlen != c->st.sumtlen)
		PROBLEM(c, "statistics say %llu documents of %llu tokens, "
			"records have %llu of %llu",
			(unsigned long long)c->st.ndocs,
			(unsigned long long)c->st.sumlen,
			(unsigned long long)n, (unsigned long long)sumlen);
out:
	ix_cur_close(cur);
	buf_release(&body);
	free(has);
	return rc;
}

/* Describe a damaged record of table dbi under key k for `lede check`. */
static void say_damaged(chk *c, int dbi, const uint8_t *k, size_t kl)
{
	size_t tkl;
	uint32_t first = 0;

	switch (dbi) {
	case IX_POST:
		if (split_key(k, kl, &tkl, &first) != 0)
			break;
		memcpy(c->tk, k, tkl);
		c->tkl = tkl;
		{
			char name[96];

			term_name(c, name, sizeof(name));
			c->tkl = 0;
			PROBLEM(c, "term '%s': record fails its checksum",
				name);
		}
		return;
	case IX_DOCS:
	case IX_BODY:
		if (kl != 4)
			break;
		PROBLEM(c, "document %u: %s fails its checksum", u32be_get(k),
			dbi == IX_DOCS ? "record" : "body");
		return;
	case IX_LENS:
	case IX_XID: {
		uint32_t per = dbi == IX_LENS ? IX_LEN_CHUNK : IX_XID_CHUNK;

		if (kl != 4)
			break;
		PROBLEM(c, "%s table: chunk %u (docids %u..%u) fails its "
			"checksum", dbi == IX_LENS ? "length" : "id",
			u32be_get(k), u32be_get(k) * per,
			u32be_get(k) * per + per - 1);
		return;
	}
	default:
		break;
	}
	PROBLEM(c, "%s fails its checksum", ix_damage());
}

/* First pass of `lede check`: every value of every table against its
 * checksum trailer. Each damaged record is reported; the walk goes on. */
static int check_sums(chk *c)
{
	for (int dbi = 0; dbi < IX_NDBI; dbi++) {
		ix_cur *cur = NULL;
		const uint8_t *k = NULL, *v;
		size_t kl = 0, vl;
		int rc;

		if (!ix_has_table(c->t, dbi))
			continue;
		rc = ix_cur_open(c->t, dbi, &cur);
		if (rc)
			return rc;
		rc = ix_cur_seek(cur, NULL, 0, &k, &kl, &v, &vl);
		for (;;) {
			if (rc > 0)
				break;
			if (rc == LEDE_ECORRUPT && k) {
				/* the value failed, the cursor stands */
				say_damaged(c, dbi, k, kl);
			} else if (rc) {
				ix_cur_close(cur);
				return rc;
			}
			k = NULL;
			rc = ix_cur_next(cur, &k, &kl, &v, &vl);
		}
		ix_cur_close(cur);
	}
	return 0;
}

int mt_check(ix *x, FILE *out, uint64_t *problems)
{
	chk c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.out = out;
	post_topacc_init(&c.acc);
	rc = ix_begin(x, 0, &c.t);
	if (!rc)
		rc = check_sums(&c);
	if (!rc && c.problems) {
		fprintf(out, "%llu damaged records; the structure is checked "
			"once they are sound (README.md: damaged index)\n",
			(unsigned long long)c.problems);
		goto out;
	}
	if (!rc)
		rc = ix_stats_get(c.t, &c.st);
	if (rc == LEDE_ECORRUPT) {
		PROBLEM(&c, "collection statistics are corrupt");
		goto out;
	}
	if (!rc && c.st.ndocs == 0 && c.st.next_docid == 1) {
		/* Never committed a document: whatever the tables hold was
		 * checkpointed by a bulk load that did not finish. */
		ix_dbi_usage u[IX_NDBI];
		int nu = ix_usage(c.t, u, IX_NDBI);
		uint64_t left = 0;

		for (int i = 0; i < nu; i++)
			if (strcmp(u[i].name, "meta") != 0)
				left += u[i].entries;
		if (left)
			fprintf(out, "note: empty index with %llu records left "
				"by an interrupted bulk load; the next "
				"'lede index' removes them\n",
				(unsigned long long)left);
		goto out;
	}
	if (!rc)
		rc = load_lens(c.t, c.st.next_docid, &c.lens);
	if (rc == LEDE_ECORRUPT) {
		PROBLEM(&c, "document length table is corrupt");
		rc = 0;
		goto out;
	}
	if (!rc)
		rc = check_post(&c);
	if (!rc)
		rc = check_docs(&c);
out:
	if (rc == LEDE_ECORRUPT) {
		PROBLEM(&c, "index structure is corrupt: %s", ix_errmsg(x));
		rc = 0;
	}
	free(c.lens);
	free(c.ents);
	free(c.top);
	free(c.ids);
	free(c.tfs);
	free(c.plens);
	post_topacc_release(&c.acc);
	ix_abort(c.t);
	*problems = c.problems;
	return rc;
}

/* ---- compact ---- */

typedef struct tkey {
	uint8_t k[IX_TERMKEY_MAX];
	uint8_t len;
} tkey;

/* A term record with the top list of its nd live postings. */
static int encode_with_top(ix_txn *t, const uint8_t *tk, size_t tkl,
			   uint32_t nd, const post_dirent *ents, size_t nb,
			   const uint32_t *docids, const uint32_t *tfs,
			   const uint32_t *lens, buf *rec)
{
	post_topacc a;
	int rc;

	post_topacc_init(&a);
	rc = top_of(t, tk, tkl, docids, tfs, lens, nd, &a);
	if (!rc)
		rc = post_term_encode(nd, ents, nb, a.v, a.n, rec);
	post_topacc_release(&a);
	return rc;
}

static int compact_term(ix_txn *t, const uint8_t *tk, size_t tkl,
			const uint16_t *lens, uint32_t next,
			mt_compact_counts *cc)
{
	const uint8_t *rp, *bp, *pp;
	size_t rl, bl, pl, nents = 0, nd = 0, np = 0, capd = 0, capp = 0;
	post_dirent *ents = NULL, *nents_arr = NULL;
	size_t *boff = NULL, *poff = NULL;
	uint32_t df, *docids = NULL, *tfs = NULL, *pos = NULL, *plen = NULL;
	uint32_t bd[POST_BLOCK_MAX], bt[POST_BLOCK_MAX], bu[POST_BLOCK_MAX];
	uint8_t key[IX_TERMKEY_MAX + 5];
	int has_pos = tk[0] != IX_TITLE_MARK;
	buf blk, pblk, rec;
	post_inline il;
	int rc;

	buf_init(&blk);
	buf_init(&pblk);
	buf_init(&rec);
	rc = ix_term_get(t, (const char *)tk, tkl, &rp, &rl);
	if (!rc)
		rc = post_term_decode_ex(rp, rl, &df, &ents, &nents, &il);
	if (rc)
		goto out;
	if (il.blk) {
		/* Copy: the record's page may change under the writes below. */
		rc = buf_add(&rec, il.blk, il.blen);
		if (!rc)
			rc = buf_add(&rec, il.pos, il.plen);
		if (rc)
			goto out;
	}
	memcpy(key, tk, tkl);
	key[tkl] = 0;
	/* Gather live postings (and positions) of every block. */
	for (size_t i = 0; i < nents; i++) {
		unsigned n;
		uint64_t sumtf = 0;
		uint32_t *allpos = NULL;

		if (il.blk) {
			bp = rec.data;
			bl = il.blen;
			rc = 0;
		} else {
			rc = ix_blk_get(t, IX_BLK_POST, (const char *)tk, tkl,
					ents[i].first, &ents[i].bl, &bp, &bl);
		}
		if (!rc)
			rc = post_block_decode(bp, bl, ents[i].first, bd, bt,
					       &n);
		if (rc)
			goto out;
		for (unsigned j = 0; j < n; j++)
			sumtf += bt[j];
		if (has_pos) {
			if (il.blk) {
				pp = rec.data + il.blen;
				pl = il.plen;
			} else {
				rc = ix_blk_get(t, IX_BLK_POS,
						(const char *)tk, tkl,
						ents[i].first, &ents[i].pl,
						&pp, &pl);
				if (rc)
					goto out;
			}
			allpos = malloc(sumtf * sizeof(*allpos) + 4);
			if (!allpos) {
				rc = LEDE_ENOMEM;
				goto out;
			}
			rc = 0;
			if (post_pos_needs_lens(pp, pl))
				rc = ix_pos_lens(t, bd, n, bu);
			if (!rc)
				rc = post_pos_decode(pp, pl, bt, bu, n, allpos,
						     sumtf);
			if (rc) {
				free(allpos);
				goto out;
			}
		}
		if (nd + n > capd) {
			size_t nc = (nd + n) * 2;
			uint32_t *a = realloc(docids, nc * sizeof(*a));
			uint32_t *b2, *c2;
			if (a)
				docids = a;
			b2 = realloc(tfs, nc * sizeof(*b2));
			if (b2)
				tfs = b2;
			c2 = realloc(plen, nc * sizeof(*c2));
			if (c2)
				plen = c2;
			if (!a || !b2 || !c2) {
				free(allpos);
				rc = LEDE_ENOMEM;
				goto out;
			}
			capd = nc;
		}
		if (np + sumtf > capp) {
			size_t nc = (np + sumtf) * 2;
			uint32_t *a = realloc(pos, nc * sizeof(*a));
			if (!a) {
				free(allpos);
				rc = LEDE_ENOMEM;
				goto out;
			}
			pos = a;
			capp = nc;
		}
		for (unsigned j = 0, off = 0; j < n; off += bt[j], j++) {
			if (bd[j] >= next || lens[bd[j]] == 0) {
				cc->dropped++;
				continue;
			}
			docids[nd] = bd[j];
			tfs[nd] = bt[j];
			plen[nd] = lens[bd[j]];
			nd++;
			if (has_pos) {
				memcpy(pos + np, allpos + off,
				       bt[j] * sizeof(*pos));
				np += bt[j];
			}
		}
		free(allpos);
	}
	cc->blocks_before += nents;
	if (nd == 0) {
		rc = ix_del(t, IX_POST, key, tkl + 1);
		goto out;
	}
	{
		size_t nb = (nd + POST_BLOCK_MAX - 1) / POST_BLOCK_MAX;

		nents_arr = calloc(nb, sizeof(*nents_arr));
		boff = calloc(nb + 1, sizeof(*boff));
		poff = calloc(nb + 1, sizeof(*poff));
		if (!nents_arr || !boff || !poff) {
			rc = LEDE_ENOMEM;
			goto out;
		}
		buf_clear(&blk);
		buf_clear(&pblk);
		rc = post_encode_blocks(docids, tfs, plen, has_pos ? pos : NULL,
					nd, &blk, boff, &pblk, poff,
					nents_arr);
		/* One block goes inline in the record, more into new
		 * chunks (the old ones go when nothing else uses them:
		 * chunks_gc). */
		if (!rc && nb > 1)
			rc = ix_blks_put(t, (const char *)tk, tkl, nb, blk.data,
					 boff, has_pos ? pblk.data : NULL,
					 poff, nents_arr);
		if (rc)
			goto out;
		buf_clear(&rec);
		if (nb == 1)
			rc = post_term_encode_inline((uint32_t)nd,
						     &nents_arr[0], blk.data,
						     blk.len, pblk.data,
						     pblk.len, &rec);
		else
			rc = encode_with_top(t, tk, tkl, (uint32_t)nd,
					     nents_arr, nb, docids, tfs, plen,
					     &rec);
		if (!rc)
			rc = ix_put(t, IX_POST, key, tkl + 1, rec.data,
				    rec.len, 0);
		cc->blocks_after += nb;
		cc->terms++;
		cc->bytes += blk.len + pblk.len + rec.len;
	}
out:
	free(ents);
	free(nents_arr);
	free(boff);
	free(poff);
	free(docids);
	free(tfs);
	free(plen);
	free(pos);
	buf_release(&blk);
	buf_release(&pblk);
	buf_release(&rec);
	return rc;
}

/* The chunks of both kinds (ix.h, "blocks" and "pos") by id: each one's
 * size, and the bytes the term directories use in it. */
typedef struct chunk_map {
	uint32_t n[2];            /* ids below n */
	uint32_t *size[2];
	uint64_t *live[2];
	uint32_t old[2];          /* ids up to this were there before */
} chunk_map;

static void chunk_map_free(chunk_map *m)
{
	for (int k = 0; k < 2; k++) {
		free(m->size[k]);
		free(m->live[k]);
		m->size[k] = NULL;
		m->live[k] = NULL;
	}
}

/* The largest chunk id of each kind, 0 for none. */
static int chunk_last(ix_txn *t, uint32_t last[2])
{
	for (int k = 0; k < 2; k++) {
		ix_cur *c = NULL;
		const uint8_t *key;
		size_t kl;
		int rc = ix_cur_open(t, ix_blk_dbi(k), &c);

		last[k] = 0;
		if (rc)
			return rc;
		for (rc = ix_cur_seek(c, NULL, 0, &key, &kl, NULL, NULL);
		     rc == 0; rc = ix_cur_next(c, &key, &kl, NULL, NULL))
			if (kl == 4 && u32be_get(key) > last[k])
				last[k] = u32be_get(key);
		ix_cur_close(c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Sizes and use of every chunk, by a walk of the chunk tables and of
 * every term record. */
static int chunk_map_load(ix_txn *t, chunk_map *m)
{
	uint32_t last[2];
	ix_cur *c = NULL;
	const uint8_t *k, *v;
	size_t kl, vl, tkl;
	uint32_t first;
	int rc = chunk_last(t, last);

	for (int i = 0; !rc && i < 2; i++) {
		free(m->size[i]);
		free(m->live[i]);
		m->n[i] = last[i] + 1;
		m->size[i] = calloc(m->n[i], sizeof(*m->size[i]));
		m->live[i] = calloc(m->n[i], sizeof(*m->live[i]));
		if (!m->size[i] || !m->live[i])
			return LEDE_ENOMEM;
		rc = ix_cur_open(t, ix_blk_dbi(i), &c);
		if (rc)
			return rc;
		for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
		     rc = ix_cur_next(c, &k, &kl, &v, &vl))
			if (kl == 4 && u32be_get(k) < m->n[i])
				m->size[i][u32be_get(k)] = (uint32_t)vl;
		ix_cur_close(c);
		c = NULL;
		rc = rc < 0 ? rc : 0;
	}
	if (!rc)
		rc = ix_cur_open(t, IX_POST, &c);
	if (rc)
		return rc;
	for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(c, &k, &kl, &v, &vl)) {
		post_dirent *ents = NULL;
		size_t n = 0;
		uint32_t df;

		if (split_key(k, kl, &tkl, &first) != 0 ||
		    post_term_decode(v, vl, &df, &ents, &n) != 0)
			continue;   /* lede check's to report */
		for (size_t i = 0; i < n; i++) {
			const post_loc *l[2] = { &ents[i].bl, &ents[i].pl };

			for (int j = 0; j < 2; j++)
				if (l[j]->len && l[j]->chunk < m->n[j])
					m->live[j][l[j]->chunk] += l[j]->len;
		}
		free(ents);
	}
	ix_cur_close(c);
	return rc < 0 ? rc : 0;
}

/* Whether a chunk that was there before is more than half unused. */
static int chunk_sparse(const chunk_map *m, int kind, uint32_t id)
{
	return id <= m->old[kind] && id < m->n[kind] &&
	       m->live[kind][id] * 2 < m->size[kind][id];
}

/* Which terms compact_picked rewrites: given a term's decoded record. */
typedef int (*pick_fn)(const post_dirent *ents, size_t n, uint32_t df,
		       const void *ctx);

/* New blocks and records a compaction writes in one transaction, at
 * most: LMDB holds a transaction's pages in memory until it commits (on
 * 1M articles, 1,000 added and 51 deleted, one transaction for all took
 * 2.0 GB; 2.4 GB with schema 6). */
#define COMPACT_TXN_BYTES ((uint64_t)64 << 20)

/* COMPACT_TXN_BYTES, or LEDE_COMPACT_TXN_BYTES from the environment
 * (tests commit after every term with 1). */
static uint64_t compact_txn_bytes(void)
{
	const char *e = getenv("LEDE_COMPACT_TXN_BYTES");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return COMPACT_TXN_BYTES;
	v = strtoull(e, &end, 10);
	return *end || v == 0 ? COMPACT_TXN_BYTES : (uint64_t)v;
}

/* Rewrite every term whose record pick() chooses (compact_term),
 * committing *t and beginning another whenever COMPACT_TXN_BYTES are
 * written. The terms are collected first: a rewrite moves keys under
 * the cursor. A record that does not decode is LEDE_ECORRUPT. */
static int compact_picked(ix *x, ix_txn **tp, const uint16_t *lens,
			  uint32_t next, mt_compact_counts *cc, pick_fn pick,
			  const void *ctx, size_t *npicked)
{
	ix_txn *t = *tp;
	uint64_t mark = cc->bytes, per_txn = compact_txn_bytes();
	tkey *todo = NULL;
	size_t ntodo = 0, captodo = 0;
	ix_cur *c = NULL;
	const uint8_t *k, *v;
	size_t kl, vl, tkl;
	uint32_t first;
	int rc = ix_cur_open(t, IX_POST, &c);

	*npicked = 0;
	if (rc)
		return rc;
	for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(c, &k, &kl, &v, &vl)) {
		post_dirent *ents = NULL;
		size_t n = 0;
		uint32_t df;
		int want;

		if (split_key(k, kl, &tkl, &first) != 0)
			continue;
		if (post_term_decode(v, vl, &df, &ents, &n)) {
			rc = LEDE_ECORRUPT;
			break;
		}
		want = pick(ents, n, df, ctx);
		free(ents);
		if (!want)
			continue;
		if (ntodo == captodo) {
			tkey *p = arr_grow(todo, &captodo, sizeof(*p), 1024);
			if (!p) {
				rc = LEDE_ENOMEM;
				break;
			}
			todo = p;
		}
		memcpy(todo[ntodo].k, k, tkl);
		todo[ntodo].len = (uint8_t)tkl;
		ntodo++;
	}
	ix_cur_close(c);
	rc = rc < 0 ? rc : 0;
	for (size_t i = 0; !rc && i < ntodo; i++) {
		rc = compact_term(*tp, todo[i].k, todo[i].len, lens, next, cc);
		if (rc || cc->bytes - mark < per_txn)
			continue;
		/* Each term is whole in every commit: a killed compaction
		 * leaves some terms rewritten, the rest as they were, and
		 * the old chunks for the next one to free. */
		mark = cc->bytes;
		rc = ix_commit(*tp);
		*tp = NULL;
		if (!rc)
			rc = ix_ensure_room(x, 2 * per_txn + (1u << 20));
		if (!rc)
			rc = ix_begin(x, 1, tp);
	}
	free(todo);
	*npicked = ntodo;
	return rc;
}

/* More than one block with a short one before the last, or a deleted
 * document's posting. */
static int pick_untidy(const post_dirent *ents, size_t n, uint32_t df,
		       const void *unused)
{
	uint64_t total = 0;
	int need = 0;

	(void)unused;
	for (size_t i = 0; i < n; i++) {
		total += ents[i].n;
		if (i + 1 < n && ents[i].n < POST_BLOCK_MAX)
			need = 1;
	}
	return need || total != df;
}

/* A block in an old chunk more than half unused (ctx: the chunk_map). */
static int pick_sparse(const post_dirent *ents, size_t n, uint32_t df,
		       const void *ctx)
{
	const chunk_map *m = ctx;

	(void)df;
	for (size_t i = 0; i < n; i++)
		if ((ents[i].bl.len &&
		     chunk_sparse(m, IX_BLK_POST, ents[i].bl.chunk)) ||
		    (ents[i].pl.len &&
		     chunk_sparse(m, IX_BLK_POS, ents[i].pl.chunk)))
			return 1;
	return 0;
}

/* After the terms are compacted: the terms with blocks in old chunks
 * more than half unused are rewritten into new ones, then every chunk
 * no directory uses goes. */
static int chunks_gc(ix *x, ix_txn **tp, chunk_map *m, const uint16_t *lens,
		     uint32_t next, mt_compact_counts *cc)
{
	size_t moved = 0;
	int rc = chunk_map_load(*tp, m);

	if (!rc)
		rc = compact_picked(x, tp, lens, next, cc, pick_sparse, m,
				    &moved);
	if (!rc && moved)
		rc = chunk_map_load(*tp, m);
	for (int kind = 0; !rc && kind < 2; kind++) {
		for (uint32_t id = 1; !rc && id < m->n[kind]; id++) {
			uint8_t key[4];

			if (m->live[kind][id] || !m->size[kind][id])
				continue;
			u32be_put(key, id);
			rc = ix_del(*tp, ix_blk_dbi(kind), key, 4);
			cc->chunks_freed++;
			cc->chunk_bytes_freed += m->size[kind][id];
		}
	}
	return rc;
}

int mt_compact(ix *x, mt_compact_counts *cc)
{
	chunk_map cm;
	ix_txn *t = NULL;
	ix_stats st;
	uint16_t *lens = NULL;
	size_t picked;
	char file[4096];
	struct stat sb;
	int rc;

	memset(cc, 0, sizeof(*cc));
	memset(&cm, 0, sizeof(cm));
	snprintf(file, sizeof(file), "%s/data.mdb", ix_path(x));
	rc = ix_ensure_room(x, stat(file, &sb) == 0 ?
			    (uint64_t)sb.st_size : 0);
	if (!rc)
		rc = ix_begin(x, 1, &t);
	if (!rc)
		rc = ix_stats_get(t, &st);
	if (!rc)
		rc = load_lens(t, st.next_docid, &lens);
	if (!rc)
		rc = chunk_last(t, cm.old);
	if (!rc)
		rc = compact_picked(x, &t, lens, st.next_docid, cc,
				    pick_untidy, NULL, &picked);
	if (!rc)
		rc = chunks_gc(x, &t, &cm, lens, st.next_docid, cc);
	/* No block holds a tombstoned document any more. */
	if (!rc)
		rc = ix_clear(t, IX_DEAD);
	/* The ids of the documents there are, and no others (an index
	 * written before the table gets it whole here). */
	if (!rc)
		rc = ix_xid_rebuild(t);
	if (!rc) {
		rc = ix_commit(t);
		t = NULL;
	}
	ix_abort(t);
	free(lens);
	chunk_map_free(&cm);
	return rc;
}
