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
    // kata: begin step04 §1 noexcept
    std::uint32_t state = kUnlocked;
    if (word_.compare_exchange_strong(state, kLocked, std::memory_order_acquire,
                                      std::memory_order_relaxed) ||
        timeout == 0) {
        return state == kUnlocked;
    }
    const bool forever = timeout < 0;
    const Clock::time_point deadline = deadline_after(forever ? 0.0 : timeout);
    // Whoever takes the lock from here on marks it contended: it cannot know whether other
    // sleepers remain, so its release must wake one.
    if (state != kContended) {
        state = word_.exchange(kContended, std::memory_order_acquire);
    }
    while (state != kUnlocked) {
        if (forever) {
            futex(&word_, FUTEX_WAIT_PRIVATE, kContended, nullptr);
        } else {
            if (Clock::now() >= deadline) {
                return false;
            }
            const timespec relative = relative_timeout(deadline);
            futex(&word_, FUTEX_WAIT_PRIVATE, kContended, &relative);
        }
        state = word_.exchange(kContended, std::memory_order_acquire);
    }
    return true;
    // kata: skeleton return false;
    // kata: end
}

void FutexLock::wake_one() noexcept {
    // kata: begin step05 §1 noexcept
    futex(&word_, FUTEX_WAKE_PRIVATE, 1, nullptr);
    // kata: end
}

void check_acquire_args(bool blocking, double timeout) {
    // kata: begin step03 §1
    if (timeout == -1) {
        return;
    }
    if (!blocking) {
        throw ValueError("can't specify a timeout for a non-blocking call");
    }
    if (timeout < 0 || std::isnan(timeout)) {
        throw ValueError("timeout value must be positive");
    }
    if (timeout > TIMEOUT_MAX) {
        throw OverflowError("timeout value is too large");
    }
    // kata: end
}

}  // namespace py::threading::detail
