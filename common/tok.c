/*
 * tok.c - the tokenizer of tok.h: a single forward scan over UTF-8 text
 * that yields folded tokens with positions and byte offsets into the
 * original input.
 *
 * A tok owns two fixed buffers and nothing else (no allocation after
 * tok_new, so tokenizing gigabytes costs no malloc per token):
 *  - out[]: the folded token handed to the caller, NUL-terminated;
 *  - cps[]: code points of a token that contains non-ASCII, between
 *    folding and re-encoding.
 *
 * Two paths build a token, with the same result:
 *  - ASCII: bytes are lowercased straight into out[];
 *  - slow: as soon as a token meets a non-ASCII code point, what it has
 *    so far moves to cps[] and each code point is decomposed by utf8proc
 *    (compatibility decomposition + full case folding + dropping default
 *    ignorables), diacritics are dropped, marks are put in canonical
 *    order and the token is recomposed (NFC composition), then encoded.
 *
 * Which marks are dropped (the judgement call): utf8proc's STRIPMARK
 * would drop every mark, which is right for Latin, Greek, Cyrillic,
 * Hebrew and Arabic (accents, points and harakat are optional there),
 * and wrong for Indic, Thai, Tibetan or Japanese kana, where marks are
 * vowels or voicing and carry the meaning ("hindi" has stemmers that
 * expect them). So only the diacritic blocks listed in is_strip_mark()
 * are dropped; other marks stay, and the recomposition makes the result
 * canonical: Hangul syllables, Devanagari with nukta, kana with dakuten
 * come out as NFKC-casefold composed text whatever the input's
 * normalization, so the index and the queries agree. Arabic tatweel
 * (U+0640, a justification stroke) is dropped as well.
 *
 * Rules beyond tok.h, stated here because they decide token boundaries:
 *  - Default ignorables (U+00AD soft hyphen, U+200C/U+200D ZWNJ/ZWJ,
 *    U+2060 word joiner, U+FEFF, variation selectors...) inside a word do
 *    not split it and leave no trace in the folded text (news text
 *    carries soft hyphens from typesetting; Persian writes ZWNJ inside
 *    words). U+200B zero width space stays a separator.
 *  - An ideograph (Han, Hiragana, Katakana) token takes the marks that
 *    follow it (kana voicing marks, halfwidth U+FF9E/U+FF9F), so that
 *    "ｶﾞ" and "ガ" fold alike.
 *  - A mark belongs to the character before it: it continues a token,
 *    and after a separator (or at the start) it is a separator too, so a
 *    token never starts with a mark and NFC and NFD input split alike.
 *  - A token that folds to nothing (e.g. only tatweel) is skipped and
 *    takes no position.
 *  - Compatibility decompositions can yield punctuation ("⑴" is "(1)",
 *    "Ŀ" is "l·"); only letters, marks and numbers are kept from them,
 *    so folding a folded token again gives the same token.
 *  - Hyphens need no code: a hyphen is a separator, and consecutive
 *    tokens get consecutive positions.
 *
 * Invariants: out[] never holds a byte < 0x20 (controls, spaces and
 * separators from compatibility decompositions are dropped); a returned
 * token is 1..TOK_MAX_BYTES bytes; start/end are offsets in the caller's
 * text and end excludes trailing ignorables; the position grows by
 * exactly one per returned or dropped over-long token.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "tok.h"

/* Room for decomposed code points of one token. Recomposition merges at
 * most a few code points into one (a Hangul syllable: 3), so a token
 * that needs more than 8 per output byte is over-long anyway. */
#define TOK_CPS_MAX (8 * TOK_MAX_BYTES)

/* The longest single-code-point decomposition in Unicode is 18 (U+FDFA). */
#define TOK_DECOMP_MAX 32

struct tok {
	const uint8_t *s;     /* the caller's text, not owned */
	size_t n;             /* its length */
	size_t i;             /* scan offset */
	uint32_t pos;         /* position of the next token */
	size_t outlen;
	size_t ncps;
	int slow;             /* the token being built is in cps[] */
	int over;             /* the token being built is over-long */
	int compose;          /* cps[] holds a mark or jamo */
	char out[TOK_MAX_BYTES + 1];
	utf8proc_int32_t cps[TOK_CPS_MAX];
};

