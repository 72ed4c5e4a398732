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

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/scalars.hpp"

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

// A function that other processes can call by name. Define it at namespace scope (a static
// object): it registers itself at load time, so a forked or spawned process knows it too.
class Function {
  public:
    using Body = Ref<Object> (*)(Tuple& args);
    Function(const char* name, Body body);
    Function(const Function&) = delete;
    Function& operator=(const Function&) = delete;
    [[nodiscard]] const char* name() const noexcept { return name_; }
    Ref<Object> operator()(Tuple& args) const { return body_(args); }
    // The registered function of that name, or nullptr.
    static const Function* find(std::string_view name);

  private:
    const char* name_;
    Body body_;
};

// C++ values as runtime objects and back (what a task's arguments and results are made of).
inline Ref<Object> to_object(const Ref<Object>& value) {
    return value;
}
template <class T>
requires std::derived_from<T, Object> Ref<Object> to_object(const Ref<T>& value) {
    return Ref<Object>(value);
}
inline Ref<Object> to_object(std::nullptr_t) {
    return None();
}
inline Ref<Object> to_object(bool value) {
    return to_bool(value);
}
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) Ref<Object> to_object(T value) {
    return Int::create(static_cast<long long>(value));
}
inline Ref<Object> to_object(double value) {
    return Float::create(value);
}
inline Ref<Object> to_object(std::string_view text) {
    return Str::create(text);
}
inline Ref<Object> to_object(const char* text) {
    return Str::create(text);
}
inline Ref<Object> to_object(const std::string& text) {
    return Str::create(text);
}

// from_object<long long>, <double>, <bool>, <std::string>: TypeError for another type.
template <class T>
T from_object(Object* value);
template <>
long long from_object<long long>(Object* value);
template <>
int from_object<int>(Object* value);
template <>
bool from_object<bool>(Object* value);
template <>
double from_object<double>(Object* value);
template <>
std::string from_object<std::string>(Object* value);

// The tuple (args...) of runtime objects.
template <class... Args>
Ref<Tuple> make_args(const Args&... args) {
    Ref<Object> items[] = {to_object(args)..., None()};
    auto* tuple = static_cast<Tuple*>(alloc_object(&Tuple::Type, sizeof...(Args)));
    for (std::size_t i = 0; i < sizeof...(Args); ++i) {
        tuple->items()[i] = items[i].release();
    }
    return Ref<Tuple>::steal(tuple);
}

// Process(name=..., daemon=...), and the start method ("" means get_start_method()).
// `pass_fds` are descriptors the child inherits whatever the start method, as CPython passes a
// pipe to a child with reduction.DupFd: fork copies them, spawn keeps them open across exec,
// forkserver sends them to the server with SCM_RIGHTS. The child finds the i-th with
// inherited_fd(i): the number can differ from the parent's (it does under forkserver).
struct ProcessOptions {
    std::string name = {};
    std::optional<bool> daemon = {};
    std::string start_method = {};
    std::vector<int> pass_fds = {};
};

// In a child: its descriptor for the parent's pass_fds[index]. ValueError("no descriptor was
// passed at index N") when the parent passed fewer.
[[nodiscard]] int inherited_fd(std::size_t index);

// multiprocessing.set_start_method / get_start_method / get_all_start_methods. The default is
// "fork", as CPython 3.11-3.13 on Linux. ValueError("cannot find context for 'x'");
// RuntimeError("context has already been set") unless `force`.
// get_start_method() fixes the default, as CPython's does with allow_none=False: a later
// set_start_method without `force` is refused.
void set_start_method(const std::string& method, bool force = false);
[[nodiscard]] std::string get_start_method();
[[nodiscard]] std::vector<std::string> get_all_start_methods();

class Process;
class Function;

