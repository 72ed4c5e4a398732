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
    int kind;                                 // SharedKind: what attach() may map it as
};
static_assert(std::atomic<pid_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// A process-shared POSIX semaphore.
struct SharedSemaphore {
    sem_t semaphore;
    int kind;       // SharedKind
    int max_value;  // BoundedSemaphore's bound, for a child that attaches to it
};

// What a piece of shared memory holds, so a child cannot map a Lock's memory as a Semaphore.
enum SharedKind : int { LOCK_KIND = 1, RLOCK_KIND, SEMAPHORE_KIND, BOUNDED_SEMAPHORE_KIND };

// Shared memory of `size` bytes, zero-filled, in a memfd: a fork keeps the mapping shared
// between parent and child, and a spawned or forkserver child, which inherits no memory, is
// passed the descriptor (ProcessOptions::pass_fds) and maps the same pages. The descriptor is
// close-on-exec. Throws py::OSError when the system refuses.
struct SharedMapping {
    void* memory;
    int fd;
};
SharedMapping map_shared(std::size_t size);
// Unmaps the memory and closes the descriptor (-1: none).
void unmap_shared(void* memory, std::size_t size, int fd) noexcept;

template <class T>
T* create_shared(int& fd) {
    const SharedMapping mapping = map_shared(sizeof(T));
    fd = mapping.fd;
    return new (mapping.memory) T{};
}
template <class T>
void destroy_shared(T* object, int fd) noexcept {
    unmap_shared(object, sizeof(T), fd);
}

// pthread_mutexattr with PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST.
void init_robust_mutex(pthread_mutex_t* mutex);

// A CLOCK_REALTIME deadline `seconds` from now (pthread_mutex_timedlock and sem_timedwait
// measure their deadline on that clock).
timespec realtime_deadline(double seconds) noexcept;

// Identifies the calling thread of the calling process.
std::uint64_t current_thread_id() noexcept;

}  // namespace py::multiprocessing::detail
