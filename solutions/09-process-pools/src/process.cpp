// multiprocessing.Process with the fork start method (CPython 3.11: Lib/multiprocessing/
// process.py BaseProcess, popen_fork.py Popen, util.py _flush_std_streams / _close_stdin).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "process_state.hpp"
#include "py/kata.hpp"
#include "py/multiprocessing.hpp"
#include "py/pickle.hpp"

namespace py::multiprocessing {

using detail::module_state;

// --- Construction and names -------------------------------------------------------------------

// Process-N, where N counts the Process objects this process has made; a child's children
// continue its own identity: Process-1:1, Process-1:2.
Process::Process(Target target, ProcessOptions options)
    : target_(std::move(target)),
      start_method_(options.start_method),
      pass_fds_(options.pass_fds),
      parent_pid_(::getpid()) {
    // kata: begin step14 §4
    Process& parent = current_process();
    {
        detail::ModuleState& state = module_state();
        std::lock_guard lock(state.mutex);
        identity_ = parent.identity_;
        identity_.push_back(++state.counter);
    }
    if (options.name.empty()) {
        name_ = "Process-";
        for (std::size_t i = 0; i < identity_.size(); ++i) {
            name_ += (i > 0 ? ":" : "") + std::to_string(identity_[i]);
        }
    } else {
        name_ = std::move(options.name);
    }
    // A child of a daemon is a daemon by default, as in CPython (its _config is copied).
    daemon_ = options.daemon.value_or(parent.daemon_);
    // kata: end
}

Process::Process(const Function& function, Ref<Tuple> args, ProcessOptions options)
    : Process(Target([&function, args] { (void)function(*args); }), std::move(options)) {
    function_ = &function;
    args_ = std::move(args);
}

// A forked child unpickles the arguments itself; spawn and forkserver send the bytes as they are.
Process::Process(const Function& function, PickledArgs args, ProcessOptions options)
    : Process(Target([&function, bytes = args.bytes] {
                  Ref<Object> loaded = pickle::loads(bytes);
                  if (loaded->ob_type != &Tuple::Type) {
                      throw TypeError("the pickled arguments of a process must be a tuple");
                  }
                  (void)function(*static_cast<Tuple*>(loaded.get()));
              }),
              std::move(options)) {
    function_ = &function;
    pickled_args_ = std::move(args.bytes);
}

Process::Process(Existing existing)
    : name_(std::move(existing.name)),
      parent_pid_(0),
      pid_(existing.pid),
      sentinel_(existing.sentinel),
      started_(true),
      existing_(true) {}

Process::~Process() {
    if (existing_ || !started_ || closed_ || parent_pid_ != ::getpid()) {
        return;
    }
    // kata: begin step15 §4 noexcept
    // Out of the children list first: another thread's active_children() must not find this
    // object once it is being destroyed.
    detail::forget_child(this);
    // Never leave a zombie: a daemon is terminated, every child is waited for.
    try {
        if (!returncode_) {
            if (daemon_) {
                terminate();
            }
            join();
        }
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor reports nothing
    }
    ::close(sentinel_);
    ::close(parent_writer_);
    // kata: end
}

void Process::check_closed() const {
    if (closed_) {
        throw ValueError("process object is closed");
    }
}

void Process::set_daemon(bool daemon) {
    if (started_) {
        throw AssertionError("process has already started");
    }
    daemon_ = daemon;
}

void Process::run() {
    if (target_) {
        target_();
    }
}

// --- Starting: fork ---------------------------------------------------------------------------

namespace detail {  // not anonymous: a skeleton leaves helpers unused, without warnings

// util._flush_std_streams: what is buffered for stdout and stderr goes out once, before a fork
// copies the buffers into the child (and again as the child leaves).
void flush_std_streams() {
    // kata: begin step16 §4
    std::cout.flush();
    std::cerr.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    // kata: end
}

enum class ForkPhase { Before, AfterInParent, AfterInChild };

// os.register_at_fork's hooks: "before" in reverse order of registration, the "after" ones in
// registration order (Modules/posixmodule.c, PyOS_BeforeFork / PyOS_AfterFork_*).
void run_fork_hooks(ForkPhase phase) {
    // kata: begin step17 §4
    std::vector<detail::ForkHooks> hooks;
    {
        detail::ModuleState& state = module_state();
        std::lock_guard lock(state.mutex);
        hooks = state.fork_hooks;
    }
    if (phase == ForkPhase::Before) {
        for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) {
            if (it->before) {
                it->before();
            }
        }
        return;
    }
    for (const detail::ForkHooks& hook : hooks) {
        const auto& call =
            phase == ForkPhase::AfterInParent ? hook.after_in_parent : hook.after_in_child;
        if (call) {
            call();
        }
    }
    // kata: end
}

// A pipe whose ends are closed on exec (spawn passes the ones it means to).
void make_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw OSError(std::string("pipe: ") + std::strerror(errno));
    }
}

}  // namespace detail

