/*
 * test_tok.c - unit tests for the tokenizer (common/tok.c): folding,
 * apostrophes, hyphens, digit separators, scripts, over-long tokens,
 * invalid UTF-8, offsets into the original text and positions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "../common/tok.h"
#include "t.h"

#define MAXT 64

/* The tokens of one text, copied out of the tokenizer. */
typedef struct toks {
	int n;
	char text[MAXT][TOK_MAX_BYTES + 1];
	uint32_t pos[MAXT];
	size_t start[MAXT], end[MAXT];
	uint32_t next_pos;
	int rc;   /* the last tok_next return: >0 for a clean end */
} toks;

static tok *T;

/* Tokenize text[0..len) from position 0, checking every token's
 * invariants on the way. */
static void run_len(const char *text, size_t len, toks *r)
{
	tok_token tk;
	int rc, bad = 0;
	uint32_t last_pos = 0;

	memset(r, 0, sizeof(*r));
	tok_reset(T, text, len, 0);
	while ((rc = tok_next(T, &tk)) == 0) {
		if (r->n > 0 && tk.pos <= last_pos)
			bad = 1;   /* positions strictly increase */
		last_pos = tk.pos;
		if (tk.len < 1 || tk.len > TOK_MAX_BYTES ||
		    strlen(tk.text) != tk.len || tk.start >= tk.end ||
		    tk.end > len)
			bad = 1;
		for (size_t k = 0; k < tk.len; k++)
			if ((unsigned char)tk.text[k] < 0x20)
				bad = 1;
		if (r->n < MAXT) {
			memcpy(r->text[r->n], tk.text, tk.len + 1);
			r->pos[r->n] = tk.pos;
			r->start[r->n] = tk.start;
			r->end[r->n] = tk.end;
		}
		r->n++;
	}
	CHECK(!bad);   /* one count per text for the per-token invariants */
	r->rc = rc;
	r->next_pos = tok_pos(T);
}

static void run(const char *text, toks *r)
{
	run_len(text, strlen(text), r);
}

/* Tokens joined with spaces, positions ignored. */
static const char *joined(const char *text)
{
	static char out[4096];
	toks r;
	size_t o = 0;

	run(text, &r);
	out[0] = '\0';
	for (int k = 0; k < r.n && k < MAXT; k++) {
		size_t l = strlen(r.text[k]);

		if (o + l + 2 >= sizeof(out))
			break;
		if (k)
			out[o++] = ' ';
		memcpy(out + o, r.text[k], l + 1);
		o += l;
	}
	return out;
}

/* The original bytes of token k. */
static const char *surface(const char *text, const toks *r, int k)
{
	static char out[256];
	size_t l = r->end[k] - r->start[k];

	if (l >= sizeof(out))
		l = sizeof(out) - 1;
	memcpy(out, text + r->start[k], l);
	out[l] = '\0';
	return out;
}

static void test_folding(void)
{
	CHECK_STR(joined("Café cafe CAFÉ"), "cafe cafe cafe");
	/* Decomposed input (e + U+0301) folds the same. */
	CHECK_STR(joined("Cafe\xcc\x81"), "cafe");
	CHECK_STR(joined("Straße STRASSE"), "strasse strasse");
	CHECK_STR(joined("Hello, World!"), "hello world");
	CHECK_STR(joined("\xef\xac\x81nance"), "finance");       /* fi lig. */
	CHECK_STR(joined("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"), "abc");
	CHECK_STR(joined("İstanbul"), "istanbul");
	CHECK_STR(joined("Ærøskøbing"), "ærøskøbing");
	CHECK_STR(joined("naïve façade"), "naive facade");
}