/* What a code point is to the scanner. */
enum {
	K_SEP = 0,    /* ends a token */
	K_LETTER,     /* L* */
	K_DIGIT,      /* Nd */
	K_NUMBER,     /* Nl, No */
	K_MARK,       /* M*: continues whatever came before */
	K_IDEO,       /* Han / kana letter or number: a token by itself */
	K_APOS,       /* ' or U+2019: kept between letters */
	K_DOT,        /* . or : : kept between digits */
	K_COMMA,      /* , : dropped between digits */
	K_IGNORE      /* soft hyphen, ZWNJ, ...: invisible inside a word */
};

static uint8_t ascii_kind[128];
static uint8_t ascii_lower[128];

static pthread_once_t ascii_once = PTHREAD_ONCE_INIT;

/* Once per process (pthread_once): rewriting the tables while another
 * thread's tokenizer reads them would be a data race, even with the
 * same values (ThreadSanitizer under lede serve said so). */
static void ascii_tables_init(void)
{
	for (int c = 0; c < 128; c++) {
		uint8_t k = K_SEP;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			k = K_LETTER;
		else if (c >= '0' && c <= '9')
			k = K_DIGIT;
		else if (c == '\'')
			k = K_APOS;
		else if (c == '.' || c == ':')
			k = K_DOT;
		else if (c == ',')
			k = K_COMMA;
		ascii_kind[c] = k;
		ascii_lower[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
}

static int is_ideo_range(utf8proc_int32_t c)
{
	return (c >= 0x3005 && c <= 0x3007) ||   /* 々 〆 〇 */
	       (c >= 0x3021 && c <= 0x3029) ||   /* Hangzhou numerals */
	       (c >= 0x3038 && c <= 0x303c) ||
	       (c >= 0x3040 && c <= 0x30ff) ||   /* Hiragana, Katakana */
	       (c >= 0x31f0 && c <= 0x31ff) ||   /* Katakana ext. */
	       (c >= 0x3400 && c <= 0x4dbf) ||   /* CJK ext. A */
	       (c >= 0x4e00 && c <= 0x9fff) ||   /* CJK unified */
	       (c >= 0xf900 && c <= 0xfaff) ||   /* CJK compatibility */
	       (c >= 0xff66 && c <= 0xff9d) ||   /* halfwidth Katakana */
	       (c >= 0x1aff0 && c <= 0x1b16f) || /* kana supplements */
	       (c >= 0x20000 && c <= 0x3134f);   /* CJK ext. B..G */
}

/*
 * Is c a compatibility character that stands for an ideograph (circled
 * or parenthesized ideographs, kanbun marks)? Then it is one too, or
 * folding would turn a letter inside a word into an ideograph and a
 * second pass over folded text would split differently. Only the blocks
 * that hold such characters pay for the decomposition.
 */
static int is_compat_ideo(utf8proc_int32_t c)
{
	utf8proc_int32_t d[TOK_DECOMP_MAX];
	utf8proc_ssize_t nd;
	int bc = 0;

	if (!((c >= 0x3190 && c <= 0x33ff) || (c >= 0xf900 && c <= 0xffef) ||
	      (c >= 0x1f100 && c <= 0x1f2ff) || (c >= 0x2f800 && c <= 0x2fa1f)))
		return 0;
	nd = utf8proc_decompose_char(c, d, TOK_DECOMP_MAX,
				     UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE, &bc);
	for (utf8proc_ssize_t k = 0; k < nd && k < TOK_DECOMP_MAX; k++) {
		if (d[k] >= 0x80 && is_ideo_range(d[k]))
			return 1;
		if (d[k] >= 0x80 || ascii_kind[d[k]] == K_LETTER ||
		    ascii_kind[d[k]] == K_DIGIT)
			return 0;   /* "(" before the ideograph is fine */
	}
	return 0;
}

static int kind_of(utf8proc_int32_t c)
{
	const utf8proc_property_t *p;

	switch (c) {
	case 0x2019: return K_APOS;
	case 0xff9e: case 0xff9f:
		/* Halfwidth voiced marks: letters (Lm) that fold to the
		 * combining U+3099/U+309A, so they act as marks. */
		return K_MARK;
	case 0x00ad: case 0x200c: case 0x200d: case 0x2060: case 0xfeff:
		return K_IGNORE;
	}
	p = utf8proc_get_property(c);
	/* Default ignorables (variation selectors, Hangul fillers, CGJ...)
	 * fold to nothing: inside a word they must not split it, and they
	 * must not start a token whose folded form would then begin with
	 * whatever follows them (a mark). U+200B ZERO WIDTH SPACE is the
	 * exception: it marks word breaks in Thai and Khmer. */
	if (p->ignorable && c != 0x200b)
		return K_IGNORE;
	switch (p->category) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		if (is_ideo_range(c) || is_compat_ideo(c))
			return K_IDEO;
		return K_LETTER;
	case UTF8PROC_CATEGORY_ND:
		return K_DIGIT;
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		if (is_ideo_range(c) || is_compat_ideo(c))
			return K_IDEO;
		return K_NUMBER;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return K_MARK;
	default:
		return K_SEP;
	}
}

/* Diacritics that folding drops; see the file comment. */
static int is_strip_mark(utf8proc_int32_t c)
{
	return (c >= 0x0300 && c <= 0x036f) ||   /* combining diacritics */
	       (c >= 0x0483 && c <= 0x0489) ||   /* Cyrillic titlo etc. */
	       (c >= 0x0591 && c <= 0x05c7 &&    /* Hebrew points */
		c != 0x05be && c != 0x05c0 && c != 0x05c3 && c != 0x05c6) ||
	       (c >= 0x0610 && c <= 0x061a) ||   /* Arabic honorifics */
	       (c >= 0x064b && c <= 0x065f) ||   /* Arabic harakat */
	       c == 0x0670 ||                    /* superscript alef */
	       (c >= 0x06d6 && c <= 0x06dc) ||   /* Quranic marks */
	       (c >= 0x06df && c <= 0x06e4) ||
	       (c >= 0x06e7 && c <= 0x06e8) ||
	       (c >= 0x06ea && c <= 0x06ed) ||
	       (c >= 0x1ab0 && c <= 0x1aff) ||   /* diacritics extended */
	       (c >= 0x1dc0 && c <= 0x1dff) ||   /* diacritics supplement */
	       (c >= 0x20d0 && c <= 0x20ff) ||   /* marks for symbols */
	       (c >= 0xfe20 && c <= 0xfe2f);     /* half marks */
}

static int is_mark(utf8proc_int32_t c)
{
	switch (utf8proc_get_property(c)->category) {
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return 1;
	default:
		return 0;
	}
}

/*
 * Does a folded code point stay in the token (FOLD_KEEP, or FOLD_MARK
 * for marks and jamo: what canonical ordering and composition work on)?
 * Only letters, marks and numbers do, minus the diacritics and tatweel.
 * Compatibility decompositions also produce punctuation, spaces and
 * slashes (U+013F "l·", U+2474 "(1)", U+2152 "1⁄10", U+FDFA a whole
 * phrase): dropping them keeps the folded token a token (folding twice
 * gives the same bytes) and keeps bytes < 0x20 out, as tok.h promises.
 */
enum { FOLD_DROP = 0, FOLD_KEEP, FOLD_MARK };

static int keep_folded(utf8proc_int32_t c)
{
	if (c < 0x80)
		return ascii_kind[c] == K_LETTER || ascii_kind[c] == K_DIGIT;
	if (c == 0x0640 || is_strip_mark(c))   /* tatweel, diacritics */
		return FOLD_DROP;
	switch (utf8proc_get_property(c)->category) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		/* Conjoining jamo compose into syllables. */
		if ((c >= 0x1100 && c <= 0x11ff) ||
		    (c >= 0xa960 && c <= 0xa97f) ||
		    (c >= 0xd7b0 && c <= 0xd7ff))
			return FOLD_MARK;
		return FOLD_KEEP;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return FOLD_MARK;
	default:
		return FOLD_DROP;
	}
}

