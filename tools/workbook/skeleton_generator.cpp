// The skeleton generator: turns the marked solutions into skeletons/ (see skeleton_generator.hpp
// for the markers, docs/adding-a-chapter.md for the way a chapter is written with them).
#include "skeleton_generator.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "build_index.hpp"
#include "process.hpp"

namespace workbook {
namespace {

// One message from several parts, built in place (a chain of `+` makes a temporary per part).
template <class... Parts>
std::string message(const Parts&... parts) {
    std::string out;
    (out.append(parts), ...);
    return out;
}

namespace fs = std::filesystem;

constexpr std::string_view kMarker = "// kata:";

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw UsageError("cannot read " + path.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        throw UsageError("cannot write " + path.string());
    }
}

// Splits on '\n' keeping an empty last piece, so that joining with '\n' gives the text back.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            lines.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    lines.push_back(text.substr(start));
    return lines;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::istringstream in{std::string(text)};
    for (std::string word; in >> word;) {
        words.push_back(word);
    }
    return words;
}

// One `// kata: ...` line, taken apart.
struct Marker {
    std::string indent;  // the white space before "//"
    std::string verb;    // begin, end, skeleton
    std::string rest;    // what follows the verb and one space
};

std::optional<Marker> parse_marker(std::string_view line, const std::string& where) {
    const std::size_t first = line.find_first_not_of(" \t");
    const std::size_t found = line.find(kMarker);
    if (found == std::string_view::npos) {
        return std::nullopt;
    }
    if (found != first) {
        throw UsageError(where + ": a '// kata:' marker must stand alone on its line");
    }
    Marker marker;
    marker.indent = std::string(line.substr(0, first));
    std::string_view after = line.substr(found + kMarker.size());
    if (after.empty() || after.front() != ' ') {
        throw UsageError(where + ": write '// kata: begin', '// kata: end' or '// kata: skeleton'");
    }
    after.remove_prefix(1);
    const std::size_t space = after.find(' ');
    marker.verb = std::string(after.substr(0, space));
    if (space != std::string_view::npos) {
        marker.rest = std::string(after.substr(space + 1));
    }
    return marker;
}

// The flags of `// kata: begin ...`.
struct Region {
    std::string section;
    bool no_except = false;
    bool replace = false;
};

Region parse_begin(const Marker& marker, const ChapterFacts& chapter, const std::string& where) {
    Region region;
    for (const std::string& word : split_words(marker.rest)) {
        if (word == "noexcept") {
            region.no_except = true;
        } else if (word == "replace") {
            region.replace = true;
        } else if (word.rfind("§", 0) == 0) {
            if (!region.section.empty()) {
                throw UsageError(where + ": a region names one lesson section, not two");
            }
            if (chapter.sections.count(word) == 0) {
                throw UsageError(message(where, ": ", word, " is not a '## ", word,
                                         " ...' heading of chapters/", chapter.folder,
                                         "/README.md"));
            }
            region.section = word;
        } else if (word.size() == 6 && word.rfind("step", 0) == 0) {
            if (chapter.steps.count(word.substr(4)) == 0) {
                throw UsageError(message(where, ": ", word, " is not a step of chapters/",
                                         chapter.folder, "/chapter.json"));
            }
        } else {
            throw UsageError(
                message(where, ": unknown flag '", word, "' (use §N, stepNN, noexcept, replace)"));
        }
    }
    if (!region.replace && region.section.empty()) {
        throw UsageError(where + ": a region's TODO names a lesson section: add §N");
    }
    return region;
}

std::string todo_line(const std::string& indent, const Region& region, const ChapterFacts& chapter,
                      bool in_header) {
    std::string macro = region.no_except ? "PY_KATA_TODO_NOEXCEPT" : "PY_KATA_TODO";
    std::string arguments = "\"" + region.section + "\"";
    if (in_header) {
        // Header code is compiled in the tests, outside the chapter library: name the chapter.
        macro += "_IN";
        arguments = "\"chapters/" + chapter.folder + "\", " + arguments;
    }
    return indent + macro + "(" + arguments + ");";
}

std::string skeleton_line(const Marker& marker) {
    return marker.rest.empty() ? std::string() : marker.indent + marker.rest;
}

