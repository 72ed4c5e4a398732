// The progress table, the next step, one step in full, and the skeleton check's verdict (see
// report.hpp).
#include "report.hpp"

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>

namespace workbook {
namespace {

std::string progress_bar(int done, int total, int width = 20) {
    const int filled = total == 0 ? 0 : done * width / total;
    return "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(width - filled), '.') + "]";
}

// `text` cut to `width` characters (bytes; titles are ASCII), ending in "..." when cut, so the
// progress bars line up.
std::string fit(const std::string& text, std::size_t width) {
    return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

// "(solution)" for a chapter taken from solutions/; when such a chapter fails because it is built
// on a chapter of the learner's, say which.
std::string tree_note(const Chapter& chapter, const BuildIndex& index, bool failing) {
    if (chapter.tree != "solutions") {
        return "";
    }
    if (failing) {
        for (const std::string& number : chapter.depends) {
            for (const Chapter& other : index.chapters) {
                if (other.number == number && other.tree == "skeletons") {
                    return "  (solution, on your chapter " + number + ")";
                }
            }
        }
    }
    return "  (solution)";
}

// The failure message, indented and cut to a screenful.
std::string indent(const std::string& text, std::size_t max_lines = 20) {
    std::istringstream in(text);
    std::string line;
    std::string out;
    std::size_t count = 0;
    while (std::getline(in, line)) {
        if (++count > max_lines) {
            out += "    ...\n";
            break;
        }
        out += "    " + line + "\n";
    }
    return out;
}

std::string relative(const std::filesystem::path& path, const BuildIndex& index) {
    return std::filesystem::relative(path, index.source_dir).string();
}

std::string without_source_dir(const std::string& text, const std::filesystem::path& source_dir) {
    return relative_paths_in(text, source_dir);
}

// The row's status column for a chapter whose tests did not run.
std::string blocked_note(const ChapterProgress& progress) {
    if (progress.blocked_by == progress.chapter->number) {
        std::string note = "does not compile";
        if (progress.compile_error && !progress.compile_error->location.empty()) {
            note += ": " + progress.compile_error->location;
        }
        return note;
    }
    return "waiting on chapter " + progress.blocked_by + " (it does not compile)";
}

// "Next:" for a chapter that cannot be built: the broken chapter's first error.
void print_compile_error(std::ostream& out, const ChapterProgress& progress) {
    out << "\nNext: chapter " << progress.blocked_by << " does not compile";
    if (progress.blocked_by != progress.chapter->number) {
        out << " (chapter " << progress.chapter->number << " is built on it)";
    }
    out << "\n";
    if (!progress.compile_error) {
        return;
    }
    const CompileError& error = *progress.compile_error;
    if (!error.location.empty()) {
        out << "  At:     " << error.location << "\n";
    }
    out << indent(error.excerpt.empty() ? error.message : error.excerpt, 12)
        << "  Fix it and save (./workbook watch " << std::stoi(progress.blocked_by)
        << " rebuilds on every save); the chapters that do not depend on it still run.\n";
}

}  // namespace

int ChapterProgress::passed() const {
    return static_cast<int>(std::count_if(results.begin(), results.end(), [](const TestResult& r) {
        return r.outcome == Outcome::Passed;
    }));
}

const TestResult* ChapterProgress::first_unfinished() const {
    for (const TestResult& result : results) {
        if (result.outcome != Outcome::Passed) {
            return &result;
        }
    }
    return nullptr;
}

ChapterProgress blocked_chapter(const BuildIndex& index, const Chapter& chapter,
                                const BuildOutcome& build) {
    ChapterProgress progress;
    progress.chapter = &chapter;
    progress.blocked_by = build.blocker(index, chapter);
    const auto error = build.broken.find(progress.blocked_by);
    if (error != build.broken.end()) {
        progress.compile_error = error->second;
    }
    return progress;
}

ChapterProgress run_chapter(const Chapter& chapter, const RunOptions& options,
                            const std::optional<std::string>& only,
                            const std::function<void(std::size_t, std::size_t)>& on_progress) {
    ChapterProgress progress;
    progress.chapter = &chapter;
    progress.timeout_seconds = static_cast<int>(options.timeout.count());
    const std::vector<std::string> in_binary = list_tests(chapter.binary);
    std::vector<std::string> ordered;
    for (const Step& step : chapter.steps) {
        const std::string name = chapter.full_name(step);
        if (std::find(in_binary.begin(), in_binary.end(), name) != in_binary.end()) {
            ordered.push_back(name);
        } else {
            progress.missing_from_binary.push_back(name);
        }
    }
    for (const std::string& name : in_binary) {
        if (chapter.find_step(name) == nullptr) {
            ordered.push_back(name);
            progress.missing_from_manifest.push_back(name);
        }
    }
    if (only) {
        progress.missing_from_binary.clear();
        progress.missing_from_manifest.clear();
        ordered.erase(std::remove_if(ordered.begin(), ordered.end(),
                                     [&](const std::string& name) { return name != *only; }),
                      ordered.end());
    }
    progress.results =
        run_tests(chapter.binary, ordered, options.jobs, options.timeout, on_progress);
    return progress;
}

std::string failure_place(const std::string& message, const std::filesystem::path& source_dir) {
    // A TODO's message ends with "(at FILE:LINE)" (py::kata::NotImplemented); take the last.
    static const std::regex todo(R"(\(at ([^()\n]+:[0-9]+)\))");
    std::string place;
    for (auto it = std::sregex_iterator(message.begin(), message.end(), todo);
         it != std::sregex_iterator(); ++it) {
        place = (*it)[1];
    }
    if (place.empty()) {
        // GoogleTest starts a failure with "FILE:LINE" (or "unknown file" for an exception).
        static const std::regex assertion(R"(^([^\s:]+:[0-9]+)\n)");
        std::smatch match;
        if (std::regex_search(message, match, assertion)) {
            place = match[1];
        }
    }
    return without_source_dir(place, source_dir);
}

std::string rerun_command(const BuildIndex& index, const Chapter& chapter, const TestResult& result,
                          int timeout_seconds) {
    // Relative to the top of the checkout, where the learner pastes it; absolute for a build
    // outside the checkout.
    std::string binary = relative(chapter.binary, index);
    if (binary.rfind("..", 0) == 0) {
        binary = chapter.binary.string();
    }
    std::string command = binary + " --gtest_filter=" + result.name;
    if (result.outcome == Outcome::TimedOut) {
        command = "WORKBOOK_TEST_TIMEOUT=" + std::to_string(timeout_seconds) + " " + command;
    }
    return command;
}

void print_step(std::ostream& out, const BuildIndex& index, const ChapterProgress& progress,
                const TestResult& result, bool full) {
    const Chapter& chapter = *progress.chapter;
    std::string message = without_source_dir(result.message, index.source_dir);
    // GoogleTest's place for an exception says nothing; the TODO's own place is shown as At:.
    if (message.rfind("unknown file\n", 0) == 0) {
        message.erase(0, std::string("unknown file\n").size());
    }
    out << indent(message, full ? 200 : 20);
    if (full && !result.output.empty()) {
        out << "  The test's output:\n"
            << indent(without_source_dir(result.output, index.source_dir), 200);
    }
    const std::string place = failure_place(result.message, index.source_dir);
    if (!place.empty()) {
        out << "  At:     " << place << "\n";
    }
    if (result.outcome == Outcome::TimedOut) {
        out << "  Limit:  " << progress.timeout_seconds
            << " s per test; for longer, ./workbook status --timeout 30 (or "
               "WORKBOOK_TEST_TIMEOUT=30 before the rerun command)\n";
    }
    if (result.outcome != Outcome::Passed) {
        out << "  Rerun:  " << rerun_command(index, chapter, result, progress.timeout_seconds)
            << "\n";
        if (!full) {
            // "1.3": chapter 1, step 3 of its manifest (a test name for a test it does not list).
            std::string step_id = result.name.substr(result.name.find('.') + 1);
            for (std::size_t i = 0; i < chapter.steps.size(); ++i) {
                if (chapter.full_name(chapter.steps[i]) == result.name) {
                    step_id =
                        std::to_string(std::stoi(chapter.number)) + "." + std::to_string(i + 1);
                }
            }
            out << "  More:   ./workbook show " << step_id << "\n";
        }
    }
    if (const Step* step = chapter.find_step(result.name)) {
        out << "  Lesson: " << relative(chapter.lesson, index) << " " << step->section << "\n"
            << "  Edit:   " << relative(chapter.sources, index) << "/\n"
            << "  Hint:   " << (step->nudge.empty() || full ? step->hint : step->nudge) << "\n";
    }
}

void print_status(std::ostream& out, const BuildIndex& index,
                  const std::vector<ChapterProgress>& progress, bool verbose) {
    out << "\nPython-internals workbook  (" << relative(index.build_dir, index)
        << ", skeletons: " << index.skeletons << ")\n\n";
    int all_passed = 0;
    int all_total = 0;
    std::vector<std::string> not_counted;
    for (const ChapterProgress& chapter_progress : progress) {
        const Chapter& chapter = *chapter_progress.chapter;
        out << "  " << chapter.number << " " << std::left << std::setw(14) << chapter.slug()
            << std::setw(40) << fit(chapter.title, 40) << " ";
        if (!chapter_progress.blocked_by.empty()) {
            out << blocked_note(chapter_progress) << "\n" << std::right;
            not_counted.push_back(chapter.number);
            continue;
        }
        const int total = static_cast<int>(chapter_progress.results.size());
        const int passed = chapter_progress.passed();
        all_passed += passed;
        all_total += total;
        out << progress_bar(passed, total) << " " << std::right << std::setw(3) << passed << "/"
            << total << tree_note(chapter, index, passed < total) << "\n";
        if (verbose) {
            for (const TestResult& result : chapter_progress.results) {
                out << "       " << (result.outcome == Outcome::Passed ? "ok  " : "--  ")
                    << result.name
                    << (result.outcome == Outcome::Passed
                            ? ""
                            : std::string("  (") + outcome_name(result.outcome) + ")")
                    << "\n";
            }
        }
        for (const std::string& name : chapter_progress.missing_from_binary) {
            out << "       warning: the manifest lists " << name
                << ", the test binary has no such test\n";
        }
        for (const std::string& name : chapter_progress.missing_from_manifest) {
            out << "       warning: " << name << " is not a step in " << chapter.folder
                << "/chapter.json\n";
        }
    }
    out << "\n  " << all_passed << " of " << all_total << " steps pass";
    if (!not_counted.empty()) {
        out << " (not counted: chapter";
        out << (not_counted.size() > 1 ? "s " : " ");
        for (std::size_t i = 0; i < not_counted.size(); ++i) {
            out << (i == 0 ? "" : ", ") << not_counted[i];
        }
        out << ", not built)";
    }
    out << ".\n";

    for (const ChapterProgress& chapter_progress : progress) {
        if (!chapter_progress.blocked_by.empty()) {
            print_compile_error(out, chapter_progress);
            return;
        }
        const TestResult* next = chapter_progress.first_unfinished();
        if (next == nullptr) {
            continue;
        }
        out << "\nNext: chapter " << chapter_progress.chapter->number << ", " << next->name << " ("
            << outcome_name(next->outcome) << ")\n";
        print_step(out, index, chapter_progress, *next, false);
        return;
    }
    if (all_total > 0) {
        out << "\nEvery step passes. Compare with the reference: cmake --workflow --preset "
               "solutions\n";
    }
}

bool print_hint(std::ostream& out, const BuildIndex& index, bool more,
                const std::vector<ChapterProgress>& progress) {
    for (const ChapterProgress& chapter_progress : progress) {
        if (!chapter_progress.blocked_by.empty()) {
            print_compile_error(out, chapter_progress);
            return true;
        }
        const TestResult* next = chapter_progress.first_unfinished();
        if (next == nullptr) {
            continue;
        }
        const Chapter& chapter = *chapter_progress.chapter;
        const Step* step = chapter.find_step(next->name);
        out << "Chapter " << chapter.number << ", " << next->name << "\n\n";
        if (step != nullptr) {
            if (more || step->nudge.empty()) {
                out << "Hint: " << step->hint << "\n";
            } else {
                out << "Nudge: " << step->nudge << "\n\n(Still stuck? ./workbook hint --more)\n";
            }
            out << "\nRead: " << relative(chapter.lesson, index) << " " << step->section << "\n";
        } else {
            out << "This test is not in the chapter's manifest, so it has no hint.\n";
        }
        return true;
    }
    out << "Nothing left to hint at: every step passes.\n";
    return false;
}

// The manifest's sections that have no "## §N" heading in the lesson.
std::vector<std::string> sections_missing_from_lesson(const Chapter& chapter) {
    std::ifstream in(chapter.lesson);
    std::set<std::string> headings;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("## §", 0) == 0) {
            headings.insert(line.substr(3, line.find(' ', 3) - 3));  // "## §2 Title" -> "§2"
        }
    }
    std::vector<std::string> missing;
    for (const Step& step : chapter.steps) {
        if (headings.count(step.section) == 0) {
            missing.push_back(step.test + " -> " + step.section);
        }
    }
    return missing;
}