// A multiprocessing context (Lib/multiprocessing/context.py): one start method, for the
// processes it makes and for a pool given it as mp_context.
//
//     auto ctx = py::multiprocessing::get_context("spawn");
//     auto child = ctx.process(work, py::multiprocessing::make_args(7));
//     child->start();
class Context {
  public:
    [[nodiscard]] const std::string& get_start_method() const noexcept { return method_; }
    // ctx.Process(target=function, args=args): a Process that starts with this method.
    [[nodiscard]] std::unique_ptr<Process> process(const Function& function, Ref<Tuple> args,
                                                   ProcessOptions options = {}) const;

  private:
    friend Context get_context(std::optional<std::string> method);
    explicit Context(std::string method) : method_(std::move(method)) {}
    std::string method_;
};

// multiprocessing.get_context(method): the context of that start method, or with no method the
// default one (which fixes it, as get_start_method() does). ValueError("cannot find context
// for 'x'").
[[nodiscard]] Context get_context(std::optional<std::string> method = std::nullopt);
std::vector<Process*> active_children();
// The main guards of spawn and forkserver children (registered at load time; see
// workbook/main_guard.hpp).
std::optional<int> spawn_main(int argc, char** argv);
std::optional<int> forkserver_main(int argc, char** argv);

class Process {
  public:
    using Target = std::function<void()>;

    // Process(target=f).
    explicit Process(Target target, ProcessOptions options = {});
    // Process(target=f, args=(a, b)) with a registered function: the only kind of target a
    // spawn or forkserver child can find (by name); the arguments are pickled at start().
    Process(const Function& function, Ref<Tuple> args, ProcessOptions options = {});
    // The same with the arguments already pickled (a tuple): such a Process touches no runtime
    // object in the thread that makes, starts or destroys it, so a thread without the right to
    // (the process pool's manager) can start one.
    struct PickledArgs {
        std::string bytes;
    };
    Process(const Function& function, PickledArgs args, ProcessOptions options = {});
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

    // Starts the child with the start method. AssertionError("cannot start a process twice"),
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

    [[nodiscard]] const std::string& start_method() const noexcept { return start_method_; }

  private:
    friend std::vector<Process*> active_children();
    friend std::optional<int> spawn_main(int argc, char** argv);
    friend std::optional<int> forkserver_main(int argc, char** argv);
    std::string preparation_data() const;
    // In a spawned or forkserver child: the Process the preparation data describes (nullptr,
    // after a message on stderr, when its function is not registered here).
    static Process* from_preparation(std::string_view data, const char* start_method);
    void launch_spawn();
    void launch_forkserver();
    void check_closed() const;
    // poll() serialises the waits on this child: active_children() in one thread may poll a
    // child that another thread is joining. With `skip_if_busy` (active_children) a poll that
    // finds a wait in progress answers "still running" at once: the waiter will reap it.
    std::optional<int> poll(bool block, bool skip_if_busy = false);
    std::optional<int> poll_unlocked(bool block);
    std::optional<int> poll_status(bool block);
    int bootstrap(int parent_sentinel);
    void launch_fork();
    void become_child(int parent_sentinel);

    Target target_;
    const Function* function_ = nullptr;  // for spawn and forkserver: the target by name
    Ref<Tuple> args_;
    std::string pickled_args_;  // PickledArgs: used instead of args_ when not empty
    std::string start_method_;
    std::vector<int> pass_fds_;  // options.pass_fds: what the child inherits as inherited_fd(i)
    int status_fd_ = -1;         // forkserver: where the server writes the child's exit status
    std::string name_;
    bool daemon_ = false;
    std::vector<int> identity_;  // (1,) for Process-1, (1, 2) for Process-1:2
    pid_t parent_pid_;
    std::string parent_name_;  // a spawned child learns its parent's name from the parent
    std::optional<pid_t> pid_;
    int sentinel_ = -1;       // parent end: readable at the child's exit
    int parent_writer_ = -1;  // parent end of the pipe the child watches (parent death)
    std::optional<int> returncode_;
    std::mutex poll_mutex_;  // held while polling (see poll)
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
