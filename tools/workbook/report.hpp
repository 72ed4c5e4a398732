// Runs chapters and tells the learner where they stand: the progress table, the next step to
// work on with its failure message, hint and lesson section, and the skeleton check's verdict.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "build_index.hpp"
#include "test_runner.hpp"

namespace workbook {

struct ChapterProgress {
    const Chapter* chapter = nullptr;
    std::vector<TestResult> results;               // manifest order, then tests it does not list
    std::vector<std::string> missing_from_binary;  // manifest steps the binary does not have
    std::vector<std::string> missing_from_manifest;

    [[nodiscard]] int passed() const;
    [[nodiscard]] const TestResult* first_unfinished() const;
};

struct RunOptions {
    int jobs = 2;
    std::chrono::seconds timeout{10};
};

ChapterProgress run_chapter(const Chapter& chapter, const RunOptions& options);

// The table, then the next step to do. `verbose` lists every test of every chapter.
void print_status(std::ostream& out, const BuildIndex& index,
                  const std::vector<ChapterProgress>& progress, bool verbose);

// The hint and lesson section of the first unfinished step; false if everything passes.
// `more`: the recipe (the manifest's "hint") instead of the nudge.
bool print_hint(std::ostream& out, const BuildIndex& index, bool more,
                const std::vector<ChapterProgress>& progress);

// Lists tests that pass on an untouched skeleton, and manifest mismatches. True if clean.
bool print_skeleton_check(std::ostream& out, const std::vector<ChapterProgress>& progress);

}  // namespace workbook
