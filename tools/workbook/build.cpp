// Building with `-k 0` and tracing each failure to its chapter (see build.hpp).
#include "build.hpp"

#include <algorithm>
#include <cstdlib>
#include <regex>

#include "process.hpp"
#include "progress_line.hpp"

namespace workbook {
namespace {

namespace fs = std::filesystem;

// "[12/150] Building CXX object ..." -> 12 and 150.
bool parse_status(const std::string& line, int& done, int& total) {
    static const std::regex status(R"(^\[(\d+)/(\d+)\] )");
    std::smatch match;
    if (!std::regex_search(line, match, status)) {
        return false;
    }
    done = std::stoi(match[1]);
    total = std::stoi(match[2]);
    return true;
}

std::string relative_to(const std::string& path, const fs::path& source_dir) {
    const std::string prefix = source_dir.string() + "/";
    return path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : path;
}

std::string strip_source_dir(const std::string& text, const fs::path& source_dir) {
    return relative_paths_in(text, source_dir);
}

// The first error among a failed step's lines (the command line already skipped).
CompileError first_error(const std::vector<std::string>& lines, const fs::path& source_dir) {
    static const std::regex compiler(R"(^(.+?):(\d+):(\d+): ((?:fatal )?error: .*)$)");
    static const std::regex linker(R"(^(.+?):(\d+): (undefined reference to .*)$)");
    CompileError error;
    for (const std::string& line : lines) {
        error.output += strip_source_dir(line, source_dir) + "\n";
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::smatch match;
        const bool is_compiler = std::regex_match(lines[i], match, compiler);
        if (is_compiler || std::regex_match(lines[i], match, linker)) {
            error.location = relative_to(match[1], source_dir) + ":" + match[2].str();
            if (is_compiler) {
                error.location += ":" + match[3].str();
            }
            error.message = match[is_compiler ? 4 : 3];
            // The error, then the compiler's context (source line, caret, notes) up to the next
            // error.
            for (std::size_t j = i; j < lines.size() && j < i + 8; ++j) {
                if (j > i && lines[j].find(": error: ") != std::string::npos) {
                    break;
                }
                error.excerpt += strip_source_dir(lines[j], source_dir) + "\n";
            }
            return error;
        }
    }
    // No "file:line: error:" line (a linker message of another shape, a missing tool): the first
    // line that says error, else the first line.
    for (const std::string& line : lines) {
        if (line.find("error") != std::string::npos ||
            line.find("undefined") != std::string::npos) {
            error.message = strip_source_dir(line, source_dir);
            error.excerpt = error.message + "\n";
            return error;
        }
    }
    if (!lines.empty()) {
        error.message = strip_source_dir(lines.front(), source_dir);
        error.excerpt = error.message + "\n";
    }
    return error;
}

// The chapter a ninja output belongs to: targets and their object folders are named chNN_slug.
std::string chapter_of_output(const std::string& outputs) {
    static const std::regex chapter(R"(ch(\d\d)_)");
    std::smatch match;
    return std::regex_search(outputs, match, chapter) ? match[1].str() : "";
}

}  // namespace

std::string BuildOutcome::blocker(const BuildIndex& index, const Chapter& chapter) const {
    if (broken.count(chapter.number) != 0) {
        return chapter.number;
    }
    for (const std::string& dependency : dependencies_of(index, chapter)) {
        if (broken.count(dependency) != 0) {
            return dependency;
        }
    }
    return "";
}

BuildOutcome parse_build_log(const std::vector<std::string>& lines, const fs::path& source_dir) {
    BuildOutcome outcome;
    outcome.ok = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("FAILED: ", 0) != 0) {
            continue;
        }
        // The failed step's output runs to the next status line, failure or ninja message. Its
        // first line is the command ninja ran.
        std::size_t end = i + 1;
        int done = 0;
        int total = 0;
        while (end < lines.size() && lines[end].rfind("FAILED: ", 0) != 0 &&
               lines[end].rfind("ninja: ", 0) != 0 && !parse_status(lines[end], done, total)) {
            ++end;
        }
        const std::vector<std::string> output(
            lines.begin() + static_cast<std::ptrdiff_t>(std::min(i + 2, end)),
            lines.begin() + static_cast<std::ptrdiff_t>(end));
        const std::string number = chapter_of_output(lines[i]);
        if (number.empty()) {
            outcome.unowned_failure += strip_source_dir(lines[i], source_dir) + "\n";
            for (const std::string& line : output) {
                outcome.unowned_failure += strip_source_dir(line, source_dir) + "\n";
            }
        } else if (outcome.broken.count(number) == 0) {
            outcome.broken[number] = first_error(output, source_dir);
        }
        i = end - 1;
    }
    if (outcome.broken.empty() && outcome.unowned_failure.empty()) {
        // Failed before any step ran (build.ninja unreadable, CMake re-run failed): show it all.
        for (const std::string& line : lines) {
            if (int done = 0, total = 0; !parse_status(line, done, total)) {
                outcome.unowned_failure += strip_source_dir(line, source_dir) + "\n";
            }
        }
        if (outcome.unowned_failure.empty()) {
            outcome.unowned_failure = "the build failed without a message\n";
        }
    }
    return outcome;
}

std::vector<std::string> dependencies_of(const BuildIndex& index, const Chapter& chapter) {
    std::vector<std::string> found;
    std::vector<const Chapter*> queue{&chapter};
    for (std::size_t i = 0; i < queue.size(); ++i) {
        for (const std::string& number : queue[i]->depends) {
            if (std::find(found.begin(), found.end(), number) != found.end()) {
                continue;
            }
            found.push_back(number);
            for (const Chapter& other : index.chapters) {
                if (other.number == number) {
                    queue.push_back(&other);
                }
            }
        }
    }
    return found;
}

BuildOutcome build_chapters(const BuildIndex& index, const std::vector<const Chapter*>& chapters) {
    std::vector<std::string> argv{"cmake", "--build", index.build_dir.string(), "--target"};
    for (const Chapter* chapter : chapters) {
        argv.push_back(chapter->test_target);
    }
    // Keep going after a failure: every chapter that can be built is built.
    argv.insert(argv.end(), {"--", "-k", "0"});
    setenv("NINJA_STATUS", "[%f/%t] ", 1);

    std::string what = "your chapters";
    if (chapters.size() == 1) {
        what = "chapter " + chapters.front()->number;
        if (!chapters.front()->depends.empty()) {
            what += " and what it is built on";
        }
    }
    ProgressLine progress;
    std::vector<std::string> lines;
    const int code = run_lines(argv, SpawnOptions{}, [&](const std::string& line) {
        lines.push_back(line);
        int done = 0;
        int total = 0;
        // "[0/2] Re-checking globbed directories..." starts every build: not yet a step of it.
        if (parse_status(line, done, total) && done > 0) {
            progress.announce("Building " + what + "...");
            progress.show("Building " + what + ": " + std::to_string(done) + " of " +
                          std::to_string(total));
        }
    });
    progress.clear();
    if (code == 0) {
        return BuildOutcome{};
    }
    return parse_build_log(lines, index.source_dir);
}

}  // namespace workbook
