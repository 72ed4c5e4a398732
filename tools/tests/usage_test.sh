#!/usr/bin/env bash
# What the CLI says to a learner who types something wrong, on a fake build (no compiler runs):
# --help lists every verb under the name ./workbook; an unknown verb is named as such; every usage
# error exits 2 (docs/cli.md); `focus` checks its chapter against the checkout before configuring.
# Usage: usage_test.sh WORKBOOK_BINARY
set -euo pipefail
cli="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A checkout with chapter 01 only, and a configured (empty) build of it.
mkdir -p "$work/src/chapters/01-refcount" "$work/src/build/learn"
echo '{}' >"$work/src/chapters/01-refcount/chapter.json"
build="$work/src/build/learn"
cat >"$build/workbook.json" <<JSON
{"source_dir": "$work/src", "build_dir": "$build", "skeletons": "all", "test_timeout": 10,
 "chapters": []}
JSON
before="$(cat "$build/workbook.json")"

"$cli" --help >"$work/out" || fail "--help exited $?"
grep -q "\./workbook" "$work/out" || fail "--help does not show ./workbook: $(cat "$work/out")"
for verb in list status hint show watch focus check-skeletons reset; do
    grep -q "^  $verb" "$work/out" || fail "--help does not list $verb: $(cat "$work/out")"
done

code=0; "$cli" frobnicate 2>"$work/err" || code=$?
[ "$code" = 2 ] || fail "an unknown verb exited $code, not 2"
grep -q "unknown verb 'frobnicate'" "$work/err" || fail "unclear unknown verb: $(cat "$work/err")"

code=0; "$cli" reset 2>"$work/err" || code=$?
[ "$code" = 2 ] || fail "reset without a chapter exited $code, not 2"

code=0; "$cli" focus --help --build-dir "$build" >"$work/out" 2>&1 || code=$?
[ "$code" = 0 ] || fail "focus --help exited $code"
grep -q "chapter number" "$work/out" || fail "focus --help shows no help: $(cat "$work/out")"

for bad in 9 abc 0x1; do
    code=0; "$cli" focus "$bad" --build-dir "$build" 2>"$work/err" || code=$?
    [ "$code" = 2 ] || fail "focus $bad exited $code, not 2"
done
"$cli" focus 9 --build-dir "$build" 2>"$work/err" || true
grep -q "no chapter 9 in this checkout (chapters: 01)" "$work/err" || fail "focus 9: $(cat "$work/err")"
[ "$(cat "$build/workbook.json")" = "$before" ] || fail "a refused focus touched the build"
[ ! -e "$build/CMakeCache.txt" ] || fail "a refused focus configured"

"$cli" status --no-build --build-dir "$build" >"$work/out" || fail "status on an empty build failed"
grep -q "0 of 0 steps pass" "$work/out" || fail "status: $(cat "$work/out")"
echo "usage test passed"
