// The lock observer's protocol (lesson §8), in one place for Lock, RLock and RLock's
// acquire_restore; and the slow path of an acquisition, which drops the GIL (lesson §2).
// Private to src/: tests never see it.
#pragma once

#include "py/gil.hpp"
#include "py/kata.hpp"
#include "py/lock_observer.hpp"
#include "py/locks.hpp"

namespace py::threading::detail {

// The lock is taken: wait for it (at most `timeout` seconds, < 0 forever) without the GIL, so
// the thread holding the lock can run Python code meanwhile. False on timeout.
inline bool acquire_without_gil(FutexLock& futex, double timeout) {
    // kata: begin step07 §2 replace
    const gil::Release no_gil;
    return futex.acquire_for(timeout);
    // kata: skeleton // KATA (lesson §2): drop the GIL (a py::gil::Release) while waiting for the lock.
    // kata: skeleton return futex.acquire_for(timeout);
    // kata: end
}

// One acquisition as the observer sees it: before_acquire before `attempt()` touches the lock
// (it may throw, e.g. py::DeadlockError, and then the lock is untouched), then acquired or
// acquire_failed with the attempt's outcome. One load of the observer slot when none is set.
template <class Attempt>
bool observed_acquire(const void* lock, LockKind kind, bool blocking, double timeout,
                      Attempt attempt) {
    // kata: begin step21 §8 replace
    LockObserver* const observer = lock_observer();
    if (observer == nullptr) {
        return attempt();
    }
    observer->before_acquire(lock, kind, blocking, timeout);
    const bool acquired = attempt();
    if (acquired) {
        observer->acquired(lock, kind);
    } else {
        observer->acquire_failed(lock, kind);
    }
    return acquired;
    // kata: skeleton // KATA (lesson §8): tell lock_observer(), if one is installed, before_acquire before the
    // kata: skeleton // attempt, then acquired or acquire_failed.
    // kata: skeleton return attempt();
    // kata: end
}

// After a release that freed the lock (for an RLock: the last one).
inline void report_released(const void* lock, LockKind kind) {
    // kata: begin step21 §8 replace
    if (LockObserver* const observer = lock_observer()) {
        observer->released(lock, kind);
    }
    // kata: skeleton // KATA (lesson §8): tell lock_observer(), if one is installed.
    // kata: end
}

// From the destructor: the observer forgets the lock (a new one may get its address).
inline void report_destroyed(const void* lock, LockKind kind) noexcept {
    // kata: begin step21 §8 replace
    if (LockObserver* const observer = lock_observer()) {
        observer->destroyed(lock, kind);
    }
    // kata: skeleton // KATA (lesson §8): tell lock_observer(), if one is installed.
    // kata: end
}

}  // namespace py::threading::detail
