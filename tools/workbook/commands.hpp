// The CLI's verbs. Each returns the process exit code: 0 done, 1 a check failed, 2 usage error.
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
};

int command_list(const CommonOptions& options);
int command_status(const CommonOptions& options);
int command_hint(const CommonOptions& options, bool more);
int command_check_skeletons(const CommonOptions& options);
int command_watch(const CommonOptions& options);
// Restores skeletons/NN-slug from git revision `from` (default: the branch's upstream, else
// HEAD), after copying the learner's files to .workbook/backups/.
int command_reset(const std::filesystem::path& source_dir, const std::string& chapter,
                  const std::optional<std::string>& from);

}  // namespace workbook
