#!/bin/sh
# make eval: ranking quality of lede on the test collections in
# ../shared/data/eval (cranfield, cisi), printed as a table next to the
# peers' figures from ../shared/bench/PEERS.md.
#
#   sh bench/eval.sh [SEARCH OPTIONS...]    e.g. --k1 1.0 --b 0.6
#
# Each collection is indexed once into $EVAL_WORK/<name> (reused while
# docs.jsonl and ./lede are unchanged), its topics run as plain words (as
# the peers take them), top 1000, with lede's defaults ("lede") and with
# pseudo-relevance feedback ("lede+rm3", --rm3), and scored with
# ../shared/tools/trec_eval.py.
set -eu
LEDE=${LEDE:-./lede}
DATA=${EVAL_DATA:-../shared/data/eval}
TOOLS=${EVAL_TOOLS:-../shared/tools}
PEERS=${EVAL_PEERS:-../shared/bench/PEERS.md}
WORK=${EVAL_WORK:-/tmp/lede-eval}
mkdir -p "$WORK"
if [ ! -d "$DATA/cranfield" ]; then
	echo "eval: no test collections at $DATA" >&2
	exit 2
fi
printf '%-10s %-12s %8s %8s %8s %8s\n' collection engine MAP nDCG@10 P@10 R@100
for c in cranfield cisi; do
	ix="$WORK/$c"
	stamp="$WORK/$c.stamp"
	if [ ! -f "$stamp" ] || [ "$DATA/$c/docs.jsonl" -nt "$stamp" ] ||
	   [ "$LEDE" -nt "$stamp" ]; then
		rm -rf "$ix"
		"$LEDE" index -q -i "$ix" "$DATA/$c/docs.jsonl" >/dev/null
		touch "$stamp"
	fi
	for cfg in lede lede+rm3; do
		extra=
		[ "$cfg" = lede+rm3 ] && extra=--rm3
		"$LEDE" search -i "$ix" --batch "$DATA/$c/topics.tsv" -n 1000 \
			--run-tag lede $extra "$@" >"$WORK/$c.$cfg.run"
		python3 "$TOOLS/trec_eval.py" "$DATA/$c/qrels.txt" \
			"$WORK/$c.$cfg.run" |
		awk -v c="$c" -v e="$cfg" '
			$1 == "MAP" { m = $3 } $1 == "nDCG@10" { n = $3 }
			$1 == "P@10" { p = $3 } $1 == "Recall@100" { r = $3 }
			END { printf "%-10s %-12s %8s %8s %8s %8s\n", c, e, m, n, p, r }'
	done
	if [ -f "$PEERS" ]; then
		awk -v c="$c" '
			/^### / { on = ($2 == c) }
			on && /^\| [a-z]/ && $2 != "peer" {
				split($0, f, "|")
				gsub(/ /, "", f[2]); gsub(/ /, "", f[3])
				gsub(/ /, "", f[4]); gsub(/ /, "", f[5])
				gsub(/ /, "", f[6])
				printf "%-10s %-12s %8s %8s %8s %8s\n", c, f[2], f[3], f[4], f[5], f[6]
			}' "$PEERS"
	fi
done