// The generated text laid out by clang-format with the repository's .clang-format: a marker's
// skeleton line may sit at another indentation than the code around it once formatted, and the
// skeletons must pass format-check as the solutions do.
std::string clang_formatted(const std::string& text, const fs::path& source_dir,
                            const fs::path& relative_name) {
    std::optional<std::string> program;
    for (const char* name : {"clang-format", "clang-format-14"}) {
        try {
            if (!program && capture({name, "--version"})) {
                program = name;
            }
        } catch (const SpawnError&) {
            // not installed under this name: try the next
        }
    }
    if (!program) {
        throw UsageError("generate-skeletons needs clang-format on PATH (Debian: clang-format)");
    }
    // A scratch copy with the real name's extension, formatted in place.
    const fs::path scratch = source_dir / ".workbook" / "generate" / relative_name.filename();
    write_file(scratch, text);
    const std::string style = "--style=file:" + (source_dir / ".clang-format").string();
    if (run({*program, style, "-i", scratch.string()}) != 0) {
        throw UsageError(*program + " failed on the generated " + relative_name.string());
    }
    std::string formatted = read_file(scratch);
    fs::remove(scratch);
    return formatted;
}

ChapterFacts read_chapter_facts(const fs::path& source_dir, const std::string& folder) {
    ChapterFacts facts;
    facts.folder = folder;
    const fs::path chapter_dir = source_dir / "chapters" / folder;
    std::istringstream lesson(read_file(chapter_dir / "README.md"));
    for (std::string line; std::getline(lesson, line);) {
        if (line.rfind("## §", 0) == 0) {
            facts.sections.insert(split_words(line.substr(3)).front());
        }
    }
    const auto manifest = nlohmann::json::parse(read_file(chapter_dir / "chapter.json"));
    for (const auto& step : manifest.at("steps")) {
        const auto test = step.at("test").get<std::string>();
        if (test.size() > 6 && test.rfind("Step", 0) == 0) {
            facts.steps.insert(test.substr(4, 2));
        }
    }
    return facts;
}

// Relative path -> text of every skeleton file the chapter's solution generates.
std::map<fs::path, std::string> generate_chapter(const fs::path& source_dir,
                                                 const std::string& folder) {
    const ChapterFacts facts = read_chapter_facts(source_dir, folder);
    const fs::path solution_dir = source_dir / "solutions" / folder;
    std::map<fs::path, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(solution_dir)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const fs::path relative = fs::relative(entry.path(), solution_dir);
        const std::string label = "solutions/" + folder + "/" + relative.string();
        const std::string text = read_file(entry.path());
        if (text.find(kMarker) == std::string::npos) {
            throw UsageError(message(label,
                                     " has no kata region: a file without kata code belongs in "
                                     "given/",
                                     folder, "/", relative.string()));
        }
        const bool in_header = *relative.begin() == "include";
        files[relative] = clang_formatted(generate_skeleton_text(text, facts, in_header, label),
                                          source_dir, relative);
    }
    return files;
}

std::vector<std::string> chapter_folders(const fs::path& source_dir) {
    std::vector<std::string> folders;
    for (const auto& entry : fs::directory_iterator(source_dir / "solutions")) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && fs::exists(source_dir / "chapters" / name / "chapter.json")) {
            folders.push_back(name);
        }
    }
    std::sort(folders.begin(), folders.end());
    return folders;
}

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm local{};
    localtime_r(&seconds, &local);
    std::array<char, 32> stamp{};
    std::strftime(stamp.data(), stamp.size(), "%Y%m%d-%H%M%S", &local);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000;
    return std::string(stamp.data()) + "-" + std::to_string(micros);
}

}  // namespace

