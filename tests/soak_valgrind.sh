#!/bin/sh
# The end-to-end suites with every lede process under valgrind (memcheck):
# e2e_index, e2e_search, e2e_web (the server included) and e2e_corrupt
# (damaged records: the decoders' bounds checks are what is tested).
# A wrapper script stands in for the binary (LEDE=wrapper); valgrind runs
# quietly (-q), so a log that is not empty holds an error: an invalid read
# or write, a use of uninitialised memory, or a leak (definitely or
# indirectly lost). Any such log fails the run and is printed.
#
# Part of `make soak`. About 10 minutes on 2 cores. Needs valgrind
# (Debian package valgrind; installed here when missing).
set -u
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() {
	echo "soak_valgrind: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
if ! command -v valgrind >/dev/null 2>&1; then
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$SUDO apt-get install -y -qq --no-install-recommends valgrind \
		>/dev/null
fi
command -v valgrind >/dev/null 2>&1 || { bad "valgrind is missing"; finish; }
BIN=$PWD/${BUILD:-build/rel}/lede
[ -x "$BIN" ] || { bad "no binary $BIN (run make)"; finish; }
T=$(mktemp -d /tmp/lede-soak-valgrind.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
mkdir "$T/logs"
cat > "$T/lede" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
	--show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect \\
	--log-file=$T/logs/vg.%p "$BIN" "\$@"
EOF
chmod +x "$T/lede"

for s in e2e_index e2e_search e2e_web e2e_corrupt; do
	start=$(date +%s)
	LEDE=$T/lede sh tests/$s.sh > "$T/$s.out" 2>&1
	rc=$?
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$T/$s.out" | tail -1)
	echo "$s under valgrind: ${line:-no summary} ($(( $(date +%s) - start )) s)"
	if [ "$rc" -eq 0 ]; then ok; else
		bad "$s under valgrind (exit $rc)"
		grep -E "^FAIL" "$T/$s.out" | head -10 | sed 's/^/    /'
	fi
	n=$(ls "$T/logs" | wc -l)
	dirty=0
	for f in "$T"/logs/vg.*; do
		[ -s "$f" ] || continue
		dirty=$((dirty + 1))
		[ "$dirty" -le 3 ] && { echo "--- $f"; head -40 "$f"; }
	done
	if [ "$dirty" -eq 0 ]; then ok; else
		bad "$s: $dirty of $n processes with valgrind errors"
	fi
	echo "$s: $n lede processes, $dirty with errors"
	rm -f "$T"/logs/vg.*
done
finish
