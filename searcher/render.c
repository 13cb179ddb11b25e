/*
 * render.c - result rendering shared by the CLI and the web (render.h).
 *
 * Owns nothing across calls. Strings from the index are not
 * NUL-terminated and may hold any bytes; cJSON gets copies, and invalid
 * UTF-8 is replaced so that the JSON is always valid UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render.h"

void rnd_date(int32_t ymd, char out[11])
{
	if (ymd <= 0 || ymd > 99991231) {
		out[0] = 0;
		return;
	}
	snprintf(out, 11, "%04d-%02d-%02d", (int)(ymd / 10000),
		 (int)(ymd / 100 % 100), (int)(ymd % 100));
}

int rnd_snippet(ix_txn *t, ana *a, const srch_result *r, uint32_t docid,
		buf *body, snip *out)
{
	snip_terms q = { (const char *const *)r->stems, r->nstems };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ix_body_get(t, docid, body);
	/* No body, or a damaged one (`lede check` reports it): the hit
	 * goes without a snippet rather than the page without the hit. */
	if (rc == LEDE_ENOTFOUND || rc == LEDE_ECORRUPT) {
		buf_clear(body);
		rc = 0;
	}
	if (rc)
		return rc;
	return snip_make(a, (const char *)body->data, body->len, &q, out);
}

/* Append s[0..n) to out with every byte that is not part of valid UTF-8
 * (and NUL) replaced by U+FFFD, then a NUL. */
static int utf8_clean(const char *s, size_t n, buf *out)
{
	static const uint8_t rep[3] = { 0xef, 0xbf, 0xbd };
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;
	int rc;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_unit(p + i, n - i, &cp);

		if (len == 0 || cp == 0) {
			rc = buf_add(out, rep, 3);
			i++;
		} else {
			rc = buf_add(out, p + i, len);
			i += len;
		}
		if (rc)
			return rc;
	}
	return buf_nul(out);
}

static int add_str(cJSON *o, const char *name, const char *s, size_t n,
		   buf *tmp)
{
	int rc;

	buf_clear(tmp);
	rc = utf8_clean(s, n, tmp);
	if (rc)
		return rc;
	if (!cJSON_AddStringToObject(o, name, (const char *)tmp->data))
		return LEDE_ENOMEM;
	return 0;
}

static int add_date(cJSON *o, const char *name, int32_t ymd)
{
	char d[11];

	rnd_date(ymd, d);
	if (!(d[0] ? cJSON_AddStringToObject(o, name, d) :
	      cJSON_AddNullToObject(o, name)))
		return LEDE_ENOMEM;
	return 0;
}

