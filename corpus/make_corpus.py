#!/usr/bin/env python3
"""Rebuild lede's sample archive (corpus/) from the shared news corpora.

    python3 corpus/make_corpus.py [NEWS_DIR] [SEED_FILE]

NEWS_DIR defaults to ../shared/data/news and SEED_FILE to
../shared/data/seed/000_0e32cc8d4e6d34c1.txt (run from the repository
root). The selection is deterministic: the same inputs give the same files.
See corpus/README.md for what each part is.
"""
import hashlib
import html
import json
import os
import shutil
import string
import sys

NEWS = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/news"
SEED = sys.argv[2] if len(sys.argv) > 2 else \
    "../shared/data/seed/000_0e32cc8d4e6d34c1.txt"
OUT = os.path.dirname(os.path.abspath(__file__))

# Reuters topics with how many articles each (searches: oil, trade, ...).
REUTERS_TOPICS = [("crude", 45), ("trade", 40), ("money-fx", 25),
                  ("grain", 25), ("interest", 20), ("ship", 15),
                  ("gold", 10), ("coffee", 10), ("acq", 10)]
REUTERS_MD = ["crude", "trade", "interest", "gold", "sugar", "cpi"]
BBC_KEYWORDS = {
    "business": ["oil", "trade", "economy"],
    "politics": ["election", "vote", "tax"],
    "tech": ["technology", "internet", "mobile"],
    "entertainment": ["film", "music", "award"],
    "sport": ["cup", "champion", "olympic"],
}
BBC_TXT, BBC_HTML = 16, 12   # per category


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def reuters():
    lines = []
    for name in sorted(os.listdir(NEWS)):
        if name.startswith("reuters21578-") and name.endswith(".jsonl"):
            with open(os.path.join(NEWS, name), encoding="utf-8") as f:
                lines += [l.rstrip("\n") for l in f]
    taken, jsonl, md = set(), [], []
    docs = [(l, json.loads(l)) for l in lines]
    good = [(l, d) for l, d in docs
            if d["title"] and 600 <= len(d["body"]) <= 4000 and d["date"]]
    for topic, n in REUTERS_TOPICS:
        got = 0
        for l, d in good:
            if got == n:
                break
            if d["tags"] and d["tags"][0] == topic and d["id"] not in taken:
                taken.add(d["id"])
                jsonl.append((int(d["id"]), l))   # verbatim line
                got += 1
    for topic in REUTERS_MD:
        for l, d in reversed(good):
            if topic in d["tags"] and d["id"] not in taken:
                taken.add(d["id"])
                md.append(d)
                break
    jsonl.sort()
    write(os.path.join(OUT, "reuters", "reuters-sample.jsonl"),
          "".join(l + "\n" for _, l in jsonl))
    for d in md:
        # The wire text indents paragraphs by four spaces: make them
        # markdown paragraphs (an indent would be a code block).
        paras = [" ".join(p.split()) for p in d["body"].split("\n    ")]
        front = ("---\ntitle: \"%s\"\ndate: %s\ntags: [%s]\n"
                 "source: reuters21578 NEWID %s\n---\n"
                 % (d["title"].replace('"', "'"), d["date"],
                    ", ".join(d["tags"]), d["id"]))
        write(os.path.join(OUT, "reuters", "md", "reuters-%s.md" % d["id"]),
              front + "\n# " + string.capwords(d["title"]) + "\n\n" +
              "\n\n".join(p for p in paras if p) + "\n")
    shutil.copy(os.path.join(NEWS, "reuters21578.NOTICE.txt"),
                os.path.join(OUT, "reuters"))
    return len(jsonl), len(md)


def fake_date(key):
    """A made-up but fixed date in 2004-2005 (the set has no dates)."""
    h = int(hashlib.sha1(key.encode()).hexdigest(), 16)
    month = 1 + h % 24
    year, month = 2004 + (month - 1) // 12, 1 + (month - 1) % 12
    return "%04d-%02d-%02dT%02d:%02d:00Z" % (year, month, 1 + (h >> 8) % 28,
                                              6 + (h >> 16) % 14,
                                              (h >> 24) % 60)


