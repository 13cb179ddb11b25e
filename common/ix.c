/*
 * ix.c - the index on LMDB: environment, transactions, the DBIs, the
 * document record, the length table and raw cursors. The byte layout
 * lives in ix.h; this file owns every call into lmdb.h.
 *
 * Invariants: an ix owns one MDB_env and the IX_NDBI handles opened once
 * at ix_open; an ix_txn owns one MDB_txn and frees itself on commit or
 * abort; every value read from the map is bounds-checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <lmdb.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "ix.h"
#include "post.h"

#define IX_MAP_MIN ((size_t)1 << 30)      /* first map size: 1 GiB */
#define IX_MAX_READERS 256
/* Length chunks whose verified address is remembered (268M docids). */
#define IX_LENS_OK_MAX 65536

static const char *const dbi_names[IX_NDBI] = {
	"meta", "post", "pos", "docs", "body", "ids", "lens", "dead", "xid",
	"blocks"
};

struct ix {
	/* Transactions of this process's threads hold it shared; adopting
	 * a map another process grew (mdb_env_set_mapsize) needs no
	 * transaction open in the process, so it holds it exclusive. */
	pthread_rwlock_t txlock;
	int lock_fd;             /* writer.lock, -1 when not held */
	MDB_env *env;
	MDB_dbi dbi[IX_NDBI];
	char lang[IX_LANG_MAX + 1];
	/* Where each length chunk was last found sound in the map. A chunk
	 * is 8 KiB and a query reads hundreds of them, so its checksum is
	 * verified again only when the chunk moved: LMDB writes a changed
	 * value to a new page, and a reused page holds a value lede just
	 * wrote. (512 KiB of calloc'd address space; only touched slots
	 * take memory.) */
	_Atomic(const void *) *lens_ok;
	char *path;
	int rdonly;
	int has_xid;             /* the "xid" table exists (ix.h) */
	char errmsg[256];
};

/* The chunk a write transaction is filling, per kind (IX_BLK_*). */
typedef struct chunkw {
	uint8_t *b;
	size_t len, cap;
	uint32_t id;             /* its id; 0 until the first block */
} chunkw;

/* Where a read transaction found each chunk (its place in the map holds
 * until the transaction ends), by id. */
typedef struct chunk_seen {
	const uint8_t *v;
	size_t n;
} chunk_seen;

struct ix_txn {
	ix *x;
	MDB_txn *txn;
	int write;
	/* A read transaction's length chunks as found (checked) so far:
	 * their place in the map holds until it ends, and each query walks
	 * them all again (245 lookups a query at 1M). NULL = not yet. */
	const uint8_t **lens;
	size_t nlens;
	/* Likewise the "xid" chunks found (checked) so far. */
	struct xid_seen { const uint8_t *v; size_t n; } *xid;
	size_t nxid;
	chunkw cw[2];            /* write: the open chunks */
	chunk_seen *cs[2];       /* read: the chunks found so far */
	size_t ncs[2];
};


static _Thread_local char open_err[256];

const char *ix_open_errmsg(void)
{
	return open_err[0] ? open_err : "no detail";
}

struct ix_cur {
	MDB_cursor *cur;
	int dbi;
};

/* What the last checksum failure of this thread hit, for messages. */
static _Thread_local char damage[256];

const char *ix_damage(void)
{
	return damage[0] ? damage : "no detail";
}

uint32_t ix_sum(const void *k, size_t klen, const void *v, size_t vlen)
{
	return (uint32_t)XXH3_64bits_withSeed(v, vlen, XXH3_64bits(k, klen));
}

static void note_damage(int dbi, const MDB_val *k)
{
	size_t n = 0;
	const uint8_t *p = k->mv_data;

	n += (size_t)snprintf(damage, sizeof(damage), "table '%s', key ",
			      dbi_names[dbi]);
	for (size_t i = 0; i < k->mv_size && n + 8 < sizeof(damage); i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			damage[n++] = (char)p[i];
		else
			n += (size_t)snprintf(damage + n, sizeof(damage) - n,
					      "\\x%02x", p[i]);
	}
	damage[n] = 0;
}

/* Check the trailer of a value read under key k of table dbi and strip
 * it from *v. A value too short to hold one, or whose trailer does not
 * match, is LEDE_ECORRUPT; *v still gets the (unverified) payload. */
static int val_open(int dbi, const MDB_val *k, MDB_val *v)
{
	const uint8_t *p = v->mv_data;
	uint32_t want;

	if (dbi == IX_BLK || dbi == IX_POS)
		return 0;   /* chunks: each block has its own (ix_blk_get) */

	if (v->mv_size < IX_SUM_BYTES) {
		v->mv_size = 0;
		note_damage(dbi, k);
		return LEDE_ECORRUPT;
	}
	v->mv_size -= IX_SUM_BYTES;
	want = (uint32_t)p[v->mv_size] | (uint32_t)p[v->mv_size + 1] << 8 |
	       (uint32_t)p[v->mv_size + 2] << 16 |
	       (uint32_t)p[v->mv_size + 3] << 24;
	if (ix_sum(k->mv_data, k->mv_size, p, v->mv_size) != want) {
		note_damage(dbi, k);
		return LEDE_ECORRUPT;
	}
	return 0;
}

/* Write value v (vlen bytes) and its trailer under key k. */
static int val_put(MDB_txn *txn, MDB_dbi h, const MDB_val *k,
		   const void *v, size_t vlen, unsigned flags)
{
	MDB_val val = { vlen + IX_SUM_BYTES, NULL };
	uint32_t sum;
	uint8_t *d;
	int rc = mdb_put(txn, h, (MDB_val *)k, &val, flags | MDB_RESERVE);

	if (rc)
		return rc;
	d = val.mv_data;
	if (vlen)
		memcpy(d, v, vlen);
	sum = ix_sum(k->mv_data, k->mv_size, v, vlen);
	for (int i = 0; i < 4; i++)
		d[vlen + (size_t)i] = (uint8_t)(sum >> (8 * i));
	return 0;
}

static int lmdb_fail(ix *x, int rc, const char *what)
{
	snprintf(x->errmsg, sizeof(x->errmsg), "%s: %s", what,
		 mdb_strerror(rc));
	if (rc == MDB_MAP_FULL || rc == ENOSPC)
		return LEDE_EFULL;
	if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND)
		return LEDE_ECORRUPT;
	if (rc == ENOMEM)
		return LEDE_ENOMEM;
	if (rc == MDB_VERSION_MISMATCH || rc == MDB_INVALID)
		return LEDE_EVERSION;
	return LEDE_ELMDB;
}

const char *ix_errmsg(const ix *x)
{
	return x->errmsg[0] ? x->errmsg : "no detail";
}

const char *ix_lang(const ix *x) { return x->lang; }
const char *ix_path(const ix *x) { return x->path; }
ix *ix_txn_ix(ix_txn *t) { return t->x; }

