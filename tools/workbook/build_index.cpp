// Reading workbook.json and the chapter manifests it points to (see build_index.hpp).
#include "build_index.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

namespace workbook {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw UsageError("cannot read " + path.string());
    }
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        throw UsageError(path.string() + " is not valid JSON: " + error.what());
    }
}

}  // namespace

const Step* Chapter::find_step(const std::string& test_name) const {
    const auto it = std::find_if(steps.begin(), steps.end(),
                                 [&](const Step& step) { return full_name(step) == test_name; });
    return it == steps.end() ? nullptr : &*it;
}

std::string normalize_chapter_number(const std::string& text) {
    if (text.empty() || text.size() > 3 ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        throw UsageError("'" + text + "' is not a chapter number (try 1 or 01)");
    }
    const int number = std::stoi(text);
    return (number < 10 ? "0" : "") + std::to_string(number);
}

void load_manifest(const std::filesystem::path& manifest, Chapter& chapter) {
    const nlohmann::json json = read_json(manifest);
    try {
        chapter.number = json.at("number").get<std::string>();
        chapter.folder = chapter.number + "-" + json.at("slug").get<std::string>();
        chapter.title = json.at("title").get<std::string>();
        chapter.test_suite = json.at("test_suite").get<std::string>();
        chapter.depends = json.value("depends", std::vector<std::string>{});
        chapter.steps.clear();
        for (const auto& step : json.at("steps")) {
            chapter.steps.push_back(
                {step.at("test").get<std::string>(), step.at("section").get<std::string>(),
                 step.value("nudge", std::string{}), step.at("hint").get<std::string>()});
        }
    } catch (const nlohmann::json::exception& error) {
        throw UsageError(manifest.string() + ": " + error.what());
    }
}

BuildIndex BuildIndex::load(const std::filesystem::path& build_dir) {
    const auto index_file = build_dir / "workbook.json";
    if (!std::filesystem::exists(index_file)) {
        throw UsageError("no workbook build in " + build_dir.string() +
                         ": run `cmake --workflow --preset learn` first (or pass --build-dir)");
    }
    const nlohmann::json json = read_json(index_file);
    BuildIndex index;
    try {
        index.source_dir = json.at("source_dir").get<std::string>();
        index.build_dir = json.at("build_dir").get<std::string>();
        index.skeletons = json.at("skeletons").get<std::string>();
        index.test_timeout = json.at("test_timeout").get<int>();
        for (const auto& entry : json.at("chapters")) {
            Chapter chapter;
            load_manifest(entry.at("manifest").get<std::string>(), chapter);
            chapter.tree = entry.at("tree").get<std::string>();
            chapter.lesson = entry.at("lesson").get<std::string>();
            chapter.sources = entry.at("sources").get<std::string>();
            chapter.tests = entry.at("tests").get<std::string>();
            chapter.binary = entry.at("binary").get<std::string>();
            // Older builds do not list it: the build names it like this (cmake/Workbook.cmake).
            std::string fallback = "ch" + chapter.folder + "_tests";
            std::replace(fallback.begin(), fallback.end(), '-', '_');
            chapter.test_target = entry.value("test_target", fallback);
            index.chapters.push_back(std::move(chapter));
        }
    } catch (const nlohmann::json::exception& error) {
        throw UsageError(index_file.string() + ": " + error.what() + " (reconfigure the build)");
    }
    return index;
}

std::string relative_paths_in(std::string text, const std::filesystem::path& source_dir) {
    const std::string prefix = source_dir.string() + "/";
    for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
        // Only where a path starts: "/src/" inside "skeletons/01-refcount/src/" is not the
        // checkout.
        if (at == 0 || std::string_view(" \t\n(\"'`:=").find(text[at - 1]) != std::string::npos) {
            text.erase(at, prefix.size());
        } else {
            at += prefix.size();
        }
    }
    return text;
}

std::vector<std::string> chapters_in_checkout(const std::filesystem::path& source_dir) {
    std::vector<std::string> folders;
    const auto root = source_dir / "chapters";
    if (!std::filesystem::is_directory(root)) {
        return folders;
    }
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 3 && std::isdigit(static_cast<unsigned char>(name[0])) != 0 &&
            std::isdigit(static_cast<unsigned char>(name[1])) != 0 && name[2] == '-' &&
            std::filesystem::exists(entry.path() / "chapter.json")) {
            folders.push_back(name);
        }
    }
    std::sort(folders.begin(), folders.end());
    return folders;
}

const Chapter& BuildIndex::chapter(const std::string& number) const {
    const std::string wanted = normalize_chapter_number(number);
    for (const Chapter& chapter : chapters) {
        if (chapter.number == wanted) {
            return chapter;
        }
    }
    throw UsageError("no chapter " + number + " in this build");
}

}  // namespace workbook
