#!/bin/sh
# Runs every unit-test binary given as an argument, then the end-to-end
# suites (tests/e2e_*.sh) against $BUILD/lede, and sums their
# "N passed, N failed" lines into one closing line. A binary or suite
# still running after TEST_TIMEOUT seconds (default 1800, far above the
# slowest under the sanitizers) is killed and counted as a failure, so a
# search that never ends fails the run instead of holding it for ever.
pass=0 fail=0
log=$(mktemp)
limit=${TEST_TIMEOUT:-1800}

# tally NAME RC WHAT: adds the summary line of the run in $log (exit
# status RC) to the totals; WHAT says what went wrong without one.
tally() {
	cat "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ "$2" -eq 124 ]; then
		echo "$1: still running after $limit s, killed"
		fail=$((fail + 1)); return
	fi
	if [ -z "$line" ]; then
		echo "$1: $3 (exit $2)"
		fail=$((fail + 1)); return
	fi
	p=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^passed/) print $(i-1)}')
	f=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^failed/) print $(i-1)}')
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail=$((fail + 1))
	fi
}

for t in "$@"; do
	timeout "$limit" "$t" >"$log" 2>&1
	tally "$t" $? "crashed or printed no summary"
done
for s in tests/e2e_*.sh; do
	[ -f "$s" ] || continue
	LEDE="$PWD/$BUILD/lede" timeout "$limit" sh "$s" >"$log" 2>&1
	tally "$s" $? "printed no summary"
done
rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
