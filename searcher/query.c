/*
 * query.c - the query parser of query.h: a query string in, a tree of
 * q_node out, every word already in the index's analysed form.
 *
 * Owns the tree of one query. Every node, its kids array, text, stems,
 * each stem and rel are separate heap blocks, so a caller may grow
 * root->kids with realloc and hang nodes of its own on the tree (the
 * relevance feedback of search.c does); q_free frees them all alike.
 *
 * Q_SYNTAX reads the query in two layers:
 *  - a lexer (lex_peek) that turns bytes at a position into one unit:
 *    ( ) AND OR NOT, a + or - prefix, a "phrase", title:"phrase" or a
 *    word. It keeps no state: the same position always gives the same
 *    unit, so the parser can look ahead by lexing on a copy. Spaces are
 *    ASCII blanks and controls (NUL included) plus the Unicode spaces
 *    news text carries; quotes are " and the typographic ones; a quote
 *    with no closing partner is dropped like a space. + and - are
 *    prefixes only at the start of a clause (after a space, an opening
 *    parenthesis or the start) and before something: in al-Assad or
 *    e-mail the hyphen is part of the word.
 *  - a recursive-descent parser:
 *      group   := { clause | OR | stray AND | stray ')' }
 *      clause  := prefix* primary { AND prefix* primary }
 *      prefix  := + | - | NOT          (the last one given wins)
 *      primary := word | word* | field:word | field:word* | "phrase"
 *                 | title:"phrase" | ( group )
 *    A chain a AND b becomes a Q_BOOL of Q_MUST kids that joins its
 *    parent with the clause's occur (-a AND b is -(+a +b)); an operand
 *    after AND may carry its own - or NOT (a AND NOT b is (+a -b)).
 *    from:, to: and sort: with a valid value set the query's filters
 *    wherever they stand and make no node.
 *
 * Depth: the evaluator (search.c) gives up below tree depth
 * Q_MAX_DEPTH + 2. A group opens only at tree depth <= Q_MAX_DEPTH, so
 * its leaves (one more level, two under an AND chain) stay within that;
 * deeper parentheses are ignored as if not typed. The recursion is
 * bounded by the same count, whatever the input. To put the first
 * operand of a chain at its final depth, the parser looks ahead past it
 * (and_follows) before parsing it.
 *
 * Invariants of a returned tree: root is a Q_BOOL (maybe with no kids);
 * no other bool is empty; a bool below the root with one kid has a
 * Q_MUST_NOT kid (a group of one other kid is replaced by the kid, which
 * takes the group's occur: the same matches, the same score); every
 * leaf has 1..Q_MAX_TERMS non-empty stems (a prefix: its folded text);
 * nterms <= Q_MAX_TERMS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/buf.h"
#include "query.h"

/* Lexical units. */
enum {
	L_END, L_LP, L_RP, L_WORD, L_PHRASE, L_TPHRASE, L_AND, L_OR, L_NOT,
	L_PLUS, L_MINUS
};

typedef struct lex {
	int type;
	size_t a, b;    /* L_WORD: the word; L_*PHRASE: inside the quotes */
	size_t next;    /* where the unit after this one starts */
} lex;

typedef struct qp {
	ana *a;
	const char *s;
	size_t len;
	size_t i;       /* the first byte not yet consumed */
	query *q;
} qp;

/* Stems of one analysed leaf, before they move into a node. */
typedef struct coll {
	char *stem[Q_MAX_TERMS];
	uint32_t pos[Q_MAX_TERMS];
	size_t n;
} coll;

/* The folded tokens of a would-be prefix: the first one and a count. */
typedef struct fold {
	char text[TOK_MAX_BYTES + 1];
	size_t len;
	size_t n;
} fold;

/* ---- nodes ------------------------------------------------------------ */

static q_node *node_new(int kind)
{
	q_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->occur = Q_SHOULD;
	n->field = Q_MAIN;
	n->boost = 1;
	return n;
}

static void node_free(q_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nstems; i++)
		free(n->stems[i]);
	free(n->stems);
	free(n->rel);
	free(n->text);
	free(n);
}

/* Add k to g's kids (capacity *cap); on failure k is still the
 * caller's. */