static void le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Read or create meta "schema" and "lang" in one transaction. */
/* lang: the language asked for (NULL: none asked; a new index then gets
 * "english", an existing one keeps its own). */
static int meta_init(ix *x, int create, const char *lang)
{
	const char *new_lang = lang ? lang : "english";
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc, err = 0, no_dead = 0;
	uint8_t sch[4];

	rc = mdb_txn_begin(x->env, NULL, x->rdonly ? MDB_RDONLY : 0, &txn);
	if (rc)
		return lmdb_fail(x, rc, "cannot begin transaction");
	for (int i = 0; i < IX_NDBI; i++) {
		rc = mdb_dbi_open(txn, dbi_names[i],
				  x->rdonly ? 0 : MDB_CREATE, &x->dbi[i]);
		if (rc == MDB_NOTFOUND && i == IX_XID) {
			/* Written before the table: ids come from "docs"
			 * (only a read-only open gets here). */
			continue;
		}
		if (i == IX_XID && !rc)
			x->has_xid = 1;
		if (rc == MDB_NOTFOUND && (i == IX_DEAD || i == IX_BLK)) {
			/* Schema 2 had no "dead", 6 no "blocks": the
			 * schema check below names the version. */
			no_dead = i;
			continue;
		}
		if (rc == MDB_NOTFOUND) {
			snprintf(x->errmsg, sizeof(x->errmsg),
				 "not a lede index (no '%s' table)",
				 dbi_names[i]);
			err = LEDE_EVERSION;
			goto out;
		}
		if (rc) {
			err = lmdb_fail(x, rc, "cannot open table");
			goto out;
		}
	}
	k.mv_data = "schema";
	k.mv_size = 6;
	rc = mdb_get(txn, x->dbi[IX_META], &k, &v);
	if (!rc && v.mv_size == 4) {
		/* Schema 1 had no checksum trailers. */
		snprintf(x->errmsg, sizeof(x->errmsg),
			 "index schema %u, this lede reads %u (index the "
			 "archive again into a new index)",
			 le32_get(v.mv_data), IX_SCHEMA);
		err = LEDE_EVERSION;
		goto out;
	}
	if (!rc && val_open(IX_META, &k, &v)) {
		snprintf(x->errmsg, sizeof(x->errmsg),
			 "the schema record fails its checksum");
		err = LEDE_ECORRUPT;
		goto out;
	}
	if (rc == MDB_NOTFOUND) {
		ix_stats st = { 0, 0, 1, 0 };
		uint8_t sb[28];

		if (!create || x->rdonly) {
			snprintf(x->errmsg, sizeof(x->errmsg),
				 "empty or unfinished index");
			err = LEDE_ENOTFOUND;
			goto out;
		}
		le32_put(sch, IX_SCHEMA);
		rc = val_put(txn, x->dbi[IX_META], &k, sch, 4, 0);
		if (!rc) {
			k.mv_data = "lang";
			k.mv_size = 4;
			rc = val_put(txn, x->dbi[IX_META], &k, new_lang,
				     strlen(new_lang), 0);
		}
		if (!rc) {
			le64_put(sb, st.ndocs);
			le64_put(sb + 8, st.sumlen);
			le32_put(sb + 16, st.next_docid);
			le64_put(sb + 20, st.sumtlen);
			k.mv_data = "stats";
			k.mv_size = 5;
			rc = val_put(txn, x->dbi[IX_META], &k, sb, sizeof(sb),
				     0);
		}
		if (rc) {
			err = lmdb_fail(x, rc, "cannot initialise index");
			goto out;
		}
		snprintf(x->lang, sizeof(x->lang), "%s", new_lang);
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc)
			err = lmdb_fail(x, rc, "cannot commit new index");
		goto out;
	}
	if (rc) {
		err = lmdb_fail(x, rc, "cannot read schema");
		goto out;
	}
	if (v.mv_size != 4 || le32_get(v.mv_data) > IX_SCHEMA ||
	    le32_get(v.mv_data) < IX_SCHEMA_MIN) {
		snprintf(x->errmsg, sizeof(x->errmsg),
			 "index schema %u, this lede reads %u to %u (index "
			 "the archive again into a new index)",
			 v.mv_size == 4 ? le32_get(v.mv_data) : 0,
			 IX_SCHEMA_MIN, IX_SCHEMA);
		err = LEDE_EVERSION;
		goto out;
	}
	if (le32_get(v.mv_data) != IX_SCHEMA && !x->rdonly) {
		/* A writer may add records an older lede cannot read. */
		le32_put(sch, IX_SCHEMA);
		rc = val_put(txn, x->dbi[IX_META], &k, sch, 4, 0);
		if (rc) {
			err = lmdb_fail(x, rc, "cannot mark the schema");
			goto out;
		}
	}
	if (no_dead) {
		snprintf(x->errmsg, sizeof(x->errmsg),
			 "not a lede index (no '%s' table)",
			 dbi_names[no_dead]);
		err = LEDE_EVERSION;
		goto out;
	}
	k.mv_data = "lang";
	k.mv_size = 4;
	rc = mdb_get(txn, x->dbi[IX_META], &k, &v);
	if (!rc && val_open(IX_META, &k, &v))
		rc = MDB_CORRUPTED;
	if (rc || v.mv_size == 0 || v.mv_size > IX_LANG_MAX) {
		snprintf(x->errmsg, sizeof(x->errmsg), "bad language record");
		err = LEDE_ECORRUPT;
		goto out;
	}
	memcpy(x->lang, v.mv_data, v.mv_size);
	x->lang[v.mv_size] = 0;
	if (create && lang && strcmp(lang, x->lang) != 0) {
		snprintf(x->errmsg, sizeof(x->errmsg),
			 "index language is %s, not %s", x->lang, lang);
		err = LEDE_EINVAL;
	}
out:
	/* Committing (even a read-only txn) keeps the DBI handles opened in
	 * it; an abort would close them again. */
	if (txn && !err) {
		rc = mdb_txn_commit(txn);
		if (rc)
			err = lmdb_fail(x, rc, "cannot open tables");
	} else if (txn) {
		mdb_txn_abort(txn);
	}
	return err;
}

