// Test helpers of chapter 10: run code in a forked child, run Debian's python3 with a script.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "py/queues.hpp"

// libgcov's entry point exists only in a coverage build; a weak reference is null otherwise.
extern "C" void __gcov_dump() __attribute__((weak));  // NOLINT(bugprone-reserved-identifier)

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX's, for posix_spawn

namespace sharing_test {

// Forks a child that runs `body` and leaves with _exit: 0 when body returned, 1 when it threw
// (gtest's state and atexit handlers stay in the parent).
template <class F>
pid_t fork_child(F body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        int code = 0;
        try {
            body();
            // What a multiprocessing child does on its way out: flush and join its queues'
            // feeder threads (chapter 09's Process does the same).
            py::multiprocessing::util::exit_function();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            code = 1;
        } catch (...) {
            code = 1;
        }
        std::fflush(stderr);
        if (&__gcov_dump != nullptr) {
            __gcov_dump();  // a coverage build: count what the child ran
        }
        ::_exit(code);
    }
    return pid;
}

// A thread for the other side of a test. What the body throws is kept and rethrown by join(), so
// a body that fails (on the skeleton: NotImplementedError) fails its test instead of terminating
// the binary. If the test leaves early, the destructor first calls `unblock` (e.g. shutting a
// socket down, which wakes a blocked read or accept) and then joins: nothing is left running.
class Background {
  public:
    template <class F>
    explicit Background(F body, std::function<void()> unblock = {})
        : unblock_(std::move(unblock)), thread_([this, body]() mutable {
              try {
                  body();
              } catch (...) {
                  error_ = std::current_exception();
              }
          }) {}
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;
    ~Background() {
        if (thread_.joinable()) {
            if (unblock_) {
                unblock_();
            }
            thread_.join();
        }
    }
    // Waits for the body; rethrows its exception, if any.
    void join() {
        thread_.join();
        if (error_) {
            std::rethrow_exception(std::exchange(error_, nullptr));
        }
    }

  private:
    std::function<void()> unblock_;
    std::exception_ptr error_;
    std::thread thread_;
};

// Wakes whoever is blocked on this socket (read, write or accept) without closing it.
inline void shut_down(int fd) {
    ::shutdown(fd, SHUT_RDWR);
}

// waitpid and the exit code (128 + signal when killed).
inline int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The exit code if the child ends within `seconds`, nullopt if it is still running then. Waits on
// a pidfd (an event, not a sleep loop).
inline std::optional<int> wait_child_for(pid_t pid, double seconds) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        throw std::runtime_error("pidfd_open failed");
    }
    pollfd entry{pidfd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(seconds * 1000));
    ::close(pidfd);
    if (ready <= 0) {
        return std::nullopt;
    }
    return wait_child(pid);
}

// The calling thread's kernel id, for thread_state() and Interrupter.
inline pid_t thread_id() {
    return static_cast<pid_t>(::syscall(SYS_gettid));
}

// The kernel's state letter in a /proc/.../stat file: 'R' running, 'S' asleep (blocked in a
// system call).
inline char state_in(const std::string& stat_path) {
    std::ifstream in(stat_path);
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}
// ... of one of our threads, and of a (single-threaded) child process.
inline char thread_state(pid_t tid) {
    return state_in("/proc/self/task/" + std::to_string(tid) + "/stat");
}
inline char process_state(pid_t pid) {
    return state_in("/proc/" + std::to_string(pid) + "/stat");
}

// Waits (yielding, never sleeping) while thread or process `id` runs; true once it is asleep in
// the kernel ('S'), false if it ended instead.
inline bool wait_until_asleep(char (*state_of)(pid_t), pid_t id) {
    char state = state_of(id);
    while (state == 'R' || state == 'D') {
        std::this_thread::yield();
        state = state_of(id);
    }
    return state == 'S';
}