/*
 * Decode the code point at s[i]; its byte length, or 0 if the byte at i
 * does not start a valid sequence (overlong, surrogate, truncated, out of
 * range: utf8proc_iterate rejects them all). The caller treats that one
 * byte as a separator and goes on.
 */
static size_t decode(const tok *t, size_t i, utf8proc_int32_t *cp)
{
	size_t left = t->n - i;
	utf8proc_ssize_t r;

	if (t->s[i] < 0x80) {
		*cp = t->s[i];
		return 1;
	}
	r = utf8proc_iterate(t->s + i, (utf8proc_ssize_t)(left < 4 ? left : 4),
			     cp);
	return r > 0 ? (size_t)r : 0;
}

/* Kind of the code point at i, or K_SEP at the end or on a bad byte. */
static int kind_at(const tok *t, size_t i)
{
	utf8proc_int32_t cp;

	if (i >= t->n)
		return K_SEP;
	if (t->s[i] < 0x80)
		return ascii_kind[t->s[i]];
	if (!decode(t, i, &cp))
		return K_SEP;
	return kind_of(cp);
}

static void cps_add(tok *t, utf8proc_int32_t c)
{
	if (t->ncps == TOK_CPS_MAX) {
		t->over = 1;
		return;
	}
	t->cps[t->ncps++] = c;
}