int ix_open(const char *dir, int flags, const char *lang, ix **out)
{
	ix *x;
	int rc, err = 0;
	struct stat sb;
	char file[4096];
	size_t mapsize = IX_MAP_MIN;
	const char *env = getenv("LEDE_MAP_MIN");

	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (x && pthread_rwlock_init(&x->txlock, NULL)) {
		free(x);
		x = NULL;
	}
	if (!x)
		return LEDE_ENOMEM;
	x->lock_fd = -1;
	x->path = strdup(dir);
	x->rdonly = !!(flags & IX_RDONLY);
	x->lens_ok = calloc(IX_LENS_OK_MAX, sizeof(*x->lens_ok));
	if (!x->path || !x->lens_ok) {
		free(x->lens_ok);
		free(x->path);
		free(x);
		return LEDE_ENOMEM;
	}
	if (stat(dir, &sb) != 0) {
		if (!(flags & IX_CREATE) || errno != ENOENT) {
			snprintf(x->errmsg, sizeof(x->errmsg), "%s",
				 strerror(errno));
			err = errno == ENOENT ? LEDE_ENOTFOUND : LEDE_EIO;
			goto fail;
		}
		if (mkdir(dir, 0777) != 0) {
			snprintf(x->errmsg, sizeof(x->errmsg), "%s",
				 strerror(errno));
			err = LEDE_EIO;
			goto fail;
		}
	} else if (!S_ISDIR(sb.st_mode)) {
		snprintf(x->errmsg, sizeof(x->errmsg), "not a folder");
		err = LEDE_EINVAL;
		goto fail;
	}
	/* LEDE_MAP_MIN (bytes) sets the first map size: the tests use a tiny
	 * one to prove that the map grows by itself. */
	if (env && *env) {
		unsigned long long v = strtoull(env, NULL, 10);
		if (v >= ((unsigned long long)1 << 16) &&
		    v <= ((unsigned long long)1 << 44))
			mapsize = (size_t)v;
	}
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	if (stat(file, &sb) == 0) {
		/* Map at least twice the data so a writer has room to grow. */
		while (mapsize < (size_t)sb.st_size * 2)
			mapsize *= 2;
	} else if (!(flags & IX_CREATE)) {
		snprintf(x->errmsg, sizeof(x->errmsg), "no index here");
		err = LEDE_ENOTFOUND;
		goto fail;
	}
	rc = mdb_env_create(&x->env);
	if (!rc)
		rc = mdb_env_set_maxdbs(x->env, IX_NDBI + 2);
	if (!rc)
		rc = mdb_env_set_mapsize(x->env, mapsize);
	if (!rc)
		rc = mdb_env_set_maxreaders(x->env, IX_MAX_READERS);
	if (!rc)
		rc = mdb_env_open(x->env, dir,
				  MDB_NOTLS | (x->rdonly ? MDB_RDONLY : 0),
				  0666);
	if (rc) {
		err = lmdb_fail(x, rc, "cannot open environment");
		goto fail;
	}
	err = meta_init(x, !!(flags & IX_CREATE), lang);
	if (err)
		goto fail;
	*out = x;
	return 0;
fail:
	/* The handle goes away: keep its message for ix_open_errmsg(). */
	snprintf(open_err, sizeof(open_err), "%s", x->errmsg);
	if (x->env)
		mdb_env_close(x->env);
	free(x->lens_ok);
	free(x->path);
	free(x);
	return err;
}

int ix_lock_writer(ix *x)
{
	char file[4096], pid[32];
	int fd, n;

	if (x->lock_fd >= 0)
		return 0;
	snprintf(file, sizeof(file), "%s/writer.lock", x->path);
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(x->errmsg, sizeof(x->errmsg),
			 "cannot open writer.lock: %s", strerror(errno));
		return LEDE_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		if (pid[0])
			snprintf(x->errmsg, sizeof(x->errmsg),
				 "another lede process (pid %s) is writing "
				 "this index", pid);
		else
			snprintf(x->errmsg, sizeof(x->errmsg),
				 "another lede process is writing this index");
		close(fd);
		return LEDE_EINVAL;
	}
	/* The holder's pid, for the message above; advisory only. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		(void)0;
	x->lock_fd = fd;
	return 0;
}

void ix_close(ix *x)
{
	if (!x)
		return;
	if (x->lock_fd >= 0)
		close(x->lock_fd);   /* releases the flock */
	mdb_env_close(x->env);
	pthread_rwlock_destroy(&x->txlock);
	free(x->lens_ok);
	free(x->path);
	free(x);
}

int ix_ensure_room(ix *x, uint64_t bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	uint64_t used, need;
	size_t size;
	int rc;

	rc = mdb_env_info(x->env, &info);
	if (!rc)
		rc = mdb_env_stat(x->env, &st);
	if (rc)
		return lmdb_fail(x, rc, "cannot read environment info");
	used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	/* Copy-on-write needs room for the new pages and the old ones they
	 * replace until the commit: twice the data written, plus slack. */
	need = used + 2 * bytes + ((uint64_t)64 << 20);
	if (need <= info.me_mapsize)
		return 0;
	size = info.me_mapsize;
	while (size < need)
		size *= 2;
	pthread_rwlock_wrlock(&x->txlock);
	rc = mdb_env_set_mapsize(x->env, size);
	pthread_rwlock_unlock(&x->txlock);
	if (rc)
		return lmdb_fail(x, rc, "cannot grow the map");
	return 0;
}

int ix_begin(ix *x, int write, ix_txn **out)
{
	ix_txn *t;
	int rc;

	*out = NULL;
	if (write && x->rdonly)
		return LEDE_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return LEDE_ENOMEM;
	t->x = x;
	t->write = write;
	pthread_rwlock_rdlock(&x->txlock);
	rc = mdb_txn_begin(x->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size and retry. */
		pthread_rwlock_unlock(&x->txlock);
		pthread_rwlock_wrlock(&x->txlock);
		rc = mdb_env_set_mapsize(x->env, 0);
		pthread_rwlock_unlock(&x->txlock);
		pthread_rwlock_rdlock(&x->txlock);
		if (!rc)
			rc = mdb_txn_begin(x->env, NULL,
					   write ? 0 : MDB_RDONLY, &t->txn);
	}
	if (rc) {
		pthread_rwlock_unlock(&x->txlock);
		free(t);
		return lmdb_fail(x, rc, "cannot begin transaction");
	}
	*out = t;
	return 0;
}

static int chunk_flush(ix_txn *t, int kind);

static void txn_free(ix_txn *t)
{
	pthread_rwlock_unlock(&t->x->txlock);
	free(t->lens);
	free(t->xid);
	for (int k = 0; k < 2; k++) {
		free(t->cw[k].b);
		free(t->cs[k]);
	}
	free(t);
}

int ix_commit(ix_txn *t)
{
	int rc, err = 0;

	for (int k = 0; k < 2 && !err; k++)
		err = chunk_flush(t, k);
	if (err) {
		mdb_txn_abort(t->txn);
		txn_free(t);
		return err;
	}
	rc = mdb_txn_commit(t->txn);
	err = rc ? lmdb_fail(t->x, rc, "cannot commit") : 0;
	txn_free(t);
	return err;
}

void ix_abort(ix_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	txn_free(t);
}

int ix_has_table(ix_txn *t, int dbi)
{
	return dbi >= 0 && dbi < IX_NDBI && (dbi != IX_XID || t->x->has_xid);
}

