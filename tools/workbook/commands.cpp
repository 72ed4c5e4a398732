// The verbs (see commands.hpp). Every verb that builds or runs tests holds the build directory's
// lock for exactly that long; `watch` lets go of it while it waits for a change.
#include "commands.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <iostream>
#include <sstream>

#include "build_lock.hpp"
#include "file_watcher.hpp"
#include "process.hpp"
#include "progress_line.hpp"

namespace workbook {
namespace {

namespace fs = std::filesystem;

std::vector<const Chapter*> selected(const BuildIndex& index, const CommonOptions& options) {
    std::vector<const Chapter*> chapters;
    if (options.chapter) {
        chapters.push_back(&index.chapter(*options.chapter));
    } else {
        for (const Chapter& chapter : index.chapters) {
            chapters.push_back(&chapter);
        }
    }
    return chapters;
}

// Runs the tests of each chapter that was built; a chapter that was not is reported as such.
std::vector<ChapterProgress> run_built(const BuildIndex& index,
                                       const std::vector<const Chapter*>& chapters,
                                       const BuildOutcome& build, const CommonOptions& options) {
    std::vector<ChapterProgress> progress;
    ProgressLine line;
    for (const Chapter* chapter : chapters) {
        if (!build.blocker(index, *chapter).empty()) {
            progress.push_back(blocked_chapter(index, *chapter, build));
            continue;
        }
        progress.push_back(run_chapter(
            *chapter, options.run, std::nullopt, [&](std::size_t done, std::size_t total) {
                line.show("Running chapter " + chapter->number +
                          "'s tests: " + std::to_string(done) + " of " + std::to_string(total));
            }));
    }
    return progress;
}

// Builds (unless --no-build) and runs the selected chapters, holding the build lock throughout.
// nullopt when the build failed in a way no chapter owns; the failure has then been printed.
std::optional<std::vector<ChapterProgress>> build_and_run(const BuildIndex& index,
                                                          const CommonOptions& options) {
    const std::vector<const Chapter*> chapters = selected(index, options);
    BuildLock lock(index.build_dir, options.holder);
    BuildOutcome build;
    if (!options.no_build) {
        build = build_chapters(index, chapters);
    }
    if (!build.unowned_failure.empty()) {
        std::cout << build.unowned_failure
                  << "\nworkbook: the build failed (above) outside any chapter, so no test was "
                     "run.\n";
        return std::nullopt;
    }
    return run_built(index, chapters, build, options);
}

std::string now_text() {
    const std::time_t now = std::time(nullptr);
    std::array<char, 16> text{};
    std::strftime(text.data(), text.size(), "%H:%M:%S", std::localtime(&now));
    return text.data();
}

// A fresh folder under `parent` named `stem`, or `stem-2`, `stem-3`, ...: two resets within one
// second never share (or fail on) a backup folder.
fs::path unique_folder(const fs::path& parent, const std::string& stem) {
    fs::create_directories(parent);
    for (int attempt = 1;; ++attempt) {
        fs::path candidate = parent / (attempt == 1 ? stem : stem + "-" + std::to_string(attempt));
        if (fs::create_directory(candidate)) {
            return candidate;
        }
    }
}

}  // namespace

int command_list(const CommonOptions& options) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    for (const Chapter& chapter : index.chapters) {
        std::cout << chapter.number << "  " << chapter.slug() << "  " << chapter.title << "  ("
                  << chapter.steps.size() << " steps, from " << chapter.tree << ")\n";
    }
    return 0;
}

int command_status(const CommonOptions& options) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    const auto progress = build_and_run(index, options);
    if (!progress) {
        return 1;
    }
    print_status(std::cout, index, *progress, options.verbose);
    return 0;  // failing katas, even a chapter that does not compile, are a learner's normal state
}

int command_hint(const CommonOptions& options, bool more) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    const auto progress = build_and_run(index, options);
    if (!progress) {
        return 1;
    }
    print_hint(std::cout, index, more, *progress);
    return 0;
}

int command_check_skeletons(const CommonOptions& options) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    for (const Chapter* chapter : selected(index, options)) {
        if (chapter->tree != "skeletons") {
            throw UsageError("this build compiles chapter " + chapter->number +
                             " from solutions/; the skeleton check needs a build of the skeletons "
                             "(cmake --workflow --preset skeleton-check)");
        }
    }
    const auto progress = build_and_run(index, options);
    if (!progress) {
        return 1;
    }
    return print_skeleton_check(std::cout, *progress) ? 0 : 1;
}

