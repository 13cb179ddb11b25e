#!/bin/sh
# Resource limits, the fast ones (issue 5, item 4): what lede does when a
# page, a line or a folder is deeper than it will go, and when the disk
# fills up in the middle of a run. tests/soak_limits.sh has the long ones
# (10,000 files, a 200 MB line, a 1 GB file, memory within --mem).
#
#   nesting   100,000 nested <div>s, 100,000 unclosed <b>s, and a page
#             that is deep only after some text: each refused with a
#             warning naming the file and counted "too big", never
#             indexed with its text cut off (libxml2 stops at depth 256);
#             a page 200 deep and 100,000 unclosed <p>s (which close
#             each other) are indexed whole and searchable; a JSONL line
#             nested 100,000 deep is a bad line; a folder 100 deep is
#             walked to 64 and the rest reported; the other files index
#   full disk a small tmpfs (24 MB) holds an index of 200 articles; 20,000
#             more added with --mem 64 commit some batches and then run out
#             of space: exit 1 (not a crash) with a message naming the
#             full file system, `lede check` passes, stats count exactly
#             what the committed batches hold, the first 200 are found as
#             before and the added ones are a prefix of the input; after
#             the tmpfs grows (remount) the same command completes. A
#             bulk load (new index) onto the full disk fails the same way
#             and leaves no bulk-*.tmp run folder taking the space.
#   runs      a bulk load whose sorted runs outnumber the fan-in
#             (LEDE_RUN_FANIN=2) completes under ulimit -n 10 and writes
#             the same index as one merge of all runs
#
# The tmpfs: `mount` when root, else the script re-runs itself under
# `unshare -rm` (a user namespace may mount tmpfs), else a simulated full
# disk with `ulimit -f` (the writes past it fail with EFBIG). The mode is
# printed; none is skipped silently. LIMITS_MODE=ulimit forces the last.
#
# LEDE names the binary (default ./lede). Needs python3. Prints "e2e_limits:
# N passed, N failed"; exits non-zero on failure.
LEDE=${LEDE:-$PWD/lede}
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
finish() {
	echo "e2e_limits: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
command -v python3 >/dev/null 2>&1 || { bad "python3 is missing"; finish; }
[ -x "$LEDE" ] || { bad "no binary $LEDE (run make)"; finish; }

# Not root: re-run in a user namespace where we are (and may mount).
if [ "$(id -u)" != 0 ] && [ -z "$LIMITS_NS" ] &&
	[ "$LIMITS_MODE" != ulimit ] && unshare -rm true >/dev/null 2>&1; then
	LIMITS_NS=1 LEDE=$LEDE exec unshare -rm sh "$0"
fi

T=$(mktemp -d /tmp/lede-limits.XXXXXX)
M=$T/mnt
mounted=
cleanup() {
	[ -n "$mounted" ] && umount "$M" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)

# ---- nesting ---------------------------------------------------------
A=$T/deep
mkdir -p "$A"
python3 - "$A" <<'EOF'
import os, sys
A = sys.argv[1]
def w(name, s):
    open(os.path.join(A, name), "w").write(s)
head = "<html><head><title>%s</title></head><body>"
n = 100000
w("divs.html", head % "Divs" + "<div>" * n + "divsword" + "</div>" * n
  + "</body></html>")
w("bold.html", head % "Bold" + "<b>" * n + "boldword unclosed")
w("late.html", head % "Late" + "<p>latebefore text</p>" + "<span>" * n
  + "latedeep" + "</span>" * n + "<p>lateafter</p></body></html>")
w("paras.html", head % "Paras" + "<p>para " * n + "parasword")
w("ok200.html", head % "Ok" + "<p>okbefore</p>" + "<div><em>" * 100
  + "okdeepword" + "</em></div>" * 100 + "<p>okafterword</p></body></html>")
w("plain.txt", "Plain page\n\nA plain plainword text beside them.\n")
w("nest.jsonl",
  '{"id": "n1", "title": "Flat", "body": "flatjsonword"}\n'
  + '{"id": "n2", "title": "Nested", "body": "x", "extra": '
  + "[" * n + "]" * n + "}\n"
  + '{"id": "n3", "title": "After", "body": "afterjsonword"}\n')
d = os.path.join(A, "dirs")
for i in range(100):
    d = os.path.join(d, "d")
    if i in (9, 99):
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "f%d.txt" % i), "w").write(
            "Depth %d\n\ndepthword%d here\n" % (i, i))
