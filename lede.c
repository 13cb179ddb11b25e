/*
 * lede.c - the command line: one binary, one subcommand per job.
 *
 *   lede index [-i DIR] [--lang L] [--mem MB] [-q] [--prune] [--reread]
 *              [--watch] PATH...
 *   lede rm [-i DIR] ID...
 *   lede search [-i DIR] [-n N] [--offset N] [--json] [--explain] [--count]
 *               [--from D] [--to D] [--sort S] [--k1 X] [--b X]
 *               [--title-weight X] QUERY...
 *   lede search [-i DIR] --batch TOPICS.tsv [-n N] [--run-tag T] [--latency F]
 *               [--syntax]
 *   lede serve [-i DIR] [--listen HOST:PORT] [--threads N]
 *              [--request-timeout S]
 *   lede stats [-i DIR]
 *   lede check [-i DIR]
 *   lede compact [-i DIR]
 *
 * The index folder is -i DIR, else $LEDE_INDEX, else ./lede.db.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "common/ana.h"
#include "common/ix.h"
#include "common/stem.h"
#include "indexer/bld.h"
#include "indexer/maint.h"
#include "indexer/reader.h"
#include "searcher/render.h"
#include "searcher/search.h"
#include "web/serve.h"

#define DEFAULT_INDEX "lede.db"
#define DEFAULT_MEM_MB 512

/* "search failed: ..." naming the damaged record when there is one. */
static void search_failed(int rc)
{
	if (rc == LEDE_ECORRUPT)
		lede_err("search failed: index data is corrupt (%s); run "
			 "'lede check'", ix_damage());
	else
		lede_err("search failed: %s", lede_strerror(rc));
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *index_dir(const char *opt)
{
	const char *env = getenv("LEDE_INDEX");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return DEFAULT_INDEX;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: lede <command> [options]\n"
"\n"
"commands:\n"
"  index [-i DIR] [--lang L] [--mem MB] [-q] [--prune] [--reread]\n"
"        [--watch] PATH...\n"
"        add new, replace changed, skip unchanged articles from files,\n"
"        folders (.txt .html .htm .md .jsonl) or - (JSONL on stdin);\n"
"        a file whose size and mtime are as indexed is not read again\n"
"        (--reread reads it)\n"
"  rm [-i DIR] ID...           delete documents by external id\n"
"  search [-i DIR] [-n N] [--offset N] [--json] [--explain] [--count]\n"
"         [--from D] [--to D] [--sort date|relevance]\n"
"         [--k1 X] [--b X] [--title-weight X] QUERY...\n"
"        ranked search; QUERY: words, +must -not AND OR NOT ( )\n"
"        \"a phrase\" title:word word* from:2019 to:2020-06 sort:date\n"
"  search [-i DIR] --batch TOPICS.tsv [-n N] [--run-tag T] [--latency F]\n"
"         [--syntax] [--stats] [--passes N]  TREC run for qid<TAB>query\n"
"         lines (N passes in one process, the last written)\n"
"  serve [-i DIR] [--listen HOST:PORT] [--threads N]\n"
"        [--request-timeout S]  the search page and JSON API over HTTP\n"
"                              (default 127.0.0.1:8080); a request not\n"
"                              in whole S seconds (30) is cut off\n"
"  stats [-i DIR]              documents, terms, postings, bytes per table\n"
"  check [-i DIR]              verify every block and record\n"
"  compact [-i DIR]            merge small blocks, drop deleted postings\n"
"\n"
"The index is -i DIR, else $LEDE_INDEX, else ./" DEFAULT_INDEX ".\n");
}

/* Options shared by subcommands; unknown ones are an error. */
typedef struct opts {
	const char *index;
	const char *lang;
	size_t mem_mb;
	int quiet, prune, watch, reread;
	size_t n, offset;
	int n_set;
	const char *batch, *run_tag, *latency;
	size_t passes;
	int json, explain, count, syntax, exhaustive;
	int rm3, stats;
	const char *listen;
	size_t threads, req_timeout;
	size_t fb_docs, fb_terms;
	double fb_orig;           /* < 0 unset */
	int sort;                 /* -1 unset */
	int32_t from, to;
	double k1, b, title_w;    /* < 0 unset */
	char **args;
	int nargs;
} opts;

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > (1ULL << 40) || s[0] == '-')
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_opts(int argc, char **argv, int lenient, opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->mem_mb = DEFAULT_MEM_MB;
	o->n = 10;
	o->run_tag = "lede";
	o->sort = -1;
	o->k1 = o->b = o->title_w = -1;
	o->fb_orig = -1;
	o->args = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->args)
		return -1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

