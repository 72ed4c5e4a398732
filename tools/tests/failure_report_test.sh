#!/usr/bin/env bash
# What a learner sees for a test that hangs and one whose noexcept TODO fails, on the harness's own
# test binary dressed up as chapter 00: the place it points to, the time limit and how to raise
# it, and a rerun command that, pasted from the top of the checkout, runs just that test.
# Usage: failure_report_test.sh WORKBOOK_BINARY HARNESS_SELFTEST_BINARY
set -euo pipefail
cli="$1"
selftest="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work/chapters/00-harness" "$work/build"
printf '# Harness\n\n## §1 Hanging\n' >"$work/chapters/00-harness/README.md"
cat >"$work/chapters/00-harness/chapter.json" <<'JSON'
{"number": "00", "slug": "harness", "title": "The harness", "depends": [],
 "test_suite": "HarnessSelfTest",
 "steps": [{"test": "HangsForever", "section": "§1", "hint": "never returns"},
           {"test": "NoexceptTodoFailsTheTest", "section": "§1", "hint": "a noexcept TODO"},
           {"test": "TodoNamesTheFunctionAndSection", "section": "§1", "hint": "passes"}]}
JSON
cat >"$work/build/workbook.json" <<JSON
{"source_dir": "$work", "build_dir": "$work/build", "skeletons": "all", "test_timeout": 10,
 "chapters": [{"manifest": "$work/chapters/00-harness/chapter.json", "tree": "skeletons",
   "lesson": "$work/chapters/00-harness/README.md", "sources": "$work/skeletons/00-harness",
   "tests": "$work/tests/00-harness", "binary": "$selftest"}]}
JSON
cd "$work"

"$cli" status --no-build --timeout 1 --build-dir build >out || fail "status failed"
grep -q "1/3" out || fail "expected 1 of 3 passing: $(cat out)"
grep -q "HarnessSelfTest.HangsForever (timed out)" out || fail "no timeout: $(cat out)"
grep -q "Limit:  1 s per test; for longer, ./workbook status --timeout 30" out ||
    fail "no limit: $(cat out)"
rerun="$(sed -n 's/^  Rerun:  //p' out)"
[[ "$rerun" == "WORKBOOK_TEST_TIMEOUT=1 "*"--gtest_filter=HarnessSelfTest.HangsForever" ]] ||
    fail "rerun command: $rerun"
code=0; bash -c "$rerun" >rerun.out 2>&1 || code=$?
[ "$code" = 124 ] || fail "the pasted rerun exited $code, not the watchdog's 124: $(cat rerun.out)"
grep -q "TIMEOUT \] HarnessSelfTest.HangsForever" rerun.out || fail "rerun: $(cat rerun.out)"

"$cli" show 0.2 --no-build --build-dir build >out || fail "show failed"
grep -q "NoexceptTodoFailsTheTest: not written yet" out || fail "show: $(cat out)"
grep -q "At:     .*harness_selftest.cpp:[0-9]" out || fail "no place for the TODO: $(cat out)"
grep -q "The test's output:" out || fail "show gives no test output: $(cat out)"
rerun="$(sed -n 's/^  Rerun:  //p' out)"
code=0; bash -c "$rerun" >rerun.out 2>&1 || code=$?
[ "$code" = 1 ] || fail "the pasted rerun exited $code: $(cat rerun.out)"
grep -q "1 FAILED TEST" rerun.out || fail "rerun: $(cat rerun.out)"
echo "failure report test passed"
