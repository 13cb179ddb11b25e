#!/bin/sh
# Query latency of lede and of peers from ../shared/bench on the same
# corpus and query set, in one run: per engine p50 / p99 / mean in
# microseconds, overall and per query class (T1 one word, T2 two, T3
# three or four), top 10, the last of several passes (below), one
# thread.
#
#   sh bench/compare_search.sh CORPUS.jsonl QUERIES.tsv [peer ...]
#
# Indexes are built once under $BENCH_WORK/sidx/<engine>-<corpus name>
# and kept (delete them to rebuild). Peers must be built first:
# bash ../shared/bench/build.sh. LEDE_SEARCH_OPTS are extra lede search
# options (through the peer adapter's LEDE_OPTS).
#
# Passes: the harness times the second of two, but Lucene's JIT keeps
# gaining well past 2,000 queries (news, 2026-11-29: p50 / p99 146 / 786
# µs after 2 passes, 112 / 349 after 10), so the peers run PEER_PASSES
# passes (default 10) and the last is timed, the benefit of the doubt
# going to them. lede runs its two passes in one process (--passes 2),
# as each peer runs its passes: until 2026-11-29 it ran each pass in a
# process of its own, whose first queries paid for a cold process
# (mapping the index's pages, cold caches): news T2 / T3 p99 117 / 158
# µs in a fresh process, 92 / 135 in the second pass of one.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
W=${BENCH_WORK:-/tmp/bench-work}
BIN=${BIN:-$W/bin}
LEDE=${LEDE:-$here/lede}
K=${K:-10}
PEER_PASSES=${PEER_PASSES:-10}
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
		# two passes in one process, the second timed, as the
		# peers run theirs
		"$LEDE" search -i "$d/ix" --batch "$queries" -n "$K" \
			--passes 2 --latency "$lat" >/dev/null
	else
		"$BIN/$p" query "$d" "$queries" "$K" "$PEER_PASSES" "$lat" \
			>/dev/null 2>&1
	fi
	python3 "$here/bench/latstats.py" row "$p" "$lat"
	lats="$lats $p=$lat"
done
# the target's view: the fastest peer's figure over lede's, per column
[ $# -gt 0 ] && python3 "$here/bench/latstats.py" ratios $lats
