// threading.Semaphore and threading.BoundedSemaphore (CPython: Lib/threading.py): a counter
// under a Condition over a Lock.
#include <optional>

#include "deadline.hpp"
#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

Semaphore::Semaphore(long value) : cond_(lock_), value_(value) {
    PY_KATA_TODO("§5");
}

Semaphore::~Semaphore() = default;

bool Semaphore::acquire(bool blocking, std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

void Semaphore::release(long n) {
    PY_KATA_TODO("§5");
}

long Semaphore::value() const {
    PY_KATA_TODO("§5");
}

BoundedSemaphore::BoundedSemaphore(long value) : Semaphore(value), initial_value_(value) {}

void BoundedSemaphore::release(long n) {
    PY_KATA_TODO("§5");
}

}  // namespace py::threading