#define NEED_VAL() do { if (!val) { \
	lede_err("option %s needs a value", a); return -1; } i++; } while (0)
		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				o->args[o->nargs++] = argv[i];
			break;
		} else if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
			NEED_VAL();
			o->index = val;
		} else if (strcmp(a, "--lang") == 0) {
			NEED_VAL();
			o->lang = val;
		} else if (strcmp(a, "--mem") == 0) {
			NEED_VAL();
			if (parse_size(val, &o->mem_mb) || o->mem_mb < 32) {
				lede_err("--mem wants megabytes, 32 or more");
				return -1;
			}
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o->quiet = 1;
		} else if (strcmp(a, "--prune") == 0) {
			o->prune = 1;
		} else if (strcmp(a, "--reread") == 0) {
			o->reread = 1;
		} else if (strcmp(a, "--watch") == 0) {
			o->watch = 1;
		} else if (strcmp(a, "-n") == 0) {
			NEED_VAL();
			if (parse_size(val, &o->n) || o->n > SRCH_MAX_K) {
				lede_err("-n wants a number up to %d",
					 SRCH_MAX_K);
				return -1;
			}
			o->n_set = 1;
		} else if (strcmp(a, "--offset") == 0) {
			NEED_VAL();
			if (parse_size(val, &o->offset) ||
			    o->offset > SRCH_MAX_K) {
				lede_err("--offset wants a number up to %d",
					 SRCH_MAX_K);
				return -1;
			}
		} else if (strcmp(a, "--batch") == 0) {
			NEED_VAL();
			o->batch = val;
		} else if (strcmp(a, "--passes") == 0) {
			NEED_VAL();
			if (parse_size(val, &o->passes) || o->passes < 1 ||
			    o->passes > 100) {
				lede_err("--passes wants a number from 1 "
					 "to 100");
				return -1;
			}
		} else if (strcmp(a, "--run-tag") == 0) {
			NEED_VAL();
			o->run_tag = val;
		} else if (strcmp(a, "--latency") == 0) {
			NEED_VAL();
			o->latency = val;
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--explain") == 0) {
			o->explain = 1;
		} else if (strcmp(a, "--count") == 0) {
			o->count = 1;
		} else if (strcmp(a, "--syntax") == 0) {
			o->syntax = 1;
		} else if (strcmp(a, "--exhaustive") == 0) {
			o->exhaustive = 1;
		} else if (strcmp(a, "--rm3") == 0) {
			o->rm3 = 1;
		} else if (strcmp(a, "--stats") == 0) {
			o->stats = 1;
		} else if (strcmp(a, "--listen") == 0) {
			NEED_VAL();
			o->listen = val;
		} else if (strcmp(a, "--request-timeout") == 0) {
			NEED_VAL();
			if (parse_size(val, &o->req_timeout) ||
			    o->req_timeout < 1 || o->req_timeout > 3600) {
				lede_err("--request-timeout wants seconds, "
					 "1..3600");
				return -1;
			}
		} else if (strcmp(a, "--threads") == 0) {
			NEED_VAL();
			if (parse_size(val, &o->threads) || o->threads < 1 ||
			    o->threads > 256) {
				lede_err("--threads wants a number 1..256");
				return -1;
			}
		} else if (strcmp(a, "--fb-docs") == 0 ||
			   strcmp(a, "--fb-terms") == 0) {
			size_t *dst = a[5] == 'd' ? &o->fb_docs : &o->fb_terms;
			NEED_VAL();
			if (parse_size(val, dst) || *dst < 1 || *dst > 100) {
				lede_err("%s wants a number 1..100", a);
				return -1;
			}
			o->rm3 = 1;
		} else if (strcmp(a, "--fb-orig") == 0) {
			char *end;
			NEED_VAL();
			errno = 0;
			o->fb_orig = strtod(val, &end);
			if (errno || end == val || *end ||
			    !(o->fb_orig >= 0 && o->fb_orig <= 1)) {
				lede_err("--fb-orig wants a number 0..1");
				return -1;
			}
			o->rm3 = 1;
		} else if (strcmp(a, "--sort") == 0) {
			NEED_VAL();
			if (strcmp(val, "date") == 0)
				o->sort = Q_SORT_DATE;
			else if (strcmp(val, "relevance") == 0)
				o->sort = Q_SORT_RELEVANCE;
			else {
				lede_err("--sort wants date or relevance");
				return -1;
			}
		} else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) {
			int end = a[2] == 't';
			NEED_VAL();
			if (q_date(val, strlen(val), end,
				   end ? &o->to : &o->from)) {
				lede_err("%s wants YYYY, YYYY-MM or YYYY-MM-DD",
					 a);
				return -1;
			}
		} else if (strcmp(a, "--k1") == 0 || strcmp(a, "--b") == 0 ||
			   strcmp(a, "--title-weight") == 0) {
			double *dst = a[2] == 'k' ? &o->k1 : a[2] == 'b' ?
				&o->b : &o->title_w;
			char *end;
			NEED_VAL();
			errno = 0;
			*dst = strtod(val, &end);
			if (errno || end == val || *end || !(*dst >= 0) ||
			    *dst > 100 || (dst == &o->b && *dst > 1)) {
				lede_err("%s wants a number (k1 and the title "
					 "weight 0..100, b 0..1)", a);
				return -1;
			}
		} else if (a[0] == '-' && a[1] != 0 && !(lenient &&
			   a[1] != '-')) {
			/* search reads "-word" as an excluded word */
			lede_err("unknown option '%s'", a);
			return -1;
		} else {
			o->args[o->nargs++] = argv[i];
		}
#undef NEED_VAL
	}
	return 0;
}

static void open_fail(const char *dir, int rc)
{
	if (rc == LEDE_ENOTFOUND)
		lede_err("cannot open index '%s': no index there (run "
			 "'lede index -i %s PATH' first)", dir, dir);
	else
		lede_err("cannot open index '%s': %s (%s)", dir,
			 lede_strerror(rc), ix_open_errmsg());
}

/* ---- index ---- */

/* `lede index --k1 X --b Y --title-weight Z`: the index's own ranking
 * defaults (meta "bm25"), over what it had. */
