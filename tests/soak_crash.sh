#!/bin/sh
# Crash safety under SIGKILL: `lede index` and `lede compact` are killed
# (kill -9) at random moments, KILLS times in all (default 25), spread over
# four kinds of run:
#
#   bulk     a new index bulk-loaded from 20,000 articles: after a kill the
#            index holds nothing or everything (README "Two write paths")
#   add      an index holding the first 10,000, then the other 10,000 and
#            45,000 more added with --mem 32 (about 15,000 a batch, so
#            batches commit one after the other): the first 10,000 stay,
#            the new ones present are exactly a prefix of the input order
#   replace  all 20,000 replaced (same ids, new text, shuffled order,
#            --mem 32): each id is there exactly once, old or new version,
#            the new ones a prefix of the input order
#   compact  `lede compact` after the 20,000 were replaced and a tenth of
#            them deleted with `lede rm`: the documents stay exactly as
#            they were
#
# After every kill `lede check` must pass and what the index holds must be
# one of the states the run may commit; then the same command runs again
# without a kill and must finish with the complete state and a clean check.
#
# What the index holds is read, not guessed: every body carries a unique
# word uniqNNNNN and a version word veraNNNNN (first text) or verbNNNNN
# (replacement); one `lede search --batch` over all of them (-n 3) gives,
# per id, whether it is present and in which version. A document half
# there (uniq word found without a version word or the other way round,
# found twice, both versions, matched by another id's word) fails, and
# the number of present ids must equal the documents `lede stats` counts.
#
# Prints one line per failed expectation and "soak_crash: N passed, N
# failed"; exits non-zero on failure. KILLS scales the run (25: about 100 s
# on 2 cores, 80: under 5 min); SEED fixes the kill moments' random draw (printed).
# VERBOSE=1 prints what each check found. LEDE names the binary (default
# ./lede). Needs python3.
set -u
cd "$(dirname "$0")/.." || exit 2
LEDE=${LEDE:-$PWD/lede}
KILLS=${KILLS:-25}
SEED=${SEED:-$(( $(date +%s) % 100000 ))}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() {
	echo "soak_crash: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
command -v python3 >/dev/null 2>&1 || { bad "python3 is missing"; finish; }
[ -x "$LEDE" ] || { bad "no binary $LEDE (run make)"; finish; }
T=$(mktemp -d /tmp/lede-soak-crash.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
echo "soak_crash: KILLS=$KILLS SEED=$SEED in $T"

# --- data: ids dNNNNN; corpus 0..19999, extra 20000..64999 -----------------
python3 - "$T" <<'PY' || { bad "generate data"; finish; }
import json, random, sys
T = sys.argv[1]
rnd = random.Random(20261128)
words = ("oil opec market bank rate bond stock price trade gold euro yen "
         "dollar crude export import budget deficit growth inflation "
         "election vote court judge police storm flood quake minister talks "
         "border treaty report strike union wage").split()
def doc(i, ver):
    k = rnd.randint(100, 300)
    w = [rnd.choice(words) for _ in range(k)]
    w.insert(rnd.randint(0, len(w)), "uniq%05d" % i)
    w.insert(rnd.randint(0, len(w)), "ver%s%05d" % (ver, i))
    return json.dumps({
        "id": "d%05d" % i,
        "title": " ".join(rnd.choice(words) for _ in range(5)).title(),
        "date": "%d-%02d-%02d" % (rnd.randint(1990, 2024),
                                 rnd.randint(1, 12), rnd.randint(1, 28)),
        "body": " ".join(w)}) + "\n"
def write(name, ids, ver):
    # the articles, and NAME.ids: "N VERSION" per line in input order
    with open("%s/%s.jsonl" % (T, name), "w") as f, \
         open("%s/%s.ids" % (T, name), "w") as g:
        for i in ids:
            f.write(doc(i, ver))
            g.write("%d %s\n" % (i, ver))
write("first", range(0, 10000), "a")
write("second", range(10000, 20000), "a")
write("extra", range(20000, 65000), "a")
rep = list(range(20000))
rnd.shuffle(rep)
write("replace", rep, "b")
with open(T + "/corpus.jsonl", "w") as f:
    for n in ("first", "second"):
        f.write(open("%s/%s.jsonl" % (T, n)).read())
with open(T + "/corpus.ids", "w") as f:
    for n in ("first", "second"):
        f.write(open("%s/%s.ids" % (T, n)).read())
with open(T + "/add.ids", "w") as f:
    for n in ("second", "extra"):
        f.write(open("%s/%s.ids" % (T, n)).read())
dele = sorted(random.Random(5).sample(range(20000), 2000))
with open(T + "/deleted.ids", "w") as f:
    f.write("".join("%d\n" % i for i in dele))
with open(T + "/topics.tsv", "w") as f:
    for i in range(65000):
        f.write("u%d\tuniq%05d\na%d\tvera%05d\nb%d\tverb%05d\n"
                % (i, i, i, i, i, i))
PY

# --- the state check ----------------------------------------------------
# verify.py IX [--base F.ids]... [--del F] [--ops F.ids]... [--atomic|--final]
# The allowed states: the base (later files override earlier ids, --del
# removes) with the first k ops applied, any k (--atomic: none or all;
# --final: all). Prints what it found; exits 1 with the reasons when the
# index holds anything else.
cat > "$T/verify.py" <<'PY'
import subprocess, sys
lede, T, ix = sys.argv[1], sys.argv[2], sys.argv[3]
base, ops, dele, mode = {}, [], set(), "any"
a = sys.argv[4:]
def ids(f):
    return [(int(n), v) for n, v in (l.split() for l in open(f))]
i = 0
while i < len(a):
    if a[i] == "--base":
        base.update(ids(a[i + 1])); i += 2
    elif a[i] == "--ops":
        ops += ids(a[i + 1]); i += 2
    elif a[i] == "--del":
        dele = {int(l) for l in open(a[i + 1])}; i += 2
    else:
        mode = a[i][2:]; i += 1
for n in dele:
    base.pop(n, None)
errs = []
def err(s):
    errs.append(s)
st = subprocess.run([lede, "stats", "-i", ix], capture_output=True, text=True)
ndocs = None
for l in st.stdout.splitlines():
    if l.startswith("documents:"):
        ndocs = int(l.split()[1])
if st.returncode != 0 or ndocs is None:
    err("lede stats: rc %d %s" % (st.returncode, st.stderr.strip()[:200]))
r = subprocess.run([lede, "search", "-i", ix, "--batch", T + "/topics.tsv",
                    "-n", "3"], capture_output=True, text=True)
if r.returncode not in (0, 1):
    err("lede search --batch: rc %d %s" % (r.returncode, r.stderr.strip()[:200]))
hits = {}
for l in r.stdout.splitlines():
    f = l.split()
    if len(f) != 6:
        err("bad run line %r" % l); continue
    hits.setdefault(f[0], []).append(f[2])
obs = {}
for n in range(65000):
    want = "d%05d" % n
    u, va, vb = (hits.get(k + str(n), []) for k in "uab")
    for w, h in (("uniq", u), ("vera", va), ("verb", vb)):
        for d in h:
            if d != want:
                err("%s%05d matched %s" % (w, n, d))
    if len(u) > 1:
        err("%s found %d times" % (want, len(u)))
    if va and vb:
        err("%s found in both versions" % want)
    ver = "a" if va else "b" if vb else None
    if u and ver is None:
        err("%s: uniq word found, no version word (half there)" % want)
    if not u and ver:
        err("%s: version word found, uniq word not (half there)" % want)
    if u or ver:
        obs[n] = ver or "?"
if ndocs is not None and ndocs != len(obs):
    err("lede stats counts %d documents, search finds %d ids" % (ndocs, len(obs)))
# walk the ops, keeping the ids where the state differs from obs
cur = dict(base)
diff = {n for n in set(cur) | set(obs) if cur.get(n) != obs.get(n)}
match, best = [], (len(diff), 0)
if not diff:
    match.append(0)
for k, (n, v) in enumerate(ops, 1):
    cur[n] = v
    if cur.get(n) != obs.get(n): diff.add(n)
    else: diff.discard(n)
    if not diff: match.append(k)
    if len(diff) < best[0]: best = (len(diff), k)
M = len(ops)
allowed = {"any": match, "atomic": [k for k in match if k in (0, M)],
           "final": [k for k in match if k == M]}[mode]
if not allowed:
    k = best[1]
    cur = dict(base)
    for n, v in ops[:k]:
        cur[n] = v
    d = sorted(n for n in set(cur) | set(obs) if cur.get(n) != obs.get(n))
    if not d:
        err("holds the state after %d of %d ops, not allowed (%s)"
            % (k, M, mode))
    else:
        err("holds no committable state (%s, %d ops): closest is after %d "
            "ops, %d ids differ, e.g. %s" % (mode, M, k, len(d), ", ".join(
                "d%05d want %s got %s" % (n, cur.get(n, "-"),
                                          obs.get(n, "-")) for n in d[:5])))
for e in errs[:10]:
    print("    " + e)
if len(errs) > 10:
    print("    ... %d more" % (len(errs) - 10))
print("    %d documents, state after %s of %d ops" % (
    len(obs), "/".join(map(str, allowed)) or "?", M))
sys.exit(1 if errs else 0)
PY

# verify WHAT IX ARGS...: one expectation
verify() {
	what=$1; shift
	if out=$(python3 "$T/verify.py" "$LEDE" "$T" "$@" 2>&1); then
		ok; [ -z "${VERBOSE:-}" ] || echo "$what:$out"
	else bad "$what: index state"; echo "$out"; fi
}
# check_ix WHAT IX: lede check must pass
check_ix() {
	if out=$("$LEDE" check -i "$2" 2>&1); then ok
	else bad "$1: lede check exit $?"; echo "$out" | head -20 | sed 's/^/    /'; fi
}
# timed CMD...: run, print elapsed seconds on stdout, exit status kept
timed() {
	python3 -c 'import subprocess, sys, time
t = time.time(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("%.3f" % (time.time() - t)); sys.exit(r.returncode)' "$@"
}
# delay K MAX: a random moment in [0.05, MAX] s, from SEED and K
delay() {
	awk -v s="$SEED" -v k="$1" -v m="$2" 'BEGIN { srand(s * 1000 + k);
		if (m < 0.1) m = 0.1; printf "%.3f", 0.05 + rand() * (m - 0.05) }'
}

# --- reference runs: the time each takes, and the base indexes ------------
IX=$T/ix
if t_bulk=$(timed "$LEDE" index -q -i "$T/full" "$T/corpus.jsonl"); then ok
else bad "bulk load of corpus.jsonl"; fi
check_ix "reference bulk" "$T/full"
verify "reference bulk" "$T/full" --ops "$T/corpus.ids" --final

"$LEDE" index -q -i "$T/half" "$T/first.jsonl" >/dev/null 2>&1 || bad "bulk load of first.jsonl"
cp -r "$T/half" "$IX"
if t_add=$(timed "$LEDE" index -q --mem 32 -i "$IX" "$T/second.jsonl" "$T/extra.jsonl"); then ok
else bad "adding second.jsonl extra.jsonl"; fi
check_ix "reference add" "$IX"
verify "reference add" "$IX" --base "$T/first.ids" --ops "$T/add.ids" --final

rm -rf "$IX"; cp -r "$T/full" "$IX"
if t_rep=$(timed "$LEDE" index -q --mem 32 -i "$IX" "$T/replace.jsonl"); then ok
else bad "replacing with replace.jsonl"; fi
check_ix "reference replace" "$IX"
verify "reference replace" "$IX" --base "$T/corpus.ids" --ops "$T/replace.ids" --final

# shellcheck disable=SC2046
"$LEDE" rm -i "$IX" $(awk '{ printf "d%05d\n", $1 }' "$T/deleted.ids") >/dev/null 2>&1 || bad "lede rm"
mv "$IX" "$T/deleted"
cp -r "$T/deleted" "$IX"
if t_compact=$(timed "$LEDE" compact -i "$IX"); then ok
else bad "lede compact"; fi
check_ix "reference compact" "$IX"
verify "reference compact" "$IX" --base "$T/corpus.ids" --base "$T/replace.ids" --del "$T/deleted.ids" --final
echo "soak_crash: full runs: bulk ${t_bulk:-?} s, add ${t_add:-?} s, replace ${t_rep:-?} s, compact ${t_compact:-?} s"

# --- the kills ------------------------------------------------------------
# one KIND K BASE MAX STATE-ARGS -- CMD...: copy BASE (none: a new index)
# to IX, start CMD, SIGKILL it after a random moment up to MAX s, check;
# then run CMD to the end, check again.
killed=0 finished=0
one() {
	kind=$1 k=$2 base=$3 max=$4; shift 4
	st=
	while [ "$1" != -- ]; do st="$st $1"; shift; done
	shift
	rm -rf "$IX"
	[ "$base" = none ] || cp -r "$base" "$IX"
	d=$(delay "$k" "$max")
	"$@" >"$T/out" 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	w="$kind kill $k after ${d}s"
	case $rc in
	137) killed=$((killed + 1)) ;;
	0) finished=$((finished + 1)); w="$w (had finished)" ;;
	*) bad "$w: $* exited $rc"; sed 's/^/    /' "$T/out" | head -5 ;;
	esac
	if [ "$kind" = bulk ] && [ ! -f "$IX/data.mdb" ]; then
		ok	# killed before it created the index: nothing to check
	else
		check_ix "$w" "$IX"
		# shellcheck disable=SC2086
		verify "$w" "$IX" $st
	fi
	if "$@" >"$T/out" 2>&1; then ok
	else bad "$w, run again: $* exited $?"; sed 's/^/    /' "$T/out" | head -5; fi
	check_ix "$w, run again" "$IX"
	# shellcheck disable=SC2086
	verify "$w, run again" "$IX" $st --final	# the last mode given wins
}

k=0
while [ $k -lt "$KILLS" ]; do
	case $((k % 4)) in
	0) one bulk $k none "$t_bulk" --ops "$T/corpus.ids" --atomic -- \
		"$LEDE" index -q -i "$IX" "$T/corpus.jsonl" ;;
	1) one add $k "$T/half" "$t_add" --base "$T/first.ids" --ops "$T/add.ids" --any -- \
		"$LEDE" index -q --mem 32 -i "$IX" "$T/second.jsonl" "$T/extra.jsonl" ;;
	2) one replace $k "$T/full" "$t_rep" --base "$T/corpus.ids" --ops "$T/replace.ids" --any -- \
		"$LEDE" index -q --mem 32 -i "$IX" "$T/replace.jsonl" ;;
	3) one compact $k "$T/deleted" "$t_compact" --base "$T/corpus.ids" \
		--base "$T/replace.ids" --del "$T/deleted.ids" --final -- \
		"$LEDE" compact -i "$IX" ;;
	esac
	k=$((k + 1))
done
echo "soak_crash: $killed runs killed, $finished finished before the kill"
finish