using detail::flush_std_streams;
using detail::ForkPhase;
using detail::make_pipe;
using detail::run_fork_hooks;

void Process::start() {
    check_closed();
    if (started_) {
        throw AssertionError("cannot start a process twice");
    }
    if (parent_pid_ != ::getpid()) {
        throw AssertionError("can only start a process object created by current process");
    }
    if (current_process().daemon_ && &current_process() != &detail::main_process()) {
        throw AssertionError("daemonic processes are not allowed to have children");
    }
    (void)active_children();  // _cleanup(): reap children that have finished
    detail::install_exit_handler();
    if (start_method_.empty()) {
        start_method_ = get_start_method();
    }
    flush_std_streams();
    if (start_method_ == "spawn") {
        launch_spawn();
    } else if (start_method_ == "forkserver") {
        launch_forkserver();
    } else if (start_method_ == "fork") {
        launch_fork();
    } else {
        throw ValueError("cannot find context for '" + start_method_ + "'");
    }
    started_ = true;
    std::lock_guard lock(module_state().mutex);
    module_state().children.push_back(this);
}

// popen_fork.Popen._launch: two pipes, then fork. The child keeps the write end of the first
// (so the parent's sentinel reads EOF when the child is gone, however it ends) and the read end
// of the second (so it can tell when the parent is gone).
void Process::launch_fork() {
    // kata: begin step11 §4
    int to_parent[2];  // [0]: the parent's sentinel, [1]: held by the child
    int to_child[2];   // [0]: the child's parent sentinel, [1]: held by the parent
    make_pipe(to_parent);
    make_pipe(to_child);
    run_fork_hooks(ForkPhase::Before);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        run_fork_hooks(ForkPhase::AfterInParent);
        for (const int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) {
            ::close(fd);
        }
        throw OSError(std::string("fork: ") + std::strerror(error));
    }
    if (pid == 0) {
        ::close(to_parent[0]);
        ::close(to_child[1]);
        run_fork_hooks(ForkPhase::AfterInChild);
        const int code = bootstrap(to_child[0]);
        detail::dump_coverage();
        ::_exit(code);
    }
    run_fork_hooks(ForkPhase::AfterInParent);
    ::close(to_parent[1]);
    ::close(to_child[0]);
    pid_ = pid;
    sentinel_ = to_parent[0];
    parent_writer_ = to_child[1];
    // kata: end
}

// In the child, before the target: this Process becomes current_process(), the parent becomes
// parent_process(), and the parent's children and counter are forgotten.
void Process::become_child(int parent_sentinel) {
    started_ = true;  // current_process().is_alive() is true
    pid_ = ::getpid();
    auto parent =
        std::make_unique<Process>(Existing{current_process().name(), parent_pid_, parent_sentinel});
    detail::reset_after_fork_in_child(this, std::move(parent));
    {
        std::lock_guard lock(module_state().mutex);
        module_state().inherited_fds = pass_fds_;
    }
    // util._close_stdin: the child reads nothing from the terminal.
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) {
        ::dup2(devnull, STDIN_FILENO);
        ::close(devnull);
    }
}

