#!/bin/sh
# Resource limits, the long ones (issue 5, item 4); tests/e2e_limits.sh
# has the fast ones (deep nesting, a full disk, many runs).
#
#   files     10,000 files (.txt, .md, .html) in one folder: all indexed,
#             each found by its own word, `lede check` passes; a re-run
#             finds all 10,000 unchanged
#   line      one JSONL line of 200 MB between two normal ones, at --mem
#             64: refused with "line over N bytes" (an eighth of what
#             --mem leaves after its 12 MB reserve) and counted, the
#             other two lines indexed, exit 0; a line of 120 MB at --mem
#             1100 (its cap 136 MB) is indexed whole, its first and last
#             words found
#   1 GB      a 1 GB JSONL file of ~420,000 articles, bulk-loaded with
#             --mem 64: all indexed and found, check passes; 100 MB
#             bulk-loaded alone with --mem 32; then 20 MB of it added
#             to the 1 GB index with --mem 64 (the batch path)
#   --mem     peak memory of each run, read from /proc/PID/status every
#             20 ms: RssAnon (the process's own memory, including the
#             pages LMDB holds for a write transaction; its mapped file
#             pages are page cache and not counted) and VmHWM (all of
#             it). Every run must keep RssAnon within its --mem.
#
# Prints a table of documents, seconds and peak MB per run, one line per
# failed expectation and "soak_limits: N passed, N failed"; exits non-zero
# on failure. About 4 minutes on 2 cores; needs about 5 GB of disk and
# 2 GB of memory (big files are deleted as soon as they are done with).
# LEDE names the binary (default ./lede). Needs python3.
set -u
cd "$(dirname "$0")/.." || exit 2
LEDE=${LEDE:-$PWD/lede}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check "description" command...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then ok; else bad "$d"; fi
}
expect() { # expect "description" "pattern" file
	if grep -q -E -- "$2" "$3"; then ok; else
		bad "$1 (no /$2/ in:)"; sed 's/^/    /' "$3" | head -20; fi
}
finish() {
	echo "soak_limits: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
command -v python3 >/dev/null 2>&1 || { bad "python3 is missing"; finish; }
[ -x "$LEDE" ] || { bad "no binary $LEDE (run make)"; finish; }
T=$(mktemp -d /tmp/lede-soak-limits.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
t_start=$(date +%s)
echo "soak_limits: in $T"

# rss.py OUT CMD...: runs CMD, polls its /proc status every 20 ms and
# writes "anon_mb hwm_mb seconds exit" to OUT.
cat > "$T/rss.py" <<'PY'
import os, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.time()
p = subprocess.Popen(cmd)
anon = 0
while True:
    try:
        with open("/proc/%d/status" % p.pid) as f:
            for l in f:
                if l.startswith("RssAnon:"):
                    anon = max(anon, int(l.split()[1]))
    except OSError:
        pass
    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
    if pid:
        break
    time.sleep(0.02)
rc = os.waitstatus_to_exitcode(status)
with open(out, "w") as f:
    f.write("%d %d %.1f %d\n" % (anon // 1024, ru.ru_maxrss // 1024,
                                 time.time() - t0, rc))
PY
# measure NAME CMD...: run CMD under rss.py; sets anon, hwm, secs, rc
# and adds a row to the table.
printf '%-34s %9s %8s %9s %8s\n' run docs seconds "anon MB" "hwm MB" \
	> "$T/table"
measure() {
	name=$1; shift
	python3 "$T/rss.py" "$T/m" "$@"
	read -r anon hwm secs rc < "$T/m"
}
row() { # row NAME DOCS
	printf '%-34s %9s %8s %9s %8s\n' "$1" "$2" "$secs" "$anon" "$hwm" \
		>> "$T/table"
}
docs_of() {
	"$LEDE" stats -i "$1" 2>/dev/null | awk '/^documents:/ { print $2 }'
}
# found IX TOPICS: how many topics find their own document first
found() {
	"$LEDE" search -i "$1" --batch "$2" -n 1 2>/dev/null |
		awk '$1 == $3' | wc -l
}

# ---- 10,000 files in one folder ----------------------------------------
python3 - "$T" <<'PY' || { bad "generate files"; finish; }
import os, random, sys
T = sys.argv[1]
r = random.Random(3)
D = T + "/files"
os.makedirs(D)
abc = "abcdefghijklmnopqrstuvwxyz"
words = ["".join(r.choice(abc) for _ in range(r.randint(3, 9)))
         for _ in range(20000)]
with open(T + "/files.topics", "w") as t:
    for i in range(10000):
        ext = ("txt", "md", "html")[i % 3]
        body = " ".join(r.choice(words) for _ in range(r.randint(50, 400)))
        name = "%s/f%05d.%s" % (D, i, ext)
        with open(name, "w") as f:
            if ext == "txt":
                f.write("File %d\n\nfileuniq%d %s\n" % (i, i, body))
            elif ext == "md":
                f.write("---\ntitle: File %d\n---\n\nfileuniq%d %s\n"
                        % (i, i, body))
            else:
                f.write("<html><head><title>File %d</title></head><body>"
                        "<p>fileuniq%d %s</p></body></html>" % (i, i, body))
        t.write("%s\tfileuniq%d\n" % (name, i))
PY
measure files "$LEDE" index -q --mem 64 -i "$T/ixf" "$T/files" \
	2> "$T/err" > /dev/null
row "10,000 files, --mem 64" "$(docs_of "$T/ixf")"
check "10,000 files: exit 0" test "$rc" -eq 0
expect "10,000 files: all added" "10000 added, 0 replaced, 0 unchanged" \
	"$T/err"
n=$(found "$T/ixf" "$T/files.topics")
check "10,000 files: each found by its own word ($n)" test "$n" -eq 10000
check "10,000 files: check passes" "$LEDE" check -i "$T/ixf"
check "10,000 files: anon peak $anon MB within --mem 64" \
	test "$anon" -le 64
first_secs=$secs
measure files2 "$LEDE" index -q --mem 64 -i "$T/ixf" "$T/files" \
	2> "$T/err" > /dev/null
row "10,000 files again (unchanged)" "$(docs_of "$T/ixf")"
expect "10,000 files re-run: all unchanged" \
	"0 added, 0 replaced, 10000 unchanged" "$T/err"
# Each file is read, parsed and hashed again (there is no mtime
# shortcut): the re-run is about as long as the first, not longer.
check "10,000 files re-run: $secs s, within 1.5 x $first_secs s + 2" \
	python3 -c "import sys; sys.exit(not $secs <= 1.5 * $first_secs + 2)"
check "10,000 files: check passes after the re-run" "$LEDE" check -i "$T/ixf"
rm -rf "$T/files" "$T/ixf"

# ---- one JSONL line of 200 MB, one of 120 MB -----------------------------
# genline.py OUT MB: a normal line, a line with a body of MB megabytes
# (first word hugestartword, last hugeendword), a normal line.
cat > "$T/genline.py" <<'PY'
import sys
out, mb = sys.argv[1], int(sys.argv[2])
words = " ".join("w%d" % (i % 5000) for i in range(200000)) + " "
with open(out, "w") as f:
    f.write('{"id": "before", "title": "Before", "body": "beforeword"}\n')
    f.write('{"id": "huge", "title": "Huge", "body": "hugestartword ')
    n = 0
    while n < mb << 20:
        f.write(words)
        n += len(words)
    f.write('hugeendword"}\n')
    f.write('{"id": "after", "title": "After", "body": "afterword"}\n')
PY
python3 "$T/genline.py" "$T/line200.jsonl" 200 || bad "generate line"
measure line200 "$LEDE" index -q --mem 64 -i "$T/ixl" "$T/line200.jsonl" \
	2> "$T/err" > /dev/null
row "200 MB line, --mem 64" "$(docs_of "$T/ixl")"
check "200 MB line: exit 0 (a refused line is a warning)" test "$rc" -eq 0
expect "200 MB line: refused with file:line and the cap" \
	"line200.jsonl:2: line over [0-9]+ bytes, skipped \\(a larger --mem" \
	"$T/err"
expect "200 MB line: counted" "1 too big" "$T/err"
expect "200 MB line: the other lines indexed" "2 added" "$T/err"
check "200 MB line: the line before it found" \
	"$LEDE" search -i "$T/ixl" beforeword
check "200 MB line: the line after it found" \
	"$LEDE" search -i "$T/ixl" afterword
check "200 MB line: none of it indexed" \
	sh -c "! '$LEDE' search -i '$T/ixl' hugestartword"
check "200 MB line: check passes" "$LEDE" check -i "$T/ixl"
# The line is held up to the cap (6.5 MiB at --mem 64), then dropped.
check "200 MB line: anon peak $anon MB within --mem 64" test "$anon" -le 64
rm -rf "$T/line200.jsonl" "$T/ixl"

python3 "$T/genline.py" "$T/line120.jsonl" 120 || bad "generate line"
measure line120 "$LEDE" index -q --mem 1100 -i "$T/ixl" "$T/line120.jsonl" \
	2> "$T/err" > /dev/null
row "120 MB line, --mem 1100" "$(docs_of "$T/ixl")"
check "120 MB line: exit 0" test "$rc" -eq 0
expect "120 MB line: all three lines indexed" "3 added" "$T/err"
check "120 MB line: its first word found" \
	"$LEDE" search -i "$T/ixl" hugestartword
check "120 MB line: its last word found" \
	"$LEDE" search -i "$T/ixl" hugeendword
check "120 MB line: check passes" "$LEDE" check -i "$T/ixl"
# The line, its parsed string, the writer's copy, its compressed body
# and its positions: about 3 x its size, within the --mem it needed.
check "120 MB line: anon peak $anon MB within --mem 1100" test "$anon" -le 1100
rm -rf "$T/line120.jsonl" "$T/ixl"

# ---- 1 GB of JSONL --------------------------------------------------------
# gen.py OUT BYTES PREFIX SEED: articles PREFIX0.. until BYTES, each with
# the word uniqPREFIXn; OUT.topics lists "PREFIXn<TAB>uniqPREFIXn".
cat > "$T/gen.py" <<'PY'
import random, sys
out, size, pre, seed = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                        int(sys.argv[4]))
r = random.Random(seed)
abc = "abcdefghijklmnopqrstuvwxyz"
vocab = ["".join(r.choice(abc) for _ in range(r.randint(3, 9)))
         for _ in range(200000)]
sent = [" ".join(r.choice(vocab) for _ in range(r.randint(8, 20))) + "."
        for _ in range(20000)]
n = written = 0
with open(out, "w", buffering=1 << 22) as f, \
     open(out + ".topics", "w", buffering=1 << 22) as t:
    while written < size:
        body = "uniq%s%d " % (pre, n) + " ".join(
            r.choice(sent) for _ in range(r.randint(10, 40)))
        line = ('{"id": "%s%d", "title": "Article %d %s", "date": '
                '"20%02d-%02d-%02d", "body": "%s"}\n'
                % (pre, n, n, r.choice(vocab), r.randint(0, 24),
                   r.randint(1, 12), r.randint(1, 28), body))
        f.write(line)
        t.write("%s%d\tuniq%s%d\n" % (pre, n, pre, n))
        written += len(line)
        n += 1
print(n)
PY
g0=$(date +%s)
ng=$(python3 "$T/gen.py" "$T/big.jsonl" 1073741824 g 11) ||
	bad "generate 1 GB"
echo "soak_limits: generated 1 GB, $ng articles, in $(($(date +%s) - g0)) s"
measure big "$LEDE" index -q --mem 64 -i "$T/ixg" "$T/big.jsonl" \
	2> "$T/err" > /dev/null
row "1 GB JSONL bulk, --mem 64" "$(docs_of "$T/ixg")"
check "1 GB: exit 0" test "$rc" -eq 0
expect "1 GB: all $ng added" "$ng added, 0 replaced" "$T/err"
check "1 GB: stats count $ng" test "$(docs_of "$T/ixg")" = "$ng"
check "1 GB: anon peak $anon MB within --mem 64" test "$anon" -le 64
rm -f "$T/big.jsonl"
# every 97th article by its own word (all 420,000 would take minutes)
awk 'NR % 97 == 1' "$T/big.jsonl.topics" > "$T/some.topics"
ns=$(wc -l < "$T/some.topics")
n=$(found "$T/ixg" "$T/some.topics")
check "1 GB: $ns sampled articles each found by its own word ($n)" \
	test "$n" -eq "$ns"
measure check "$LEDE" check -i "$T/ixg" > /dev/null 2>&1
row "1 GB: lede check" "-"
check "1 GB: check passes" test "$rc" -eq 0

# 100 MB more into the 1 GB index: the batch path.
python3 "$T/gen.py" "$T/more.jsonl" 104857600 m 12 > "$T/nm" ||
	bad "generate 100 MB"
nm=$(cat "$T/nm")
measure small "$LEDE" index -q --mem 32 -i "$T/ixm" "$T/more.jsonl" \
	2> "$T/err" > /dev/null
row "100 MB JSONL bulk, --mem 32" "$(docs_of "$T/ixm")"
check "100 MB at --mem 32: exit 0" test "$rc" -eq 0
expect "100 MB at --mem 32: all $nm added" "$nm added, 0 replaced" "$T/err"
check "100 MB at --mem 32: anon peak $anon MB within --mem 32" \
	test "$anon" -le 32
check "100 MB at --mem 32: check passes" "$LEDE" check -i "$T/ixm"
rm -rf "$T/ixm"
# The batch path at --mem 64: each commit holds the pages it dirties,
# two per term, so a batch touching many terms of a big index commits in
# small parts (100 MB took about 17 minutes where --mem 512 takes one
# commit); 20 MB (8,000 articles) keeps the soak within CI's time.
head -n 8000 "$T/more.jsonl" > "$T/more20.jsonl"
head -n 8000 "$T/more.jsonl.topics" > "$T/more20.topics"
nm=8000
measure more "$LEDE" index -q --mem 64 -i "$T/ixg" "$T/more20.jsonl" \
	2> "$T/err" > /dev/null
row "+8,000 (20 MB) into it, --mem 64" "$(docs_of "$T/ixg")"
check "+20 MB: exit 0" test "$rc" -eq 0
expect "+20 MB: all $nm added" "$nm added, 0 replaced" "$T/err"
check "+20 MB: stats count $((ng + nm))" \
	test "$(docs_of "$T/ixg")" = "$((ng + nm))"
check "+20 MB: anon peak $anon MB within --mem 64" test "$anon" -le 64
awk 'NR % 17 == 1' "$T/more20.topics" > "$T/some.topics"
ns=$(wc -l < "$T/some.topics")
n=$(found "$T/ixg" "$T/some.topics")
check "+20 MB: $ns sampled new articles found ($n)" test "$n" -eq "$ns"
check "+20 MB: check passes" "$LEDE" check -i "$T/ixg"
rm -rf "$T/more.jsonl" "$T/more20.jsonl" "$T/ixg"

echo
cat "$T/table"
echo "soak_limits: $(($(date +%s) - t_start)) s in all"
finish
