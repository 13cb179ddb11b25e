#!/bin/sh
# End-to-end tests of the real binary on fresh temporary indexes:
# index, re-index, edit, delete, prune, bad input, a big document, and a
# SIGKILL in the middle of a large run. Prints "N passed, N failed".
#
# LEDE names the binary (default ./lede).
LEDE=${LEDE:-$PWD/lede}
T=$(mktemp -d /tmp/lede-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check "description" command...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then ok; else bad "$d"; fi
}
check_not() {
	d=$1; shift
	if "$@" >/dev/null 2>&1; then bad "$d"; else ok; fi
}
# expect "description" "pattern" file
expect() {
	if grep -q -E -- "$2" "$3"; then ok; else
		bad "$1 (no /$2/ in:)"; sed 's/^/    /' "$3" | head -20; fi
}

IX=$T/ix
A=$T/archive
mkdir -p "$A/2021" "$A/world"

cat > "$A/2021/nso.txt" <<'EOF'
Creating new perspectives since 2009

Israel reduces cyber technologies sales amid NSO scandal

November 27, 2021 at 12:48 pm

The Israeli Ministry of Defence reduced the number of countries to which
companies can sell cyber technologies. Pegasus spyware zebrafinch.
EOF
cat > "$A/world/summit.html" <<'EOF'
<!doctype html><html><head><title>Site | Summit</title>
<meta property="og:title" content="Leaders meet at the harbour summit">
<meta property="article:published_time" content="2020-03-04T10:00:00Z">
<script>var trackingcode = 1;</script><style>.x{}</style></head>
<body><nav>Home News Sport</nav><article><h1>Leaders meet</h1>
<p>Leaders met at the harbour to talk about fishing quotas &amp; tariffs.</p>
<p>The caf&eacute; owner said quokkabird.</p></article>
<footer>copyright</footer></body></html>
EOF
cat > "$A/world/notes.md" <<'EOF'
---
title: "Markets rally on rate cut"
date: 2019-05-06
---
# Markets rally