static void test_scripts(void)
{
	toks r;

	CHECK_STR(joined("Αθήνα ΑΘΗΝΑ"), "αθηνα αθηνα");
	CHECK_STR(joined("ὁδός"), "οδοσ");   /* final sigma folds to σ */
	CHECK_STR(joined("Москва МОСКВА"), "москва москва");
	CHECK_STR(joined("Ёлка"), "елка");
	/* Arabic: harakat and tatweel go, letters stay. */
	CHECK_STR(joined("الكتاب"), "الكتاب");
	CHECK_STR(joined("الْكِتَاب"), "الكتاب");
	CHECK_STR(joined("كـتـاب"), "كتاب");
	CHECK_STR(joined("שָׁלוֹם"), "שלום");
	/* Hangul stays composed syllables; Korean uses spaces. */
	CHECK_STR(joined("한국어 문서"), "한국어 문서");
	/* Conjoining jamo compose to the same syllable. */
	CHECK_STR(joined("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"), "한");
	/* Devanagari vowel signs are kept (they are letters there). */
	CHECK_STR(joined("हिन्दी"), "हिन्दी");
	/* Han and kana: one token per code point, consecutive positions. */
	run("中华人民共和国", &r);
	CHECK_INT(r.n, 7);
	CHECK_STR(r.text[0], "中");
	CHECK_STR(r.text[6], "国");
	CHECK_INT(r.pos[6], 6);
	CHECK_INT(r.start[1], 3);
	CHECK_INT(r.end[1], 6);
	CHECK_STR(joined("東京abc大学"), "東 京 abc 大 学");
	CHECK_STR(joined("ひらがなカタカナ"), "ひ ら が な カ タ カ ナ");
	/* Kana voicing: precomposed, decomposed and halfwidth agree. */
	CHECK_STR(joined("ガ"), "ガ");
	CHECK_STR(joined("\xe3\x82\xab\xe3\x82\x99"), "ガ");
	CHECK_STR(joined("\xef\xbd\xb6\xef\xbe\x9e"), "ガ");
}

static void test_apostrophes(void)
{
	CHECK_STR(joined("O'Brien"), "o'brien");
	CHECK_STR(joined("O\xe2\x80\x99" "Brien"), "o'brien");
	CHECK_STR(joined("NSO's"), "nso's");
	CHECK_STR(joined("the dogs' bowls"), "the dogs bowls");
	CHECK_STR(joined("'quoted'"), "quoted");
	CHECK_STR(joined("rock'n'roll"), "rock'n'roll");
	CHECK_STR(joined("90's"), "90 s");           /* digit, not letter */
	CHECK_STR(joined("l'État"), "l'etat");
	CHECK_STR(joined("a''b"), "a b");
}

static void test_hyphens(void)
{
	toks r;

	run("al-Assad said", &r);
	CHECK_INT(r.n, 3);
	CHECK_STR(r.text[0], "al");
	CHECK_STR(r.text[1], "assad");
	CHECK_INT(r.pos[0], 0);
	CHECK_INT(r.pos[1], 1);
	CHECK_INT(r.pos[2], 2);
	CHECK_STR(joined("rock- and roll"), "rock and roll");
	CHECK_STR(joined("-rock-"), "rock");
	CHECK_STR(joined("F-16 jets"), "f 16 jets");
	/* A soft hyphen inside a word does not split it. */
	CHECK_STR(joined("news\xc2\xadpaper"), "newspaper");
}

static void test_numbers(void)
{
	CHECK_STR(joined("12:48"), "12:48");
	CHECK_STR(joined("3.5"), "3.5");
	CHECK_STR(joined("1,000"), "1000");
	CHECK_STR(joined("1,000,000.50"), "1000000.50");
	CHECK_STR(joined("$500"), "500");
	CHECK_STR(joined("$1,500.25m"), "1500.25m");
	CHECK_STR(joined("in 1999. Then"), "in 1999 then");
	CHECK_STR(joined("1999,2000"), "19992000");
	CHECK_STR(joined("a, b"), "a b");
	CHECK_STR(joined("U.S."), "u s");
	CHECK_STR(joined("5.93 mln"), "5.93 mln");
	CHECK_STR(joined("3. 5"), "3 5");
	CHECK_STR(joined("x²"), "x2");
	CHECK_STR(joined("٣٤٥"), "٣٤٥");    /* Arabic-Indic digits kept */
}

