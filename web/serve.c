/*
 * serve.c - the HTTP server of serve.h on libmicrohttpd.
 *
 * Owns: the daemon (a thread pool on epoll), the open index shared by
 * every thread (ix serialises map growth, see ix.c), a pool of analysers
 * (one per request at a time), and two caches that follow the index as
 * it grows: the date of every docid (for filters, sort:date and the
 * timeline without reading document records) and the headline words
 * with their counts (for /api/suggest). Docids only grow and a document
 * record never changes under its docid (a correction gets a new docid),
 * so the caches are extended, never invalidated: each request compares
 * the index's next docid with theirs and reads only the new records.
 *
 * Requests: only GET and HEAD; the raw URI (captured before
 * libmicrohttpd unescapes it) is parsed here with strict
 * percent-decoding, capped at WEB_MAX_URI bytes, and must be valid
 * UTF-8. No path reaches the file system: assets are embedded.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>
#include "../common/ana.h"
#include "../common/buf.h"
#include "../common/ix.h"
#include "../common/tok.h"
#include "../indexer/maint.h"
#include "../searcher/render.h"
#include "../searcher/search.h"
#include "../searcher/snip.h"
#include "page.h"
#include "serve.h"

#define PAGE_CAP   ((size_t)64 << 20)   /* a rendered page or JSON */
#define BODY_CAP   ((size_t)256 << 20)  /* a decompressed article */
#define MAX_BARS   120
#define SUGGEST_N  10
#define SUGGEST_SCAN 20000               /* dictionary entries a
					  * suggestion may look at */
#define ARTICLE_MARKS 4096
#define TL_EPOCH 1800                    /* the timeline's first year */

static const char CSP[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; "
	"base-uri 'none'; frame-ancestors 'none'";

/* ---- the headline-word dictionary ------------------------------------ */

typedef struct sug_ent {
	char *word;        /* folded, NUL-terminated */
	uint32_t count;    /* headlines holding it */
} sug_ent;

typedef struct sug {
	sug_ent *e;        /* open addressing by hash */
	size_t cap, n;
	sug_ent **sorted;  /* by word, rebuilt when dirty */
	size_t nsorted;
	int dirty;
} sug;

static int sug_add(sug *s, const char *w, size_t len)
{
	size_t h;

	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4096;
		sug_ent *ne = calloc(nc, sizeof(*ne));

		if (!ne)
			return LEDE_ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->e[i].word)
				continue;
			h = (size_t)hash64(s->e[i].word, strlen(s->e[i].word),
					   0) & (nc - 1);
			while (ne[h].word)
				h = (h + 1) & (nc - 1);
			ne[h] = s->e[i];
		}
		free(s->e);
		s->e = ne;
		s->cap = nc;
	}
	h = (size_t)hash64(w, len, 0) & (s->cap - 1);
	while (s->e[h].word && (strlen(s->e[h].word) != len ||
				memcmp(s->e[h].word, w, len) != 0))
		h = (h + 1) & (s->cap - 1);
	if (!s->e[h].word) {
		s->e[h].word = strndup(w, len);
		if (!s->e[h].word)
			return LEDE_ENOMEM;
		s->n++;
		s->dirty = 1;
	}
	s->e[h].count++;
	return 0;
}

static int cmp_sug(const void *a, const void *b)
{
	return strcmp((*(sug_ent *const *)a)->word,
		      (*(sug_ent *const *)b)->word);
}

static int sug_sort(sug *s)
{
	sug_ent **ns;
	size_t n = 0;

	if (!s->dirty)
		return 0;
	ns = realloc(s->sorted, (s->n ? s->n : 1) * sizeof(*ns));
	if (!ns)
		return LEDE_ENOMEM;
	s->sorted = ns;
	for (size_t i = 0; i < s->cap; i++)
		if (s->e[i].word)
			ns[n++] = &s->e[i];
	qsort(ns, n, sizeof(*ns), cmp_sug);
	s->nsorted = n;
	s->dirty = 0;
	return 0;
}

static void sug_release(sug *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->e[i].word);
	free(s->e);
	free(s->sorted);
	memset(s, 0, sizeof(*s));
}

/* ---- server state ---------------------------------------------------- */

/* An open connection, for the request deadline. fd and peer are what
 * the connection had when it opened: the watchdog cuts a socket only
 * while it still has that peer, so a number reused after MHD closed
 * it is never touched. */
typedef struct conn {
	struct conn *next, **pprev;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	double since;             /* when it began waiting for a request,
				   * now_ms() */
	int waiting;              /* no request being handled */
	int cut;                  /* shut down already */
} conn;

typedef struct srv {
	ix *x;
	const char *dir;
	char base[96];            /* http://host:port */
	/* analysers */
	pthread_mutex_t amu;
	ana **apool;
	size_t napool, capool;
	/* caches following the index */
	pthread_rwlock_t clock;
	int32_t *dates;           /* dates[docid], docid < ndates */
	uint16_t *months;         /* months since January 1800, +1; 0 =
				   * no date a bar can show (none, or
				   * before 1800): half the memory traffic
				   * of the dates when the timeline walks
				   * every match */
	uint32_t ndates;
	size_t capdates;
	sug words;
	int sorted_ok;
	/* /api/stats, recomputed when the index changed */
	pthread_mutex_t smu;
	char *stats_json;
	uint32_t stats_next;
	uint64_t stats_ndocs;
	/* open connections (request deadline) */
	pthread_mutex_t cmu;
	conn *conns;
	unsigned req_timeout;
	uint64_t cut;             /* connections cut off so far */
} srv;

static int ana_get(srv *s, ana **out)
{
	int rc = 0;

	pthread_mutex_lock(&s->amu);
	if (s->napool)
		*out = s->apool[--s->napool];
	else
		rc = ana_new(ix_lang(s->x), out);
	pthread_mutex_unlock(&s->amu);
	return rc;
}

