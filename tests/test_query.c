/*
 * test_query.c - unit tests for the query parser (searcher/query.c):
 * each element of the syntax, stemming through the English analysis,
 * plain mode, the forgiving readings of malformed input, the caps,
 * dates, nesting and its depth bound, q_dump, and hostile input. Every
 * parse is checked against the tree invariants of query.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../searcher/query.h"
#include "t.h"

static ana *A;
static char D[4096];     /* the last dump, or "ERR <code>" */

/* The tree invariants of query.c; adds the stems to *terms and the
 * deepest leaf to *maxd. */
static int tree_ok(const q_node *n, int depth, int is_root, size_t *terms,
		   int *maxd)
{
	if (!n || depth > Q_MAX_DEPTH + 2 || !(n->boost > 0))
		return 0;
	if (n->occur < Q_SHOULD || n->occur > Q_MUST_NOT)
		return 0;
	if (n->kind != Q_BOOL && depth > *maxd)
		*maxd = depth;
	switch (n->kind) {
	case Q_BOOL:
		if (n->nstems || (is_root && n->occur != Q_SHOULD))
			return 0;
		if (!is_root && (n->nkids == 0 ||
				 (n->nkids == 1 &&
				  n->kids[0]->occur != Q_MUST_NOT)))
			return 0;
		for (size_t i = 0; i < n->nkids; i++)
			if (!tree_ok(n->kids[i], depth + 1, 0, terms, maxd))
				return 0;
		return 1;
	case Q_TERM:
	case Q_PHRASE:
		if ((n->kind == Q_TERM) != (n->nstems == 1) || n->nstems == 0)
			return 0;
		if (n->kind == Q_PHRASE && (!n->rel || n->rel[0] != 0))
			return 0;
		for (size_t i = 0; i < n->nstems; i++) {
			const char *st = n->stems[i];

			if (!st || !*st)
				return 0;
			for (; *st; st++)
				if ((unsigned char)*st < 0x20)
					return 0;
			if (i && n->rel[i] <= n->rel[i - 1])
				return 0;
		}
		*terms += n->nstems;
		return n->nkids == 0;
	case Q_PREFIX:
		if (!n->text || strlen(n->text) < Q_PREFIX_MIN || n->nstems)
			return 0;
		*terms += 1;
		return 1;
	}
	return 0;
}

static int Maxd;   /* deepest leaf of the last parse */

/* Parse, check the invariants (one count per parse) and dump into D. */
static const char *pq(const char *s, size_t len, int mode)
{
	query q;
	size_t terms = 0;
	int rc;

	memset(&q, 0x5a, sizeof(q));   /* q_parse must not read it */
	rc = q_parse(A, s, len, mode, &q);
	Maxd = 0;
	if (rc) {
		CHECK(q.root == NULL);
		snprintf(D, sizeof(D), "ERR %d", rc);
		q_free(&q);
		return D;
	}
	CHECK(q.root && q.root->kind == Q_BOOL &&
	      tree_ok(q.root, 0, 1, &terms, &Maxd) && terms == q.nterms &&
	      q.nterms <= (mode == Q_PLAIN ? Q_PLAIN_MAX_TERMS : Q_MAX_TERMS));
	q_dump(&q, D, sizeof(D));
	q_free(&q);
	return D;
}

static const char *syn(const char *s)
{
	return pq(s, strlen(s), Q_SYNTAX);
}

static const char *pln(const char *s)
{
	return pq(s, strlen(s), Q_PLAIN);
}

static char *rep(const char *unit, int times, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(ul * (size_t)times + tl + 1);

	if (!s)
		abort();
	for (int i = 0; i < times; i++)
		memcpy(s + ul * (size_t)i, unit, ul);
	memcpy(s + ul * (size_t)times, tail, tl + 1);
	return s;
}

static void test_words(void)
{
	CHECK_STR(syn(""), "()");
	CHECK_STR(syn("   \t\n "), "()");
	CHECK_STR(syn("nso pegasus"), "(nso pegasus)");
	CHECK_STR(syn("Sanctions"), "(sanction)");
	CHECK_STR(syn("sanctioned prices"), "(sanction price)");
	CHECK_STR(syn("Café"), "(cafe)");
	CHECK_STR(syn("the oil"), "(the oil)");         /* stopwords kept */
	CHECK_STR(syn("brent and oil"), "(brent and oil)");  /* a word */
	CHECK_STR(syn("brent or oil"), "(brent or oil)");
	CHECK_STR(syn("O'Brien"), "(o'brien)");
	CHECK_STR(syn("12:48"), "(12:48)");
	CHECK_STR(syn("http://x.com"), "(\"http x com\")");
	CHECK_STR(syn("weird:thing"), "(\"weird thing\")");
	CHECK_STR(syn("al-Assad"), "(\"al assad\")");
	CHECK_STR(syn("e-mail spam"), "(\"e mail\" spam)");
	CHECK_STR(syn("3.5-inch"), "(\"3.5 inch\")");
	CHECK_STR(syn("!!! ... ???"), "()");
	CHECK_STR(syn("oil , price"), "(oil price)");
}