// Interrupts a thread's blocking system call with a signal, the way a signal that arrives at the
// wrong moment does: SIGUSR1 gets a handler installed without SA_RESTART, so the call returns
// EINTR (or, after some bytes were moved, a short count) instead of being restarted. No sleeping:
// interrupt() waits until the kernel reports the thread asleep, sends the signal, and waits until
// the handler has run.
class Interrupter {
  public:
    Interrupter() {
        struct sigaction action {};
        action.sa_handler = [](int) { handled().fetch_add(1); };
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART
        ::sigaction(SIGUSR1, &action, &previous_);
    }
    Interrupter(const Interrupter&) = delete;
    Interrupter& operator=(const Interrupter&) = delete;
    ~Interrupter() { ::sigaction(SIGUSR1, &previous_, nullptr); }

    // Once thread `tid` sleeps in the kernel, signals it and waits for the handler. A thread that
    // ended instead (its body threw: on the skeleton, NotImplementedError) is left alone.
    static void interrupt(pid_t tid) {
        if (!wait_until_asleep(thread_state, tid)) {
            return;
        }
        const int before = handled().load();
        ::syscall(SYS_tgkill, ::getpid(), tid, SIGUSR1);
        while (handled().load() == before) {
            std::this_thread::yield();
        }
    }
    static int count() { return handled().load(); }

  private:
    static std::atomic<int>& handled() {
        static std::atomic<int> counter{0};
        return counter;
    }
    struct sigaction previous_ {};
};

// In a forked child: while one lives, no descriptor can be opened (the soft RLIMIT_NOFILE at the
// lowest free number), so the next socket(2), pipe(2) or shm_open(3) fails with EMFILE. The limit
// comes back at the end of the scope (a coverage build's child then writes its counters).
class NoFreeDescriptors {
  public:
    NoFreeDescriptors() {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        const int lowest_free = ::dup(0);
        ::close(lowest_free);
        const rlimit limit{static_cast<rlim_t>(lowest_free), saved_.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    NoFreeDescriptors(const NoFreeDescriptors&) = delete;
    NoFreeDescriptors& operator=(const NoFreeDescriptors&) = delete;
    ~NoFreeDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

  private:
    rlimit saved_{};
};

// In a forked child: `code` must throw E whose what() is `message`; anything else throws
// std::runtime_error, which fork_child turns into exit code 1.
template <class E, class F>
void expect_in_child(F code, const std::string& message) {
    try {
        code();
    } catch (const E& e) {
        if (std::string(e.what()) != message) {
            throw std::runtime_error("wrong message: '" + std::string(e.what()) + "', expected '" +
                                     message + "'");
        }
        return;
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("wrong exception: ") + e.what());
    }
    throw std::runtime_error("nothing was raised, expected '" + message + "'");
}

inline bool exists_in_dev_shm(const std::string& name) {
    return std::filesystem::exists("/dev/shm/" + name);
}

#ifdef WORKBOOK_PYTHON3
inline const char* python3() {
    return WORKBOOK_PYTHON3;
}
#else
inline const char* python3() {
    return "/usr/bin/python3";
}
#endif

// A python3 process running `script` with `args`; its stdout comes to us through a pipe, so a
// test waits for the line the script prints when it is ready instead of sleeping.
class Python {
  public:
    Python(const std::string& script, const std::vector<std::string>& args) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        std::vector<std::string> argv_strings = {python3(), "-c", script};
        argv_strings.insert(argv_strings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        argv.reserve(argv_strings.size() + 1);
        for (auto& s : argv_strings) {
            argv.push_back(s.data());
        }
        argv.push_back(nullptr);
        const int error = posix_spawn(&pid_, python3(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (error != 0) {
            ::close(out[0]);
            throw std::runtime_error(std::string("cannot run ") + python3());
        }
        stdout_ = ::fdopen(out[0], "r");
    }
    Python(const Python&) = delete;
    Python& operator=(const Python&) = delete;
    ~Python() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
        if (stdout_ != nullptr) {
            std::fclose(stdout_);
        }
    }

    // The next line the script printed, without its newline ("" at the end of its output).
    std::string read_line() {
        std::string line;
        int c = 0;
        while ((c = std::fgetc(stdout_)) != EOF && c != '\n') {
            line += static_cast<char>(c);
        }
        return line;
    }
    // Waits for the script to end: its exit code.
    int wait() {
        const int code = wait_child(pid_);
        pid_ = -1;
        return code;
    }

  private:
    pid_t pid_ = -1;
    FILE* stdout_ = nullptr;
};

}  // namespace sharing_test