static void ana_put(srv *s, ana *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&s->amu);
	if (s->napool == s->capool) {
		size_t nc = s->capool ? s->capool * 2 : 8;
		ana **np = realloc(s->apool, nc * sizeof(*np));
		if (!np) {
			pthread_mutex_unlock(&s->amu);
			ana_free(a);
			return;
		}
		s->apool = np;
		s->capool = nc;
	}
	s->apool[s->napool++] = a;
	pthread_mutex_unlock(&s->amu);
}

typedef struct title_ctx {
	sug *s;
	int rc;
} title_ctx;

static int on_title_word(void *ctx, const char *w, size_t len,
			 const tok_token *t)
{
	title_ctx *c = ctx;

	/* ana_tokens passes the folded word in t, not as a stem */
	(void)w;
	(void)len;
	/* words of two letters or more, not numbers */
	if (t->len < 2 || (t->text[0] >= '0' && t->text[0] <= '9'))
		return 0;
	c->rc = sug_add(c->s, t->text, t->len);
	return c->rc;
}

/* Extend the caches to the index's next docid (t's view); *out gets
 * the statistics read for that (NULL: not wanted). */
static int refresh(srv *s, ix_txn *t, ana *a, ix_stats *out)
{
	ix_stats st;
	ix_cur *cur = NULL;
	const uint8_t *k, *v;
	size_t kl, vl;
	uint8_t key[4];
	int rc;

	rc = ix_stats_get(t, &st);
	if (rc)
		return rc;
	if (out)
		*out = st;
	pthread_rwlock_rdlock(&s->clock);
	rc = st.next_docid <= s->ndates;
	pthread_rwlock_unlock(&s->clock);
	if (rc)
		return 0;
	pthread_rwlock_wrlock(&s->clock);
	if (st.next_docid <= s->ndates)
		goto out;
	if (st.next_docid > s->capdates) {
		size_t nc = s->capdates ? s->capdates : 4096;
		int32_t *nd;

		while (nc < st.next_docid)
			nc *= 2;
		uint16_t *nm;

		nd = realloc(s->dates, nc * sizeof(*nd));
		if (nd)
			s->dates = nd;
		nm = realloc(s->months, nc * sizeof(*nm));
		if (nm)
			s->months = nm;
		if (!nd || !nm) {
			rc = LEDE_ENOMEM;
			goto out;
		}
		memset(nd + s->capdates, 0,
		       (nc - s->capdates) * sizeof(*nd));
		memset(nm + s->capdates, 0,
		       (nc - s->capdates) * sizeof(*nm));
		s->capdates = nc;
	}
	rc = ix_cur_open(t, IX_DOCS, &cur);
	if (rc)
		goto out;
	u32be_put(key, s->ndates);
	rc = ix_cur_seek(cur, key, 4, &k, &kl, &v, &vl);
	while (rc == 0) {
		ix_doc d;
		uint32_t docid;
		title_ctx tc = { &s->words, 0 };

		if (kl != 4)
			break;
		docid = u32be_get(k);
		if (docid >= st.next_docid)
			break;
		if (ix_doc_parse(v, vl, docid, &d) == 0) {
			int32_t m = d.date / 100 % 100;

			s->dates[docid] = d.date;
			/* the timeline's bucket, worked out once per docid */
			s->months[docid] = d.date >= TL_EPOCH * 10000 + 101 &&
				d.date / 10000 < TL_EPOCH + 5000 && m >= 1 &&
				m <= 12 ? (uint16_t)((d.date / 10000 -
				TL_EPOCH) * 12 + m) : 0;
			rc = ana_tokens(a, d.title, d.title_len, 0,
					on_title_word, &tc, NULL);
			if (rc < 0)
				goto out;
		}
		rc = ix_cur_next(cur, &k, &kl, &v, &vl);
	}
	if (rc < 0)
		goto out;
	rc = 0;
	s->ndates = st.next_docid;
out:
	ix_cur_close(cur);
	pthread_rwlock_unlock(&s->clock);
	return rc;
}

/* ---- the request deadline ------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **sock_ctx,
		    enum MHD_ConnectionNotificationCode toe)
{
	srv *s = cls;
	conn *k = *sock_ctx;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c,
				MHD_CONNECTION_INFO_CONNECTION_FD);

		*sock_ctx = NULL;
		k = calloc(1, sizeof(*k));
		if (!k || !ci) {
			free(k);   /* untracked: only the idle timeout */
			return;
		}
		k->fd = ci->connect_fd;
		k->peer_len = sizeof(k->peer);
		if (getpeername(k->fd, (struct sockaddr *)&k->peer,
				&k->peer_len) != 0) {
			free(k);
			return;
		}
		k->since = now_ms();
		k->waiting = 1;
		pthread_mutex_lock(&s->cmu);
		k->next = s->conns;
		k->pprev = &s->conns;
		if (s->conns)
			s->conns->pprev = &k->next;
		s->conns = k;
		pthread_mutex_unlock(&s->cmu);
		*sock_ctx = k;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && k) {
		pthread_mutex_lock(&s->cmu);
		*k->pprev = k->next;
		if (k->next)
			k->next->pprev = k->pprev;
		pthread_mutex_unlock(&s->cmu);
		free(k);
		*sock_ctx = NULL;
	}
}

/* A request of c has arrived whole (busy 1) or been answered (0). */
static void conn_busy(srv *s, struct MHD_Connection *c, int busy)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	conn *k = ci ? ci->socket_context : NULL;

	if (!k)
		return;
	pthread_mutex_lock(&s->cmu);
	k->waiting = !busy;
	if (!busy)
		k->since = now_ms();
	pthread_mutex_unlock(&s->cmu);
}