static void test_tree_fields(void)
{
	query q;
	const q_node *k;

	CHECK_INT(q_parse(A, "Sanctions sanc* \"Jamal Khashoggi\"", 33,
			  Q_SYNTAX, &q), 0);
	CHECK_INT(q.root->nkids, 3);
	CHECK_INT(q.nterms, 4);
	CHECK_INT(q.sort, -1);
	CHECK_INT(q.from, 0);
	CHECK_INT(q.to, 0);
	k = q.root->kids[0];
	CHECK_INT(k->kind, Q_TERM);
	CHECK_INT(k->occur, Q_SHOULD);
	CHECK_INT(k->field, Q_MAIN);
	CHECK(k->boost == 1);
	CHECK_STR(k->text, "Sanctions");
	CHECK_STR(k->stems[0], "sanction");
	k = q.root->kids[1];
	CHECK_INT(k->kind, Q_PREFIX);
	CHECK_STR(k->text, "sanc");
	CHECK_INT(k->nstems, 0);
	k = q.root->kids[2];
	CHECK_INT(k->kind, Q_PHRASE);
	CHECK_STR(k->text, "Jamal Khashoggi");
	CHECK_INT(k->nstems, 2);
	CHECK(k->rel[0] == 0 && k->rel[1] == 1);
	q_free(&q);
	CHECK(q.root == NULL);
	q_free(&q);      /* twice is harmless */
	q_free(NULL);

	/* phrase positions: stopwords keep their place, an over-long
	 * token leaves a gap */
	{
		char s[128];

		snprintf(s, sizeof(s), "\"killed in %s the saudi\"",
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			 "xxxxxxxxxxxxxxxxxxxxxxxxx");
		CHECK_INT(q_parse(A, s, strlen(s), Q_SYNTAX, &q), 0);
		k = q.root->kids[0];
		CHECK_INT(k->kind, Q_PHRASE);
		CHECK_INT(k->nstems, 4);
		CHECK(k->rel[0] == 0 && k->rel[1] == 1 && k->rel[2] == 3 &&
		      k->rel[3] == 4);
		q_free(&q);
	}

	/* repeats add up in the first node */
	CHECK_INT(q_parse(A, "bank banks oil BANK", 19, Q_SYNTAX, &q), 0);
	CHECK_INT(q.root->nkids, 2);
	CHECK(q.root->kids[0]->boost == 3);
	CHECK_STR(q.root->kids[0]->text, "bank");
	CHECK_INT(q.nterms, 2);
	q_free(&q);

	/* title fields */
	CHECK_INT(q_parse(A, "title:UN -title:\"a b\"", 21, Q_SYNTAX, &q),
		  0);
	CHECK_INT(q.root->kids[0]->field, Q_TITLE);
	CHECK_STR(q.root->kids[0]->stems[0], "un");
	CHECK_INT(q.root->kids[1]->field, Q_TITLE);
	CHECK_INT(q.root->kids[1]->occur, Q_MUST_NOT);
	CHECK_INT(q.root->kids[1]->kind, Q_PHRASE);
	q_free(&q);
}