Stocks rose sharply after the central bank cut rates. marmosetword
EOF
cat > "$A/feed.jsonl" <<'EOF'
{"id": "wire-1", "title": "Oil prices climb", "date": "1987-03-02", "body": "Crude oil prices climbed on Monday as OPEC met. pangolinterm"}
{"id": "wire-2", "title": "Wheat exports fall", "date": "1987-03-03", "body": "Wheat exports fell sharply, traders said.", "tags": ["grain"], "extra": 5}
this is not json {
{"id": "wire-3", "title": "Café society", "date": "", "body": "CAFÉ owners in Paris protest new rules."}
EOF
printf '' > "$A/empty.txt"
printf 'GIF89a\000\001\002\003binary\000junk' > "$A/world/picture.txt"
printf 'some data' > "$A/world/data.bin"

# ---- first index ----
"$LEDE" index -q -i "$IX" "$A" > "$T/out" 2> "$T/err"
rc=$?
check "first index exits 0" test "$rc" -eq 0
expect "summary counts 6 added" "6 added, 0 replaced, 0 unchanged" "$T/err"
expect "broken json line reported with file:line" "feed.jsonl:3" "$T/err"
expect "binary file counted" "1 binary" "$T/err"
expect "unknown file type counted" "1 unknown" "$T/err"
check "check passes after first index" "$LEDE" check -i "$IX"
"$LEDE" stats -i "$IX" > "$T/stats"
expect "stats shows 6 documents" "^documents: +6$" "$T/stats"
expect "stats shows the language" "^language: +english$" "$T/stats"

# ---- searching what each reader produced ----
"$LEDE" search -i "$IX" zebrafinch > "$T/s" 2>&1
expect "txt title from the line before the date" \
	"2021-11-27  Israel reduces cyber technologies sales amid NSO scandal" "$T/s"
"$LEDE" search -i "$IX" quokkabird > "$T/s" 2>&1
expect "html og:title and published_time" \
	"2020-03-04  Leaders meet at the harbour summit" "$T/s"
check_not "html script text is not indexed" "$LEDE" search -i "$IX" trackingcode
check_not "html nav text is not indexed" "$LEDE" search -i "$IX" sport
"$LEDE" search -i "$IX" marmosetword > "$T/s" 2>&1
expect "md front matter title and date" "2019-05-06  Markets rally on rate cut" "$T/s"
"$LEDE" search -i "$IX" cafe > "$T/s" 2>&1
expect "accents folded (cafe finds Café and café)" "wire-3" "$T/s"
expect "accents folded in html (caf&eacute;)" "summit.html" "$T/s"
"$LEDE" search -i "$IX" prices > "$T/s" 2>&1
expect "stemming: prices finds 'prices' via stem" "wire-1" "$T/s"
"$LEDE" search -i "$IX" climbing > "$T/s" 2>&1
expect "stemming: climbing finds climbed" "wire-1" "$T/s"
check "search exits 0 with hits" "$LEDE" search -i "$IX" oil
check_not "search exits 1 without hits" "$LEDE" search -i "$IX" xylophonezz
LEDE_INDEX=$IX "$LEDE" search pangolinterm > "$T/s" 2>&1
expect "LEDE_INDEX selects the index" "wire-1" "$T/s"

# ---- re-index unchanged ----
"$LEDE" index -q -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "re-index: nothing changes" "0 added, 0 replaced, 6 unchanged" "$T/err"
expect "re-index: the 3 article files are not read again" \
	"3 unchanged files not read" "$T/err"

# A file is known by its size and mtime: an edit that keeps both (the
# mtime put back) is not seen, --reread sees it. Same length words.
touch -r "$A/world/summit.html" "$T/stamp"
sed -i 's/quokkabird/quokkabirx/' "$A/world/summit.html"
touch -r "$T/stamp" "$A/world/summit.html"
"$LEDE" index -q -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "size and mtime as indexed: not read" \
	"0 replaced, 6 unchanged.*3 unchanged files not read" "$T/err"
check_not "so the old text stays" "$LEDE" search -i "$IX" quokkabirx
"$LEDE" index -q --reread -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "--reread reads every file" "0 added, 1 replaced, 5 unchanged" "$T/err"
check_not "--reread: nothing counted as not read" \
	grep -q "files not read" "$T/err"
check "--reread: the edit is found" "$LEDE" search -i "$IX" quokkabirx
# touched, same text: read once (unchanged), its new mtime kept, then
# not read again
touch -d '2001-02-03 04:05:06.123456789' "$A/world/notes.md"
"$LEDE" index -q -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "touched: read, unchanged" \
	"0 replaced, 6 unchanged.*2 unchanged files not read" "$T/err"
"$LEDE" index -q -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "touched: its new mtime is kept" \
	"0 replaced, 6 unchanged.*3 unchanged files not read" "$T/err"
check "check passes with file stats" "$LEDE" check -i "$IX"

# ---- edit one file ----
sed -i 's/zebrafinch/wombatcase/' "$A/2021/nso.txt"
"$LEDE" index -q -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "edit: one replaced" "0 added, 1 replaced, 5 unchanged" "$T/err"
check_not "edit: old text no longer found" "$LEDE" search -i "$IX" zebrafinch
check "edit: new text found" "$LEDE" search -i "$IX" wombatcase
check "check passes after an edit" "$LEDE" check -i "$IX"
"$LEDE" search -i "$IX" pegasus > "$T/s" 2>&1
expect "edit: the replaced article is listed once" "^1 result " "$T/s"

# ---- rm ----
check "rm an id" "$LEDE" rm -i "$IX" wire-1
check_not "rm: text gone" "$LEDE" search -i "$IX" pangolinterm
check_not "rm of an unknown id fails" "$LEDE" rm -i "$IX" no-such-id
"$LEDE" stats -i "$IX" > "$T/stats"
expect "rm: 5 documents left" "^documents: +5$" "$T/stats"
check "check passes after rm" "$LEDE" check -i "$IX"

# ---- prune ----
rm "$A/world/notes.md"
"$LEDE" index -q --prune -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "prune: one deleted" "1 deleted" "$T/err"
expect "prune: the files not read count as seen" "files not read" "$T/err"
check "prune: an article not read stays" "$LEDE" search -i "$IX" wombatcase
check_not "prune: text of the gone file not found" "$LEDE" search -i "$IX" marmosetword
# wire-1 was removed by rm; the feed still has it, so it comes back
expect "prune run re-adds wire-1 from the feed" "1 added" "$T/err"
check "check passes after prune" "$LEDE" check -i "$IX"

# prune also drops articles removed from a JSONL file that is still there
grep -v '"wire-2"' "$A/feed.jsonl" > "$T/feed.tmp" && mv "$T/feed.tmp" "$A/feed.jsonl"
"$LEDE" index -q --prune -i "$IX" "$A" 2> "$T/err" >/dev/null
expect "prune: a line gone from a JSONL file is deleted" "1 deleted" "$T/err"
check_not "prune: its text is gone" "$LEDE" search -i "$IX" wheat
check "prune: the rest of the feed stays" "$LEDE" search -i "$IX" pangolinterm
check "check passes after a JSONL prune" "$LEDE" check -i "$IX"
# the same through a root spelled differently (T//archive/ is A)
grep -v '"wire-3"' "$A/feed.jsonl" > "$T/feed.tmp" && mv "$T/feed.tmp" "$A/feed.jsonl"
"$LEDE" index -q --prune -i "$IX" "$T//archive/" 2> "$T/err" >/dev/null
expect "prune through T//archive/: the removed line is deleted" \
	"0 added, 0 replaced, [0-9]+ unchanged, 1 deleted" "$T/err"

# ---- the progress line, on a terminal only ----
if command -v script >/dev/null 2>&1; then
	script -q -c "$LEDE index -i $T/ixtty $A" "$T/tty.log" \
		</dev/null >/dev/null 2>&1
	expect "a terminal gets the progress line" \
		"[0-9]+ documents, [0-9]+ docs/s, [0-9.]+ MB/s" "$T/tty.log"
	expect "and the summary after it" "indexed [0-9]+ documents in" "$T/tty.log"
	"$LEDE" index -i "$T/ixtty2" "$A" 2> "$T/notty.log" >/dev/null
	check_not "no progress line without a terminal" \
		grep -q -E "[0-9]+ documents, [0-9]+ docs/s" "$T/notty.log"
fi

# ---- compact ----
"$LEDE" compact -i "$IX" > "$T/c" 2>&1
expect "compact reports its work" "compacted [0-9]+ terms" "$T/c"
check "check passes after compact" "$LEDE" check -i "$IX"
check "search after compact" "$LEDE" search -i "$IX" wombatcase
check_not "deleted stays deleted after compact" "$LEDE" search -i "$IX" zebrafinch

# ---- positions of codec 2 beside tombstoned documents ----
# 300 articles of different lengths share the phrase "amber lantern",
# so its 3 blocks mix live and deleted articles. Codec 2 positions need
# every article's length, the deleted ones' from the "dead" table until
# compact drops their postings.
D=$T/ixdead
awk 'BEGIN { for (i = 1; i <= 300; i++) {
	b = "";
	for (j = 0; j < i % 37; j++) b = b "filler" j " ";
	b = b "the amber lantern glows";
	for (j = 0; j < i % 11; j++) b = b " tail" j;
	printf "{\"id\":\"d%d\",\"title\":\"note %d\",\"body\":\"%s\"}\n", i, i, b;
} }' > "$T/dead.jsonl"
"$LEDE" index -q -i "$D" "$T/dead.jsonl" 2>/dev/null
"$LEDE" stats -i "$D" > "$T/ds" 2>&1
expect "positions use the interpolative codec" "[1-9][0-9]* interpolative" "$T/ds"
check "rm five articles across the blocks" "$LEDE" rm -i "$D" d1 d5 d127 d200 d299
"$LEDE" stats -i "$D" > "$T/ds" 2>&1
expect "their lengths are kept" "^  dead +[0-9]+ +5\$" "$T/ds"
n=$("$LEDE" search -i "$D" --count '"amber lantern"' 2>&1)
check "phrase over blocks with deleted articles ($n = 295)" test "$n" = 295
check "check decodes those blocks" "$LEDE" check -i "$D"
"$LEDE" compact -i "$D" > /dev/null 2>&1
"$LEDE" stats -i "$D" > "$T/ds" 2>&1
expect "compact empties the dead table" "^  dead +[0-9]+ +0\$" "$T/ds"
n=$("$LEDE" search -i "$D" --count '"amber lantern"' 2>&1)
check "the phrase after compact ($n = 295)" test "$n" = 295
check "check passes after compact" "$LEDE" check -i "$D"

