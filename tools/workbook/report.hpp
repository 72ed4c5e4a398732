// Runs chapters and tells the learner where they stand: the progress table, the next step to
// work on with its failure message, hint and lesson section, and the skeleton check's verdict.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "build.hpp"
#include "build_index.hpp"
#include "test_runner.hpp"

namespace workbook {

struct ChapterProgress {
    const Chapter* chapter = nullptr;
    std::vector<TestResult> results;               // manifest order, then tests it does not list
    std::vector<std::string> missing_from_binary;  // manifest steps the binary does not have
    std::vector<std::string> missing_from_manifest;
    int timeout_seconds = 10;  // the limit each test ran with
    // Set when the chapter could not be built: the chapter whose compile error stops it (its own
    // number when it does not compile itself, else the broken chapter it is built on), and that
    // chapter's first error. Its tests did not run.
    std::string blocked_by;
    std::optional<CompileError> compile_error;

    [[nodiscard]] int passed() const;
    [[nodiscard]] const TestResult* first_unfinished() const;
};

struct RunOptions {
    int jobs = 2;
    std::chrono::seconds timeout{10};
};

// Runs the chapter's tests (`only`: just this test). `on_progress(done, total)` hears of each.
ChapterProgress run_chapter(const Chapter& chapter, const RunOptions& options,
                            const std::optional<std::string>& only = std::nullopt,
                            const std::function<void(std::size_t, std::size_t)>& on_progress = {});

// A chapter that does not compile, or waits on one that does not: nothing of it is run.
ChapterProgress blocked_chapter(const BuildIndex& index, const Chapter& chapter,
                                const BuildOutcome& build);

// Where a failure points: the TODO's "(at FILE:LINE)", else the assertion's "FILE:LINE"; relative
// to the checkout. Empty when the failure names no place (a crash, a timeout).
std::string failure_place(const std::string& message, const std::filesystem::path& source_dir);

// The one command that reruns just this test, from the top of the checkout; for a timeout it
// sets the limit that the learner may want to raise.
std::string rerun_command(const BuildIndex& index, const Chapter& chapter, const TestResult& result,
                          int timeout_seconds);

// One step in full: outcome, the whole message and the test's output, where it points, how to
// rerun it, its lesson section and hint. (`status` shows the same for its "Next" step, cut short.)
void print_step(std::ostream& out, const BuildIndex& index, const ChapterProgress& progress,
                const TestResult& result, bool full);

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