/* Cut off every connection that has waited longer than the deadline for
 * its request, while its socket still has the peer it opened with. */
static void conn_watch(srv *s)
{
	double now = now_ms();

	pthread_mutex_lock(&s->cmu);
	for (conn *k = s->conns; k; k = k->next) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);

		if (!k->waiting || k->cut ||
		    now - k->since < s->req_timeout * 1e3)
			continue;
		if (getpeername(k->fd, (struct sockaddr *)&peer, &len) != 0 ||
		    len != k->peer_len || memcmp(&peer, &k->peer, len) != 0)
			continue;
		shutdown(k->fd, SHUT_RDWR);
		k->cut = 1;
		s->cut++;
	}
	pthread_mutex_unlock(&s->cmu);
}

/* ---- requests -------------------------------------------------------- */

typedef struct req {
	char *uri;            /* raw, as received */
	size_t len;
	int seen;             /* the handler met this request before */
} req;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (!r)
		return NULL;
	r->len = strlen(uri);
	r->uri = r->len <= WEB_MAX_URI ? strdup(uri) : NULL;
	return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	req *r = *con_cls;

	(void)toe;
	conn_busy(cls, c, 0);
	if (r) {
		free(r->uri);
		free(r);
	}
	*con_cls = NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}


/* Strict percent-decoding of s[0..n) into out (NUL-terminated); plus
 * is a space when form is set. -1 on a bad escape or invalid UTF-8. */
static int pct_decode(const char *s, size_t n, int form, buf *out)
{
	buf_clear(out);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h << 4 | l;
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		if (buf_addc(out, (uint8_t)c))
			return -1;
	}
	if (!utf8_valid(out->data, out->len) || buf_nul(out))
		return -1;
	return 0;
}

typedef struct params {
	buf q;
	char n[12], offset[12], sort[16], from[16], to[16];
	int has_q;
	int bad;              /* a value failed to decode */
	int too_long;         /* q over the cap */
} params;