static void test_operators(void)
{
	CHECK_STR(syn("+nso pegasus -apple"), "(+nso pegasus -appl)");
	CHECK_STR(syn("pegasus NOT apple"), "(pegasus -appl)");
	CHECK_STR(syn("NOT(apple)"), "(-appl)");
	CHECK_STR(syn("pegasus AND apple"), "(+pegasus +appl)");
	CHECK_STR(syn("brent OR lawsuit"), "(brent lawsuit)");
	CHECK_STR(syn("oil AND price AND brent"), "(+oil +price +brent)");
	/* AND binds tighter than juxtaposition and OR */
	CHECK_STR(syn("oil prices AND brent opec"),
		  "(oil (+price +brent) opec)");
	CHECK_STR(syn("oil AND price OR brent AND opec"),
		  "((+oil +price) (+brent +opec))");
	/* the prefix belongs to the whole chain */
	CHECK_STR(syn("-oil AND price"), "(-(+oil +price))");
	CHECK_STR(syn("x +oil AND price"), "(x +(+oil +price))");
	/* an operand may be excluded on its own */
	CHECK_STR(syn("oil AND NOT price"), "(+oil -price)");
	CHECK_STR(syn("oil AND -price"), "(+oil -price)");
	CHECK_STR(syn("oil AND +price"), "(+oil +price)");
	CHECK_STR(syn("\"jamal khashoggi\" AND saudi"),
		  "(+\"jamal khashoggi\" +saudi)");
	CHECK_STR(syn("+\"jamal khashoggi\""), "(+\"jamal khashoggi\")");
	CHECK_STR(syn("-title:UN oil"), "(-title:un oil)");
	/* the last prefix wins; a second - is part of the word */
	CHECK_STR(syn("--oil"), "(-oil)");
	CHECK_STR(syn("+-oil"), "(+oil)");
	CHECK_STR(syn("NOT +oil"), "(+oil)");
	/* a hyphen inside a word or after ')' is no exclusion */
	CHECK_STR(syn("oil -e-mail"), "(oil -\"e mail\")");
	CHECK_STR(syn("(oil)-price"), "(oil price)");
	CHECK_STR(syn("oil(price)"), "(oil price)");
	CHECK_STR(syn("(-oil)"), "(-oil)");
	/* lowercase operators are words */
	CHECK_STR(syn("oil not price"), "(oil not price)");
	CHECK_STR(syn("oil And price"), "(oil and price)");
	/* a lone exclusion is kept: the evaluator matches nothing */
	CHECK_STR(syn("-saudi"), "(-saudi)");
	CHECK_STR(syn("NOT saudi"), "(-saudi)");
}

static void test_groups(void)
{
	CHECK_STR(syn("khashoggi -(saudi OR UN)"), "(khashoggi -(saudi un))");
	CHECK_STR(syn("(oil (price brent)) opec"),
		  "((oil (price brent)) opec)");
	CHECK_STR(syn("+(oil price) -opec"), "(+(oil price) -opec)");
	CHECK_STR(syn("(oil price)"), "(oil price)");
	CHECK_STR(syn("((oil))"), "(oil)");
	CHECK_STR(syn("(oil AND price)"), "(+oil +price)");
	CHECK_STR(syn("x (+a)"), "(x a)");
	CHECK_STR(syn("x (-a)"), "(x (-a))");
	CHECK_STR(syn("-(-(-oil))"), "(-(-(-oil)))");
	CHECK_STR(syn("(oil price) AND brent"), "(+(oil price) +brent)");
	CHECK_STR(syn("brent AND (oil OR price)"), "(+brent +(oil price))");
	/* empty groups disappear */
	CHECK_STR(syn("() oil"), "(oil)");
	CHECK_STR(syn("(()) oil ( )"), "(oil)");
	CHECK_STR(syn("-() oil"), "(oil)");
	CHECK_STR(syn("oil AND ()"), "(oil)");
	CHECK_STR(syn("(!!! ...)"), "()");
	CHECK_STR(syn("oil AND (-price)"), "(+oil +(-price))");
}

static void test_phrases_fields(void)
{
	CHECK_STR(syn("\"jamal khashoggi\""), "(\"jamal khashoggi\")");
	CHECK_STR(syn("\"Jamal\""), "(jamal)");
	CHECK_STR(syn("\"\" oil"), "(oil)");
	CHECK_STR(syn("\"killed in the saudi\""),
		  "(\"kill in the saudi\")");
	CHECK_STR(syn("\"a (b) AND -c*\""), "(\"a b and c\")");
	CHECK_STR(syn("\xe2\x80\x9cjamal khashoggi\xe2\x80\x9d"),
		  "(\"jamal khashoggi\")");
	CHECK_STR(syn("title:UN"), "(title:un)");
	CHECK_STR(syn("TITLE:Word Title:x"), "(title:word title:x)");
	CHECK_STR(syn("title:\"spyware found\""),
		  "(title:\"spywar found\")");
	CHECK_STR(syn("title:al-Assad"), "(title:\"al assad\")");
	CHECK_STR(syn("title:sanc*"), "(title:sanc*)");
	CHECK_STR(syn("title:12:48"), "(title:12:48)");
	CHECK_STR(syn("title:\"\" oil"), "(oil)");
	/* a field with nothing usable after it is a word */
	CHECK_STR(syn("title:"), "(titl)");
	CHECK_STR(syn("title: oil"), "(titl oil)");
	CHECK_STR(syn("title:\"oil"), "(titl oil)");
	CHECK_STR(syn("title:bank bank title:bank"), "(title:bank^2 bank)");
}

