#!/bin/sh
# Readers during writes, under ThreadSanitizer: `lede serve` (built with
# clang -fsanitize=thread into build/tsan) answers a mix of searches,
# pages, articles, suggestions and statistics from many connections
# (wrk) while `lede index` keeps adding articles to the same index.
# Every request must succeed and TSan must report nothing. Prints
# "soak_tsan: N passed, N failed". Part of `make soak`, not `make test`
# (it builds the whole tree once more and runs about a minute).
#
# Needs clang and wrk (Debian packages clang, wrk; installed here when
# missing).
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
T=$(mktemp -d /tmp/lede-soak-tsan.XXXXXX)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$T"' EXIT
# Install what is missing, as soak_load and soak_valgrind do: on a
# fresh machine this runs before soak_load has installed wrk.
missing=
for tool in clang wrk; do
	command -v $tool >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	# shellcheck disable=SC2086
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$SUDO apt-get install -y -qq --no-install-recommends $missing \
		>/dev/null
fi
for tool in clang wrk python3; do
	command -v $tool >/dev/null 2>&1 || { echo "soak_tsan: $tool is missing"; echo "soak_tsan: 0 passed, 1 failed"; exit 1; }
done

# build
B=build/tsan
mkdir -p $B
PKGS="lmdb libmicrohttpd libcjson libutf8proc libxml-2.0 libzstd libxxhash"
objs=
for f in lede.c common/*.c indexer/*.c searcher/*.c web/*.c; do
	o=$B/$(echo "$f" | tr / _).o
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
		clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=thread \
			$(pkg-config --cflags $PKGS) -c "$f" -o "$o" || { bad "compile $f"; }
	fi
	objs="$objs $o"
done
# shellcheck disable=SC2086
clang -fsanitize=thread -o $B/lede $objs $(pkg-config --libs $PKGS) \
	-lstemmer -lpthread -lm || bad "link"
[ -x $B/lede ] || { echo "soak_tsan: $pass passed, $((fail + 1)) failed"; exit 1; }

# an index to start from, and more articles to add while serving
python3 - "$T" <<'PY'
import json, random, sys
random.seed(7)
words = ("oil opec market bank rate bond stock price trade gold euro yen "
         "dollar crude export import budget deficit growth inflation "
         "election vote court judge police storm flood quake").split()
def doc(i):
    t = " ".join(random.choice(words) for _ in range(5))
    b = " ".join(random.choice(words) for _ in range(200))
    return {"id": "s%d" % i, "title": t.title(),
            "date": "%d-%02d-%02d" % (random.randint(1990, 2024),
                                     random.randint(1, 12),
                                     random.randint(1, 28)),
            "body": b}
with open(sys.argv[1] + "/a.jsonl", "w") as f:
    for i in range(3000):
        f.write(json.dumps(doc(i)) + "\n")
for n in range(4):
    with open(sys.argv[1] + "/b%d.jsonl" % n, "w") as f:
        for i in range(3000 + n * 500, 3500 + n * 500):
            f.write(json.dumps(doc(i)) + "\n")
PY
./lede index -q -i "$T/ix" "$T/a.jsonl" >/dev/null 2>&1 || bad "index"
TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" \
	$B/lede serve -i "$T/ix" --listen 127.0.0.1:0 --threads 4 \
	>"$T/serve.out" 2>"$T/serve.err" &
srv=$!
for i in $(seq 1 100); do
	grep -q serving "$T/serve.out" 2>/dev/null && break
	sleep 0.2
done
url=$(sed -n 's/.* at \(http[^ ]*\)$/\1/p' "$T/serve.out")
[ -n "$url" ] && ok || { bad "server start"; cat "$T/serve.err"; }
python3 - > "$T/paths.lua" <<'PY'
import urllib.parse
qs = ["oil opec", "market -bank", '"crude oil"', "gol*", "vote sort:date",
      "bank from:2000 to:2010", "title:storm", "(euro OR yen) AND trade"]
print("paths = {")
for q in qs:
    e = urllib.parse.quote(q, safe="")
    print('  "/api/search?q=%s", "/?q=%s",' % (e, e))
print('  "/api/suggest?q=ba", "/api/stats", "/article/s1?q=oil",')
print('  "/api/doc/s2", "/healthz", "/static/lede.js",')
print("}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n"
      "  return wrk.format(\"GET\", paths[i])\nend")
PY
# writers: add, replace (same ids again, changed) and delete meanwhile
( for n in 0 1 2 3; do
	./lede index -q -i "$T/ix" "$T/b$n.jsonl" >/dev/null 2>&1
	./lede rm -i "$T/ix" "s$((n * 10))" >/dev/null 2>&1
	sleep 1
  done ) &
writer=$!
wrk -t 4 -c 32 -d 20s -s "$T/paths.lua" "$url" >"$T/wrk.out" 2>&1
wait $writer
if grep -q "Non-2xx\|Socket errors" "$T/wrk.out"; then
	bad "requests failed during writes"; cat "$T/wrk.out"
else ok; fi
rps=$(awk '/^Requests\/sec/ { print $2 }' "$T/wrk.out")
echo "searches during writes: $rps requests/s (TSan build, 4 threads)"
# the last writes are visible
n=$(curl -s "${url}api/search?q=oil&n=1" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["total"])' 2>/dev/null)
[ -n "$n" ] && [ "$n" -gt 0 ] && ok || bad "search after the writes"
kill -TERM $srv
wait $srv
rc=$?
srv=
[ "$rc" -eq 0 ] && ok || bad "SIGTERM exit $rc"
if grep -q "ThreadSanitizer" "$T/serve.err"; then
	bad "ThreadSanitizer reports:"; grep -A8 "WARNING: ThreadSanitizer" "$T/serve.err" | head -60
else ok; fi
echo "soak_tsan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
