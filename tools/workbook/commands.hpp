// The CLI's verbs. Each returns the process exit code: 0 done, 1 a check or a build failed,
// 2 usage error.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "report.hpp"

namespace workbook {

struct CommonOptions {
    std::filesystem::path build_dir;
    std::optional<std::string> chapter;  // only this chapter
    RunOptions run;
    bool verbose = false;
    // Run what is built, build nothing: for the CMake targets that run the CLI inside a build.
    bool no_build = false;
    std::string holder = "./workbook";  // who we are, for the message of a process that waits
};

int command_list(const CommonOptions& options);
int command_status(const CommonOptions& options);
int command_hint(const CommonOptions& options, bool more);
int command_check_skeletons(const CommonOptions& options);
int command_watch(const CommonOptions& options);
// One step in full: "1.3" (chapter 1, step 3) or a test name ("Step03_...", a unique prefix such
// as "Step03" with --chapter, or "Suite.Step03_...").
int command_show(const CommonOptions& options, const std::string& step);
// Reconfigures the build with chapter `target` ("3" or "all") from skeletons/ and every other
// chapter from solutions/, then shows the status. Checks `target` against the checkout first.
int command_focus(const CommonOptions& options, const std::string& target);
// Restores skeletons/NN-slug from git revision `from` (default: the branch's upstream, else
// HEAD), after copying the learner's files to .workbook/backups/.
int command_reset(const std::filesystem::path& source_dir, const std::string& chapter,
                  const std::optional<std::string>& from);

}  // namespace workbook