// BaseProcess._bootstrap: run the target; the exit code says how it ended.
int Process::bootstrap(int parent_sentinel) {
    // kata: begin step12 §4
    become_child(parent_sentinel);
    int exitcode = 0;
    try {
        run();
    } catch (const SystemExit& exit) {
        exitcode = exit.code();
    } catch (const BaseException& error) {
        exitcode = 1;
        std::fprintf(stderr,
                     "Process %s:\nTraceback (most recent call last):\n"
                     "  File \"<C++>\", in the process target\n%s\n",
                     name_.c_str(), error.formatted().c_str());
    } catch (const std::exception& error) {
        exitcode = 1;
        std::fprintf(stderr,
                     "Process %s:\nTraceback (most recent call last):\n"
                     "  File \"<C++>\", in the process target\nException: %s\n",
                     name_.c_str(), error.what());
    } catch (...) {
        exitcode = 1;
        std::fprintf(stderr, "Process %s:\nException: an unknown C++ exception\n", name_.c_str());
    }
    flush_std_streams();
    return exitcode;
    // kata: end
}

// --- Waiting ----------------------------------------------------------------------------------

// Popen.poll: waitpid (blocking or not); os.waitstatus_to_exitcode: -N for a signal.
std::optional<int> Process::poll(bool block, bool skip_if_busy) {
    std::unique_lock lock(poll_mutex_, std::defer_lock);
    if (!skip_if_busy) {
        lock.lock();
    } else if (!lock.try_lock()) {
        return std::nullopt;  // another thread is waiting for this child right now
    }
    return poll_unlocked(block);
}

std::optional<int> Process::poll_unlocked(bool block) {
    // kata: begin step12 §4
    if (returncode_ || !pid_) {
        return returncode_;
    }
    if (status_fd_ >= 0) {
        return poll_status(block);  // a forkserver child: the server reaps it and reports
    }
    int status = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(*pid_, &status, block ? 0 : WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == *pid_) {
        if (WIFSIGNALED(status)) {
            returncode_ = -WTERMSIG(status);
        } else {
            returncode_ = WEXITSTATUS(status);
        }
    }
    return returncode_;
    // kata: end
}

// Popen.wait: with a timeout, first wait for the sentinel to become readable.
void Process::join(std::optional<double> timeout) {
    check_closed();
    if (parent_pid_ != ::getpid()) {
        throw AssertionError("can only join a child process");
    }
    if (!started_) {
        throw AssertionError("can only join a started process");
    }
    // kata: begin step13 §4
    if (!returncode_ && timeout) {
        const auto deadline = std::chrono::steady_clock::now() +
                              std::chrono::duration<double>(*timeout > 0 ? *timeout : 0.0);
        pollfd fd{sentinel_, POLLIN, 0};
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            const int ready = ::poll(&fd, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
            if (ready > 0) {
                break;
            }
            if (ready == 0 || (ready < 0 && errno != EINTR)) {
                return;  // still running
            }
        }
    }
    if (poll(!timeout || *timeout != 0.0)) {
        detail::forget_child(this);
    }
    // kata: end
}

bool Process::is_alive() {
    check_closed();
    if (this == &current_process()) {
        return true;
    }
    // kata: begin step13 §4
    if (existing_) {
        // The parent seen from a child: alive while its end of our pipe is open.
        pollfd fd{sentinel_, POLLIN, 0};
        return sentinel_ >= 0 && ::poll(&fd, 1, 0) == 0;
    }
    if (!started_) {
        return false;
    }
    if (poll(false)) {
        detail::forget_child(this);
        return false;
    }
    return true;
    // kata: end
}

