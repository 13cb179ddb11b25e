/*
 * err.c - error strings and the two message printers of err.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include "err.h"

const char *lede_strerror(int err)
{
	switch (err) {
	case LEDE_OK: return "success";
	case LEDE_ENOMEM: return "out of memory or over a size cap";
	case LEDE_EIO: return "input/output error";
	case LEDE_ECORRUPT: return "index data is corrupt";
	case LEDE_EINVAL: return "invalid argument";
	case LEDE_ENOTFOUND: return "not found";
	case LEDE_ETOOBIG: return "too big";
	case LEDE_ELMDB: return "database error";
	case LEDE_EFULL: return "no space left (disk or map full)";
	case LEDE_EPARSE: return "malformed input";
	case LEDE_EBINARY: return "binary file";
	case LEDE_EVERSION: return "unsupported index version";
	case LEDE_EEMPTY: return "no indexable text";
	case LEDE_EINTR: return "interrupted";
	default: return "unknown error";
	}
}

static void say(const char *kind, const char *fmt, va_list ap)
{
	/* One fprintf per message so lines from threads do not interleave. */
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "lede: %s: %s\n", kind, msg);
}

void lede_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
}

void lede_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}
