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

// kata: begin step12 §4 replace
struct Condition::Impl {
    std::optional<RLock> own;  // Condition() makes its own RLock, as threading.py does
    Lock* lock = nullptr;
    RLock* rlock = nullptr;
    // The waiters, each a FutexLock on its wait()'s stack. They have a mutex of their own rather
    // than the condition's lock: a wait() whose lock could not be taken back (an observer
    // refused it) must still leave the queue without it. notify() holds the mutex from taking a
    // waiter to releasing it, and a leaving wait() takes it, so no waiter's frame dies while
    // notify() still touches it.
    mutable Mutex queue_mutex;
    std::deque<detail::FutexLock*> waiters PY_GUARDED_BY(queue_mutex);

    [[nodiscard]] bool is_owned() const {
        // threading.Condition._is_owned: an RLock knows its owner; a Lock is "owned" if locked.
        return rlock != nullptr ? rlock->is_owned() : lock->locked();
    }
    std::size_t release_save() const PY_NO_THREAD_SAFETY_ANALYSIS {
        if (rlock != nullptr) {
            return rlock->release_save();
        }
        lock->release();
        return 0;
    }
    void acquire_restore(std::size_t count) const PY_NO_THREAD_SAFETY_ANALYSIS {
        if (rlock != nullptr) {
            rlock->acquire_restore(count);
        } else {
            lock->acquire();
        }
    }
    void enqueue(detail::FutexLock* waiter) {
        const ScopedLock queue(queue_mutex);
        waiters.push_back(waiter);
    }
    // Takes `waiter` out of the queue if no notify() took it.
    void forget(const detail::FutexLock* waiter) {
        const ScopedLock queue(queue_mutex);
        const auto found = std::find(waiters.begin(), waiters.end(), waiter);
        if (found != waiters.end()) {
            waiters.erase(found);
        }
    }
};
// kata: skeleton // The condition's state: the lock it uses (its own RLock, or the Lock/RLock it was given) and
// kata: skeleton // the queue of waiters.
// kata: skeleton struct Condition::Impl {};
// kata: end

Condition::Condition() : impl_(std::make_unique<Impl>()) {
    // kata: begin step12 §4
    impl_->rlock = &impl_->own.emplace();
    // kata: end
}

Condition::Condition(Lock& lock) : impl_(std::make_unique<Impl>()) {
    // kata: begin step12 §4
    impl_->lock = &lock;
    // kata: end
}

Condition::Condition(RLock& lock) : impl_(std::make_unique<Impl>()) {
    // kata: begin step12 §4
    impl_->rlock = &lock;
    // kata: end
}

Condition::~Condition() = default;

bool Condition::acquire(bool blocking, double timeout) PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step12 §4
    return impl_->rlock != nullptr ? impl_->rlock->acquire(blocking, timeout)
                                   : impl_->lock->acquire(blocking, timeout);
    // kata: end
}

void Condition::release() PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step12 §4
    if (impl_->rlock != nullptr) {
        impl_->rlock->release();
    } else {
        impl_->lock->release();
    }
    // kata: end
}

bool Condition::wait(std::optional<double> timeout) {
    // kata: begin step12 step14 step15 §4
    if (!impl_->is_owned()) {
        throw RuntimeError("cannot wait on un-acquired lock");
    }
    // Taken now, released by notify(): taking it a second time is being notified.
    detail::FutexLock waiter;
    waiter.try_acquire();
    impl_->enqueue(&waiter);
    // However wait() ends (notified, timed out, or taking the lock back threw), the waiter leaves
    // the queue before its frame does.
    const ScopeExit leave_queue([&] { impl_->forget(&waiter); });
    const std::size_t saved = impl_->release_save();
    bool notified = false;
    {
        const gil::Release no_gil;
        if (!timeout) {
            notified = waiter.acquire_for(-1);
        } else if (*timeout > 0) {
            notified = waiter.acquire_for(*timeout);
        } else {
            notified = waiter.try_acquire();
        }
    }
    impl_->acquire_restore(saved);  // may throw: an observer may refuse (chapter 07)
    return notified;
    // kata: end
}

bool Condition::wait_for(const std::function<bool()>& predicate, std::optional<double> timeout) {
    // kata: begin step12 step14 §4
    std::optional<detail::Clock::time_point> deadline;
    bool result = predicate();
    while (!result) {
        if (timeout) {
            if (!deadline) {
                deadline = detail::deadline_after(*timeout);
            } else {
                timeout = detail::seconds_until(*deadline);
                if (*timeout <= 0) {
                    break;
                }
            }
        }
        wait(timeout);
        result = predicate();
    }
    return result;
    // kata: end
}

void Condition::notify(std::size_t n) {
    // kata: begin step12 step13 §4
    if (!impl_->is_owned()) {
        throw RuntimeError("cannot notify on un-acquired lock");
    }
    const ScopedLock queue(impl_->queue_mutex);
    auto& waiters = impl_->waiters;
    for (; n > 0 && !waiters.empty(); --n) {
        detail::FutexLock* waiter = waiters.front();
        waiters.pop_front();
        waiter->release();  // with queue_mutex held: see Impl
    }
    // kata: end
}

void Condition::notify_all() {
    // kata: begin step12 step13 §4
    notify(std::numeric_limits<std::size_t>::max());  // notify() stops when the queue is empty
    // kata: end
}

std::size_t Condition::waiter_count() const {
    // kata: begin step12 §4
    const ScopedLock queue(impl_->queue_mutex);
    return impl_->waiters.size();
    // kata: end
}

}  // namespace py::threading