# ---- stdin ----
printf '{"id":"in-1","title":"From stdin","body":"capybaraword here"}\n' |
	"$LEDE" index -q -i "$IX" - 2>/dev/null
check "JSONL from stdin" "$LEDE" search -i "$IX" capybaraword

# ---- watch ----
W=$T/watched
mkdir -p "$W/sub"
echo "First story

A quiet beginning with aardvarkone." > "$W/a.txt"
"$LEDE" index -q --watch -i "$T/ixw" "$W/" 2>"$T/watch.err" &
wpid=$!
waitfor() { # waitfor 0|1 word: until search exit status is as wanted, 5 s
	i=0
	while [ $i -lt 100 ]; do
		"$LEDE" search -i "$T/ixw" "$2" >/dev/null 2>&1
		[ $? -eq "$1" ] && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
check "watch: initial files indexed" waitfor 0 aardvarkone
printf 'Second story\n\nNews of a bandicoottwo.\n' > "$W/sub/b.txt"
check "watch: a new file is searchable within seconds" waitfor 0 bandicoottwo
printf 'Second story\n\nNews of a cassowarythree.\n' > "$W/sub/b.txt.tmp"
mv "$W/sub/b.txt.tmp" "$W/sub/b.txt"
check "watch: a replaced file is re-indexed" waitfor 0 cassowarythree
check "watch: its old text is gone" waitfor 1 bandicoottwo
mkdir "$W/later"
printf 'Late\n\nA dingofour appears.\n' > "$W/later/c.txt"
check "watch: a file in a new folder is indexed" waitfor 0 dingofour
rm "$W/a.txt"
check "watch: a deleted file is removed" waitfor 1 aardvarkone
"$LEDE" index -q -i "$T/ixw" "$A" 2> "$T/err" >/dev/null
check "a second writer is refused while --watch runs" test $? -eq 1
expect "the refusal names the other process" "another lede process \\(pid $wpid\\)" "$T/err"
check_not "rm is refused too" "$LEDE" rm -i "$T/ixw" "$W/later/c.txt"
check "searches go on meanwhile" "$LEDE" search -i "$T/ixw" dingofour
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
check "check passes after watching" "$LEDE" check -i "$T/ixw"

# ---- errors ----
check_not "search on a missing index fails" "$LEDE" search -i "$T/none" oil
"$LEDE" search -i "$T/none" oil 2> "$T/err"
expect "missing index message" "cannot open index" "$T/err"
check_not "unknown language refused" "$LEDE" index -i "$T/ix2" --lang klingon "$A"
check_not "unknown option refused" "$LEDE" search -i "$IX" --bogus x
check_not "missing path fails" "$LEDE" index -q -i "$IX" "$T/nope"
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
"$LEDE" search -i "$IX" "$long" 2> "$T/err"
check "overlong query exits 2" test $? -eq 2
expect "overlong query message" "query too long" "$T/err"

# ---- another language ----
mkdir -p "$T/de"
printf '{"id":"d1","title":"Häuser","body":"Die Häuser sind groß"}\n' > "$T/de/a.jsonl"
"$LEDE" index -q -i "$T/ixde" --lang german "$T/de" 2>/dev/null
"$LEDE" stats -i "$T/ixde" > "$T/stats"
expect "german index remembers its language" "^language: +german$" "$T/stats"
check "german stemming at query time (haus finds Häuser)" "$LEDE" search -i "$T/ixde" haus

# ---- long bodies are tokenized a chunk of tokens at a time ----
# LEDE_TOK_CHUNK=3 cuts every body into chunks of 3 tokens: the index
# must come out the same (statistics, rankings, scores and phrases).
C=$(dirname "$0")/../corpus
"$LEDE" index -q -i "$T/ixch1" "$C" 2>/dev/null
LEDE_TOK_CHUNK=3 "$LEDE" index -q -i "$T/ixch3" "$C" 2>/dev/null
"$LEDE" stats -i "$T/ixch1" | grep -v "^index:" > "$T/st1"
"$LEDE" stats -i "$T/ixch3" | grep -v "^index:" > "$T/st3"
check "chunked tokens: same statistics" cmp -s "$T/st1" "$T/st3"
printf '1\tgovernment said\n2\t"the prime minister"\n3\t"said it would" -government\n4\ttitle:market shares\n5\t"in the"\n' > "$T/chq.tsv"
"$LEDE" search -i "$T/ixch1" --syntax --batch "$T/chq.tsv" -n 100 --run-tag t > "$T/run1"
"$LEDE" search -i "$T/ixch3" --syntax --batch "$T/chq.tsv" -n 100 --run-tag t > "$T/run3"
check "chunked tokens: runs not empty" test "$(wc -l < "$T/run1")" -gt 100
check "chunked tokens: same rankings and scores" cmp -s "$T/run1" "$T/run3"
check "chunked tokens: check passes" "$LEDE" check -i "$T/ixch3"

# ---- the terms written on two threads (an encoder, and a writer that
# encodes too) ----
# From --mem 128 on, a commit of 4096 terms or more without sorted runs
# encodes them on two threads, in any order, and writes them in key
# order: the index must be the one a single thread writes, for a new
# index and for a batch added to one.
if command -v mdb_dump >/dev/null 2>&1; then
	LEDE_MERGE_THREADS=1 "$LEDE" index -q -i "$T/ixone" "$C" 2>/dev/null
	mdb_dump -a "$T/ixch1" > "$T/dthree"
	mdb_dump -a "$T/ixone" > "$T/done"
	check "three-thread commit: the same new index, byte for byte" \
		sh -c "[ -s '$T/dthree' ] && cmp -s '$T/dthree' '$T/done'"
	"$LEDE" index -q -i "$T/ixb3" "$C/reuters" 2>/dev/null
	"$LEDE" index -q -i "$T/ixb3" "$C/bbc" 2>/dev/null
	LEDE_MERGE_THREADS=1 "$LEDE" index -q -i "$T/ixb1" "$C/reuters" \
		2>/dev/null
	LEDE_MERGE_THREADS=1 "$LEDE" index -q -i "$T/ixb1" "$C/bbc" \
		2>/dev/null
	mdb_dump -a "$T/ixb3" > "$T/dthree"
	mdb_dump -a "$T/ixb1" > "$T/done"
	check "three-thread commit: the same batch, byte for byte" \
		sh -c "[ -s '$T/dthree' ] && cmp -s '$T/dthree' '$T/done'"
	rm -rf "$T/ixone" "$T/ixb3" "$T/ixb1" "$T/dthree" "$T/done"
fi

# ---- a 50 MB document ----
python3 - "$T/big.jsonl" <<'EOF'
import json, sys
words = " ".join("w%d" % (i % 5000) for i in range(8_700_000))
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"id": "big-1", "title": "Huge", "body": words + " needleword"}) + "\n")
EOF
"$LEDE" index -q -i "$T/ixbig" "$T/big.jsonl" 2> "$T/err" >/dev/null
expect "50 MB document indexed" "1 added" "$T/err"
check "50 MB document searchable" "$LEDE" search -i "$T/ixbig" needleword
check "check passes on the big document" "$LEDE" check -i "$T/ixbig"

