#!/bin/sh
# Query latency of lede by query class, top 10 and top 10 with the exact
# total (--count), in microseconds: mean, p50, p99. The classes:
#   T1, T2, T3  the harness's plain queries (one, two, three or four
#               words, OR-ed and ranked), as compare_search.sh runs them
#   AND         the T2 and T3 queries with every word required (+word)
#   phrase      the harness's phrases.tsv (two adjacent title words),
#               quoted: "word word"
# One thread, timed in-process around the search (--latency), the second
# of two passes in one process (--passes 2), as the peers are timed. The
# peers of ../shared/bench turn every query into plain words, so AND and
# phrase queries run on them through bench/peers/ (LuceneClasses.java,
# xapian_classes.cc: the same index, analyzer and timed region as the
# harness's peer, every word required or the words quoted), when the
# harness's peers are built and compare_search.sh has built their index
# of this corpus. A peer's figure is the last of enough passes that
# 10,000 queries warm it first (the harness warms on 1,000; Lucene's JIT
# keeps gaining past a few thousand, and the benefit of the doubt goes
# to the peer). Lucene 4.10 counts every match of every search, so its
# figure is set against lede's with the count as well; Xapian's get_mset
# only estimates. compare_search.sh gives the side-by-side figures for
# T1-T3.
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

echo "lede on $name: µs, one thread, second of two passes in one process"
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
		# shellcheck disable=SC2086
		"$LEDE" search -i "$ix" --batch "$f" $flags --passes 2 \
			--latency "$tmp/lat" > /dev/null
		cp "$tmp/lat" "$tmp/$c.$mode.lat"
		set -- $(stats "$tmp/lat")
		row="$row | $1 | $2 | $3"
	done
	echo "$row |"
done

# AND and phrase on the peers, and the ratios: the fastest peer's p50
# and p99 over lede's.
BIN=${BIN:-$W/bin}
LJ=${LUCENE_JARS:-/usr/share/java}
LCP=$LJ/lucene-core-4.10.4.jar:$LJ/lucene-analyzers-common-4.10.4.jar
LCP=$LCP:$LJ/lucene-queryparser-4.10.4.jar
PB=$W/bin/lede-peers
mkdir -p "$PB"
peers=
if [ -d "$W/sidx/lucene-$name" ] && [ -f "$LJ/lucene-core-4.10.4.jar" ] &&
	javac -nowarn -d "$PB" -cp "$LCP" "$here/bench/peers/LuceneClasses.java" \
		2>/dev/null; then
	peers="$peers lucene"
fi
if [ -d "$W/sidx/xapian-$name" ] && command -v xapian-config >/dev/null &&
	g++ -O2 -std=c++17 -o "$PB/xapian_classes" \
		"$here/bench/peers/xapian_classes.cc" \
		$(xapian-config --cxxflags --libs) 2>/dev/null; then
	peers="$peers xapian"
fi
if [ -z "$peers" ]; then
	echo
	echo "no peer index of $name (compare_search.sh builds them): AND and phrase on lede alone"
	exit 0
fi
echo
echo "AND and phrase on the peers (µs, top 10; Lucene counts every match):"
echo
echo "| class | engine | mean | p50 | p99 |"
echo "|---|---|---:|---:|---:|"
for c in AND phrase; do
	f=$tmp/$c.tsv
	nq=$(wc -l < "$f")
	passes=$(( (10000 + nq - 1) / nq + 1 ))
	mode=and
	[ "$c" = phrase ] && mode=phrase
	for p in $peers; do
		if [ "$p" = lucene ]; then
			java -cp "$PB:$LCP" LuceneClasses $mode "$W/sidx/lucene-$name" \
				"$f" 10 $passes "$tmp/$c.$p.lat"
		else
			"$PB/xapian_classes" $mode "$W/sidx/xapian-$name" \
				"$f" 10 $passes "$tmp/$c.$p.lat"
		fi
		set -- $(stats "$tmp/$c.$p.lat")
		echo "| $c | $p | $1 | $2 | $3 |"
	done
done
echo
echo "| class | fastest peer / lede, p50 | p99 | Lucene / lede with count, p50 | p99 |"
echo "|---|---:|---:|---:|---:|"
for c in AND phrase; do
	set -- $(stats "$tmp/$c.top.lat")
	l50=$2 l99=$3
	set -- $(stats "$tmp/$c.count.lat")
	c50=$2 c99=$3
	b50= b99=
	for p in $peers; do
		set -- $(stats "$tmp/$c.$p.lat")
		if [ -z "$b50" ] || [ "${2%.*}" -lt "${b50%.*}" ]; then b50=$2; fi
		if [ -z "$b99" ] || [ "${3%.*}" -lt "${b99%.*}" ]; then b99=$3; fi
		[ "$p" = lucene ] && lu50=$2 lu99=$3
	done
	cnt="- | -"
	if [ -n "${lu50:-}" ]; then
		cnt=$(awk -v a="$lu50" -v b="$c50" -v x="$lu99" -v y="$c99" \
			'BEGIN { printf "%.1fx | %.1fx", a / b, x / y }')
	fi
	awk -v a="$b50" -v b="$l50" -v x="$b99" -v y="$l99" -v c="$c" -v n="$cnt" \
		'BEGIN { printf "| %s | %.1fx | %.1fx | %s |\n", c, a / b, x / y, n }'
done