int ix_get(ix_txn *t, int dbi, const void *k, size_t klen,
	   const uint8_t **v, size_t *vlen)
{
	MDB_val key = { klen, (void *)k }, val;
	int rc;

	*v = NULL;
	*vlen = 0;
	if (!ix_has_table(t, dbi))
		return LEDE_ENOTFOUND;
	rc = mdb_get(t->txn, t->x->dbi[dbi], &key, &val);

	if (rc == MDB_NOTFOUND)
		return LEDE_ENOTFOUND;
	if (rc)
		return lmdb_fail(t->x, rc, "cannot read");
	rc = val_open(dbi, &key, &val);
	*v = val.mv_data;
	*vlen = val.mv_size;
	return rc;
}

int ix_put(ix_txn *t, int dbi, const void *k, size_t klen,
	   const void *v, size_t vlen, int flags)
{
	MDB_val key = { klen, (void *)k };
	int rc;

	if (!ix_has_table(t, dbi))
		return LEDE_EINVAL;
	rc = val_put(t->txn, t->x->dbi[dbi], &key, v, vlen,
		     (flags & IX_APPEND) ? MDB_APPEND : 0);

	return rc ? lmdb_fail(t->x, rc, "cannot write") : 0;
}

int ix_del(ix_txn *t, int dbi, const void *k, size_t klen)
{
	MDB_val key = { klen, (void *)k };
	int rc;

	if (!ix_has_table(t, dbi))
		return LEDE_ENOTFOUND;
	rc = mdb_del(t->txn, t->x->dbi[dbi], &key, NULL);

	if (rc == MDB_NOTFOUND)
		return LEDE_ENOTFOUND;
	return rc ? lmdb_fail(t->x, rc, "cannot delete") : 0;
}

int ix_clear(ix_txn *t, int dbi)
{
	int rc;

	if (!ix_has_table(t, dbi))
		return 0;
	rc = mdb_drop(t->txn, t->x->dbi[dbi], 0);

	return rc ? lmdb_fail(t->x, rc, "cannot empty table") : 0;
}

int ix_cur_open(ix_txn *t, int dbi, ix_cur **out)
{
	ix_cur *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return LEDE_ENOMEM;
	if (!ix_has_table(t, dbi)) {
		free(c);
		return LEDE_ENOTFOUND;
	}
	rc = mdb_cursor_open(t->txn, t->x->dbi[dbi], &c->cur);
	if (rc) {
		free(c);
		return lmdb_fail(t->x, rc, "cannot open cursor");
	}
	c->dbi = dbi;
	*out = c;
	return 0;
}

static int cur_get(ix_cur *c, MDB_val *key, MDB_cursor_op op,
		   const uint8_t **k, size_t *klen,
		   const uint8_t **v, size_t *vlen)
{
	MDB_val val;
	int rc = mdb_cursor_get(c->cur, key, &val, op);

	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc)
		return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ?
		       LEDE_ECORRUPT : LEDE_ELMDB;
	if (k) {
		*k = key->mv_data;
		*klen = key->mv_size;
	}
	if (v) {
		rc = val_open(c->dbi, key, &val);
		*v = val.mv_data;
		*vlen = val.mv_size;
		return rc;
	}
	return 0;
}

int ix_cur_seek(ix_cur *c, const void *k, size_t klen,
		const uint8_t **key, size_t *key_len,
		const uint8_t **v, size_t *vlen)
{
	MDB_val kv = { klen, (void *)k };

	if (!k)
		return cur_get(c, &kv, MDB_FIRST, key, key_len, v, vlen);
	return cur_get(c, &kv, MDB_SET_RANGE, key, key_len, v, vlen);
}

int ix_cur_next(ix_cur *c, const uint8_t **key, size_t *key_len,
		const uint8_t **v, size_t *vlen)
{
	MDB_val kv;

	return cur_get(c, &kv, MDB_NEXT, key, key_len, v, vlen);
}

int ix_cur_del(ix_cur *c)
{
	return mdb_cursor_del(c->cur, 0) ? LEDE_ELMDB : 0;
}

void ix_cur_close(ix_cur *c)
{
	if (!c)
		return;
	mdb_cursor_close(c->cur);
	free(c);
}

int ix_stats_get(ix_txn *t, ix_stats *st)
{
	const uint8_t *v = NULL;
	size_t n = 0;
	int rc = ix_get(t, IX_META, "stats", 5, &v, &n);

	if (rc)
		return rc == LEDE_ENOTFOUND ? LEDE_ECORRUPT : rc;
	if (n != 28)
		return LEDE_ECORRUPT;
	st->ndocs = le64_load(v);
	st->sumlen = le64_load(v + 8);
	st->next_docid = le32_get(v + 16);
	st->sumtlen = le64_load(v + 20);
	if (st->next_docid == 0 || st->ndocs >= st->next_docid)
		return LEDE_ECORRUPT;
	return 0;
}

int ix_stats_put(ix_txn *t, const ix_stats *st)
{
	uint8_t sb[28];

	le64_put(sb, st->ndocs);
	le64_put(sb + 8, st->sumlen);
	le32_put(sb + 16, st->next_docid);
	le64_put(sb + 20, st->sumtlen);
	return ix_put(t, IX_META, "stats", 5, sb, sizeof(sb), 0);
}

static int get_str(const uint8_t **p, const uint8_t *end, const char **s,
		   size_t *n)
{
	uint64_t len;

	if (varint_get(p, end, &len) || len > (uint64_t)(end - *p))
		return LEDE_ECORRUPT;
	*s = (const char *)*p;
	*n = (size_t)len;
	*p += len;
	return 0;
}

int ix_doc_parse(const uint8_t *p, size_t len, uint32_t docid, ix_doc *d)
{
	const uint8_t *end = p + len;
	uint64_t date, fsize = 0, mtime = 0;
	int flags;

	if (len < 10 || p[0] != IX_DOC_VERSION || (p[1] & ~IX_DOC_FSTAT))
		return LEDE_ECORRUPT;
	flags = p[1];
	d->docid = docid;
	d->hash = le64_load(p + 2);
	p += 10;
	if (varint_get(&p, end, &date) || date > 99991231 ||
	    varint_get32(&p, end, &d->len) ||
	    varint_get32(&p, end, &d->tlen) ||
	    get_str(&p, end, &d->id, &d->id_len) ||
	    get_str(&p, end, &d->title, &d->title_len) ||
	    get_str(&p, end, &d->url, &d->url_len) ||
	    get_str(&p, end, &d->source, &d->source_len) ||
	    get_str(&p, end, &d->tags, &d->tags_len) ||
	    ((flags & IX_DOC_FSTAT) &&
	     (varint_get(&p, end, &fsize) || varint_get(&p, end, &mtime))) ||
	    p != end || d->tlen > d->len)
		return LEDE_ECORRUPT;
	d->date = (int32_t)date;
	d->has_fstat = !!(flags & IX_DOC_FSTAT);
	d->fsize = fsize;
	d->mtime_ns = (int64_t)mtime;
	return 0;
}