static int save_bm25(ix *x, const opts *o)
{
	ix_txn *t = NULL;
	srch_opts so;
	char v[96];
	int rc, n;

	rc = ix_begin(x, 1, &t);
	if (!rc) {
		srch_opts_init(&so);
		rc = srch_opts_from_index(t, &so);
	}
	if (!rc) {
		if (o->k1 >= 0)
			so.k1 = o->k1;
		if (o->b >= 0)
			so.b = o->b;
		if (o->title_w >= 0)
			so.title_w = o->title_w;
		n = snprintf(v, sizeof(v), "%.6g %.6g %.6g", so.k1, so.b,
			     so.title_w);
		rc = ix_put(t, IX_META, "bm25", 4, v, (size_t)n, 0);
	}
	if (!rc) {
		rc = ix_commit(t);
		t = NULL;
	}
	ix_abort(t);
	if (rc)
		lede_err("cannot store the ranking settings: %s",
			 lede_strerror(rc));
	return rc;
}

typedef struct ictx {
	bld *b;
	rd_stats *st;
	int progress;
	double t0, last;
	uint64_t total_bytes;
	uint64_t ndone, bytes_done;   /* counted by the writer thread */
} ictx;

static void show_progress(ictx *c, int final)
{
	double el = now_s() - c->t0;
	const bld_counts *k = bld_get_counts(c->b);
	uint64_t docs = c->ndone;
	double mb = c->bytes_done / 1e6;

	if (!c->progress)
		return;
	fprintf(stderr, "\r\033[K%llu documents, %.0f docs/s, %.1f MB/s",
		(unsigned long long)docs, el > 0 ? docs / el : 0.0,
		el > 0 ? mb / el : 0.0);
	if (c->total_bytes && c->bytes_done > 0 && !final) {
		double frac = (double)c->bytes_done / c->total_bytes;
		if (frac > 0.01 && frac < 1)
			fprintf(stderr, ", %.0f%%, ETA %.0f s", frac * 100,
				el / frac - el);
	}
	fprintf(stderr, " (%llu added, %llu replaced, %llu unchanged)",
		(unsigned long long)k->added, (unsigned long long)k->replaced,
		(unsigned long long)k->unchanged);
	if (final)
		fputc('\n', stderr);
}

/* After each document: report what bld_add said, show progress. */
static int doc_done(void *ctx, const rd_doc *d, int rc)
{
	ictx *c = ctx;

	c->ndone++;
	c->bytes_done += d->body_len + strlen(d->title);
	if (stop_flag)
		return LEDE_EINTR;
	if (rc == LEDE_EEMPTY)
		return 0;
	if (rc == LEDE_EINVAL) {
		lede_warn("%s: document without id, skipped", d->source);
		return 0;
	}
	if (rc == LEDE_EFULL || rc == LEDE_ELMDB || rc == LEDE_EIO) {
		/* The index could not be written (a batch commit): not this
		 * document's fault; the closing message says why. */
		if (d->line)
			lede_err("%s:%u: stopped at '%s': %s", d->source,
				 d->line, d->id, lede_strerror(rc));
		else
			lede_err("%s: stopped at '%s': %s", d->source, d->id,
				 lede_strerror(rc));
		return rc;
	}
	if (rc) {
		if (d->line)
			lede_err("%s:%u: cannot index '%s': %s", d->source,
				 d->line, d->id, lede_strerror(rc));
		else
			lede_err("%s: cannot index '%s': %s", d->source, d->id,
				 lede_strerror(rc));
		return rc;
	}
	if (c->progress) {
		double t = now_s();
		if (t - c->last > 0.2) {
			c->last = t;
			show_progress(c, 0);
		}
	}
	return 0;
}

static int on_doc(void *ctx, const rd_doc *d)
{
	ictx *c = ctx;

	if (stop_flag)
		return LEDE_EINTR;
	return doc_done(ctx, d, bld_add(c->b, d));
}

static uint64_t path_bytes(const char *p, int depth)
{
	struct stat sb;

	if (strcmp(p, "-") == 0 || lstat(p, &sb) != 0)
		return 0;
	if (S_ISREG(sb.st_mode))
		return (uint64_t)sb.st_size;
	if (S_ISDIR(sb.st_mode) && depth < 64) {
		/* Only the total size, for the ETA: a cheap walk. */
		char sub[4096];
		uint64_t sum = 0;
		DIR *dir = opendir(p);
		struct dirent *de;

		if (!dir)
			return 0;
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", p, de->d_name);
			sum += path_bytes(sub, depth + 1);
		}
		closedir(dir);
		return sum;
	}
	return 0;
}

/* failed: the run stopped on an error, so the counts are of what was
 * read, not of what the index now holds. */
