// The seam chapter 07 (deadlock detection) plugs into: one process-wide observer that every
// py::threading Lock and RLock reports to (and so every Condition, Semaphore, BoundedSemaphore,
// Event and Barrier, which are built on them, as in Lib/threading.py). Header-only, identical in
// the skeleton and the solution.
//
// With no observer installed, each lock operation pays one atomic load of a pointer (acquire
// order: on x86-64 and AArch64's LDAR the same instruction cost as a relaxed load; it makes the
// observer's own construction visible to the locking thread).
//
// What is reported:
// - Lock: every acquire and every release.
// - RLock: only the outermost acquire (count 0 -> 1) and the final release (1 -> 0); recursive
//   acquires by the owner cannot block and are not reported.
// - The private per-waiter locks inside Condition.wait are not reported (they are not owned in
//   any useful sense: the notifier releases them).
// Calls happen in the locking thread. before_acquire runs before any attempt to take the lock;
// it may throw (e.g. py::DeadlockError) to refuse, and then the lock is untouched. The observer
// must not use py::threading locks itself (use std::mutex inside it).
#pragma once

#include <atomic>
#include <cstdint>

#include "py/exceptions.hpp"

namespace py {
// Raised by a lock observer that refuses an acquisition which would deadlock (chapter 07).
PY_DECLARE_EXCEPTION(DeadlockError, RuntimeError);
}  // namespace py

namespace py::threading {

enum class LockKind { Lock, RLock };

class LockObserver {
  public:
    virtual ~LockObserver() = default;
    // Before the calling thread tries to take `lock`; `blocking` is false for a non-blocking
    // attempt; `timeout` is -1 for "forever".
    virtual void before_acquire(const void* lock, LockKind kind, bool blocking, double timeout) {}
    // The calling thread now holds `lock`.
    virtual void acquired(const void* lock, LockKind kind) {}
    // The attempt that before_acquire announced failed (non-blocking, or the timeout passed).
    virtual void acquire_failed(const void* lock, LockKind kind) {}
    // The calling thread released `lock` (for a Lock, possibly one another thread acquired).
    virtual void released(const void* lock, LockKind kind) {}
    // `lock` is being destroyed (forget it).
    virtual void destroyed(const void* lock, LockKind kind) {}
};

namespace detail {
inline std::atomic<LockObserver*> lock_observer_slot{nullptr};
}  // namespace detail

// Installs `observer` (nullptr: none) and returns the previous one. The caller keeps it alive
// until it is replaced and no lock operation can still be inside it.
inline LockObserver* set_lock_observer(LockObserver* observer) noexcept {
    return detail::lock_observer_slot.exchange(observer, std::memory_order_acq_rel);
}

// The installed observer, or nullptr. One atomic load.
[[nodiscard]] inline LockObserver* lock_observer() noexcept {
    return detail::lock_observer_slot.load(std::memory_order_acquire);
}

}  // namespace py::threading
