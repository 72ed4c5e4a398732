#!/usr/bin/env bash
# `workbook generate-skeletons` on a throwaway workbook of one chapter: what a region becomes, what
# --check reports, that a changed skeleton is backed up before it is overwritten, and that every
# malformed marker is refused with its file:line and nothing written.
# Usage: generate_test.sh WORKBOOK_BINARY SOURCE_DIR
set -euo pipefail
cli="$1"
source_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cd "$work"
cp "$source_dir/.clang-format" .
mkdir -p chapters/01-demo solutions/01-demo/src solutions/01-demo/include/py
printf '# Demo\n\n## §1 Counting\n\n## §2 More\n' >chapters/01-demo/README.md
cat >chapters/01-demo/chapter.json <<'JSON'
{"number": "01", "slug": "demo", "title": "Demo", "depends": [], "test_suite": "Demo",
 "steps": [{"test": "Step01_Counts", "section": "§1", "hint": "h"}]}
JSON
cat >solutions/01-demo/src/count.cpp <<'CPP'
// kata: skeleton // KATA (lesson §1): write count().
#include "py/kata.hpp"

int given() {
    return 1;
}

int count(int n) noexcept {
    // kata: begin step01 §1 noexcept
    return n + given();
    // kata: skeleton return 0;
    // kata: end
}

int twice(int n) {
    // kata: begin §2
    return 2 * n;
    // kata: end
}
CPP
cat >solutions/01-demo/include/py/demo.hpp <<'CPP'
#pragma once
inline int inline_kata() {
    // kata: begin §1
    return 3;
    // kata: end
}
CPP

"$cli" generate-skeletons --source-dir . >"$work/out" || fail "generation failed: $(cat "$work/out")"
cat >"$work/expected.cpp" <<'CPP'
// KATA (lesson §1): write count().
#include "py/kata.hpp"

int given() {
    return 1;
}

int count(int n) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return 0;
}

int twice(int n) {
    PY_KATA_TODO("§2");
}
CPP
diff -u "$work/expected.cpp" skeletons/01-demo/src/count.cpp || fail "unexpected skeleton for count.cpp"
grep -q 'PY_KATA_TODO_IN("chapters/01-demo", "§1");' skeletons/01-demo/include/py/demo.hpp ||
    fail "a header region must name its chapter: $(cat skeletons/01-demo/include/py/demo.hpp)"
"$cli" generate-skeletons --check --source-dir . >"$work/out" || fail "--check after generating: $(cat "$work/out")"

# A learner's edit is reported by --check and backed up, not lost, by a second generation.
echo "// the learner's work" >>skeletons/01-demo/src/count.cpp
echo "// a file with no solution" >skeletons/01-demo/src/extra.cpp
if "$cli" generate-skeletons --check --source-dir . >"$work/out"; then fail "--check passed on an edited skeleton"; fi
grep -q "skeletons/01-demo/src/count.cpp differs" "$work/out" || fail "--check did not name the edited file: $(cat "$work/out")"
grep -q "skeletons/01-demo/src/extra.cpp has no marked solution" "$work/out" || fail "--check did not name the extra file"
"$cli" generate-skeletons --source-dir . >"$work/out"
grep -q "previous versions .* are in .workbook/backups/generate-" "$work/out" || fail "no backup reported: $(cat "$work/out")"
grep -rq "the learner's work" .workbook/backups || fail "the learner's edit was not backed up"
diff -q "$work/expected.cpp" skeletons/01-demo/src/count.cpp >/dev/null || fail "the skeleton was not regenerated"
rm skeletons/01-demo/src/extra.cpp

# Malformed markers: a clear error naming file:line, and nothing written.
expect_error() {  # expect_error "solution text" "message part"
    printf '%s\n' "$1" >solutions/01-demo/src/bad.cpp
    if "$cli" generate-skeletons --source-dir . >"$work/out" 2>"$work/err"; then
        fail "accepted: $1"
    fi
    grep -qF -- "$2" "$work/err" || fail "expected '$2' for: $1; got: $(cat "$work/err")"
    [ ! -e skeletons/01-demo/src/bad.cpp ] || fail "wrote a skeleton from a malformed file"
}
expect_error 'int f() {
    // kata: begin §1' 'bad.cpp:2: the region begun here has no'
expect_error '// kata: end' "bad.cpp:1: '// kata: end' without a region"
expect_error '// kata: begin §1
// kata: begin §1' 'bad.cpp:2: a region begins inside the region begun on line 1'
expect_error '// kata: begin §9
// kata: end' 'bad.cpp:1: §9 is not a'
expect_error '// kata: begin step07 §1
// kata: end' 'bad.cpp:1: step07 is not a step'
expect_error '// kata: begin §1 sometimes
// kata: end' "unknown flag 'sometimes'"
expect_error '// kata: begin noexcept
// kata: end' 'add §N'
expect_error '// kata: begin §1 §2
// kata: end' 'names one lesson section, not two'
expect_error 'int x = 1;  // kata: end' 'must stand alone on its line'
expect_error '// kata: finish' "unknown marker 'finish'"
expect_error 'int no_markers_here = 1;' 'has no kata region: a file without kata code belongs in given/01-demo/src/bad.cpp'
rm solutions/01-demo/src/bad.cpp
if "$cli" generate-skeletons --source-dir "$work/nowhere" 2>"$work/err"; then fail "accepted a missing checkout"; fi
grep -q "is not a workbook checkout" "$work/err" || fail "unclear error for a missing checkout"
echo "generate-skeletons: all checks passed"
