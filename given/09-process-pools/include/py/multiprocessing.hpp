// py::multiprocessing: Python's multiprocessing.Process and its module functions
// (CPython 3.11: Lib/multiprocessing/process.py, popen_fork.py, context.py).
//
//     py::multiprocessing::Process child([&] { work(); });
//     child.start();            // fork(): the child runs the target, then _exit()s
//     child.join();
//     child.exitcode();         // 0, the code given to sys_exit(), 1 after an exception,
//                               // -N when signal N ended it
//
// A child made by fork starts as a copy of the parent's memory: it sees every value the parent
// had at start(), and nothing it changes reaches the parent. Values travel between processes
// only as bytes (pipes, files, py::pickle) or through shared memory (the process locks below).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "py/exceptions.hpp"

namespace py::multiprocessing {

// sys.exit(code) for a process target: ends the target with that exit code.
class SystemExit : public BaseException {
  public:
    explicit SystemExit(int code) : BaseException(std::to_string(code)), code_(code) {}
    [[nodiscard]] const char* python_name() const noexcept override { return "SystemExit"; }
    [[nodiscard]] int code() const noexcept { return code_; }

  private:
    int code_;
};
[[noreturn]] inline void sys_exit(int code = 0) {
    throw SystemExit(code);
}

// multiprocessing.ProcessError and its children (Lib/multiprocessing/context.py).
PY_DECLARE_EXCEPTION(ProcessError, Exception);

// Process(name=..., daemon=...).
struct ProcessOptions {
    std::string name = {};
    std::optional<bool> daemon = {};
};

class Process;
std::vector<Process*> active_children();

class Process {
  public:
    using Target = std::function<void()>;

    // Process(target=f).
    explicit Process(Target target, ProcessOptions options = {});
    // Process(target=f, args=(a, b)).
    template <class F, class... Args>
    Process(F&& target, std::tuple<Args...> args, const ProcessOptions& options = {})
        : Process(Target([f = std::forward<F>(target), a = std::move(args)]() mutable {
                      std::apply(f, a);
                  }),
                  options) {}
    // A child still running when its Process is destroyed is joined (terminated first if it
    // is a daemon), so no child is left behind unreaped.
    virtual ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    // Starts the child. AssertionError("cannot start a process twice"),
    // AssertionError("daemonic processes are not allowed to have children") in a daemon,
    // ValueError("process object is closed") after close().
    void start();
    // In the child: calls the target. A subclass may override it instead.
    virtual void run();
    // Waits until the child ends, or for `timeout` seconds. AssertionError("can only join a
    // started process") before start().
    void join(std::optional<double> timeout = std::nullopt);
    // True from start() until the child has ended (a child that ended is reaped here).
    [[nodiscard]] bool is_alive();
    // SIGTERM / SIGKILL to the child; nothing if it has already ended.
    void terminate();
    void kill();
    // Releases the sentinel. ValueError("Cannot close a process while it is still running.
    // You should first call join() or terminate().") while it runs.
    void close();

    // The child's pid (nullopt before start; the own pid for current_process()).
    [[nodiscard]] std::optional<pid_t> pid() const;
    // nullopt while running or before start; then 0, the sys_exit code, 1 after an uncaught
    // exception, or -signal when a signal ended the child.
    [[nodiscard]] std::optional<int> exitcode();
    // A file descriptor that becomes readable (EOF) when the child ends.
    [[nodiscard]] int sentinel() const;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    void set_name(std::string name) { name_ = std::move(name); }
    [[nodiscard]] bool daemon() const noexcept { return daemon_; }
    // AssertionError("process has already started") after start().
    void set_daemon(bool daemon);
    // "<Process name='Process-1' pid=123 parent=122 started>" as Python prints it.
    [[nodiscard]] std::string repr();

    // For current_process() / parent_process(): a Process that stands for a running process
    // this one did not start.
    struct Existing {
        std::string name;
        pid_t pid;
        int sentinel;
    };
    explicit Process(Existing existing);

  private:
    friend std::vector<Process*> active_children();
    void check_closed() const;
    std::optional<int> poll(bool block);
    int bootstrap(int parent_sentinel);
    void launch_fork();
    void become_child(int parent_sentinel);

    Target target_;
    std::string name_;
    bool daemon_ = false;
    std::vector<int> identity_;  // (1,) for Process-1, (1, 2) for Process-1:2
    pid_t parent_pid_;
    std::optional<pid_t> pid_;
    int sentinel_ = -1;       // parent end: readable at the child's exit
    int parent_writer_ = -1;  // parent end of the pipe the child watches (parent death)
    std::optional<int> returncode_;
    bool started_ = false;
    bool closed_ = false;
    bool existing_ = false;  // the main process, or the parent seen from a child
};

// multiprocessing.current_process(): "MainProcess" in the main process, the Process object
// being run in a child.
Process& current_process();
// multiprocessing.parent_process(): nullptr in the main process.
Process* parent_process();
// multiprocessing.active_children(): live children of this process (finished ones are reaped).
std::vector<Process*> active_children();
// multiprocessing.cpu_count(): os.cpu_count(), NotImplementedError("cannot determine number of
// cpus") when unknown.
int cpu_count();

// os.register_at_fork(before=, after_in_parent=, after_in_child=): hooks run around every fork
// this library makes. How CPython keeps its own locks consistent in a child: take them before,
// release them after, on both sides.
void register_at_fork(std::function<void()> before, std::function<void()> after_in_parent,
                      std::function<void()> after_in_child);

}  // namespace py::multiprocessing