static int kid_add(q_node *g, size_t *cap, q_node *k)
{
	if (g->nkids == *cap) {
		q_node **nk = arr_grow(g->kids, cap, sizeof(*nk), 4);

		if (!nk)
			return LEDE_ENOMEM;
		g->kids = nk;
	}
	g->kids[g->nkids++] = k;
	return 0;
}

/* A finished group as its parent should hold it: NULL when empty, its
 * only kid when that kid is not an exclusion (the caller then sets the
 * occur). An exclusion alone stays wrapped: (-a) matches nothing, -a in
 * the parent would change the parent. */
static q_node *settle(q_node *g)
{
	q_node *k;

	if (!g || g->kind != Q_BOOL)
		return g;
	if (g->nkids == 0) {
		node_free(g);
		return NULL;
	}
	if (g->nkids > 1 || g->kids[0]->occur == Q_MUST_NOT)
		return g;
	k = g->kids[0];
	g->nkids = 0;
	node_free(g);
	return k;
}

/* A copy of s[0..n) for display: controls (NUL included) become spaces
 * so the C string shows the whole text. */
static char *text_dup(const char *s, size_t n)
{
	char *t = malloc(n + 1);

	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++)
		t[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	t[n] = '\0';
	return t;
}

static int stem_is(const q_node *n, const char *st, size_t len)
{
	return n->nstems == 1 && strlen(n->stems[0]) == len &&
	       memcmp(n->stems[0], st, len) == 0;
}

/* ---- lexer ------------------------------------------------------------ */

/* Bytes of the space at s[i], 0 if none: ASCII blanks and controls, and
 * U+00A0, U+2000..U+200B, U+2028, U+2029, U+202F, U+205F, U+3000 (they
 * come in pasted text, and the tokenizer splits on them anyway). */
static size_t space_len(const qp *p, size_t i)
{
	const unsigned char *u = (const unsigned char *)p->s + i;
	size_t left = p->len - i;

	if (u[0] <= 0x20 || u[0] == 0x7f)
		return 1;
	if (left >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (left < 3)
		return 0;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] <= 0x8b || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

/* Bytes of the quote at s[i], 0 if none: " and U+201C..U+201E, which
 * phones and word processors put in place of it. */
static size_t quote_len(const qp *p, size_t i)
{
	const unsigned char *u = (const unsigned char *)p->s + i;

	if (u[0] == '"')
		return 1;
	if (p->len - i >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    u[2] >= 0x9c && u[2] <= 0x9e)
		return 3;
	return 0;
}

/* The next quote at or after i, p->len if none. */
static size_t quote_next(const qp *p, size_t i)
{
	for (; i < p->len; i++)
		if (quote_len(p, i))
			return i;
	return p->len;
}

static int delim(const qp *p, size_t i)
{
	return p->s[i] == '(' || p->s[i] == ')' || space_len(p, i) ||
	       quote_len(p, i);
}

/* ASCII case-insensitive: s[0..n) is the lowercase w. */
static int name_is(const char *s, size_t n, const char *w)
{
	if (strlen(w) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != w[i])
			return 0;
	}
	return 1;
}

