/*
 * rd_jsonl.c - rd_jsonl(): one JSON object per line, each a document.
 *
 * The stream is read in fixed chunks and cut at '\n' into one line
 * buffer capped at rd_max_doc(), so a line of any length up to the
 * cap costs one copy and a longer one is skipped without being held in
 * memory (the rest of it is read and dropped up to the next '\n').
 *
 * Fields: "id" (string or number; absent or "" -> "<path>:<line>"),
 * "title", "date" (rd_parse_date; "" or absent -> 0), "body", "url",
 * "tags" (array of strings joined ", ", or one string). Other fields are
 * ignored, as are values of the wrong type. A UTF-8 BOM before the first
 * line and a '\r' before each '\n' are dropped.
 */
#include <errno.h>
#include <math.h>   /* isfinite: a macro, no -lm needed */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "reader.h"
#include "../common/buf.h"

#define CHUNK_BYTES    (64 * 1024)
#define LINE_KEEP      (1024 * 1024)   /* line buffer kept between lines */
#define ID_MAX         1024   /* generated/numeric ids fit easily */
#define MAX_DATE_WARN  5      /* per stream: a whole feed may be odd */

typedef struct jl {
	FILE *f;
	const char *path;
	rd_emit_fn emit;
	void *ctx;
	rd_stats *st;
	unsigned line;
	unsigned date_warns;
	buf tags;
} jl;

static const char *str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

static int join_tags(jl *j, const cJSON *o, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "tags");
	const cJSON *e;
	int rc = 0;

	buf_clear(&j->tags);
	if (cJSON_IsString(v) && v->valuestring) {
		rc = buf_adds(&j->tags, v->valuestring);
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e) || !e->valuestring ||
			    !e->valuestring[0])
				continue;
			if (j->tags.len)
				rc = buf_adds(&j->tags, ", ");
			if (!rc)
				rc = buf_adds(&j->tags, e->valuestring);
			if (rc)
				break;
		}
	}
	if (!rc)
		rc = buf_nul(&j->tags);
	*out = rc ? "" : (const char *)j->tags.data;
	return rc;
}

static int32_t date_field(jl *j, const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "date");
	int32_t d = 0;

	if (cJSON_IsString(v) && v->valuestring && v->valuestring[0]) {
		if (rd_parse_date(v->valuestring, &d) == 0)
			return d;
		if (j->date_warns++ < MAX_DATE_WARN)
			lede_warn("%s:%u: unknown date format '%.40s', ignored",
				  j->path, j->line, v->valuestring);
		return 0;
	}
	/* A number is taken as YYYYMMDD when it is one. */
	if (cJSON_IsNumber(v) && v->valuedouble >= 18000101 &&
	    v->valuedouble <= 22001231) {
		char tmp[16];
		int32_t n = (int32_t)v->valuedouble;
		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (int)(n / 10000),
			 (int)(n / 100 % 100), (int)(n % 100));
		if (rd_parse_date(tmp, &d) == 0)
			return d;
	}
	return 0;
}

/* One complete line (NUL-terminated, no '\n'). */
static int do_line(jl *j, char *s, size_t n)
{
	cJSON *o;
	const cJSON *idv;
	const char *end = NULL;
	char idbuf[ID_MAX];
	rd_doc d;
	int rc;

	if (j->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n && s[n - 1] == '\r')
		s[--n] = 0;
	if (strspn(s, " \t\r\f\v") == n)
		return 0;
	/* n + 1: cJSON counts the NUL when it checks for trailing junk. */
	o = cJSON_ParseWithLengthOpts(s, n + 1, &end, 1);
	if (!o || !cJSON_IsObject(o)) {
		lede_warn("%s:%u: bad json line, skipped", j->path, j->line);
		j->st->bad_lines++;
		cJSON_Delete(o);
		return 0;
	}
	memset(&d, 0, sizeof(d));
	idv = cJSON_GetObjectItemCaseSensitive(o, "id");
	if (cJSON_IsString(idv) && idv->valuestring && idv->valuestring[0]) {
		d.id = idv->valuestring;
	} else if (cJSON_IsNumber(idv) && isfinite(idv->valuedouble)) {
		double x = idv->valuedouble;
		/* Integral and exact in a double (|x| < 2^53). */
		if (x > -9007199254740992.0 && x < 9007199254740992.0 &&
		    (double)(long long)x == x)
			snprintf(idbuf, sizeof(idbuf), "%lld", (long long)x);
		else
			snprintf(idbuf, sizeof(idbuf), "%.17g", x);
		d.id = idbuf;
	} else {
		snprintf(idbuf, sizeof(idbuf), "%s:%u", j->path, j->line);
		d.id = idbuf;
	}
	d.title = str_field(o, "title");
	d.body = str_field(o, "body");
	d.body_len = strlen(d.body);
	d.url = str_field(o, "url");
	d.date = date_field(j, o);
	d.source = j->path;
	d.line = j->line;
	rc = join_tags(j, o, &d.tags);
	if (rc)
		goto out;
	if (!d.title[0] && !d.body[0]) {
		j->st->skipped_empty++;
		goto out;
	}
	j->st->docs++;
	rc = j->emit(j->ctx, &d);
out:
	cJSON_Delete(o);
	return rc;
}

/* Warn about and count the current line, refused for its length. */
static void line_too_long(jl *j)
{
	lede_warn("%s:%u: line over %zu bytes, skipped%s", j->path, j->line,
		  rd_max_doc(j->st), rd_big_hint(j->st));
	j->st->too_big++;
}

int rd_jsonl(FILE *f, const char *path, rd_emit_fn emit, void *ctx,
	     rd_stats *st)
{
	char *chunk = NULL;
	buf line;
	jl j;
	int rc = 0, too_long = 0;
	size_t got;

	memset(&j, 0, sizeof(j));
	j.f = f;
	j.path = path;
	j.emit = emit;
	j.ctx = ctx;
	j.st = st;
	buf_init(&j.tags);
	buf_init_limit(&line, rd_max_doc(st));
	chunk = malloc(CHUNK_BYTES);
	if (!chunk)
		return LEDE_ENOMEM;
	st->files++;
	j.line = 1;
	while ((got = fread(chunk, 1, CHUNK_BYTES, f)) > 0) {
		size_t i = 0;

		st->bytes += got;
		while (i < got && !rc) {
			char *nl = memchr(chunk + i, '\n', got - i);
			size_t take = (nl ? (size_t)(nl - chunk) : got) - i;

			if (!too_long && buf_add(&line, chunk + i, take)) {
				/* Over the cap: drop what we have and skip
				 * the rest of this line. */
				too_long = 1;
				buf_release(&line);
			}
			i += take;
			if (!nl)
				break;
			i++;   /* the '\n' */
			if (too_long) {
				line_too_long(&j);
				too_long = 0;
			} else {
				rc = buf_nul(&line);
				if (!rc)
					rc = do_line(&j, (char *)line.data,
						     line.len);
			}
			buf_clear(&line);
			if (line.cap > LINE_KEEP)   /* after a long line */
				buf_release(&line);
			j.line++;
		}
		if (rc)
			goto out;
	}
	if (ferror(f)) {
		lede_warn("%s: read error: %s", path, strerror(errno));
		st->errors++;
		rc = LEDE_EIO;
		goto out;
	}
	/* A last line without '\n'. */
	if (too_long) {
		line_too_long(&j);
	} else if (line.len) {
		rc = buf_nul(&line);
		if (!rc)
			rc = do_line(&j, (char *)line.data, line.len);
	}
out:
	free(chunk);
	buf_release(&line);
	buf_release(&j.tags);
	return rc;
}