int ix_doc_get(ix_txn *t, uint32_t docid, ix_doc *d)
{
	uint8_t k[4];
	const uint8_t *v = NULL;
	size_t n = 0;
	int rc;

	u32be_put(k, docid);
	rc = ix_get(t, IX_DOCS, k, 4, &v, &n);
	if (rc)
		return rc;
	return ix_doc_parse(v, n, docid, d);
}

/* ---- "xid": docid -> external id, a chunk at a time ---- */

/* Chunk value v[0..n) (checksum stripped) holds entry i: 1 with *id and
 * *len set, 0 when it is empty or past the chunk's end, <0 when the
 * chunk does not hold together. Checks only what entry i needs. */
static int xid_entry(const uint8_t *v, size_t n, uint32_t i,
		     const char **id, size_t *len)
{
	uint32_t cnt, a, b;
	size_t hdr;

	if (n < 8)
		return LEDE_ECORRUPT;
	cnt = le32_get(v);
	if (cnt == 0 || cnt > IX_XID_CHUNK)
		return LEDE_ECORRUPT;
	hdr = 4 + 4 * ((size_t)cnt + 1);
	if (n < hdr || le32_get(v + 4) != 0 ||
	    le32_get(v + 4 + 4 * (size_t)cnt) != n - hdr)
		return LEDE_ECORRUPT;
	if (i >= cnt)
		return 0;
	a = le32_get(v + 4 + 4 * (size_t)i);
	b = le32_get(v + 8 + 4 * (size_t)i);
	if (a > b || b > n - hdr)
		return LEDE_ECORRUPT;
	if (a == b)
		return 0;
	*id = (const char *)v + hdr + a;
	*len = b - a;
	return 1;
}

/* Chunk c of "xid" as found in this transaction: a read transaction
 * verifies each chunk once and keeps where it is. */
static int xid_chunk(ix_txn *t, uint32_t c, const uint8_t **v, size_t *n)
{
	uint8_t k[4];
	int rc;

	if (!t->write && c < t->nxid && t->xid[c].v) {
		*v = t->xid[c].v;
		*n = t->xid[c].n;
		return 0;
	}
	u32be_put(k, c);
	rc = ix_get(t, IX_XID, k, 4, v, n);
	if (rc || t->write)
		return rc;
	if (c >= t->nxid) {
		size_t m = t->nxid ? t->nxid : 64;
		struct xid_seen *p;

		while (m <= c)
			m *= 2;
		p = realloc(t->xid, m * sizeof(*p));
		if (!p)
			return 0;   /* not kept: the next call looks again */
		memset(p + t->nxid, 0, (m - t->nxid) * sizeof(*p));
		t->xid = p;
		t->nxid = m;
	}
	t->xid[c].v = *v;
	t->xid[c].n = *n;
	return 0;
}

int ix_xid_get(ix_txn *t, uint32_t docid, const char **id, size_t *len)
{
	const uint8_t *v;
	size_t n;
	int rc = xid_chunk(t, docid / IX_XID_CHUNK, &v, &n);

	if (rc)
		return rc;
	rc = xid_entry(v, n, docid % IX_XID_CHUNK, id, len);
	if (rc < 0) {
		snprintf(damage, sizeof(damage), "id chunk %u",
			 docid / IX_XID_CHUNK);
		return rc;
	}
	return rc ? 0 : LEDE_ENOTFOUND;
}

int ix_doc_id(ix_txn *t, uint32_t docid, const char **id, size_t *len)
{
	ix_doc d;
	int rc = ix_xid_get(t, docid, id, len);

	/* the table is a copy: when its chunk is damaged (lede check says
	 * so), the record still answers */
	if (rc != LEDE_ENOTFOUND && rc != LEDE_ECORRUPT)
		return rc;
	rc = ix_doc_get(t, docid, &d);
	if (rc)
		return rc;
	*id = d.id;
	*len = d.id_len;
	return 0;
}

void ix_xidw_init(ix_xidw *w)
{
	w->open = 0;
	w->chunk = w->n = 0;
	buf_init(&w->bytes);
}

void ix_xidw_reset(ix_xidw *w)
{
	w->open = 0;
	w->n = 0;
	buf_clear(&w->bytes);
}

void ix_xidw_release(ix_xidw *w)
{
	buf_release(&w->bytes);
	w->open = 0;
	w->n = 0;
}

int ix_xidw_flush(ix_txn *t, ix_xidw *w, int append)
{
	buf v;
	uint8_t k[4], b4[4];
	int rc = 0;

	if (!w->open || w->n == 0) {
		ix_xidw_reset(w);
		return 0;
	}
	buf_init(&v);
	rc = buf_reserve(&v, 4 + 4 * ((size_t)w->n + 1) + w->bytes.len);
	le32_put(b4, w->n);
	if (!rc)
		rc = buf_add(&v, b4, 4);
	for (uint32_t i = 0; !rc && i <= w->n; i++) {
		le32_put(b4, w->off[i]);
		rc = buf_add(&v, b4, 4);
	}
	if (!rc)
		rc = buf_add(&v, w->bytes.data, w->bytes.len);
	u32be_put(k, w->chunk);
	if (!rc)
		rc = ix_put(t, IX_XID, k, 4, v.data, v.len,
			    append ? IX_APPEND : 0);
	buf_release(&v);
	ix_xidw_reset(w);
	return rc;
}

/* Open chunk c in w: what the table holds of it (a damaged chunk is
 * dropped: "docs" still holds every id), or nothing. */
static int xidw_open(ix_txn *t, ix_xidw *w, uint32_t c)
{
	const uint8_t *v;
	size_t n;
	uint8_t k[4];
	int rc;

	ix_xidw_reset(w);
	w->open = 1;
	w->chunk = c;
	w->off[0] = 0;
	u32be_put(k, c);
	rc = ix_get(t, IX_XID, k, 4, &v, &n);
	if (rc == LEDE_ENOTFOUND || rc == LEDE_ECORRUPT)
		return 0;
	if (rc)
		return rc;
	{
		const char *id;
		size_t len;
		uint32_t cnt;

		if (xid_entry(v, n, 0, &id, &len) < 0)
			return 0;
		cnt = le32_get(v);
		for (uint32_t i = 0; i < cnt; i++) {
			rc = xid_entry(v, n, i, &id, &len);
			if (rc < 0) {
				ix_xidw_reset(w);
				w->open = 1;
				w->chunk = c;
				return 0;
			}
			if (rc == 0) {
				len = 0;
			} else {
				rc = buf_add(&w->bytes, id, len);
				if (rc)
					return rc;
			}
			w->off[i + 1] = w->off[i] + (uint32_t)len;
		}
		w->n = cnt;
	}
	return 0;
}