int command_show(const CommonOptions& options, const std::string& step_text) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    // "1.3": chapter 1, step 3 of its manifest.
    const Chapter* chapter = nullptr;
    std::string test;
    if (const auto dot = step_text.find('.');
        dot != std::string::npos &&
        step_text.find_first_not_of("0123456789.") == std::string::npos) {
        chapter = &index.chapter(step_text.substr(0, dot));
        const std::string number = step_text.substr(dot + 1);
        const std::size_t position = number.empty() ? 0 : std::stoul(number);
        if (position < 1 || position > chapter->steps.size()) {
            throw UsageError("chapter " + chapter->number + " has steps 1 to " +
                             std::to_string(chapter->steps.size()) + ", not '" + number + "'");
        }
        test = chapter->full_name(chapter->steps[position - 1]);
    } else {
        // A test name, with or without its suite, or the start of one.
        std::vector<std::pair<const Chapter*, std::string>> matches;
        for (const Chapter* candidate : selected(index, options)) {
            for (const Step& step : candidate->steps) {
                const std::string full = candidate->full_name(step);
                if (full == step_text || step.test == step_text) {
                    matches = {{candidate, full}};
                    break;
                }
                if (step.test.rfind(step_text, 0) == 0 || full.rfind(step_text, 0) == 0) {
                    matches.emplace_back(candidate, full);
                }
            }
            if (matches.size() == 1 && (matches.front().second == step_text ||
                                        matches.front().second.ends_with("." + step_text))) {
                break;
            }
        }
        if (matches.empty()) {
            throw UsageError("no step '" + step_text +
                             "': give CHAPTER.STEP (such as 1.3) or a test name from "
                             "./workbook status -v");
        }
        if (matches.size() > 1) {
            std::string list;
            for (std::size_t i = 0; i < matches.size() && i < 8; ++i) {
                list += "\n  " + matches[i].second;
            }
            throw UsageError("'" + step_text + "' names " + std::to_string(matches.size()) +
                             " steps; say which (or add --chapter N):" + list);
        }
        chapter = matches.front().first;
        test = matches.front().second;
    }

    BuildLock lock(index.build_dir, options.holder);
    BuildOutcome build;
    if (!options.no_build) {
        build = build_chapters(index, {chapter});
    }
    if (!build.unowned_failure.empty()) {
        std::cout << build.unowned_failure << "\nworkbook: the build failed (above).\n";
        return 1;
    }
    if (!build.blocker(index, *chapter).empty()) {
        const ChapterProgress blocked = blocked_chapter(index, *chapter, build);
        std::cout << test << ": not run, chapter " << blocked.blocked_by
                  << " does not compile.\n\n";
        if (blocked.compile_error) {
            std::cout << blocked.compile_error->output;
        }
        return 0;
    }
    const ChapterProgress progress = run_chapter(*chapter, options.run, test);
    if (progress.results.empty()) {
        throw UsageError(test + " is in the manifest but not in " + chapter->binary.string());
    }
    const TestResult& result = progress.results.front();
    std::cout << "Chapter " << chapter->number << ", " << result.name << ": "
              << outcome_name(result.outcome) << " (" << result.duration.count() << " ms)\n";
    print_step(std::cout, index, progress, result, true);
    return 0;
}

int command_watch(const CommonOptions& options) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    FileWatcher watcher;
    // The chapters shown and the chapters they are built on: an edit to either changes a result.
    for (const Chapter* chapter : selected(index, options)) {
        std::vector<std::string> numbers = dependencies_of(index, *chapter);
        numbers.push_back(chapter->number);
        for (const Chapter& watched : index.chapters) {
            if (std::find(numbers.begin(), numbers.end(), watched.number) != numbers.end()) {
                watcher.add_tree(watched.sources);
                watcher.add_tree(watched.tests);
            }
        }
    }
    std::cout << "Watching " << (options.chapter ? "chapter " + *options.chapter : "every chapter")
              << ". Save a file to rebuild and rerun; Ctrl-C to stop.\n"
              << std::flush;
    for (;;) {
        if (const auto progress = build_and_run(index, options)) {
            print_status(std::cout, index, *progress, options.verbose);
        } else {
            std::cout << "(No results: the last ones shown are stale, from before this change.)\n";
        }
        std::cout << "\n(" << now_text() << ", watching for changes...)\n" << std::flush;
        const std::vector<fs::path> changed = watcher.wait_for_changes();
        std::cout << "\n"
                  << now_text()
                  << " changed: " << fs::relative(changed.front(), index.source_dir).string()
                  << (changed.size() > 1 ? " and " + std::to_string(changed.size() - 1) + " more"
                                         : std::string())
                  << "\n"
                  << std::flush;
    }
}