/* The unit at p->i, without consuming it. */
static void lex_peek(const qp *p, lex *t)
{
	const char *s = p->s;
	size_t i = p->i, j, n;
	int sep = i == 0 || s[i - 1] == '(';

	memset(t, 0, sizeof(*t));
	for (;;) {
		if (i >= p->len) {
			t->type = L_END;
			t->a = t->b = t->next = p->len;
			return;
		}
		n = space_len(p, i);
		if (!n) {
			n = quote_len(p, i);
			if (!n)
				break;
			j = quote_next(p, i + n);
			if (j < p->len) {
				t->type = L_PHRASE;
				t->a = i + n;
				t->b = j;
				t->next = j + quote_len(p, j);
				return;
			}
			/* no closing quote: drop this one */
		}
		i += n;
		sep = 1;
	}
	t->a = i;
	t->b = t->next = i + 1;
	if (s[i] == '(') {
		t->type = L_LP;
		return;
	}
	if (s[i] == ')') {
		t->type = L_RP;
		return;
	}
	if ((s[i] == '+' || s[i] == '-') && sep && i + 1 < p->len &&
	    !space_len(p, i + 1) && s[i + 1] != ')') {
		t->type = s[i] == '+' ? L_PLUS : L_MINUS;
		return;
	}
	for (j = i; j < p->len && !delim(p, j); j++)
		;
	t->type = L_WORD;
	t->b = t->next = j;
	if (j - i == 3 && memcmp(s + i, "AND", 3) == 0)
		t->type = L_AND;
	else if (j - i == 2 && memcmp(s + i, "OR", 2) == 0)
		t->type = L_OR;
	else if (j - i == 3 && memcmp(s + i, "NOT", 3) == 0)
		t->type = L_NOT;
	else if (j - i == 6 && name_is(s + i, 5, "title") && s[i + 5] == ':'
		 && j < p->len && quote_len(p, j) > 0) {
		size_t k = quote_next(p, j + quote_len(p, j));

		if (k < p->len) {
			/* title:"a phrase" */
			t->type = L_TPHRASE;
			t->a = j + n;
			t->b = k;
			t->next = k + quote_len(p, k);
		}
	}
}

/* ---- leaves ----------------------------------------------------------- */

static int on_stem(void *ctx, const char *st, size_t len,
		   const tok_token *t)
{
	coll *c = ctx;

	if (c->n == Q_MAX_TERMS)
		return LEDE_ETOOBIG;   /* one leaf alone is over the cap */
	c->stem[c->n] = malloc(len + 1);
	if (!c->stem[c->n])
		return LEDE_ENOMEM;
	memcpy(c->stem[c->n], st, len);
	c->stem[c->n][len] = '\0';
	c->pos[c->n] = t->pos;
	c->n++;
	return 0;
}

static int on_fold(void *ctx, const char *st, size_t len,
		   const tok_token *t)
{
	fold *f = ctx;

	(void)st;
	(void)len;
	if (f->n++ == 0 && t->len <= TOK_MAX_BYTES) {
		memcpy(f->text, t->text, t->len);
		f->text[t->len] = '\0';
		f->len = t->len;
	}
	return 0;
}

/* s[a..b) analysed: nothing, a Q_TERM or a Q_PHRASE in field. */
static int analysed_leaf(qp *p, int field, size_t a, size_t b,
			 q_node **out)
{
	coll c;
	q_node *n = NULL;
	int rc;

	*out = NULL;
	c.n = 0;
	rc = ana_text(p->a, p->s + a, b - a, 0, on_stem, &c, NULL);
	if (rc || c.n == 0)
		goto out;
	rc = LEDE_ENOMEM;
	n = node_new(c.n == 1 ? Q_TERM : Q_PHRASE);
	if (!n)
		goto out;
	n->field = field;
	n->text = text_dup(p->s + a, b - a);
	n->stems = malloc(c.n * sizeof(*n->stems));
	if (!n->text || !n->stems)
		goto out;
	if (c.n > 1) {
		n->rel = malloc(c.n * sizeof(*n->rel));
		if (!n->rel)
			goto out;
		for (size_t i = 0; i < c.n; i++)
			n->rel[i] = c.pos[i] - c.pos[0];
	}
	memcpy(n->stems, c.stem, c.n * sizeof(*n->stems));
	n->nstems = c.n;
	c.n = 0;   /* the stems are the node's now */
	*out = n;
	n = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.stem[i]);
	node_free(n);
	return rc;
}

/* s[a..b) as a word in field: a prefix when it ends in '*' and folds to
 * one token of Q_PREFIX_MIN bytes or more, else analysed. */
static int text_leaf(qp *p, int field, size_t a, size_t b, q_node **out)
{
	size_t e = b;
	fold f;
	q_node *n;
	int rc;

	*out = NULL;
	while (e > a && p->s[e - 1] == '*')
		e--;
	if (e == b || e == a)
		return analysed_leaf(p, field, a, b, out);
	memset(&f, 0, sizeof(f));
	rc = ana_tokens(p->a, p->s + a, e - a, 0, on_fold, &f, NULL);
	if (rc)
		return rc;
	if (f.n != 1 || f.len < Q_PREFIX_MIN)
		return analysed_leaf(p, field, a, b, out);
	n = node_new(Q_PREFIX);
	if (!n)
		return LEDE_ENOMEM;
	n->field = field;
	n->text = text_dup(f.text, f.len);
	if (!n->text) {
		node_free(n);
		return LEDE_ENOMEM;
	}
	*out = n;
	return 0;
}

