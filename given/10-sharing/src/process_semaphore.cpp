#include "process_semaphore.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>

#include "os_error.hpp"
#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {

ProcessSemaphore::ProcessSemaphore(unsigned value, unsigned max_value) : max_value_(max_value) {
    if (::sem_init(&semaphore_, /*pshared=*/1, value) != 0) {
        raise_os_error(errno);
    }
}

ProcessSemaphore::~ProcessSemaphore() {
    ::sem_destroy(&semaphore_);
}

bool ProcessSemaphore::acquire(bool blocking, std::optional<double> timeout) {
    int result = 0;
    if (!blocking) {
        while ((result = ::sem_trywait(&semaphore_)) != 0 && errno == EINTR) {
        }
    } else if (!timeout) {
        while ((result = ::sem_wait(&semaphore_)) != 0 && errno == EINTR) {
        }
    } else {
        // sem_timedwait takes an absolute CLOCK_REALTIME deadline.
        timespec deadline{};
        ::clock_gettime(CLOCK_REALTIME, &deadline);
        const double seconds = std::max(*timeout, 0.0);
        const auto whole = static_cast<time_t>(std::floor(seconds));
        long nanos = deadline.tv_nsec + static_cast<long>((seconds - std::floor(seconds)) * 1e9);
        deadline.tv_sec += whole + nanos / 1000000000L;
        deadline.tv_nsec = nanos % 1000000000L;
        while ((result = ::sem_timedwait(&semaphore_, &deadline)) != 0 && errno == EINTR) {
        }
    }
    if (result != 0) {
        if (errno == EAGAIN || errno == ETIMEDOUT) {
            return false;
        }
        raise_os_error(errno);
    }
    return true;
}

void ProcessSemaphore::release() {
    // semaphore.c checks the bound the same (racy but harmless) way: read the value, then post.
    if (value() >= static_cast<int>(max_value_)) {
        throw ValueError("semaphore or lock released too many times");
    }
    ::sem_post(&semaphore_);
}

int ProcessSemaphore::value() const {
    int value = 0;
    ::sem_getvalue(&semaphore_, &value);
    return value;
}

}  // namespace py::multiprocessing::detail