static void params_parse(const char *qs, size_t n, params *p)
{
	buf tmp;
	size_t i = 0;

	buf_init_limit(&tmp, WEB_MAX_URI + 1);
	while (i < n) {
		size_t j = i, eq;
		const char *k;
		size_t kl;

		while (j < n && qs[j] != '&')
			j++;
		eq = i;
		while (eq < j && qs[eq] != '=')
			eq++;
		k = qs + i;
		kl = eq - i;
		if (pct_decode(eq < j ? qs + eq + 1 : "", eq < j ?
			       j - eq - 1 : 0, 1, &tmp)) {
			p->bad = 1;
		} else if (kl == 1 && k[0] == 'q') {
			buf_clear(&p->q);
			if (buf_add(&p->q, tmp.data, tmp.len) ||
			    buf_nul(&p->q))
				p->too_long = 1;
			p->has_q = 1;
		} else {
			char *dst = NULL;
			size_t cap = 0;
#define FIELD(name) if (kl == sizeof(#name) - 1 && \
	memcmp(k, #name, kl) == 0) { dst = p->name; cap = sizeof(p->name); }
			FIELD(n) else FIELD(offset) else FIELD(sort)
			else FIELD(from) else FIELD(to)
#undef FIELD
			if (dst) {
				if (tmp.len >= cap)
					p->bad = 1;
				else {
					memcpy(dst, tmp.data, tmp.len);
					dst[tmp.len] = 0;
				}
			}
		}
		i = j + 1;
	}
	buf_release(&tmp);
}

static void add_headers(struct MHD_Response *rs, const char *type,
			int cache)
{
	MHD_add_response_header(rs, "Content-Type", type);
	MHD_add_response_header(rs, "Content-Security-Policy", CSP);
	MHD_add_response_header(rs, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(rs, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(rs, "Cache-Control", cache ?
				"public, max-age=3600" : "no-store");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *type, const void *data,
			     size_t len, int cache)
{
	struct MHD_Response *rs;
	enum MHD_Result ret;

	rs = MHD_create_response_from_buffer(len, (void *)data,
					     MHD_RESPMEM_MUST_COPY);
	if (!rs)
		return MHD_NO;
	add_headers(rs, type, cache);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(rs, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, status, rs);
	MHD_destroy_response(rs);
	return ret;
}

static enum MHD_Result reply_json_error(struct MHD_Connection *c,
					unsigned status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *txt = NULL;
	enum MHD_Result ret;

	if (o && cJSON_AddStringToObject(o, "error", msg))
		txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!txt)
		return MHD_NO;
	ret = reply(c, status, "application/json", txt, strlen(txt), 0);
	free(txt);
	return ret;
}

static enum MHD_Result reply_page_error(struct MHD_Connection *c,
					unsigned status, const char *msg)
{
	buf out;
	enum MHD_Result ret;

	buf_init_limit(&out, PAGE_CAP);
	if (web_page_error((int)status, msg, &out)) {
		buf_release(&out);
		return reply(c, status, "text/plain; charset=utf-8", msg,
			     strlen(msg), 0);
	}
	ret = reply(c, status, "text/html; charset=utf-8", out.data,
		    out.len, 0);
	buf_release(&out);
	return ret;
}

/* ---- search (page and API) ------------------------------------------- */

/* Matches per month, counted by the search itself (srch_opts
 * month_cnt): cnt[k] for the month numbered k in s->months (k = (year -
 * TL_EPOCH) * 12 + month; 0 = no date, not drawn). */
#define TL_SLOTS 65536

typedef struct tl {
	uint32_t *cnt;   /* TL_SLOTS entries */
} tl;

/* Month number (year * 12 + month - 1) of slot k >= 1. */
static uint32_t tl_month(uint32_t k)
{
	return k + TL_EPOCH * 12 - 1;
}

static int days_in(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				  30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Bars per year, or per month when the matches span three years or
 * less; at most MAX_BARS (the latest). */
static size_t tl_bars(const tl *t, web_bar *bars)
{
	uint32_t first = 0, last = 0, lo, hi;
	size_t nb = 0;

	for (uint32_t k = 1; t->cnt && k < TL_SLOTS; k++) {
		if (!t->cnt[k])
			continue;
		if (!first)
			first = k;
		last = k;
	}
	if (!first)
		return 0;
	lo = tl_month(first);
	hi = tl_month(last);
	if (hi / 12 - lo / 12 < 3) {
		uint32_t from = hi - lo + 1 > MAX_BARS ? hi - MAX_BARS + 1 : lo;

		for (uint32_t mi = from; mi <= hi; mi++) {
			web_bar *b = &bars[nb++];
			unsigned y = mi / 12 % 10000, m = mi % 12 + 1;

			b->count = t->cnt[mi - tl_month(0)];
			snprintf(b->label, sizeof(b->label), "%04u-%02u", y,
				 m);
			snprintf(b->from, sizeof(b->from), "%04u-%02u-01", y, m);
			snprintf(b->to, sizeof(b->to), "%04u-%02u-%02d", y, m,
				 days_in((int)y, (int)m));
		}
		return nb;
	}
	{
		uint32_t y0 = lo / 12, y1 = hi / 12;
		uint32_t fy = y1 - y0 + 1 > MAX_BARS ? y1 - MAX_BARS + 1 : y0;

		for (uint32_t y = fy; y <= y1; y++) {
			web_bar *b = &bars[nb++];

			b->count = 0;
			for (uint32_t mi = y * 12; mi < y * 12 + 12; mi++)
				if (mi > tl_month(0) && mi - tl_month(0) < TL_SLOTS)
					b->count += t->cnt[mi - tl_month(0)];
			snprintf(b->label, sizeof(b->label), "%04u",
				 y % 10000);
			snprintf(b->from, sizeof(b->from), "%04u-01-01",
				 y % 10000);
			snprintf(b->to, sizeof(b->to), "%04u-12-31",
				 y % 10000);
		}
	}
	return nb;
}

static int parse_num(const char *s, size_t max, size_t dflt, size_t *out)
{
	char *end;
	unsigned long v;

	if (!s[0]) {
		*out = dflt;
		return 0;
	}
	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Read and check the search parameters into so; a message on error. */
static const char *search_params(const params *p, srch_opts *so,
				 size_t *n)
{
	size_t off;
	int32_t d;

	if (p->bad)
		return "a parameter is not valid percent-encoded UTF-8";
	if (p->too_long || p->q.len > Q_MAX_BYTES)
		return "the query is too long (the cap is 1024 bytes)";
	if (parse_num(p->n, WEB_MAX_N, 10, n) || *n == 0)
		return "n must be a number from 1 to 100";
	if (parse_num(p->offset, SRCH_MAX_K, 0, &off) ||
	    off + *n > SRCH_MAX_K)
		return "offset must be a number, offset + n at most 10000";
	so->k = *n;
	so->offset = off;
	if (!p->sort[0])
		so->sort = -1;
	else if (!strcmp(p->sort, "date"))
		so->sort = Q_SORT_DATE;
	else if (!strcmp(p->sort, "relevance"))
		so->sort = Q_SORT_RELEVANCE;
	else
		return "sort must be relevance or date";
	if (p->from[0]) {
		if (q_date(p->from, strlen(p->from), 0, &d))
			return "from must be YYYY, YYYY-MM or YYYY-MM-DD";
		so->from = d;
	}
	if (p->to[0]) {
		if (q_date(p->to, strlen(p->to), 1, &d))
			return "to must be YYYY, YYYY-MM or YYYY-MM-DD";
		so->to = d;
	}
	return NULL;
}

static enum MHD_Result do_search(srv *s, struct MHD_Connection *c,
				 const params *p, int api)
{
	ix_txn *t = NULL;
	ana *a = NULL;
	srch_opts so;
	srch_result r;
	tl tline;
	web_bar bars[MAX_BARS];
	web_hit *hits = NULL;
	snip *snips = NULL;
	web_results wr;
	buf out, body;
	const char *msg = NULL;
	unsigned status = MHD_HTTP_OK;
	size_t n = 10, nbars = 0;
	double t0 = now_ms(), took = 0;
	enum MHD_Result ret = MHD_NO;
	int rc, locked = 0;
	ix_stats st = { 0 };

	memset(&r, 0, sizeof(r));
	memset(&tline, 0, sizeof(tline));
	memset(&wr, 0, sizeof(wr));
	buf_init_limit(&out, PAGE_CAP);
	buf_init_limit(&body, BODY_CAP);
	rc = ana_get(s, &a);
	if (!rc)
		rc = ix_begin(s->x, 0, &t);
	if (!rc)
		rc = refresh(s, t, a, &st);
	if (rc) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		msg = "the index cannot be read";
		goto render;
	}
	srch_opts_init(&so);
	rc = srch_opts_from_index(t, &so);
	if (rc) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		msg = "the index's ranking settings cannot be read";
		goto render;
	}
	msg = search_params(p, &so, &n);
	if (msg) {
		status = MHD_HTTP_BAD_REQUEST;
		goto render;
	}
	if (api && (!p->has_q || p->q.len == 0)) {
		status = MHD_HTTP_BAD_REQUEST;
		msg = "q is missing: /api/search?q=words";
		goto render;
	}
	if (!p->has_q || p->q.len == 0)
		goto render;   /* the front page */
	pthread_rwlock_rdlock(&s->clock);
	locked = 1;
	tline.cnt = calloc(TL_SLOTS, sizeof(*tline.cnt));
	if (!tline.cnt) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		msg = "out of memory";
		goto render;
	}
	so.count = 1;
	so.months = s->months;
	so.month_cnt = tline.cnt;
	so.dates = s->dates;
	so.ndates = s->ndates;
	rc = srch_run(t, a, (const char *)p->q.data, p->q.len, &so, &r);
	if (rc == LEDE_ETOOBIG) {
		status = MHD_HTTP_BAD_REQUEST;
		msg = "the query is too long: the caps are 1024 bytes and "
		      "64 words";
		goto render;
	}
	if (rc) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		msg = rc == LEDE_ECORRUPT ? "the index is damaged (run lede "
			"check)" : "the search failed";
		goto render;
	}
	nbars = tl_bars(&tline, bars);
	took = now_ms() - t0;
	if (!api) {
		hits = calloc(r.n ? r.n : 1, sizeof(*hits));
		snips = calloc(r.n ? r.n : 1, sizeof(*snips));
		if (!hits || !snips) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			msg = "out of memory";
			goto render;
		}
		for (size_t i = 0; i < r.n; i++) {
			ix_doc d;

			rc = ix_doc_get(t, r.hits[i].docid, &d);
			if (!rc)
				rc = rnd_snippet(t, a, &r, r.hits[i].docid,
						 &body, &snips[i]);
			if (rc) {
				status = MHD_HTTP_INTERNAL_SERVER_ERROR;
				msg = "a hit cannot be read";
				goto render;
			}
			hits[i].id = d.id;
			hits[i].id_len = d.id_len;
			hits[i].title = d.title;
			hits[i].title_len = d.title_len;
			rnd_date(d.date, hits[i].date);
			hits[i].url = d.url;
			hits[i].url_len = d.url_len;
			hits[i].score = r.hits[i].score;
			hits[i].snippet = snips[i].text ? snips[i].text : "";
			hits[i].snippet_len = snips[i].len;
			hits[i].marks = snips[i].marks;
			hits[i].nmarks = snips[i].nmarks;
		}
		took = now_ms() - t0;
	}