# ---- damage inside values (LMDB's own pages intact): check finds it ----
if command -v mdb_dump >/dev/null 2>&1; then
	"$LEDE" index -q -i "$T/ixdmg" "$A" 2>/dev/null
	mdb_dump -a "$T/ixdmg" > "$T/dmg.dump"
	# Cut the last byte off the longest value of the postings table and
	# print that term (its key up to the 0x00 separator).
	term=$(python3 - "$T/dmg.dump" "$T/dmg2.dump" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
db, data, idx, best = None, False, 0, None
for i, l in enumerate(lines):
    if l.startswith("database="):
        db = l[9:]
    elif l == "HEADER=END":
        data, idx = True, 0
    elif l == "DATA=END":
        data = False
    elif data and db == "post":
        if idx % 2 == 1 and (best is None or len(l) > len(lines[best])):
            best = i
        idx += 1
lines[best] = lines[best][:-2]
key = bytes.fromhex(lines[best - 1].strip())
open(sys.argv[2], "w").write("\n".join(lines))
print(key.split(b"\0")[0].lstrip(b"\1").decode())
PYEOF
)
	mkdir -p "$T/ixdmg2"
	mdb_load -f "$T/dmg2.dump" "$T/ixdmg2" 2>/dev/null
	"$LEDE" check -i "$T/ixdmg2" > "$T/chk" 2>&1
	check "check exits non-zero on a damaged block" test $? -ne 0
	expect "check names the damaged term" "'$term'" "$T/chk"
	"$LEDE" search -i "$T/ixdmg2" "$term" 2> "$T/err" >/dev/null
	check "search of a damaged term exits 2" test $? -eq 2
	expect "search of a damaged term says so" "corrupt" "$T/err"
	check "undamaged terms still searchable" "$LEDE" search -i "$T/ixdmg2" quokkabirx