// Popen._send_signal: nothing to do for a child already reaped, or one that is gone.
void Process::terminate() {
    check_closed();
    // kata: begin step12 §4
    if (started_ && !returncode_ && pid_) {
        ::kill(*pid_, SIGTERM);
    }
    // kata: end
}

void Process::kill() {
    check_closed();
    // kata: begin step12 §4
    if (started_ && !returncode_ && pid_) {
        ::kill(*pid_, SIGKILL);
    }
    // kata: end
}

void Process::close() {
    if (started_ && !existing_) {
        if (!poll(false)) {
            throw ValueError(
                "Cannot close a process while it is still running. You should first call "
                "join() or terminate().");
        }
        ::close(sentinel_);
        ::close(parent_writer_);
        sentinel_ = parent_writer_ = -1;
        detail::forget_child(this);
    }
    closed_ = true;
}

std::optional<pid_t> Process::pid() const {
    check_closed();
    if (this == &current_process()) {
        return ::getpid();
    }
    return pid_;
}

std::optional<int> Process::exitcode() {
    check_closed();
    if (!started_ || existing_) {
        return std::nullopt;
    }
    return poll(false);
}

int Process::sentinel() const {
    check_closed();
    if (!started_) {
        throw ValueError("process not started");
    }
    return sentinel_;
}

std::string Process::repr() {
    std::string status;
    std::optional<int> code;
    if (this == &current_process()) {
        status = "started";
    } else if (closed_) {
        status = "closed";
    } else if (!started_) {
        status = "initial";
    } else {
        code = existing_ ? std::nullopt : poll(false);
        status = code ? "stopped" : "started";
    }
    const bool is_main = this == &detail::main_process();
    std::string out =
        std::string("<") + (is_main ? "_MainProcess" : "Process") + " name='" + name_ + "'";
    if (pid_ && !is_main) {
        out += " pid=" + std::to_string(*pid_);
    }
    out += is_main ? " parent=None" : " parent=" + std::to_string(parent_pid_);
    out += " " + status;
    if (code) {
        // _exitcode_to_name: any signal's name (signal.Signals) instead of -N.
        const char* abbreviation = *code < 0 ? ::sigabbrev_np(-*code) : nullptr;
        out += " exitcode=" + (abbreviation != nullptr ? "SIG" + std::string(abbreviation)
                                                       : std::to_string(*code));
    }
    if (daemon_) {
        out += " daemon";
    }
    return out + ">";
}

// --- Module functions -------------------------------------------------------------------------

Process& current_process() {
    detail::ModuleState& state = module_state();
    std::lock_guard lock(state.mutex);
    return state.current != nullptr ? *state.current : detail::main_process();
}

Process* parent_process() {
    detail::ModuleState& state = module_state();
    std::lock_guard lock(state.mutex);
    return state.parent.get();
}

// _cleanup() then list(_children): a finished child is reaped and dropped.
std::vector<Process*> active_children() {
    // kata: begin step15 §4
    // The lock is held while the children are polled: a child's destructor, in another thread,
    // waits in forget_child() until we are done with it.
    detail::ModuleState& state = module_state();
    std::lock_guard lock(state.mutex);
    const std::vector<Process*> children = state.children;
    std::vector<Process*> alive;
    for (Process* child : children) {
        if (child->poll(false, /*skip_if_busy=*/true)) {
            detail::forget_child(child);
        } else {
            alive.push_back(child);
        }
    }
    return alive;
    // kata: end
}

int cpu_count() {
    const long count = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (count < 1) {
        throw NotImplementedError("cannot determine number of cpus");
    }
    return static_cast<int>(count);
}

void register_at_fork(std::function<void()> before, std::function<void()> after_in_parent,
                      std::function<void()> after_in_child) {
    detail::ModuleState& state = module_state();
    std::lock_guard lock(state.mutex);
    state.fork_hooks.push_back(
        {std::move(before), std::move(after_in_parent), std::move(after_in_child)});
}

}  // namespace py::multiprocessing