/* One lexical word: a filter (no node), a field word, or a word. A
 * field name with no usable value leaves the word to the analysis, so
 * from:2019-13-40 searches "from 2019 13 40" and 12:48 stays a time. */
static int word_leaf(qp *p, size_t a, size_t b, q_node **out)
{
	const char *w = p->s + a, *c = memchr(w, ':', b - a);
	size_t nl, vl;
	const char *v;
	int32_t ymd;

	*out = NULL;
	if (!c)
		return text_leaf(p, Q_MAIN, a, b, out);
	nl = (size_t)(c - w);
	v = c + 1;
	vl = b - a - nl - 1;
	if (name_is(w, nl, "title") && vl > 0)
		return text_leaf(p, Q_TITLE, a + nl + 1, b, out);
	if (name_is(w, nl, "from") && q_date(v, vl, 0, &ymd) == 0) {
		p->q->from = ymd;
		return 0;
	}
	if (name_is(w, nl, "to") && q_date(v, vl, 1, &ymd) == 0) {
		p->q->to = ymd;
		return 0;
	}
	if (name_is(w, nl, "sort") && name_is(v, vl, "date")) {
		p->q->sort = Q_SORT_DATE;
		return 0;
	}
	if (name_is(w, nl, "sort") && name_is(v, vl, "relevance")) {
		p->q->sort = Q_SORT_RELEVANCE;
		return 0;
	}
	return text_leaf(p, Q_MAIN, a, b, out);
}

/* ---- parser ----------------------------------------------------------- */

static int parse_group(qp *p, int depth, int in_paren, q_node **out);

/* Consume + - NOT; the last one sets *occur. */
static void take_prefix(qp *p, int *occur)
{
	lex t;

	for (;;) {
		lex_peek(p, &t);
		if (t.type == L_PLUS)
			*occur = Q_MUST;
		else if (t.type == L_MINUS || t.type == L_NOT)
			*occur = Q_MUST_NOT;
		else
			return;
		p->i = t.next;
	}
}

/* Whether the primary at p->i is followed by AND (after up to skip
 * ignored ')'), read lexically: a group up to its matching ')'. The
 * parser pairs parentheses the same way, ignored ones included. */
static int and_follows(const qp *p, size_t skip)
{
	qp c = *p;
	size_t open = 0;
	lex t;

	do {
		lex_peek(&c, &t);
		if (t.type == L_END)
			return 0;
		c.i = t.next;
		if (t.type == L_LP)
			open++;
		else if (t.type == L_RP && open > 0)
			open--;
	} while (open > 0);
	for (;;) {
		lex_peek(&c, &t);
		if (t.type != L_RP || skip == 0)
			break;
		c.i = t.next;
		skip--;
	}
	return t.type == L_AND;
}

/* A primary at tree depth depth. *found says whether there was one; it
 * may still give no node (a filter, a word of punctuation). A '(' too
 * deep to open is ignored and counted in *skip, so that its ')' is
 * ignored too. */
static int parse_primary(qp *p, int depth, size_t *skip, q_node **out,
			 int *found)
{
	q_node *g;
	lex t;
	int rc;

	*out = NULL;
	*found = 0;
	for (;;) {
		lex_peek(p, &t);
		switch (t.type) {
		case L_LP:
			p->i = t.next;
			if (depth > Q_MAX_DEPTH) {
				(*skip)++;
				continue;
			}
			*found = 1;
			rc = parse_group(p, depth, 1, &g);
			if (!rc)
				*out = settle(g);
			return rc;
		case L_WORD:
			p->i = t.next;
			*found = 1;
			return word_leaf(p, t.a, t.b, out);
		case L_PHRASE:
		case L_TPHRASE:
			p->i = t.next;
			*found = 1;
			return analysed_leaf(p, t.type == L_TPHRASE ?
					     Q_TITLE : Q_MAIN, t.a, t.b, out);
		default:
			return 0;
		}
	}
}