static void test_long(void)
{
	char text[512];
	toks r;

	/* 64 bytes is the limit: kept. */
	memset(text, 'a', 64);
	strcpy(text + 64, " b");
	run(text, &r);
	CHECK_INT(r.n, 2);
	CHECK_INT(strlen(r.text[0]), 64);
	/* 65: dropped, but "b" after it is at position 1. */
	strcpy(text, "x ");
	memset(text + 2, 'Q', 65);
	strcpy(text + 67, " b");
	run(text, &r);
	CHECK_INT(r.n, 2);
	CHECK_STR(r.text[0], "x");
	CHECK_STR(r.text[1], "b");
	CHECK_INT(r.pos[1], 2);
	CHECK_INT(r.next_pos, 3);
	CHECK_INT(r.start[1], 68);
	/* Over-long counts folded bytes: 33 "ж" are 66 bytes... */
	text[0] = '\0';
	for (int k = 0; k < 33; k++)
		strcat(text, "Ж");
	strcat(text, " z");
	run(text, &r);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.text[0], "z");
	CHECK_INT(r.pos[0], 1);
	/* ...32 are 64: kept. */
	text[0] = '\0';
	for (int k = 0; k < 32; k++)
		strcat(text, "Ж");
	run(text, &r);
	CHECK_INT(r.n, 1);
	CHECK_INT(strlen(r.text[0]), 64);
	/* Many stripped marks do not make a token long: "zalgo". */
	text[0] = '\0';
	for (int k = 0; k < 5; k++) {
		size_t o = strlen(text);

		text[o] = "zalgo"[k];
		text[o + 1] = '\0';
		for (int m = 0; m < 20; m++)
			strcat(text, "\xcc\x81");
	}
	run(text, &r);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.text[0], "zalgo");
	CHECK_INT(r.end[0], strlen(text));
	/* A huge run of letters is one dropped token. */
	{
		size_t n = 1 << 20;
		char *big = malloc(n + 3);

		CHECK(big != NULL);
		if (big) {
			memset(big, 'k', n);
			memcpy(big + n, " w", 3);
			run(big, &r);
			CHECK_INT(r.n, 1);
			CHECK_STR(r.text[0], "w");
			CHECK_INT(r.pos[0], 1);
			free(big);
		}
	}
}

static void test_invalid(void)
{
	toks r;
	static const char *bad[] = {
		"abc\xff" "def",              /* lone 0xff */
		"abc\xc3" "def",              /* truncated 2-byte */
		"abc\xe2\x82" "def",          /* truncated 3-byte */
		"abc\xc0\xaf" "def",          /* overlong '/' */
		"abc\xed\xa0\x80" "def",      /* surrogate U+D800 */
		"abc\xf4\x90\x80\x80" "def",  /* > U+10FFFF */
		"abc\x80" "def",              /* stray continuation */
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		run(bad[k], &r);
		CHECK_INT(r.n, 2);
		CHECK_STR(r.text[0], "abc");
		CHECK_STR(r.text[1], "def");
		CHECK_INT(r.pos[1], 1);
		CHECK_INT(r.end[0], 3);
		CHECK_INT(r.rc, 1);
	}
	/* Truncated at the very end of the input. */
	run("abc\xe2\x82", &r);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.text[0], "abc");
	run("\xf0", &r);
	CHECK_INT(r.n, 0);
	/* The length is honoured: NUL bytes are separators, not the end. */
	run_len("ab\0cd", 5, &r);
	CHECK_INT(r.n, 2);
	CHECK_STR(r.text[1], "cd");
	run_len("abcdef", 3, &r);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.text[0], "abc");
	/* Controls never reach a token. */
	CHECK_STR(joined("a\x01" "b\tc\x7f" "d"), "a b c d");
	/* Random bytes: no crash, all invariants (checked in run_len). */
	{
		char buf[4096];
		uint32_t x = 12345;

		for (int round = 0; round < 200; round++) {
			for (size_t k = 0; k < sizeof(buf); k++) {
				x = x * 1103515245u + 12345u;
				buf[k] = (char)(x >> 16);
			}
			run_len(buf, sizeof(buf), &r);
			CHECK_INT(r.rc, 1);
		}
	}
}

