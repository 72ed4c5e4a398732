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
    // kata: begin step08 step09 step10 §3
    if (timeout != -1) {
        detail::check_acquire_args(blocking, timeout);
    }
    const Ident me = get_ident();
    if (owner_.load(std::memory_order_relaxed) == me) {
        // Only the owner writes the count, so a load and a store do: no locked instruction.
        // A re-entry cannot block, so the observer is not told.
        count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return true;
    }
    return detail::observed_acquire(this, LockKind::RLock, blocking, timeout, [&] {
        const bool acquired =
            futex_.try_acquire() ||
            (blocking && timeout != 0 && detail::acquire_without_gil(futex_, timeout));
        if (acquired) {
            owner_.store(me, std::memory_order_relaxed);
            count_.store(1, std::memory_order_relaxed);
        }
        return acquired;
    });
    // kata: end
}

void RLock::release() PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step08 step09 §3
    if (owner_.load(std::memory_order_relaxed) != get_ident() ||
        count_.load(std::memory_order_relaxed) == 0) {
        throw RuntimeError("cannot release un-acquired lock");
    }
    const std::size_t remaining = count_.load(std::memory_order_relaxed) - 1;
    count_.store(remaining, std::memory_order_relaxed);  // the owner's own write, as above
    if (remaining == 0) {
        owner_.store(0, std::memory_order_relaxed);
        futex_.release();
        detail::report_released(this, LockKind::RLock);
    }
    // kata: end
}

bool RLock::is_owned() const noexcept {
    // kata: begin step08 §3 noexcept
    return owner_.load(std::memory_order_relaxed) == get_ident() &&
           count_.load(std::memory_order_relaxed) > 0;
    // kata: skeleton return false;
    // kata: end
}

std::optional<Ident> RLock::owner() const noexcept {
    // kata: begin step08 §3 noexcept
    const Ident owner = owner_.load(std::memory_order_relaxed);
    if (owner == 0) {
        return std::nullopt;
    }
    return owner;
    // kata: skeleton return std::nullopt;
    // kata: end
}

std::size_t RLock::count() const noexcept {
    // kata: begin step08 §3 noexcept
    return count_.load(std::memory_order_relaxed);
    // kata: skeleton return 0;
    // kata: end
}

std::size_t RLock::release_save() PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step14 §4
    if (!is_owned()) {
        throw RuntimeError("cannot release un-acquired lock");
    }
    const std::size_t count = count_.exchange(0, std::memory_order_relaxed);
    owner_.store(0, std::memory_order_relaxed);
    futex_.release();
    detail::report_released(this, LockKind::RLock);
    return count;
    // kata: end
}

void RLock::acquire_restore(std::size_t count) PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step14 §4
    detail::observed_acquire(this, LockKind::RLock, true, -1, [&] {
        if (!futex_.try_acquire()) {
            detail::acquire_without_gil(futex_, -1);
        }
        owner_.store(get_ident(), std::memory_order_relaxed);
        count_.store(count, std::memory_order_relaxed);
        return true;
    });
    // kata: end
}

}  // namespace py::threading
