// The futex word under Lock and RLock (CPython: Python/thread_pthread.h's semaphore; here Linux
// futex(2) directly), and the argument rules every acquire(blocking, timeout) shares.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>

#include "deadline.hpp"
#include "py/kata.hpp"
#include "py/locks.hpp"

namespace py::threading::detail {
namespace {

// [[maybe_unused]]: the skeleton keeps these helpers but does not call them yet.

[[maybe_unused]] long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value,
                            const timespec* timeout) noexcept {
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr,
                   0);
}

// What is left until `deadline` as the relative timespec FUTEX_WAIT takes.
[[maybe_unused]] timespec relative_timeout(Clock::time_point deadline) noexcept {
    const auto left = deadline - Clock::now();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(left - seconds);
    return timespec{static_cast<time_t>(seconds.count()), static_cast<long>(nanos.count())};
}

}  // namespace

bool FutexLock::acquire_for(double timeout) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return false;
}

void FutexLock::wake_one() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

void check_acquire_args(bool blocking, double timeout) {
    PY_KATA_TODO("§1");
}

}  // namespace py::threading::detail
