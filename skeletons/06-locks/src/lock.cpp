// threading.Lock (CPython: Modules/_threadmodule.c, lock_PyThread_acquire_lock and friends): a
// futex word and the thread that took it last.
#include "observed.hpp"
#include "py/kata.hpp"
#include "py/locks.hpp"

namespace py::threading {

Lock::~Lock() {
    detail::report_destroyed(this, LockKind::Lock);
}

bool Lock::acquire(bool blocking, double timeout) PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§1");
}

void Lock::release() PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§1");
}

std::optional<Ident> Lock::owner() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return std::nullopt;
}

}  // namespace py::threading
