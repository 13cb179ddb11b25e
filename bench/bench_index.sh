#!/bin/sh
# Indexing benchmark: throughput, peak memory and index size of lede on
# the real news corpora and on the synthetic 1M corpus from ../shared.
#
#   sh bench/bench_index.sh [news|syn1m|syn300k|all]   (default: news)
#
# Corpora are built under $BENCH_WORK (default /tmp/bench-work/corpora),
# exactly as ../shared/bench/README.md builds them for the peers, so the
# figures can be put beside ../shared/bench/PEERS.md. Run the peers in the
# same session (../shared/bench/run_peers.sh) to quote ratios.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$here/../shared}
W=${BENCH_WORK:-/tmp/bench-work}
LEDE=${LEDE:-$here/lede}
MEM=${MEM:-512}
mkdir -p "$W/corpora" "$W/lede"
which=${1:-news}

corpus() {
	case "$1" in
	news)
		f=$W/corpora/news.jsonl
		[ -s "$f" ] || cat "$SHARED"/data/news/reuters21578-0*.jsonl \
			"$SHARED"/data/news/bbc.jsonl \
			"$SHARED"/data/news/20news-bydate-0*.jsonl > "$f" ;;
	syn1m)
		f=$W/corpora/syn1m.jsonl
		[ -s "$f" ] || python3 "$SHARED/tools/gen_corpus.py" \
			--docs 1000000 --seed 42 --out "$f" ;;
	syn300k)
		f=$W/corpora/syn300k.jsonl
		[ -s "$f" ] || { corpus syn1m >/dev/null;
			head -n 300000 "$W/corpora/syn1m.jsonl" > "$f"; } ;;
	esac
	echo "$f"
}

run() {
	name=$1
	f=$(corpus "$name")
	ix=$W/lede/$name
	rm -rf "$ix"
	/usr/bin/time -v "$LEDE" index -q --mem "$MEM" -i "$ix" "$f" \
		2> "$W/lede/$name.time"
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, p, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
		"$W/lede/$name.time")
	rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' \
		"$W/lede/$name.time")
	cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2}
		END {print u + s}' "$W/lede/$name.time")
	"$LEDE" stats -i "$ix" > "$W/lede/$name.stats"
	docs=$(awk '/^documents:/ {print $2}' "$W/lede/$name.stats")
	postings=$(awk '/^postings:/ {print $2}' "$W/lede/$name.stats")
	pbytes=$(awk '/^postings bytes:/ {print $3}' "$W/lede/$name.stats")
	posbytes=$(awk '/^positions bytes:/ {print $3}' "$W/lede/$name.stats")
	inv=$(awk '/^inverted index:/ {print $3}' "$W/lede/$name.stats")
	insize=$(stat -c %s "$f")
	total=$(du -sk "$ix" | awk '{print $1 * 1024}')
	awk -v n="$name" -v s="$secs" -v d="$docs" -v in_b="$insize" \
	    -v r="$rss" -v c="$cpu" -v t="$total" -v inv="$inv" \
	    -v p="$postings" -v pb="$pbytes" -v pos="$posbytes" 'BEGIN {
		printf "| %s | %d | %.1f | %.0f | %.2f | %d | %.1f | %.1f | %.1f | %.2f | %.1f |\n",
		n, d, s, d / s, in_b / 1e6 / s, r, c, t / 1e6, inv / 1e6,
		pb / p, pos / 1e6 }'
}

echo "| corpus | docs | index s | docs/s | MB/s in | peak RSS MB | CPU s | index MB (du) | inverted MB (post+blocks+pos pages) | bytes/posting (values) | positions MB (values) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
case "$which" in
all) run news; run syn1m ;;
*) run "$which" ;;
esac