std::string generate_skeleton_text(std::string_view solution_text, const ChapterFacts& chapter,
                                   bool in_header, const std::string& label) {
    std::vector<std::string> out;
    std::optional<Region> region;
    std::vector<std::string> region_skeleton;  // the skeleton lines of the open region
    std::string region_indent;
    int region_line = 0;
    int number = 0;
    for (std::string_view line : split_lines(solution_text)) {
        ++number;
        const std::string where = label + ":" + std::to_string(number);
        const std::optional<Marker> marker = parse_marker(line, where);
        if (!marker) {
            if (!region) {
                out.emplace_back(line);
            }
            continue;
        }
        if (marker->verb == "begin") {
            if (region) {
                throw UsageError(where + ": a region begins inside the region begun on line " +
                                 std::to_string(region_line));
            }
            region = parse_begin(*marker, chapter, where);
            region_indent = marker->indent;
            region_line = number;
            region_skeleton.clear();
        } else if (marker->verb == "end") {
            if (!region) {
                throw UsageError(where + ": '// kata: end' without a region to end");
            }
            if (!region->replace) {
                out.push_back(todo_line(region_indent, *region, chapter, in_header));
            }
            out.insert(out.end(), region_skeleton.begin(), region_skeleton.end());
            region.reset();
        } else if (marker->verb == "skeleton") {
            (region ? region_skeleton : out).push_back(skeleton_line(*marker));
        } else {
            throw UsageError(where + ": unknown marker '" + marker->verb +
                             "' (use begin, end, skeleton)");
        }
    }
    if (region) {
        throw UsageError(label + ":" + std::to_string(region_line) +
                         ": the region begun here has no '// kata: end'");
    }
    std::string text;
    for (std::size_t i = 0; i < out.size(); ++i) {
        text += out[i];
        if (i + 1 < out.size()) {
            text += '\n';
        }
    }
    return text;
}

int command_generate_skeletons(const fs::path& source_dir, bool check) {
    if (!fs::is_directory(source_dir / "solutions") || !fs::is_directory(source_dir / "chapters")) {
        throw UsageError(source_dir.string() +
                         " is not a workbook checkout (no solutions/ and chapters/)");
    }
    std::vector<std::string> problems;
    std::vector<fs::path> changed;
    const std::string backup_stamp = timestamp();
    fs::path backup_root;
    for (const std::string& folder : chapter_folders(source_dir)) {
        const std::map<fs::path, std::string> files = generate_chapter(source_dir, folder);
        const fs::path skeleton_dir = source_dir / "skeletons" / folder;
        for (const auto& [relative, text] : files) {
            const fs::path target = skeleton_dir / relative;
            const fs::path shown = fs::path("skeletons") / folder / relative;
            const bool exists = fs::exists(target);
            if (exists && read_file(target) == text) {
                continue;
            }
            if (check) {
                problems.push_back(shown.string() +
                                   (exists ? " differs from its generated text" : " is missing"));
                continue;
            }
            if (exists) {
                backup_root = source_dir / ".workbook" / "backups" / ("generate-" + backup_stamp);
                fs::create_directories((backup_root / shown).parent_path());
                fs::copy_file(target, backup_root / shown);
            }
            write_file(target, text);
            changed.push_back(shown);
        }
        if (check && fs::is_directory(skeleton_dir)) {
            for (const auto& entry : fs::recursive_directory_iterator(skeleton_dir)) {
                const fs::path relative = fs::relative(entry.path(), skeleton_dir);
                if (entry.is_regular_file() && files.count(relative) == 0) {
                    problems.push_back((fs::path("skeletons") / folder / relative).string() +
                                       " has no marked solution file behind it");
                }
            }
        }
    }
    if (check) {
        if (problems.empty()) {
            std::cout << "skeletons/ is what the generator writes from solutions/.\n";
            return 0;
        }
        for (const std::string& problem : problems) {
            std::cout << "  " << problem << "\n";
        }
        std::cout << problems.size()
                  << " skeleton file(s) out of date: run ./workbook generate-skeletons and commit "
                     "the result.\n";
        return 1;
    }
    for (const fs::path& path : changed) {
        std::cout << "wrote " << path.string() << "\n";
    }
    std::cout << (changed.empty()
                      ? "skeletons/ was already up to date.\n"
                      : std::to_string(changed.size()) + " skeleton file(s) written.\n");
    if (!backup_root.empty()) {
        std::cout << "The previous versions of the files that changed are in "
                  << fs::relative(backup_root, source_dir).string() << "\n";
    }
    return 0;
}

}  // namespace workbook
