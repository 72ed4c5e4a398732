#!/usr/bin/env bash
# `workbook reset` on a throwaway clone: restores the skeleton, backs up the learner's files,
# removes files the learner added, and refuses bad input without touching anything.
# Usage: reset_test.sh WORKBOOK_BINARY SOURCE_DIR
set -euo pipefail
cli="$1"
source_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

git clone -q "$source_dir" "$work/clone"
cd "$work/clone"
folder="$(ls -d skeletons/01-*)"
file="$folder/src/list.cpp"
echo "// the learner's work" >>"$file"
echo "// a helper the learner added" >"$folder/src/helper.cpp"

# Bad input changes nothing.
if "$cli" reset 99 --source-dir . 2>"$work/err"; then fail "reset 99 succeeded"; fi
grep -q "no chapter 99" "$work/err" || fail "unclear error for an unknown chapter: $(cat "$work/err")"
if "$cli" reset 1 --from no-such-revision --source-dir . 2>"$work/err"; then fail "bad --from succeeded"; fi
grep -q "is not a git revision" "$work/err" || fail "unclear error for a bad revision: $(cat "$work/err")"
grep -q "the learner's work" "$file" || fail "a refused reset touched the learner's file"
if "$cli" reset abc --source-dir . 2>"$work/err"; then fail "reset abc succeeded"; fi
grep -q "is not a chapter number" "$work/err" || fail "unclear error for a non-number: $(cat "$work/err")"
mkdir "$work/not-git" && cp -r skeletons "$work/not-git/"
if "$cli" reset 1 --source-dir "$work/not-git" 2>"$work/err"; then fail "reset outside git succeeded"; fi
grep -q "not a git checkout" "$work/err" || fail "unclear error outside git: $(cat "$work/err")"

# A real reset.
"$cli" reset 1 --source-dir . >"$work/out"
[ -z "$(git status --short -- "$folder")" ] || fail "skeleton not restored: $(git status --short)"
backup="$(find .workbook/backups -path "*/$folder/src/list.cpp")"
[ -n "$backup" ] || fail "no backup of the learner's file"
grep -q "the learner's work" "$backup" || fail "the backup lost the learner's edit"
[ -f "$(dirname "$backup")/helper.cpp" ] || fail "the backup lost the learner's new file"
echo "reset test passed"
