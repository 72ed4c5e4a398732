#include "py/process_rlock.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <ctime>

#include "os_error.hpp"
#include "py/exceptions.hpp"

namespace py::multiprocessing {
namespace {

pid_t current_tid() noexcept {
    return static_cast<pid_t>(::syscall(SYS_gettid));
}

// sem_timedwait wants an absolute CLOCK_REALTIME deadline.
timespec deadline_after(double seconds) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const double whole = std::floor(seconds);
    long nanos = now.tv_nsec + static_cast<long>((seconds - whole) * 1e9);
    time_t secs = now.tv_sec + static_cast<time_t>(whole) + nanos / 1000000000L;
    nanos %= 1000000000L;
    return {secs, nanos};
}

}  // namespace

ProcessRLock::ProcessRLock() {
    if (::sem_init(&semaphore_, /*pshared=*/1, 1) != 0) {
        detail::raise_os_error(errno);
    }
}

ProcessRLock::~ProcessRLock() {
    ::sem_destroy(&semaphore_);
}

bool ProcessRLock::acquire(bool blocking, double timeout) {
    const pid_t me = current_tid();
    if (owner_.load(std::memory_order_relaxed) == me) {
        ++count_;
        return true;
    }
    int result = 0;
    if (!blocking) {
        while ((result = ::sem_trywait(&semaphore_)) != 0 && errno == EINTR) {
        }
    } else if (timeout < 0) {
        while ((result = ::sem_wait(&semaphore_)) != 0 && errno == EINTR) {
        }
    } else {
        const timespec deadline = deadline_after(timeout);
        while ((result = ::sem_timedwait(&semaphore_, &deadline)) != 0 && errno == EINTR) {
        }
    }
    if (result != 0) {
        if (errno == EAGAIN || errno == ETIMEDOUT) {
            return false;
        }
        detail::raise_os_error(errno);
    }
    owner_.store(me, std::memory_order_relaxed);
    count_ = 1;
    return true;
}

void ProcessRLock::release() {
    if (owner_.load(std::memory_order_relaxed) != current_tid() || count_ == 0) {
        throw AssertionError("attempt to release recursive lock not owned by thread");
    }
    if (--count_ == 0) {
        owner_.store(0, std::memory_order_relaxed);
        ::sem_post(&semaphore_);
    }
}

}  // namespace py::multiprocessing
