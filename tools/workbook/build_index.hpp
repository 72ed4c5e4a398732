// What the CLI knows about a build: build/<preset>/workbook.json (written by CMake) joined with
// each chapter's manifest, chapters/NN-slug/chapter.json.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace workbook {

// A problem the user can fix (no build yet, bad chapter number): printed without a stack of
// detail, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Step {
    std::string test;     // "Step03_AllocObjectGivesZeroedMemoryOnRefchain"
    std::string section;  // "§2"
    std::string nudge;    // the first level of help: a question, what to read ("" if none)
    std::string hint;     // the second level: the recipe (`workbook hint --more`)
};

struct Chapter {
    std::string number;  // "01"
    std::string folder;  // "01-refcount"
    std::string title;
    std::string tree;  // "skeletons" or "solutions"
    std::string test_suite;
    std::filesystem::path lesson;   // chapters/NN-slug/README.md
    std::filesystem::path sources;  // skeletons/NN-slug or solutions/NN-slug
    std::filesystem::path tests;    // tests/NN-slug
    std::filesystem::path binary;   // the chapter's test executable
    std::string test_target;        // its build target, "ch01_refcount_tests"
    std::vector<Step> steps;
    std::vector<std::string> depends;  // chapter numbers whose libraries this one links

    [[nodiscard]] std::string slug() const { return folder.substr(number.size() + 1); }
    [[nodiscard]] std::string full_name(const Step& step) const {
        return test_suite + "." + step.test;
    }
    [[nodiscard]] const Step* find_step(const std::string& test_name) const;
};

struct BuildIndex {
    std::filesystem::path source_dir;
    std::filesystem::path build_dir;
    std::string skeletons;  // WORKBOOK_SKELETONS of the build
    int test_timeout = 10;
    std::vector<Chapter> chapters;

    // Reads `build_dir`/workbook.json; throws UsageError when there is no configured build.
    static BuildIndex load(const std::filesystem::path& build_dir);

    // The chapter with this number ("1", "01"); throws UsageError if the build has none.
    [[nodiscard]] const Chapter& chapter(const std::string& number) const;
};

// "1" and "01" both become "01"; throws UsageError for anything that is not a number.
std::string normalize_chapter_number(const std::string& text);

// Reads a chapter manifest into `chapter` (number, folder, title, test_suite, steps).
void load_manifest(const std::filesystem::path& manifest, Chapter& chapter);

// `text` with every absolute path under `source_dir` made relative to it ("/x/wb/skeletons/a.cpp"
// becomes "skeletons/a.cpp"): messages name files the way the learner knows them.
std::string relative_paths_in(std::string text, const std::filesystem::path& source_dir);

// The chapters of a checkout, "01-refcount", ..., in order: every chapters/NN-slug folder with a
// chapter.json, the rule the top-level CMakeLists.txt follows.
std::vector<std::string> chapters_in_checkout(const std::filesystem::path& source_dir);

}  // namespace workbook