int ix_xidw_add(ix_txn *t, ix_xidw *w, uint32_t docid, const char *id,
		size_t len, int append)
{
	uint32_t c = docid / IX_XID_CHUNK, i = docid % IX_XID_CHUNK;
	int rc;

	if (len > IX_XID_ID_MAX)
		len = 0;   /* read from the record: chunks stay small */
	if (!w->open || w->chunk != c) {
		rc = ix_xidw_flush(t, w, append);
		if (!rc)
			rc = xidw_open(t, w, c);
		if (rc)
			return rc;
	}
	if (i < w->n) {
		/* never expected (docids only grow): the new id wins */
		w->n = i;
		w->bytes.len = w->off[i];
	}
	while (w->n < i) {
		w->off[w->n + 1] = w->off[w->n];
		w->n++;
	}
	rc = buf_add(&w->bytes, id, len);
	if (rc)
		return rc;
	w->off[i + 1] = w->off[i] + (uint32_t)len;
	w->n = i + 1;
	return 0;
}

int ix_xid_rebuild(ix_txn *t)
{
	ix_xidw w;
	ix_cur *c = NULL;
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc;

	rc = ix_clear(t, IX_XID);
	if (!rc)
		rc = ix_cur_open(t, IX_DOCS, &c);
	if (rc)
		return rc;
	ix_xidw_init(&w);
	for (rc = ix_cur_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	     rc = ix_cur_next(c, &k, &kl, &v, &vl)) {
		ix_doc d;

		if (kl != 4 || ix_doc_parse(v, vl, u32be_get(k), &d))
			continue;   /* lede check names such records */
		rc = ix_xidw_add(t, &w, d.docid, d.id, d.id_len, 1);
		if (rc)
			break;
	}
	if (rc > 0)
		rc = 0;
	if (!rc)
		rc = ix_xidw_flush(t, &w, 1);
	ix_cur_close(c);
	ix_xidw_release(&w);
	return rc;
}

size_t ix_id_key(const char *id, size_t len, uint8_t *key)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h;
	size_t n;

	if (len <= IX_ID_KEY_MAX) {
		memcpy(key, id, len);
		return len;
	}
	n = IX_ID_KEY_MAX - 17;
	memcpy(key, id, n);
	key[n++] = 0;
	h = hash64(id, len, 0);
	for (int i = 15; i >= 0; i--)
		key[n++] = (uint8_t)hex[(h >> (4 * i)) & 15];
	return n;
}

int ix_id_lookup(ix_txn *t, const char *id, size_t len, uint32_t *docid)
{
	uint8_t key[IX_ID_KEY_MAX];
	size_t klen;
	const uint8_t *v;
	size_t n;
	int rc;

	if (len == 0)
		return LEDE_ENOTFOUND;
	klen = ix_id_key(id, len, key);
	rc = ix_get(t, IX_IDS, key, klen, &v, &n);
	if (rc)
		return rc;
	if (n != 4)
		return LEDE_ECORRUPT;
	*docid = u32be_get(v);
	return 0;
}

int ix_body_get(ix_txn *t, uint32_t docid, buf *out)
{
	uint8_t k[4];
	const uint8_t *v;
	size_t n;
	unsigned long long size;
	int rc;

	buf_clear(out);
	u32be_put(k, docid);
	rc = ix_get(t, IX_BODY, k, 4, &v, &n);
	if (rc)
		return rc;
	if (n < 1)
		return LEDE_ECORRUPT;
	if (v[0] == 0) {
		rc = buf_add(out, v + 1, n - 1);
		return rc ? rc : buf_nul(out);
	}
	if (v[0] != 1)
		return LEDE_ECORRUPT;
	size = ZSTD_getFrameContentSize(v + 1, n - 1);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size > ((unsigned long long)1 << 31))
		return LEDE_ECORRUPT;
	rc = buf_reserve(out, (size_t)size + 1);
	if (rc)
		return rc;
	n = ZSTD_decompress(out->data, (size_t)size, v + 1, n - 1);
	if (ZSTD_isError(n) || n != size)
		return LEDE_ECORRUPT;
	out->len = n;
	return buf_nul(out);
}

/* Remember a checked chunk for the rest of read transaction t (a
 * failed allocation only forgoes the shortcut). */
static void lens_keep(ix_txn *t, uint32_t chunk, const uint8_t *v)
{
	if (chunk >= t->nlens) {
		size_t n = t->nlens ? t->nlens : 64;
		const uint8_t **p;

		while (n <= chunk)
			n *= 2;
		p = realloc(t->lens, n * sizeof(*p));
		if (!p)
			return;
		memset(p + t->nlens, 0, (n - t->nlens) * sizeof(*p));
		t->lens = p;
		t->nlens = n;
	}
	t->lens[chunk] = v;
}

/* ix_get of a length chunk, skipping the checksum when the value is where
 * it was last verified (see lens_ok), and the lookup when this read
 * transaction has found it before. */
static int lens_get(ix_txn *t, uint32_t chunk, const uint8_t *k,
		    const uint8_t **v, size_t *n)
{
	ix *x = t->x;
	MDB_val key = { 4, (void *)k }, val;
	int rc;

	if (chunk < t->nlens && t->lens[chunk]) {
		*v = t->lens[chunk];
		*n = IX_LEN_CHUNK * 2;
		return 0;
	}
	rc = mdb_get(t->txn, x->dbi[IX_LENS], &key, &val);
	if (rc == MDB_NOTFOUND)
		return LEDE_ENOTFOUND;
	if (rc)
		return lmdb_fail(x, rc, "cannot read");
	if (x->lens_ok && chunk < IX_LENS_OK_MAX &&
	    val.mv_size == IX_LEN_CHUNK * 2 + IX_SUM_BYTES &&
	    atomic_load_explicit(&x->lens_ok[chunk], memory_order_relaxed) ==
	    val.mv_data) {
		*v = val.mv_data;
		*n = val.mv_size - IX_SUM_BYTES;
		if (!t->write)
			lens_keep(t, chunk, val.mv_data);
		return 0;
	}
	rc = val_open(IX_LENS, &key, &val);
	*v = val.mv_data;
	*n = val.mv_size;
	if (!rc && x->lens_ok && chunk < IX_LENS_OK_MAX)
		atomic_store_explicit(&x->lens_ok[chunk], val.mv_data,
				      memory_order_relaxed);
	if (!rc && !t->write && val.mv_size == IX_LEN_CHUNK * 2)
		lens_keep(t, chunk, val.mv_data);
	return rc;
}

