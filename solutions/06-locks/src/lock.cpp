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
    // kata: begin step01 step04 step06 step11 §1
    if (timeout != -1) {  // with the default timeout every `blocking` is valid
        detail::check_acquire_args(blocking, timeout);
    }
    return detail::observed_acquire(this, LockKind::Lock, blocking, timeout, [&] {
        const bool acquired =
            futex_.try_acquire() ||
            (blocking && timeout != 0 && detail::acquire_without_gil(futex_, timeout));
        if (acquired) {
            owner_.store(get_ident(), std::memory_order_relaxed);
        }
        return acquired;
    });
    // kata: end
}

void Lock::release() PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step01 step02 §1
    owner_.store(0, std::memory_order_relaxed);  // an unlocked lock has no owner anyway
    if (!futex_.release()) {
        throw RuntimeError("release unlocked lock");
    }
    detail::report_released(this, LockKind::Lock);
    // kata: end
}

std::optional<Ident> Lock::owner() const noexcept {
    // kata: begin step01 §1 noexcept
    const Ident owner = owner_.load(std::memory_order_relaxed);
    if (owner == 0 || !locked()) {
        return std::nullopt;
    }
    return owner;
    // kata: skeleton return std::nullopt;
    // kata: end
}

}  // namespace py::threading
