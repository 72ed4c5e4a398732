#!/usr/bin/env bash
# Two ./workbook commands never build or run one tree at once: while another holds the build's
# lock, the CLI says whom it waits for, runs nothing, and goes on once the lock is free.
# Usage: lock_test.sh WORKBOOK_BINARY
set -euo pipefail
cli="$1"
work="$(mktemp -d)"
holder=""
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

build="$work/build"
mkdir -p "$build"
cat >"$build/workbook.json" <<JSON
{"source_dir": "$work", "build_dir": "$build", "skeletons": "all", "test_timeout": 10,
 "chapters": []}
JSON
mkfifo "$work/held" "$work/release"
# Another ./workbook (as the script does it: flock(1) and its name in the file) holds the lock.
flock "$build/.workbook-lock" -c \
    "echo 'pid 4242 (./workbook watch 1)' >'$build/.workbook-lock'; echo >'$work/held'; \
     read -r _ <'$work/release'" &
holder=$!
read -r _ <"$work/held"

"$cli" status --no-build --build-dir "$build" >"$work/out" 2>"$work/err" &
waiter=$!
for _ in $(seq 400); do  # the CLI's message, within 20 s
    grep -q "waiting for" "$work/err" && break
    sleep 0.05
done
grep -q "waiting for pid 4242 (./workbook watch 1)" "$work/err" ||
    fail "no message naming the holder: $(cat "$work/err")"
[ ! -s "$work/out" ] || fail "ran while another held the lock: $(cat "$work/out")"
echo >"$work/release"
wait "$holder"; holder=""
wait "$waiter" || fail "the waiting status failed"
grep -q "steps pass" "$work/out" || fail "no status after the lock was freed: $(cat "$work/out")"
echo "lock test passed"