int command_focus(const CommonOptions& options, const std::string& target) {
    BuildIndex index = BuildIndex::load(options.build_dir);
    const std::vector<std::string> folders = chapters_in_checkout(index.source_dir);
    std::string skeletons = "all";
    if (target != "all") {
        std::string number;
        try {
            number = normalize_chapter_number(target);
        } catch (const UsageError&) {
            throw UsageError("focus takes a chapter number (such as 3) or all, not '" + target +
                             "'");
        }
        const bool exists = std::any_of(folders.begin(), folders.end(), [&](const auto& folder) {
            return folder.rfind(number + "-", 0) == 0;
        });
        if (!exists) {
            std::string list;
            for (const std::string& folder : folders) {
                list += (list.empty() ? "" : ", ") + folder.substr(0, 2);
            }
            throw UsageError("there is no chapter " + target +
                             " in this checkout (chapters: " + list + ")");
        }
        skeletons = number;
    }
    {
        BuildLock lock(index.build_dir, options.holder);
        std::cerr << "Configuring " << fs::relative(index.build_dir, index.source_dir).string()
                  << ": "
                  << (skeletons == "all"
                          ? std::string("every chapter from skeletons/")
                          : "chapter " + skeletons +
                                " from skeletons/, every other chapter from solutions/")
                  << "...\n";
        std::string log;
        SpawnOptions in_checkout;
        in_checkout.working_dir = index.source_dir;
        const int code =
            run_lines({"cmake", "--preset", "learn", "-B", index.build_dir.string(),
                       "-DWORKBOOK_SKELETONS=" + skeletons},
                      in_checkout, [&](const std::string& line) { log += line + "\n"; });
        if (code != 0) {
            std::cout << log << "\nworkbook: configuring failed (above).\n";
            return 1;
        }
    }
    index = BuildIndex::load(options.build_dir);
    CommonOptions all = options;
    all.chapter.reset();
    const auto progress = build_and_run(index, all);
    if (!progress) {
        return 1;
    }
    print_status(std::cout, index, *progress, options.verbose);
    return 0;
}

int command_reset(const fs::path& source_dir, const std::string& chapter_text,
                  const std::optional<std::string>& from) {
    const std::string number = normalize_chapter_number(chapter_text);
    fs::path folder;
    if (fs::exists(source_dir / "skeletons")) {
        for (const auto& entry : fs::directory_iterator(source_dir / "skeletons")) {
            if (entry.path().filename().string().rfind(number + "-", 0) == 0) {
                folder = entry.path();
            }
        }
    }
    if (folder.empty()) {
        throw UsageError("no chapter " + chapter_text + " under " +
                         (source_dir / "skeletons").string());
    }
    const auto git = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"git", "-C", source_dir.string()});
        return args;
    };
    if (!capture(git({"rev-parse", "--is-inside-work-tree"}))) {
        throw UsageError(source_dir.string() +
                         " is not a git checkout, so there is no untouched "
                         "skeleton to restore from");
    }
    std::string revision;
    if (from) {
        revision = *from;
    } else if (auto upstream = capture(
                   git({"rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"}))) {
        revision = *upstream;
    } else {
        revision = "HEAD";
    }
    if (!capture(git({"rev-parse", "--verify", "--quiet", revision + "^{commit}"}))) {
        throw UsageError("'" + revision + "' is not a git revision here");
    }
    const fs::path relative = fs::relative(folder, source_dir);

    // Nothing to do (and nothing to back up) when the folder already is the revision's skeleton:
    // no file differs from it and no file was added.
    const bool same_files = run(git({"diff", "--quiet", revision, "--", relative.string()})) == 0;
    const auto added = capture(git({"ls-files", "--others", "--", relative.string()}));
    if (same_files && added && added->empty()) {
        std::cout << relative.string() << " is already the untouched skeleton of " << revision
                  << ": nothing to reset, no backup made.\n";
        return 0;
    }

    // Keep the learner's work: nothing is lost by a reset.
    const std::time_t now = std::time(nullptr);
    std::array<char, 32> stamp{};
    std::strftime(stamp.data(), stamp.size(), "%Y%m%d-%H%M%S", std::localtime(&now));
    const fs::path backup_root = unique_folder(source_dir / ".workbook" / "backups", stamp.data());
    const fs::path backup = backup_root / relative;
    fs::create_directories(backup.parent_path());
    fs::copy(folder, backup, fs::copy_options::recursive);
    fs::remove_all(folder);
    const int code = run(git({"checkout", revision, "--", relative.string()}));
    if (code != 0) {
        fs::copy(backup, folder, fs::copy_options::recursive);  // put the learner's files back
        throw UsageError("git checkout failed; your files are unchanged");
    }
    const std::string saved = fs::relative(backup, source_dir).string();
    std::cout << "Restored " << relative.string() << " from " << revision << ".\n"
              << "Your previous files are in " << saved << "\n"
              << "To get them back:  rm -r " << relative.string() << " && cp -r " << saved << " "
              << relative.parent_path().string() << "/\n";
    return 0;
}

}  // namespace workbook
