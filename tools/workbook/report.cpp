#include "report.hpp"

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <ostream>
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

ChapterProgress run_chapter(const Chapter& chapter, const RunOptions& options) {
    ChapterProgress progress;
    progress.chapter = &chapter;
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
    progress.results = run_tests(chapter.binary, ordered, options.jobs, options.timeout);
    return progress;
}

void print_status(std::ostream& out, const BuildIndex& index,
                  const std::vector<ChapterProgress>& progress, bool verbose) {
    out << "\nPython-internals workbook  (" << relative(index.build_dir, index)
        << ", skeletons: " << index.skeletons << ")\n\n";
    int all_passed = 0;
    int all_total = 0;
    for (const ChapterProgress& chapter_progress : progress) {
        const Chapter& chapter = *chapter_progress.chapter;
        const int total = static_cast<int>(chapter_progress.results.size());
        const int passed = chapter_progress.passed();
        all_passed += passed;
        all_total += total;
        out << "  " << chapter.number << " " << std::left << std::setw(14) << chapter.slug()
            << std::setw(40) << fit(chapter.title, 40) << " " << progress_bar(passed, total) << " "
            << std::right << std::setw(3) << passed << "/" << total
            << tree_note(chapter, index, passed < total) << "\n";
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
    out << "\n  " << all_passed << " of " << all_total << " steps pass.\n";

    for (const ChapterProgress& chapter_progress : progress) {
        const TestResult* next = chapter_progress.first_unfinished();
        if (next == nullptr) {
            continue;
        }
        const Chapter& chapter = *chapter_progress.chapter;
        const Step* step = chapter.find_step(next->name);
        out << "\nNext: chapter " << chapter.number << ", " << next->name << " ("
            << outcome_name(next->outcome) << ")\n"
            << indent(next->message);
        if (step != nullptr) {
            out << "  Lesson: " << relative(chapter.lesson, index) << " " << step->section << "\n"
                << "  Edit:   " << relative(chapter.sources, index) << "/\n"
                << "  Hint:   " << (step->nudge.empty() ? step->hint : step->nudge) << "\n";
        }
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
