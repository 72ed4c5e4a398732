// py::threading: Python's threading.Thread and its module functions (CPython: Lib/threading.py,
// Modules/_threadmodule.c, 3.11). The locks of the threading module come in chapter 06.
//
// A Thread runs its target (or its overridden run()) in a new OS thread. Its object must live
// until the thread has finished: the destructor joins a thread that is still running, and a
// subclass that overrides run() must join() before its own destructor ends.
// The target runs WITHOUT the GIL: take it with py::gil::Hold around runtime work.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "py/exceptions.hpp"

namespace py::threading {

// threading.get_ident(): a nonzero number naming the calling OS thread while it lives.
using Ident = std::uint64_t;
[[nodiscard]] inline Ident get_ident() noexcept {
    return static_cast<Ident>(::pthread_self());
}
// threading.get_native_id(): the kernel's thread id (gettid).
[[nodiscard]] long get_native_id() noexcept;

// Python's keyword arguments of Thread(...): name=, daemon=, and (C++ has no target.__name__)
// the name of the target, used for the default name "Thread-N (target_name)".
struct ThreadOptions {
    std::string name = {};
    std::optional<bool> daemon = {};
    std::string target_name = {};
};

class Thread;

// threading.excepthook's argument: what escaped a thread's run().
struct ExceptHookArgs {
    std::exception_ptr exc_value;
    std::string exc_type;  // Python's class name for py:: exceptions, else "exception"
    std::string message;   // what()
    Thread* thread;
};
using ExceptHook = std::function<void(const ExceptHookArgs&)>;
// threading.excepthook: called in the failing thread. The default prints
// "Exception in thread NAME:\nTYPE: MESSAGE" to stderr. An empty hook restores the default;
// returns the previous hook (empty if it was the default).
ExceptHook set_excepthook(ExceptHook hook);

class Thread {
  public:
    using Target = std::function<void()>;

    // For a subclass that overrides run().
    explicit Thread(ThreadOptions options = {});
    // Thread(target=f).
    explicit Thread(Target target, ThreadOptions options = {});
    // Thread(target=f, args=(a, b)).
    template <class F, class... Args>
    Thread(F&& target, std::tuple<Args...> args, const ThreadOptions& options = {})
        : Thread(Target([f = std::forward<F>(target), a = std::move(args)]() mutable {
                     std::apply(f, a);
                 }),
                 options) {}
    virtual ~Thread();
    Thread(const Thread&) = delete;
    Thread& operator=(const Thread&) = delete;

    // Starts the OS thread and waits until it runs. RuntimeError("threads can only be started
    // once") the second time.
    void start();
    // The thread's activity: calls the target. Override it in a subclass.
    virtual void run();
    // Waits until the thread ends or `timeout` seconds pass (None: forever; negative: 0).
    // Returns !is_alive() afterwards. RuntimeError("cannot join thread before it is started"),
    // RuntimeError("cannot join current thread"). Drops the GIL while it waits.
    bool join(std::optional<double> timeout = std::nullopt);
    // Started and not yet finished.
    [[nodiscard]] bool is_alive() const;

    [[nodiscard]] std::string name() const;
    void set_name(std::string name);
    // None until started.
    [[nodiscard]] std::optional<Ident> ident() const;
    [[nodiscard]] std::optional<long> native_id() const;
    [[nodiscard]] bool daemon() const;
    // RuntimeError("cannot set daemon status of active thread") once started.
    void set_daemon(bool daemonic);
    // "<Thread(name, initial)>", "<Thread(name, started 1234)>", "<Thread(name, stopped 1234)>",
    // with " daemon" after the state for daemon threads.
    [[nodiscard]] std::string repr() const;

    struct State;  // shared with the OS thread (public so the library's helpers can name it)

  protected:
    // The target given to the constructor (empty for a subclass).
    [[nodiscard]] const Target& target() const noexcept { return target_; }
    // For the main thread and dummy threads, which are alive from the start.
    explicit Thread(std::shared_ptr<State> state);

  private:
    Target target_;
    std::shared_ptr<State> state_;
};

// threading.current_thread(): the Thread object of the caller. A thread not started through
// Thread (a std::thread) gets a daemonic "Dummy-N" Thread that lives as long as the OS thread.
Thread& current_thread();
// threading.main_thread(): the thread that loaded this library ("MainThread").
Thread& main_thread();
// threading.enumerate(): every alive Thread (main, started, dummy), in start order.
std::vector<Thread*> enumerate();
// threading.active_count(): enumerate().size().
std::size_t active_count();
// threading._shutdown(): joins every non-daemon thread still alive (what the interpreter does
// when the main thread ends); daemon threads are left running. Returns how many it joined.
std::size_t shutdown();

}  // namespace py::threading