bool print_skeleton_check(std::ostream& out, const std::vector<ChapterProgress>& progress) {
    bool clean = true;
    int checked = 0;
    for (const ChapterProgress& chapter_progress : progress) {
        const Chapter& chapter = *chapter_progress.chapter;
        if (!chapter_progress.blocked_by.empty()) {
            out << "DOES NOT BUILD: " << chapter.folder << " (" << blocked_note(chapter_progress)
                << ")\n";
            clean = false;
            continue;
        }
        for (const std::string& missing : sections_missing_from_lesson(chapter)) {
            out << "MANIFEST SECTION WITHOUT A HEADING IN THE LESSON: " << chapter.folder << " "
                << missing << "\n";
            clean = false;
        }
        for (const TestResult& result : chapter_progress.results) {
            ++checked;
            if (result.outcome == Outcome::Passed) {
                out << "PASSES ON THE SKELETON: " << chapter.folder << " " << result.name
                    << " (it tests nothing the learner writes)\n";
                clean = false;
            } else if (result.outcome == Outcome::TimedOut || result.outcome == Outcome::Crashed) {
                out << "HANGS OR CRASHES ON THE SKELETON: " << chapter.folder << " " << result.name
                    << " (" << outcome_name(result.outcome) << ": a skeleton must fail cleanly)\n"
                    << indent(result.message, 8);
                clean = false;
            }
        }
        for (const std::string& name : chapter_progress.missing_from_binary) {
            out << "MANIFEST STEP WITHOUT A TEST: " << chapter.folder << " " << name << "\n";
            clean = false;
        }
        for (const std::string& name : chapter_progress.missing_from_manifest) {
            out << "TEST MISSING FROM THE MANIFEST: " << chapter.folder << " " << name << "\n";
            clean = false;
        }
    }
    if (clean) {
        out << "Skeleton check: all " << checked << " kata tests fail on the untouched skeletons, "
            << "none hangs or crashes, and every manifest agrees with its tests and its lesson.\n";
    }
    return clean;
}

}  // namespace workbook
