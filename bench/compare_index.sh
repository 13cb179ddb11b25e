#!/bin/sh
# Index the same corpus with lede and with peers from ../shared/bench, one
# after the other in one run, and print one table row each: wall seconds,
# MB/s of input, peak RSS and index size (du). Only indexing: the query
# side belongs to the search benchmark.
#
#   sh bench/compare_index.sh CORPUS.jsonl [peer ...]   (default: sqlite_fts5 lucene)
#
# Peers must be built first: bash ../shared/bench/build.sh (BIN, default
# /tmp/bench-work/bin). Indexes go under $BENCH_WORK/cmp (deleted after).
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
W=${BENCH_WORK:-/tmp/bench-work}
BIN=${BIN:-$W/bin}
LEDE=${LEDE:-$here/lede}
corpus=$1; shift
[ $# -gt 0 ] || set -- sqlite_fts5 lucene
insize=$(stat -L -c %s "$corpus")
mkdir -p "$W/cmp"
# The corpus into the page cache first: the engine that runs first would
# otherwise pay for reading it from disk (1M, 2026-11-29: lede 43.1 s
# right after other benchmarks, 31.8 s with the file cached).
cat "$corpus" > /dev/null
echo "| engine | index s | MB/s in | peak RSS MB | index MB (du) |"
echo "|---|---:|---:|---:|---:|"
for p in lede "$@"; do
	d=$W/cmp/$p
	rm -rf "$d"; mkdir -p "$d"
	sync
	if [ "$p" = lede ]; then
		/usr/bin/time -v -o "$W/cmp/$p.time" "$LEDE" index -q \
			-i "$d/ix" "$corpus" >/dev/null 2>&1
	else
		/usr/bin/time -v -o "$W/cmp/$p.time" "$BIN/$p" index \
			"$corpus" "$d" >/dev/null 2>&1
	fi
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":");
		s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' \
		"$W/cmp/$p.time")
	rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' \
		"$W/cmp/$p.time")
	mb=$(du -sk "$d" | awk '{printf "%.1f", $1 * 1024 / 1e6}')
	awk -v p="$p" -v s="$secs" -v i="$insize" -v r="$rss" -v m="$mb" \
		'BEGIN { printf "| %s | %.1f | %.2f | %d | %s |\n", p, s,
		i / 1e6 / s, r, m }'
	if [ "$p" = lede ]; then
		"$LEDE" stats -i "$d/ix" > "$W/cmp/lede.stats"
	fi
	rm -rf "$d"
done
