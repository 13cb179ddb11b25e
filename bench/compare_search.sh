#!/bin/sh
# Query latency of lede and of peers from ../shared/bench on the same
# corpus and query set, in one run: per engine p50 / p99 / mean in
# microseconds, overall and per query class (T1 one word, T2 two, T3
# three or four), top 10, the second of two passes, one thread.
#
#   sh bench/compare_search.sh CORPUS.jsonl QUERIES.tsv [peer ...]
#
# Indexes are built once under $BENCH_WORK/sidx/<engine>-<corpus name>
# and kept (delete them to rebuild). Peers must be built first:
# bash ../shared/bench/build.sh. LEDE_SEARCH_OPTS are extra lede search
# options (through the peer adapter's LEDE_OPTS).
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
W=${BENCH_WORK:-/tmp/bench-work}
BIN=${BIN:-$W/bin}
LEDE=${LEDE:-$here/lede}
K=${K:-10}
corpus=$1 queries=$2; shift 2
[ $# -gt 0 ] || set -- lucene
name=$(basename "$corpus" .jsonl)
mkdir -p "$W/sidx"
lats=
echo "| engine | p50 µs | p99 µs | mean µs | T1 p50/p99 | T2 p50/p99 | T3 p50/p99 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for p in lede "$@"; do
	d=$W/sidx/$p-$name
	lat=$W/sidx/$p-$name.lat
	if [ ! -d "$d" ]; then
		mkdir -p "$d"
		if [ "$p" = lede ]; then
			"$LEDE" index -q -i "$d/ix" "$corpus" >/dev/null
		else
			"$BIN/$p" index "$corpus" "$d" >/dev/null 2>&1
		fi
	fi
	if [ "$p" = lede ]; then
		# two passes, the second timed, as the peers do
		for pass in 1 2; do
			"$LEDE" search -i "$d/ix" --batch "$queries" -n "$K" \
				--latency "$lat" >/dev/null
		done
	else
		"$BIN/$p" query "$d" "$queries" "$K" 2 "$lat" >/dev/null 2>&1
	fi
	python3 - "$p" "$lat" <<'PY'
import sys
name, path = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
def pct(v, q):
    v = sorted(v)
    if not v:
        return 0
    i = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[i]
allv = [float(r[1]) for r in rows]
out = ["%.0f" % pct(allv, 50), "%.0f" % pct(allv, 99),
       "%.0f" % (sum(allv) / max(1, len(allv)))]
for c in ("T1", "T2", "T3"):
    v = [float(r[1]) for r in rows if r[0].startswith(c)]
    out.append("%.0f / %.0f" % (pct(v, 50), pct(v, 99)))
print("| %s | %s |" % (name, " | ".join(out)))
PY
	lats="$lats $p=$lat"
done
# the target's view: the fastest peer's figure over lede's, per column
[ $# -gt 0 ] && python3 - $lats <<'PY'
import sys
def pct(v, q):
    v = sorted(v)
    if not v:
        return 0
    i = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[i]
cols = {}
for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    c = {}
    for cl in ("", "T1", "T2", "T3"):
        v = [float(r[1]) for r in rows if r[0].startswith(cl)]
        c[(cl, 50)], c[(cl, 99)] = pct(v, 50), pct(v, 99)
    cols[name] = c
lede = cols.pop("lede")
out = []
for key in [(cl, q) for cl in ("", "T1", "T2", "T3") for q in (50, 99)]:
    best = min(c[key] for c in cols.values())
    out.append("%.1fx" % (best / lede[key]) if lede[key] else "-")
print()
print("fastest peer over lede (target: 3x or more everywhere)")
print()
print("| all p50 | all p99 | T1 p50 | T1 p99 | T2 p50 | T2 p99 | T3 p50 | T3 p99 |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
print("| " + " | ".join(out) + " |")
PY
