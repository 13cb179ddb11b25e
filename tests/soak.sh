#!/bin/sh
# `make soak`: the long tests, one after the other, each in full even when
# an earlier one failed; sums their "N passed, N failed" lines into one
# closing line and keeps each log in build/soak/. CI runs it after
# `make test`. SOAK_ONLY="crash readers" runs a subset.
#
#   fuzz      every libFuzzer harness for FUZZ_SECONDS (60) under ASan+UBSan
#   crash     SIGKILL of lede index / compact at 25 random moments
#   readers   60 rounds of adds, replaces and deletes under CLI + HTTP readers
#   tsan      the server under ThreadSanitizer and wrk while indexing
#   limits    full disk, 10,000 files, a 200 MB line, a 1 GB file, --mem
#   load      wrk, 256 connections, 60 s on 1,000,000 articles; 500 idle
#   valgrind  the end-to-end suites with lede under valgrind
cd "$(dirname "$0")/.." || exit 2
mkdir -p build/soak
pass=0 fail=0
summary=
run() {
	name=$1; shift
	case " ${SOAK_ONLY:-$name} " in *" $name "*) ;; *) return ;; esac
	start=$(date +%s)
	echo "== soak $name: $*"
	"$@" >build/soak/$name.log 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	cat build/soak/$name.log
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' build/soak/$name.log | tail -1)
	if [ -z "$line" ]; then
		p=0
		if [ "$rc" -eq 0 ]; then p=1; f=0; else f=1; fi
	else
		p=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^passed/) print $(i-1)}')
		f=$(echo "$line" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^failed/) print $(i-1)}')
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	fi
	pass=$((pass + p)); fail=$((fail + f))
	summary="$summary
  $name: $p passed, $f failed, ${secs} s"
}
run fuzz      make --no-print-directory fuzz
run crash     sh tests/soak_crash.sh
run readers   env ROUNDS=60 sh tests/e2e_readers.sh
run tsan      sh tests/soak_tsan.sh
for s in limits load valgrind; do
	[ -f tests/soak_$s.sh ] && run $s sh tests/soak_$s.sh
done
echo "== soak summary:$summary"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
