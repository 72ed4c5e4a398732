// Shared memory for process-shared locks (given, not a kata).
#include "shared_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {

SharedMapping map_shared(std::size_t size) {
    const int fd = ::memfd_create("py-multiprocessing-lock", MFD_CLOEXEC);
    if (fd < 0) {
        throw OSError(std::string("memfd_create: ") + std::strerror(errno));
    }
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int error = errno;
        ::close(fd);
        throw OSError(std::string("ftruncate: ") + std::strerror(error));
    }
    void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        throw OSError(std::string("mmap: ") + std::strerror(error));
    }
    return {memory, fd};
}

void unmap_shared(void* memory, std::size_t size, int fd) noexcept {
    ::munmap(memory, size);
    if (fd >= 0) {
        ::close(fd);
    }
}

void init_robust_mutex(pthread_mutex_t* mutex) {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    const int error = pthread_mutex_init(mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    if (error != 0) {
        throw OSError(std::string("pthread_mutex_init: ") + std::strerror(error));
    }
}

timespec realtime_deadline(double seconds) noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    if (seconds < 0) {
        seconds = 0;
    }
    const auto whole = static_cast<long>(seconds);
    long nanos = now.tv_nsec + static_cast<long>((seconds - static_cast<double>(whole)) * 1e9);
    now.tv_sec += whole + nanos / 1000000000L;
    now.tv_nsec = nanos % 1000000000L;
    return now;
}

std::uint64_t current_thread_id() noexcept {
    return static_cast<std::uint64_t>(::pthread_self());
}

}  // namespace py::multiprocessing::detail
