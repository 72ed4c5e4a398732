// threading.RLock (CPython: Modules/_threadmodule.c, rlock_acquire and friends): a futex word,
// its owner and the recursion count, which only the owner writes.
#include "observed.hpp"
#include "py/kata.hpp"
#include "py/locks.hpp"

namespace py::threading {

RLock::~RLock() {
    detail::report_destroyed(this, LockKind::RLock);
}

bool RLock::acquire(bool blocking, double timeout) PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§3");
}

void RLock::release() PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§3");
}

bool RLock::is_owned() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return false;
}

std::optional<Ident> RLock::owner() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return std::nullopt;
}

std::size_t RLock::count() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return 0;
}

std::size_t RLock::release_save() PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§4");
}

void RLock::acquire_restore(std::size_t count) PY_NO_THREAD_SAFETY_ANALYSIS {
    PY_KATA_TODO("§4");
}

}  // namespace py::threading