static void print_summary(ictx *c, double secs, int failed)
{
	const bld_counts *k = bld_get_counts(c->b);
	rd_stats *s = c->st;

	fprintf(stderr,
		"%s %llu documents in %.2f s (%.0f docs/s, %.1f MB/s): "
		"%llu added, %llu replaced, %llu unchanged, %llu deleted",
		failed ? "stopped after reading" : "indexed",
		(unsigned long long)(s->docs + s->same), secs,
		secs > 0 ? (s->docs + s->same) / secs : 0.0,
		secs > 0 ? s->bytes / 1e6 / secs : 0.0,
		(unsigned long long)k->added, (unsigned long long)k->replaced,
		(unsigned long long)k->unchanged,
		(unsigned long long)k->deleted);
	if (s->same)
		fprintf(stderr, " (%llu unchanged files not read: size and "
			"mtime as indexed)", (unsigned long long)s->same);
	if (s->skipped_binary || s->skipped_unknown || s->skipped_empty ||
	    k->empty || s->bad_lines || s->too_big || s->errors)
		fprintf(stderr, "; skipped: %llu binary, %llu unknown type, "
			"%llu empty, %llu bad json lines, %llu too big, "
			"%llu unreadable",
			(unsigned long long)s->skipped_binary,
			(unsigned long long)s->skipped_unknown,
			(unsigned long long)(s->skipped_empty + k->empty),
			(unsigned long long)s->bad_lines,
			(unsigned long long)s->too_big,
			(unsigned long long)s->errors);
	if (failed)
		fputs("; of these, only what was committed before the "
		      "failure is in the index", stderr);
	fputc('\n', stderr);
}

/* A write to the index failed (rc): what people need to know beyond
 * rc's phrase, as "; ..." in out (or ""). LMDB reports a file system that
 * filled up mid-write as a bare EIO (a short write), and a failed bulk
 * run file leaves no LMDB message, so the folder's free space and the
 * file size limit are looked at. */
#define SPACE_LOW ((uint64_t)1 << 20)
static void write_fail_note(const char *dir, int rc, char *out, size_t cap)
{
	struct statvfs sv;
	struct rlimit rl;

	out[0] = 0;
	if (rc != LEDE_EFULL && rc != LEDE_ELMDB && rc != LEDE_EIO)
		return;
	if (statvfs(dir, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < SPACE_LOW)
		snprintf(out, cap, "; the file system holding '%s' is full "
			 "(%llu KB free)", dir, (unsigned long long)
			 ((uint64_t)sv.f_bavail * sv.f_frsize >> 10));
	else if (getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
		 rl.rlim_cur != RLIM_INFINITY)
		snprintf(out, cap, "; files are limited to %llu KB "
			 "(ulimit -f)", (unsigned long long)(rl.rlim_cur >> 10));
}

static int watch_loop(ix *x, bld *b, ictx *c, char **roots, int nroots);

static int cmd_index(opts *o)
{
	const char *dir = index_dir(o->index);
	ix *x = NULL;
	bld *b = NULL;
	bld_opts bo;
	rd_stats st;
	ictx c;
	double t0 = now_s();
	int rc = 0, status = 0;

	if (o->nargs == 0) {
		lede_err("index: give at least one file, folder or -");
		return 2;
	}
	if (o->lang && !stem_lang_ok(o->lang)) {
		const char **l = stem_langs();
		lede_err("unknown language '%s'", o->lang);
		fprintf(stderr, "languages:");
		for (; *l; l++)
			fprintf(stderr, " %s", *l);
		fputc('\n', stderr);
		return 2;
	}
	rc = ix_open(dir, IX_CREATE, o->lang, &x);
	if (rc) {
		open_fail(dir, rc);
		return 1;
	}
	if (ix_lock_writer(x)) {
		lede_err("cannot index into '%s': %s", dir, ix_errmsg(x));
		ix_close(x);
		return 1;
	}
	if ((o->k1 >= 0 || o->b >= 0 || o->title_w >= 0) &&
	    save_bm25(x, o)) {
		ix_close(x);
		return 1;
	}
	memset(&bo, 0, sizeof(bo));
	bo.mem_bytes = o->mem_mb << 20;
	bo.bulk = 1;
	bo.reread = o->reread;
	rc = bld_new(x, &bo, &b);
	if (rc) {
		lede_err("cannot start indexing: %s", lede_strerror(rc));
		ix_close(x);
		return 1;
	}
	memset(&st, 0, sizeof(st));
	memset(&c, 0, sizeof(c));
	c.b = b;
	c.st = &st;
	c.progress = !o->quiet && isatty(2);
	c.t0 = t0;
	for (int i = 0; c.progress && i < o->nargs; i++)
		c.total_bytes += path_bytes(o->args[i], 0);
	{
		/* No SA_RESTART: a blocking read (--watch) must return
		 * EINTR so the loop sees the flag. */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		/* Past `ulimit -f` a write fails with EFBIG and is reported
		 * like a full disk, instead of SIGXFSZ killing the run. */
		signal(SIGXFSZ, SIG_IGN);
	}
	{
		int missing = 0;

		/* Reading and tokenizing run in a second thread. */
		rc = bld_add_paths(b, o->args, o->nargs, &st, doc_done, &c,
				   &missing);
		if (missing)
			status = 1;   /* warned; the other paths were read */
	}
	if (!rc && o->prune)
		rc = bld_prune(b, (const char *const *)o->args,
			       (size_t)o->nargs);
	if (!rc || rc == LEDE_EINTR) {
		int crc = bld_commit(b);
		if (crc) {
			lede_err("cannot commit to '%s': %s (%s)", dir,
				 lede_strerror(crc), ix_errmsg(x));
			rc = crc;
		}
	}
	if (c.progress)
		show_progress(&c, 1);
	print_summary(&c, now_s() - t0, rc && rc != LEDE_EINTR);
	if (rc == LEDE_EINTR) {
		lede_warn("interrupted: what was read so far is committed");
	} else if (rc) {
		/* LMDB's own words only where the code came from LMDB: a
		 * run file's LEDE_EFULL leaves ix_errmsg() unset. */
		int from_lmdb = rc == LEDE_ELMDB || rc == LEDE_ECORRUPT;
		char note[256 + 4096];

		write_fail_note(dir, rc, note, sizeof(note));
		lede_err("indexing stopped: %s%s%s%s%s; the index keeps its "
			 "last commit", lede_strerror(rc),
			 from_lmdb ? " (" : "", from_lmdb ? ix_errmsg(x) : "",
			 from_lmdb ? ")" : "", note);
	}
	if (!rc && o->watch)
		rc = watch_loop(x, b, &c, o->args, o->nargs);
	bld_free(b);
	ix_close(x);
	if (rc && rc != LEDE_EINTR)
		return 1;
	return status;
}

/* ---- watch: inotify on every folder below the roots ---- */

#define WATCH_MAX 65536

typedef struct wmap {
	int wd;
	char *path;
} wmap;

static int watch_add_tree(int fd, const char *path, wmap **m, size_t *n,
			  size_t *cap, int depth)
{
	DIR *d;
	struct dirent *de;
	int wd;

	if (depth > 64 || *n >= WATCH_MAX)
		return 0;
	wd = inotify_add_watch(fd, path, IN_CLOSE_WRITE | IN_MOVED_TO |
			       IN_CREATE | IN_DELETE | IN_MOVED_FROM |
			       IN_ONLYDIR);
	if (wd < 0)
		return 0;
	if (*n == *cap) {
		wmap *p = arr_grow(*m, cap, sizeof(*p), 64);
		if (!p)
			return LEDE_ENOMEM;
		*m = p;
	}
	(*m)[*n].wd = wd;
	(*m)[*n].path = strdup(path);
	if (!(*m)[*n].path)
		return LEDE_ENOMEM;
	(*n)++;
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			watch_add_tree(fd, sub, m, n, cap, depth + 1);
	}
	closedir(d);
	return 0;
}