/* One clause whose node sits at tree depth depth: prefixes, a primary,
 * and any AND chain after it. *out may be NULL (nothing to search). */
static int parse_clause(qp *p, int depth, size_t *skip, q_node **out)
{
	q_node *chain = NULL, *n = NULL;
	size_t cap = 0;
	int occur = Q_SHOULD, pdepth, found, rc;
	lex t;

	*out = NULL;
	take_prefix(p, &occur);
	/* Only a group that may open needs its final depth; looking past
	 * the ignored ones too would make "-(-(-(..." quadratic. */
	lex_peek(p, &t);
	pdepth = depth;
	if (t.type == L_LP && depth <= Q_MAX_DEPTH)
		pdepth += and_follows(p, *skip);
	rc = parse_primary(p, pdepth, skip, &n, &found);
	if (rc || !found)
		return rc;   /* a prefix before nothing is ignored */
	for (;;) {
		q_node *m;
		int kocc = Q_MUST;

		lex_peek(p, &t);
		if (t.type == L_RP && *skip > 0) {
			p->i = t.next;
			(*skip)--;
			continue;
		}
		if (t.type != L_AND)
			break;
		while (t.type == L_AND) {   /* a AND AND b: one AND */
			p->i = t.next;
			lex_peek(p, &t);
		}
		take_prefix(p, &kocc);
		rc = parse_primary(p, depth + 1, skip, &m, &found);
		if (rc)
			goto fail;
		if (!found)
			break;   /* a dangling AND */
		if (!chain) {
			chain = node_new(Q_BOOL);
			if (!chain) {
				node_free(m);
				rc = LEDE_ENOMEM;
				goto fail;
			}
			if (n) {
				n->occur = Q_MUST;
				rc = kid_add(chain, &cap, n);
				if (rc) {
					node_free(m);
					goto fail;
				}
				n = NULL;
			}
		}
		if (m) {
			m->occur = kocc;
			rc = kid_add(chain, &cap, m);
			if (rc) {
				node_free(m);
				goto fail;
			}
		}
	}
	if (chain)
		n = settle(chain);
	if (n)
		n->occur = occur;
	*out = n;
	return 0;
fail:
	node_free(n);
	node_free(chain);
	return rc;
}

/* A group whose node sits at tree depth depth, up to its ')' when
 * in_paren, else to the end (a stray ')' is ignored there). An
 * unclosed group ends with the text. */
static int parse_group(qp *p, int depth, int in_paren, q_node **out)
{
	q_node *g = node_new(Q_BOOL), *k;
	size_t cap = 0, skip = 0;
	int rc = 0;
	lex t;

	*out = NULL;
	if (!g)
		return LEDE_ENOMEM;
	for (;;) {
		size_t at = p->i;

		lex_peek(p, &t);
		if (t.type == L_END)
			break;
		if (t.type == L_RP) {
			p->i = t.next;
			if (skip > 0) {
				skip--;
				continue;
			}
			if (in_paren)
				break;
			continue;
		}
		if (t.type == L_AND || t.type == L_OR) {
			p->i = t.next;   /* OR is juxtaposition; AND dangles */
			continue;
		}
		rc = parse_clause(p, depth + 1, &skip, &k);
		if (rc)
			goto fail;
		if (k) {
			rc = kid_add(g, &cap, k);
			if (rc) {
				node_free(k);
				goto fail;
			}
		}
		if (p->i == at)
			p->i = t.next;   /* cannot happen; never loop */
	}
	*out = g;
	return 0;
fail:
	node_free(g);
	return rc;
}

/* ---- plain mode ------------------------------------------------------- */

typedef struct plain {
	q_node *root;
	size_t cap;
	const char *s;
} plain;