static void test_prefix(void)
{
	CHECK_STR(syn("sanction*"), "(sanction*)");
	CHECK_STR(syn("Sanc*"), "(sanc*)");
	CHECK_STR(syn("CAFÉ*"), "(cafe*)");
	CHECK_STR(syn("sanction**"), "(sanction*)");
	CHECK_STR(syn("oil* oil*"), "(oil* oil*)");   /* not merged */
	/* shorter than Q_PREFIX_MIN: a word */
	CHECK_STR(syn("a*"), "(a)");
	CHECK_STR(syn("ab*"), "(ab*)");
	CHECK_STR(syn("é*"), "(e)");
	/* several tokens: a word (a phrase) */
	CHECK_STR(syn("al-Ass*"), "(\"al ass\")");
	CHECK_STR(syn("foo*bar"), "(\"foo bar\")");
	CHECK_STR(syn("*"), "()");
	CHECK_STR(syn("* oil"), "(oil)");
	CHECK_STR(syn("+sanc* -oil*"), "(+sanc* -oil*)");
}

static void test_filters(void)
{
	CHECK_STR(syn("pegasus from:2021-08"), "(pegasus) from:20210801");
	CHECK_STR(syn("khashoggi from:2019 to:2019"),
		  "(khashoggi) from:20190101 to:20191231");
	CHECK_STR(syn("to:2019-02 x"), "(x) to:20190228");
	CHECK_STR(syn("to:2020-02 x"), "(x) to:20200229");
	CHECK_STR(syn("to:1900-02 x"), "(x) to:19000228");
	CHECK_STR(syn("to:2000-02 x"), "(x) to:20000229");
	CHECK_STR(syn("to:2019-03-07"), "() to:20190307");
	CHECK_STR(syn("khashoggi sort:date"), "(khashoggi) sort:date");
	CHECK_STR(syn("sort:relevance oil"), "(oil) sort:relevance");
	CHECK_STR(syn("SORT:Date FROM:2019 oil"),
		  "(oil) from:20190101 sort:date");
	/* anywhere, and global */
	CHECK_STR(syn("(oil from:2019)"), "(oil) from:20190101");
	CHECK_STR(syn("x -(oil sort:date)"), "(x -oil) sort:date");
	CHECK_STR(syn("oil AND from:2019 AND price"),
		  "(+oil +price) from:20190101");
	CHECK_STR(syn("from:2019 AND oil"), "(oil) from:20190101");
	CHECK_STR(syn("-from:2019 oil"), "(oil) from:20190101");
	CHECK_STR(syn("from:2018 from:2019"), "() from:20190101");
	/* invalid values are words */
	CHECK_STR(syn("from:2019-13-40"), "(\"from 2019 13 40\")");
	CHECK_STR(syn("sort:foo"), "(\"sort foo\")");
	CHECK_STR(syn("from:"), "(from)");
	CHECK_STR(syn("to:2019-02-29 x"), "(\"to 2019 02 29\" x)");
	CHECK_STR(syn("from:0000-00-00"), "(\"from 0000 00 00\")");
}

static void test_dates(void)
{
	int32_t d = 0;

#define DATE(s, end, want) do { d = -1; \
	CHECK(q_date(s, strlen(s), end, &d) == 0 && d == (want)); } while (0)
#define BAD(s) do { d = 7; \
	CHECK(q_date(s, strlen(s), 0, &d) < 0 && d == 7); } while (0)
	DATE("2019", 0, 20190101);
	DATE("2019", 1, 20191231);
	DATE("2019-02", 0, 20190201);
	DATE("2019-02", 1, 20190228);
	DATE("2020-02", 1, 20200229);
	DATE("2000-02", 1, 20000229);
	DATE("1900-02", 1, 19000228);
	DATE("2019-04", 1, 20190430);
	DATE("2019-03-07", 0, 20190307);
	DATE("2019-03-07", 1, 20190307);
	DATE("2020-02-29", 0, 20200229);
	DATE("2000-02-29", 1, 20000229);
	DATE("1000-01-01", 0, 10000101);
	DATE("9999-12-31", 1, 99991231);
	BAD("1900-02-29");
	BAD("2019-02-29");
	BAD("2019-04-31");
	BAD("2019-13");
	BAD("2019-00");
	BAD("2019-01-00");
	BAD("2019-01-32");
	BAD("0999");
	BAD("999");
	BAD("10000");
	BAD("2019-1-1");
	BAD("2019/01/01");
	BAD("201a");
	BAD("2019-");
	BAD("");
	BAD("-2019");
	BAD("2019-03-07x");
	CHECK(q_date(NULL, 4, 0, &d) < 0);
	CHECK(q_date("2019", 4, 0, NULL) < 0);
	/* not NUL-terminated: only len counts */
	DATE("2019-03-07", 0, 20190307);
	d = 0;
	CHECK(q_date("2019-03-07", 7, 1, &d) == 0 && d == 20190331);
