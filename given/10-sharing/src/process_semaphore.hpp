// A counting semaphore that works across processes: the stand-in for chapter 09's process-shared
// Lock and BoundedSemaphore (CPython: SemLock in Modules/_multiprocessing/semaphore.c). It must be
// placed in memory every process maps (the queues put it in a MAP_SHARED block).
#pragma once

#include <semaphore.h>

#include <optional>

namespace py::multiprocessing::detail {

class ProcessSemaphore {
  public:
    // value: the initial count; max_value: release() beyond it is an error (a BoundedSemaphore;
    // a Lock is 1, 1).
    ProcessSemaphore(unsigned value, unsigned max_value);
    ProcessSemaphore(const ProcessSemaphore&) = delete;
    ProcessSemaphore& operator=(const ProcessSemaphore&) = delete;
    ~ProcessSemaphore();

    // acquire(block=True, timeout=None): false when not acquired (non-blocking or timed out).
    bool acquire(bool blocking = true, std::optional<double> timeout = std::nullopt);
    // ValueError("semaphore or lock released too many times") past max_value (semaphore.c).
    void release();
    // _semlock._get_value()
    [[nodiscard]] int value() const;

    void lock() { acquire(); }
    void unlock() { release(); }

  private:
    mutable sem_t semaphore_{};
    unsigned max_value_;
};

}  // namespace py::multiprocessing::detail