render:
	if (api) {
		cJSON *js = NULL, *arr;
		char *txt;

		if (msg) {
			ret = reply_json_error(c, status, msg);
			goto out;
		}
		rc = rnd_json(t, a, (const char *)p->q.data, p->q.len, &so,
			      &r, took, 0, &js);
		if (rc) {
			ret = reply_json_error(c, 500, rc == LEDE_ECORRUPT ?
					       "the index is damaged: run "
					       "'lede check'" : "the results "
					       "cannot be rendered");
			goto out;
		}
		cJSON_AddNumberToObject(js, "n", (double)n);
		/* took_ms: the search and the snippets */
		cJSON_ReplaceItemInObject(js, "took_ms", cJSON_CreateNumber(
			(double)(int64_t)((now_ms() - t0) * 1000) / 1000));
		arr = cJSON_AddArrayToObject(js, "timeline");
		for (size_t i = 0; arr && i < nbars; i++) {
			cJSON *b = cJSON_CreateObject();
			if (!b || !cJSON_AddItemToArray(arr, b)) {
				cJSON_Delete(b);
				break;
			}
			cJSON_AddStringToObject(b, "label", bars[i].label);
			cJSON_AddStringToObject(b, "from", bars[i].from);
			cJSON_AddStringToObject(b, "to", bars[i].to);
			cJSON_AddNumberToObject(b, "count",
						(double)bars[i].count);
		}
		txt = cJSON_PrintUnformatted(js);
		cJSON_Delete(js);
		if (!txt) {
			ret = MHD_NO;
			goto out;
		}
		ret = reply(c, MHD_HTTP_OK, "application/json", txt,
			    strlen(txt), 0);
		free(txt);
		goto out;
	}
	wr.q = p->has_q ? (const char *)p->q.data : "";
	wr.q_len = p->has_q ? p->q.len : 0;
	wr.searched = p->has_q && p->q.len > 0;
	wr.error = msg;
	wr.total = r.total;
	wr.took_ms = took;
	wr.offset = so.offset;
	wr.n = n;
	wr.sort = r.sort;
	snprintf(wr.from, sizeof(wr.from), "%.10s", p->from);
	snprintf(wr.to, sizeof(wr.to), "%.10s", p->to);
	wr.hits = msg ? NULL : hits;
	wr.nhits = msg || !hits ? 0 : r.n;
	wr.bars = bars;
	wr.nbars = msg ? 0 : nbars;
	wr.ndocs = st.ndocs;
	if (msg)
		wr.searched = 1;
	if (web_page_search(&wr, &out)) {
		ret = reply_page_error(c, 500, "the page cannot be rendered");
		goto out;
	}
	ret = reply(c, status, "text/html; charset=utf-8", out.data,
		    out.len, 0);
out:
	if (locked)
		pthread_rwlock_unlock(&s->clock);
	for (size_t i = 0; snips && i < r.n; i++)
		snip_free(&snips[i]);
	free(snips);
	free(hits);
	free(tline.cnt);
	srch_result_release(&r);
	ix_abort(t);
	ana_put(s, a);
	buf_release(&out);
	buf_release(&body);
	return ret;
}

/* ---- articles -------------------------------------------------------- */

