#!/bin/sh
# The search page in a real browser: starts `lede serve` on a fresh index
# of tests/web_check.py's fixture and runs tests/browser/search.mjs
# (playwright-core driving Debian's chromium) against it. Screenshots go
# to build/artifacts/. Prints "browser: N passed, N failed".
#
# Needs /usr/bin/chromium and tests/browser/node_modules/playwright-core:
# tests/browser/setup.sh installs both (make test runs it). Missing, the
# suite fails: it does not skip.
#
# LEDE names the binary (default ./lede).
LEDE=${LEDE:-$PWD/lede}
D=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/lede-e2e-browser.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() {
	echo "FAIL: $*"
	echo "browser: 0 passed, 1 failed"
	exit 1
}

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] ||
	die "no $CHROMIUM: run sh tests/browser/setup.sh (apt-get install chromium)"
command -v node >/dev/null 2>&1 ||
	die "no node: run sh tests/browser/setup.sh"
[ -d "$D/browser/node_modules/playwright-core" ] ||
	die "no tests/browser/node_modules/playwright-core: run sh tests/browser/setup.sh (npm install in tests/browser)"

IX=$T/ix
python3 "$D/web_check.py" fixture >"$T/a.jsonl" || die "write the fixture"
"$LEDE" index -q -i "$IX" "$T/a.jsonl" >"$T/out" 2>&1 ||
	die "index the fixture: $(cat "$T/out")"

"$LEDE" serve -i "$IX" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
pid=$!
URL=
i=0
while [ $i -lt 100 ]; do
	URL=$(sed -n 's|^lede: serving .* at \(http://127\.0\.0\.1:[0-9][0-9]*/\)$|\1|p' \
		"$T/serve.out" | head -1)
	[ -n "$URL" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$URL" ] ||
	die "lede serve printed no URL line in 10 s: $(cat "$T/serve.out" "$T/serve.err" | head -5)"

CHROMIUM=$CHROMIUM timeout 240 node "$D/browser/search.mjs" "$URL" >"$T/log" 2>&1
rc=$?
grep -v -E '^browser: [0-9]+ passed' "$T/log"
line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed$' "$T/log" | tail -1)
if [ -z "$line" ]; then
	echo "FAIL: the browser test ended (exit $rc) without a summary"
	echo "browser: 0 passed, 1 failed"
	exit 1
fi
p=$(echo "$line" | awk '{print $2}')
f=$(echo "$line" | awk '{print $4}')
# the server lived through it, stops cleanly, and reported no memory errors
# (under SANITIZER builds)
if kill -0 "$pid" 2>/dev/null; then
	p=$((p + 1))
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	src=$?
	if [ "$src" -eq 0 ]; then p=$((p + 1)); else
		f=$((f + 1)); echo "FAIL: the server exited $src after SIGTERM"; fi
else
	wait "$pid"
	src=$?
	f=$((f + 2))
	echo "FAIL: the server died during the browser test (exit $src); its stderr:"
	tail -20 "$T/serve.err" | sed 's/^/    /'
fi
pid=
if grep -q -E "Sanitizer|runtime error:" "$T/serve.err"; then
	f=$((f + 1)); echo "FAIL: the server's stderr reports:"
	head -40 "$T/serve.err" | sed 's/^/    /'
else p=$((p + 1)); fi
echo "browser: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
