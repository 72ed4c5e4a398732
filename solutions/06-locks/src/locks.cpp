// kata: begin replace
// Lock and RLock on a futex word (CPython: Modules/_threadmodule.c, Python/thread_pthread.h),
// and threading.py's Condition, Semaphore, BoundedSemaphore, Event and Barrier on top of them.
// kata: skeleton // Lock and RLock on a futex word, and Condition, Semaphore, BoundedSemaphore, Event and Barrier
// kata: skeleton // on top of them: write them here (lesson §1-§8).
// kata: end
#include "py/locks.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

#include "py/gil.hpp"
// kata: skeleton #include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::threading {
namespace detail {
// kata: begin replace
namespace {

using Clock = std::chrono::steady_clock;

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value,
           const timespec* timeout) noexcept {
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr,
                   0);
}

}  // namespace
// kata: end

bool FutexLock::acquire_for(double timeout) noexcept {
    // kata: begin §1 noexcept
    std::uint32_t state = 0;
    if (word_.compare_exchange_strong(state, 1, std::memory_order_acquire,
                                      std::memory_order_relaxed) ||
        timeout == 0) {
        return state == 0;
    }
    const bool forever = timeout < 0;
    const auto deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(forever ? 0.0 : timeout));
    // Ulrich Drepper's "Futexes Are Tricky", mutex 2: 2 means "maybe somebody sleeps".
    if (state != 2) {
        state = word_.exchange(2, std::memory_order_acquire);
    }
    while (state != 0) {
        if (forever) {
            futex(&word_, FUTEX_WAIT_PRIVATE, 2, nullptr);
        } else {
            const auto left = deadline - Clock::now();
            if (left <= Clock::duration::zero()) {
                return false;
            }
            const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
            const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(left - seconds);
            const timespec relative{static_cast<time_t>(seconds.count()),
                                    static_cast<long>(nanos.count())};
            futex(&word_, FUTEX_WAIT_PRIVATE, 2, &relative);
        }
        state = word_.exchange(2, std::memory_order_acquire);
    }
    return true;
    // kata: skeleton return false;
    // kata: end
}

void FutexLock::wake_one() noexcept {
    // kata: begin §1 noexcept
    futex(&word_, FUTEX_WAKE_PRIVATE, 1, nullptr);
    // kata: end
}

void check_acquire_args(bool blocking, double timeout) {
    // kata: begin §1
    if (timeout == -1) {
        return;
    }
    if (!blocking) {
        throw ValueError("can't specify a timeout for a non-blocking call");
    }
    if (timeout < 0 || std::isnan(timeout)) {
        throw ValueError("timeout value must be positive");
    }
    if (timeout > TIMEOUT_MAX) {
        throw OverflowError("timeout value is too large");
    }
    // kata: end
}

}  // namespace detail

// kata: begin replace
// ---------------------------------------------------------------------------------------------
// Lock

Lock::~Lock() {
    if (auto* observer = lock_observer()) {
        observer->destroyed(this, LockKind::Lock);
    }
}
// kata: skeleton Lock::~Lock() = default;
// kata: end

bool Lock::acquire(bool blocking, double timeout) {
    // kata: begin §1
    if (timeout != -1) {  // with the default timeout every `blocking` is valid
        detail::check_acquire_args(blocking, timeout);
    }
    auto* observer = lock_observer();
    if (observer != nullptr) {
        observer->before_acquire(this, LockKind::Lock, blocking, timeout);
    }
    bool acquired = futex_.try_acquire();
    if (!acquired && blocking && timeout != 0) {
        gil::Release no_gil;
        acquired = futex_.acquire_for(timeout);
    }
    if (acquired) {
        owner_.store(get_ident(), std::memory_order_relaxed);
    }
    if (observer != nullptr) {
        if (acquired) {
            observer->acquired(this, LockKind::Lock);
        } else {
            observer->acquire_failed(this, LockKind::Lock);
        }
    }
    return acquired;
    // kata: end
}

void Lock::release() {
    // kata: begin §1
    owner_.store(0, std::memory_order_relaxed);  // an unlocked lock has no owner anyway
    if (!futex_.release()) {
        throw RuntimeError("release unlocked lock");
    }
    if (auto* observer = lock_observer()) {
        observer->released(this, LockKind::Lock);
    }
    // kata: end
}

std::optional<Ident> Lock::owner() const noexcept {
    // kata: begin §1 noexcept
    const Ident owner = owner_.load(std::memory_order_relaxed);
    if (owner == 0 || !locked()) {
        return std::nullopt;
    }
    return owner;
    // kata: skeleton return std::nullopt;
    // kata: end
}

// kata: begin replace
// ---------------------------------------------------------------------------------------------
// RLock

