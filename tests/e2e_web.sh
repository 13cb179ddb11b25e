#!/bin/sh
# End-to-end tests of `lede serve`: every endpoint, every error case, the
# security headers, HEAD, escaping, hostile and slow requests, an index
# changed under the running server, and a clean stop on SIGTERM/SIGINT.
# The checks are in tests/web_check.py (python3, standard library); each
# runs in its own process. Prints "e2e_web: N passed, N failed".
#
# LEDE names the binary (default ./lede).
LEDE=${LEDE:-$PWD/lede}
W=$(cd "$(dirname "$0")" && pwd)/web_check.py
T=$(mktemp -d /tmp/lede-e2e-web.XXXXXX)
pid= bgpids=
cleanup() {
	for p in $pid $bgpids; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check NAME...: run named checks of web_check.py against the server
check() {
	for c in "$@"; do
		timeout 150 python3 "$W" "$URL" "$c" >"$T/out" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then ok; else
			bad "$c (exit $rc)"; grep -v "^ok " "$T/out" | head -30 |
				sed 's/^/    /'
		fi
	done
}
# status "description" command...: the command exits non-zero on its
# own within 10 s (not killed by the timeout)
refuses() {
	d=$1; shift
	timeout 10 "$@" >"$T/rout" 2>"$T/rerr"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then ok; else
		bad "$d (exit $rc)"; head -3 "$T/rout" "$T/rerr" | sed 's/^/    /'
	fi
}

IX=$T/ix
python3 "$W" fixture >"$T/a.jsonl"
if ! "$LEDE" index -q -i "$IX" "$T/a.jsonl" >"$T/out" 2>&1; then
	bad "index the fixture"; cat "$T/out"
fi

# start the server on a free port; its first line names the URL
"$LEDE" serve -i "$IX" --listen 127.0.0.1:0 --request-timeout 6 \
	>"$T/serve.out" 2>"$T/serve.err" &
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
if [ -z "$URL" ]; then
	n=$(python3 "$W" --list main | wc -l)
	echo "FAIL: lede serve printed no 'lede: serving INDEX at http://127.0.0.1:PORT/' line in 10 s; its output:"
	sed 's/^/    /' "$T/serve.out" "$T/serve.err" | head -20
	echo "e2e_web: 0 passed, $((n + 1)) failed"
	exit 1
fi
ok
if grep -q "^lede: serving $IX at " "$T/serve.out"; then ok; else
	bad "the URL line names the index: $(head -1 "$T/serve.out")"; fi
port=${URL##*:}; port=${port%/}

# the slow ones wait for the server to drop idle connections, meanwhile
for c in $(python3 "$W" --list bg); do
	timeout 90 python3 "$W" "$URL" "$c" >"$T/bg.$c" 2>&1 &
	bgpids="$bgpids $!"
	eval "bgpid_$c=\$!"
done

check $(python3 "$W" --list main)

# options the server refuses
refuses "serve on a port in use" \
	"$LEDE" serve -i "$IX" --listen "127.0.0.1:$port"
refuses "serve a missing index" \
	"$LEDE" serve -i "$T/none" --listen 127.0.0.1:0
refuses "serve --listen nonsense" \
	"$LEDE" serve -i "$IX" --listen nonsense
refuses "serve --threads 0" \
	"$LEDE" serve -i "$IX" --listen 127.0.0.1:0 --threads 0
refuses "serve --bogus" "$LEDE" serve -i "$IX" --bogus
refuses "serve --request-timeout 0" \
	"$LEDE" serve -i "$IX" --listen 127.0.0.1:0 --request-timeout 0

# the index changes under the running server: new, replaced, removed
python3 "$W" fixture-live >"$T/live.jsonl"
python3 "$W" fixture-replace >"$T/k1.jsonl"
if "$LEDE" index -q -i "$IX" "$T/live.jsonl" >"$T/out" 2>&1; then ok; else
	bad "index while the server runs"; sed 's/^/    /' "$T/out"; fi
if "$LEDE" index -q -i "$IX" "$T/k1.jsonl" >"$T/out" 2>&1; then ok; else
	bad "replace while the server runs"; sed 's/^/    /' "$T/out"; fi
if "$LEDE" rm -i "$IX" o3 >"$T/out" 2>&1; then ok; else
	bad "rm while the server runs"; sed 's/^/    /' "$T/out"; fi
check $(python3 "$W" --list live)

# a second server stops on SIGINT with exit 0
if timeout 60 python3 "$W" sigint "$LEDE" "$IX" >"$T/out" 2>&1; then ok; else
	bad "SIGINT"; sed 's/^/    /' "$T/out"; fi

# the background checks
for c in $(python3 "$W" --list bg); do
	eval "p=\$bgpid_$c"
	if wait "$p"; then ok; sed -n '/closed after\|cut after/s/^/    /p' "$T/bg.$c"
	else bad "$c"; grep -v "^ok " "$T/bg.$c" | sed 's/^/    /'; fi
done
bgpids=
check alive_at_the_end

# SIGTERM: a clean stop, exit 0, the port closed
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	bad "still running 10 s after SIGTERM"; kill -KILL "$pid"; wait "$pid"
else
	wait "$pid"; rc=$?
	if [ "$rc" -eq 0 ]; then ok; else bad "exit $rc after SIGTERM"; fi
fi
pid=
if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)' \
	"$port" 2>/dev/null; then bad "port $port still open after SIGTERM"; else ok; fi
if grep -q -E "Sanitizer|runtime error:" "$T/serve.err"; then
	bad "the server's stderr reports:"; head -40 "$T/serve.err" | sed 's/^/    /'
else ok; fi

echo "e2e_web: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