fi

# ---- the map grows by itself (start it at 1 MiB) ----
printf '{"id":"m1","title":"Map","body":"small start wallabyfive"}\n' > "$T/m1.jsonl"
LEDE_MAP_MIN=1048576 "$LEDE" index -q --mem 32 -i "$T/ixmap" "$T/m1.jsonl" 2>"$T/err" >/dev/null
check "tiny map: first index" test $? -eq 0
# --mem 32 takes documents up to an eighth of 20 MB: the 50 MB one is
# refused with a clear warning, and the index keeps what it had.
LEDE_MAP_MIN=1048576 "$LEDE" index -q --mem 32 -i "$T/ixmap" "$T/big.jsonl" 2>"$T/err" >/dev/null
check "--mem 32: a 50 MB document is a warning, not a failure" test $? -eq 0
expect "--mem 32: the document is refused with its file:line" \
	"big.jsonl:1: line over [0-9]+ bytes, skipped \(a larger --mem takes longer documents\)" "$T/err"
expect "--mem 32: and counted" "1 too big" "$T/err"
check_not "--mem 32: none of it indexed" "$LEDE" search -i "$T/ixmap" needleword
check "--mem 32: the index keeps what it had" "$LEDE" search -i "$T/ixmap" wallabyfive
LEDE_MAP_MIN=1048576 "$LEDE" index -q --mem 400 -i "$T/ixmap" "$T/big.jsonl" 2>"$T/err" >/dev/null
rc=$?
check "tiny map: a 50 MB document in a batch grows the map" test $rc -eq 0
expect "tiny map: the document is added" "1 added" "$T/err"
check_not "tiny map: no map-full error" grep -q -i "full" "$T/err"
check "tiny map: the big document searchable" "$LEDE" search -i "$T/ixmap" needleword
check "tiny map: the first document searchable" "$LEDE" search -i "$T/ixmap" wallabyfive
check "tiny map: check passes" "$LEDE" check -i "$T/ixmap"