EOF
s0=$(date +%s)
"$LEDE" index -q -i "$T/ixdeep" "$A" > /dev/null 2> "$T/err"
rc=$?
s1=$(date +%s)
check "nested input: index exits 0 (per-file refusals are warnings)" \
	test "$rc" -eq 0
check "nested input: indexed in under 10 s ($((s1 - s0)) s)" \
	test $((s1 - s0)) -lt 10
expect "100,000 nested divs refused with a reason" \
	"divs.html: html elements nested over 256 deep, skipped" "$T/err"
expect "100,000 unclosed <b>s refused" \
	"bold.html: html elements nested over 256 deep, skipped" "$T/err"
expect "a page deep after some text is refused, not cut" \
	"late.html: html elements nested over 256 deep, skipped" "$T/err"
expect "the refusals are counted as too big" "3 too big" "$T/err"
expect "a 100,000 deep JSON line is a bad line with file:line" \
	"nest.jsonl:2: bad json line" "$T/err"
expect "a folder over 64 deep is reported" "more than 64 folders deep" "$T/err"
check_not "no part of a refused page is indexed (divs)" \
	"$LEDE" search -i "$T/ixdeep" divsword
check_not "no part of a refused page is indexed (late, text before)" \
	"$LEDE" search -i "$T/ixdeep" latebefore
check "a page 200 deep: the deepest text found" \
	"$LEDE" search -i "$T/ixdeep" okdeepword
check "a page 200 deep: the text after it found" \
	"$LEDE" search -i "$T/ixdeep" okafterword
check "100,000 unclosed <p>s (they close each other): indexed whole" \
	"$LEDE" search -i "$T/ixdeep" parasword
check "the other files index (txt)" "$LEDE" search -i "$T/ixdeep" plainword
check "the other lines of the JSONL file index" \
	"$LEDE" search -i "$T/ixdeep" flatjsonword afterjsonword
check "a file 10 folders down is found" "$LEDE" search -i "$T/ixdeep" depthword9
check_not "a file 100 folders down is not" \
	"$LEDE" search -i "$T/ixdeep" depthword99
"$LEDE" stats -i "$T/ixdeep" > "$T/stats" 2>&1
expect "nested input: 6 documents (ok200, paras, plain, n1, n3, f9)" \
	"^documents: +6$" "$T/stats"
check "check passes on the nested input" "$LEDE" check -i "$T/ixdeep"

# ---- full disk -------------------------------------------------------
python3 - "$T" <<'EOF'
import random, sys
T = sys.argv[1]
r = random.Random(7)
abc = "abcdefghijklmnopqrstuvwxyz"
words = ["".join(r.choice(abc) for _ in range(r.randint(3, 10)))
         for _ in range(50000)]
def art(f, p, i, extra):
    f.write('{"id": "%s%d", "title": "%s %d", "body": "uniq%s%d %s %s"}\n'
            % (p, i, p, i, p, i, extra,
               " ".join(r.choice(words) for _ in range(200))))
with open(T + "/first.jsonl", "w") as f:
    for i in range(200):
        art(f, "a", i, "firstonly")
with open(T + "/more.jsonl", "w") as f:
    for i in range(20000):
        art(f, "b", i, "")
with open(T + "/topics", "w") as f:
    for i in range(200):
        f.write("a%d\tuniqa%d\n" % (i, i))
    for i in range(20000):
        f.write("b%d\tuniqb%d\n" % (i, i))
EOF
# ---- many sorted runs, few file descriptors ---------------------------
# A bulk load at --mem 32 spills a sorted run every few MB; at the end
# they are merged, LEDE_RUN_FANIN (here 2) at a time. With 10 file
# descriptors it still completes, and the index is the one a plain run
# writes.
"$LEDE" index -q --mem 32 -i "$T/ixruns1" "$T/more.jsonl" 2>/dev/null
# (the redirections outside: dash moves fds it saves to 10 and up)
(ulimit -n 10 && LEDE_RUN_FANIN=2 exec "$LEDE" index -q --mem 32 \
	-i "$T/ixruns2" "$T/more.jsonl") > /dev/null 2> "$T/err"
check "bulk load merging runs in passes under ulimit -n 10" test $? -eq 0
check "check passes after the merge passes" "$LEDE" check -i "$T/ixruns2"
"$LEDE" stats -i "$T/ixruns1" | grep -E '^(documents|terms|postings):' \
	> "$T/s1" 2>&1
"$LEDE" stats -i "$T/ixruns2" | grep -E '^(documents|terms|postings):' \
	> "$T/s2" 2>&1
