// threading.Semaphore and threading.BoundedSemaphore (CPython: Lib/threading.py): a counter
// under a Condition over a Lock.
#include <optional>

#include "deadline.hpp"
#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

Semaphore::Semaphore(long value) : cond_(lock_), value_(value) {
    // kata: begin step16 §5
    if (value < 0) {
        throw ValueError("semaphore initial value must be >= 0");
    }
    // kata: end
}

Semaphore::~Semaphore() = default;

bool Semaphore::acquire(bool blocking, std::optional<double> timeout) {
    // kata: begin step16 §5
    if (!blocking && timeout) {
        throw ValueError("can't specify timeout for non-blocking acquire");
    }
    std::optional<detail::Clock::time_point> deadline;
    const ScopedLock guard(cond_);
    while (value_ == 0) {
        if (!blocking) {
            return false;
        }
        if (timeout) {
            if (!deadline) {
                deadline = detail::deadline_after(*timeout);
            } else {
                timeout = detail::seconds_until(*deadline);
                if (*timeout <= 0) {
                    return false;
                }
            }
        }
        cond_.wait(timeout);
    }
    --value_;
    return true;
    // kata: end
}

void Semaphore::release(long n) {
    // kata: begin step16 §5
    if (n < 1) {
        throw ValueError("n must be one or more");
    }
    const ScopedLock guard(cond_);
    value_ += n;
    cond_.notify(static_cast<std::size_t>(n));
    // kata: end
}

long Semaphore::value() const {
    // kata: begin step16 §5
    const ScopedLock guard(cond_);
    return value_;
    // kata: end
}

BoundedSemaphore::BoundedSemaphore(long value) : Semaphore(value), initial_value_(value) {}

void BoundedSemaphore::release(long n) {
    // kata: begin step17 §5
    if (n < 1) {
        throw ValueError("n must be one or more");
    }
    const ScopedLock guard(cond_);
    if (value_ + n > initial_value_) {
        throw ValueError("Semaphore released too many times");
    }
    value_ += n;
    cond_.notify(static_cast<std::size_t>(n));
    // kata: end
}

}  // namespace py::threading
