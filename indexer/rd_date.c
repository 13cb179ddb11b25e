/*
 * rd_date.c - rd_parse_date(): the dates news archives print, turned into
 * YYYYMMDD.
 *
 * Accepted (case-insensitive, surrounding whitespace ignored):
 *
 *   [weekday[,]] YYYY-MM-DD | YYYY/MM/DD   [time tail]
 *   [weekday[,]] Month D[th][,] YYYY       [time tail]
 *   [weekday[,]] D[th] Month[,] YYYY       [time tail]
 *
 * Month is a full English name, a three-letter abbreviation or "Sept",
 * optionally followed by ".". The time tail is an optional separator
 * ("T", ",", "at", "-", "|") then H:MM[:SS[.frac]] [am|pm] [zone], the
 * zone being Z, a 1-5 letter name (GMT, BST) or +HH[:MM]. Anything else
 * before or after the date makes it fail, so that a sentence that merely
 * contains a date is not taken for a dateline (the .txt reader relies on
 * this). Ranges are checked: year 1800-2200, month 1-12, day valid for
 * the month including leap years.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "reader.h"

#define DATE_MAX_LEN 128   /* longer strings are not a date line */

static const char *const months[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};

static const char *const wdays[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday"
};

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
		(*p)++;
}

/* Reads a run of ASCII letters into w (lowercased); 0 if none or too long. */
static size_t read_word(const char **p, char *w, size_t cap)
{
	size_t n = 0;
	const char *q = *p;

	while (isalpha((unsigned char)*q)) {
		if (n + 1 >= cap)
			return 0;
		w[n++] = (char)tolower((unsigned char)*q);
		q++;
	}
	w[n] = 0;
	if (n)
		*p = q;
	return n;
}

/* Reads 1..maxd digits; returns the digit count, 0 if none. */
static int read_num(const char **p, int maxd, int *v)
{
	int n = 0, x = 0;

	while (isdigit((unsigned char)**p)) {
		if (n == maxd)
			return 0;   /* too many digits: not this field */
		x = x * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*v = x;
	return n;
}

/* A month name or abbreviation (with an optional "."); 1-12 or 0. */
static int read_month(const char **p)
{
	const char *q = *p;
	char w[16];
	size_t n = read_word(&q, w, sizeof(w));

	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++) {
		if (strcmp(w, months[i]) == 0 ||
		    (n == 3 && strncmp(w, months[i], 3) == 0) ||
		    (i == 8 && strcmp(w, "sept") == 0)) {
			if (*q == '.')
				q++;
			*p = q;
			return i + 1;
		}
	}
	return 0;
}

/* Optional leading weekday ("Sat", "Saturday", "Sat.") and comma. */
static void skip_weekday(const char **p)
{
	const char *q = *p;
	char w[16];
	size_t n = read_word(&q, w, sizeof(w));

	if (n < 3)
		return;
	for (int i = 0; i < 7; i++) {
		if (strcmp(w, wdays[i]) == 0 ||
		    (n == 3 && strncmp(w, wdays[i], 3) == 0)) {
			if (*q == '.')
				q++;
			skip_ws(&q);
			if (*q == ',')
				q++;
			skip_ws(&q);
			*p = q;
			return;
		}
	}
}

/* "st", "nd", "rd", "th" after a day number. */
static void skip_ordinal(const char **p)
{
	const char *q = *p;

	if ((strncasecmp(q, "st", 2) == 0 || strncasecmp(q, "nd", 2) == 0 ||
	     strncasecmp(q, "rd", 2) == 0 || strncasecmp(q, "th", 2) == 0) &&
	    !isalpha((unsigned char)q[2]))
		*p = q + 2;
}