static enum MHD_Result do_article(srv *s, struct MHD_Connection *c,
				  const char *id, size_t id_len,
				  const params *p, int api)
{
	ix_txn *t = NULL;
	ana *a = NULL;
	uint32_t docid;
	ix_doc d;
	buf body, out;
	snip_span *marks = NULL;
	size_t nmarks = 0;
	enum MHD_Result ret;
	int rc;

	buf_init_limit(&body, BODY_CAP);
	buf_init_limit(&out, PAGE_CAP);
	rc = ana_get(s, &a);
	if (!rc)
		rc = ix_begin(s->x, 0, &t);
	if (rc) {
		ret = api ? reply_json_error(c, 500, "the index cannot be read")
			: reply_page_error(c, 500, "The index cannot be read.");
		goto out;
	}
	rc = ix_id_lookup(t, id, id_len, &docid);
	if (!rc)
		rc = ix_doc_get(t, docid, &d);
	if (rc == LEDE_ENOTFOUND) {
		ret = api ? reply_json_error(c, 404, "no such article")
			: reply_page_error(c, 404, "No article has this id.");
		goto out;
	}
	if (!rc) {
		rc = ix_body_get(t, docid, &body);
		if (rc == LEDE_ENOTFOUND) {
			buf_clear(&body);
			rc = 0;
		}
	}
	if (rc) {
		ret = api ? reply_json_error(c, 500, "the article cannot be "
					     "read")
			: reply_page_error(c, 500, "The article cannot be read.");
		goto out;
	}
	if (api) {
		cJSON *o = cJSON_CreateObject();
		char date[11], *txt = NULL;
		buf tmp;

		buf_init_limit(&tmp, BODY_CAP);
		rnd_date(d.date, date);
#define STR(name_, p_, n_) do { buf_clear(&tmp); \
	if (buf_add(&tmp, p_, n_) || buf_nul(&tmp) || \
	    !utf8_valid(tmp.data, tmp.len)) \
		cJSON_AddStringToObject(o, name_, ""); \
	else cJSON_AddStringToObject(o, name_, (const char *)tmp.data); \
} while (0)
		if (o) {
			STR("id", d.id, d.id_len);
			STR("title", d.title, d.title_len);
			if (date[0])
				cJSON_AddStringToObject(o, "date", date);
			else
				cJSON_AddNullToObject(o, "date");
			STR("url", d.url, d.url_len);
			STR("source", d.source, d.source_len);
			STR("tags", d.tags, d.tags_len);
			STR("body", body.data ? (const char *)body.data : "",
			    body.len);
			txt = cJSON_PrintUnformatted(o);
		}
#undef STR
		cJSON_Delete(o);
		buf_release(&tmp);
		if (!txt) {
			ret = MHD_NO;
			goto out;
		}
		ret = reply(c, MHD_HTTP_OK, "application/json", txt,
			    strlen(txt), 0);
		free(txt);
		goto out;
	}
	if (p->has_q && p->q.len && !p->bad && !p->too_long) {
		srch_opts so;
		srch_result r;

		srch_opts_init(&so);
		so.k = 0;
		marks = calloc(ARTICLE_MARKS, sizeof(*marks));
		if (marks && srch_run(t, a, (const char *)p->q.data, p->q.len,
				      &so, &r) == 0) {
			snip_terms st = { (const char *const *)r.stems,
					  r.nstems };
			if (snip_mark_all(a, (const char *)body.data, body.len,
					  &st, marks, ARTICLE_MARKS, &nmarks))
				nmarks = 0;
			srch_result_release(&r);
		}
	}
	{
		web_article wa;

		memset(&wa, 0, sizeof(wa));
		wa.id = d.id;
		wa.id_len = d.id_len;
		wa.title = d.title;
		wa.title_len = d.title_len;
		rnd_date(d.date, wa.date);
		wa.url = d.url;
		wa.url_len = d.url_len;
		wa.source = d.source;
		wa.source_len = d.source_len;
		wa.body = body.data ? (const char *)body.data : "";
		wa.body_len = body.len;
		wa.marks = marks;
		wa.nmarks = nmarks;
		wa.q = p->has_q && !p->bad ? (const char *)p->q.data : "";
		wa.q_len = p->has_q && !p->bad ? p->q.len : 0;
		if (web_page_article(&wa, &out))
			ret = reply_page_error(c, 500, "The article cannot be "
					       "shown.");
		else
			ret = reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
				    out.data, out.len, 0);
	}
out:
	free(marks);
	ix_abort(t);
	ana_put(s, a);
	buf_release(&body);
	buf_release(&out);
	return ret;
}

/* ---- suggestions, stats, OpenSearch ---------------------------------- */

static enum MHD_Result do_suggest(srv *s, struct MHD_Connection *c,
				  const params *p)
{
	ix_txn *t = NULL;
	ana *a = NULL;
	const char *q = p->has_q ? (const char *)p->q.data : "";
	size_t ql = p->has_q ? p->q.len : 0, ws;
	char pre[TOK_MAX_BYTES + 1];
	size_t pl = 0;
	sug_ent *best[SUGGEST_N];
	size_t nb = 0;
	cJSON *arr = NULL, *list;
	char *txt = NULL;
	enum MHD_Result ret;
	int rc;

	if (p->bad || p->too_long)
		return reply_json_error(c, 400, "q is not valid or too long");
	/* the last word, folded as the index folds it */
	ws = ql;
	while (ws > 0 && q[ws - 1] != ' ')
		ws--;
	rc = ana_get(s, &a);
	if (!rc)
		rc = ix_begin(s->x, 0, &t);
	if (!rc)
		rc = refresh(s, t, a, NULL);
	if (rc) {
		ix_abort(t);
		ana_put(s, a);
		return reply_json_error(c, 500, "the index cannot be read");
	}
	{
		tok *tk = NULL;
		tok_token tt;

		if (tok_new(&tk) == 0) {
			tok_reset(tk, q + ws, ql - ws, 0);
			if (tok_next(tk, &tt) == 0 && tt.len < sizeof(pre) &&
			    tt.end == ql - ws) {
				memcpy(pre, tt.text, tt.len);
				pl = tt.len;
			}
			tok_free(tk);
		}
	}
	ix_abort(t);
	ana_put(s, a);
	pre[pl] = 0;
	pthread_rwlock_wrlock(&s->clock);
	rc = sug_sort(&s->words);
	if (!rc && pl) {
		size_t lo = 0, hi = s->words.nsorted, scanned = 0;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(s->words.sorted[mid]->word, pre) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < s->words.nsorted &&
		     scanned < SUGGEST_SCAN; i++, scanned++) {
			sug_ent *e = s->words.sorted[i];
			size_t j;

			if (strncmp(e->word, pre, pl) != 0)
				break;
			/* insertion into the best SUGGEST_N by count */
			if (nb == SUGGEST_N &&
			    e->count <= best[nb - 1]->count)
				continue;
			j = nb < SUGGEST_N ? nb++ : nb - 1;
			while (j > 0 && best[j - 1]->count < e->count) {
				best[j] = best[j - 1];
				j--;
			}
			best[j] = e;
		}
	}
	arr = cJSON_CreateArray();
	list = cJSON_CreateArray();
	if (arr && list) {
		buf one;

		buf_init_limit(&one, WEB_MAX_URI * 2);
		cJSON_AddItemToArray(arr, cJSON_CreateString(q));
		for (size_t i = 0; i < nb; i++) {
			buf_clear(&one);
			if (buf_add(&one, q, ws) ||
			    buf_adds(&one, best[i]->word) || buf_nul(&one))
				continue;
			cJSON_AddItemToArray(list, cJSON_CreateString(
				(const char *)one.data));
		}
		buf_release(&one);
		cJSON_AddItemToArray(arr, list);
		list = NULL;
		txt = cJSON_PrintUnformatted(arr);
	}
	pthread_rwlock_unlock(&s->clock);
	cJSON_Delete(list);
	cJSON_Delete(arr);
	if (!txt)
		return MHD_NO;
	ret = reply(c, MHD_HTTP_OK, "application/x-suggestions+json", txt,
		    strlen(txt), 0);
	free(txt);
	return ret;
}

