#!/bin/sh
# HTTP throughput of `lede serve` against the throughput of the search
# core alone, on the same index, queries and thread count.
#
#   sh bench/bench_web.sh INDEX QUERIES.tsv [QUERIES.tsv ...]
#
# 1. The core: THREADS concurrent `lede search --batch --count`
#    processes over the queries (top 10 and the exact total, ids
#    fetched, no snippets), queries/s summed.
# 2. HTTP: `lede serve --threads THREADS` and wrk (Debian package wrk)
#    on loopback, CONNS connections for DURATION, each request
#    GET /api/search?q=... (top 10 with snippets and the exact total and
#    timeline, JSON) cycling through the queries.
# Prints requests/s, latency percentiles, errors and the ratio.
# Environment: THREADS (2), CONNS (64), DURATION (30s).
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
LEDE=${LEDE:-$here/lede}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-30s}
ix=$1; shift
command -v wrk >/dev/null || { echo "bench_web: wrk is missing (apt-get install wrk)" >&2; exit 2; }
W=$(mktemp -d /tmp/lede-bench-web.XXXXXX)
trap 'kill $srv 2>/dev/null; rm -rf "$W"' EXIT
cat "$@" | awk -F'\t' 'NF >= 2 { print $1 "\t" $2 }' > "$W/q.tsv"
nq=$(wc -l < "$W/q.tsv")

# 1. the core alone (a first pass warms the page cache)
"$LEDE" search -i "$ix" --batch "$W/q.tsv" -n 10 --count > /dev/null
start=$(date +%s.%N)
i=0
while [ "$i" -lt "$THREADS" ]; do
	"$LEDE" search -i "$ix" --batch "$W/q.tsv" -n 10 --count > /dev/null &
	i=$((i + 1))
done
wait
end=$(date +%s.%N)
core=$(echo "$nq $THREADS $start $end" | awk '{ printf "%.0f", $1 * $2 / ($4 - $3) }')

# 2. HTTP
python3 - "$W/q.tsv" > "$W/paths.lua" <<'PY'
import sys, urllib.parse
qs = [l.rstrip("\n").split("\t", 1)[1] for l in open(sys.argv[1]) if "\t" in l]
print("paths = {")
for q in qs:
    p = "/api/search?q=" + urllib.parse.quote(q, safe="")
    print("  %s," % ('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"'))
print("}")
print("""
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  if status ~= 200 then bad = (bad or 0) + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors: connect %d read %d write %d status %d timeout %d\\n",
    summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
  io.write(string.format("latency p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
""")
PY
"$LEDE" serve -i "$ix" --listen 127.0.0.1:0 --threads "$THREADS" > "$W/serve.out" 2>&1 &
srv=$!
for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	grep -q "serving" "$W/serve.out" 2>/dev/null && break
	sleep 0.5
done
url=$(sed -n 's/.* at \(http[^ ]*\)$/\1/p' "$W/serve.out")
[ -n "$url" ] || { echo "bench_web: the server did not start" >&2; cat "$W/serve.out" >&2; exit 1; }
# warm the page cache, then measure
wrk -t "$THREADS" -c "$CONNS" -d 5s -s "$W/paths.lua" "$url" > /dev/null 2>&1 || true
wrk -t "$THREADS" -c "$CONNS" -d "$DURATION" --latency -s "$W/paths.lua" "$url" > "$W/wrk.out" 2>&1
cat "$W/wrk.out"
rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$W/wrk.out")
echo "core alone: $core queries/s ($THREADS processes, top 10 + exact total, ids, no snippets)"
echo "HTTP: $rps requests/s ($CONNS connections, $THREADS server threads)"
echo "$rps $core" | awk '{ printf "HTTP / core: %.2f (HTTP, JSON, snippets, count and timeline cost %.0f%%)\n", $1 / $2, 100 * (1 - $1 / $2) }'
