// Starting other programs with posix_spawn (see process.hpp): file actions set up the child's
// output, input, directory and process group, so the parent never runs code in a forked copy.
#include "process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace workbook {
namespace {

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attributes{};
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attributes);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::string describe(const std::vector<std::string>& argv) {
    return argv.empty() ? std::string("(nothing)") : argv.front();
}

}  // namespace

Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    if (argv.empty()) {
        throw SpawnError("cannot start a process without a program");
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));  // posix_spawn does not write to them
    }
    args.push_back(nullptr);

    SpawnSetup setup;
    std::array<int, 2> pipe_fds{-1, -1};
    if (options.output_pipe) {
        if (pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
            throw SpawnError("cannot start " + describe(argv) + ": pipe: " + std::strerror(errno));
        }
        posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], STDOUT_FILENO);
        if (!options.quiet_stderr) {
            posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], STDERR_FILENO);
        }
    } else if (options.output_file) {
        posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO,
                                         options.output_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
    }
    if (options.quiet_stderr) {
        posix_spawn_file_actions_addopen(&setup.actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    if (options.null_stdin) {
        posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    if (options.working_dir) {
        posix_spawn_file_actions_addchdir_np(&setup.actions, options.working_dir->c_str());
    }
    if (options.own_process_group) {
        posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&setup.attributes, 0);
    }

    pid_t pid = -1;
    // glibc's posix_spawnp reports a failed fork and a failed exec alike through its result.
    const int error =
        posix_spawnp(&pid, args[0], &setup.actions, &setup.attributes, args.data(), environ);
    if (pipe_fds[1] >= 0) {
        close(pipe_fds[1]);
    }
    if (error != 0) {
        if (pipe_fds[0] >= 0) {
            close(pipe_fds[0]);
        }
        throw SpawnError("cannot start " + describe(argv) + ": " + std::strerror(error));
    }
    return Child{pid, pipe_fds[0]};
}

int exit_code(int wait_status) {
    if (WIFEXITED(wait_status)) {
        return WEXITSTATUS(wait_status);
    }
    return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : 255;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw SpawnError(std::string("waitpid failed: ") + std::strerror(errno));
        }
    }
    return exit_code(status);
}

int run(const std::vector<std::string>& argv, const SpawnOptions& options) {
    return wait_for(spawn(argv, options).pid);
}

int run_lines(const std::vector<std::string>& argv, const SpawnOptions& options,
              const std::function<void(const std::string&)>& on_line) {
    SpawnOptions piped = options;
    piped.output_pipe = true;
    const Child child = spawn(argv, piped);
    std::string pending;
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t count = read(child.output, buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            break;
        }
        pending.append(buffer.data(), static_cast<std::size_t>(count));
        std::size_t start = 0;
        for (std::size_t end = pending.find('\n'); end != std::string::npos;
             end = pending.find('\n', start)) {
            on_line(pending.substr(start, end - start));
            start = end + 1;
        }
        pending.erase(0, start);
    }
    close(child.output);
    if (!pending.empty()) {
        on_line(pending);
    }
    return wait_for(child.pid);
}

std::optional<std::string> capture(const std::vector<std::string>& argv,
                                   const SpawnOptions& options) {
    SpawnOptions quiet = options;
    quiet.quiet_stderr = true;
    std::string out;
    const int code = run_lines(argv, quiet, [&](const std::string& line) { out += line + "\n"; });
    if (code != 0) {
        return std::nullopt;
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

}  // namespace workbook