/* Move the ASCII prefix of the token from out[] to cps[]. */
static void go_slow(tok *t)
{
	t->slow = 1;
	t->ncps = 0;
	for (size_t k = 0; k < t->outlen; k++)
		cps_add(t, (unsigned char)t->out[k]);
	t->outlen = 0;
}

static void add_ascii(tok *t, uint8_t c)
{
	if (t->over)
		return;
	if (t->slow) {
		cps_add(t, c);
		return;
	}
	if (t->outlen == TOK_MAX_BYTES) {
		t->over = 1;
		return;
	}
	t->out[t->outlen++] = (char)c;
}

/* Append the kept code points of a decomposition d[0..nd). */
static void add_decomposed(tok *t, const utf8proc_int32_t *d,
			   utf8proc_ssize_t nd)
{
	if (nd < 0 || nd > TOK_DECOMP_MAX) {
		/* Cannot happen with valid code points; drop the token
		 * rather than index something half-folded. */
		t->over = 1;
		return;
	}
	for (utf8proc_ssize_t k = 0; k < nd; k++) {
		int f = keep_folded(d[k]);

		if (f == FOLD_DROP)
			continue;
		if (f == FOLD_MARK) {
			/* A mark whose base folded to nothing (U+FE77 is
			 * tatweel + fatha) would start the token: a second
			 * pass would not see it as a token. */
			if (t->ncps == 0 && is_mark(d[k]))
				continue;
			t->compose = 1;
		}
		cps_add(t, d[k]);
	}
}

/* Greek Extended: decompose, drop diacritics, then case fold the rest
 * (see add_cp). */
static void fold_greek_ext(tok *t, utf8proc_int32_t c)
{
	utf8proc_int32_t d[TOK_DECOMP_MAX], f[TOK_DECOMP_MAX];
	utf8proc_ssize_t nd, nf;
	int bc = 0;

	nd = utf8proc_decompose_char(c, d, TOK_DECOMP_MAX,
				     UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
				     UTF8PROC_IGNORE, &bc);
	if (nd < 0 || nd > TOK_DECOMP_MAX) {
		t->over = 1;
		return;
	}
	for (utf8proc_ssize_t k = 0; k < nd; k++) {
		if (is_strip_mark(d[k]))
			continue;
		nf = utf8proc_decompose_char(d[k], f, TOK_DECOMP_MAX,
					     UTF8PROC_COMPAT |
					     UTF8PROC_CASEFOLD |
					     UTF8PROC_DECOMPOSE |
					     UTF8PROC_IGNORE, &bc);
		add_decomposed(t, f, nf);
	}
}

