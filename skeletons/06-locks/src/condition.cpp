// threading.Condition (CPython: Lib/threading.py): a queue of per-waiter locks over the
// condition's Lock or RLock.
#include <algorithm>
#include <deque>
#include <limits>

#include "deadline.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/scope_exit.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

// The condition's state: the lock it uses (its own RLock, or the Lock/RLock it was given) and
// the queue of waiters.
struct Condition::Impl {};

Condition::Condition() : impl_(std::make_unique<Impl>()) {
    PY_KATA_TODO("§4");
}

Condition::Condition(Lock& lock) : impl_(std::make_unique<Impl>()) {
    PY_KATA_TODO("§4");
}

Condition::Condition(RLock& lock) : impl_(std::make_unique<Impl>()) {
    PY_KATA_TODO("§4");
}

Condition::~Condition() = default;

bool Condition::acquire(bool blocking, double timeout) PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§4");
}

void Condition::release() PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§4");
}

bool Condition::wait(std::optional<double> timeout) {
    PY_KATA_TODO("§4");
}

bool Condition::wait_for(const std::function<bool()>& predicate, std::optional<double> timeout) {
    PY_KATA_TODO("§4");
}

void Condition::notify(std::size_t n) {
    PY_KATA_TODO("§4");
}

void Condition::notify_all() {
    PY_KATA_TODO("§4");
}

std::size_t Condition::waiter_count() const {
    PY_KATA_TODO("§4");
}

}  // namespace py::threading
