#!/bin/sh
# End-to-end tests of `lede search` on a small fresh index: the query
# language, filters, sorting, JSON, --explain, --count, exit statuses,
# snippets and hostile queries. Prints "N passed, N failed".
#
# LEDE names the binary (default ./lede).
LEDE=${LEDE:-$PWD/lede}
T=$(mktemp -d /tmp/lede-e2e-search.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect "description" "pattern" file
expect() {
	if grep -q -E -- "$2" "$3"; then ok; else
		bad "$1 (no /$2/ in:)"; sed 's/^/    /' "$3" | head -20; fi
}
expect_not() {
	if grep -q -E -- "$2" "$3"; then
		bad "$1 (/$2/ found in:)"; sed 's/^/    /' "$3" | head -20
	else ok; fi
}
# status "description" want command...
status() {
	d=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		bad "$d (exit $got, want $want)"; head -5 "$T/err"; fi
}
# ids "description" "id id ..." query...: the hit ids, in order
ids() {
	d=$1 want=$2; shift 2
	got=$("$LEDE" search -i "$IX" --json "$@" 2>"$T/err" | python3 -c '
import json, sys
print(" ".join(h["id"] for h in json.load(sys.stdin)["hits"]))' 2>>"$T/err")
	if [ "$got" = "$want" ]; then ok; else
		bad "$d: got '$got', want '$want'"; head -3 "$T/err"; fi
}

# idset "description" "id id ..." query...: the hit ids, in any order
idset() {
	d=$1 want=$2; shift 2
	got=$("$LEDE" search -i "$IX" --json "$@" 2>"$T/err" | python3 -c '
import json, sys
print(" ".join(sorted(h["id"] for h in json.load(sys.stdin)["hits"])))' 2>>"$T/err")
	if [ "$got" = "$want" ]; then ok; else
		bad "$d: got '$got', want '$want'"; head -3 "$T/err"; fi
}

IX=$T/ix
cat > "$T/a.jsonl" <<'EOF'
{"id":"k1","title":"Khashoggi killing: Saudi Arabia accused","date":"2018-10-20","body":"Jamal Khashoggi was killed in the Saudi consulate in Istanbul. The Saudi government denied it for weeks."}
{"id":"k2","title":"UN report on Khashoggi","date":"2019-06-19","body":"A UN expert said there is credible evidence about the killing of Jamal Khashoggi. Investigators want sanctions."}
{"id":"k3","title":"Turkey and the journalist","date":"2019-02-07","body":"Turkish officials discussed the murder of journalist Jamal Khashoggi with investigators."}
{"id":"n1","title":"NSO sued by Apple over Pegasus","date":"2021-11-23","body":"Apple filed a lawsuit against NSO Group, the maker of the Pegasus spyware, seeking to bar it from Apple devices."}
{"id":"n2","title":"Pegasus spyware found on phones","date":"2021-07-18","body":"Researchers found Pegasus on phones of journalists. NSO denied wrongdoing. Sanctioned firms face scrutiny."}
{"id":"o1","title":"Oil prices rise","date":"2020-01-05","body":"Oil prices rose as OPEC cut output. Brent crude gained two percent."}
{"id":"o2","title":"OPEC meets in Vienna","date":"2020-03-06","body":"OPEC ministers met in Vienna to discuss output cuts and oil prices."}
{"id":"x1","title":"<script>alert(1)</script> headline","date":"","body":"An article whose title tries an injection: zanzibarword."}
{"id":"p1","title":"Prefix words","date":"2017-04-01","body":"The sanctioning body sanctioned a sanctuary. Sandwich shops sell sandwiches."}
EOF
"$LEDE" index -q -i "$IX" "$T/a.jsonl" >/dev/null 2>&1 || bad "index fixture"

# ranked words
ids "ranked disjunction puts the doc with both words first" "n1 n2" nso apple
ids "plain words" "o1 o2" brent oil
# required / excluded
ids "+required" "n1" +apple pegasus
ids "-excluded" "n2" pegasus -apple
ids "NOT" "n2" pegasus NOT apple
ids "AND" "n1" pegasus AND apple
ids "OR" "o1 n1" brent OR lawsuit
ids "group excluded" "k3" 'khashoggi -(saudi OR UN)'
ids "lone exclusion matches nothing" "" -- -saudi
# phrases
ids "phrase" "k3" '"journalist jamal"'
ids "phrase order matters" "" '"jamal journalist"'
idset "phrase and exclusion" "k1 k3" '"jamal khashoggi" -UN'
ids "phrase with stopword" "k1" '"killed in the saudi"'
ids "hyphen word as phrase" "" '"saudi-jamal"'
# title field
ids "title:word" "k2" 'title:UN'
ids "title:phrase" "n2" 'title:"spyware found"'
ids "title phrase order" "" 'title:"found spyware"'
# prefix
ids "prefix" "p1" 'sandwich*'
idset "prefix expands" "k2 n2 p1" 'sanction*'
ids "prefix: the most matches first" "p1" -n 1 'sanction*'
# filters and sort
ids "from:" "n1" 'pegasus from:2021-08'
ids "to:" "n2" 'pegasus to:2021-10-31'
idset "from:/to: year" "k2 k3" 'khashoggi from:2019 to:2019'
ids "--from flag" "k2" --from 2019-03 khashoggi
ids "sort:date" "k2 k3 k1" 'khashoggi sort:date'
ids "--sort date" "o2 o1" --sort date oil
ids "-n and --offset" "k1" -n 1 --offset 2 'khashoggi sort:date'
# stemming: the query word and the article word meet in their stem
idset "stemmed" "k2 n2 p1" sanctioned
# forgiving parsing
idset "unbalanced quote" "k1 k2 k3" '"jamal khashoggi saudi'
ids "unbalanced paren" "o1" '(brent'
ids "dangling operator" "o1" 'brent AND'
"$LEDE" search -i "$IX" --count 'brent and' >"$T/out" 2>&1
expect "lowercase and is a word" "^3$" "$T/out"

# exit statuses
status "hits: exit 0" 0 "$LEDE" search -i "$IX" oil
status "no hits: exit 1" 1 "$LEDE" search -i "$IX" nonexistentword
status "no index: exit 2" 2 "$LEDE" search -i "$T/none" oil
q=$(python3 -c 'print("word " * 300)')
status "over the byte cap: exit 2" 2 "$LEDE" search -i "$IX" "$q"
expect "cap message" "too long" "$T/err"
q=$(python3 -c 'print(" ".join("w%d" % i for i in range(70)))')
status "over the word cap: exit 2" 2 "$LEDE" search -i "$IX" "$q"
status "bad --from" 2 "$LEDE" search -i "$IX" --from 2019-13 oil
status "bad --sort" 2 "$LEDE" search -i "$IX" --sort size oil
status "bad --k1" 2 "$LEDE" search -i "$IX" --k1 x oil

# --count: the exact total
"$LEDE" search -i "$IX" --count khashoggi >"$T/out" 2>&1
expect "--count" "^3$" "$T/out"
"$LEDE" search -i "$IX" --count 'oil OR pegasus' >"$T/out" 2>&1
expect "--count of a disjunction" "^4$" "$T/out"
"$LEDE" search -i "$IX" --count 'khashoggi from:2019' >"$T/out" 2>&1
expect "--count with a filter" "^2$" "$T/out"

# terminal output: rank, date, title, id, score, snippet
"$LEDE" search -i "$IX" pegasus lawsuit >"$T/out" 2>"$T/err"
expect "hit line" "^ +1\. 2021-11-23  NSO sued by Apple over Pegasus  \[n1\]  [0-9.]+$" "$T/out"
expect "snippet line" "^     .*lawsuit against NSO" "$T/out"
expect "result count on stderr" "^2 results \([0-9.]+ ms\)" "$T/err"
expect_not "no ANSI when not a terminal" "$(printf '\033')" "$T/out"
"$LEDE" search -i "$IX" zanzibarword >"$T/out" 2>&1
expect "title printed as text" "<script>alert\(1\)</script> headline" "$T/out"
expect "an undated hit shows -" "^ +1\. -  " "$T/out"

# --json
"$LEDE" search -i "$IX" --json 'sanctions' >"$T/j" 2>"$T/err"
python3 - "$T/j" >"$T/out" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["query"] == "sanctions", r["query"]
assert r["total"] == 3, r["total"]
assert isinstance(r["took_ms"], (int, float))
assert len(r["hits"]) == 3
for h in r["hits"]:
    for f in ("rank", "id", "title", "date", "url", "score", "snippet",
              "highlights"):
        assert f in h, f
    words = [h["snippet"].encode()[s:e].decode() for s, e in h["highlights"]]
    assert words, h
    for w in words:
        assert w.lower().startswith("sanction"), words
n2 = [h for h in r["hits"] if h["id"] == "n2"][0]
assert n2["date"] == "2021-07-18"
assert "Sanctioned" in [n2["snippet"].encode()[s:e].decode()
                        for s, e in n2["highlights"]]
print("json ok")
EOF
expect "--json fields and highlight offsets" "json ok" "$T/out"

# --explain: each term's part, summing to the score
"$LEDE" search -i "$IX" --json --explain 'nso apple' >"$T/j" 2>"$T/err"
python3 - "$T/j" >"$T/out" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
h = r["hits"][0]
assert h["id"] == "n1"
terms = [p["term"] for p in h["explain"]]
assert "nso" in terms and "appl" in terms, terms
s = sum(p["score"] for p in h["explain"])
assert abs(s - h["score"]) < 1e-3 * max(1, s), (s, h["score"])
print("explain ok")
EOF
expect "--explain parts sum to the score" "explain ok" "$T/out"
"$LEDE" search -i "$IX" --explain 'nso apple' >"$T/out" 2>&1
expect "--explain on the terminal" "nso +tf [0-9]" "$T/out"

# per-query and per-index BM25 settings change scores
s1=$("$LEDE" search -i "$IX" --json oil | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["score"])')
s2=$("$LEDE" search -i "$IX" --json --k1 2.0 --b 0.2 oil | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["score"])')
if [ "$s1" != "$s2" ]; then ok; else bad "--k1/--b change the score"; fi
"$LEDE" index -q -i "$IX" --k1 2.0 --b 0.2 "$T/a.jsonl" >/dev/null 2>&1
s3=$("$LEDE" search -i "$IX" --json oil | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["score"])')
if [ "$s3" = "$s2" ]; then ok; else bad "index settings: $s3 vs $s2"; fi
"$LEDE" stats -i "$IX" >"$T/out" 2>&1
expect "stats shows the stored ranking" "^ranking: +BM25 k1 2, b 0.2," "$T/out"
"$LEDE" index -q -i "$IX" --k1 1.2 --b 0.75 "$T/a.jsonl" >/dev/null 2>&1

# batch: plain words by default, the query language with --syntax
printf 'q1\tpegasus -apple\nq2\t"journalist jamal"\n' >"$T/topics.tsv"
"$LEDE" search -i "$IX" --batch "$T/topics.tsv" -n 10 --run-tag t \
	--latency "$T/lat" >"$T/run" 2>"$T/err"
expect "batch run line" "^q1 Q0 n1 [12] [0-9.]+ t$" "$T/run"
expect "batch ignores operators" "^q1 Q0 n2 " "$T/run"
expect "latency lines" "^q1	[0-9]+	2$" "$T/lat"
"$LEDE" search -i "$IX" --batch "$T/topics.tsv" --stats >/dev/null 2>"$T/err"
expect "--stats: postings decoded of the total" "^2 queries: [0-9]+ of [0-9]+ postings decoded" "$T/err"
# --passes: the same run written once, a latency line a query
"$LEDE" search -i "$IX" --batch "$T/topics.tsv" -n 10 --run-tag t \
	--passes 3 --latency "$T/lat3" >"$T/run3" 2>"$T/err"
if cmp -s "$T/run" "$T/run3"; then ok; else bad "--passes 3 run differs"; fi
if [ "$(wc -l <"$T/lat3")" -eq 2 ]; then ok; else
	bad "--passes 3 latency lines: $(wc -l <"$T/lat3")"; fi
status "--passes 0 refused" 2 "$LEDE" search -i "$IX" --batch "$T/topics.tsv" --passes 0
expect "--passes 0 says why" "--passes wants a number from 1 to 100" "$T/err"
cat "$T/topics.tsv" | "$LEDE" search -i "$IX" --batch /dev/stdin --passes 2 \
	>"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ]; then ok; else bad "--passes 2 on a pipe: exit $rc"; fi
expect "--passes on a pipe says why" "reads '/dev/stdin' again, and cannot" "$T/err"
"$LEDE" search -i "$IX" --batch "$T/topics.tsv" --syntax >"$T/run" 2>&1
expect_not "--syntax applies -apple" "^q1 Q0 n1 " "$T/run"
expect "--syntax phrase" "^q2 Q0 k3 1 " "$T/run"

# hostile queries never crash
for q in '((((((((((' '""""""' 'AND OR NOT' '+ - * :' 'title:' 'from:' \
	 'sort:' '*' 'a*' '"' ')' "$(printf 'caf\303\251 \377\376 oil')" \
	 'from:0000-00-00' 'to:9999-99-99 oil' 'title:"" oil' '-(-(-oil))'; do
	"$LEDE" search -i "$IX" -- "$q" >/dev/null 2>"$T/err"
	rc=$?
	if [ "$rc" -le 1 ]; then ok; else bad "query '$q' exit $rc"; head -3 "$T/err"; fi
done
# a deleted document is never found
"$LEDE" rm -i "$IX" o1 >/dev/null 2>&1
ids "deleted doc gone" "o2" oil
"$LEDE" search -i "$IX" --count oil >"$T/out" 2>&1
expect "count excludes deleted" "^1$" "$T/out"

echo "e2e_search: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