def esc(s):
    s = html.escape(s, quote=True).replace("\u00a3", "&pound;")
    return s.encode("ascii", "xmlcharrefreplace").decode("ascii")


def page(cat, num, title, body):
    url = "https://news.example.org/bbc/%s/%s" % (cat, num)
    paras = "\n".join("<p>%s</p>" % esc(p) for p in body.split("\n\n") if p)
    return """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>%(t)s - %(C)s - Sample News</title>
<meta property="og:title" content="%(t)s">
<meta property="og:type" content="article">
<meta property="og:url" content="%(url)s">
<meta property="article:published_time" content="%(date)s">
<meta property="article:section" content="%(C)s">
<link rel="canonical" href="%(url)s">
<style>body { font-family: Georgia, serif; max-width: 40em; }</style>
<script>window.analytics = { page: "%(cat)s/%(num)s", consent: false };</script>
</head>
<body>
<header><a href="/">Sample News</a></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/business">Business</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/tech">Technology</a></li>
<li><a href="/entertainment">Entertainment</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<main>
<article>
<h1>%(t)s</h1>
<p class="byline">%(C)s &middot; <time datetime="%(date)s">%(d)s</time></p>
%(paras)s
</article>
</main>
<aside><h2>Most read</h2><ul><li><a href="/">Other stories</a></li></ul></aside>
<footer><p>Text from the BBC news dataset (D. Greene and P. Cunningham, 2006); see bbc.NOTICE.txt.</p></footer>
<script>document.querySelectorAll("time").forEach(function (t) { t.title = t.dateTime; });</script>
</body>
</html>
""" % {"t": esc(title), "C": cat.capitalize(), "cat": cat, "num": num,
       "url": url, "date": fake_date(cat + num),
       "d": fake_date(cat + num)[:10], "paras": paras}


def bbc():
    by_cat = {}
    with open(os.path.join(NEWS, "bbc.jsonl"), encoding="utf-8") as f:
        for l in f:
            d = json.loads(l)
            by_cat.setdefault(d["id"].split("/")[0], []).append(d)
    ntxt = nhtml = 0
    for cat in sorted(by_cat):
        kws = BBC_KEYWORDS.get(cat, [])

        def score(d):
            text = (d["title"] + " " + d["body"]).lower()
            return (-sum(text.count(k) > 0 for k in kws), d["id"])
        docs = sorted((d for d in by_cat[cat] if len(d["body"]) < 5000),
                      key=score)[:BBC_TXT + BBC_HTML]
        for i, d in enumerate(sorted(docs, key=lambda d: d["id"])):
            num = d["id"].split("/")[1]
            if i % 7 in (1, 3, 5):   # 12 of every 28
                write(os.path.join(OUT, "bbc", "html", cat, num + ".html"),
                      page(cat, num, d["title"], d["body"]))
                nhtml += 1
            else:
                write(os.path.join(OUT, "bbc", "txt", cat, num + ".txt"),
                      d["title"] + "\n\n" + d["body"] + "\n")
                ntxt += 1
    shutil.copy(os.path.join(NEWS, "bbc.NOTICE.txt"), os.path.join(OUT, "bbc"))
    return ntxt, nhtml


def main():
    for sub in ("reuters", "bbc", "seed"):
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
    nj, nmd = reuters()
    nt, nh = bbc()
    os.makedirs(os.path.join(OUT, "seed"))
    shutil.copy(SEED, os.path.join(OUT, "seed"))
    os.chmod(os.path.join(OUT, "seed", os.path.basename(SEED)), 0o644)
    print("reuters: %d jsonl lines, %d md; bbc: %d txt, %d html; seed: 1"
          % (nj, nmd, nt, nh))


if __name__ == "__main__":
    main()