static int on_plain(void *ctx, const char *st, size_t len,
		    const tok_token *t)
{
	plain *c = ctx;
	q_node *n;

	for (size_t k = 0; k < c->root->nkids; k++) {
		if (stem_is(c->root->kids[k], st, len)) {
			c->root->kids[k]->boost += 1;
			return 0;
		}
	}
	if (c->root->nkids >= Q_PLAIN_MAX_TERMS)
		return LEDE_ETOOBIG;
	n = node_new(Q_TERM);
	if (!n)
		return LEDE_ENOMEM;
	n->text = text_dup(c->s + t->start, t->end - t->start);
	n->stems = malloc(sizeof(*n->stems));
	if (n->stems) {
		n->stems[0] = malloc(len + 1);
		if (n->stems[0]) {
			memcpy(n->stems[0], st, len);
			n->stems[0][len] = '\0';
			n->nstems = 1;
		}
	}
	if (!n->text || !n->nstems || kid_add(c->root, &c->cap, n)) {
		node_free(n);
		return LEDE_ENOMEM;
	}
	return 0;
}

/* ---- whole query ------------------------------------------------------ */

/* A root whose only kid is a group that is not an exclusion takes the
 * group's kids: "(a b)" and "a AND b" read as the whole query. */
static void lift_root(q_node *r)
{
	while (r->nkids == 1 && r->kids[0]->kind == Q_BOOL &&
	       r->kids[0]->occur != Q_MUST_NOT) {
		q_node *k = r->kids[0];

		free(r->kids);
		r->kids = k->kids;
		r->nkids = k->nkids;
		k->kids = NULL;
		k->nkids = 0;
		node_free(k);
	}
}

static int plain_term(const q_node *n)
{
	return n->kind == Q_TERM && n->occur == Q_SHOULD && n->nstems == 1;
}

/* Repeats of a plain ranked top-level term add up in the first one
 * (query tf), as in Q_PLAIN. */
static void merge_top(q_node *r)
{
	size_t w = 0;

	for (size_t k = 0; k < r->nkids; k++) {
		q_node *n = r->kids[k];
		size_t j;

		if (plain_term(n)) {
			for (j = 0; j < w; j++) {
				q_node *o = r->kids[j];

				if (plain_term(o) && o->field == n->field &&
				    strcmp(o->stems[0], n->stems[0]) == 0)
					break;
			}
			if (j < w) {
				r->kids[j]->boost += n->boost;
				node_free(n);
				continue;
			}
		}
		r->kids[w++] = n;
	}
	r->nkids = w;
}

static size_t count_terms(const q_node *n)
{
	size_t c = 0;

	if (n->kind == Q_PREFIX)
		return 1;
	if (n->kind != Q_BOOL)
		return n->nstems;
	for (size_t k = 0; k < n->nkids; k++)
		c += count_terms(n->kids[k]);
	return c;
}

int q_parse(ana *a, const char *s, size_t len, int mode, query *out)
{
	qp p;
	int rc;

	if (!out)
		return LEDE_EINVAL;
	memset(out, 0, sizeof(*out));
	out->sort = -1;
	if (!a || (!s && len) || (mode != Q_PLAIN && mode != Q_SYNTAX))
		return LEDE_EINVAL;
	if (len > (mode == Q_PLAIN ? Q_PLAIN_MAX_BYTES : Q_MAX_BYTES))
		return LEDE_ETOOBIG;
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.s = s ? s : "";
	p.len = len;
	p.q = out;
	if (mode == Q_PLAIN) {
		plain c = { NULL, 0, p.s };

		c.root = node_new(Q_BOOL);
		if (!c.root)
			return LEDE_ENOMEM;
		out->root = c.root;
		rc = ana_text(a, p.s, len, 0, on_plain, &c, NULL);
		if (rc)
			goto out;
	} else {
		rc = parse_group(&p, 0, 0, &out->root);
		if (rc)
			goto out;
		lift_root(out->root);
		merge_top(out->root);
	}
	out->nterms = count_terms(out->root);
	if (out->nterms > (mode == Q_PLAIN ? Q_PLAIN_MAX_TERMS : Q_MAX_TERMS))
		rc = LEDE_ETOOBIG;
out:
	if (rc)
		q_free(out);
	return rc;
}

void q_free(query *q)
{
	if (!q)
		return;
	node_free(q->root);
	memset(q, 0, sizeof(*q));
	q->sort = -1;
}

/* ---- dates ------------------------------------------------------------ */

