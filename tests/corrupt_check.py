#!/usr/bin/env python3
"""Damage lede's own records the way a bad disk would, with LMDB's B+tree
left intact, and check that lede notices and never crashes.

An index is built, dumped with `mdb_dump -a`, and for each case one value
of one table is flipped, zeroed or truncated in the dump, which
`mdb_load` then writes into a fresh index. Against that index:

  - `lede check` exits non-zero and names the damage;
  - `lede search` (ranked, phrase, title, count, json, sort:date) ends on
    its own with status 0, 1 or 2, says "corrupt"/"damaged" when it
    gives 2, and prints no sanitizer report;
  - `lede serve` either refuses to start with a message or answers every
    request with a proper status (JSON errors on the API), then still
    answers /healthz and stops cleanly on SIGTERM.

Usage: corrupt_check.py LEDE WORKDIR. Prints one line per failure and
"e2e_corrupt: N passed, N failed".
"""
import json
import re
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

LEDE, T = sys.argv[1], sys.argv[2]
rnd = random.Random(20261128)
passed = failed = 0
SAN = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
       "ERROR: ThreadSanitizer")
env = dict(os.environ)
# A sanitizer report must not pass for "no hits" (exit 1).
env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":exitcode=86"
env["UBSAN_OPTIONS"] = env.get("UBSAN_OPTIONS", "") + ":exitcode=86"


def ok():
    global passed
    passed += 1


def bad(msg, detail=""):
    global failed
    failed += 1
    print("FAIL: " + msg)
    for line in detail.splitlines()[:12]:
        print("    " + line)