static int watch_loop(ix *x, bld *b, ictx *c, char **roots, int nroots)
{
	int fd = inotify_init1(IN_CLOEXEC);
	wmap *m = NULL;
	size_t n = 0, cap = 0;
	char ev[64 * 1024] __attribute__((aligned(8)));
	int rc = 0;

	(void)x;
	if (fd < 0) {
		lede_err("cannot watch: %s", strerror(errno));
		return LEDE_EIO;
	}
	for (int i = 0; i < nroots; i++)
		watch_add_tree(fd, roots[i], &m, &n, &cap, 0);
	if (!c->progress)
		fprintf(stderr, "watching %zu folders; ctrl-c stops\n", n);
	while (!stop_flag && !rc) {
		ssize_t got = read(fd, ev, sizeof(ev));
		int changed = 0;

		if (got <= 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (char *p = ev; p < ev + got;) {
			struct inotify_event *e = (struct inotify_event *)p;
			const char *base = NULL;
			char full[4096];

			for (size_t i = 0; i < n; i++)
				if (m[i].wd == e->wd)
					base = m[i].path;
			p += sizeof(*e) + e->len;
			if (!base || e->len == 0 || e->name[0] == '.')
				continue;
			/* Build the id the reader would: one slash. */
			snprintf(full, sizeof(full), "%s%s%s", base,
				 base[0] && base[strlen(base) - 1] == '/' ?
				 "" : "/", e->name);
			if (e->mask & IN_ISDIR) {
				if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
					watch_add_tree(fd, full, &m, &n, &cap,
						       0);
					rc = rd_path(full, on_doc, c, c->st);
					changed = 1;
				}
				continue;
			}
			if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
				rc = rd_path(full, on_doc, c, c->st);
				changed = 1;
			} else if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
				int r2 = bld_remove(b, full, strlen(full));
				if (r2 && r2 != LEDE_ENOTFOUND)
					rc = r2;
				changed = !r2;
			}
			if (rc == LEDE_EIO)
				rc = 0;
		}
		if (changed && !rc) {
			rc = bld_commit(b);
			if (!rc)
				print_summary(c, now_s() - c->t0, 0);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(m[i].path);
	free(m);
	close(fd);
	if (!rc)
		rc = bld_commit(b);
	return rc;
}

/* ---- rm ---- */

static int cmd_rm(opts *o)
{
	const char *dir = index_dir(o->index);
	ix *x = NULL;
	bld *b = NULL;
	bld_opts bo = { (size_t)DEFAULT_MEM_MB << 20, 0, 0 };
	int rc, missing = 0;

	if (o->nargs == 0) {
		lede_err("rm: give at least one document id");
		return 2;
	}
	rc = ix_open(dir, 0, NULL, &x);
	if (rc) {
		open_fail(dir, rc);
		return 1;
	}
	if (ix_lock_writer(x)) {
		lede_err("cannot delete from '%s': %s", dir, ix_errmsg(x));
		ix_close(x);
		return 1;
	}
	rc = bld_new(x, &bo, &b);
	for (int i = 0; !rc && i < o->nargs; i++) {
		rc = bld_remove(b, o->args[i], strlen(o->args[i]));
		if (rc == LEDE_ENOTFOUND) {
			lede_warn("no document with id '%s'", o->args[i]);
			missing++;
			rc = 0;
		}
	}
	if (!rc)
		rc = bld_commit(b);
	if (rc)
		lede_err("rm failed: %s; nothing was deleted",
			 lede_strerror(rc));
	else
		fprintf(stderr, "deleted %llu documents\n",
			(unsigned long long)bld_get_counts(b)->deleted);
	bld_free(b);
	ix_close(x);
	return rc ? 1 : missing ? 1 : 0;
}