check "the same documents, terms and postings as one merge" \
	sh -c "[ -s '$T/s1' ] && cmp -s '$T/s1' '$T/s2'"
if command -v mdb_dump >/dev/null 2>&1; then
	mdb_dump -a "$T/ixruns1" > "$T/d1" 2>&1
	mdb_dump -a "$T/ixruns2" > "$T/d2" 2>&1
	check "the same index, byte for byte (mdb_dump)" cmp -s "$T/d1" "$T/d2"
fi
# The final merge on three threads (two encoders, one writer; taken
# from --mem 128 on, forced here) writes the index one thread writes.
LEDE_MERGE_THREADS=3 "$LEDE" index -q --mem 32 -i "$T/ixruns3" \
	"$T/more.jsonl" 2>/dev/null
check "bulk load with the merge on three threads" test $? -eq 0
check "check passes after the three-thread merge" "$LEDE" check -i "$T/ixruns3"
LEDE_MERGE_THREADS=1 "$LEDE" index -q --mem 32 -i "$T/ixruns4" \
	"$T/more.jsonl" 2>/dev/null
if command -v mdb_dump >/dev/null 2>&1; then
	mdb_dump -a "$T/ixruns3" > "$T/d3" 2>&1
	mdb_dump -a "$T/ixruns4" > "$T/d4" 2>&1
	check "three-thread merge: the same index, byte for byte" \
		sh -c "[ -s '$T/d3' ] && cmp -s '$T/d3' '$T/d4'"
fi
# A batch is written on three threads too, and stays its own
# transactions: the same number of commits (LMDB's last transaction id)
# and the same index as on one thread. 2,000 articles at --mem 32 commit
# 222 times (20,000 took 140 s each); a checkpoint in the middle of a
# commit shows as one more.
head -n 2000 "$T/more.jsonl" > "$T/batch.jsonl"
for n in 1 3; do
	"$LEDE" index -q -i "$T/ixbatch$n" "$T/first.jsonl" 2>/dev/null
	LEDE_MERGE_THREADS=$n "$LEDE" index -q --mem 32 -i "$T/ixbatch$n" \
		"$T/batch.jsonl" 2>/dev/null
	mdb_stat -e "$T/ixbatch$n" 2>/dev/null |
		awk '/Last transaction ID/ { print $NF }' > "$T/txn$n"
done
check "three-thread batch: as many commits as one thread" \
	sh -c "[ -s '$T/txn1' ] && cmp -s '$T/txn1' '$T/txn3'"
if command -v mdb_dump >/dev/null 2>&1; then
	mdb_dump -a "$T/ixbatch1" > "$T/d1" 2>&1
	mdb_dump -a "$T/ixbatch3" > "$T/d3" 2>&1
	check "three-thread batch: the same index, byte for byte" \
		sh -c "[ -s '$T/d1' ] && cmp -s '$T/d1' '$T/d3'"
fi
rm -rf "$T/ixruns1" "$T/ixruns2" "$T/d1" "$T/d2" "$T/ixruns3" \
	"$T/ixruns4" "$T/d3" "$T/d4" "$T/ixbatch1" "$T/ixbatch3" \
	"$T/txn1" "$T/txn3"

mkdir -p "$M"
mode=
if [ "$LIMITS_MODE" != ulimit ] &&
	mount -t tmpfs -o size=8m tmpfs "$M" 2>/dev/null; then
	mounted=1
	mode="a tmpfs of 8 MB, then 24 MB"
	[ -n "$LIMITS_NS" ] && mode="$mode (in an unshare -rm namespace)"
else
	mode="ulimit -f of 8 MB, then 24 MB (no tmpfs mount possible)"
fi
echo "e2e_limits: full disk simulated with $mode"
# run_full MB CMD...: runs lede with a disk of MB megabytes: the tmpfs
# (resized to MB) or a file size limit.
run_full() {
	mb=$1; shift
	if [ -n "$mounted" ]; then
		mount -o remount,size=${mb}m tmpfs "$M" || return 99
		"$@"
	else
		# ulimit -f counts 1024-byte blocks in bash, 512 in dash
		(ulimit -f $((mb * 2048)); "$@")
	fi
}
# found IX: the "a"/"b" ids present, one per line, from one --batch run
found() {
	"$LEDE" search -i "$1" --batch "$T/topics" -n 1 2>/dev/null |
		awk '$3 == $1 { print $1 }' | sort
}

