// threading.Event (CPython: Lib/threading.py): a flag under a Condition over a Lock.
#include <optional>

#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

Event::Event() : cond_(lock_) {}

Event::~Event() = default;

bool Event::is_set() const {
    // kata: begin step18 §6
    const ScopedLock guard(cond_);
    return flag_;
    // kata: end
}

void Event::set() {
    // kata: begin step18 §6
    const ScopedLock guard(cond_);
    flag_ = true;
    cond_.notify_all();
    // kata: end
}

void Event::clear() {
    // kata: begin step18 §6
    const ScopedLock guard(cond_);
    flag_ = false;
    // kata: end
}

bool Event::wait(std::optional<double> timeout) {
    // kata: begin step18 §6
    const ScopedLock guard(cond_);
    bool signaled = flag_;
    if (!signaled) {
        signaled = cond_.wait(timeout);
    }
    return signaled;
    // kata: end
}

}  // namespace py::threading
