// clang's thread-safety analysis (-Wthread-safety): which lock guards which state, which
// functions need a lock held, which take or give one back. The macros expand to clang's
// attributes under clang and to nothing elsewhere (GCC has no such analysis), so the same
// headers compile with both. The lint build checks them (cmake/Checks.cmake, target `tidy`).
//
//     class PY_CAPABILITY("mutex") Lock { void lock() PY_ACQUIRE(); void unlock() PY_RELEASE(); };
//     long value_ PY_GUARDED_BY(lock_);          // read or written only with lock_ held
//     void drain() PY_REQUIRES(lock_);           // callers hold lock_
//
// py::Mutex (a std::mutex the analysis knows about; libstdc++'s is not annotated) and
// py::ScopedLock (a std::lock_guard it knows about, for any annotated lockable) complete the set.
#pragma once

#include <mutex>

#if defined(__clang__)
#define PY_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define PY_THREAD_ANNOTATION(x)
#endif

#define PY_CAPABILITY(name) PY_THREAD_ANNOTATION(capability(name))
#define PY_SCOPED_CAPABILITY PY_THREAD_ANNOTATION(scoped_lockable)
#define PY_GUARDED_BY(lock) PY_THREAD_ANNOTATION(guarded_by(lock))
#define PY_PT_GUARDED_BY(lock) PY_THREAD_ANNOTATION(pt_guarded_by(lock))
#define PY_REQUIRES(...) PY_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define PY_EXCLUDES(...) PY_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define PY_ACQUIRE(...) PY_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define PY_TRY_ACQUIRE(...) PY_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define PY_RELEASE(...) PY_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define PY_RETURN_CAPABILITY(lock) PY_THREAD_ANNOTATION(lock_returned(lock))
// For the few functions the analysis cannot follow: the lock primitives themselves, and code
// handed to a helper (a scope guard, a predicate) that runs while its caller holds the lock.
#define PY_NO_THREAD_SAFETY_ANALYSIS PY_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace py {

// A std::mutex the analysis knows about.
class PY_CAPABILITY("mutex") Mutex {
  public:
    void lock() PY_ACQUIRE() { mutex_.lock(); }
    void unlock() PY_RELEASE() { mutex_.unlock(); }
    bool try_lock() PY_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

  private:
    std::mutex mutex_;
};

// std::lock_guard for the analysis: holds `lockable` (anything with lock()/unlock() annotated as
// a capability) from construction to the end of the scope.
template <class Lockable>
class PY_SCOPED_CAPABILITY ScopedLock {
  public:
    explicit ScopedLock(Lockable& lockable) PY_ACQUIRE(lockable) : lockable_(lockable) {
        lockable_.lock();
    }
    ~ScopedLock() PY_RELEASE() { lockable_.unlock(); }
    ScopedLock(const ScopedLock&) = delete;
    ScopedLock& operator=(const ScopedLock&) = delete;
    ScopedLock(ScopedLock&&) = delete;
    ScopedLock& operator=(ScopedLock&&) = delete;

  private:
    Lockable& lockable_;
};

}  // namespace py
