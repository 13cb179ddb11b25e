#!/usr/bin/env python3
"""Readers during writes: searches from the CLI and from `lede serve` run
in loops while `lede index` and `lede rm` add, replace and delete
documents, and every answer is checked against what the writer may have
committed at that moment.

The archive: BASE documents sNNNN, each in group grpG (100 a group) with
its own word uNNNN and a version word. Round r of the writer:
  - adds 100 documents with the word addR            (one batch)
  - replaces the 100 documents of one group: each gets the word verR
                                                      (one batch)
  - deletes 50 of the documents round r-1 added       (one `lede rm`)
So at any moment, whatever a reader sees must satisfy:
  - addR matches 0 or 100 documents (the batch is not yet or wholly
    there), 50 once round r+1 deleted half of them, and never a deleted
    id after its `lede rm` returned;
  - grpG matches exactly 100 documents, each id once (a replacement never
    shows both versions or neither);
  - verR matches 0 or 100.
Readers: CLI processes (`lede search --json`) and HTTP clients
(/api/search) in threads. Reports searches/s before and during writing
(the Python clients bound these), then the core's own throughput
(`lede search --batch`, 300 queries at a time) idle and while one
`lede index` writes 20,000 more documents.

Usage: readers_check.py LEDE WORKDIR ROUNDS. Prints one line per failure
and "readers: N passed, N failed".
"""
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

LEDE, T, ROUNDS = sys.argv[1], sys.argv[2], int(sys.argv[3])
BASE, GROUP = 2000, 100
IX = T + "/ix"
lock = threading.Lock()
passed = failed = 0
fails = []
WORDS = ("oil market bank rate trade gold budget growth election court "
         "police storm flood harbour museum rail").split()


def ok(n=1):
    global passed
    with lock:
        passed += n


def bad(msg):
    global failed
    with lock:
        failed += 1
        if len(fails) < 30:
            fails.append(msg)
            print("FAIL: " + msg, flush=True)


def doc(i, ident, extra):
    rnd = random.Random(hash((ident, extra)) & 0xffffffff)
    body = " ".join(rnd.choice(WORDS) for _ in range(60))
    return {"id": ident, "title": "item %s %s" % (ident, extra),
            "date": "2020-%02d-%02d" % (1 + i % 12, 1 + i % 28),
            "body": "%s %s %s" % (body, extra, body[:80])}


def write_jsonl(path, docs):
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")