/* The optional time after the date; 0 if the rest of s is acceptable. */
static int time_tail(const char *p)
{
	int h, m, s;
	char w[8];

	skip_ws(&p);
	if (!*p)
		return 0;
	if (*p == 'T' || *p == 't' || *p == ',' || *p == '-' || *p == '|') {
		p++;
	} else if (strncasecmp(p, "at", 2) == 0 && p[2] == ' ') {
		p += 2;
	}
	skip_ws(&p);
	if (read_num(&p, 2, &h) == 0 || h > 23 || *p != ':')
		return LEDE_EPARSE;
	p++;
	if (read_num(&p, 2, &m) != 2 || m > 59)
		return LEDE_EPARSE;
	if (*p == ':') {
		p++;
		if (read_num(&p, 2, &s) != 2 || s > 60)
			return LEDE_EPARSE;
		if (*p == '.' || *p == ',') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	skip_ws(&p);
	if (strncasecmp(p, "a.m.", 4) == 0 || strncasecmp(p, "p.m.", 4) == 0) {
		p += 4;
	} else if ((strncasecmp(p, "am", 2) == 0 ||
		    strncasecmp(p, "pm", 2) == 0) &&
		   !isalpha((unsigned char)p[2])) {
		p += 2;
	}
	skip_ws(&p);
	if (*p == '(')   /* "12:48 (GMT)" */
		p++;
	if (*p == '+' || *p == '-') {
		int z;
		p++;
		if (read_num(&p, 4, &z) == 0)
			return LEDE_EPARSE;
		if (*p == ':') {
			p++;
			if (read_num(&p, 2, &z) != 2)
				return LEDE_EPARSE;
		}
	} else if (isalpha((unsigned char)*p)) {
		if (read_word(&p, w, sizeof(w)) > 5)
			return LEDE_EPARSE;
		if (*p == '+' || *p == '-') {   /* "GMT+01:00" */
			int z;
			p++;
			if (read_num(&p, 4, &z) == 0)
				return LEDE_EPARSE;
			if (*p == ':') {
				p++;
				if (read_num(&p, 2, &z) != 2)
					return LEDE_EPARSE;
			}
		}
	}
	if (*p == ')')
		p++;
	skip_ws(&p);
	return *p ? LEDE_EPARSE : 0;
}

static int valid(int y, int m, int d, int32_t *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
				       31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return LEDE_EPARSE;
	*out = (int32_t)(y * 10000 + m * 100 + d);
	return 0;
}

int rd_parse_date(const char *s, int32_t *out)
{
	const char *p = s, *q;
	int y, m, d;

	if (!s || strnlen(s, DATE_MAX_LEN + 1) > DATE_MAX_LEN)
		return LEDE_EPARSE;
	skip_ws(&p);
	skip_weekday(&p);
	q = p;
	if (read_num(&q, 4, &y) == 4 && (*q == '-' || *q == '/')) {
		char sep = *q++;
		if (read_num(&q, 2, &m) == 0 || *q++ != sep ||
		    read_num(&q, 2, &d) == 0)
			return LEDE_EPARSE;
		if (isalnum((unsigned char)*q) && *q != 'T' && *q != 't')
			return LEDE_EPARSE;
		if (time_tail(q))
			return LEDE_EPARSE;
		return valid(y, m, d, out);
	}
	m = read_month(&p);
	if (m) {   /* Month D, YYYY */
		skip_ws(&p);
		if (read_num(&p, 2, &d) == 0)
			return LEDE_EPARSE;
		skip_ordinal(&p);
		skip_ws(&p);
		if (*p == ',')
			p++;
		skip_ws(&p);
	} else {   /* D Month YYYY */
		if (read_num(&p, 2, &d) == 0)
			return LEDE_EPARSE;
		skip_ordinal(&p);
		skip_ws(&p);
		m = read_month(&p);
		if (!m)
			return LEDE_EPARSE;
		skip_ws(&p);
		if (*p == ',')
			p++;
		skip_ws(&p);
	}
	if (read_num(&p, 4, &y) != 4 || isalnum((unsigned char)*p))
		return LEDE_EPARSE;
	if (time_tail(p))
		return LEDE_EPARSE;
	return valid(y, m, d, out);
}