static void add_cp(tok *t, utf8proc_int32_t c)
{
	utf8proc_int32_t d[TOK_DECOMP_MAX];
	utf8proc_ssize_t nd;
	utf8proc_option_t opt;
	int bc = 0;

	if (t->over)
		return;
	if (c < 0x80) {
		add_ascii(t, ascii_lower[c]);
		return;
	}
	if (!t->slow)
		go_slow(t);
	/*
	 * U+0345 (Greek ypogegrammeni) is the one mark that case folding
	 * turns into a letter (iota). Folded before canonical ordering, it
	 * would land in a different place for NFC and NFD input, so it is
	 * dropped as a diacritic first: on its own here, and inside the
	 * precomposed Greek Extended letters by decomposing those before
	 * case folding (fold_greek_ext).
	 */
	if (is_strip_mark(c))
		return;
	if (c >= 0x1f80 && c <= 0x1fff) {
		fold_greek_ext(t, c);
		return;
	}
	/* Not compatibility-decomposed, so that a folded token is still
	 * one token when folded again: the kana digraphs U+309F/U+30FF
	 * (two kana would be two tokens) and Thai/Lao SARA AM U+0E33/U+0EB3
	 * (their decompositions start with a mark, which cannot start a
	 * token). Checked exhaustively over all code points. */
	opt = UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_IGNORE;
	if (c != 0x309f && c != 0x30ff && c != 0x0e33 && c != 0x0eb3)
		opt |= UTF8PROC_COMPAT;
	nd = utf8proc_decompose_char(c, d, TOK_DECOMP_MAX, opt, &bc);
	add_decomposed(t, d, nd);
}

/* Canonical ordering of combining marks (Unicode 3.11): per-code-point
 * decomposition does not do it, and composition needs it to make
 * canonically equivalent inputs fold to the same bytes. */
static void canonical_order(utf8proc_int32_t *c, size_t n)
{
	for (size_t k = 1; k < n; k++) {
		utf8proc_int32_t v = c[k];
		int cc = utf8proc_get_property(v)->combining_class;
		size_t m = k;

		if (cc == 0)
			continue;
		while (m > 0 &&
		       utf8proc_get_property(c[m - 1])->combining_class > cc) {
			c[m] = c[m - 1];
			m--;
		}
		c[m] = v;
	}
}

/* Finish a slow token: compose and encode into out[]. */
static void finish_slow(tok *t)
{
	utf8proc_ssize_t n;
	size_t len = 0;

	if (t->over || t->ncps == 0) {
		t->outlen = 0;
		return;
	}
	n = (utf8proc_ssize_t)t->ncps;
	if (t->compose) {
		/* Only marks and jamo reorder or compose: most tokens
		 * (Cyrillic, Greek, Arabic after dropping harakat) skip
		 * this, the costliest step. */
		canonical_order(t->cps, t->ncps);
		n = utf8proc_normalize_utf32(t->cps, n, UTF8PROC_COMPOSE);
		if (n < 0) {
			t->over = 1;
			return;
		}
	}
	for (utf8proc_ssize_t k = 0; k < n; k++) {
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t el = utf8proc_encode_char(t->cps[k], enc);

		if (el <= 0)
			continue;
		if (len + (size_t)el > TOK_MAX_BYTES) {
			t->over = 1;
			return;
		}
		/* A byte loop: memcpy of 1..4 bytes is a libc call. */
		for (utf8proc_ssize_t m = 0; m < el; m++)
			t->out[len++] = (char)enc[m];
	}
	t->outlen = len;
}

int tok_new(tok **out)
{
	tok *t;

	*out = NULL;
	pthread_once(&ascii_once, ascii_tables_init);
	t = calloc(1, sizeof(*t));
	if (!t)
		return LEDE_ENOMEM;
	*out = t;
	return 0;
}

void tok_free(tok *t)
{
	free(t);
}

void tok_reset(tok *t, const char *text, size_t len, uint32_t first_pos)
{
	t->s = (const uint8_t *)text;
	t->n = text ? len : 0;
	t->i = 0;
	t->pos = first_pos;
}

uint32_t tok_pos(const tok *t)
{
	return t->pos;
}

/*
 * Scan one token starting at t->i (which holds a letter, digit, number,
 * mark or ideograph). Leaves t->i after it, fills out[]/outlen/over and
 * the offsets.
 */
