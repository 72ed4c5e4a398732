#include "commands.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iostream>

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

std::vector<ChapterProgress> run_selected(const BuildIndex& index, const CommonOptions& options) {
    std::vector<ChapterProgress> progress;
    for (const Chapter* chapter : selected(index, options)) {
        progress.push_back(run_chapter(*chapter, options.run));
    }
    return progress;
}

// Runs a command line through the shell-free exec family; returns its exit code.
int run_command(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        execvp(args[0], args.data());
        std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Output of a command (stdout only), or nullopt if it failed.
std::optional<std::string> capture(const std::string& command) {
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return std::nullopt;
    }
    std::string out;
    std::array<char, 256> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        out += buffer.data();
    }
    if (pclose(pipe) != 0) {
        return std::nullopt;
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
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
    print_status(std::cout, index, run_selected(index, options), options.verbose);
    return 0;  // failing katas are a learner's normal state, not an error
}

int command_hint(const CommonOptions& options, bool more) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    print_hint(std::cout, index, more, run_selected(index, options));
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
    const bool clean = print_skeleton_check(std::cout, run_selected(index, options));
    return clean ? 0 : 1;
}

int command_watch(const CommonOptions& options) {
    const BuildIndex index = BuildIndex::load(options.build_dir);
    std::vector<const Chapter*> chapters = selected(index, options);
    const int fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0) {
        throw UsageError(std::string("inotify is not available: ") + std::strerror(errno));
    }
    const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE;
    for (const Chapter* chapter : chapters) {
        for (const fs::path& root : {chapter->sources, chapter->tests}) {
            if (!fs::exists(root)) {
                continue;
            }
            inotify_add_watch(fd, root.c_str(), mask);
            for (const auto& entry : fs::recursive_directory_iterator(root)) {
                if (entry.is_directory()) {
                    inotify_add_watch(fd, entry.path().c_str(), mask);
                }
            }
        }
    }
    std::cout << "Watching " << (options.chapter ? "chapter " + *options.chapter : "every chapter")
              << ". Save a file to rebuild and rerun; Ctrl-C to stop.\n"
              << std::flush;
    for (;;) {
        run_command({"cmake", "--build", index.build_dir.string()});
        print_status(std::cout, index, run_selected(index, options), options.verbose);
        std::cout << "\n(watching for changes...)\n" << std::flush;
        std::array<char, 4096> events{};
        if (read(fd, events.data(), events.size()) < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("inotify read failed: ") + std::strerror(errno));
        }
        // Editors save in bursts (temp file, rename, chmod): let the burst settle, then drain it.
        pollfd pending{fd, POLLIN, 0};
        while (poll(&pending, 1, 300) > 0) {
            if (read(fd, events.data(), events.size()) <= 0) {
                break;
            }
        }
    }
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
    const std::string git = "git -C " + shell_quote(source_dir.string()) + " ";
    if (!capture(git + "rev-parse --is-inside-work-tree 2>/dev/null")) {
        throw UsageError(source_dir.string() +
                         " is not a git checkout, so there is no untouched "
                         "skeleton to restore from");
    }
    std::string revision;
    if (from) {
        revision = *from;
    } else if (auto upstream = capture(
                   git + "rev-parse --abbrev-ref --symbolic-full-name @{upstream} 2>/dev/null")) {
        revision = *upstream;
    } else {
        revision = "HEAD";
    }
    if (!capture(git + "rev-parse --verify --quiet " + shell_quote(revision + "^{commit}"))) {
        throw UsageError("'" + revision + "' is not a git revision here");
    }
    const fs::path relative = fs::relative(folder, source_dir);
    // Keep the learner's work: nothing is lost by a reset.
    const std::time_t now = std::time(nullptr);
    std::array<char, 32> stamp{};
    std::strftime(stamp.data(), stamp.size(), "%Y%m%d-%H%M%S", std::localtime(&now));
    const fs::path backup = source_dir / ".workbook" / "backups" / (stamp.data()) / relative;
    fs::create_directories(backup.parent_path());
    fs::copy(folder, backup, fs::copy_options::recursive);
    fs::remove_all(folder);
    const int rc = run_command(
        {"git", "-C", source_dir.string(), "checkout", revision, "--", relative.string()});
    if (rc != 0) {
        fs::copy(backup, folder, fs::copy_options::recursive);  // put the learner's files back
        throw UsageError("git checkout failed; your files are unchanged");
    }
    std::cout << "Restored " << relative.string() << " from " << revision << ".\n"
              << "Your previous files are in " << fs::relative(backup, source_dir).string() << "\n";
    return 0;
}

}  // namespace workbook