static void test_empty(void)
{
	toks r;
	tok_token tk;

	run("", &r);
	CHECK_INT(r.n, 0);
	CHECK_INT(r.rc, 1);
	CHECK_INT(r.next_pos, 0);
	run("  ,.;--'' \n\t ", &r);
	CHECK_INT(r.n, 0);
	/* Only stripped marks: no token and no position. */
	run("\xcc\x81\xcc\x81 x", &r);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.pos[0], 0);
	tok_reset(T, NULL, 0, 7);
	CHECK(tok_next(T, &tk) > 0);
	CHECK_INT(tok_pos(T), 7);
}

static void test_offsets_positions(void)
{
	const char *text = "The Sanctioned café, O’Brien's al-Assad.";
	tok_token tk;
	toks r;

	run(text, &r);
	CHECK_INT(r.n, 6);
	CHECK_STR(r.text[1], "sanctioned");
	CHECK_STR(surface(text, &r, 1), "Sanctioned");
	CHECK_STR(r.text[2], "cafe");
	CHECK_STR(surface(text, &r, 2), "café");
	CHECK_STR(r.text[3], "o'brien's");
	CHECK_STR(surface(text, &r, 3), "O’Brien's");
	CHECK_STR(surface(text, &r, 4), "al");
	CHECK_STR(surface(text, &r, 5), "Assad");
	for (int k = 0; k < r.n; k++)
		CHECK_INT(r.pos[k], k);
	/* Trailing soft hyphen is not part of the surface. */
	run("word\xc2\xad next", &r);
	CHECK_INT(r.end[0], 4);
	/* first_pos is honoured and tok_pos follows. */
	tok_reset(T, "a b c", 5, 100);
	CHECK_INT(tok_next(T, &tk), 0);
	CHECK_INT(tk.pos, 100);
	CHECK_INT(tok_pos(T), 101);
	CHECK_INT(tok_next(T, &tk), 0);
	CHECK_INT(tok_next(T, &tk), 0);
	CHECK_INT(tk.pos, 102);
	CHECK(tok_next(T, &tk) > 0);
	CHECK_INT(tok_pos(T), 103);
}

/* The ASCII fast path and the slow path agree: the same word with a
 * non-ASCII letter appended folds to the same prefix. */
static void test_paths_agree(void)
{
	char a[128], b[128];
	const char *words[] = { "Reuters", "NEW", "york", "O'Neil", "3.5" };

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		snprintf(a, sizeof(a), "%s", words[k]);
		snprintf(b, sizeof(b), "%s\xc3\xa9", words[k]);   /* + é */
		snprintf(a, sizeof(a), "%se", joined(a));
		CHECK_STR(joined(b), a);
	}
}

/* Tokens of text joined with single spaces into out (size >= 4096). */
static size_t join_into(const char *text, size_t len, char *out, int *n)
{
	tok_token tk;
	size_t o = 0;

	*n = 0;
	tok_reset(T, text, len, 0);
	while (tok_next(T, &tk) == 0) {
		if (o + tk.len + 2 < 4096) {
			if (*n)
				out[o++] = ' ';
			memcpy(out + o, tk.text, tk.len);
			o += tk.len;
		}
		(*n)++;
	}
	out[o] = '\0';
	return o;
}

/* Folding is idempotent: tokenizing the joined folded tokens gives the
 * same tokens. Queries are typed by people and documents come in any
 * form; this is what makes a folded term findable as itself. Checked
 * for every code point alone and after a letter. */
static void test_idempotent_all_code_points(void)
{
	char in[16], a[4096], b[4096];
	int bad = 0, na, nb;

	for (int32_t cp = 0; cp < 0x110000; cp++) {
		if (cp >= 0xd800 && cp < 0xe000)
			continue;
		for (int ctx = 0; ctx < 2; ctx++) {
			size_t n = 0, al;

			if (ctx)
				in[n++] = 'x';
			n += (size_t)utf8proc_encode_char(cp,
						(utf8proc_uint8_t *)in + n);
			al = join_into(in, n, a, &na);
			join_into(a, al, b, &nb);
			if (na != nb || strcmp(a, b) != 0) {
				if (bad++ < 5)
					fprintf(stderr, "not idempotent: "
						"U+%04X: '%s' -> '%s'\n",
						(unsigned)cp, a, b);
			}
		}
	}
	CHECK_INT(bad, 0);
}

