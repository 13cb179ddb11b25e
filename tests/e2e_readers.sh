#!/bin/sh
# Readers during writes (tests/readers_check.py): CLI and HTTP searches in
# loops while `lede index` adds and replaces batches and `lede rm` deletes;
# no search may fail, show half a batch, both or neither version of a
# replaced document, or a document deleted before it started. ROUNDS
# sets the writer's rounds (default 6 here; `make soak` runs 60).
# Prints "readers: N passed, N failed". LEDE names the binary.
LEDE=${LEDE:-$PWD/lede}
ROUNDS=${ROUNDS:-6}
T=$(mktemp -d /tmp/lede-e2e-readers.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
python3 "$(dirname "$0")/readers_check.py" "$LEDE" "$T" "$ROUNDS"
