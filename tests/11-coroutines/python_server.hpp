// Runs a Python server for the interop tests: Debian's python3 (WORKBOOK_PYTHON3), its stdout
// read until the line that names its port (a hand-over through a pipe, not a sleep), its stdin
// kept open for as long as the server should live.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace workbook_test {

class PythonServer {
  public:
    // `port_pattern` finds the port in a stdout line (its first group).
    PythonServer(const std::vector<std::string>& args, const std::string& port_pattern) {
        int in[2];
        int out[2];
        if (::pipe(in) != 0 || ::pipe(out) != 0) {
            return;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addclose(&actions, in[1]);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        std::vector<char*> argv;
        std::string python = WORKBOOK_PYTHON3;
        argv.push_back(python.data());
        std::vector<std::string> copy = args;
        for (auto& arg : copy) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, python.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        stdout_ = out[0];
        std::regex pattern(port_pattern);
        std::string pending;
        while (pid_ > 0 && port_ == 0) {
            pollfd readable{stdout_, POLLIN, 0};
            if (::poll(&readable, 1, 15000) <= 0) {
                break;  // no port within 15 s: the test fails on port() == 0
            }
            char buffer[512];
            ssize_t n = ::read(stdout_, buffer, sizeof buffer);
            if (n <= 0) {
                break;
            }
            pending.append(buffer, static_cast<std::size_t>(n));
            std::size_t newline;
            while ((newline = pending.find('\n')) != std::string::npos) {
                std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                std::smatch match;
                if (std::regex_search(line, match, pattern)) {
                    port_ = std::atoi(match[1].str().c_str());
                }
            }
        }
    }
    ~PythonServer() {
        if (stdin_ >= 0) {
            ::close(stdin_);  // the aiohttp server exits when its stdin closes
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (stdout_ >= 0) {
            ::close(stdout_);
        }
    }
    PythonServer(const PythonServer&) = delete;
    PythonServer& operator=(const PythonServer&) = delete;
    [[nodiscard]] int port() const { return port_; }

  private:
    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    int port_ = 0;
};

}  // namespace workbook_test
