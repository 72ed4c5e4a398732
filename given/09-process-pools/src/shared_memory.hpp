// Shared memory for process-shared locks (given, not a kata): the structures that live in it
// and the calls that map them.
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <new>

namespace py::multiprocessing::detail {

// A robust, process-shared pthread mutex and, for RLock, who holds it how many times.
// The owner fields are atomics: another process may read them while the holder writes them
// (std::atomic of these sizes is lock-free, so it works across processes).
struct SharedLock {
    pthread_mutex_t mutex;
    std::atomic<pid_t> owner_pid;             // 0 when free
    std::atomic<std::uint64_t> owner_thread;  // pthread_self() of the holder, in its process
    int count;                                // RLock's recursion depth (the holder's alone)
};
static_assert(std::atomic<pid_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// A process-shared POSIX semaphore.
struct SharedSemaphore {
    sem_t semaphore;
};

// MAP_SHARED | MAP_ANONYMOUS memory of `size` bytes, zero-filled: a fork keeps it shared between
// parent and child. Throws py::OSError when the system refuses.
void* map_shared(std::size_t size);
void unmap_shared(void* memory, std::size_t size) noexcept;

template <class T>
T* create_shared() {
    return new (map_shared(sizeof(T))) T{};
}
template <class T>
void destroy_shared(T* object) noexcept {
    unmap_shared(object, sizeof(T));
}

// pthread_mutexattr with PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST.
void init_robust_mutex(pthread_mutex_t* mutex);

// A CLOCK_REALTIME deadline `seconds` from now (pthread_mutex_timedlock and sem_timedwait
// measure their deadline on that clock).
timespec realtime_deadline(double seconds) noexcept;

// Identifies the calling thread of the calling process.
std::uint64_t current_thread_id() noexcept;

}  // namespace py::multiprocessing::detail