#undef DATE
#undef BAD
}

static void test_plain(void)
{
	CHECK_STR(pln(""), "()");
	CHECK_STR(pln("nso pegasus"), "(nso pegasus)");
	CHECK_STR(pln("bank banks Bank oil"), "(bank^3 oil)");
	CHECK_STR(pln("+nso -apple AND \"x y\" title:z (a) from:2019 "
		      "sort:date sanc*"),
		  "(nso appl and x y titl z a from 2019 sort date sanc)");
	CHECK_STR(pln("al-Assad"), "(al assad)");
	CHECK_STR(pln("OR NOT"), "(or not)");
	CHECK_STR(pln("((("), "()");
	CHECK_STR(pln("oil \"price"), "(oil price)");
}

static void test_forgiving(void)
{
	CHECK_STR(syn("\"jamal khashoggi saudi"),
		  "(jamal khashoggi saudi)");
	CHECK_STR(syn("a \"b c\" \"d"), "(a \"b c\" d)");
	CHECK_STR(syn("jamal khashoggi\""), "(jamal khashoggi)");
	CHECK_STR(syn("\"-oil"), "(-oil)");
	CHECK_STR(syn("(brent"), "(brent)");
	CHECK_STR(syn("(brent (oil"), "(brent oil)");
	CHECK_STR(syn("brent)"), "(brent)");
	CHECK_STR(syn(") brent ) ) oil"), "(brent oil)");
	CHECK_STR(syn("brent AND"), "(brent)");
	CHECK_STR(syn("AND brent"), "(brent)");
	CHECK_STR(syn("OR brent OR"), "(brent)");
	CHECK_STR(syn("brent AND AND oil"), "(+brent +oil)");
	CHECK_STR(syn("brent OR OR oil"), "(brent oil)");
	CHECK_STR(syn("oil AND OR price"), "(oil price)");
	CHECK_STR(syn("oil AND ) price"), "(oil price)");
	CHECK_STR(syn("(oil AND) price"), "(oil price)");
	CHECK_STR(syn("NOT"), "()");
	CHECK_STR(syn("oil NOT"), "(oil)");
	CHECK_STR(syn("oil NOT NOT"), "(oil)");
	CHECK_STR(syn("+ oil"), "(oil)");
	CHECK_STR(syn("- oil"), "(oil)");
	CHECK_STR(syn("oil -"), "(oil)");
	CHECK_STR(syn("oil +"), "(oil)");
	CHECK_STR(syn("+"), "()");
	CHECK_STR(syn("-"), "()");
	CHECK_STR(syn("AND OR NOT"), "()");
	CHECK_STR(syn("+ - * :"), "()");
	CHECK_STR(syn("\"\"\"\"\"\""), "()");
	CHECK_STR(syn("\""), "()");
	CHECK_STR(syn(")"), "()");
	CHECK_STR(syn("sort:"), "(sort)");
	CHECK_STR(syn("-(oil"), "(-oil)");
	CHECK_STR(syn("oil -)"), "(oil)");
}

static void test_hostile(void)
{
	char *s;

	CHECK_STR(syn("caf\xc3\xa9 \xff\xfe oil"), "(cafe oil)");
	CHECK_STR(syn("\xff"), "()");
	CHECK_STR(syn("oil\xc0price"), "(\"oil price\")");
	CHECK_STR(syn("\xe2\x80"), "()");          /* cut character */
	CHECK_STR(syn("oil \xe2\x80\x9c"), "(oil)");  /* lone smart quote */
	CHECK_STR(pq("oil\0price", 9, Q_SYNTAX), "(oil price)");
	CHECK_STR(pq("\"oil\0price\"", 11, Q_SYNTAX), "(\"oil price\")");
	CHECK_STR(pq("\0\0\0", 3, Q_SYNTAX), "()");
	CHECK_STR(pq("oil\0price", 9, Q_PLAIN), "(oil price)");
	CHECK_STR(pq(NULL, 0, Q_SYNTAX), "()");
	/* Unicode spaces separate words: no phrase */
	CHECK_STR(syn("oil\xc2\xa0price\xe3\x80\x80opec"),
		  "(oil price opec)");
	CHECK_STR(syn("oil\xc2\xa0-price"), "(oil -price)");
	CHECK_STR(syn("!@#$%^&*()_+{}|:<>?~`"), "()");
	CHECK_STR(syn("to:9999-99-99 oil"), "(\"to 9999 99 99\" oil)");

	s = rep("(", 1024, "");
	CHECK_STR(syn(s), "()");
	free(s);
	s = rep(")", 1024, "");
	CHECK_STR(syn(s), "()");
	free(s);
	s = rep("(", 1021, "oil");
	CHECK_STR(syn(s), "(oil)");
	free(s);
	s = rep("-(", 500, "oil");
	CHECK(strncmp(syn(s), "(-(-(", 5) == 0);
	CHECK(Maxd <= Q_MAX_DEPTH + 2);
	free(s);
	s = rep("NOT ", 256, "");
	CHECK_STR(syn(s), "()");
	free(s);
	s = rep("\"", 1024, "");
	CHECK_STR(syn(s), "()");
	free(s);
	s = rep("AND ", 256, "");
	CHECK_STR(syn(s), "()");
	free(s);
	s = rep("(a) OR ", 146, "");
	CHECK_STR(syn(s), "(a^146)");
	free(s);
	s = rep("(a) AND ", 64, "");
	CHECK(strncmp(syn(s), "(+a +a +a ", 10) == 0);   /* 64 stems */
	free(s);
	s = rep("(a) AND ", 65, "");
	CHECK_STR(syn(s), "ERR -6");   /* a chain's kids do not merge */
	free(s);
	s = rep("(", 10000, "");
	CHECK_STR(syn(s), "ERR -6");
	free(s);
}

