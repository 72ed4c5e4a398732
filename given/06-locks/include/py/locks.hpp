// The locks of Python's threading module (CPython 3.11: Modules/_threadmodule.c for Lock and
// RLock, Python/thread_pthread.h for the semaphore underneath; Lib/threading.py for Condition,
// Semaphore, BoundedSemaphore, Event and Barrier).
//
// Lock is one atomic word and futex waiting (Linux futex(2)), not a std::mutex. Every blocking
// wait drops the GIL if the caller holds it and takes it back afterwards. Lock, RLock,
// Condition, Semaphore and BoundedSemaphore are Lockable (lock/unlock/try_lock), so
// std::lock_guard and std::unique_lock work like Python's `with`.
//
// Timeouts are in seconds, -1 meaning "forever", as in Python.
//
// The locks are capabilities for clang's thread-safety analysis (py/thread_annotations.hpp):
// state guarded by one of them says so with PY_GUARDED_BY, and py::ScopedLock is the guard the
// analysis follows (std::lock_guard works too, unchecked).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "py/exceptions.hpp"
#include "py/lock_observer.hpp"
#include "py/thread_annotations.hpp"
#include "py/threading.hpp"

namespace py::threading {

// threading.BrokenBarrierError.
PY_DECLARE_EXCEPTION(BrokenBarrierError, RuntimeError);

// The largest timeout a lock accepts (threading.TIMEOUT_MAX); above it: OverflowError("timeout
// value is too large").
inline constexpr double TIMEOUT_MAX = 9223372036.0;

namespace detail {
// The futex word shared by Lock and the waiter locks of Condition (Ulrich Drepper's "Futexes Are
// Tricky", mutex 2).
class FutexLock {
  public:
    static constexpr std::uint32_t kUnlocked = 0;
    static constexpr std::uint32_t kLocked = 1;     // locked, nobody sleeps on the word
    static constexpr std::uint32_t kContended = 2;  // locked, somebody may sleep in futex_wait

    // Takes the lock; waits at most `timeout` seconds (< 0: forever). False on timeout.
    bool acquire_for(double timeout) noexcept;
    // The uncontended paths are given (and inline: they are what a lock costs when nobody
    // waits); the kata is the waiting and the waking.
    bool try_acquire() noexcept {
        std::uint32_t expected = kUnlocked;
        return word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                             std::memory_order_relaxed);
    }
    // Unlocks; false if it was not locked. Wakes a sleeper if the word said there may be one.
    bool release() noexcept {
        const std::uint32_t previous = word_.exchange(kUnlocked, std::memory_order_release);
        if (previous == kContended) {
            wake_one();
        }
        return previous != kUnlocked;
    }
    // futex(FUTEX_WAKE_PRIVATE, 1) on the word.
    void wake_one() noexcept;
    [[nodiscard]] bool locked() const noexcept {
        return word_.load(std::memory_order_relaxed) != kUnlocked;
    }

  private:
    std::atomic<std::uint32_t> word_{kUnlocked};
};

// Python's argument rules for acquire(blocking, timeout): ValueError("can't specify a timeout for
// a non-blocking call"), ValueError("timeout value must be positive") for a negative timeout
// other than -1, OverflowError("timeout value is too large").
void check_acquire_args(bool blocking, double timeout);
}  // namespace detail

// threading.Lock (_thread.lock): not reentrant; any thread may release it.
class PY_CAPABILITY("mutex") Lock {
  public:
    Lock() noexcept = default;
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    // True when acquired. blocking=false: one attempt. Drops the GIL while it waits.
    bool acquire(bool blocking = true, double timeout = -1) PY_TRY_ACQUIRE(true);
    // RuntimeError("release unlocked lock").
    void release() PY_RELEASE();
    [[nodiscard]] bool locked() const noexcept { return futex_.locked(); }
    // The thread that acquired it last, while it is locked (for chapter 07's wait-for graph).
    [[nodiscard]] std::optional<Ident> owner() const noexcept;

    void lock() PY_ACQUIRE() { acquire(); }
    bool try_lock() PY_TRY_ACQUIRE(true) { return acquire(false); }
    void unlock() PY_RELEASE() { release(); }

  private:
    detail::FutexLock futex_;
    std::atomic<Ident> owner_{0};
};

// threading.RLock (_thread.RLock): owner and recursion count.
class PY_CAPABILITY("mutex") RLock {
  public:
    RLock() noexcept = default;
    ~RLock();
    RLock(const RLock&) = delete;
    RLock& operator=(const RLock&) = delete;

    // The owner acquires again at once (count + 1); others wait as for a Lock.
    bool acquire(bool blocking = true, double timeout = -1) PY_TRY_ACQUIRE(true);
    // RuntimeError("cannot release un-acquired lock") unless the caller owns it.
    void release() PY_RELEASE();
    // Held by the calling thread? (RLock._is_owned)
    [[nodiscard]] bool is_owned() const noexcept;
    [[nodiscard]] std::optional<Ident> owner() const noexcept;
    [[nodiscard]] std::size_t count() const noexcept;

    // For Condition.wait: release completely, returning the count (RuntimeError("cannot release
    // un-acquired lock") if not owned); then take it back with that count.
    std::size_t release_save() PY_RELEASE();
    void acquire_restore(std::size_t count) PY_ACQUIRE();