static int month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* The number in s[0..n) of ASCII digits only, -1 otherwise. */
static int digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int q_date(const char *s, size_t len, int end, int32_t *ymd)
{
	int y, m, d;

	if (!s || !ymd || (len != 4 && len != 7 && len != 10))
		return LEDE_EINVAL;
	if ((len >= 7 && s[4] != '-') || (len == 10 && s[7] != '-'))
		return LEDE_EINVAL;
	y = digits(s, 4);
	if (y < 1000)
		return LEDE_EINVAL;
	m = len >= 7 ? digits(s + 5, 2) : end ? 12 : 1;
	if (m < 1 || m > 12)
		return LEDE_EINVAL;
	d = len == 10 ? digits(s + 8, 2) : end ? month_days(y, m) : 1;
	if (d < 1 || d > month_days(y, m))
		return LEDE_EINVAL;
	*ymd = (int32_t)(y * 10000 + m * 100 + d);
	return 0;
}

/* ---- dump ------------------------------------------------------------- */

typedef struct dbuf {
	char *o;
	size_t cap, n;
	int cut;
} dbuf;

/* Append s[0..n); when it does not fit, stop for good at the last whole
 * UTF-8 character (the dump may end up in JSON). */
static void d_add(dbuf *d, const char *s, size_t n)
{
	size_t room, k;

	if (d->cut || d->cap == 0)
		return;
	room = d->cap - 1 - d->n;
	if (n > room) {
		n = room;
		d->cut = 1;
	}
	memcpy(d->o + d->n, s, n);
	d->n += n;
	if (d->cut) {
		k = d->n;
		while (k > 0 && ((unsigned char)d->o[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)d->o[k - 1] >= 0xc0) {
			unsigned char c = (unsigned char)d->o[k - 1];
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			if (d->n - (k - 1) < need)
				d->n = k - 1;
		}
	}
	d->o[d->n] = '\0';
}

static void d_str(dbuf *d, const char *s)
{
	if (s)
		d_add(d, s, strlen(s));
}

static void dump_node(dbuf *d, const q_node *n, int depth)
{
	char tmp[48];

	if (n->occur == Q_MUST)
		d_str(d, "+");
	else if (n->occur == Q_MUST_NOT)
		d_str(d, "-");
	if (n->kind != Q_BOOL && n->field == Q_TITLE)
		d_str(d, "title:");
	switch (n->kind) {
	case Q_TERM:
		if (n->nstems > 0)
			d_str(d, n->stems[0]);
		break;
	case Q_PHRASE:
		d_str(d, "\"");
		for (size_t i = 0; i < n->nstems; i++) {
			if (i)
				d_str(d, " ");
			d_str(d, n->stems[i]);
		}
		d_str(d, "\"");
		break;
	case Q_PREFIX:
		d_str(d, n->text);
		d_str(d, "*");
		break;
	case Q_BOOL:
		d_str(d, "(");
		if (depth > 4 * Q_MAX_DEPTH) {
			d_str(d, "...");   /* not a tree q_parse makes */
		} else {
			for (size_t i = 0; i < n->nkids; i++) {
				if (i)
					d_str(d, " ");
				dump_node(d, n->kids[i], depth + 1);
			}
		}
		d_str(d, ")");
		break;
	}
	if (n->boost != 1) {
		snprintf(tmp, sizeof(tmp), "^%g", n->boost);
		d_str(d, tmp);
	}
}

void q_dump(const query *q, char *out, size_t cap)
{
	dbuf d = { out, cap, 0, 0 };
	char tmp[48];

	if (!out || cap == 0)
		return;
	out[0] = '\0';
	if (!q || !q->root)
		return;
	dump_node(&d, q->root, 0);
	if (q->from) {
		snprintf(tmp, sizeof(tmp), " from:%08ld", (long)q->from);
		d_str(&d, tmp);
	}
	if (q->to) {
		snprintf(tmp, sizeof(tmp), " to:%08ld", (long)q->to);
		d_str(&d, tmp);
	}
	if (q->sort == Q_SORT_DATE)
		d_str(&d, " sort:date");
	else if (q->sort == Q_SORT_RELEVANCE)
		d_str(&d, " sort:relevance");
}