# ---- SIGKILL in the middle of a large run ----
python3 - "$T/many.jsonl" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        body = " ".join("filler%d" % ((i * 7 + j) % 3000) for j in range(120))
        f.write('{"id": "k%d", "title": "Doc %d", "body": "uniq%d %s"}\n' % (i, i, i, body))
EOF
head -n 10 "$T/many.jsonl" > "$T/feedsmall.jsonl"
# A bulk load (new index) is one transaction: killed, it leaves nothing.
# It is killed once it has spilled its first sorted run (at --mem 32 it
# spills several), so mid-load however fast the machine.
"$LEDE" index -q --mem 32 -i "$T/ixbulk" "$T/many.jsonl" 2>/dev/null &
pid=$!
tries=0
while [ "$tries" -lt 600 ] && ! ls "$T"/ixbulk/bulk-*.tmp/run-* \
	>/dev/null 2>&1; do
	sleep 0.01
	tries=$((tries + 1))
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "the bulk load was killed mid-load (a run on disk)" \
	sh -c "ls -d '$T'/ixbulk/bulk-*.tmp"
"$LEDE" stats -i "$T/ixbulk" > "$T/stats" 2>&1
expect "killed bulk load leaves an empty index" "^documents: +0$" "$T/stats"
check "check passes after a killed bulk load" "$LEDE" check -i "$T/ixbulk"
"$LEDE" index -q -i "$T/ixbulk" "$T/feedsmall.jsonl" 2>/dev/null
check_not "stale bulk runs are cleaned up" ls -d "$T"/ixbulk/bulk-*.tmp
# An existing index grows in batches, each one transaction.
"$LEDE" index -q -i "$T/ixkill" "$T/feedsmall.jsonl" 2>/dev/null
"$LEDE" index -q --mem 32 -i "$T/ixkill" "$T/many.jsonl" 2>/dev/null &
pid=$!
n=0 tries=0
while [ "$tries" -lt 600 ]; do
	n=$("$LEDE" stats -i "$T/ixkill" 2>/dev/null | awk '/^documents:/ {print $2}')
	[ -n "$n" ] && [ "$n" -gt 10 ] && break
	sleep 0.05
	tries=$((tries + 1))
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
n=$("$LEDE" stats -i "$T/ixkill" 2>/dev/null | awk '/^documents:/ {print $2}')
check "killed run left committed documents" test "${n:-0}" -gt 0
check "killed run did not finish (kill landed mid-run)" test "${n:-0}" -lt 60000
check "check passes after SIGKILL" "$LEDE" check -i "$T/ixkill"
# Batches commit in file order: documents 0..n-1 are in, each findable.
awk -v n="${n:-0}" 'BEGIN { for (i = 0; i < n; i++) printf "%d\tuniq%d\n", i, i }' > "$T/topics"
"$LEDE" search -i "$T/ixkill" --batch "$T/topics" -n 1 > "$T/run" 2>/dev/null
found=$(awk '$4 == 1 && $3 == "k" $1' "$T/run" | wc -l)
check "every committed document found after SIGKILL ($found of $n)" test "$found" -eq "${n:-0}"
check_not "a document after the last commit is not there" \
	"$LEDE" search -i "$T/ixkill" "uniq${n:-0}"