int ix_lens_chunk(ix_txn *t, uint32_t chunk, const uint16_t **arr,
		  uint16_t *scratch)
{
	uint8_t k[4];
	const uint8_t *v = NULL;
	size_t n = 0;
	int rc;

	u32be_put(k, chunk);
	rc = lens_get(t, chunk, k, &v, &n);
	if (rc == LEDE_ENOTFOUND) {
		memset(scratch, 0, IX_LEN_CHUNK * sizeof(uint16_t));
		*arr = scratch;
		return 0;
	}
	if (rc)
		return rc;
	if (n != IX_LEN_CHUNK * sizeof(uint16_t))
		return LEDE_ECORRUPT;
	/* Chunks are 8 KiB, so LMDB keeps them on overflow pages whose data
	 * starts 2-byte aligned; still, never cast a misaligned pointer. */
	if (((uintptr_t)v & 1) == 0 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
		*arr = (const uint16_t *)(const void *)v;
		return 0;
	}
	for (size_t i = 0; i < IX_LEN_CHUNK; i++)
		scratch[i] = (uint16_t)(v[2 * i] | v[2 * i + 1] << 8);
	*arr = scratch;
	return 0;
}

int ix_pos_lens(ix_txn *t, const uint32_t *docids, unsigned n,
		uint32_t *lens)
{
	uint16_t scratch[IX_LEN_CHUNK];
	const uint16_t *arr = NULL;
	uint32_t chunk = 0;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		uint32_t d = docids[i];

		if (!arr || d / IX_LEN_CHUNK != chunk) {
			chunk = d / IX_LEN_CHUNK;
			rc = ix_lens_chunk(t, chunk, &arr, scratch);
			if (rc)
				return rc;
		}
		lens[i] = arr[d % IX_LEN_CHUNK];
		if (lens[i] == 0) {
			const uint8_t *v;
			size_t vl;
			uint8_t k[4];

			u32be_put(k, d);
			rc = ix_get(t, IX_DEAD, k, 4, &v, &vl);
			if (rc == LEDE_ENOTFOUND || (!rc && vl != 2)) {
				snprintf(damage, sizeof(damage), "document %u "
					 "has no length (positions need it)",
					 d);
				return LEDE_ECORRUPT;
			}
			if (rc)
				return rc;
			lens[i] = (uint32_t)(v[0] | v[1] << 8);
		}
	}
	return 0;
}

int ix_title_tfs(ix_txn *t, const char *tk, size_t tklen,
		 const uint32_t *docids, size_t n, uint32_t *ttf)
{
	char key[IX_TERMKEY_MAX + 1];
	uint32_t bd[POST_BLOCK_MAX], bt[POST_BLOCK_MAX], df;
	const uint8_t *rp, *bp;
	size_t rl, bl, ne = 0, at = 0;
	post_dirent *ents = NULL;
	post_inline il;
	unsigned bn;
	int rc;

	memset(ttf, 0, n * sizeof(*ttf));
	if (n == 0 || tklen + 1 > IX_TERMKEY_MAX)
		return 0;
	key[0] = IX_TITLE_MARK;
	memcpy(key + 1, tk, tklen);
	rc = ix_term_get(t, key, tklen + 1, &rp, &rl);
	if (rc == LEDE_ENOTFOUND)
		return 0;
	if (!rc)
		rc = post_term_decode_ex(rp, rl, &df, &ents, &ne, &il);
	for (size_t i = 0; !rc && i < ne && at < n; i++) {
		if (ents[i].last < docids[at] || ents[i].first > docids[n - 1])
			continue;
		if (il.blk) {
			bp = il.blk;
			bl = il.blen;
		} else {
			rc = ix_blk_get(t, IX_BLK_POST, key, tklen + 1,
					ents[i].first, &ents[i].bl, &bp, &bl);
			if (rc)
				break;
		}
		rc = post_block_decode(bp, bl, ents[i].first, bd, bt, &bn);
		for (unsigned j = 0; !rc && j < bn; j++) {
			while (at < n && docids[at] < bd[j])
				at++;
			if (at == n)
				break;
			if (docids[at] == bd[j])
				ttf[at] = bt[j];
		}
	}
	free(ents);
	return rc;
}

int ix_term_get(ix_txn *t, const char *tk, size_t tklen,
		const uint8_t **p, size_t *len)
{
	uint8_t key[IX_TERMKEY_MAX + 1];

	if (tklen == 0 || tklen > IX_TERMKEY_MAX)
		return LEDE_ENOTFOUND;
	memcpy(key, tk, tklen);
	key[tklen] = 0;
	return ix_get(t, IX_POST, key, tklen + 1, p, len);
}

/* ---- blocks in chunks ------------------------------------------------ */

int ix_blk_dbi(int kind)
{
	return kind == IX_BLK_POS ? IX_POS : IX_BLK;
}

/* The block's own key, as its checksum and a damage message name it. */
static size_t blk_key(uint8_t *key, const char *tk, size_t tklen,
		      uint32_t first)
{
	memcpy(key, tk, tklen);
	key[tklen] = 0;
	u32be_put(key + tklen + 1, first);
	return tklen + 5;
}

/* Write the open chunk of kind to its table; the next block opens the
 * one after it. */
static int chunk_flush(ix_txn *t, int kind)
{
	chunkw *w = &t->cw[kind];
	uint8_t k[4];
	MDB_val key = { 4, k }, val;
	int rc;

	if (!w->id || !w->len)
		return 0;
	u32be_put(k, w->id);
	val.mv_size = w->len;
	val.mv_data = NULL;
	rc = mdb_put(t->txn, t->x->dbi[ix_blk_dbi(kind)], &key, &val,
		     MDB_APPEND | MDB_RESERVE);
	if (rc)
		return lmdb_fail(t->x, rc, "cannot write");
	memcpy(val.mv_data, w->b, w->len);
	w->id++;
	w->len = 0;
	return 0;
}

/* The id the next chunk of kind gets: one past the table's last. */
static int chunk_next_id(ix_txn *t, int kind, uint32_t *id)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(t->txn, t->x->dbi[ix_blk_dbi(kind)], &c);

	if (rc)
		return lmdb_fail(t->x, rc, "cannot open cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		*id = 1;
		return 0;
	}
	if (rc)
		return lmdb_fail(t->x, rc, "cannot read");
	if (k.mv_size != 4 || u32be_get(k.mv_data) == UINT32_MAX) {
		snprintf(damage, sizeof(damage), "table '%s': a chunk key "
			 "of %zu bytes", dbi_names[ix_blk_dbi(kind)],
			 k.mv_size);
		return LEDE_ECORRUPT;
	}
	*id = u32be_get(k.mv_data) + 1;
	return 0;
}

