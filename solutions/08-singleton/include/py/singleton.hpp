// Chapter 08: lazy singletons that stay single when many threads ask at once.
//
// Six ways to hand out "the one object", from the seed's broken one to the ones the C++ standard
// library and CPython use:
//
//   UnsafeSingleton         the seed's first version: check, then create (breaks, §1)
//   LockedSingleton         the seed's fix reduced to its core: one lock around everything (§2)
//   DoubleCheckedSingleton  the seed's fix as written: check, lock, check again (§3)
//   CallOnceSingleton       std::call_once and std::once_flag (§4)
//   OnceFlag + call_once    a once flag by hand, the way CPython 3.13's _PyOnceFlag works (§5)
//   local_static<T>()       the function-local static, C++11's "magic static" (§6)
//
// The singletons hand out a Widget made by a Factory the caller passes in, so the tests can count
// constructions, park a thread at a chosen point, or make construction fail by throwing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::singleton {

// The object a singleton hands out: the seed's `Singleton('x')`, which has a name. `serial`
// numbers every Widget the process ever made (1, 2, 3, ...), so two different objects are easy to
// tell apart in a failure message.
struct Widget {
    explicit Widget(std::string widget_name);
    std::string name;
    std::uint64_t serial;
};

// Makes the one object. It may throw: that is a constructor that failed.
using Factory = std::function<std::unique_ptr<Widget>()>;
// A test seam: code a singleton runs at one chosen point of instance(). The seed put a
// time.sleep(0.1) there to make the race likely; a test puts a rendezvous there to make it certain.
using Hook = std::function<void()>;

// §1 The seed's broken singleton: if there is no instance yet, make one. Two threads can both
// see "none yet" and both make one; each gets its own object. `between_check_and_create` runs
// after the check found nothing and before the factory is called.
//
// The pointer is atomic, so the only bug left is the seed's: check-then-act is not one step. Every
// Widget it makes is kept (and counted by objects_made()) so the losers do not leak.
class UnsafeSingleton {
  public:
    explicit UnsafeSingleton(Factory factory, Hook between_check_and_create = {});
    UnsafeSingleton(const UnsafeSingleton&) = delete;
    UnsafeSingleton& operator=(const UnsafeSingleton&) = delete;
    ~UnsafeSingleton();

    Widget& instance();
    // How many Widgets instance() has made so far (1 if it behaved like a singleton).
    [[nodiscard]] std::size_t objects_made() const;

  private:
    Factory factory_;
    Hook between_check_and_create_;
    std::atomic<Widget*> instance_{nullptr};
    mutable std::mutex made_mutex_;  // bookkeeping only: guards made_
    std::vector<std::unique_ptr<Widget>> made_;
};

// §2 One lock around the check and the creation: correct, and every call pays for the lock.
// The lock is a std::recursive_mutex because the seed's is a threading.RLock (chapter 06's
// py::threading::RLock is the same idea). Re-entry is how a factory that asks its own singleton
// for the instance gets a py::RuntimeError instead of a deadlock.
class LockedSingleton {
  public:
    explicit LockedSingleton(Factory factory);
    LockedSingleton(const LockedSingleton&) = delete;
    LockedSingleton& operator=(const LockedSingleton&) = delete;
    ~LockedSingleton();

    Widget& instance();
    // How many calls of instance() took the lock (all of them).
    [[nodiscard]] std::uint64_t lock_acquisitions() const noexcept;

  private:
    Factory factory_;
    std::recursive_mutex mutex_;        // the seed's class-level `lock = threading.RLock()`
    std::unique_ptr<Widget> instance_;  // read and written with mutex_ held
    bool constructing_ = false;         // true while factory_ runs (with mutex_ held)
    std::atomic<std::uint64_t> lock_acquisitions_{0};
};

// §3 The seed's fixed version as written: look without the lock; if there is no instance, take
// the lock and look again before creating. In C++ the first look reads memory another thread
// writes, so the pointer is atomic: loaded with acquire, published with release.
// `between_check_and_lock` runs after the first look found nothing and before the lock is taken.
class DoubleCheckedSingleton {
  public:
    explicit DoubleCheckedSingleton(Factory factory, Hook between_check_and_lock = {});
    DoubleCheckedSingleton(const DoubleCheckedSingleton&) = delete;
    DoubleCheckedSingleton& operator=(const DoubleCheckedSingleton&) = delete;
    ~DoubleCheckedSingleton();

    Widget& instance();
    // How many calls of instance() found no instance on the first look and went for the lock.
    [[nodiscard]] std::uint64_t slow_path_entries() const noexcept;

  private:
    Factory factory_;
    Hook between_check_and_lock_;
    std::atomic<Widget*> instance_{nullptr};  // owned: deleted by the destructor
    std::mutex mutex_;
    std::atomic<std::uint64_t> slow_path_entries_{0};
};

// §4 std::call_once with a std::once_flag: the standard library's answer.
class CallOnceSingleton {
  public:
    explicit CallOnceSingleton(Factory factory);
    CallOnceSingleton(const CallOnceSingleton&) = delete;
    CallOnceSingleton& operator=(const CallOnceSingleton&) = delete;
    ~CallOnceSingleton();

    Widget& instance();

  private:
    Factory factory_;
    std::once_flag once_;
    std::unique_ptr<Widget> instance_;  // written inside call_once, only read after it
};

// §5 A once flag by hand: CPython 3.13's _PyOnceFlag (Include/internal/pycore_lock.h,
// Python/lock.c) in C++. One atomic state word; threads that find it locked wait on it with
// std::atomic::wait and are woken when the runner finishes or fails.
class OnceFlag {
  public:
    static constexpr std::uint32_t kUnlocked = 0;     // not done, nobody running it
    static constexpr std::uint32_t kLocked = 1;       // one thread is running the function
    static constexpr std::uint32_t kInitialized = 4;  // done for good (CPython's value)

    OnceFlag() = default;
    OnceFlag(const OnceFlag&) = delete;
    OnceFlag& operator=(const OnceFlag&) = delete;

    // True once a call of `fn` through this flag has returned normally.
    [[nodiscard]] bool is_initialized() const noexcept;

  private:
    friend void call_once(OnceFlag& flag, const std::function<void()>& fn);
    std::atomic<std::uint32_t> state_{kUnlocked};
};

// Runs `fn` unless a call through `flag` already completed. Exactly one thread runs it at a time;
// the others wait. If `fn` throws, the exception reaches its caller, the flag goes back to
// unlocked and one of the waiters (or the next caller) runs `fn` again.
void call_once(OnceFlag& flag, const std::function<void()>& fn);

// §6 The function-local static: one T per program, built by the first call that gets there.
// Since C++11 the compiler makes this thread-safe (GCC: __cxa_guard_acquire/__cxa_guard_release,
// and __cxa_guard_abort when T's constructor throws, so the next call tries again).
// kata: skeleton // KATA (lesson §6, steps 17-19): one line of declaration and one return.
template <class T>
T& local_static() {
    // kata: begin §6
    static T instance;
    return instance;
    // kata: end
}

}  // namespace py::singleton
