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

// What the Thread object shares with its OS thread: add the members you need (a mutex, a
// condition variable, name, daemon flag, started/finished flags, ident, native id, ...).
struct Thread::State {};

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