static int hit_json(ix_txn *t, ana *a, const char *qs, size_t qlen,
		    const srch_opts *o, const srch_result *r, size_t i,
		    int explain, buf *body, buf *tmp, cJSON *arr)
{
	cJSON *h = cJSON_CreateObject(), *hl, *ex;
	ix_doc d;
	snip sn;
	int rc;

	memset(&sn, 0, sizeof(sn));
	if (!h)
		return LEDE_ENOMEM;
	if (!cJSON_AddItemToArray(arr, h)) {
		cJSON_Delete(h);
		return LEDE_ENOMEM;
	}
	rc = ix_doc_get(t, r->hits[i].docid, &d);
	if (rc)
		return rc;
	if (!cJSON_AddNumberToObject(h, "rank", (double)(o->offset + i + 1)))
		return LEDE_ENOMEM;
	rc = add_str(h, "id", d.id, d.id_len, tmp);
	if (!rc)
		rc = add_str(h, "title", d.title, d.title_len, tmp);
	if (!rc)
		rc = add_date(h, "date", d.date);
	if (!rc)
		rc = add_str(h, "url", d.url, d.url_len, tmp);
	if (rc)
		return rc;
	if (!cJSON_AddNumberToObject(h, "score",
				     (double)(int64_t)(r->hits[i].score *
						       1e6) / 1e6))
		return LEDE_ENOMEM;
	rc = rnd_snippet(t, a, r, r->hits[i].docid, body, &sn);
	if (rc)
		return rc;
	rc = add_str(h, "snippet", sn.text ? sn.text : "", sn.len, tmp);
	hl = rc ? NULL : cJSON_AddArrayToObject(h, "highlights");
	if (!rc && !hl)
		rc = LEDE_ENOMEM;
	for (size_t j = 0; !rc && j < sn.nmarks; j++) {
		cJSON *pair = cJSON_CreateArray();
		if (!pair || !cJSON_AddItemToArray(hl, pair)) {
			cJSON_Delete(pair);
			rc = LEDE_ENOMEM;
			break;
		}
		if (!cJSON_AddItemToArray(pair, cJSON_CreateNumber(
				(double)sn.marks[j].start)) ||
		    !cJSON_AddItemToArray(pair, cJSON_CreateNumber(
				(double)sn.marks[j].end)))
			rc = LEDE_ENOMEM;
	}
	snip_free(&sn);
	if (rc || !explain)
		return rc;
	{
		srch_part parts[SRCH_MAX_PARTS];
		size_t np = 0;

		rc = srch_explain(t, a, qs, qlen, o, r->hits[i].docid,
				  parts, SRCH_MAX_PARTS, &np);
		if (rc)
			return rc;
		ex = cJSON_AddArrayToObject(h, "explain");
		if (!ex)
			return LEDE_ENOMEM;
		for (size_t j = 0; j < np; j++) {
			cJSON *p = cJSON_CreateObject();
			if (!p || !cJSON_AddItemToArray(ex, p)) {
				cJSON_Delete(p);
				return LEDE_ENOMEM;
			}
			rc = add_str(p, "term", parts[j].what,
				     strlen(parts[j].what), tmp);
			if (rc)
				return rc;
			if (!cJSON_AddNumberToObject(p, "tf", parts[j].tf) ||
			    !cJSON_AddNumberToObject(p, "idf", parts[j].idf) ||
			    !cJSON_AddNumberToObject(p, "len", parts[j].len) ||
			    !cJSON_AddNumberToObject(p, "score",
						     parts[j].score))
				return LEDE_ENOMEM;
		}
	}
	return 0;
}

int rnd_json(ix_txn *t, ana *a, const char *qs, size_t qlen,
	     const srch_opts *o, const srch_result *r, double took_ms,
	     int explain, cJSON **out)
{
	cJSON *root = cJSON_CreateObject(), *hits;
	buf body, tmp;
	int rc = 0;

	*out = NULL;
	if (!root)
		return LEDE_ENOMEM;
	buf_init_limit(&body, (size_t)1 << 30);
	buf_init(&tmp);
	rc = add_str(root, "query", qs, qlen, &tmp);
	if (!rc)
		rc = add_str(root, "parsed", r->parsed, strlen(r->parsed),
			     &tmp);
	if (rc)
		goto out;
	if (!(r->counted ? cJSON_AddNumberToObject(root, "total",
						    (double)r->total) :
	      cJSON_AddNullToObject(root, "total")) ||
	    !cJSON_AddNumberToObject(root, "took_ms",
				     (double)(int64_t)(took_ms * 1000) /
				     1000) ||
	    !cJSON_AddNumberToObject(root, "offset", (double)o->offset) ||
	    !cJSON_AddStringToObject(root, "sort", r->sort ? "date" :
				     "relevance")) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	rc = add_date(root, "from", r->from);
	if (!rc)
		rc = add_date(root, "to", r->to);
	if (rc)
		goto out;
	hits = cJSON_AddArrayToObject(root, "hits");
	if (!hits) {
		rc = LEDE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		rc = hit_json(t, a, qs, qlen, o, r, i, explain, &body,
			      &tmp, hits);
		if (rc)
			goto out;
	}
out:
	buf_release(&body);
	buf_release(&tmp);
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return 0;
}
