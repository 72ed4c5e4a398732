// The GIL: CPython's take_gil/drop_gil (Python/ceval_gil.c) with FORCE_SWITCHING. The state is
// given; taking and dropping it, and the functions around them, are the kata (lesson §3, §4).
#include "py/gil.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::gil {
// Not an anonymous namespace: in the skeleton nothing uses these yet, and it should compile
// without "defined but not used" warnings.
namespace detail {

// One mutex, a condition variable that waiters wait on (signalled when the GIL is dropped), a
// second one for FORCE_SWITCHING (signalled when a thread takes it), the "locked" flag, the last
// holder, a switch counter, the drop request and the interval.
struct Gil {
    std::mutex mutex;
    std::condition_variable cond;         // signalled when the GIL is dropped
    std::condition_variable switch_cond;  // signalled when a thread takes it
    bool is_locked = false;
    const void* last_holder = nullptr;  // which thread took it last
    std::atomic<std::uint64_t> switches{0};
    std::atomic<bool> drop_request{false};
    std::atomic<bool> any_locked{false};
    std::atomic<long long> interval_us{5000};
};

Gil& the_gil() {
    static Gil* gil = new Gil;  // never destroyed: threads may outlive static destruction
    return *gil;
}

thread_local bool holding = false;
thread_local const char thread_token = 0;  // its address names this thread

// take_gil: waits until the GIL is free; a waiter that sees no switch for a whole interval sets
// the drop request.
void take(Gil& gil) {
    // kata: begin step13 step17 §3
    std::unique_lock lock(gil.mutex);
    while (gil.is_locked) {
        const auto saved = gil.switches.load(std::memory_order_relaxed);
        const auto interval = std::chrono::microseconds(gil.interval_us.load());
        const bool timed_out = gil.cond.wait_for(lock, interval) == std::cv_status::timeout;
        // Nobody switched for a whole interval: ask the holder to drop it.
        if (timed_out && gil.is_locked && gil.switches.load(std::memory_order_relaxed) == saved) {
            gil.drop_request.store(true, std::memory_order_relaxed);
        }
    }
    gil.is_locked = true;
    gil.any_locked.store(true, std::memory_order_relaxed);
    if (gil.last_holder != &thread_token) {
        gil.last_holder = &thread_token;
        gil.switches.fetch_add(1, std::memory_order_relaxed);
    }
    gil.switch_cond.notify_all();
    gil.drop_request.store(false, std::memory_order_relaxed);
    holding = true;
    // kata: end
}

// drop_gil: frees the GIL and wakes a waiter; `forced` (the holder answered a drop request)
// waits until another thread has taken it.
void drop(Gil& gil, bool forced) {
    // kata: begin step13 step17 §3
    std::unique_lock lock(gil.mutex);
    gil.is_locked = false;
    gil.any_locked.store(false, std::memory_order_relaxed);
    holding = false;
    gil.cond.notify_one();
    if (forced) {
        // FORCE_SWITCHING: do not come back before somebody else had it.
        gil.switch_cond.wait(lock, [&] { return gil.last_holder != &thread_token; });
    }
    // kata: end
}

}  // namespace detail

using detail::drop;
using detail::Gil;
using detail::holding;
using detail::take;
using detail::the_gil;

void set_switch_interval(double seconds) {
    // kata: begin step15 §4
    if (!(seconds > 0)) {
        throw ValueError("switch interval must be strictly positive");
    }
    auto us = static_cast<long long>(seconds * 1e6);
    the_gil().interval_us.store(us < 1 ? 1 : us);
    // kata: end
}

double get_switch_interval() noexcept {
    // kata: begin step15 §4 noexcept
    return static_cast<double>(the_gil().interval_us.load()) / 1e6;
    // kata: skeleton return 0;
    // kata: end
}

bool held() noexcept {
    // kata: begin step13 §3 noexcept
    return holding;
    // kata: skeleton return false;
    // kata: end
}

bool locked() noexcept {
    // kata: begin step13 §3 noexcept
    return the_gil().any_locked.load(std::memory_order_relaxed);
    // kata: skeleton return false;
    // kata: end
}

std::uint64_t switch_number() noexcept {
    // kata: begin step17 §4 noexcept
    return the_gil().switches.load(std::memory_order_relaxed);
    // kata: skeleton return 0;
    // kata: end
}

bool drop_requested() noexcept {
    // kata: begin step17 §4 noexcept
    return the_gil().drop_request.load(std::memory_order_relaxed);
    // kata: skeleton return false;
    // kata: end
}

void acquire() {
    // kata: begin step13 step14 §3
    if (holding) {
        throw RuntimeError("the GIL is already held by this thread");
    }
    take(the_gil());
    // kata: end
}

void release() {
    // kata: begin step13 step14 §3
    if (!holding) {
        throw RuntimeError("the GIL is not held by this thread");
    }
    drop(the_gil(), false);
    // kata: end
}

bool yield_if_requested() {
    // kata: begin step17 step18 step19 §4
    Gil& gil = the_gil();
    if (!holding || !gil.drop_request.load(std::memory_order_relaxed)) {
        return false;
    }
    drop(gil, true);
    take(gil);
    return true;
    // kata: end
}

Hold::Hold() : took_(false) {
    // kata: begin step13 §3
    took_ = !holding;
    if (took_) {
        take(the_gil());
    }
    // kata: end
}

Hold::~Hold() {
    // kata: begin step13 §3 noexcept
    if (took_ && holding) {
        drop(the_gil(), false);
    }
    // kata: end
}

Release::Release() : dropped_(false) {
    // kata: begin step16 §3
    dropped_ = holding;
    if (dropped_) {
        drop(the_gil(), false);
    }
    // kata: end
}

Release::~Release() {
    // kata: begin step16 §3 noexcept
    if (dropped_ && !holding) {
        take(the_gil());
    }
    // kata: end
}

}  // namespace py::gil