# A bulk load (new index) onto a small disk: nothing or everything. At 8
# MB a sorted run file fills the disk before the final merge.
run_full 8 "$LEDE" index -q --mem 32 -i "$M/bulk" "$T/more.jsonl" \
	> /dev/null 2> "$T/err"
rc=$?
check "bulk load onto a full disk fails (exit $rc)" test "$rc" -ne 0
check "bulk load onto a full disk does not crash (exit $rc < 128)" \
	test "$rc" -lt 128
expect "bulk load: the message says the disk is full" \
	"indexing stopped: .*(is full|no space left|ulimit -f)" "$T/err"
check_not "bulk load: no bulk-*.tmp run folder left behind" \
	ls -d "$M"/bulk/bulk-*.tmp
check "bulk load: check passes" "$LEDE" check -i "$M/bulk"
"$LEDE" stats -i "$M/bulk" > "$T/stats" 2>&1
expect "bulk load: the index is empty, as before" "^documents: +0$" "$T/stats"
rm -rf "$M/bulk"

# An index of 200, then 20,000 more than the disk holds.
IX=$M/ix
run_full 24 "$LEDE" index -q -i "$IX" "$T/first.jsonl" > /dev/null 2> "$T/err"
check "first 200 articles fit" test $? -eq 0
# the documents a search of the first 200 lists (a set: scores move)
printf 'q\tfirstonly\n' > "$T/q1"
listed() {
	"$LEDE" search -i "$1" --batch "$T/q1" -n 1000 2>/dev/null |
		awk '{ print $3 }' | sort
}
listed "$IX" > "$T/first.before"
"$LEDE" check -i "$IX" > /dev/null 2>&1
check "check passes before the disk fills" test $? -eq 0
run_full 24 "$LEDE" index -q --mem 64 -i "$IX" "$T/more.jsonl" \
	> /dev/null 2> "$T/err"
rc=$?
check "indexing past a full disk fails (exit $rc)" test "$rc" -ne 0
check "indexing past a full disk does not crash (exit $rc < 128)" \
	test "$rc" -lt 128
expect "the message names the full file system" \
	"indexing stopped: .*(is full|no space left|ulimit -f)" "$T/err"
expect "the summary does not claim the articles went in" \
	"stopped after reading [0-9]+ documents.*only what was committed" \
	"$T/err"
expect "the message says the last commit is kept" \
	"the index keeps its last commit" "$T/err"
check_not "the article where it stopped is not blamed (cannot index)" \
	grep -q "cannot index" "$T/err"
check "check passes after the disk filled" "$LEDE" check -i "$IX"
n=$("$LEDE" stats -i "$IX" 2>/dev/null | awk '/^documents:/ {print $2}')
found "$IX" > "$T/found"
nf=$(wc -l < "$T/found")
check "stats counts what is found ($n = $nf)" test "${n:-x}" = "$nf"
check "the first 200 are all there" \
	test "$(grep -c '^a' "$T/found")" -eq 200
nb=$(grep -c '^b' "$T/found")
awk -v n="$nb" 'BEGIN { for (i = 0; i < n; i++) print "b" i }' | sort \
	> "$T/prefix"
check "the added ones are the first $nb of the input (whole batches)" \
	sh -c "grep '^b' '$T/found' | cmp -s - '$T/prefix'"
check "not all 20,000 got in ($nb)" test "$nb" -lt 20000
listed "$IX" > "$T/first.after"
check "a search of the first 200 lists the same 200 documents" \
	sh -c "[ \$(wc -l < '$T/first.before') -eq 200 ] &&
		cmp -s '$T/first.before' '$T/first.after'"

# Room again: the same command completes.
if [ -n "$mounted" ]; then
	mount -o remount,size=256m tmpfs "$M" 2>/dev/null ||
		{ cp -a "$IX" "$T/ixbig" && IX=$T/ixbig; }
fi
"$LEDE" index -q --mem 128 -i "$IX" "$T/more.jsonl" > /dev/null 2> "$T/err"
check "with room again the run completes" test $? -eq 0
expect "and skips what was committed" \
	"$((20000 - nb)) added, 0 replaced, $nb unchanged" "$T/err"
"$LEDE" stats -i "$IX" > "$T/stats" 2>&1
expect "all 20,200 documents" "^documents: +20200$" "$T/stats"
check "check passes after the re-run" "$LEDE" check -i "$IX"
check "the last article is found" "$LEDE" search -i "$IX" uniqb19999

echo "e2e_limits: $(($(date +%s) - t0)) s"
finish