/* Random text over many scripts and marks: folding is idempotent and
 * NFC, NFD and the raw text give the same tokens and positions. */
static void test_random_normalization(void)
{
	static const int32_t ranges[][2] = {
		{ 0x20, 0x7e }, { 0xc0, 0x24f }, { 0x300, 0x36f },
		{ 0x370, 0x3ff }, { 0x400, 0x4ff }, { 0x590, 0x6ff },
		{ 0x900, 0x97f }, { 0xe00, 0xe7f }, { 0x1100, 0x11ff },
		{ 0x1e00, 0x1fff }, { 0x3040, 0x30ff }, { 0x4e00, 0x4e80 },
		{ 0xac00, 0xd7a3 }, { 0xff00, 0xffef }, { 1, 0x2ffff },
	};
	int nr = (int)(sizeof(ranges) / sizeof(ranges[0]));
	uint32_t x = 42;
	int bad_idem = 0, bad_norm = 0;

	for (int round = 0; round < 3000; round++) {
		utf8proc_uint8_t in[400];
		char a[4096], b[4096];
		size_t n = 0, al;
		int na, nb;

		for (int k = 0; k < 40; k++) {
			int32_t cp;
			int r;

			x = x * 1103515245u + 12345u;
			r = (int)((x >> 8) % (uint32_t)nr);
			cp = ranges[r][0] + (int32_t)((x >> 12) %
				(uint32_t)(ranges[r][1] - ranges[r][0] + 1));
			if (cp >= 0xd800 && cp < 0xe000)
				continue;
			n += (size_t)utf8proc_encode_char(cp, in + n);
		}
		in[n] = '\0';
		al = join_into((const char *)in, n, a, &na);
		join_into(a, al, b, &nb);
		bad_idem += na != nb || strcmp(a, b) != 0;
		for (int form = 0; form < 2; form++) {
			utf8proc_uint8_t *nf = form ? utf8proc_NFD(in) :
						      utf8proc_NFC(in);

			if (!nf) {
				bad_norm++;
				continue;
			}
			join_into((const char *)nf, strlen((char *)nf), b,
				  &nb);
			bad_norm += na != nb || strcmp(a, b) != 0;
			free(nf);
		}
	}
	CHECK_INT(bad_idem, 0);
	CHECK_INT(bad_norm, 0);
}

static void test_special_letters(void)
{
	CHECK_STR(joined("\xc4\xbf" "a"), "la");          /* Ŀ: "l·" */
	CHECK_STR(joined("\xe2\x91\xb4 x"), "1 x");      /* ⑴ */
	CHECK_STR(joined("ᾳ α\xcd\x85"), "α α");          /* ypogegrammeni */
	CHECK_STR(joined("葛\xf3\xa0\x84\x80"), "葛");    /* IVS */
	CHECK_STR(joined("a\xe2\x80\x8b" "b"), "a b");  /* ZWSP splits */
	CHECK_STR(joined("\xef\xbe\x9e x"), "x");        /* lone ﾞ */
	CHECK_STR(joined("กำ"), "กำ");                     /* SARA AM */
	CHECK_STR(joined("\xe3\x8a\x81" "ab"), "二 ab"); /* ㊁ */
	CHECK_STR(joined("ﷺ"), "صلىاللهعليهوسلم");
}

int main(void)
{
	if (tok_new(&T) != 0) {
		fprintf(stderr, "tok_new failed\n");
		return 1;
	}
	test_folding();
	test_scripts();
	test_apostrophes();
	test_hyphens();
	test_numbers();
	test_long();
	test_invalid();
	test_empty();
	test_offsets_positions();
	test_paths_agree();
	test_special_letters();
	test_idempotent_all_code_points();
	test_random_normalization();
	tok_free(T);
	tok_free(NULL);
	return t_done("test_tok");
}
