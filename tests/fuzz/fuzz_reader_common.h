/*
 * fuzz_reader_common.h - shared by the reader harnesses: the readers take
 * a path (rd_file) or a FILE * (rd_jsonl), so each input is written to an
 * anonymous memfd and read back through /proc/self/fd/N, under a name
 * with the extension that picks the reader. Every emitted document is
 * touched byte by byte so that ASan checks its fields.
 */
#ifndef LEDE_FUZZ_READER_COMMON_H
#define LEDE_FUZZ_READER_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../indexer/reader.h"

/* An error is a fine answer to a fuzzed input; a crash is not. */
static void ignore(int rc)
{
	(void)rc;
}

static void touch(const char *s, size_t n)
{
	volatile char sink = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sink ^= s[i];
}

static int on_doc(void *ctx, const rd_doc *d)
{
	(void)ctx;
	if (!d->id || !d->title || !d->url || !d->tags || !d->source ||
	    (!d->body && d->body_len))
		abort();
	touch(d->id, strlen(d->id) + 1);
	touch(d->title, strlen(d->title) + 1);
	touch(d->url, strlen(d->url) + 1);
	touch(d->tags, strlen(d->tags) + 1);
	touch(d->body, d->body_len);
	return 0;
}

/* An fd holding data; its name in /proc carries no extension, so rd_file
 * is reached through a symlink named "x.<ext>" in a scratch folder. */
static int fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static char fuzz_dir[64];

static void fuzz_dir_remove(void)
{
	rmdir(fuzz_dir);   /* empty: each link goes after its run */
}

static void fuzz_file(const uint8_t *data, size_t size, const char *ext)
{
	char *dir = fuzz_dir;
	char link[128], target[64];
	rd_stats st;
	int fd;

	if (!dir[0]) {
		strcpy(dir, "/tmp/lede-fuzz-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(fuzz_dir_remove);
	}
	fd = fuzz_memfd(data, size);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	snprintf(link, sizeof(link), "%s/x.%s", dir, ext);
	unlink(link);
	if (symlink(target, link) != 0)
		abort();
	memset(&st, 0, sizeof(st));
	ignore(rd_file(link, on_doc, NULL, &st));
	unlink(link);
	close(fd);
}

#endif
