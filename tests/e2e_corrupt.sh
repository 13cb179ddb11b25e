#!/bin/sh
# Damaged records: flips, zeroes and truncates values of every table of a
# small index through mdb_dump/mdb_load and checks that `lede check`
# reports each, and that `lede search` and `lede serve` end with a clear
# error or skip the record, never crash or hang (tests/corrupt_check.py).
# Prints "e2e_corrupt: N passed, N failed". LEDE names the binary.
LEDE=${LEDE:-$PWD/lede}
T=$(mktemp -d /tmp/lede-e2e-corrupt.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
for tool in mdb_dump mdb_load python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "FAIL: $tool is missing (make deps installs lmdb-utils)"
		echo "e2e_corrupt: 0 passed, 1 failed"
		exit 1
	fi
done
python3 "$(dirname "$0")/corrupt_check.py" "$LEDE" "$T"
