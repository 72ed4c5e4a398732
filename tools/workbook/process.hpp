// Starting other programs (cmake, git, the test binaries): the one place the CLI creates a
// process. Everything goes through posix_spawn with an argument vector, never a shell, so no
// argument needs quoting, and a process that cannot be started is reported, never ignored.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace workbook {

// A program could not be started (fork failed, no such program): the message says which.
struct SpawnError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SpawnOptions {
    std::optional<std::filesystem::path> working_dir;  // default: ours
    // stdout and stderr both go to this file (default: ours, unless `output_pipe` is set).
    std::optional<std::filesystem::path> output_file;
    bool output_pipe = false;        // stdout and stderr both go to a pipe (Child::output)
    bool quiet_stderr = false;       // stderr to /dev/null (with output_pipe: keep stdout only)
    bool null_stdin = false;         // stdin from /dev/null
    bool own_process_group = false;  // so that killing -pid stops whatever the child started
};

struct Child {
    pid_t pid = -1;
    int output = -1;  // read end of the pipe when SpawnOptions::output_pipe, else -1
};

// Starts `argv` (argv[0] looked up on PATH when it has no slash). Throws SpawnError.
Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// The exit code of a waitpid() status: the code itself, or 128 + the signal, as shells do.
int exit_code(int wait_status);

// Waits for `pid`; returns exit_code().
int wait_for(pid_t pid);

// Runs `argv` to the end with inherited output; returns its exit code.
int run(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Runs `argv` and hands each line of its output (stdout and stderr merged) to `on_line`, without
// the newline. Returns the exit code.
int run_lines(const std::vector<std::string>& argv, const SpawnOptions& options,
              const std::function<void(const std::string&)>& on_line);

// The standard output of `argv` without trailing whitespace (stderr discarded), or nullopt when
// it exits non-zero.
std::optional<std::string> capture(const std::vector<std::string>& argv,
                                   const SpawnOptions& options = {});

}  // namespace workbook
