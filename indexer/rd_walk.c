/*
 * rd_walk.c - rd_path(): "-" (JSONL on stdin), one file, or a folder
 * walked recursively.
 *
 * Paths as reached become ids and sources, so they are normalised once:
 * leading "./" and repeated or trailing slashes go, and children are
 * joined with one "/" ("corpus/" and "./corpus" both give
 * "corpus/a/b.txt"). The walk is in strcmp order for reproducible
 * docids, skips names starting with '.', never follows a symlink to a
 * folder (the cheap way to avoid loops; a symlink to a file is read) and
 * stops WALK_MAX_DEPTH folders down. Other non-regular entries (fifos,
 * sockets, devices) are counted as unknown: reading one could block.
 *
 * An unreadable entry below the root is reported and counted and the
 * walk goes on; only the callback's own error stops it. To tell the two
 * apart, the callback is wrapped and its return value kept.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "reader.h"
#include "../common/buf.h"

#define WALK_MAX_DEPTH   64
#define WALK_PATH_MAX    4096       /* PATH_MAX on Linux */
#define WALK_MAX_ENTRIES (1 << 20)  /* per folder */

typedef struct walk {
	rd_emit_fn emit;
	void *ctx;
	rd_stats *st;
	int cb_rc;   /* last error returned by the caller's callback */
} walk;

static int wrap_emit(void *ctx, const rd_doc *d)
{
	walk *w = ctx;
	int rc = w->emit(w->ctx, d);

	if (rc)
		w->cb_rc = rc;
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, visible names in dir; *names freed by the caller (each
 * entry and the array). */
static int list_dir(const char *path, char ***names, size_t *count)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*names = NULL;
	*count = 0;
	if (!dir)
		return LEDE_EIO;
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == WALK_MAX_ENTRIES) {
			lede_warn("%s: over %d entries, the rest skipped",
				  path, WALK_MAX_ENTRIES);
			break;
		}
		if (n == cap) {
			char **p = arr_grow(v, &cap, sizeof(*p), 64);
			if (!p) {
				rc = LEDE_ENOMEM;
				break;
			}
			v = p;
		}
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			rc = LEDE_ENOMEM;
			break;
		}
		n++;
	}
	if (!rc && !de && errno)
		rc = LEDE_EIO;
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*count = n;
	return rc;
}

static int walk_dir(walk *w, buf *path, int depth);

/* One entry below the root; path holds its name. Per-entry failures are
 * counted and return 0. */
static int walk_entry(walk *w, buf *path, int depth)
{
	const char *p = (const char *)path->data;
	struct stat sb;
	int rc;

	if (lstat(p, &sb) != 0) {
		lede_warn("cannot read '%s': %s", p, strerror(errno));
		w->st->errors++;
		return 0;
	}
	if (S_ISLNK(sb.st_mode)) {
		if (stat(p, &sb) != 0) {
			lede_warn("cannot read '%s': %s", p, strerror(errno));
			w->st->errors++;
			return 0;
		}
		if (S_ISDIR(sb.st_mode))
			return 0;   /* symlinked folder: not followed */
	}
	if (S_ISDIR(sb.st_mode))
		return walk_dir(w, path, depth + 1);
	if (!S_ISREG(sb.st_mode)) {
		w->st->skipped_unknown++;
		return 0;
	}
	rc = rd_file(p, wrap_emit, w, w->st);
	if (rc && !w->cb_rc && rc != LEDE_ENOMEM)
		rc = 0;   /* rd_file warned and counted */
	return rc;
}

static int walk_dir(walk *w, buf *path, int depth)
{
	char **names = NULL;
	size_t n = 0, base = path->len;
	int rc;

	if (depth > WALK_MAX_DEPTH) {
		lede_warn("%s: more than %d folders deep, skipped",
			  (const char *)path->data, WALK_MAX_DEPTH);
		w->st->errors++;
		return 0;
	}
	rc = list_dir((const char *)path->data, &names, &n);
	if (rc == LEDE_EIO) {
		lede_warn("cannot read folder '%s': %s",
			  (const char *)path->data, strerror(errno));
		w->st->errors++;
		rc = depth == 0 ? LEDE_EIO : 0;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		path->len = base;
		if (!(base == 1 && path->data[0] == '/'))
			rc = buf_addc(path, '/');
		if (!rc)
			rc = buf_adds(path, names[i]);
		if (!rc)
			rc = buf_nul(path);
		if (rc) {
			path->len = base;
			path->data[base] = 0;
			lede_warn("%s/%s: path too long, skipped",
				  (const char *)path->data, names[i]);
			w->st->errors++;
			rc = 0;
			continue;
		}
		rc = walk_entry(w, path, depth);
	}
	path->len = base;
	if (path->data)
		path->data[base] = 0;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* "./a//b/" -> "a/b"; "/" stays "/", "." and "./" become "." */
int rd_normalise_path(const char *in, buf *out)
{
	const char *p = in;
	int rc = 0;

	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	if (*in == '/')
		rc = buf_addc(out, '/');
	for (; *p && !rc; p++) {
		if (*p == '/' && (out->len == 0 ||
				  out->data[out->len - 1] == '/'))
			continue;
		rc = buf_addc(out, (uint8_t)*p);
	}
	while (!rc && out->len > 1 && out->data[out->len - 1] == '/')
		out->len--;
	if (!rc && out->len == 0)
		rc = buf_addc(out, '.');
	return rc ? rc : buf_nul(out);
}

size_t rd_max_doc(const rd_stats *st)
{
	return st->max_doc && st->max_doc < RD_MAX_DOC_BYTES
		       ? st->max_doc : RD_MAX_DOC_BYTES;
}

const char *rd_big_hint(const rd_stats *st)
{
	return rd_max_doc(st) < RD_MAX_DOC_BYTES
		       ? " (a larger --mem takes longer documents)" : "";
}

int rd_path(const char *path, rd_emit_fn emit, void *ctx, rd_stats *st)
{
	walk w = { emit, ctx, st, 0 };
	struct stat sb;
	buf p;
	int rc;

	if (strcmp(path, "-") == 0)
		return rd_jsonl(stdin, "-", emit, ctx, st);
	buf_init_limit(&p, WALK_PATH_MAX);
	rc = rd_normalise_path(path, &p);
	if (rc) {
		lede_warn("'%.64s...': path too long", path);
		st->errors++;
		rc = LEDE_EIO;
		goto out;
	}
	/* The root is followed even when it is a symlink: it was named. */
	if (stat((const char *)p.data, &sb) != 0) {
		lede_warn("cannot read '%s': %s", path, strerror(errno));
		st->errors++;
		rc = LEDE_EIO;
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		rc = rd_file((const char *)p.data, emit, ctx, st);
		goto out;
	}
	/* "." as the root: children are "a/b.txt", not "./a/b.txt". */
	if (strcmp((const char *)p.data, ".") == 0) {
		char **names = NULL;
		size_t n = 0;

		rc = list_dir(".", &names, &n);
		if (rc == LEDE_EIO) {
			lede_warn("cannot read folder '%s': %s", path,
				  strerror(errno));
			st->errors++;
		}
		for (size_t i = 0; i < n && !rc; i++) {
			buf_clear(&p);
			rc = buf_adds(&p, names[i]);
			if (!rc)
				rc = buf_nul(&p);
			if (!rc)
				rc = walk_entry(&w, &p, 0);
		}
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		goto out;
	}
	rc = walk_dir(&w, &p, 0);
out:
	buf_release(&p);
	return rc;
}