    void lock() PY_ACQUIRE() { acquire(); }
    bool try_lock() PY_TRY_ACQUIRE(true) { return acquire(false); }
    void unlock() PY_RELEASE() { release(); }

  private:
    detail::FutexLock futex_;
    std::atomic<Ident> owner_{0};
    std::atomic<std::size_t> count_{0};  // written only by the owner
};

// threading.Condition: over an RLock of its own, or over a Lock or RLock given to it. For the
// analysis the condition is the capability (holding it means holding its lock).
class PY_CAPABILITY("mutex") Condition {
  public:
    Condition();
    explicit Condition(Lock& lock);
    explicit Condition(RLock& lock);
    ~Condition();
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;

    bool acquire(bool blocking = true, double timeout = -1) PY_TRY_ACQUIRE(true);
    void release() PY_RELEASE();
    void lock() PY_ACQUIRE() { acquire(); }
    bool try_lock() PY_TRY_ACQUIRE(true) { return acquire(false); }
    void unlock() PY_RELEASE() { release(); }

    // Releases the lock, waits for a notify or the timeout, takes the lock back. False on
    // timeout. RuntimeError("cannot wait on un-acquired lock"). If taking the lock back throws
    // (a lock observer refused it), the exception propagates and the caller no longer holds
    // the lock; the waiter has left the queue either way.
    bool wait(std::optional<double> timeout = std::nullopt) PY_REQUIRES(this);
    // Waits until predicate() is true or the timeout passes; returns the last predicate value.
    // The predicate runs with the lock held.
    bool wait_for(const std::function<bool()>& predicate,
                  std::optional<double> timeout = std::nullopt) PY_REQUIRES(this);
    // Wakes up to n waiters (in arrival order). RuntimeError("cannot notify on un-acquired
    // lock").
    void notify(std::size_t n = 1) PY_REQUIRES(this);
    void notify_all() PY_REQUIRES(this);
    // How many threads wait (for tests and chapter 07).
    [[nodiscard]] std::size_t waiter_count() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// threading.Semaphore.
class Semaphore {
  public:
    // ValueError("semaphore initial value must be >= 0").
    explicit Semaphore(long value = 1);
    virtual ~Semaphore();
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    // ValueError("can't specify timeout for non-blocking acquire") when blocking is false and a
    // timeout is given.
    bool acquire(bool blocking = true, std::optional<double> timeout = std::nullopt);
    // Adds n and wakes n waiters. ValueError("n must be one or more").
    virtual void release(long n = 1);
    [[nodiscard]] long value() const;

    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

  protected:
    Lock lock_;
    mutable Condition cond_;
    long value_ PY_GUARDED_BY(cond_);
};

// threading.BoundedSemaphore: release past the initial value is ValueError("Semaphore released
// too many times").
class BoundedSemaphore : public Semaphore {
  public:
    explicit BoundedSemaphore(long value = 1);
    void release(long n = 1) override;

  private:
    long initial_value_;
};

// threading.Event.
class Event {
  public:
    Event();
    ~Event();
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    [[nodiscard]] bool is_set() const;
    void set();
    void clear();
    // True once the flag is set; False if the timeout passed first.
    bool wait(std::optional<double> timeout = std::nullopt);

  private:
    Lock lock_;
    mutable Condition cond_;
    bool flag_ PY_GUARDED_BY(cond_) = false;
};

// threading.Barrier: `parties` threads meet; one of them runs `action` before all go on.
class Barrier {
  public:
    // ValueError("parties must be >= 1") (3.13's check; 3.11 accepts 0 and then hangs).
    explicit Barrier(std::size_t parties, std::function<void()> action = {},
                     std::optional<double> timeout = std::nullopt);
    ~Barrier();
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    // Returns this thread's arrival index 0..parties-1. BrokenBarrierError if the barrier is
    // broken or breaks while waiting (abort, reset, timeout, or an exception from the action).
    std::size_t wait(std::optional<double> timeout = std::nullopt);
    // Back to the empty state; threads waiting now get BrokenBarrierError.
    void reset();
    // Breaks the barrier: current and future waits raise BrokenBarrierError until reset().
    void abort();
    [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
    [[nodiscard]] std::size_t n_waiting() const;
    [[nodiscard]] bool broken() const;

  private:
    // threading.py's states, with its numbers: a negative state means "not open to waiters".
    static constexpr int kFilling = 0;     // threads arrive and wait
    static constexpr int kDraining = 1;    // the last one arrived: everybody leaves
    static constexpr int kResetting = -1;  // reset() while threads waited: they leave broken
    static constexpr int kBroken = -2;     // abort(), a timeout or a failed action

    // wait()'s steps, all with cond_ held (threading.py's _enter, _release, _wait, _exit).
    void enter() PY_REQUIRES(cond_);
    void release_all() PY_REQUIRES(cond_);
    void wait_for_release(std::optional<double> timeout) PY_REQUIRES(cond_);
    void leave() PY_REQUIRES(cond_);
    void break_barrier() PY_REQUIRES(cond_);

    Lock lock_;
    mutable Condition cond_;
    std::function<void()> action_;
    std::optional<double> timeout_;
    std::size_t parties_;
    int state_ PY_GUARDED_BY(cond_) = kFilling;
    std::size_t count_ PY_GUARDED_BY(cond_) = 0;
};

}  // namespace py::threading