/* ---- search ---- */

/* Options of a search from the command line over the index's own
 * BM25 settings. */
static int search_opts(ix_txn *t, const opts *o, srch_opts *so)
{
	int rc;

	srch_opts_init(so);
	rc = srch_opts_from_index(t, so);
	if (rc)
		return rc;
	if (o->k1 >= 0)
		so->k1 = o->k1;
	if (o->b >= 0)
		so->b = o->b;
	if (o->title_w >= 0)
		so->title_w = o->title_w;
	so->k = o->n;
	so->offset = o->offset;
	so->sort = o->sort;
	so->from = o->from;
	so->to = o->to;
	so->exhaustive = o->exhaustive;
	if (o->rm3) {
		so->fb_docs = o->fb_docs ? (int)o->fb_docs : SRCH_FB_DOCS;
		so->fb_terms = o->fb_terms ? (int)o->fb_terms : SRCH_FB_TERMS;
		so->fb_orig = o->fb_orig >= 0 ? o->fb_orig : SRCH_FB_ORIG;
	}
	return 0;
}

static int run_batch(ix_txn *t, ana *a, opts *o)
{
	struct {
		uint64_t queries, postings, total, blocks, candidates;
	} sum;
	FILE *in = fopen(o->batch, "r");
	FILE *lat = NULL;
	struct { const char *s; size_t n; } *ids = NULL;
	size_t nids = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	srch_opts so;
	size_t passes = o->passes ? o->passes : 1;
	int rc = 0, reread = 0;   /* reread: the file cannot be read again */

	if (!in) {
		lede_err("cannot open '%s': %s", o->batch, strerror(errno));
		return 2;
	}
	if (o->latency) {
		lat = fopen(o->latency, "w");
		if (!lat) {
			lede_err("cannot write '%s': %s", o->latency,
				 strerror(errno));
			fclose(in);
			return 2;
		}
	}
	rc = search_opts(t, o, &so);
	if (rc) {
		lede_err("cannot read the index settings: %s",
			 lede_strerror(rc));
		fclose(in);
		if (lat)
			fclose(lat);
		return 2;
	}
	so.k = o->n_set ? o->n : 1000;
	so.mode = o->syntax ? Q_SYNTAX : Q_PLAIN;
	so.count = o->count;   /* exact totals too (benchmarks) */
	memset(&sum, 0, sizeof(sum));
	/* Passes before the last warm the process as the peers' are
	 * (their passes run in one process too) and write nothing. */
	for (size_t pass = 1; pass <= passes && !rc; pass++) {
		int last = pass == passes;

		if (pass > 1 && fseek(in, 0, SEEK_SET) != 0) {
			lede_err("--passes reads '%s' again, and cannot: %s",
				 o->batch, strerror(errno));
			reread = 1;
			break;
		}
		while ((len = getline(&line, &cap, in)) > 0) {
			char *tab, *q;
			srch_result r;
			double t0, us;

			while (len > 0 && (line[len - 1] == '\n' ||
					   line[len - 1] == '\r'))
				line[--len] = 0;
			tab = strchr(line, '\t');
			if (!tab)
				continue;
			*tab = 0;
			q = tab + 1;
			t0 = now_s();
			rc = srch_run(t, a, q, strlen(q), &so, &r);
			if (rc == LEDE_ETOOBIG) {
				if (last)
					lede_warn("query %s over the caps, "
						  "skipped", line);
				rc = 0;
				continue;
			}
			if (rc)
				break;
			/* Fetch the ids as part of the timed search, as the
			 * peers do (from the id table: no document record
			 * each). */
			if (r.n > nids) {
				void *p = realloc(ids, r.n * sizeof(*ids));
				if (!p) {
					srch_result_release(&r);
					rc = LEDE_ENOMEM;
					break;
				}
				ids = p;
				nids = r.n;
			}
			for (size_t i = 0; i < r.n; i++)
				if (ix_doc_id(t, r.hits[i].docid, &ids[i].s,
					      &ids[i].n))
					ids[i].s = NULL;
			us = (now_s() - t0) * 1e6;
			if (!last) {
				srch_result_release(&r);
				continue;
			}
			for (size_t i = 0; i < r.n; i++) {
				if (!ids[i].s)
					continue;
				printf("%s Q0 %.*s %zu %.6f %s\n", line,
				       (int)ids[i].n, ids[i].s, i + 1,
				       r.hits[i].score, o->run_tag);
			}
			if (lat)
				fprintf(lat, "%s\t%.0f\t%zu\n", line, us, r.n);
			sum.queries++;
			sum.postings += r.postings;
			sum.total += r.postings_total;
			sum.blocks += r.blocks;
			sum.candidates += r.candidates;
			srch_result_release(&r);
		}
	}
	free(line);
	free(ids);
	fclose(in);
	if (lat)
		fclose(lat);
	if (reread)
		return 2;
	if (rc) {
		search_failed(rc);
		return 2;
	}
	if (o->stats && sum.queries)
		fprintf(stderr, "%llu queries: %llu of %llu postings decoded "
			"(%.1f%%), %llu blocks, %llu documents scored; per "
			"query %.0f of %.0f postings\n",
			(unsigned long long)sum.queries,
			(unsigned long long)sum.postings,
			(unsigned long long)sum.total,
			sum.total ? 100.0 * sum.postings / sum.total : 0.0,
			(unsigned long long)sum.blocks,
			(unsigned long long)sum.candidates,
			(double)sum.postings / sum.queries,
			(double)sum.total / sum.queries);
	return 0;
}

