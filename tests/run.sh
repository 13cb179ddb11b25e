#!/bin/sh
# Runs every unit-test binary given as an argument, then the end-to-end
# suites (tests/e2e_*.sh) against $BUILD/lede, and sums their
# "N passed, N failed" lines into one closing line.
pass=0 fail=0
log=$(mktemp)
for t in "$@"; do
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "$t: crashed or printed no summary (exit $rc)"
		fail=$((fail + 1)); continue
	fi
	p=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^passed/) print $(i-1)}')
	f=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^failed/) print $(i-1)}')
	pass=$((pass + p)); fail=$((fail + f))
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && fail=$((fail + 1))
done
for s in tests/e2e_*.sh; do
	[ -f "$s" ] || continue
	LEDE="$PWD/$BUILD/lede" sh "$s" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "$s: printed no summary (exit $rc)"; fail=$((fail + 1)); continue
	fi
	p=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^passed/) print $(i-1)}')
	f=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^failed/) print $(i-1)}')
	pass=$((pass + p)); fail=$((fail + f))
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && fail=$((fail + 1))
done
rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
