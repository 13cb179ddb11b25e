#!/usr/bin/env python3
"""Checks of `lede serve` for tests/e2e_web.sh (and the fixture that
tests/e2e_browser.sh indexes too). Python standard library only.

  web_check.py fixture                 the fixture articles, JSONL
  web_check.py fixture-live            the article indexed while serving
  web_check.py fixture-replace         a changed k1, indexed while serving
  web_check.py --list GROUP            names of the checks of GROUP, in order
  web_check.py URL NAME...             run the named checks against the
                                       server at URL ("http://127.0.0.1:P/")
  web_check.py sigint LEDE INDEX       start a second server, SIGINT it

Each check prints "ok NAME" or "FAIL NAME: why" and the run exits 1 when
any failed. GROUPs: main (the fixture as indexed), live (after
fixture-live and fixture-replace were indexed and o3 removed while the
server ran), bg (slow: idle and half-sent connections, run in the
background while the others go on).
"""
import html.parser
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

# ---------------------------------------------------------------- fixture

HAND = [
    {"id": "wire/2021 07 18",
     "title": "Pegasus spyware found on phones of journalists",
     "date": "2021-07-18", "url": "https://example.org/pegasus",
     "tags": ["tech", "surveillance"],
     "body": "Researchers found Pegasus spyware on the phones of "
             "journalists and activists. NSO Group denied wrongdoing. The "
             "president of the press union demanded answers."},
    {"id": "n1", "title": "NSO sued by Apple over Pegasus",
     "date": "2021-11-23", "url": "https://example.org/nso",
     "body": "Apple filed a lawsuit against NSO Group, the maker of the "
             "Pegasus spyware, seeking to bar it from Apple devices."},
    {"id": "k1", "title": "Khashoggi killing: Saudi Arabia accused",
     "date": "2018-10-20",
     "body": "Jamal Khashoggi was killed in the Saudi consulate in "
             "Istanbul. The Saudi government denied it for weeks."},
    {"id": "k2", "title": "UN report on Khashoggi", "date": "2019-06-19",
     "body": "A UN expert said there is credible evidence about the "
             "killing of Jamal Khashoggi. Investigators want sanctions."},
    {"id": "o1", "title": "Oil prices rise as OPEC cuts output",
     "date": "2020-01-05",
     "body": "Oil prices rose as OPEC cut output. Brent crude gained two "
             "percent. Traders expect the oil price to climb further."},
    {"id": "o2", "title": "OPEC meets in Vienna", "date": "2020-03-06",
     "body": "OPEC ministers met in Vienna to discuss output cuts and oil "
             "prices."},
    {"id": "o3", "title": "Oil price war", "date": "2016-02-11",
     "body": "A price war among producers pushed oil below thirty "
             "dollars a barrel."},
    {"id": "x1", "title": "<script>alert(1)</script> headline", "date": "",
     "body": "An article whose title tries an injection: zanzibarword. "
             "<img src=x onerror=alert(2)> & \"quotes\" 'single'."},
    {"id": "zürich/café 1", "title": "Café Zürich naïve",
     "date": "2019-05-02",
     "body": "A naïve visitor at the Café Odeon in Zürich paid the price "
             "of a coffee. Straße, façade, crème brûlée; 東京 and Москва "
             "too."},
    {"id": "desk/q&a 50%?#1",
     "title": "Questions & answers: prefix rules and the president",
     "date": "2015-03-03",
     "body": "The president answered questions about the prefix rules. "
             "A prince and two printers listened."},
    {"id": "e1", "title": "Election results in Brazil",
     "date": "2022-10-30",
     "body": "The president was elected by a narrow margin after a long "
             "count."},
    {"id": "e2", "title": "Election turnout falls", "date": "2023-01-15",
     "body": "Turnout fell in the local election; observers blamed the "
             "weather."},
]
NMARKET = 25


def market(i):
    y, m, d = 2015 + i % 9, 1 + i % 12, 1 + i % 28
    return {"id": "market/%03d" % i,
            "title": "Market report %d: press review of stock prices" % i,
            "date": "%04d-%02d-%02d" % (y, m, d),
            "body": "Stock market report number %d. The press covered the "
                    "market as prices moved; analysts said the market "
                    "would settle. Bonds were flat." % i}


FIXTURE = HAND + [market(i) for i in range(NMARKET)]
NDOCS = len(FIXTURE)
LIVE = {"id": "live/1", "title": "Quetzalcoatl returns to the capital",
        "date": "2024-02-02",
        "body": "A quetzalcoatl parade filled the streets of the capital."}
REPLACE = dict(HAND[2], title="Khashoggi inquiry reopened",
               body="Prosecutors reopened the Khashoggi inquiry; a "
                    "xylophonist testified.")
WIRE = "wire/2021 07 18"
DESK = "desk/q&a 50%?#1"
CAFE = "zürich/café 1"

# ---------------------------------------------------------------- http

HOST, PORT = "127.0.0.1", 0


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers        # lower-case name -> value
        self.body = body              # bytes

    def h(self, name):
        return self.headers.get(name.lower(), "")

    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        b = self.body[:300]
        return "HTTP %s %s %r" % (self.status, dict(self.headers), b)


def req(method, path, headers=None, body=None, timeout=15):
    c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hd = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, hd, data)
    finally:
        c.close()


def get(path, **kw):
    return req("GET", path, **kw)


def parse_raw(data):
    """One response from raw bytes: Resp, or None when there is none."""
    if not data.startswith(b"HTTP/"):
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    st = int(lines[0].split()[1])
    hd = {}
    for ln in lines[1:]:
        k, _, v = ln.decode("latin-1").partition(":")
        hd[k.strip().lower()] = v.strip()
    return Resp(st, hd, body)