/* One field of an article on the terminal: control bytes dropped so
 * that an article cannot move the cursor or recolour the screen. */
static void put_clean(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\t' || c == '\r')
			fputc(' ', f);
		else if (c >= 0x20 && c != 0x7f)
			fputc(c, f);
	}
}

static int print_hits(ix_txn *t, ana *a, const opts *o, const srch_opts *so,
		      const char *q, size_t qlen, const srch_result *r)
{
	int tty = isatty(STDOUT_FILENO);
	buf body, out;
	int rc = 0;

	buf_init_limit(&body, (size_t)1 << 30);
	buf_init(&out);
	for (size_t i = 0; i < r->n; i++) {
		ix_doc d;
		char date[11];
		snip sn;

		rc = ix_doc_get(t, r->hits[i].docid, &d);
		if (rc == LEDE_ECORRUPT) {
			printf("%3zu. (document %u: its record is damaged; "
			       "run 'lede check')\n", o->offset + i + 1,
			       r->hits[i].docid);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		rnd_date(d.date, date);
		printf("%3zu. %-10s  ", o->offset + i + 1, date[0] ? date :
		       "-");
		if (tty)
			fputs("\033[1m", stdout);
		put_clean(stdout, d.title, d.title_len);
		if (tty)
			fputs("\033[0m", stdout);
		fputs("  [", stdout);
		put_clean(stdout, d.id, d.id_len);
		printf("]  %.3f\n", r->hits[i].score);
		rc = rnd_snippet(t, a, r, r->hits[i].docid, &body, &sn);
		if (rc)
			break;
		buf_clear(&out);
		if (tty)
			rc = snip_ansi(sn.text, sn.len, sn.marks, sn.nmarks,
				       &out);
		else
			rc = snip_ansi(sn.text, sn.len, NULL, 0, &out);
		snip_free(&sn);
		if (rc)
			break;
		if (out.len)
			printf("     %.*s\n", (int)out.len, out.data);
		if (o->explain) {
			srch_part parts[SRCH_MAX_PARTS];
			size_t np = 0;

			rc = srch_explain(t, a, q, qlen, so,
					  r->hits[i].docid, parts,
					  SRCH_MAX_PARTS, &np);
			if (rc)
				break;
			for (size_t j = 0; j < np; j++)
				printf("       %-24.96s tf %-4g idf*boost "
				       "%.3f  len %-5g -> %.3f\n",
				       parts[j].what, parts[j].tf,
				       parts[j].idf, parts[j].len,
				       parts[j].score);
		}
	}
	buf_release(&body);
	buf_release(&out);
	return rc;
}

static int cmd_search(opts *o)
{
	const char *dir = index_dir(o->index);
	ix *x = NULL;
	ix_txn *t = NULL;
	ana *a = NULL;
	srch_opts so;
	srch_result r;
	cJSON *js = NULL;
	buf q;
	double t0, ms;
	int rc, status = 2;

	memset(&r, 0, sizeof(r));
	if (!o->batch && o->nargs == 0) {
		lede_err("search: give a query");
		return 2;
	}
	buf_init_limit(&q, SRCH_MAX_QUERY_BYTES * 4);
	rc = ix_open(dir, IX_RDONLY, NULL, &x);
	if (rc) {
		open_fail(dir, rc);
		return 2;
	}
	rc = ana_new(ix_lang(x), &a);
	if (!rc)
		rc = ix_begin(x, 0, &t);
	if (rc) {
		lede_err("cannot read index '%s': %s", dir, lede_strerror(rc));
		goto out;
	}
	if (o->batch) {
		status = run_batch(t, a, o);
		goto out;
	}
	for (int i = 0; i < o->nargs; i++) {
		if ((i && buf_addc(&q, ' ')) || buf_adds(&q, o->args[i])) {
			lede_err("query too long (the cap is %d bytes)",
				 SRCH_MAX_QUERY_BYTES);
			goto out;
		}
	}
	rc = search_opts(t, o, &so);
	if (rc) {
		lede_err("cannot read the index settings: %s",
			 lede_strerror(rc));
		goto out;
	}
	so.count = 1;
	if (o->count)
		so.k = 0;
	t0 = now_s();
	rc = srch_run(t, a, (const char *)q.data, q.len, &so, &r);
	ms = (now_s() - t0) * 1e3;
	if (rc == LEDE_ETOOBIG) {
		lede_err("query too long: the caps are %d bytes and %d "
			 "words", SRCH_MAX_QUERY_BYTES, SRCH_MAX_TERMS);
		goto out;
	}
	if (rc) {
		search_failed(rc);
		goto out;
	}
	if (o->count) {
		printf("%llu\n", (unsigned long long)r.total);
		status = r.total ? 0 : 1;
		goto out;
	}
	if (o->json) {
		char *txt;

		rc = rnd_json(t, a, (const char *)q.data, q.len, &so, &r, ms,
			      o->explain, &js);
		txt = rc ? NULL : cJSON_PrintUnformatted(js);
		if (!txt) {
			search_failed(rc ? rc : LEDE_ENOMEM);
			goto out;
		}
		puts(txt);
		free(txt);
	} else {
		rc = print_hits(t, a, o, &so, (const char *)q.data, q.len,
				&r);
		if (rc) {
			search_failed(rc);
			goto out;
		}
		fflush(stdout);   /* the count line comes after the hits */
		fprintf(stderr, "%llu result%s (%.1f ms)%s\n",
			(unsigned long long)r.total, r.total == 1 ? "" : "s",
			ms, r.n || !r.total ? "" : ": none on this page");
	}
	status = r.n ? 0 : 1;
out:
	cJSON_Delete(js);
	srch_result_release(&r);
	buf_release(&q);
	ix_abort(t);
	ana_free(a);
	ix_close(x);
	return status;
}

/* ---- serve ---- */

static int cmd_serve(opts *o)
{
	web_opts wo;
	char host[64];
	const char *lis = o->listen ? o->listen : "127.0.0.1:8080";
	const char *colon = strrchr(lis, ':');
	size_t port = 0;
	struct sigaction sa;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!colon || (size_t)(colon - lis) >= sizeof(host) ||
	    colon == lis || parse_size(colon + 1, &port) || port > 65535) {
		lede_err("--listen wants HOST:PORT, e.g. 127.0.0.1:8080 "
			 "(port 0: any free port)");
		return 2;
	}
	memcpy(host, lis, (size_t)(colon - lis));
	host[colon - lis] = 0;
	memset(&wo, 0, sizeof(wo));
	wo.dir = index_dir(o->index);
	wo.host = host;
	wo.port = (unsigned)port;
	wo.threads = o->threads ? (unsigned)o->threads :
		(unsigned)(ncpu > 0 ? ncpu : 2);
	wo.req_timeout = (unsigned)o->req_timeout;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return web_serve(&wo, &stop_flag) ? 1 : 0;
}