# and the run can simply be repeated
"$LEDE" index -q -i "$T/ixkill" "$T/many.jsonl" 2> "$T/err" >/dev/null
expect "re-run after the kill adds the rest" "$((60000 - ${n:-0})) added, 0 replaced, ${n:-0} unchanged" "$T/err"
check "check passes after the re-run" "$LEDE" check -i "$T/ixkill"
# delete a slice, compact the many small batch blocks into full ones
"$LEDE" rm -i "$T/ixkill" k5 k6 k7 k100 k20000 2>/dev/null
"$LEDE" search -i "$T/ixkill" -n 1 filler7 2> "$T/before" >/dev/null
"$LEDE" compact -i "$T/ixkill" > "$T/c" 2>&1
expect "compact merged blocks" "blocks -> " "$T/c"
check "check passes after compacting many batches" "$LEDE" check -i "$T/ixkill"
"$LEDE" search -i "$T/ixkill" -n 1 filler7 2> "$T/after" >/dev/null
b1=$(awk '/results/ {print $1}' "$T/before"); a1=$(awk '/results/ {print $1}' "$T/after")
check "compact keeps the hit count ($b1 = $a1)" test -n "$b1" -a "$b1" = "$a1"
check_not "a deleted document stays gone after compact" "$LEDE" search -i "$T/ixkill" uniq20000

echo "e2e_index: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