static void scan_token(tok *t, size_t *start, size_t *end)
{
	size_t i = t->i, last = i;
	int prev = K_SEP;   /* kind of the last letter/digit taken */
	utf8proc_int32_t cp;
	size_t cl;
	int k;

	t->outlen = 0;
	t->ncps = 0;
	t->slow = 0;
	t->compose = 0;
	t->over = 0;
	*start = i;

	cl = t->s[i] < 0x80 ? 0 : decode(t, i, &cp);
	if (cl && kind_of(cp) == K_IDEO) {
		add_cp(t, cp);
		i += cl;
		/* Marks that follow belong to it (see the file comment);
		 * all of them, diacritics too (add_cp drops those), so
		 * that canonical reordering cannot move a kept mark out. */
		while (i < t->n && (cl = decode(t, i, &cp)) != 0 &&
		       kind_of(cp) == K_MARK) {
			add_cp(t, cp);
			i += cl;
		}
		last = i;
		goto out;
	}

	while (i < t->n) {
		uint8_t b = t->s[i];

		if (b < 0x80) {
			k = ascii_kind[b];
			if ((k == K_LETTER || k == K_DIGIT) && !t->slow) {
				/* The ASCII fast path: a tight loop over a
				 * run of letters and digits, straight into
				 * out[], with the length in a register. */
				size_t o = t->outlen;

				do {
					if (o < TOK_MAX_BYTES)
						t->out[o] = (char)ascii_lower[b];
					o++;
					prev = k;
					if (++i == t->n)
						break;
					b = t->s[i];
					k = b < 0x80 ? ascii_kind[b] : K_SEP;
				} while (k == K_LETTER || k == K_DIGIT);
				if (o > TOK_MAX_BYTES) {
					t->over = 1;
					o = TOK_MAX_BYTES;
				}
				t->outlen = o;
				last = i;
				continue;
			}
			if (k == K_LETTER || k == K_DIGIT) {
				add_ascii(t, ascii_lower[b]);
				prev = k;
				i++;
				last = i;
				continue;
			}
			cp = b;
			cl = 1;
		} else {
			cl = decode(t, i, &cp);
			if (!cl)
				break;   /* a bad byte is a separator */
			k = kind_of(cp);
		}
		switch (k) {
		case K_LETTER: case K_DIGIT: case K_NUMBER:
			add_cp(t, cp);
			prev = k;
			i += cl;
			last = i;
			continue;
		case K_MARK:
			/* A mark continues the letter or digit before it. */
			add_cp(t, cp);
			i += cl;
			last = i;
			continue;
		case K_APOS:
			if (prev == K_LETTER && kind_at(t, i + cl) == K_LETTER) {
				add_ascii(t, '\'');
				i += cl;
				continue;
			}
			break;
		case K_DOT: case K_COMMA:
			if (prev == K_DIGIT && kind_at(t, i + cl) == K_DIGIT) {
				if (k == K_DOT)
					add_ascii(t, (uint8_t)cp);
				i += cl;
				continue;
			}
			break;
		case K_IGNORE:
			/* Invisible inside a word; not part of end offset. */
			i += cl;
			continue;
		default:
			break;
		}
		break;
	}
out:
	t->i = i;
	*end = last;
	if (t->slow)
		finish_slow(t);
}

int tok_next(tok *t, tok_token *out)
{
	for (;;) {
		size_t start, end;
		utf8proc_int32_t cp;
		size_t cl;
		int k;

		/* Skip separators (and bad bytes) to the next token. */
		while (t->i < t->n) {
			uint8_t b = t->s[t->i];

			if (b < 0x80) {
				k = ascii_kind[b];
				if (k == K_LETTER || k == K_DIGIT)
					break;
				t->i++;
				continue;
			}
			cl = decode(t, t->i, &cp);
			if (!cl) {
				t->i++;
				continue;
			}
			k = kind_of(cp);
			if (k == K_LETTER || k == K_DIGIT || k == K_NUMBER ||
			    k == K_IDEO)
				break;
			/* A mark here belongs to the separator before it
			 * (NFD turns some symbols into symbol + mark), so it
			 * does not start a token. */
			t->i += cl;
		}
		if (t->i >= t->n)
			return 1;

		scan_token(t, &start, &end);
		if (!t->over && t->outlen == 0)
			continue;   /* folded to nothing: not a token */
		if (t->pos == UINT32_MAX)
			return LEDE_ETOOBIG;
		if (t->over) {
			t->pos++;   /* dropped, but it keeps its place */
			continue;
		}
		t->out[t->outlen] = '\0';
		out->text = t->out;
		out->len = t->outlen;
		out->pos = t->pos++;
		out->start = start;
		out->end = end;
		return 0;
	}
}
