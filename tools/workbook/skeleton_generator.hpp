// The skeleton generator: skeletons/ is written from the marked solutions, so every file has one
// source. docs/adding-a-chapter.md describes the markers; in short, inside solutions/NN-slug/
//
//     // kata: begin step02 §2 noexcept      a kata region starts: the skeleton gets its TODO line
//     ...the reference code...               (left out of the skeleton)
//     // kata: skeleton return 0;            a line only the skeleton has (in a region: after the
//     // kata: end                           TODO line; outside one: at that place)
//
// Flags after `begin`: `§N` (the lesson section the TODO names), `stepNN` (the manifest steps
// the region turns green; zero or more), `noexcept` (PY_KATA_TODO_NOEXCEPT, for bodies that must
// not throw) and `replace` (no TODO line: the region's skeleton lines are the whole replacement).
// Files under include/ get the _IN variants, which name the chapter explicitly.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>

namespace workbook {

// What the generator checks a region's flags against: the chapter folder ("01-refcount"), the
// lesson's section headings ("§1", "§2", ...) and the manifest's step numbers ("01", "02", ...).
struct ChapterFacts {
    std::string folder;
    std::set<std::string> sections;
    std::set<std::string> steps;
};

// The skeleton text of one marked solution file. `label` names the file in error messages
// ("solutions/01-refcount/src/refchain.cpp"); malformed markers throw UsageError with label:line.
std::string generate_skeleton_text(std::string_view solution_text, const ChapterFacts& chapter,
                                   bool in_header, const std::string& label);

// `workbook generate-skeletons`: writes skeletons/ from solutions/ for every chapter of the
// checkout at `source_dir`. A skeleton file whose content would change is first copied to
// .workbook/backups/ (a learner who runs this loses nothing). With `check`, writes nothing and
// fails (exit 1) listing every file that differs from what the generator writes, is missing, or
// has no solution behind it.
int command_generate_skeletons(const std::filesystem::path& source_dir, bool check);

}  // namespace workbook
