// threading.Thread and the module's functions (Lib/threading.py, 3.11; lesson §1, §2).
#include "py/threading.hpp"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "py/exceptions.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"

namespace py::threading {

// What the Thread object shares with its OS thread; guarded by `mutex`.
struct Thread::State {
    std::mutex mutex;
    std::condition_variable changed;
    std::string name;
    bool daemon = false;
    bool started = false;  // start() was called
    bool running = false;  // the OS thread runs run()
    bool finished = false;
    Ident ident = 0;
    long native_id = 0;
    std::uint64_t order = 0;  // start order, for enumerate()
};

// Not an anonymous namespace: in the skeleton nothing uses these yet, and it should compile
// without "defined but not used" warnings.
namespace detail {

// threading.py's module state: the live threads, the name counter and the excepthook.
struct Registry {
    std::mutex mutex;
    struct Entry {
        Thread* thread;
        std::shared_ptr<Thread::State> state;
    };
    std::map<Thread::State*, Entry> active;  // threading._active
    std::uint64_t next_order = 0;
    unsigned counter = 0;  // threading._counter: "Thread-N" and "Dummy-N" share it
    ExceptHook hook;
};

Registry& registry() {
    static auto* instance = new Registry;  // never destroyed: threads may outlive statics
    return *instance;
}

thread_local Thread* current = nullptr;

// threading._active[ident] = thread, in start order (for enumerate()).
void register_alive(Thread* thread, const std::shared_ptr<Thread::State>& state) {
    // kata: begin step01 step10 §1
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    state->order = reg.next_order++;
    reg.active[state.get()] = Registry::Entry{thread, state};
    // kata: end
}

// The thread has ended: it leaves threading._active and is_alive() turns false in one step.
// Both happen under the registry's lock, so shutdown(), which reads _active under that lock,
// sees every thread either still registered or already finished, never between the two.
void unregister(Thread::State& state) {
    // kata: begin step01 step10 §1 noexcept
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    reg.active.erase(&state);
    std::lock_guard state_lock(state.mutex);
    state.running = false;
    state.finished = true;
    // kata: end
}

// threading._newname: "Thread-N" (or "Dummy-N"), one counter for both.
std::string new_name(const char* pattern) {
    // kata: begin step01 step04 §1
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    const unsigned number = ++reg.counter;
    return std::string(pattern) + std::to_string(number);
    // kata: end
}

// threading.excepthook's output on stderr.
void default_excepthook(const ExceptHookArgs& args) {
    // kata: begin step12 §2
    std::fprintf(stderr, "Exception in thread %s:\n%s: %s\n",
                 args.thread ? args.thread->name().c_str() : "?", args.exc_type.c_str(),
                 args.message.c_str());
    // kata: end
}

// An exception escaped run(): hand it to the installed excepthook, or the default one.
void report_exception(Thread* thread, const std::exception_ptr& error) {
    // kata: begin step12 §2
    ExceptHookArgs args{error, "exception", "", thread};
    try {
        std::rethrow_exception(error);
    } catch (const BaseException& e) {
        args.exc_type = e.python_name();
        args.message = e.what();
    } catch (const std::exception& e) {
        args.message = e.what();
    } catch (...) {
        args.message = "unknown exception";
    }
    ExceptHook hook;
    {
        auto& reg = registry();
        std::lock_guard lock(reg.mutex);
        hook = reg.hook;
    }
    if (hook) {
        hook(args);
    } else {
        default_excepthook(args);
    }
    // kata: end
}

// The state of a thread we did not start (the main thread, a std::thread's dummy): alive now.
std::shared_ptr<Thread::State> alive_state(std::string name, bool daemon) {
    // kata: begin step01 step04 step10 §1
    auto state = std::make_shared<Thread::State>();
    state->name = std::move(name);
    state->daemon = daemon;
    state->started = true;
    state->running = true;
    state->ident = get_ident();
    state->native_id = get_native_id();
    return state;
    // kata: end
}

// The main thread and dummy threads: alive from the start, never started by us.
class AliveThread : public Thread {
  public:
    explicit AliveThread(std::shared_ptr<State> state) : Thread(std::move(state)) {}
    AliveThread(const AliveThread&) = delete;
    AliveThread& operator=(const AliveThread&) = delete;
    ~AliveThread() override = default;
};

// A std::thread's Thread object; unregistered when the OS thread ends.
struct DummyHolder {
    std::unique_ptr<AliveThread> thread;
    std::shared_ptr<Thread::State> state;
    ~DummyHolder() {
        if (state) {
            unregister(*state);
        }
    }
};
thread_local DummyHolder dummy;

AliveThread& the_main_thread() {
    static auto* thread = [] {
        auto* t = new AliveThread(alive_state("MainThread", false));
        return t;
    }();
    return *thread;
}

// Loading the library happens on the main thread: remember it there.
// kata: begin step01 step10 §1 replace
const bool main_registered = [] {
    auto& main = the_main_thread();
    current = &main;
    return true;
}();
// kata: skeleton // KATA (lesson §1): the library loads on the main thread; a static initializer here can make
// kata: skeleton // the_main_thread() its current thread (once alive_state and register_alive work).
// kata: end

}  // namespace detail

using detail::alive_state;
using detail::AliveThread;
using detail::current;
using detail::dummy;
using detail::new_name;
using detail::register_alive;
using detail::registry;
using detail::report_exception;
using detail::the_main_thread;
using detail::unregister;

long get_native_id() noexcept {
    // kata: begin step08 §2 noexcept
    return static_cast<long>(syscall(SYS_gettid));
    // kata: skeleton return 0;
    // kata: end
}

ExceptHook set_excepthook(ExceptHook hook) {
    // kata: begin step12 §2
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    std::swap(reg.hook, hook);
    return hook;
    // kata: end
}

Thread::Thread(ThreadOptions options) : Thread(Target(), std::move(options)) {}

Thread::Thread(Target target, ThreadOptions options)
    : target_(std::move(target)), state_(std::make_shared<State>()) {
    // kata: begin step01 step04 step09 §1
    if (options.name.empty()) {
        state_->name = new_name("Thread-");
        if (!options.target_name.empty()) {
            state_->name += " (" + options.target_name + ")";
        }
    } else {
        state_->name = std::move(options.name);
    }
    state_->daemon = options.daemon ? *options.daemon : current_thread().daemon();
    // kata: end
}

Thread::Thread(std::shared_ptr<State> state) : state_(std::move(state)) {
    // kata: begin step10 §2
    register_alive(this, state_);
    // kata: end
}

Thread::~Thread() {
    // A running thread still uses this object: wait until it is done (unless it is the caller).
    // kata: begin step01 §1 replace
    gil::Release no_gil;
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(
        lock, [&] { return !state_->started || state_->finished || state_->ident == get_ident(); });
    // kata: skeleton // KATA (lesson §1): once start() works, wait here until run() has finished.
    // kata: end
}

void Thread::start() {
    // kata: begin step01 step05 §1
    {
        std::lock_guard lock(state_->mutex);
        if (state_->started) {
            throw RuntimeError("threads can only be started once");
        }
        state_->started = true;
    }
    register_alive(this, state_);
    std::thread([this, state = state_] {
        current = this;
        {
            std::lock_guard lock(state->mutex);
            state->ident = get_ident();
            state->native_id = get_native_id();
            state->running = true;
        }
        state->changed.notify_all();
        try {
            run();
        } catch (...) {
            report_exception(this, std::current_exception());
        }
        current = nullptr;
        unregister(*state);
        state->changed.notify_all();
    }).detach();
    // Like Thread.start(): wait until the new thread runs.
    gil::Release no_gil;
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(lock, [&] { return state_->running || state_->finished; });
    // kata: end
}

void Thread::run() {
    // kata: begin step01 step02 step03 §1
    if (target_) {
        target_();
    }
    // kata: end
}

bool Thread::join(std::optional<double> timeout) {
    // kata: begin step01 step06 step07 §1
    {
        std::lock_guard lock(state_->mutex);
        if (!state_->started) {
            throw RuntimeError("cannot join thread before it is started");
        }
    }
    if (&current_thread() == this) {
        throw RuntimeError("cannot join current thread");
    }
    gil::Release no_gil;
    std::unique_lock lock(state_->mutex);
    if (!timeout) {
        state_->changed.wait(lock, [&] { return state_->finished; });
    } else {
        const auto wait = std::chrono::duration<double>(std::max(*timeout, 0.0));
        state_->changed.wait_for(lock, wait, [&] { return state_->finished; });
    }
    return state_->finished;
    // kata: end
}

bool Thread::is_alive() const {
    // kata: begin step07 §1
    std::lock_guard lock(state_->mutex);
    return state_->started && !state_->finished;
    // kata: end
}

std::string Thread::name() const {
    // kata: begin step04 §2
    std::lock_guard lock(state_->mutex);
    return state_->name;
    // kata: end
}

void Thread::set_name(std::string name) {
    // kata: begin step04 §2
    std::lock_guard lock(state_->mutex);
    state_->name = std::move(name);
    // kata: end
}

std::optional<Ident> Thread::ident() const {
    // kata: begin step08 §2
    std::lock_guard lock(state_->mutex);
    if (state_->ident == 0) {
        return std::nullopt;
    }
    return state_->ident;
    // kata: end
}

std::optional<long> Thread::native_id() const {
    // kata: begin step08 §2
    std::lock_guard lock(state_->mutex);
    if (state_->native_id == 0) {
        return std::nullopt;
    }
    return state_->native_id;
    // kata: end
}

bool Thread::daemon() const {
    // kata: begin step09 §2
    std::lock_guard lock(state_->mutex);
    return state_->daemon;
    // kata: end
}

void Thread::set_daemon(bool daemonic) {
    // kata: begin step09 §2
    std::lock_guard lock(state_->mutex);
    if (state_->started) {
        throw RuntimeError("cannot set daemon status of active thread");
    }
    state_->daemon = daemonic;
    // kata: end
}

std::string Thread::repr() const {
    // kata: begin step08 §2
    std::lock_guard lock(state_->mutex);
    std::ostringstream out;
    // threading.py's order: the status, then " daemon", then the ident once there is one.
    out << "<Thread(" << state_->name << ", ";
    if (!state_->started) {
        out << "initial";
    } else if (state_->finished) {
        out << "stopped";
    } else {
        out << "started";
    }
    if (state_->daemon) {
        out << " daemon";
    }
    if (state_->started) {
        out << " " << state_->ident;
    }
    out << ")>";
    return out.str();
    // kata: end
}

Thread& current_thread() {
    // kata: begin step04 step10 §2
    if (current != nullptr) {
        return *current;
    }
    if (!dummy.thread) {
        dummy.state = alive_state(new_name("Dummy-"), true);
        dummy.thread = std::make_unique<AliveThread>(dummy.state);
    }
    return *dummy.thread;
    // kata: end
}

Thread& main_thread() {
    // kata: begin step10 §2
    return the_main_thread();
    // kata: end
}

std::vector<Thread*> enumerate() {
    // kata: begin step10 §2
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    std::vector<std::pair<std::uint64_t, Thread*>> ordered;
    ordered.reserve(reg.active.size());
    for (const auto& [state, entry] : reg.active) {
        ordered.emplace_back(state->order, entry.thread);
    }
    std::sort(ordered.begin(), ordered.end());
    std::vector<Thread*> result;
    result.reserve(ordered.size());
    for (const auto& entry : ordered) {
        result.push_back(entry.second);
    }
    return result;
    // kata: end
}

std::size_t active_count() {
    // kata: begin step10 §2
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    return reg.active.size();
    // kata: end
}

std::size_t shutdown() {
    // kata: begin step11 §2
    const Thread* self = &current_thread();
    std::vector<std::shared_ptr<Thread::State>> to_join;
    {
        auto& reg = registry();
        std::lock_guard lock(reg.mutex);
        for (const auto& [state, entry] : reg.active) {
            if (entry.thread != self && entry.thread != &the_main_thread() && !state->daemon) {
                to_join.push_back(entry.state);
            }
        }
    }
    gil::Release no_gil;
    for (const auto& state : to_join) {
        std::unique_lock lock(state->mutex);
        state->changed.wait(lock, [&] { return state->finished; });
    }
    return to_join.size();
    // kata: end
}

}  // namespace py::threading