def raw(data, timeout=10, chunks=None, delay=0.0):
    """Send bytes on a fresh socket (in chunks with a delay between them
    when asked) and read until the server closes or timeout. Returns
    (Resp or None, all bytes received, how it ended: 'closed', 'reset',
    'timeout')."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    end = "closed"
    got = []
    try:
        try:
            if chunks:
                for i in range(0, len(data), chunks):
                    s.sendall(data[i:i + chunks])
                    if delay:
                        time.sleep(delay)
            else:
                s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the server may refuse the rest; read what it said
        t0 = time.time()
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                end = "timeout"
                break
            except ConnectionResetError:
                end = "reset"
                break
            if not b:
                break
            got.append(b)
            if time.time() - t0 > timeout:
                end = "timeout"
                break
    finally:
        s.close()
    allb = b"".join(got)
    return parse_raw(allb), allb, end


def alive():
    """The server answers /healthz within a few seconds."""
    last = None
    for _ in range(20):
        try:
            r = get("/healthz", timeout=5)
            if r.status == 200 and r.body.strip() == b"ok":
                return
            last = r
        except OSError as e:
            last = e
        time.sleep(0.5)
    raise AssertionError("server no longer answers /healthz: %r" % (last,))


def q(s):
    return urllib.parse.quote(s, safe="")


def api(query, **params):
    params = dict(q=query, **params)
    return get("/api/search?" + urllib.parse.urlencode(params))


def api_ok(query, **params):
    r = api(query, **params)
    eq(r.status, 200, r)
    ctype(r, "application/json")
    return r.json()

# ---------------------------------------------------------------- asserts


def eq(got, want, ctx=""):
    if got != want:
        raise AssertionError("got %r, want %r %s" % (got, want, ctx))


def true(cond, msg):
    if not cond:
        raise AssertionError(msg)


def ctype(r, want):
    ct = r.h("Content-Type").lower()
    true(ct.split(";")[0].strip() == want,
         "Content-Type %r, want %s (%r)" % (ct, want, r))


def json_error(r, status=400):
    eq(r.status, status, r)
    ctype(r, "application/json")
    j = r.json()
    true(isinstance(j.get("error"), str) and j["error"],
         "no error message in %r" % (j,))


def sec_headers(r):
    csp = r.h("Content-Security-Policy")
    true("default-src 'none'" in csp, "CSP %r lacks default-src 'none' "
         "(status %s)" % (csp, r.status))
    true("script-src 'self'" in csp, "CSP %r lacks script-src 'self'" % csp)
    eq(r.h("X-Content-Type-Options").lower(), "nosniff", r)
    eq(r.h("Referrer-Policy").lower(), "no-referrer", r)

# ---------------------------------------------------------------- html


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
AUTOCLOSE = {"li": {"li"}, "p": {"p"}, "option": {"option"},
             "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}


class El:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text()
                       for c in self.children)

    def iter(self):
        for c in self.children:
            if isinstance(c, El):
                yield c
                yield from c.iter()

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def all(self, tag=None, id=None, cls=None, **attrs):
        out = []
        for e in self.iter():
            if tag and e.tag != tag:
                continue
            if id and e.attrs.get("id") != id:
                continue
            if cls and cls not in e.classes():
                continue
            if any(e.attrs.get(k) != v for k, v in attrs.items()):
                continue
            out.append(e)
        return out

    def one(self, tag=None, id=None, cls=None, **attrs):
        r = self.all(tag, id, cls, **attrs)
        true(r, "no %s%s%s%s in the page" % (
            tag or "", "#" + id if id else "", "." + cls if cls else "",
            "".join("[%s=%s]" % kv for kv in attrs.items())))
        return r[0]


class Tree(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = El("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        closes = AUTOCLOSE.get(tag)
        if closes and self.cur.tag in closes:
            self.cur = self.cur.parent
        e = El(tag, attrs, self.cur)
        self.cur.children.append(e)
        if tag not in VOID:
            self.cur = e

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(El(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        e = self.cur
        while e is not None and e.tag != tag:
            e = e.parent
        if e is not None and e.parent is not None:
            self.cur = e.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def dom(r):
    true(r.body.lstrip()[:15].lower() == b"<!doctype html>",
         "not an HTML document: %r" % r.body[:80])
    t = Tree()
    t.feed(r.text())
    t.close()
    return t.root


def page(path, status=200):
    r = get(path)
    eq(r.status, status, r)
    ctype(r, "text/html")
    true("utf-8" in r.h("Content-Type").lower(),
         "no charset in %r" % r.h("Content-Type"))
    return r, dom(r)


def hits_of(d):
    ol = d.one("ol", id="hits")
    return [li for li in ol.all("li") if "hit" in li.classes()]


def hit_ids(d):
    """The article ids the a.title links of the results point at."""
    out = []
    for li in hits_of(d):
        a = li.one("a", cls="title")
        href = a.attrs.get("href", "")
        p = urllib.parse.urlsplit(href)
        true(p.path.startswith("/article/"), "title link %r" % href)
        out.append(urllib.parse.unquote(p.path[len("/article/"):],
                                        errors="strict"))
    return out


def status_text(d):
    return " ".join(d.one(id="status").text().split())


def inline_script_free(d):
    for e in d.iter():
        if e.tag == "script":
            true(e.attrs.get("src"), "inline <script> (CSP forbids it)")
        for k in e.attrs:
            true(not k.startswith("on"), "inline handler %s= on <%s>"
                 % (k, e.tag))

# ---------------------------------------------------------------- checks

CHECKS = {}      # name -> (group, function)


def check(group="main"):
    def reg(f):
        CHECKS[f.__name__] = (group, f)
        return f
    return reg

# --- /healthz, /api/stats


@check()
def healthz():
    r = get("/healthz")
    eq(r.status, 200, r)
    eq(r.body.strip(), b"ok")
    sec_headers(r)


@check()
def stats():
    r = get("/api/stats")
    eq(r.status, 200, r)
    ctype(r, "application/json")
    j = r.json()
    eq(j.get("documents"), NDOCS, j)
    true(isinstance(j.get("terms"), int) and j["terms"] > 50,
         "terms %r" % j.get("terms"))

# --- /api/search


@check()
def api_search_fields():
    j = api_ok("pegasus")
    for k in ("query", "parsed", "total", "took_ms", "offset", "n", "sort",
              "from", "to", "hits", "timeline"):
        true(k in j, "no %r in %r" % (k, sorted(j)))
    eq(j["query"], "pegasus")
    eq(j["total"], 2)
    eq(j["offset"], 0)
    eq(j["n"], 10)
    eq(j["sort"], "relevance")
    true(isinstance(j["took_ms"], (int, float)), "took_ms")
    eq(sorted(h["id"] for h in j["hits"]), sorted([WIRE, "n1"]))
    for i, h in enumerate(j["hits"]):
        for k in ("rank", "id", "title", "date", "url", "score", "snippet",
                  "highlights"):
            true(k in h, "hit lacks %r: %r" % (k, h))
        eq(h["rank"], i + 1)
    w = [h for h in j["hits"] if h["id"] == WIRE][0]
    eq(w["date"], "2021-07-18")
    eq(w["url"], "https://example.org/pegasus")
    eq(w["title"], HAND[0]["title"])


@check()
def api_highlights():
    j = api_ok("pegasus spyware")
    for h in j["hits"]:
        b = h["snippet"].encode()
        words = [b[s:e].decode("utf-8") for s, e in h["highlights"]]
        true(words, "no highlights in %r" % h)
        for w in words:
            true(w.lower() in ("pegasus", "spyware"), "marked %r" % w)


@check()
def api_highlights_utf8():
    # byte offsets into a snippet full of multi-byte letters
    for word, want in (("zurich", "Zürich"), ("naive", "naïve"),
                       ("cafe", "Café")):
        j = api_ok(word)
        eq([h["id"] for h in j["hits"]], [CAFE], word)
        h = j["hits"][0]
        b = h["snippet"].encode()
        words = [b[s:e].decode("utf-8") for s, e in h["highlights"]]
        true(want in words, "%s: marked %r in %r" % (word, words,
                                                      h["snippet"]))


@check()
def api_query_utf8_echo():
    j = api_ok("café")
    eq(j["query"], "café")
    eq([h["id"] for h in j["hits"]], [CAFE])
    eq(j["hits"][0]["title"], "Café Zürich naïve")
    r = get("/api/search?q=caf%C3%A9+z%C3%BCrich")
    eq(r.status, 200, r)
    eq(r.json()["query"], "café zürich")


@check()
def api_plus_is_space():
    # '+' in a query string is a space (HTML forms send "oil+prices");
    # %2B is the required-word operator
    eq(get("/api/search?q=pegasus+lawsuit").json()["query"],
       "pegasus lawsuit")
    j = get("/api/search?q=%2Bapple+pegasus").json()
    eq(j["query"], "+apple pegasus")
    eq([h["id"] for h in j["hits"]], ["n1"])


@check()
def api_query_language():
    eq([h["id"] for h in api_ok("pegasus -apple")["hits"]], [WIRE])
    eq([h["id"] for h in api_ok("title:vienna")["hits"]], ["o2"])
    eq(sorted(h["id"] for h in api_ok("title:opec")["hits"]), ["o1", "o2"])
    # phrases match stems: o3's headline "Oil price war" counts
    eq(sorted(h["id"] for h in api_ok('"oil prices"')["hits"]),
       ["o1", "o2", "o3"])
    eq([h["id"] for h in api_ok('"price war"')["hits"]], ["o3"])
    eq([h["id"] for h in api_ok("zanzibarword")["hits"]], ["x1"])


@check()
def api_no_hits():
    j = api_ok("nonexistentwordxyz")
    eq(j["total"], 0)
    eq(j["hits"], [])


@check()
def api_paging():
    j1 = api_ok("market", n=10)
    eq(j1["total"], NMARKET)
    eq(len(j1["hits"]), 10)
    j2 = api_ok("market", n=10, offset=10)
    eq(j2["offset"], 10)
    eq([h["rank"] for h in j2["hits"]], list(range(11, 21)))
    j3 = api_ok("market", n=10, offset=20)
    eq(len(j3["hits"]), 5)
    ids = [h["id"] for j in (j1, j2, j3) for h in j["hits"]]
    eq(len(set(ids)), NMARKET, "pages overlap")
    j4 = api_ok("market", n=100)
    eq(len(j4["hits"]), NMARKET)
    eq(j4["n"], 100)
    j5 = api_ok("market", n=1, offset=9999)      # offset + n == 10000
    eq(j5["hits"], [])


@check()
def api_sort_date():
    j = api_ok("market", sort="date", n=100)
    eq(j["sort"], "date")
    dates = [h["date"] for h in j["hits"]]
    eq(len(dates), NMARKET)
    eq(dates, sorted(dates, reverse=True), "not newest first")
    j = api_ok("market", sort="relevance")
    eq(j["sort"], "relevance")


@check()
def api_date_filter():
    j = api_ok("market", **{"from": "2019", "to": "2019"})
    eq(j["total"], 3)
    true(all(h["date"].startswith("2019") for h in j["hits"]), j["hits"])
    j = api_ok("oil", **{"from": "2020-02"})
    eq([h["id"] for h in j["hits"]], ["o2"])
    j = api_ok("khashoggi", to="2018-12-31")
    eq([h["id"] for h in j["hits"]], ["k1"])
    j = api_ok("market", **{"from": "2016-03-05", "to": "2017-06-30"})
    true(all("2016-03-05" <= h["date"] <= "2017-06-30" for h in j["hits"])
         and j["hits"], j["hits"])


@check()
def api_timeline():
    j = api_ok("market")
    tl = j["timeline"]
    true(isinstance(tl, list) and tl, "timeline %r" % (tl,))
    for b in tl:
        for k in ("label", "from", "to", "count"):
            true(k in b, "bar lacks %r: %r" % (k, b))
        true(b["from"] <= b["to"], b)
        true(b["from"].startswith(b["label"][:4]), b)
    labels = [b["label"] for b in tl]
    eq(labels, sorted(labels), "bars out of order")
    eq(sum(b["count"] for b in tl), NMARKET, "bar counts vs total")
    by = {b["label"]: b["count"] for b in tl}
    eq(by.get("2015"), 3, by)
    eq(by.get("2023"), 2, by)


@check()
def api_xss_title_is_data():
    j = api_ok("zanzibarword")
    eq(j["hits"][0]["title"], "<script>alert(1)</script> headline")
    true(j["hits"][0]["date"] in (None, ""), "undated: %r" % j["hits"][0])


@check()
def api_hostile_queries():
    for s in ("((((((((((", '""""""', "AND OR NOT", "+ - * :", "title:",
              "from:", "sort:", "*", "a*", '"', ")", "-(-(-oil))",
              "from:0000-00-00", "to:9999-99-99 oil", 'title:"" oil'):
        r = api(s)
        true(r.status in (200, 400), "q=%r: %r" % (s, r))
        ctype(r, "application/json")
        r.json()


@check()
def api_err_missing_q():
    json_error(get("/api/search"))
    json_error(get("/api/search?n=5"))


@check()
def api_err_empty_q():
    json_error(get("/api/search?q="))


@check()
def api_err_bad_n():
    for v in ("abc", "-1", "101", "1000", "5x", "99999999999999999999999",
              "1e3"):
        json_error(get("/api/search?q=oil&n=" + v))


@check()
def api_err_bad_offset():
    for v in ("abc", "-1", "1e3", "99999999999999999999999"):
        json_error(get("/api/search?q=oil&offset=" + v))


@check()
def api_err_offset_cap():
    json_error(get("/api/search?q=oil&offset=9995&n=10"))
    json_error(get("/api/search?q=oil&offset=10000&n=1"))
    json_error(get("/api/search?q=oil&offset=10000"))


@check()
def api_err_bad_sort():
    json_error(get("/api/search?q=oil&sort=size"))
    json_error(get("/api/search?q=oil&sort=DATE%00"))


@check()
def api_err_bad_dates():
    for p in ("from=2019-13", "to=2019-13", "from=abc", "to=20x9",
              "from=2019-02-30x"):
        json_error(get("/api/search?q=oil&" + p))


@check()
def api_err_query_cap():
    ok = "oil" + " " * 1021                       # 1024 bytes: allowed
    eq(api(ok).status, 200)
    json_error(api("oil" + " " * 1022))           # 1025 bytes
    json_error(api("word " * 300))
    json_error(api("é" * 513))                    # 1026 bytes, 513 chars


@check()
def api_err_bad_percent():
    for v in ("%zz", "%", "oil%", "oil%4", "%C3%28", "%ff", "%C3",
              "%ED%A0%80", "%C0%AF", "%F8%88%80%80%80"):
        r = get("/api/search?q=" + v)
        json_error(r)
        sec_headers(r)


@check()
def api_err_raw_bad_utf8():
    for b in (b"caf\xff", b"\xc3\x28", b"oil\xc3", b"\xed\xa0\x80"):
        r, data, end = raw(b"GET /api/search?q=" + b + b" HTTP/1.1\r\n"
                           b"Host: x\r\nConnection: close\r\n\r\n")
        true(r is not None and r.status == 400,
             "raw %r: %r (%s)" % (b, data[:200], end))
    alive()

# --- /api/doc


@check()
def api_doc():
    r = get("/api/doc/" + q(WIRE))
    eq(r.status, 200, r)
    ctype(r, "application/json")
    j = r.json()
    for k in ("id", "title", "date", "url", "source", "tags", "body"):
        true(k in j, "doc lacks %r: %r" % (k, sorted(j)))
    eq(j["id"], WIRE)
    eq(j["title"], HAND[0]["title"])
    eq(j["date"], "2021-07-18")
    eq(j["url"], "https://example.org/pegasus")
    true("Researchers found Pegasus" in j["body"], j["body"])
    true("surveillance" in json.dumps(j["tags"]), "tags %r" % j["tags"])


@check()
def api_doc_odd_ids():
    for i, want in ((DESK, HAND[9]["title"]), (CAFE, "Café Zürich naïve"),
                    ("x1", "<script>alert(1)</script> headline")):
        r = get("/api/doc/" + q(i))
        eq(r.status, 200, (i, r))
        j = r.json()
        eq(j["id"], i)
        eq(j["title"], want)


@check()
def api_doc_unknown():
    json_error(get("/api/doc/nope"), 404)
    json_error(get("/api/doc/" + q("wire/2021 07 19")), 404)
    r = get("/api/doc/")
    true(r.status in (400, 404), r)

# --- /api/suggest


@check()
def suggest():
    r = get("/api/suggest?q=pre")
    eq(r.status, 200, r)
    ctype(r, "application/x-suggestions+json")
    j = r.json()
    true(isinstance(j, list) and len(j) >= 2, j)
    eq(j[0], "pre")
    true(isinstance(j[1], list) and j[1], "no completions: %r" % (j,))
    true(all(isinstance(s, str) and s.startswith("pre") for s in j[1]), j)
    eq(j[1][0], "press", "the most frequent pre- word first")
    true(len(j[1]) <= 10, j)


@check()
def suggest_keeps_earlier_words():
    j = get("/api/suggest?q=oil+pri").json()
    eq(j[0], "oil pri")
    true(j[1] and all(s.startswith("oil pri") for s in j[1]), j)
    # index terms ("price") or headline words ("prices")
    true(j[1][0] in ("oil price", "oil prices"), j)


@check()
def suggest_max_ten():
    for p in ("s", "b", "t"):
        j = get("/api/suggest?q=" + p).json()
        true(1 <= len(j[1]) <= 10, "q=%s: %d completions" % (p, len(j[1])))
    j = get("/api/suggest?q=qqqqzzzz").json()
    eq(j, ["qqqqzzzz", []])

# --- /opensearch.xml


@check()
def opensearch():
    r = get("/opensearch.xml")
    eq(r.status, 200, r)
    ctype(r, "application/opensearchdescription+xml")
    root = ET.fromstring(r.body)
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    eq(root.tag, ns + "OpenSearchDescription")
    urls = {u.get("type"): u.get("template") for u in root.iter(ns + "Url")}
    true("{searchTerms}" in (urls.get("text/html") or ""), urls)
    sug = urls.get("application/x-suggestions+json") or ""
    true("/api/suggest?q={searchTerms}" in sug, urls)
    true(root.find(ns + "ShortName") is not None, "no ShortName")
    sec_headers(r)

# --- static assets


@check()
def static_assets():
    for path, want in (("/static/lede.css", "text/css"),
                       ("/static/icon.svg", "image/svg+xml")):
        r = get(path)
        eq(r.status, 200, r)
        ctype(r, want)
        true(len(r.body) > 20, "tiny %s" % path)
        sec_headers(r)
    r = get("/static/lede.js")
    eq(r.status, 200, r)
    true("javascript" in r.h("Content-Type"), r.h("Content-Type"))
    true(b"<svg" in get("/static/icon.svg").body, "icon is no SVG")


@check()
def static_unknown():
    for path in ("/static/", "/static/nope.css", "/static/lede.css.bak",
                 "/static/LEDE.CSS", "/lede.css", "/nope", "/api/nope",
                 "/article", "/favicon.ico.bak"):
        r = get(path)
        eq(r.status, 404, (path, r))
        sec_headers(r)


@check()
def no_path_traversal():
    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "README.md"), "rb").read()[:60]
    for path in ("/static/../README.md", "/../../etc/passwd",
                 "/%2e%2e/etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                 "/static/..%2fREADME.md", "/static//etc/passwd",
                 "/static/%2e%2e%2fREADME.md", "/..%2f..%2fetc%2fpasswd",
                 "/static/....//README.md", "/etc/passwd",
                 "/static/%00../README.md", "/web/page.h",
                 "/tests/web_check.py"):
        r = get(path)
        true(r.status in (400, 404), "%s: %r" % (path, r))
        true(b"root:x:0:0" not in r.body and readme not in r.body
             and b"LEDE_PAGE_H" not in r.body, "%s leaks a file" % path)
    for path in (b"/static/../README.md", b"/../../etc/passwd",
                 b"/static/../../../../etc/passwd"):
        r, data, end = raw(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n"
                           b"Connection: close\r\n\r\n")
        true(r is not None and r.status in (400, 404),
             "raw %r: %r" % (path, data[:200]))
        true(b"root:x:0:0" not in data and readme not in data, path)

# --- the HTML pages


@check()
def front_page():
    r, d = page("/")
    sec_headers(r)
    f = d.one("form", id="search")
    true(f.attrs.get("method", "get").lower() == "get", "form method")
    true(f.attrs.get("action", "/") in ("/", ""), "form action %r"
         % f.attrs.get("action"))
    inp = d.one("input", id="q")
    eq(inp.attrs.get("name"), "q")
    eq(hits_of_or_none(d), [])
    inline_script_free(d)


def hits_of_or_none(d):
    ol = d.all("ol", id="hits")
    return hits_of(d) if ol else []


@check()
def page_assets_linked():
    r, d = page("/")
    css = [e.attrs.get("href", "") for e in d.all("link")
           if "stylesheet" in (e.attrs.get("rel") or "")]
    true(any(h.startswith("/static/lede.css") for h in css), css)
    js = [e.attrs.get("src", "") for e in d.all("script")]
    true(any(s.startswith("/static/lede.js") for s in js), js)


@check()
def results_page():
    r, d = page("/?q=pegasus")
    sec_headers(r)
    eq(d.one("input", id="q").attrs.get("value"), "pegasus")
    eq(sorted(hit_ids(d)), sorted([WIRE, "n1"]))
    st = status_text(d)
    true(re.search(r"\b2 results \([0-9.,]+ ms\)", st), "status %r" % st)
    inline_script_free(d)


@check()
def results_title_links():
    r, d = page("/?q=pegasus")
    for li in hits_of(d):
        href = li.one("a", cls="title").attrs["href"]
        p = urllib.parse.urlsplit(href)
        eq(urllib.parse.parse_qs(p.query).get("q"), ["pegasus"], href)
        true(" " not in href, "unencoded space in %r" % href)
        a = get(href)
        eq(a.status, 200, (href, a))
    eq(hit_ids(d).count(WIRE), 1)
    true("/article/wire%2F2021%2007%2018?" in r.text(),
         "the id is not percent-encoded as a path segment")


@check()
def results_snippet_marks():
    r, d = page("/?q=pegasus+spyware")
    for li in hits_of(d):
        sn = li.one(cls="snippet")
        marks = [m.text().lower() for m in sn.all("mark")]
        true(marks, "no <mark> in snippet %r" % sn.text())
        true(all(m in ("pegasus", "spyware") for m in marks), marks)


@check()
def results_odd_ids():
    for query, want in (("prefix", DESK), ("naive", CAFE)):
        r, d = page("/?q=" + query)
        eq(hit_ids(d), [want])
        href = hits_of(d)[0].one("a", cls="title").attrs["href"]
        ar, ad = page(href)
        h1 = ad.one("article", id="article").one("h1").text().strip()
        eq(h1, [a for a in HAND if a["id"] == want][0]["title"])


@check()
def results_status_zero():
    r, d = page("/?q=nonexistentwordxyz")
    true(re.search(r"\b0 results? \(", status_text(d)), status_text(d))
    eq(hits_of_or_none(d), [])


@check()
def results_pages_nav():
    r, d = page("/?q=market")
    eq(len(hits_of(d)), 10)
    nav = d.one("nav", id="pages")
    true(nav.all("a", rel="next"), "no next link on page 1")
    true(not nav.all("a", rel="prev"), "prev link on page 1")
    first = hit_ids(d)
    nxt = nav.one("a", rel="next").attrs["href"]
    pq = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
    eq(pq.get("q"), ["market"], nxt)
    eq(pq.get("offset"), ["10"], nxt)
    r2, d2 = page(nxt)
    second = hit_ids(d2)
    eq(len(second), 10)
    true(not set(first) & set(second), "page 2 repeats page 1")
    nav2 = d2.one("nav", id="pages")
    true(nav2.all("a", rel="prev") and nav2.all("a", rel="next"),
         "page 2 needs prev and next")
    r3, d3 = page("/?q=market&offset=20")
    eq(len(hits_of(d3)), 5)
    nav3 = d3.one("nav", id="pages")
    true(nav3.all("a", rel="prev"), "no prev on the last page")
    true(not nav3.all("a", rel="next"), "next on the last page")


@check()
def results_n_and_sort():
    r, d = page("/?q=market&n=5")
    eq(len(hits_of(d)), 5)
    r, d = page("/?q=market&sort=date&n=25")
    want = [h["id"] for h in api_ok("market", sort="date", n=25)["hits"]]
    eq(hit_ids(d), want)
    r, d = page("/?q=market&from=2019&to=2019")
    eq(len(hits_of(d)), 3)


@check()
def results_timeline():
    r, d = page("/?q=market")
    tl = d.one(id="timeline")
    bars = [a for a in tl.all("a") if "bar" in a.classes()]
    true(bars, "no a.bar in #timeline")
    api_tl = {b["label"]: b for b in api_ok("market")["timeline"]}
    checked = 0
    for a in bars:
        href = a.attrs.get("href", "")
        pq = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
        eq(pq.get("q"), ["market"], href)
        true(pq.get("from") and pq.get("to"), "bar link %r" % href)
        if pq["from"][0].startswith("2019"):
            r2, d2 = page(href)
            eq(len(hits_of(d2)), api_tl["2019"]["count"])
            checked += 1
    true(checked, "no bar for 2019")


@check()
def xss_title_escaped():
    r, d = page("/?q=zanzibarword")
    t = r.text()
    true("<script>alert(1)</script>" not in t, "raw <script> in the page")
    true("&lt;script&gt;alert(1)&lt;/script&gt;" in t, "title not escaped")
    true("<img src=x" not in t, "raw <img> from the body")
    a = hits_of(d)[0].one("a", cls="title")
    eq(a.text().strip(), "<script>alert(1)</script> headline")
    r, d = page("/article/x1?q=zanzibarword")
    t = r.text()
    true("<script>alert(1)</script>" not in t, "raw <script> in article")
    true("<img src=x" not in t, "raw <img> in article")
    eq(d.one("article", id="article").one("h1").text().strip(),
       "<script>alert(1)</script> headline")
    inline_script_free(d)


@check()
def xss_query_escaped():
    evil = '"><script>alert(3)</script><img src=x onerror=alert(4)>'
    for path in ("/?q=" + q(evil), "/?q=" + q(evil + " pegasus"),
                 "/article/n1?q=" + q(evil + " apple")):
        r, d = page(path)
        t = r.text()
        true("<script>alert(3)" not in t and "<img src=x" not in t,
             "query reflected raw in %s" % path)
        inline_script_free(d)
    r, d = page("/?q=" + q(evil))
    eq(d.one("input", id="q").attrs.get("value"), evil)


@check()
def article_page():
    r, d = page("/article/" + q(WIRE))
    sec_headers(r)
    art = d.one("article", id="article")
    eq(art.one("h1").text().strip(), HAND[0]["title"])
    true("Researchers found Pegasus spyware" in art.text(), art.text())
    eq(art.all("mark"), [], "marks without a query")
    inline_script_free(d)


@check()
def article_marks_and_back():
    r, d = page("/article/" + q(WIRE) + "?q=pegasus+spyware")
    art = d.one("article", id="article")
    marks = [m.text().lower() for m in art.all("mark")]
    true(len(marks) >= 2, "marks %r" % marks)
    true(all(m in ("pegasus", "spyware") for m in marks), marks)
    back = d.one("a", id="back").attrs.get("href", "")
    p = urllib.parse.urlsplit(back)
    eq(p.path, "/", back)
    eq(urllib.parse.parse_qs(p.query).get("q"), ["pegasus spyware"], back)


@check()
def article_utf8():
    r, d = page("/article/" + q(CAFE) + "?q=zurich")
    art = d.one("article", id="article")
    eq(art.one("h1").text().strip(), "Café Zürich naïve")
    true("東京 and Москва" in art.text(), "non-ASCII body mangled")
    true("Zürich" in [m.text() for m in art.all("mark")],
         [m.text() for m in art.all("mark")])


@check()
def article_unknown():
    for path in ("/article/nope", "/article/" + q("wire/2021 07 19"),
                 "/article/", "/article/%00x"):
        r = get(path)
        true(r.status in ((404,) if path != "/article/%00x" else (400, 404)),
             "%s: %r" % (path, r))
        if r.status == 404:
            ctype(r, "text/html")
        sec_headers(r)

# --- headers, methods, HEAD


@check()
def headers_everywhere():
    for method, path in (("GET", "/"), ("GET", "/?q=oil"),
                         ("GET", "/api/search?q=oil"),
                         ("GET", "/api/search"), ("GET", "/api/doc/n1"),
                         ("GET", "/api/doc/nope"), ("GET", "/api/stats"),
                         ("GET", "/api/suggest?q=oi"),
                         ("GET", "/article/n1"), ("GET", "/article/nope"),
                         ("GET", "/static/lede.js"), ("GET", "/nope"),
                         ("POST", "/"), ("HEAD", "/"),
                         ("GET", "/api/search?q=%zz")):
        r = req(method, path)
        try:
            sec_headers(r)
        except AssertionError as e:
            raise AssertionError("%s %s: %s" % (method, path, e))


@check()
def methods_405():
    for method, path in (("POST", "/"), ("PUT", "/api/search?q=oil"),
                         ("DELETE", "/api/doc/n1"), ("POST", "/api/search"),
                         ("PATCH", "/article/n1"), ("OPTIONS", "/")):
        r = req(method, path, body=b"x=1" if method != "OPTIONS" else None)
        eq(r.status, 405, "%s %s: %r" % (method, path, r))
        allow = r.h("Allow").upper()
        true("GET" in allow and "HEAD" in allow, "Allow %r" % allow)
        sec_headers(r)
    eq(get("/api/doc/n1").status, 200)     # DELETE deleted nothing


@check()
def method_unknown_raw():
    for m in (b"FOO", b"TRACE", b"CONNECT"):
        r, data, end = raw(m + b" / HTTP/1.1\r\nHost: x\r\n"
                           b"Connection: close\r\n\r\n")
        true(r is None or r.status in (400, 405, 501),
             "%s: %r" % (m, data[:200]))
    alive()


@check()
def post_big_body():
    body = b"a" * (1 << 20)
    r, data, end = raw(b"POST /api/search HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/octet-stream\r\n"
                       b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                       % len(body) + body, timeout=15)
    true(r is None or r.status in (405, 413), "%r" % data[:200])
    # headers only, the promised body never comes: an answer or a close
    r, data, end = raw(b"POST / HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 100000000\r\n\r\nabc", timeout=40)
    true(end != "timeout" or r is not None, "hangs on a short POST body")
    alive()


def head_raw(path):
    r, data, end = raw(b"HEAD " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
    true(r is not None, "no answer to HEAD %s" % path)
    eq(r.body, b"", "HEAD %s sent a body" % path)
    return r


@check()
def head_requests():
    for path, status, t in (("/", 200, "text/html"),
                            ("/?q=pegasus", 200, "text/html"),
                            ("/api/search?q=pegasus", 200, "application/json"),
                            ("/api/doc/n1", 200, "application/json"),
                            ("/healthz", 200, None),
                            ("/static/lede.css", 200, "text/css"),
                            ("/nope", 404, None),
                            ("/api/search", 400, "application/json")):
        r = head_raw(path)
        eq(r.status, status, "HEAD %s" % path)
        if t:
            ctype(r, t)
        sec_headers(r)


@check()
def head_length_matches_get():
    for path in ("/static/lede.css", "/static/lede.js", "/api/doc/n1",
                 "/healthz"):
        g = get(path)
        h = head_raw(path)
        if h.h("Content-Length"):
            eq(int(h.h("Content-Length")), len(g.body), path)
        eq(h.h("Content-Type"), g.h("Content-Type"), path)
    r = req("HEAD", "/api/search?q=pegasus")   # http.client's own HEAD
    eq(r.status, 200)
    eq(r.body, b"")

# --- hostile requests


@check()
def uri_too_long():
    for path in ("/api/search?q=" + "a" * 4100, "/?q=" + "oil+" * 1100,
                 "/static/" + "a" * 5000, "/article/" + "b" * 4200):
        r = get(path)
        eq(r.status, 414, "%d-byte URL: %r" % (len(path), r))
        sec_headers(r)
    r = get("/static/" + "a" * 3990)        # long but under the cap
    eq(r.status, 404, r)
    # far past any buffer: 414, 431 or a closed connection, then alive
    r, data, end = raw(b"GET /?q=" + b"a" * 200000 + b" HTTP/1.1\r\n"
                       b"Host: x\r\nConnection: close\r\n\r\n")
    true(r is None or r.status in (400, 413, 414, 431), data[:200])
    alive()


@check()
def huge_headers():
    r, data, end = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                       + b"a" * 200000 + b"\r\nConnection: close\r\n\r\n")
    true(r is None or r.status in (400, 413, 431), data[:200])
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(3000))
    r, data, end = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many
                       + b"Connection: close\r\n\r\n")
    true(r is None or r.status in (400, 413, 431), data[:200])
    alive()


@check()
def garbage_requests():
    for junk in (b"garbage\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n",
                 b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5"
                 b"\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                 b"chunked\r\n\r\nzz\r\n",
                 b"GET / HTTP/1.1\r\n" + b"Bad Header Line\r\n\r\n",
                 b"\r\n" * 1000):
        # some of these wait for more bytes (until the idle timeout):
        # only what comes within 5 s is judged
        r, data, end = raw(junk, timeout=5)
        true(r is None or 400 <= r.status < 600 or r.status == 200,
             "%r -> %r" % (junk[:40], data[:200]))
        true(r is None or r.status < 500 or r.status in (501, 505),
             "%r -> %r" % (junk[:40], data[:200]))
    alive()


@check()
def bad_percent_in_path():
    for path in ("/article/%zz", "/article/%", "/api/doc/%C3%28",
                 "/api/doc/%ff", "/static/%zz", "/%"):
        r = get(path)
        true(r.status in (400, 404), "%s: %r" % (path, r))
        sec_headers(r)
    r, data, end = raw(b"GET /article/\xff\xfe HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
    true(r is not None and r.status in (400, 404), data[:200])
    alive()


@check()
def query_with_nul():
    r = get("/api/search?q=oil%00pegasus")
    true(r.status in (200, 400), r)
    r = get("/?q=oil%00")
    true(r.status in (200, 400), r)
    alive()


@check()
def slow_request_line():
    # the request trickles in a byte at a time over about two seconds
    data = (b"GET /api/search?q=pegasus HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n")
    r, got, end = raw(data, timeout=20, chunks=1, delay=2.5 / len(data))
    true(r is not None, "no answer to a slow request (%s)" % end)
    eq(r.status, 200)
    eq(json.loads(r.body)["total"], 2)


@check()
def keep_alive_and_pipelining():
    # three requests on one connection (http.client would reconnect
    # silently: look at the socket)
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    sock = None
    for path in ("/healthz", "/api/search?q=oil", "/api/stats"):
        c.request("GET", path)
        if sock is None:
            sock = c.sock
        true(c.sock is sock, "the connection was not kept alive")
        r = c.getresponse()
        r.read()
        eq(r.status, 200, path)
        true(r.getheader("Connection", "").lower() != "close",
             "%s answered with Connection: close" % path)
    c.close()
    r, data, end = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /api/stats HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
    eq(data.count(b"HTTP/1.1 200"), 2, data[:400])


@check()
def http10_no_host():
    r, data, end = raw(b"GET /healthz HTTP/1.0\r\n\r\n")
    true(r is not None and r.status == 200, data[:200])


@check()
def concurrent_requests():
    errs = []

    def worker(k):
        try:
            for i in range(6):
                w = ("pegasus", "market", "oil", "café")[(k + i) % 4]
                j = api_ok(w)
                want = {"pegasus": 2, "market": NMARKET, "oil": 3,
                        "café": 1}[w]
                eq(j["total"], want, w)
                eq(get("/?q=" + q(w)).status, 200)
        except Exception as e:      # noqa: BLE001 - reported below
            errs.append(repr(e))
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    true(not errs, errs[:3])


@check()
def many_connections():
    socks = []
    try:
        for _ in range(300):
            try:
                socks.append(socket.create_connection((HOST, PORT),
                                                      timeout=2))
            except OSError:
                break
        time.sleep(0.5)
    finally:
        for s in socks:
            s.close()
    true(len(socks) >= 10, "only %d connections accepted" % len(socks))
    alive()
    eq(api_ok("pegasus")["total"], 2)


@check()
def live_absent():
    eq(api_ok("quetzalcoatl")["total"], 0)
    eq(api_ok("xylophonist")["total"], 0)


@check()
def alive_at_the_end():
    alive()
    eq(api_ok("pegasus")["total"], 2)

# --- after the index changed under the running server


@check("live")
def live_found():
    j = api_ok("quetzalcoatl")
    eq([h["id"] for h in j["hits"]], ["live/1"])
    eq(j["hits"][0]["date"], "2024-02-02")


@check("live")
def live_page_and_article():
    r, d = page("/?q=quetzalcoatl")
    eq(hit_ids(d), ["live/1"])
    r, d = page("/article/" + q("live/1") + "?q=quetzalcoatl")
    eq(d.one("article", id="article").one("h1").text().strip(),
       LIVE["title"])
    eq(get("/api/doc/" + q("live/1")).status, 200)


@check("live")
def live_replaced():
    eq([h["id"] for h in api_ok("xylophonist")["hits"]], ["k1"])
    eq(get("/api/doc/k1").json()["title"], "Khashoggi inquiry reopened")


@check("live")
def live_removed():
    eq(api_ok("dollars")["total"], 0)
    json_error(get("/api/doc/o3"), 404)
    eq(get("/article/o3").status, 404)


@check("live")
def live_stats():
    eq(get("/api/stats").json()["documents"], NDOCS)   # +live/1, -o3


@check("live")
def live_suggest():
    j = get("/api/suggest?q=quetz").json()
    true(j[1] and j[1][0].startswith("quetzalcoatl"), j)

# --- slow: run in the background, each checks one connection


@check("bg")
def bg_idle_timeout():
    s = socket.create_connection((HOST, PORT), timeout=60)
    t0 = time.time()
    try:
        b = s.recv(100)
    except socket.timeout:
        raise AssertionError("an idle connection is open after 60 s")
    except ConnectionResetError:
        b = b""
    dt = time.time() - t0
    s.close()
    eq(b, b"", "bytes on an idle connection")
    true(2 <= dt <= 45, "idle connection closed after %.1f s" % dt)
    print("idle connection closed after %.1f s" % dt)


@check("bg")
def bg_half_request_timeout():
    s = socket.create_connection((HOST, PORT), timeout=60)
    s.sendall(b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.time()
    try:
        b = s.recv(65536)
    except socket.timeout:
        raise AssertionError("a half-sent request is open after 60 s")
    except ConnectionResetError:
        b = b""
    dt = time.time() - t0
    s.close()
    true(b == b"" or b.startswith(b"HTTP/1.1 408") or
         b.startswith(b"HTTP/1.1 400"), "got %r" % b[:100])
    true(2 <= dt <= 45, "half request closed after %.1f s" % dt)
    print("half-sent request closed after %.1f s" % dt)

@check("bg")
def bg_drip_deadline():
    """A request sent a byte a second never goes idle; the server
    (started with --request-timeout 6) cuts it off all the same."""
    s = socket.create_connection((HOST, PORT), timeout=60)
    s.sendall(b"GET /api/search?q=oil HTTP/1.1\r\nX-Slow: ")
    t0 = time.time()
    s.settimeout(1)
    b, cut = b"", False
    while time.time() - t0 < 40:
        try:
            s.sendall(b"a")
            got = s.recv(65536)
            if got == b"":
                cut = True
                break
            b += got
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            cut = True
            break
    dt = time.time() - t0
    s.close()
    true(cut, "a dripping request is open after %.0f s" % dt)
    true(4 <= dt <= 20, "dripping request cut after %.1f s" % dt)
    print("dripping request cut after %.1f s" % dt)

# ---------------------------------------------------------------- sigint


def sigint(lede, ix):
    """A second server (two threads) stops with exit 0 on SIGINT."""
    p = subprocess.Popen(
        [lede, "serve", "-i", ix, "--listen", "127.0.0.1:0", "--threads",
         "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = p.stdout.readline().decode()
        m = re.match(r"lede: serving .* at (http://127\.0\.0\.1:(\d+)/)$",
                     line.rstrip("\n"))
        true(m, "first line %r" % line)
        global PORT
        PORT = int(m.group(2))
        eq(get("/healthz").status, 200)
        eq(api_ok("pegasus")["total"], 2)
        p.send_signal(signal.SIGINT)
        rc = p.wait(10)
        eq(rc, 0, "exit status after SIGINT")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()

# ---------------------------------------------------------------- main


def main(argv):
    global HOST, PORT
    if argv[:1] == ["fixture"]:
        for a in FIXTURE:
            print(json.dumps(a, ensure_ascii=False))
        return 0
    if argv[:1] == ["fixture-live"]:
        print(json.dumps(LIVE, ensure_ascii=False))
        return 0
    if argv[:1] == ["fixture-replace"]:
        print(json.dumps(REPLACE, ensure_ascii=False))
        return 0
    if argv[:1] == ["--list"] and len(argv) == 2:
        print("\n".join(n for n, (g, f) in CHECKS.items() if g == argv[1]))
        return 0
    if argv[:1] == ["sigint"] and len(argv) == 3:
        try:
            sigint(argv[1], argv[2])
        except Exception as e:       # noqa: BLE001
            print("FAIL sigint: %s" % e)
            return 1
        print("ok sigint")
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    u = urllib.parse.urlsplit(argv[0])
    HOST, PORT = u.hostname, u.port
    failed = 0
    for name in argv[1:]:
        if name not in CHECKS:
            print("FAIL %s: no such check" % name)
            failed += 1
            continue
        try:
            CHECKS[name][1]()
            print("ok %s" % name)
        except Exception as e:       # noqa: BLE001 - any failure counts
            msg = str(e) if isinstance(e, AssertionError) else repr(e)
            print("FAIL %s: %s" % (name, msg[:2000]))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