int ix_blk_put(ix_txn *t, int kind, const char *tk, size_t tklen,
	       uint32_t first, const void *v, size_t len, post_loc *loc)
{
	chunkw *w;
	uint8_t key[IX_TERMKEY_MAX + 5];
	size_t kl, need = len + IX_SUM_BYTES;
	uint32_t sum;
	int rc;

	if (!t->write || (kind != IX_BLK_POST && kind != IX_BLK_POS) ||
	    tklen == 0 || tklen > IX_TERMKEY_MAX ||
	    len > POST_LOC_LEN_MAX - IX_SUM_BYTES)
		return LEDE_EINVAL;
	w = &t->cw[kind];
	if (!w->id) {
		rc = chunk_next_id(t, kind, &w->id);
		if (rc)
			return rc;
	}
	if (w->len && w->len + need > IX_CHUNK_BYTES) {
		rc = chunk_flush(t, kind);
		if (rc)
			return rc;
	}
	if (w->len + need > w->cap) {
		size_t nc = w->len + need > IX_CHUNK_BYTES ?
			    w->len + need : IX_CHUNK_BYTES;
		uint8_t *nb = realloc(w->b, nc);

		if (!nb)
			return LEDE_ENOMEM;
		w->b = nb;
		w->cap = nc;
	}
	kl = blk_key(key, tk, tklen, first);
	if (len)
		memcpy(w->b + w->len, v, len);
	sum = ix_sum(key, kl, v, len);
	for (int i = 0; i < 4; i++)
		w->b[w->len + len + (size_t)i] = (uint8_t)(sum >> (8 * i));
	loc->chunk = w->id;
	loc->off = (uint32_t)w->len;
	loc->len = (uint32_t)need;
	w->len += need;
	/* A block longer than a chunk has one to itself. */
	if (w->len >= IX_CHUNK_BYTES)
		return chunk_flush(t, kind);
	return 0;
}

int ix_blks_put(ix_txn *t, const char *tk, size_t tklen, size_t nb,
		const uint8_t *blocks, const size_t *boff,
		const uint8_t *posblk, const size_t *poff, post_dirent *ents)
{
	for (size_t i = 0; i < nb; i++) {
		int rc = ix_blk_put(t, IX_BLK_POST, tk, tklen, ents[i].first,
				    blocks + boff[i], boff[i + 1] - boff[i],
				    &ents[i].bl);

		if (!rc && posblk)
			rc = ix_blk_put(t, IX_BLK_POS, tk, tklen,
					ents[i].first, posblk + poff[i],
					poff[i + 1] - poff[i], &ents[i].pl);
		if (rc)
			return rc;
	}
	return 0;
}

/* Chunk id of kind: the open one's bytes, or the table's value. */
static int chunk_find(ix_txn *t, int kind, uint32_t id, const uint8_t **v,
		      size_t *n)
{
	chunk_seen *cs = t->cs[kind];
	uint8_t k[4];
	MDB_val key = { 4, k }, val;
	int rc;

	if (t->write && id && id == t->cw[kind].id) {
		*v = t->cw[kind].b;
		*n = t->cw[kind].len;
		return 0;
	}
	if (cs && id < t->ncs[kind] && cs[id].v) {
		*v = cs[id].v;
		*n = cs[id].n;
		return 0;
	}
	u32be_put(k, id);
	rc = mdb_get(t->txn, t->x->dbi[ix_blk_dbi(kind)], &key, &val);
	if (rc == MDB_NOTFOUND) {
		snprintf(damage, sizeof(damage), "table '%s': chunk %u, "
			 "which a term's directory names, is missing (corrupt)",
			 dbi_names[ix_blk_dbi(kind)], id);
		return LEDE_ECORRUPT;
	}
	if (rc)
		return lmdb_fail(t->x, rc, "cannot read");
	*v = val.mv_data;
	*n = val.mv_size;
	/* A read transaction remembers where it found the chunk; a writer
	 * may still move pages. Ids past 2^20 (a damaged loc) are not
	 * remembered. */
	if (!t->write && id < (1u << 20)) {
		if (id >= t->ncs[kind]) {
			size_t nn = (size_t)id + 1 > 2 * t->ncs[kind] ?
				    (size_t)id + 1 : 2 * t->ncs[kind];
			chunk_seen *p = realloc(cs, nn * sizeof(*p));

			if (!p)
				return 0;   /* only the memo is lost */
			memset(p + t->ncs[kind], 0,
			       (nn - t->ncs[kind]) * sizeof(*p));
			t->cs[kind] = cs = p;
			t->ncs[kind] = nn;
		}
		cs[id].v = val.mv_data;
		cs[id].n = val.mv_size;
	}
	return 0;
}

int ix_blk_get(ix_txn *t, int kind, const char *tk, size_t tklen,
	       uint32_t first, const post_loc *loc, const uint8_t **p,
	       size_t *len)
{
	uint8_t key[IX_TERMKEY_MAX + 5];
	const uint8_t *c, *v;
	size_t cn, n, kl;
	uint32_t want;
	int rc;

	*p = NULL;
	*len = 0;
	if ((kind != IX_BLK_POST && kind != IX_BLK_POS) || tklen == 0 ||
	    tklen > IX_TERMKEY_MAX)
		return LEDE_EINVAL;
	kl = blk_key(key, tk, tklen, first);
	rc = chunk_find(t, kind, loc->chunk, &c, &cn);
	if (rc)
		return rc;
	if (loc->len < IX_SUM_BYTES || loc->off > cn ||
	    loc->len > cn - loc->off) {
		snprintf(damage, sizeof(damage), "table '%s': the block's "
			 "place (%u bytes at %u) is outside chunk %u (%zu "
			 "bytes): corrupt", dbi_names[ix_blk_dbi(kind)],
			 loc->len, loc->off, loc->chunk, cn);
		return LEDE_ECORRUPT;
	}
	v = c + loc->off;
	n = loc->len - IX_SUM_BYTES;
	/* A term's next block usually follows this one in the chunk: ask
	 * for its first cache lines while this one is decoded. */
	for (size_t i = 0; i < 4 && loc->len + 64 * i < cn - loc->off; i++)
		__builtin_prefetch(v + loc->len + 64 * i);
	want = (uint32_t)v[n] | (uint32_t)v[n + 1] << 8 |
	       (uint32_t)v[n + 2] << 16 | (uint32_t)v[n + 3] << 24;
	if (ix_sum(key, kl, v, n) != want) {
		MDB_val k = { kl, key };
		size_t dl;

		note_damage(ix_blk_dbi(kind), &k);
		dl = strlen(damage);
		snprintf(damage + dl, sizeof(damage) - dl, " (chunk %u): "
			 "fails its checksum", loc->chunk);
		return LEDE_ECORRUPT;
	}
	*p = v;
	*len = n;
	return 0;
}

int ix_usage(ix_txn *t, ix_dbi_usage *u, int max)
{
	int n = 0;

	for (int i = 0; i < IX_NDBI && n < max; i++) {
		MDB_stat st;

		if (!ix_has_table(t, i) || mdb_stat(t->txn, t->x->dbi[i], &st))
			continue;
		u[n].name = dbi_names[i];
		u[n].bytes = (uint64_t)st.ms_psize *
			     (st.ms_branch_pages + st.ms_leaf_pages +
			      st.ms_overflow_pages);
		u[n].entries = st.ms_entries;
		n++;
	}
	return n;
}
