/*
 * replay.c - runs one fuzz harness (tests/fuzz/fuzz_NAME.c) over its seed
 * corpus and its regression inputs, without libFuzzer: built with the
 * normal compiler for `make test` (and so under ASan/UBSan when
 * SANITIZER is set). Every input the fuzzer ever crashed on is kept in
 * tests/fuzz/regress/NAME/ and replayed here on every test run.
 *
 * Usage: replay_NAME [FILE|DIR]...; with no argument the folders
 * tests/fuzz/seeds/NAME and tests/fuzz/regress/NAME (from the repository
 * root). Prints "replay_NAME: N passed, 0 failed"; an input that crashes
 * ends the process, which tests/run.sh counts as a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_NAME
#error "build with -DFUZZ_NAME=\"name\""
#endif

static unsigned long runs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		printf("replay_%s: cannot open %s\n", FUZZ_NAME, path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *p = realloc(data, cap ? cap * 2 : 4096);

			if (!p) {
				free(data);
				fclose(f);
				return -1;
			}
			data = p;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* libFuzzer hands over exactly size bytes: let ASan see overreads */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(data);
			return -1;
		}
		memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	runs++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; a missing dir is empty. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap ? cap * 2 : 64) *
					   sizeof(*p));
			if (!p) {
				rc = -1;
				break;
			}
			names = p;
			cap = cap ? cap * 2 : 64;
		}
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (!names[n]) {
			rc = -1;
			break;
		}
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat sb;

		if (!rc && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode))
			rc = run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	FILE *quiet = fopen("/dev/null", "w"), *err = stderr;

	/* The readers' warnings about the inputs go nowhere; a sanitizer
	 * report still reaches file descriptor 2. */
	if (quiet && !getenv("REPLAY_VERBOSE"))
		stderr = quiet;

	if (argc < 2) {
		rc = run_dir("tests/fuzz/seeds/" FUZZ_NAME);
		if (!rc)
			rc = run_dir("tests/fuzz/regress/" FUZZ_NAME);
		if (!rc && runs == 0) {
			printf("replay_%s: no inputs (run from the "
				"repository root)\n", FUZZ_NAME);
			rc = -1;
		}
	}
	for (int i = 1; !rc && i < argc; i++) {
		struct stat sb;

		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = run_dir(argv[i]);
		else
			rc = run_file(argv[i]);
	}
	printf("replay_%s: %lu passed, %d failed\n", FUZZ_NAME, runs,
	       rc ? 1 : 0);
	if (quiet) {
		stderr = err;
		fclose(quiet);
	}
	return rc ? 1 : 0;
}
