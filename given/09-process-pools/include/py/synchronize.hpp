// Process-shared locks: multiprocessing.Lock, RLock, Semaphore and BoundedSemaphore
// (CPython 3.11: Lib/multiprocessing/synchronize.py on Modules/_multiprocessing/semaphore.c).
//
// The lock's state lives in a small shared memory mapping created with the lock, so every
// process forked afterwards sees the same lock at the same address: pass the lock to a child by
// reference (fork) or let the child inherit it. A spawned or forkserver child inherits no
// memory: pass it the lock's descriptor and let it attach, as CPython pickles a SemLock's
// handle for a child it is spawning:
//
//     py::multiprocessing::Lock lock;
//     Process child(work, args, {.start_method = "spawn", .pass_fds = {lock.fd()}});
//     // in work(): auto lock = py::multiprocessing::Lock::attach(inherited_fd(0));
//
// Unlike CPython's POSIX semaphores, Lock and RLock are robust: when a process dies while
// holding one, the next acquire() succeeds and owner_died() tells the new holder that the
// protected data may be half-updated.
#pragma once

#include <optional>

#include "py/exceptions.hpp"

namespace py::multiprocessing {

namespace detail {
struct SharedLock;
struct SharedSemaphore;
}  // namespace detail

class Lock {
  public:
    Lock();
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    // The descriptor of the shared memory, for ProcessOptions::pass_fds.
    [[nodiscard]] int fd() const noexcept { return fd_; }
    // In a child: the Lock whose fd() the parent passed. The descriptor stays the caller's.
    // ValueError("descriptor N is not a shared Lock") for any other descriptor; OSError for
    // one that is not open.
    static Lock attach(int fd);

    // Lock.acquire(block=True, timeout=None): true once held, false when not blocking or when
    // the timeout passed first.
    bool acquire(bool block = true, std::optional<double> timeout = std::nullopt);
    // ValueError("semaphore or lock released too many times") when not held;
    // RuntimeError when another process or thread holds it (a pthread mutex has an owner).
    void release();
    // True when the last successful acquire() in this process took the lock over from a holder
    // that died holding it (cleared by the next successful acquire).
    [[nodiscard]] bool owner_died() const noexcept { return owner_died_; }
    // std::lock_guard / std::unique_lock.
    void lock() { (void)acquire(); }
    void unlock() { release(); }

  private:
    Lock(detail::SharedLock* state, int fd) : state_(state), fd_(fd) {}
    detail::SharedLock* state_ = nullptr;
    int fd_ = -1;
    bool owner_died_ = false;
};

class RLock {
  public:
    RLock();
    ~RLock();
    RLock(const RLock&) = delete;
    RLock& operator=(const RLock&) = delete;
    // The descriptor of the shared memory, for ProcessOptions::pass_fds.
    [[nodiscard]] int fd() const noexcept { return fd_; }
    // In a child: the RLock whose fd() the parent passed. The descriptor stays the caller's.
    // ValueError("descriptor N is not a shared RLock") for any other descriptor; OSError for
    // one that is not open.
    static RLock attach(int fd);

    // Reentrant: the owning thread of the owning process may acquire again.
    bool acquire(bool block = true, std::optional<double> timeout = std::nullopt);
    // AssertionError("attempt to release recursive lock not owned by thread") for a non-owner.
    void release();
    [[nodiscard]] bool owner_died() const noexcept { return owner_died_; }
    void lock() { (void)acquire(); }
    void unlock() { release(); }

  private:
    RLock(detail::SharedLock* state, int fd) : state_(state), fd_(fd) {}
    detail::SharedLock* state_ = nullptr;
    int fd_ = -1;
    bool owner_died_ = false;
};

class Semaphore {
  public:
    // ValueError("semaphore initial value must be >= 0") for a negative value.
    explicit Semaphore(int value = 1);
    virtual ~Semaphore();
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    // The descriptor of the shared memory, for ProcessOptions::pass_fds.
    [[nodiscard]] int fd() const noexcept { return fd_; }
    // In a child: the Semaphore whose fd() the parent passed. The descriptor stays the caller's.
    // ValueError("descriptor N is not a shared Semaphore") for any other descriptor; OSError for
    // one that is not open.
    static Semaphore attach(int fd);

    bool acquire(bool block = true, std::optional<double> timeout = std::nullopt);
    virtual void release();
    // Semaphore.get_value().
    [[nodiscard]] int get_value() const;
    void lock() { (void)acquire(); }
    void unlock() { release(); }

  protected:
    Semaphore(detail::SharedSemaphore* state, int fd) : state_(state), fd_(fd) {}
    detail::SharedSemaphore* state_ = nullptr;
    int fd_ = -1;
};

// release() beyond the initial value: ValueError("semaphore or lock released too many times").
class BoundedSemaphore : public Semaphore {
  public:
    explicit BoundedSemaphore(int value = 1);
    // In a child: the BoundedSemaphore whose fd() the parent passed, with the parent's bound.
    // The errors of Semaphore::attach.
    static BoundedSemaphore attach(int fd);
    void release() override;

  private:
    BoundedSemaphore(detail::SharedSemaphore* state, int fd, int max_value)
        : Semaphore(state, fd), max_value_(max_value) {}
    int max_value_;
};

}  // namespace py::multiprocessing