/* Random strings of query-ish pieces: whatever comes, a valid tree or
 * LEDE_ETOOBIG, and nothing leaks (ASan). */
static void test_fuzz(void)
{
	static const char *piece[] = {
		"(", ")", "\"", "+", "-", "*", ":", " ", " ", " ", "AND",
		"OR", "NOT", "title:", "from:", "to:", "sort:", "2019",
		"-03", "date", "oil", "Price", "al-Assad", "\xff", "\xc3\xa9",
		"\xe2\x80\x9c", "\xc2\xa0", "12:48", "x", "sanc", "\t", ".",
		"\xe2\x80\x9d", "Ωmega"
	};
	const size_t np = sizeof(piece) / sizeof(piece[0]);
	uint32_t seed = 12345;
	int bad = 0, parsed = 0;
	char s[1100];

	for (int it = 0; it < 4000; it++) {
		size_t n = 0, want;
		query q;
		int rc;

		seed = seed * 1103515245u + 12345u;
		want = (seed >> 8) % 200;
		while (n < want) {
			const char *pc;
			size_t l;

			seed = seed * 1103515245u + 12345u;
			pc = piece[(seed >> 8) % np];
			l = strlen(pc);
			if (n + l > sizeof(s))
				break;
			memcpy(s + n, pc, l);
			n += l;
		}
		if ((seed >> 20) % 7 == 0 && n > 0)
			s[(seed >> 4) % n] = '\0';   /* a NUL somewhere */
		rc = q_parse(A, s, n, it % 3 ? Q_SYNTAX : Q_PLAIN, &q);
		if (rc == 0) {
			size_t terms = 0;
			int md = 0;

			parsed++;
			if (!tree_ok(q.root, 0, 1, &terms, &md) ||
			    terms != q.nterms)
				bad++;
			q_dump(&q, D, sizeof(D));
			if (strlen(D) == 0 || D[0] != '(')
				bad++;
		} else if (rc != LEDE_ETOOBIG || q.root) {
			bad++;
		}
		q_free(&q);
	}
	CHECK_INT(bad, 0);
	CHECK(parsed > 3000);
}

static void test_depth(void)
{
	char s[1024];
	size_t n = 0;

	/* w1 (w2 (w3 ... (w20))): groups open down to tree depth
	 * Q_MAX_DEPTH; deeper parentheses are ignored */
	for (int i = 1; i <= 20; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%sw%d ",
				      i > 1 ? "(" : "", i);
	for (int i = 1; i < 20; i++)
		s[n++] = ')';
	s[n] = '\0';
	syn(s);
	CHECK_INT(Maxd, Q_MAX_DEPTH + 1);
	CHECK(strstr(D, "(w16 (w17 w18 w19 w20))") != NULL);

	/* 16 groups of one word each fold into the word */
	n = 0;
	for (int i = 0; i < 16; i++)
		s[n++] = '(';
	memcpy(s + n, "oil price", 9);
	n += 9;
	for (int i = 0; i < 16; i++)
		s[n++] = ')';
	s[n] = '\0';
	CHECK_STR(syn(s), "(oil price)");

	/* AND chains inside groups, the group first or last in the chain:
	 * each level takes two tree levels, and still no leaf goes below
	 * Q_MAX_DEPTH + 2 (the evaluator's bound) */
	n = 0;
	for (int i = 1; i <= 20; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "x%d y%d AND (",
				      i, i);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "end");
	for (int i = 1; i <= 20; i++)
		s[n++] = ')';
	s[n] = '\0';
	syn(s);
	CHECK(D[0] == '(' && Maxd <= Q_MAX_DEPTH + 2 && Maxd >= Q_MAX_DEPTH);
	n = 0;
	for (int i = 1; i <= 20; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "(x%d ", i);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "end");
	for (int i = 20; i >= 1; i--)
		n += (size_t)snprintf(s + n, sizeof(s) - n, ") AND y%d", i);
	s[n] = '\0';
	syn(s);
	CHECK(D[0] == '(' && Maxd <= Q_MAX_DEPTH + 2 && Maxd >= Q_MAX_DEPTH);
	CHECK(strstr(D, "y20") != NULL && strstr(D, "x20") != NULL);
	/* ignored parentheses are transparent: (a) AND b stays a chain */
	n = 0;
	for (int i = 1; i <= 18; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "(w%d ", i);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "(aa) AND bb");
	for (int i = 1; i <= 18; i++)
		s[n++] = ')';
	s[n] = '\0';
	syn(s);
	CHECK(strstr(D, "(+aa +bb)") != NULL);
	CHECK(Maxd <= Q_MAX_DEPTH + 2);
}

