#!/usr/bin/env bash
# `workbook reset` on a throwaway clone: restores the skeleton, backs up the learner's files (in a
# folder of their own, even for two resets within a second), says where they went and how to get
# them back, removes files the learner added, makes no backup when nothing changed, and refuses bad
# input (exit 2) without touching anything.
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

# Nothing changed: nothing to back up.
"$cli" reset 1 --source-dir . >"$work/out" || fail "reset of an untouched chapter failed"
grep -q "nothing to reset" "$work/out" || fail "reset of an untouched chapter: $(cat "$work/out")"
[ ! -e .workbook/backups ] || fail "a backup of an untouched chapter"

echo "// the learner's work" >>"$file"
echo "// a helper the learner added" >"$folder/src/helper.cpp"

# Bad input changes nothing, and exits 2.
code=0; "$cli" reset 99 --source-dir . 2>"$work/err" || code=$?
[ "$code" = 2 ] || fail "reset 99 exited $code, not 2"
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
grep -q "Your previous files are in .workbook/backups/" "$work/out" || fail "where: $(cat "$work/out")"

# The printed command brings the learner's files back.
restore="$(sed -n 's/^To get them back:  //p' "$work/out")"
[ -n "$restore" ] || fail "no restore command: $(cat "$work/out")"
bash -c "$restore"
grep -q "the learner's work" "$file" || fail "the restore command did not bring the edit back"

# Two resets in a row (within one second) keep two backups.
"$cli" reset 1 --source-dir . >/dev/null
echo "// second edit" >>"$file"
"$cli" reset 1 --source-dir . >/dev/null || fail "a second reset within a second failed"
[ "$(find .workbook/backups -path "*/$folder/src/list.cpp" | wc -l)" = 3 ] ||
    fail "expected 3 backups: $(find .workbook/backups -name list.cpp)"
echo "reset test passed"