def lede(args, timeout=60):
    p = subprocess.run([LEDE] + args, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# ---- the archive to start from ---------------------------------------
base = [doc(i, "s%04d" % i, "grp%d u%04d vone" % (i // GROUP, i))
        for i in range(BASE)]
write_jsonl(T + "/base.jsonl", base)
rc, out, err = lede(["index", "-q", "-i", IX, T + "/base.jsonl"], 300)
if rc != 0:
    bad("index the base archive: " + err)
    print("readers: %d passed, %d failed" % (passed, failed))
    sys.exit(1)

# ---- shared state: what the writer has committed -----------------------
state = {"round": 0, "deleted": set(), "stop": False}
# Word -> the set of counts a reader may see. Updated by the writer
# *before* a change starts (widening) and after it ended (narrowing).
allowed = {}
for g in range(BASE // GROUP):
    allowed["grp%d" % g] = {100}


def snapshot(word):
    """What a search of word may see if it starts now: the counts the
    writer allows and the ids deleted for good. A word the writer has
    not announced yet (a reader may pick next round's) is in no
    document: 0. Without that, a search that began before the round
    and was checked after it knew only the round's final count."""
    with lock:
        return set(allowed.get(word, {0})), set(state["deleted"])


def check_hits(where, word, before, total, ids):
    """A search that started at snapshot `before` may see any state from
    then to its end: the counts allowed at its start or at its end, and
    none of the ids deleted before it started."""
    exp0, deleted = before
    exp1, _ = snapshot(word)
    exp = exp0 | exp1
    if exp and total not in exp:
        bad("%s: %s matched %d, may be %s (at its start %s, at its "
            "end %s)" % (where, word, total, sorted(exp), sorted(exp0),
                         sorted(exp1)))
        return
    if len(ids) != len(set(ids)):
        bad("%s: %s returned an id twice" % (where, word))
        return
    gone = deleted & set(ids)
    if gone:
        bad("%s: %s returned deleted %s" % (where, word, sorted(gone)[:3]))
        return
    if word.startswith("grp") and len(ids) != 100:
        bad("%s: %s listed %d hits" % (where, word, len(ids)))
        return
    ok()


def pick_word(rnd):
    with lock:
        r = state["round"]
    k = rnd.random()
    if k < 0.4:
        return "grp%d" % rnd.randrange(BASE // GROUP)
    if k < 0.7 and r > 0:
        return "add%d" % rnd.randint(max(1, r - 3), r + 1)
    if r > 0:
        return "ver%d" % rnd.randint(max(1, r - 3), r + 1)
    return "grp0"


counts = {"cli": 0, "http": 0}


def cli_reader(seed):
    rnd = random.Random(seed)
    while not state["stop"]:
        w = pick_word(rnd)
        before = snapshot(w)
        rc, out, err = lede(["search", "-i", IX, "--json", "-n", "200", w])
        if rc not in (0, 1):
            bad("cli: search %s exit %d: %s" % (w, rc, err.strip()[:200]))
            continue
        try:
            js = json.loads(out)
        except ValueError:
            bad("cli: search %s printed no JSON" % w)
            continue
        check_hits("cli", w, before, js["total"],
                   [h["id"] for h in js["hits"]])
        with lock:
            counts["cli"] += 1


def http_reader(seed, port):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    while not state["stop"]:
        w = pick_word(rnd)
        before = snapshot(w)
        try:
            conn.request("GET", "/api/search?n=100&q=" + w)
            r = conn.getresponse()
            body = r.read()
        except Exception as e:   # reconnect once, then count a failure
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            bad("http: %s: %s" % (w, e))
            continue
        if r.status != 200:
            bad("http: %s gave %d %s" % (w, r.status, body[:200]))
            continue
        js = json.loads(body)
        check_hits("http", w, before, js["total"],
                   [h["id"] for h in js["hits"]])
        with lock:
            counts["http"] += 1
    conn.close()


# ---- server ------------------------------------------------------------
srv = subprocess.Popen([LEDE, "serve", "-i", IX, "--listen",
                        "127.0.0.1:0"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
port = None
t0 = time.time()
while time.time() - t0 < 30:
    line = srv.stdout.readline().decode()
    if not line:
        break
    if "http://127.0.0.1:" in line:
        port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
        break
if not port:
    bad("serve did not start: " + srv.stderr.read().decode()[:300])
    print("readers: %d passed, %d failed" % (passed, failed))
    sys.exit(1)

threads = [threading.Thread(target=cli_reader, args=(i,)) for i in range(2)]
threads += [threading.Thread(target=http_reader, args=(10 + i, port))
            for i in range(2)]


def rate(seconds):
    with lock:
        a = dict(counts)
    time.sleep(seconds)
    with lock:
        return {k: (counts[k] - a[k]) / seconds for k in counts}


for th in threads:
    th.start()
idle = rate(4)

# ---- the writer ----------------------------------------------------------
w0 = time.time()
with lock:
    at_w0 = dict(counts)
writes = 0
for r in range(1, ROUNDS + 1):
    # add a batch of 100
    add = [doc(r * 1000 + i, "a%d-%d" % (r, i), "add%d" % r)
           for i in range(100)]
    write_jsonl(T + "/add.jsonl", add)
    allowed["add%d" % r] = {0, 100}
    with lock:
        state["round"] = r
    rc, out, err = lede(["index", "-q", "-i", IX, T + "/add.jsonl"])
    if rc != 0:
        bad("writer: add round %d: %s" % (r, err))
    allowed["add%d" % r] = {100}
    # replace one group: every member gets verR
    g = r % (BASE // GROUP)
    rep = [doc(i, "s%04d" % i, "grp%d u%04d ver%d" % (g, i, r))
           for i in range(g * GROUP, (g + 1) * GROUP)]
    random.Random(r).shuffle(rep)
    write_jsonl(T + "/rep.jsonl", rep)
    allowed["ver%d" % r] = {0, 100}
    prev = "ver%d" % (r - BASE // GROUP)      # that group's older version
    if prev in allowed:
        allowed[prev] = {100, 0}
    rc, out, err = lede(["index", "-q", "-i", IX, T + "/rep.jsonl"])
    if rc != 0:
        bad("writer: replace round %d: %s" % (r, err))
    allowed["ver%d" % r] = {100}
    if prev in allowed:
        allowed[prev] = {0}
    # delete half of the previous round's batch
    if r > 1:
        ids = ["a%d-%d" % (r - 1, i) for i in range(0, 100, 2)]
        allowed["add%d" % (r - 1)] = {100, 50}
        rc, out, err = lede(["rm", "-i", IX] + ids)
        if rc != 0:
            bad("writer: rm round %d: %s" % (r, err))
        with lock:
            state["deleted"] |= set(ids)
        allowed["add%d" % (r - 1)] = {50}
        # at once after rm returned: gone from the CLI and the server
        rc, out, err = lede(["search", "-i", IX, "--count",
                             "add%d" % (r - 1)])
        if out.strip() == "50":
            ok()
        else:
            bad("writer: add%d counts %s right after rm" % (r - 1,
                                                          out.strip()))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/api/search?n=100&q=add%d" % (r - 1))
        js = json.loads(c.getresponse().read())
        c.close()
        if js["total"] == 50 and not set(ids) & {h["id"] for h in
                                                 js["hits"]}:
            ok()
        else:
            bad("writer: the server still shows add%d deletions "
                "(total %d)" % (r - 1, js["total"]))
    writes += 1
busy_s = time.time() - w0
with lock:
    busy = {k: counts[k] - at_w0[k] for k in counts}
state["stop"] = True
for th in threads:
    th.join()
srv.terminate()
srv.wait(timeout=20)

# ---- the core's throughput while a large batch is written -------------
topics = T + "/topics.tsv"
with open(topics, "w") as f:
    r2 = random.Random(5)
    for i in range(300):
        f.write("q%d\t%s %s grp%d\n" % (i, r2.choice(WORDS), r2.choice(WORDS),
                                       r2.randrange(BASE // GROUP)))
big = [doc(100000 + i, "b%d" % i, "bulkword") for i in range(20000)]
write_jsonl(T + "/big.jsonl", big)


def batch_rate():
    t0 = time.time()
    rc, out, err = lede(["search", "-i", IX, "--batch", topics, "-n", "10"])
    if rc not in (0, 1):
        bad("batch search failed (exit %d): %s" % (rc, err[:200]))
    return 300 / (time.time() - t0)


idle_q = sum(batch_rate() for _ in range(3)) / 3
wp = subprocess.Popen([LEDE, "index", "-q", "-i", IX, T + "/big.jsonl"],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
rates = []
while wp.poll() is None:
    rates.append(batch_rate())
if wp.returncode == 0:
    ok()
else:
    bad("index 20,000 more: " + wp.stderr.read().decode()[:300])
rc, out, err = lede(["search", "-i", IX, "--count", "bulkword"])
if out.strip() == "20000":
    ok()
else:
    bad("the 20,000 are not all there: %s" % out.strip())

rc, out, err = lede(["check", "-i", IX], 300)
if rc == 0:
    ok()
else:
    bad("lede check after the run: " + out[-300:] + err[-300:])
print("readers: %d rounds of writes (%d documents added, %d replaced, "
      "%d deleted) in %.1f s" % (ROUNDS, ROUNDS * 100, ROUNDS * 100,
                                 (ROUNDS - 1) * 50, busy_s))
print("readers: searches/s before writing: cli %.0f, http %.0f; during: "
      "%d searches in %.1f s (cli %.0f/s, http %.0f/s)" %
      (idle["cli"], idle["http"], busy["cli"] + busy["http"], busy_s,
       busy["cli"] / busy_s, busy["http"] / busy_s))
if rates:
    print("readers: lede search --batch: %.0f queries/s idle, %.0f while "
          "lede index wrote 20,000 documents (%d batches of 300)" %
          (idle_q, sum(rates) / len(rates), len(rates)))
print("readers: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