static void test_caps(void)
{
	char s[2048];
	size_t n;
	query q;

	/* bytes */
	memset(s, 'a', 1025);
	s[1025] = '\0';
	for (int i = 0; i < 1025; i += 4)
		s[i] = ' ';
	CHECK_STR(pq(s, 1025, Q_SYNTAX), "ERR -6");
	CHECK_STR(pq(s, 1025, Q_PLAIN), "(aaa^256)");   /* topics: 8 KiB */
	CHECK_STR(pq(s, 1024, Q_SYNTAX), "(aaa^256)");
	{
		char *o = rep("oil ", 256, "");

		CHECK_STR(pq(o, 1024, Q_PLAIN), "(oil^256)");
		free(o);
	}

	/* distinct stems */
	n = 0;
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "w%d ", i);
	CHECK_INT(q_parse(A, s, n, Q_SYNTAX, &q), 0);
	CHECK_INT(q.nterms, 64);
	q_free(&q);
	CHECK_INT(q_parse(A, s, n, Q_PLAIN, &q), 0);
	CHECK_INT(q.nterms, 64);
	q_free(&q);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "w64");
	CHECK_STR(pq(s, n, Q_SYNTAX), "ERR -6");
	CHECK_INT(q_parse(A, s, n, Q_PLAIN, &q), 0);    /* topics: 256 */
	CHECK_INT(q.nterms, 65);
	q_free(&q);
	{
		/* 256 distinct words pass in plain mode, 257 do not; 8 KiB
		 * of bytes pass, one more does not */
		char *big = malloc(Q_PLAIN_MAX_BYTES + 2);
		size_t bn = 0;

		if (!big) {
			CHECK(!"malloc");
			return;
		}
		for (int i = 0; i < 256; i++)
			bn += (size_t)snprintf(big + bn, 64, "x%d ", i);
		CHECK_INT(q_parse(A, big, bn, Q_PLAIN, &q), 0);
		CHECK_INT(q.nterms, 256);
		q_free(&q);
		bn += (size_t)snprintf(big + bn, 64, "x256");
		CHECK_STR(pq(big, bn, Q_PLAIN), "ERR -6");
		memset(big, ' ', Q_PLAIN_MAX_BYTES + 1);
		memcpy(big, "oil", 3);
		CHECK_STR(pq(big, Q_PLAIN_MAX_BYTES, Q_PLAIN), "(oil)");
		CHECK_STR(pq(big, Q_PLAIN_MAX_BYTES + 1, Q_PLAIN), "ERR -6");
		free(big);
	}
	/* a repeat is one term; inside a group it is not merged */
	n = 0;
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "w%d ", i);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "w0 w0 W0");
	CHECK(strncmp(pq(s, n, Q_SYNTAX), "(w0^4 ", 6) == 0);
	CHECK(strncmp(pq(s, n, Q_PLAIN), "(w0^4 ", 6) == 0);
	n = (size_t)snprintf(s, sizeof(s), "zz (");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "w%d ", i % 60);
	CHECK(strncmp(pq(s + 4, n - 4, Q_SYNTAX), "(w0^2 ", 6) == 0);
	s[n - 1] = ')';
	CHECK_STR(pq(s, n, Q_SYNTAX), "ERR -6");
	/* the whole query in parentheses is the top level: merged */
	CHECK(strncmp(pq(s + 3, n - 3, Q_SYNTAX), "(w0^2 ", 6) == 0);
	CHECK_STR(pq(s + 3, n - 3, Q_PLAIN),
		  "(w0^2 w1^2 w2^2 w3^2 w4^2 w5 w6 w7 w8 w9 w10 w11 w12 "
		  "w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 "
		  "w24 w25 w26 w27 w28 w29 w30 w31 w32 w33 w34 w35 w36 w37 w38 "
		  "w39 w40 w41 w42 w43 w44 w45 w46 w47 w48 w49 w50 w51 w52 w53 "
		  "w54 w55 w56 w57 w58 w59)");
	/* one phrase of 65 stems; a phrase of 64 */
	n = 0;
	s[n++] = '"';
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "w%d ", i);
	s[n++] = '"';
	CHECK_STR(pq(s, n, Q_SYNTAX), "ERR -6");
	CHECK_STR(pq(s + 1, n - 1, Q_SYNTAX), "ERR -6");  /* unbalanced */
	n = 0;
	s[n++] = '"';
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "w%d ", i);
	s[n++] = '"';
	CHECK_INT(q_parse(A, s, n, Q_SYNTAX, &q), 0);
	CHECK_INT(q.nterms, 64);
	CHECK_INT(q.root->kids[0]->nstems, 64);
	q_free(&q);
	/* a prefix counts as one */
	n = 0;
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "p%d* ", i);
	CHECK_STR(pq(s, n, Q_SYNTAX), "ERR -6");
	CHECK_INT(q_parse(A, s, n - 5, Q_SYNTAX, &q), 0);
	CHECK_INT(q.nterms, 64);
	CHECK_INT(q.root->kids[0]->kind, Q_PREFIX);
	q_free(&q);
	/* a title word and a main word are two terms */
	n = 0;
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "w%d title:w%d ",
				      i, i);
	CHECK_STR(pq(s, n, Q_SYNTAX), "ERR -6");
}

