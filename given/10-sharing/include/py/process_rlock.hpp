// A recursive lock that works across processes: the stand-in for chapter 09's process-shared RLock.
//
// CPython's multiprocessing.RLock is a SemLock of kind RECURSIVE_MUTEX (Modules/_multiprocessing/
// semaphore.c): a POSIX semaphore with value 1 plus an owner and a count. This stand-in is the same
// idea in a few lines: an unnamed process-shared semaphore (sem_init with pshared = 1) that must
// live in memory every process maps, which is where Value and Array put it. Chapter 09 builds the
// real one; once it is merged, Value and Array can take that instead.
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <atomic>

namespace py::multiprocessing {

class ProcessRLock {
  public:
    ProcessRLock();
    ProcessRLock(const ProcessRLock&) = delete;
    ProcessRLock& operator=(const ProcessRLock&) = delete;
    ~ProcessRLock();

    // acquire(block=True, timeout=None): reentrant for the owning thread; timeout < 0 waits
    // forever.
    bool acquire(bool blocking = true, double timeout = -1);
    // AssertionError("attempt to release recursive lock not owned by thread") otherwise, as
    // CPython's semaphore.c says it.
    void release();
    // The thread id (gettid) of the owner, 0 when free. Thread ids are unique across processes.
    [[nodiscard]] pid_t owner() const noexcept { return owner_.load(std::memory_order_relaxed); }
    [[nodiscard]] int count() const noexcept { return count_; }

    // For std::lock_guard / std::unique_lock.
    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

  private:
    sem_t semaphore_{};
    std::atomic<pid_t> owner_{0};
    int count_ = 0;  // only the owner reads or writes it
};

}  // namespace py::multiprocessing