RLock::~RLock() {
    if (auto* observer = lock_observer()) {
        observer->destroyed(this, LockKind::RLock);
    }
}
// kata: skeleton RLock::~RLock() = default;
// kata: end

bool RLock::acquire(bool blocking, double timeout) {
    // kata: begin §3
    if (timeout != -1) {
        detail::check_acquire_args(blocking, timeout);
    }
    const Ident me = get_ident();
    if (owner_.load(std::memory_order_relaxed) == me) {
        count_.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    auto* observer = lock_observer();
    if (observer != nullptr) {
        observer->before_acquire(this, LockKind::RLock, blocking, timeout);
    }
    bool acquired = futex_.try_acquire();
    if (!acquired && blocking && timeout != 0) {
        gil::Release no_gil;
        acquired = futex_.acquire_for(timeout);
    }
    if (acquired) {
        owner_.store(me, std::memory_order_relaxed);
        count_.store(1, std::memory_order_relaxed);
    }
    if (observer != nullptr) {
        if (acquired) {
            observer->acquired(this, LockKind::RLock);
        } else {
            observer->acquire_failed(this, LockKind::RLock);
        }
    }
    return acquired;
    // kata: end
}

void RLock::release() {
    // kata: begin §3
    if (owner_.load(std::memory_order_relaxed) != get_ident() ||
        count_.load(std::memory_order_relaxed) == 0) {
        throw RuntimeError("cannot release un-acquired lock");
    }
    if (count_.fetch_sub(1, std::memory_order_relaxed) == 1) {
        owner_.store(0, std::memory_order_relaxed);
        futex_.release();
        if (auto* observer = lock_observer()) {
            observer->released(this, LockKind::RLock);
        }
    }
    // kata: end
}

bool RLock::is_owned() const noexcept {
    // kata: begin §3 noexcept
    return owner_.load(std::memory_order_relaxed) == get_ident() &&
           count_.load(std::memory_order_relaxed) > 0;
    // kata: skeleton return false;
    // kata: end
}

std::optional<Ident> RLock::owner() const noexcept {
    // kata: begin §3 noexcept
    const Ident owner = owner_.load(std::memory_order_relaxed);
    if (owner == 0) {
        return std::nullopt;
    }
    return owner;
    // kata: skeleton return std::nullopt;
    // kata: end
}

std::size_t RLock::count() const noexcept {
    // kata: begin §3 noexcept
    return count_.load(std::memory_order_relaxed);
    // kata: skeleton return 0;
    // kata: end
}

std::size_t RLock::release_save() {
    // kata: begin §4
    if (!is_owned()) {
        throw RuntimeError("cannot release un-acquired lock");
    }
    const std::size_t count = count_.exchange(0, std::memory_order_relaxed);
    owner_.store(0, std::memory_order_relaxed);
    futex_.release();
    if (auto* observer = lock_observer()) {
        observer->released(this, LockKind::RLock);
    }
    return count;
    // kata: end
}

void RLock::acquire_restore(std::size_t count) {
    // kata: begin §4
    auto* observer = lock_observer();
    if (observer != nullptr) {
        observer->before_acquire(this, LockKind::RLock, true, -1);
    }
    if (!futex_.try_acquire()) {
        gil::Release no_gil;
        futex_.acquire_for(-1);
    }
    owner_.store(get_ident(), std::memory_order_relaxed);
    count_.store(count, std::memory_order_relaxed);
    if (observer != nullptr) {
        observer->acquired(this, LockKind::RLock);
    }
    // kata: end
}

// kata: begin replace
// ---------------------------------------------------------------------------------------------
// Condition
// kata: skeleton // The condition's state: the lock it uses (its own RLock, or the Lock/RLock it was given) and
// kata: skeleton // the queue of waiters.
// kata: skeleton struct Condition::Impl {};
// kata: end

// kata: begin replace
struct Condition::Impl {
    std::optional<RLock> own;  // Condition() makes its own RLock, as threading.py does
    Lock* lock = nullptr;
    RLock* rlock = nullptr;
    std::deque<detail::FutexLock*> waiters;  // guarded by the condition's lock
    std::atomic<std::size_t> waiting{0};

    [[nodiscard]] bool is_owned() const {
        // threading.Condition._is_owned: an RLock knows its owner; a Lock is "owned" if locked.
        return rlock != nullptr ? rlock->is_owned() : lock->locked();
    }
    std::size_t release_save() const {
        if (rlock != nullptr) {
            return rlock->release_save();
        }
        lock->release();
        return 0;
    }
    void acquire_restore(std::size_t count) const {
        if (rlock != nullptr) {
            rlock->acquire_restore(count);
        } else {
            lock->acquire();
        }
    }
};

Condition::Condition() : impl_(new Impl) {
    impl_->rlock = &impl_->own.emplace();
    // kata: skeleton Condition::Condition() : impl_(nullptr) {
    // kata: skeleton PY_KATA_TODO("§4");
    // kata: end
}

// kata: begin replace
Condition::Condition(Lock& lock) : impl_(new Impl) {
    impl_->lock = &lock;
    // kata: skeleton Condition::Condition(Lock& lock) : impl_(nullptr) {
    // kata: skeleton PY_KATA_TODO("§4");
    // kata: end
}

// kata: begin replace
Condition::Condition(RLock& lock) : impl_(new Impl) {
    impl_->rlock = &lock;
    // kata: skeleton Condition::Condition(RLock& lock) : impl_(nullptr) {
    // kata: skeleton PY_KATA_TODO("§4");
    // kata: end
}

Condition::~Condition() {
    delete impl_;
}

bool Condition::acquire(bool blocking, double timeout) {
    // kata: begin §4
    return impl_->rlock != nullptr ? impl_->rlock->acquire(blocking, timeout)
                                   : impl_->lock->acquire(blocking, timeout);
    // kata: end
}

void Condition::release() {
    // kata: begin §4
    if (impl_->rlock != nullptr) {
        impl_->rlock->release();
    } else {
        impl_->lock->release();
    }
    // kata: end
}

bool Condition::wait(std::optional<double> timeout) {
    // kata: begin §4
    if (!impl_->is_owned()) {
        throw RuntimeError("cannot wait on un-acquired lock");
    }
    detail::FutexLock waiter;
    waiter.try_acquire();
    impl_->waiters.push_back(&waiter);
    impl_->waiting.fetch_add(1, std::memory_order_relaxed);
    const std::size_t saved = impl_->release_save();
    bool notified = false;
    {
        gil::Release no_gil;
        if (!timeout) {
            notified = waiter.acquire_for(-1);
        } else if (*timeout > 0) {
            notified = waiter.acquire_for(*timeout);
        } else {
            notified = waiter.try_acquire();
        }
    }
    impl_->acquire_restore(saved);
    if (!notified) {
        auto& waiters = impl_->waiters;
        const auto found = std::find(waiters.begin(), waiters.end(), &waiter);
        if (found != waiters.end()) {
            waiters.erase(found);
            impl_->waiting.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    return notified;
    // kata: end
}

bool Condition::wait_for(const std::function<bool()>& predicate, std::optional<double> timeout) {
    // kata: begin §4
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> end;
    std::optional<double> wait_time = timeout;
    bool result = predicate();
    while (!result) {
        if (wait_time) {
            if (!end) {
                end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(*wait_time));
            } else {
                wait_time = std::chrono::duration<double>(*end - Clock::now()).count();
                if (*wait_time <= 0) {
                    break;
                }
            }
        }
        wait(wait_time);
        result = predicate();
    }
    return result;
    // kata: end
}

void Condition::notify(std::size_t n) {
    // kata: begin §4
    if (!impl_->is_owned()) {
        throw RuntimeError("cannot notify on un-acquired lock");
    }
    auto& waiters = impl_->waiters;
    for (; n > 0 && !waiters.empty(); --n) {
        detail::FutexLock* waiter = waiters.front();
        waiters.pop_front();
        impl_->waiting.fetch_sub(1, std::memory_order_relaxed);
        waiter->release();
    }
    // kata: end
}

void Condition::notify_all() {
    // kata: begin §4
    if (!impl_->is_owned()) {
        throw RuntimeError("cannot notify on un-acquired lock");
    }
    notify(impl_->waiters.size());
    // kata: end
}

std::size_t Condition::waiter_count() const {
    // kata: begin §4
    return impl_->waiting.load(std::memory_order_relaxed);
    // kata: end
}

// kata: begin replace
// ---------------------------------------------------------------------------------------------
// Semaphore, BoundedSemaphore

namespace {
using Clock = std::chrono::steady_clock;

Clock::time_point after(double seconds) {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double until(Clock::time_point end) {
    return std::chrono::duration<double>(end - Clock::now()).count();
}
}  // namespace

// kata: end
Semaphore::Semaphore(long value) : cond_(lock_), value_(value) {
    // kata: begin §5
    if (value < 0) {
        throw ValueError("semaphore initial value must be >= 0");
    }
    // kata: end
}

Semaphore::~Semaphore() = default;

bool Semaphore::acquire(bool blocking, std::optional<double> timeout) {
    // kata: begin §5
    if (!blocking && timeout) {
        throw ValueError("can't specify timeout for non-blocking acquire");
    }
    std::optional<Clock::time_point> end;
    std::lock_guard guard(cond_);
    while (value_ == 0) {
        if (!blocking) {
            return false;
        }
        if (timeout) {
            if (!end) {
                end = after(*timeout);
            } else {
                timeout = until(*end);
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
    // kata: begin §5
    if (n < 1) {
        throw ValueError("n must be one or more");
    }
    std::lock_guard guard(cond_);
    value_ += n;
    cond_.notify(static_cast<std::size_t>(n));
    // kata: end
}

long Semaphore::value() const {
    // kata: begin §5
    std::lock_guard guard(cond_);
    return value_;
    // kata: end
}

// kata: begin replace
BoundedSemaphore::BoundedSemaphore(long value) : Semaphore(value), initial_value_(value) {}

void BoundedSemaphore::release(long n) {
    if (n < 1) {
        throw ValueError("n must be one or more");
    }
    std::lock_guard guard(cond_);
    if (value_ + n > initial_value_) {
        throw ValueError("Semaphore released too many times");
    }
    value_ += n;
    cond_.notify(static_cast<std::size_t>(n));
    // kata: skeleton BoundedSemaphore::BoundedSemaphore(long value) : Semaphore(value), initial_value_(value) {
    // kata: skeleton PY_KATA_TODO("§5");
    // kata: end
}

// kata: begin replace
// ---------------------------------------------------------------------------------------------
// Event
// kata: skeleton void BoundedSemaphore::release(long n) {
// kata: skeleton PY_KATA_TODO("§5");
// kata: skeleton }
// kata: end

// kata: begin replace
Event::Event() : cond_(lock_) {}
// kata: skeleton Event::Event() : cond_(lock_) {
// kata: skeleton PY_KATA_TODO("§6");
// kata: skeleton }
// kata: end

Event::~Event() = default;

bool Event::is_set() const {
    // kata: begin §6
    std::lock_guard guard(cond_);
    return flag_;
    // kata: end
}

void Event::set() {
    // kata: begin §6
    std::lock_guard guard(cond_);
    flag_ = true;
    cond_.notify_all();
    // kata: end
}

void Event::clear() {
    // kata: begin §6
    std::lock_guard guard(cond_);
    flag_ = false;
    // kata: end
}

bool Event::wait(std::optional<double> timeout) {
    // kata: begin §6
    std::lock_guard guard(cond_);
    bool signaled = flag_;
    if (!signaled) {
        signaled = cond_.wait(timeout);
    }
    return signaled;
    // kata: end
}
// kata: begin replace

// ---------------------------------------------------------------------------------------------
// Barrier (threading.py's state machine: 0 filling, 1 draining, -1 resetting, -2 broken)
// kata: end

Barrier::Barrier(std::size_t parties, std::function<void()> action, std::optional<double> timeout)
    : cond_(lock_), action_(std::move(action)), timeout_(timeout), parties_(parties) {
    // kata: begin §7
    if (parties < 1) {
        throw ValueError("parties must be >= 1");
    }
    // kata: end
}

Barrier::~Barrier() = default;

std::size_t Barrier::wait(std::optional<double> timeout) {
    // kata: begin §7
    if (!timeout) {
        timeout = timeout_;
    }
    std::lock_guard guard(cond_);
    // _enter: wait while the barrier drains or resets.
    while (state_ == -1 || state_ == 1) {
        cond_.wait();
    }
    if (state_ < 0) {
        throw BrokenBarrierError("");
    }
    const std::size_t index = count_++;
    auto exit = [&] {
        --count_;
        // _exit: the last one out lets the next generation in.
        if (count_ == 0 && (state_ == -1 || state_ == 1)) {
            state_ = 0;
            cond_.notify_all();
        }
    };
    try {
        if (index + 1 == parties_) {
            // _release: the last to arrive runs the action and wakes the others.
            try {
                if (action_) {
                    action_();
                }
                state_ = 1;
                cond_.notify_all();
            } catch (...) {
                state_ = -2;
                cond_.notify_all();
                throw;
            }
        } else {
            if (!cond_.wait_for([&] { return state_ != 0; }, timeout)) {
                state_ = -2;
                cond_.notify_all();
                throw BrokenBarrierError("");
            }
            if (state_ < 0) {
                throw BrokenBarrierError("");
            }
        }
    } catch (...) {
        exit();
        throw;
    }
    exit();
    return index;
    // kata: end
}

void Barrier::reset() {
    // kata: begin §7
    std::lock_guard guard(cond_);
    if (count_ > 0) {
        if (state_ == 0 || state_ == -2) {
            state_ = -1;
        }
    } else {
        state_ = 0;
    }
    cond_.notify_all();
    // kata: end
}

void Barrier::abort() {
    // kata: begin §7
    std::lock_guard guard(cond_);
    state_ = -2;
    cond_.notify_all();
    // kata: end
}

std::size_t Barrier::n_waiting() const {
    // kata: begin §7
    std::lock_guard guard(cond_);
    return state_ == 0 ? count_ : 0;
    // kata: end
}

bool Barrier::broken() const {
    // kata: begin §7
    std::lock_guard guard(cond_);
    return state_ == -2;
    // kata: end
}

}  // namespace py::threading
