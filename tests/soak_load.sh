#!/bin/sh
# `lede serve` under load on a large index:
#
#   load       wrk, 2 threads, 256 connections, 60 s of /api/search over a
#              query mix (top 10 with snippets, exact total, timeline):
#              no socket error, no status other than 200, and the server's
#              memory bounded: its own (RssAnon) under MEM_MB, and the
#              last 20 s no higher than the first 20 s plus 10%
#   slowloris  500 connections held open (half silent, half sending a
#              request one byte every 2 s) while fresh clients must get
#              /healthz and /api/search answered, each within 2 s; after
#              the idle ones time out the server still answers
#
# The index: INDEX=DIR if it exists, else DOCS articles (default
# 1,000,000) from ../shared/tools/gen_corpus.py --seed 42 when that is
# beside the repository, else from a generator of this script's own
# (Zipf-distributed words, so that CI on a bare clone runs it too); the
# queries: ../shared/bench/queries/*/queries.tsv when present, else word
# pairs and triples of the generated vocabulary. GEN names another
# generator path (GEN=/none forces the script's own).
#
# Prints the figures, one line per failed expectation and "soak_load: N
# passed, N failed". Part of `make soak`: about 5 minutes on 2 cores
# (index 1-2 min, load 60 s, slowloris 40 s). Needs wrk and python3; wrk
# is installed when missing. LEDE names the binary (default ./lede).
set -u
cd "$(dirname "$0")/.." || exit 2
LEDE=${LEDE:-$PWD/lede}
DOCS=${DOCS:-1000000}
DURATION=${DURATION:-60s}
CONNS=${CONNS:-256}
MEM_MB=${MEM_MB:-128}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() {
	echo "soak_load: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
if ! command -v wrk >/dev/null 2>&1; then
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
for tool in wrk python3; do
	command -v $tool >/dev/null 2>&1 || { bad "$tool is missing"; finish; }
done
[ -x "$LEDE" ] || { bad "no binary $LEDE (run make)"; finish; }
T=$(mktemp -d /tmp/lede-soak-load.XXXXXX)
srv= smp=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	[ -n "$smp" ] && kill "$smp" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the index ---------------------------------------------------------
IX=${INDEX:-$T/ix}
GEN=${GEN:-../shared/tools/gen_corpus.py}
if [ ! -d "$IX" ]; then
	start=$(date +%s)
	if [ -f "$GEN" ]; then
		python3 "$GEN" --docs "$DOCS" --seed 42 --out "$T/corpus.jsonl" \
			>/dev/null || { bad "gen_corpus.py"; finish; }
		src="gen_corpus.py"
	else
		python3 - "$DOCS" "$T/corpus.jsonl" <<'PY' || { bad "generate"; finish; }
import json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
syl = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "an",
       "el", "or", "us", "ter", "gan", "bel", "mar", "sto", "rin"]
vocab = sorted({"".join(rnd.choice(syl) for _ in range(rnd.randint(2, 4)))
                for _ in range(60000)})
rnd.shuffle(vocab)
cum, acc = [], 0.0
for i in range(len(vocab)):
    acc += 1.0 / (i + 1)
    cum.append(acc)
with open(out, "w") as f:
    for i in range(n):
        words = rnd.choices(vocab, cum_weights=cum, k=rnd.randint(80, 300))
        f.write(json.dumps({
            "id": "g%d" % i,
            "title": " ".join(rnd.choices(vocab, cum_weights=cum, k=7)),
            "date": "%04d-%02d-%02d" % (1990 + i % 35, 1 + i % 12, 1 + i % 28),
            "body": " ".join(words)}) + "\n")
with open(out + ".vocab", "w") as f:
    f.write("\n".join(vocab[:3000]))
PY
		src="the script's own generator"
	fi
	"$LEDE" index -q -i "$IX" "$T/corpus.jsonl" > "$T/index.out" 2>&1 ||
		{ bad "index the corpus"; cat "$T/index.out"; finish; }
	echo "soak_load: indexed $DOCS articles ($src) in $(( $(date +%s) - start )) s"
	[ -f "$T/corpus.jsonl.vocab" ] && mv "$T/corpus.jsonl.vocab" "$T/vocab"
	rm -f "$T/corpus.jsonl"
