/*
 * err.h - lede's one error convention.
 *
 * Every fallible function returns int: 0 on success, one of the negative
 * LEDE_E* codes below on failure. Iterators return <0 on error, 0 for an
 * item, >0 at the end. Results travel through out-parameters.
 * lede_strerror() turns a code into a short lowercase phrase.
 *
 * Messages for people go through lede_err()/lede_warn(): lowercase, no
 * full stop, the failure first ("cannot open index 'x': no such file").
 */
#ifndef LEDE_ERR_H
#define LEDE_ERR_H

#define LEDE_OK         0
#define LEDE_ENOMEM    -1   /* allocation failed or a cap was reached */
#define LEDE_EIO       -2   /* read/write/open failed (errno is kept) */
#define LEDE_ECORRUPT  -3   /* bytes on disk fail a bounds or order check */
#define LEDE_EINVAL    -4   /* bad argument or bad user input */
#define LEDE_ENOTFOUND -5   /* no such document, term or key */
#define LEDE_ETOOBIG   -6   /* input over a documented cap */
#define LEDE_ELMDB     -7   /* LMDB failed; see ix_last_error() */
#define LEDE_EFULL     -8   /* map or disk full */
#define LEDE_EPARSE    -9   /* malformed input (JSON, HTML, query) */
#define LEDE_EBINARY  -10   /* file looks binary, not text */
#define LEDE_EVERSION -11   /* index schema version not supported */
#define LEDE_EEMPTY   -12   /* document has no indexable text */
#define LEDE_EINTR    -13   /* interrupted by a signal */

#if defined(__GNUC__)
#define LEDE_WUR __attribute__((warn_unused_result))
#define LEDE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LEDE_WUR
#define LEDE_PRINTF(a, b)
#endif

/* A static string describing err; never NULL. */
const char *lede_strerror(int err);

/* Print "lede: error: <msg>\n" / "lede: warning: <msg>\n" to stderr. */
void lede_err(const char *fmt, ...) LEDE_PRINTF(1, 2);
void lede_warn(const char *fmt, ...) LEDE_PRINTF(1, 2);

#endif
