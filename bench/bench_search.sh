#!/bin/sh
# Query latency of lede by query class, top 10 and top 10 with the exact
# total (--count), in microseconds: mean, p50, p99. The classes:
#   T1, T2, T3  the harness's plain queries (one, two, three or four
#               words, OR-ed and ranked), as compare_search.sh runs them
#   AND         the T2 and T3 queries with every word required (+word)
#   phrase      the harness's phrases.tsv (two adjacent title words),
#               quoted: "word word"
# One thread, timed in-process around the search (--latency), the second
# of two passes, as the peers are timed. The peers of ../shared/bench
# turn every query into plain words, so AND and phrase queries run on
# lede alone: compare_search.sh gives the side-by-side figures for T1-T3.
#
#   sh bench/bench_search.sh CORPUS.jsonl QUERY_DIR
#
# QUERY_DIR holds queries.tsv and phrases.tsv (../shared/bench/queries/
# syn1m, say). The index is $BENCH_WORK/sidx/lede-<corpus name>/ix, the
# one compare_search.sh builds; it is built here when missing.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
W=${BENCH_WORK:-/tmp/bench-work}
LEDE=${LEDE:-$here/lede}
corpus=$1 qdir=$2
[ -f "$corpus" ] && [ -f "$qdir/queries.tsv" ] && [ -f "$qdir/phrases.tsv" ] ||
	{ echo "usage: sh bench/bench_search.sh CORPUS.jsonl QUERY_DIR" >&2; exit 2; }
name=$(basename "$corpus" .jsonl)
ix=$W/sidx/lede-$name/ix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -d "$ix" ]; then
	mkdir -p "$(dirname "$ix")"
	"$LEDE" index -q -i "$ix" "$corpus" >/dev/null 2>&1
fi

# One query file per class; AND and phrase in the query language.
for c in T1 T2 T3; do
	grep "^$c-" "$qdir/queries.tsv" > "$tmp/$c.tsv" || true
done
awk -F '\t' '$1 ~ /^T[23]-/ {
	n = split($2, w, " "); q = "";
	for (i = 1; i <= n; i++) q = q (i > 1 ? " " : "") "+" w[i];
	print "A" $1 "\t" q }' "$qdir/queries.tsv" > "$tmp/AND.tsv"
awk -F '\t' 'NF >= 2 { print $1 "\t\"" $2 "\"" }' "$qdir/phrases.tsv" \
	> "$tmp/phrase.tsv"

# mean p50 p99 of the latency file's second column (nearest rank)
stats() {
	cut -f 2 "$1" | sort -n | awk '{ v[NR] = $1; s += $1 }
	END { if (!NR) { print "- - -"; exit }
	      i50 = int((NR * 50 + 99) / 100); i99 = int((NR * 99 + 99) / 100);
	      printf "%.0f %.0f %.0f\n", s / NR, v[i50], v[i99] }'
}

echo "lede alone on $name: µs, one thread, second of two passes"
echo
echo "| class | queries | top 10 mean | p50 | p99 | + exact count mean | p50 | p99 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for c in T1 T2 T3 AND phrase; do
	f=$tmp/$c.tsv
	nq=$(wc -l < "$f")
	row="| $c | $nq"
	for mode in top count; do
		flags="-n 10"
		if [ "$mode" = count ]; then flags="$flags --count"; fi
		case $c in AND|phrase) flags="$flags --syntax" ;; esac
		for pass in 1 2; do
			# shellcheck disable=SC2086
			"$LEDE" search -i "$ix" --batch "$f" $flags \
				--latency "$tmp/lat" > /dev/null
		done
		set -- $(stats "$tmp/lat")
		row="$row | $1 | $2 | $3"
	done
	echo "$row |"
done
