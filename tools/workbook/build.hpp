// Building the chapters a command needs, and reading ninja's output so that a compile error in one
// chapter hides that chapter only: ninja runs with `-k 0` (keep going), each failure is traced to
// its chapter by the target's name (ch01_refcount...), and the chapters that link a broken one wait
// on it. Everything else is built and runs as usual.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "build_index.hpp"

namespace workbook {

// The first error of one failed build step, for the learner to read.
struct CompileError {
    std::string location;  // "skeletons/01-refcount/src/list.cpp:12:5" (relative when possible)
    std::string message;   // "error: expected ';' before '}' token"
    std::string excerpt;   // the error with the compiler's few lines of context
    std::string output;    // everything the failed step printed
};

struct BuildOutcome {
    bool ok = true;
    std::map<std::string, CompileError> broken;  // chapter number -> its first error
    // A failure no chapter owns (the CMake configuration, the shared code): nothing can be run.
    std::string unowned_failure;

    // The chapter `chapter` cannot run because of: "" (it can), its own number (it does not
    // compile), or the number of a broken chapter it is built on.
    [[nodiscard]] std::string blocker(const BuildIndex& index, const Chapter& chapter) const;
};

// Reads ninja's output (NINJA_STATUS "[%f/%t] ", one line per entry) after a failed build.
BuildOutcome parse_build_log(const std::vector<std::string>& lines,
                             const std::filesystem::path& source_dir);

// Chapter numbers `chapter` is built on, directly or through others, nearest first.
std::vector<std::string> dependencies_of(const BuildIndex& index, const Chapter& chapter);

// Builds the test binaries of `chapters` (and, through ninja, what they need, not what needs
// them), showing progress. The caller holds the BuildLock.
BuildOutcome build_chapters(const BuildIndex& index, const std::vector<const Chapter*>& chapters);

}  // namespace workbook