def run(args, timeout=20):
    try:
        p = subprocess.run([LEDE] + args, capture_output=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired:
        return None, "", "timed out"
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


# ---- a small archive whose common words have several blocks ------------
POOL = ("market election court police minister river storm school budget "
        "health union trade energy water council report strike museum "
        "harbour railway festival").split()
docs = []
for i in range(320):
    words = [rnd.choice(POOL) for _ in range(40)] + ["uq%04d" % i]
    rnd.shuffle(words)
    docs.append({"id": "d%04d" % i,
                 "title": " ".join(rnd.sample(POOL, 4)) + " uq%04d" % i,
                 "date": "20%02d-%02d-%02d" % (10 + i % 15, 1 + i % 12,
                                               1 + i % 28),
                 "url": "https://example.org/%d" % i,
                 "body": " ".join(words) + "."})
with open(T + "/a.jsonl", "w") as f:
    for d in docs[:220]:
        f.write(json.dumps(d) + "\n")
with open(T + "/b.jsonl", "w") as f:
    for d in docs[220:]:
        f.write(json.dumps(d) + "\n")
IX = T + "/ix"
for part in ("a", "b"):   # a bulk load, then a batch that appends blocks
    rc, out, err = run(["index", "-q", "-i", IX, T + "/%s.jsonl" % part],
                       timeout=120)
    if rc != 0:
        bad("index the archive (%s)" % part, err)
        print("e2e_corrupt: %d passed, %d failed" % (passed, failed))
        sys.exit(1)
rc, out, err = run(["rm", "-i", IX, "d0003"])   # a tombstone too
rc, out, err = run(["check", "-i", IX])
if rc == 0:
    ok()
else:
    bad("the undamaged index checks clean", out + err)

dump = subprocess.run(["mdb_dump", "-a", IX], capture_output=True,
                      check=True).stdout.decode().split("\n")


def parse(lines):
    """[(db, [(key_line_index, value_line_index)])]"""
    dbs, db, data, pend = {}, None, False, None
    for i, l in enumerate(lines):
        if l.startswith("database="):
            db = l[9:]
        elif l == "HEADER=END":
            data, pend = True, None
            dbs.setdefault(db, [])
        elif l == "DATA=END":
            data = False
        elif data and l.startswith(" "):
            if pend is None:
                pend = i
            else:
                dbs[db].append((pend, i))
                pend = None
    return dbs


DBS = parse(dump)


def key_of(i):
    return bytes.fromhex(dump[i].strip())


def pick(db, want):
    """A record of db whose key satisfies want(key)."""
    recs = [r for r in DBS.get(db, []) if want(key_of(r[0]))]
    return rnd.choice(recs) if recs else None


def mutate(val, how):
    b = bytearray(val)
    if how == "flip":
        j = rnd.randrange(len(b))
        b[j] ^= 1 << rnd.randrange(8)
    elif how == "zero":
        j = rnd.randrange(len(b))
        for x in range(j, min(len(b), j + 16)):
            b[x] = 0
        if b == bytearray(val):       # it was zero already: zero all
            b = bytearray(len(b))
            b[0] = 1
    elif how == "truncate":
        b = b[:rnd.choice([0, 1, 3, len(b) // 2, len(b) - 1])]
    elif how == "trailer":            # only the checksum itself
        b[-1] ^= 0x80
    return bytes(b)


def term_of(key):
    t = key.split(b"\0")[0]
    return t.lstrip(b"\1").decode(), t.startswith(b"\1")


def docid_word(key):
    d = int.from_bytes(key, "big")
    # docids are handed out in input order from 1; d0003 was deleted
    return "uq%04d" % (d - 1) if 1 <= d <= len(docs) else "market"


CASES = [
    ("meta", lambda k: k == b"stats", "stats"),
    ("meta", lambda k: k == b"lang", "lang"),
    ("meta", lambda k: k == b"schema", "schema"),
    ("post", lambda k: k.endswith(b"\0") and not k.startswith(b"\1")
     and term_of(k)[0] in POOL, "multi-block term record"),
    ("post", lambda k: k.endswith(b"\0") and term_of(k)[0].startswith("uq")
     and not k.startswith(b"\1"), "inline term record"),
    ("post", lambda k: k.endswith(b"\0") and k.startswith(b"\1"),
     "title term record"),
    ("blocks", lambda k: True, "chunk of postings blocks"),
    ("pos", lambda k: True, "chunk of positions blocks"),
    ("docs", lambda k: True, "document record"),
    ("body", lambda k: True, "body"),
    ("ids", lambda k: True, "id mapping"),
    ("lens", lambda k: True, "length chunk"),
    ("xid", lambda k: True, "id chunk"),
]
HOWS = ["flip", "zero", "truncate", "trailer"]


def http(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()
    except Exception as e:   # connection refused, reset, timeout
        return None, "", str(e).encode()


def serve_checks(ix, name, word, docid):
    p = subprocess.Popen([LEDE, "serve", "-i", ix, "--listen",
                          "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    url = None
    t0 = time.time()
    while time.time() - t0 < 15:
        line = p.stdout.readline().decode()
        if not line:
            break
        if "serving" in line and "http://" in line:
            url = line.strip().split(" at ")[-1]
            break
    if not url:
        rc = p.wait(timeout=10)
        err = p.stderr.read().decode("utf-8", "replace")
        if rc not in (1, 2) or not err.strip() or any(s in err for s in SAN):
            bad("%s: serve failed to start without a clear message (exit "
                "%s)" % (name, rc), err)
        else:
            ok()
        return
    paths = ["api/search?q=" + word, "api/search?q=market+court&n=50",
             "api/search?q=%22market+court%22", "?q=" + word,
             "api/doc/d%04d" % docid, "article/d%04d?q=market" % docid,
             "api/stats", "api/suggest?q=ma", "api/search?q=m*&sort=date"]
    for path in paths:
        st, ct, body = http(url + path)
        if st not in (200, 400, 404, 500, 503):
            bad("%s: GET /%s gave %s" % (name, path, st),
                body.decode("utf-8", "replace"))
        elif path.startswith("api/") and st != 200 and \
                b'"error"' not in body:
            bad("%s: GET /%s error %s is not JSON" % (name, path, st),
                body.decode("utf-8", "replace"))
        else:
            ok()
    st, ct, body = http(url + "healthz")
    if st == 200:
        ok()
    else:
        bad("%s: /healthz after the damaged requests gave %s" % (name, st))
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    err = p.stderr.read().decode("utf-8", "replace")
    if rc == 0 and not any(s in err for s in SAN):
        ok()
    else:
        bad("%s: serve did not stop cleanly (exit %s)" % (name, rc), err)


n = 0
for db, want, what in CASES:
    for how in HOWS:
        rec = pick(db, want)
        if rec is None:
            bad("no %s record to damage" % what)
            continue
        ki, vi = rec
        key = key_of(ki)
        val = bytes.fromhex(dump[vi].strip())
        new = mutate(val, how)
        if new == val:
            new = mutate(val, "trailer")
        lines = list(dump)
        lines[vi] = " " + new.hex()
        n += 1
        name = "%s %s (%s)" % (how, what, db)
        d = "%s/c%02d" % (T, n)
        os.mkdir(d)
        with open(d + ".dump", "w") as f:
            f.write("\n".join(lines))
        lp = subprocess.run(["mdb_load", "-f", d + ".dump", d],
                            capture_output=True)
        os.unlink(d + ".dump")
        if lp.returncode != 0:
            bad("%s: mdb_load" % name, lp.stderr.decode())
            continue
        # lede check: non-zero, and it says what is damaged
        rc, out, err = run(["check", "-i", d], timeout=60)
        both = out + err
        if rc in (1, 2) and ("checksum" in both or "corrupt" in both) \
                and not any(s in both for s in SAN):
            ok()
        else:
            bad("%s: check exit %s without naming the damage" % (name, rc),
                both)
        # searches end on their own, with a clear word when they fail
        word, docid = "market", 1
        if db == "post":
            word = term_of(key)[0]
        elif db in ("docs", "body", "lens"):
            word = docid_word(key[:4]) if db != "lens" else "uq0005"
        if db in ("docs", "body"):
            docid = int.from_bytes(key, "big") - 1
        queries = [[word], ['"%s market"' % word], ["title:" + word],
                   ["--count", word], ["--json", word, "court"],
                   [word + " sort:date"], ["m*"],
                   ["-n", "400", "market", "court", "union"]]
        for q in queries:
            rc, out, err = run(["search", "-i", d] + q)
            if rc is None:
                bad("%s: search %s hung" % (name, q))
            elif rc not in (0, 1, 2) or any(s in err for s in SAN):
                bad("%s: search %s exit %s" % (name, q, rc), err)
            elif rc == 2 and not ("corrupt" in err or "damaged" in err or
                                  "checksum" in err):
                bad("%s: search %s failed without saying why" % (name, q),
                    err)
            else:
                ok()
        # a damaged id chunk costs nothing but speed: the batch run reads
        # the ids from the document records instead
        if db == "xid":
            topics = d + ".topics"
            with open(topics, "w") as f:
                f.write("1\tmarket court\n2\tunion\n")
            rc, out, err = run(["search", "-i", d, "--batch", topics,
                                "-n", "20"])
            os.unlink(topics)
            lines = out.split("\n") if rc == 0 else []
            got = [l.split() for l in lines if l.strip()]
            if got and all(len(g) == 6 and re.fullmatch(r"d\d{4}", g[2])
                           for g in got):
                ok()
            else:
                bad("%s: --batch ids after the damage (exit %s)"
                    % (name, rc), out + err)
        # a damaged body costs the hit its snippet, not the hit
        if db == "body":
            rc, out, err = run(["search", "-i", d, "--json", word])
            ids = [h["id"] for h in json.loads(out)["hits"]] \
                if rc == 0 else []
            if "d%04d" % docid in ids or word == "uq0003":
                ok()
            else:
                bad("%s: the hit with the damaged body is gone (exit %s)"
                    % (name, rc), err)
        serve_checks(d, name, word, docid)
        subprocess.run(["rm", "-rf", d])

print("e2e_corrupt: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