/* ---- stats, check, compact ---- */

static int cmd_stats(opts *o)
{
	const char *dir = index_dir(o->index);
	ix *x = NULL;
	mt_stats ms;
	int rc;

	rc = ix_open(dir, IX_RDONLY, NULL, &x);
	if (rc) {
		open_fail(dir, rc);
		return 1;
	}
	rc = mt_stats_get(x, &ms);
	if (rc) {
		lede_err("cannot read stats: %s", lede_strerror(rc));
		ix_close(x);
		return 1;
	}
	mt_stats_print(x, &ms, stdout);
	{
		ix_txn *t = NULL;
		srch_opts so;

		srch_opts_init(&so);
		rc = ix_begin(x, 0, &t);
		if (!rc)
			rc = srch_opts_from_index(t, &so);
		ix_abort(t);
		if (rc) {
			lede_err("cannot read the ranking settings: %s",
				 lede_strerror(rc));
			ix_close(x);
			return 1;
		}
		printf("ranking:          BM25 k1 %g, b %g, title weight %g\n",
		       so.k1, so.b, so.title_w);
	}
	ix_close(x);
	return 0;
}

static int cmd_check(opts *o)
{
	const char *dir = index_dir(o->index);
	ix *x = NULL;
	uint64_t problems = 0;
	int rc;

	rc = ix_open(dir, IX_RDONLY, NULL, &x);
	if (rc) {
		open_fail(dir, rc);
		return 1;
	}
	rc = mt_check(x, stdout, &problems);
	ix_close(x);
	if (rc) {
		lede_err("check could not finish: %s", lede_strerror(rc));
		return 1;
	}
	if (problems) {
		printf("%llu problems found\n", (unsigned long long)problems);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int cmd_compact(opts *o)
{
	const char *dir = index_dir(o->index);
	ix *x = NULL;
	mt_compact_counts cc;
	int rc;

	rc = ix_open(dir, 0, NULL, &x);
	if (rc) {
		open_fail(dir, rc);
		return 1;
	}
	if (ix_lock_writer(x)) {
		lede_err("cannot compact '%s': %s", dir, ix_errmsg(x));
		ix_close(x);
		return 1;
	}
	rc = mt_compact(x, &cc);
	if (rc)
		lede_err("compact failed: %s (%s); the index is unchanged",
			 lede_strerror(rc), ix_errmsg(x));
	else
		printf("compacted %llu terms: %llu blocks -> %llu, %llu "
		       "deleted postings dropped, %llu chunks (%.1f MB) "
		       "freed\n",
		       (unsigned long long)cc.terms,
		       (unsigned long long)cc.blocks_before,
		       (unsigned long long)cc.blocks_after,
		       (unsigned long long)cc.dropped,
		       (unsigned long long)cc.chunks_freed,
		       (double)cc.chunk_bytes_freed / 1e6);
	ix_close(x);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	opts o;
	const char *cmd;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (parse_opts(argc - 2, argv + 2, !strcmp(cmd, "search"), &o)) {
		free(o.args);
		return 2;
	}
	if (!strcmp(cmd, "index"))
		rc = cmd_index(&o);
	else if (!strcmp(cmd, "rm"))
		rc = cmd_rm(&o);
	else if (!strcmp(cmd, "search"))
		rc = cmd_search(&o);
	else if (!strcmp(cmd, "serve"))
		rc = cmd_serve(&o);
	else if (!strcmp(cmd, "stats"))
		rc = cmd_stats(&o);
	else if (!strcmp(cmd, "check"))
		rc = cmd_check(&o);
	else if (!strcmp(cmd, "compact"))
		rc = cmd_compact(&o);
	else {
		lede_err("unknown command '%s'", cmd);
		usage(stderr);
		rc = 2;
	}
	free(o.args);
	return rc;
}
