/*
 * t.h - the unit-test harness: CHECK() counts a pass or a failure and
 * reports the failing expression; t_done() prints "N passed, N failed"
 * for the test binary and returns its exit status.
 */
#ifndef LEDE_T_H
#define LEDE_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond) do { \
	if (cond) { t_pass++; } else { t_fail++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", \
			__FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *t_a_ = (a), *t_b_ = (b); \
	if (t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0) { t_pass++; } \
	else { t_fail++; fprintf(stderr, \
		"%s:%d: check failed: %s == %s (\"%s\" vs \"%s\")\n", \
		__FILE__, __LINE__, #a, #b, t_a_ ? t_a_ : "(null)", \
		t_b_ ? t_b_ : "(null)"); } \
} while (0)

#define CHECK_INT(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ == t_b_) { t_pass++; } \
	else { t_fail++; fprintf(stderr, \
		"%s:%d: check failed: %s == %s (%lld vs %lld)\n", \
		__FILE__, __LINE__, #a, #b, t_a_, t_b_); } \
} while (0)

static inline int t_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
	return t_fail ? 1 : 0;
}

#endif
