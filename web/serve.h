/*
 * serve.h - `lede serve`: the search page, the article pages and the
 * JSON API over HTTP (libmicrohttpd), on one index.
 *
 * Every request runs in its own LMDB read transaction, so it sees the
 * last batch `lede index` committed, without a restart. Endpoints,
 * limits and headers: README.md ("lede serve").
 */
#ifndef LEDE_SERVE_H
#define LEDE_SERVE_H

#include <signal.h>
#include "../common/err.h"

#define WEB_MAX_URI      4096   /* path + query, bytes: longer is 414 */
#define WEB_MAX_N        100    /* hits a page or API call may ask */
#define WEB_CONN_LIMIT   1024   /* open connections */
#define WEB_CONN_TIMEOUT 15     /* seconds an idle connection lives */
#define WEB_REQ_TIMEOUT  30     /* default seconds for a request's
				 * headers to arrive in full */

typedef struct web_opts {
	const char *dir;        /* the index folder */
	const char *host;       /* numeric IPv4 address to bind */
	unsigned port;          /* 0: any free port */
	unsigned threads;       /* worker threads, >= 1 */
	unsigned req_timeout;   /* a connection whose request has not
				 * arrived whole this many seconds after
				 * it began (or after the previous reply)
				 * is cut off; 0 = WEB_REQ_TIMEOUT. The
				 * idle timeout alone restarts with every
				 * byte, so a byte every few seconds would
				 * hold a connection for ever. */
} web_opts;

/* Serve until *stop becomes non-zero (a signal handler sets it), then
 * stop cleanly. Prints "lede: serving DIR at http://HOST:PORT/" on
 * stdout once listening. 0, or an error already reported on stderr. */
int web_serve(const web_opts *o, volatile sig_atomic_t *stop) LEDE_WUR;

#endif
