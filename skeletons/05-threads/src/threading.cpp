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
    PY_KATA_TODO("§1");
}

// The thread has ended: it leaves threading._active and is_alive() turns false in one step.
// Both happen under the registry's lock, so shutdown(), which reads _active under that lock,
// sees every thread either still registered or already finished, never between the two.
void unregister(Thread::State& state) {
    PY_KATA_TODO_NOEXCEPT("§1");
}

// threading._newname: "Thread-N" (or "Dummy-N"), one counter for both.
std::string new_name(const char* pattern) {
    PY_KATA_TODO("§1");
}

// threading.excepthook's output on stderr.
void default_excepthook(const ExceptHookArgs& args) {
    PY_KATA_TODO("§2");
}

// An exception escaped run(): hand it to the installed excepthook, or the default one.
void report_exception(Thread* thread, const std::exception_ptr& error) {
    PY_KATA_TODO("§2");
}

// The state of a thread we did not start (the main thread, a std::thread's dummy): alive now.
std::shared_ptr<Thread::State> alive_state(std::string name, bool daemon) {
    PY_KATA_TODO("§1");
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
// KATA (lesson §1): the library loads on the main thread; a static initializer here can make
// the_main_thread() its current thread (once alive_state and register_alive work).

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
    PY_KATA_TODO_NOEXCEPT("§2");
    return 0;
}

ExceptHook set_excepthook(ExceptHook hook) {
    PY_KATA_TODO("§2");
}

Thread::Thread(ThreadOptions options) : Thread(Target(), std::move(options)) {}

Thread::Thread(Target target, ThreadOptions options)
    : target_(std::move(target)), state_(std::make_shared<State>()) {
    PY_KATA_TODO("§1");
}

Thread::Thread(std::shared_ptr<State> state) : state_(std::move(state)) {
    PY_KATA_TODO("§2");
}

Thread::~Thread() {
    // A running thread still uses this object: wait until it is done (unless it is the caller).
    // KATA (lesson §1): once start() works, wait here until run() has finished.
}

void Thread::start() {
    PY_KATA_TODO("§1");
}

void Thread::run() {
    PY_KATA_TODO("§1");
}

bool Thread::join(std::optional<double> timeout) {
    PY_KATA_TODO("§1");
}

bool Thread::is_alive() const {
    PY_KATA_TODO("§1");
}

std::string Thread::name() const {
    PY_KATA_TODO("§2");
}

void Thread::set_name(std::string name) {
    PY_KATA_TODO("§2");
}

std::optional<Ident> Thread::ident() const {
    PY_KATA_TODO("§2");
}

std::optional<long> Thread::native_id() const {
    PY_KATA_TODO("§2");
}

bool Thread::daemon() const {
    PY_KATA_TODO("§2");
}

void Thread::set_daemon(bool daemonic) {
    PY_KATA_TODO("§2");
}

std::string Thread::repr() const {
    PY_KATA_TODO("§2");
}

Thread& current_thread() {
    PY_KATA_TODO("§2");
}

Thread& main_thread() {
    PY_KATA_TODO("§2");
}

std::vector<Thread*> enumerate() {
    PY_KATA_TODO("§2");
}

std::size_t active_count() {
    PY_KATA_TODO("§2");
}

std::size_t shutdown() {
    PY_KATA_TODO("§2");
}

}  // namespace py::threading