static enum MHD_Result do_stats(srv *s, struct MHD_Connection *c)
{
	ix_txn *t = NULL;
	ix_stats st;
	enum MHD_Result ret;
	int rc;

	rc = ix_begin(s->x, 0, &t);
	if (!rc)
		rc = ix_stats_get(t, &st);
	ix_abort(t);
	if (rc)
		return reply_json_error(c, 500, "the index cannot be read");
	pthread_mutex_lock(&s->smu);
	if (!s->stats_json || s->stats_next != st.next_docid ||
	    s->stats_ndocs != st.ndocs) {
		mt_stats ms;
		cJSON *o = NULL;
		char *txt = NULL;

		/* a full walk of the term records: cached until the index
		 * changes */
		if (mt_stats_get(s->x, &ms) == 0 &&
		    (o = cJSON_CreateObject()) != NULL) {
			cJSON_AddNumberToObject(o, "documents",
						(double)ms.st.ndocs);
			cJSON_AddNumberToObject(o, "terms", (double)ms.terms);
			cJSON_AddNumberToObject(o, "title_terms",
						(double)ms.title_terms);
			cJSON_AddNumberToObject(o, "postings",
						(double)ms.postings);
			cJSON_AddNumberToObject(o, "avg_length", ms.st.ndocs ?
				(double)ms.st.sumlen / ms.st.ndocs : 0.0);
			cJSON_AddNumberToObject(o, "file_bytes",
						(double)ms.file_bytes);
			cJSON_AddStringToObject(o, "language", ix_lang(s->x));
			txt = cJSON_PrintUnformatted(o);
		}
		cJSON_Delete(o);
		if (txt) {
			free(s->stats_json);
			s->stats_json = txt;
			s->stats_next = st.next_docid;
			s->stats_ndocs = st.ndocs;
		}
	}
	if (s->stats_json)
		ret = reply(c, MHD_HTTP_OK, "application/json", s->stats_json,
			    strlen(s->stats_json), 0);
	else
		ret = reply_json_error(c, 500, "the statistics cannot be "
				       "read");
	pthread_mutex_unlock(&s->smu);
	return ret;
}

/* The site's own address for OpenSearch: the Host header when it is a
 * plain host[:port], else the listening address. */
static void site_base(srv *s, struct MHD_Connection *c, char *out,
		      size_t cap)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Host");
	size_t n = h ? strlen(h) : 0;

	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		      ch == ':' || ch == '[' || ch == ']'))
			n = 0;
	}
	if (n == 0 || n > 200)
		snprintf(out, cap, "%s", s->base);
	else
		snprintf(out, cap, "http://%s", h);
}

static enum MHD_Result do_opensearch(srv *s, struct MHD_Connection *c)
{
	char base[256], xml[2048];
	int n;

	site_base(s, c, base, sizeof(base));
	n = snprintf(xml, sizeof(xml),
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<OpenSearchDescription "
		"xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n"
		"  <ShortName>lede</ShortName>\n"
		"  <Description>Search the news archive</Description>\n"
		"  <InputEncoding>UTF-8</InputEncoding>\n"
		"  <Image type=\"image/svg+xml\">%s/static/icon.svg</Image>\n"
		"  <Url type=\"text/html\" method=\"get\" "
		"template=\"%s/?q={searchTerms}\"/>\n"
		"  <Url type=\"application/x-suggestions+json\" "
		"method=\"get\" template=\"%s/api/suggest?q={searchTerms}\"/>\n"
		"</OpenSearchDescription>\n", base, base, base);
	if (n < 0 || (size_t)n >= sizeof(xml))
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, "application/opensearchdescription+xml",
		     xml, (size_t)n, 1);
}