static void test_args_dump(void)
{
	query q;
	char small[8];

	CHECK_INT(q_parse(NULL, "oil", 3, Q_SYNTAX, &q), LEDE_EINVAL);
	CHECK(q.root == NULL);
	CHECK_INT(q_parse(A, "oil", 3, 7, &q), LEDE_EINVAL);
	CHECK_INT(q_parse(A, NULL, 3, Q_SYNTAX, &q), LEDE_EINVAL);
	CHECK_INT(q_parse(A, "oil", 3, Q_SYNTAX, NULL), LEDE_EINVAL);

	/* a failed or empty query dumps as nothing */
	memset(&q, 0, sizeof(q));
	strcpy(D, "junk");
	q_dump(&q, D, sizeof(D));
	CHECK_STR(D, "");
	q_dump(NULL, D, sizeof(D));
	CHECK_STR(D, "");

	/* truncation: NUL-terminated, never inside a character */
	CHECK_INT(q_parse(A, "nso pegasus sort:date", 21, Q_SYNTAX, &q), 0);
	q_dump(&q, small, 5);
	CHECK_STR(small, "(nso");
	q_dump(&q, small, 1);
	CHECK_STR(small, "");
	small[0] = 'x';
	q_dump(&q, small, 0);
	CHECK(small[0] == 'x');
	q_dump(&q, D, sizeof(D));
	CHECK_STR(D, "(nso pegasus) sort:date");
	q_free(&q);
	CHECK_INT(q_parse(A, "ωω", strlen("ωω"), Q_SYNTAX, &q), 0);
	q_dump(&q, small, 5);
	CHECK_STR(small, "(ω");
	q_dump(&q, small, 4);
	CHECK_STR(small, "(ω");
	q_dump(&q, small, 6);
	CHECK_STR(small, "(ωω");
	q_dump(&q, small, 7);
	CHECK_STR(small, "(ωω)");

	/* boosts of any value show; a node the caller adds is dumped */
	q.root->kids[0]->boost = 0.25;
	q_dump(&q, D, sizeof(D));
	CHECK_STR(D, "(ωω^0.25)");
	q_free(&q);

	/* the example of query.h */
	CHECK_STR(syn("+nso pegasus -apple title:\"Jamal Khashoggi\" "
		      "sanction* title:word from:2019 to:2019 sort:date"),
		  "(+nso pegasus -appl title:\"jamal khashoggi\" sanction* "
		  "title:word) from:20190101 to:20191231 sort:date");
}

int main(void)
{
	int rc = ana_new("english", &A);

	CHECK_INT(rc, 0);
	if (rc)
		return t_done("test_query");
	test_words();
	test_tree_fields();
	test_operators();
	test_groups();
	test_phrases_fields();
	test_prefix();
	test_filters();
	test_dates();
	test_plain();
	test_forgiving();
	test_hostile();
	test_fuzz();
	test_depth();
	test_caps();
	test_args_dump();
	ana_free(A);
	return t_done("test_query");
}