fi
echo "soak_load: index $IX"

# ---- the queries -------------------------------------------------------
qs=
[ -f "$GEN" ] && qs=$(ls ../shared/bench/queries/*/queries.tsv 2>/dev/null)
python3 - "$T/paths.lua" "$T/vocab" $qs <<'PY' || { bad "queries"; finish; }
import os, random, sys, urllib.parse
out, vocab, files = sys.argv[1], sys.argv[2], sys.argv[3:]
qs = []
for fn in files:
    for line in open(fn, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t", 1)
        if len(parts) == 2 and parts[1].strip():
            qs.append(parts[1])
if not qs:
    words = open(vocab).read().split() if os.path.exists(vocab) else \
        ["oil", "market", "bank"]
    rnd = random.Random(1)
    qs = [" ".join(rnd.sample(words[:2000], rnd.randint(1, 3)))
          for _ in range(2000)]
random.Random(2).shuffle(qs)
with open(out, "w") as f:
    f.write("paths = {\n")
    for q in qs[:5000]:
        p = "/api/search?q=" + urllib.parse.quote(q, safe="")
        f.write('  "%s",\n' % p.replace("\\", "\\\\").replace('"', '\\"'))
    f.write("}\n")
    f.write("""
local i = 0
local bad = 0
setup = function(thread) thread:set("id", i); i = i + 1 end
init = function() n = math.random(#paths) end
request = function()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests %d connect %d read %d write %d status %d timeout %d\\n",
    summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
  io.write(string.format("LATENCY p50 %.1f p90 %.1f p99 %.1f max %.1f\\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
""")
print(len(qs), "queries")
PY

# ---- the server --------------------------------------------------------
start_server() {
	"$LEDE" serve -i "$IX" --listen 127.0.0.1:0 --threads 2 \
		> "$T/serve.out" 2> "$T/serve.err" &
	srv=$!
	URL=
	i=0
	while [ $i -lt 600 ]; do
		URL=$(sed -n 's|^lede: serving .* at \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' \
			"$T/serve.out" | head -1)
		[ -n "$URL" ] && return 0
		kill -0 "$srv" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
start_server || { bad "the server did not start"; cat "$T/serve.err"; finish; }
echo "soak_load: serving at $URL"

# memory: RssAnon and VmRSS (kB) every second
( while kill -0 "$srv" 2>/dev/null; do
	awk '/^RssAnon:/ { a = $2 } /^VmRSS:/ { r = $2 } END { print a, r }' \
		/proc/"$srv"/status 2>/dev/null
	sleep 1
  done ) >> "$T/mem" &
smp=$!

# ---- load ----------------------------------------------------------------
wrk -t 2 -c 32 -d 5s -s "$T/paths.lua" "$URL" > /dev/null 2>&1  # warm up
: > "$T/mem"
wrk -t 2 -c "$CONNS" -d "$DURATION" --timeout 10s -s "$T/paths.lua" \
	"$URL" > "$T/wrk.out" 2>&1
cat "$T/wrk.out" | grep -E "Requests/sec|RESULT|LATENCY|Non-2xx|Socket"
set -- $(sed -n 's/^RESULT //p' "$T/wrk.out")
if [ $# -ge 12 ] && [ "$2" -gt 0 ]; then
	reqs=$2; errs=$(( $4 + $6 + $8 + ${10} + ${12} ))
	if [ "$errs" -eq 0 ]; then ok; else
		bad "$errs failed requests of $reqs (socket errors or non-200)"
	fi
else
	bad "wrk printed no result"; cat "$T/wrk.out"
fi
if grep -q "Non-2xx" "$T/wrk.out"; then bad "non-2xx responses"; else ok; fi
kill -0 "$srv" 2>/dev/null && ok || bad "the server died under load"
python3 - "$T/mem" "$MEM_MB" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
bound = int(sys.argv[2]) * 1024
if len(rows) < 30:
    print("FAIL: only %d memory samples" % len(rows)); sys.exit(1)
anon = [a for a, r in rows]
rss = [r for a, r in rows]
first, last = max(anon[:20]), max(anon[-20:])
print("soak_load: server memory during the run: own (RssAnon) peak %d MB, "
      "first 20 s %d MB, last 20 s %d MB; RSS with the mapped index peak "
      "%d MB" % (max(anon) // 1024, first // 1024, last // 1024,
                 max(rss) // 1024))
bad = 0
if max(anon) > bound:
    print("FAIL: own memory %d MB over %d MB" % (max(anon) // 1024,
                                                bound // 1024)); bad = 1
if last > first * 1.1 + 1024:
    print("FAIL: own memory grew from %d to %d MB" % (first // 1024,
                                                      last // 1024)); bad = 1
sys.exit(bad)
PY
[ $? -eq 0 ] && ok || fail=$((fail + 1))

# ---- slowloris -----------------------------------------------------------
python3 - "$URL" <<'PY'
import select, socket, sys, threading, time, urllib.request
url = sys.argv[1]
host, port = url.split("//")[1].rstrip("/").split(":")
port = int(port)
held, stop = [], False
opened = time.time()
for i in range(500):
    try:
        s = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        print("FAIL: idle connection %d: %s" % (i, e)); sys.exit(1)
    if i % 2:
        s.sendall(b"GET /api/search?q=")   # half a request line
    held.append(s)


def drip():
    n = 0
    while not stop:
        for s in held[1::2]:
            try:
                s.sendall(b"a")
            except OSError:
                pass
        n += 1
        time.sleep(2)


threading.Thread(target=drip, daemon=True).start()
time.sleep(1)
fails = 0
worst = 0.0
for i in range(40):
    path = "healthz" if i % 2 == 0 else "api/search?q=market+oil&n=5"
    t0 = time.time()
    try:
        with urllib.request.urlopen(url + path, timeout=2) as r:
            r.read()
            okay = r.status == 200
    except Exception as e:
        okay = False
        print("FAIL: /%s with 500 idle connections open: %s" % (path, e))
    dt = time.time() - t0
    worst = max(worst, dt)
    fails += not okay
    time.sleep(0.25)
print("soak_load: 40 requests beside 500 idle connections: %d failed, "
      "slowest %.0f ms" % (fails, worst * 1000))
# the server drops the silent ones after its idle timeout (15 s) and
# the dripping ones at its request deadline (30 s)
time.sleep(max(0.0, 36 - (time.time() - opened)))
def closed(socks):
    """How many of socks the server has closed (readable at EOF)."""
    n = 0
    readable = set()
    for i in range(0, len(socks), 200):   # select() takes < 1024 fds
        r, _, _ = select.select(socks[i:i + 200], [], [], 0.5)
        readable.update(r)
    for s in readable:
        try:
            s.setblocking(False)
            if s.recv(1) == b"":
                n += 1
        except (ConnectionResetError, BrokenPipeError):
            n += 1
        except OSError:
            pass
    return n


silent, dripping = closed(held[0::2]), closed(held[1::2])
stop = True
print("soak_load: 36 s after they opened the server had closed %d of the "
      "250 silent connections (idle timeout) and %d of the 250 dripping "
      "ones (a byte every 2 s: the request deadline)" % (silent, dripping))
for s in held:
    s.close()
try:
    with urllib.request.urlopen(url + "healthz", timeout=2) as r:
        after = r.status == 200
except Exception:
    after = False
if not after:
    print("FAIL: the server does not answer after the slowloris")
sys.exit(1 if fails or not after or silent < 240 or dripping < 240 else 0)
PY
[ $? -eq 0 ] && ok || bad "slowloris"
kill -TERM "$srv"
wait "$srv" 2>/dev/null
rc=$?
srv=
[ "$rc" -eq 0 ] && ok || bad "the server's exit after SIGTERM: $rc"
finish