/* ---- routing --------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	srv *s = cls;
	req *r = *con_cls;
	const char *path, *qm;
	size_t plen;
	params p;
	buf dpath;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	(void)upload;
	conn_busy(s, c, 1);   /* its headers are in: off the deadline */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		*upload_size = 0;   /* a body is not read; the connection
				     * closes after the answer */
		return reply_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					"only GET and HEAD");
	}
	if (!r)
		return MHD_NO;
	if (!r->seen) {
		/* Answering in the first call counts as answering before the
		 * request was read, and libmicrohttpd would then close the
		 * connection: wait for the second call to keep it alive. */
		r->seen = 1;
		return MHD_YES;
	}
	*upload_size = 0;
	if (r->len > WEB_MAX_URI || !r->uri)
		return reply_page_error(c, MHD_HTTP_URI_TOO_LONG,
					"The address is too long.");
	path = r->uri;
	qm = strchr(path, '?');
	plen = qm ? (size_t)(qm - path) : strlen(path);
	memset(&p, 0, sizeof(p));
	buf_init_limit(&p.q, Q_MAX_BYTES + 1);
	buf_init_limit(&dpath, WEB_MAX_URI + 1);
	if (qm)
		params_parse(qm + 1, strlen(qm + 1), &p);
	if (pct_decode(path, plen, 0, &dpath)) {
		ret = reply_page_error(c, MHD_HTTP_BAD_REQUEST,
				       "The address is not valid.");
		goto out;
	}
	{
		const char *dp = (const char *)dpath.data;
		size_t dl = dpath.len;

		if (!strcmp(dp, "/")) {
			ret = do_search(s, c, &p, 0);
		} else if (!strcmp(dp, "/api/search")) {
			ret = do_search(s, c, &p, 1);
		} else if (dl > 9 && !strncmp(dp, "/article/", 9)) {
			ret = do_article(s, c, dp + 9, dl - 9, &p, 0);
		} else if (dl > 9 && !strncmp(dp, "/api/doc/", 9)) {
			ret = do_article(s, c, dp + 9, dl - 9, &p, 1);
		} else if (!strcmp(dp, "/api/suggest")) {
			ret = do_suggest(s, c, &p);
		} else if (!strcmp(dp, "/api/stats")) {
			ret = do_stats(s, c);
		} else if (!strcmp(dp, "/healthz")) {
			ret = reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8",
				    "ok\n", 3, 0);
		} else if (!strcmp(dp, "/opensearch.xml")) {
			ret = do_opensearch(s, c);
		} else if (!strncmp(dp, "/api/", 5)) {
			ret = reply_json_error(c, MHD_HTTP_NOT_FOUND,
					       "no such endpoint");
		} else {
			const web_asset *as = web_asset_find(dp);

			if (as)
				ret = reply(c, MHD_HTTP_OK, as->type, as->data,
					    as->len, 1);
			else
				ret = reply_page_error(c, MHD_HTTP_NOT_FOUND,
						       "There is no such page.");
		}
	}
out:
	buf_release(&p.q);
	buf_release(&dpath);
	return ret;
}

int web_serve(const web_opts *o, volatile sig_atomic_t *stop)
{
	srv s;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	ix_txn *t = NULL;
	ana *a = NULL;
	unsigned port;
	int rc;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.amu, NULL);
	pthread_mutex_init(&s.smu, NULL);
	pthread_mutex_init(&s.cmu, NULL);
	s.req_timeout = o->req_timeout ? o->req_timeout : WEB_REQ_TIMEOUT;
	pthread_rwlock_init(&s.clock, NULL);
	s.dir = o->dir;
	rc = ix_open(o->dir, IX_RDONLY, NULL, &s.x);
	if (rc) {
		if (rc == LEDE_ENOTFOUND)
			lede_err("cannot open index '%s': no index there (run "
				 "'lede index -i %s PATH' first)", o->dir,
				 o->dir);
		else
			lede_err("cannot open index '%s': %s (%s)", o->dir,
				 lede_strerror(rc), ix_open_errmsg());
		goto out;
	}
	/* fill the caches before the first request */
	rc = ana_get(&s, &a);
	if (!rc)
		rc = ix_begin(s.x, 0, &t);
	if (!rc)
		rc = refresh(&s, t, a, NULL);
	if (!rc)
		rc = sug_sort(&s.words);   /* before the first suggestion */
	ix_abort(t);
	ana_put(&s, a);
	if (rc) {
		lede_err("cannot read index '%s': %s", o->dir,
			 lede_strerror(rc));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
		lede_err("--listen wants a numeric IPv4 address, not '%s'",
			 o->host);
		rc = LEDE_EINVAL;
		goto out;
	}
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, &s,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE,
			     (unsigned)(o->threads ? o->threads : 1),
			     MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)WEB_CONN_LIMIT,
			     MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned)WEB_CONN_TIMEOUT,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)(WEB_MAX_URI * 4),
			     MHD_OPTION_URI_LOG_CALLBACK, on_uri, &s,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, &s,
			     MHD_OPTION_NOTIFY_CONNECTION, on_conn, &s,
			     MHD_OPTION_END);
	if (!d) {
		lede_err("cannot listen on %s:%u (in use, or not an address "
			 "of this machine?)", o->host, o->port);
		rc = LEDE_EINVAL;
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : o->port;
	snprintf(s.base, sizeof(s.base), "http://%s:%u", o->host, port);
	printf("lede: serving %s at %s/\n", o->dir, s.base);
	fflush(stdout);
	/* the signal handler only sets *stop: look at it often, and at
	 * the connections waiting for their requests every second */
	for (unsigned tick = 0; !*stop; tick++) {
		usleep(100000);
		if (tick % 10 == 9)
			conn_watch(&s);
	}
	rc = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	while (s.napool)
		ana_free(s.apool[--s.napool]);
	free(s.apool);
	free(s.dates);
	free(s.months);
	sug_release(&s.words);
	free(s.stats_json);
	ix_close(s.x);
	pthread_rwlock_destroy(&s.clock);
	pthread_mutex_destroy(&s.amu);
	pthread_mutex_destroy(&s.smu);
	pthread_mutex_destroy(&s.cmu);
	return rc;
}
