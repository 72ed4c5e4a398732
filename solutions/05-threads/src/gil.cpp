// kata: begin replace
// The GIL: CPython's take_gil/drop_gil (Python/ceval_gil.c) with FORCE_SWITCHING.
// kata: skeleton // The GIL: write take_gil/drop_gil here (lesson §3, §4).
// kata: skeleton //
// kata: skeleton // Suggested state: one std::mutex, a condition variable that waiters wait on (signalled when the
// kata: skeleton // GIL is dropped), a second one for FORCE_SWITCHING (signalled when a thread takes it), a
// kata: skeleton // "locked" flag, the last holder, a switch counter, an atomic drop request and the interval.
// kata: skeleton // A thread_local bool says whether the calling thread holds it.
// kata: end
#include "py/gil.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::gil {
// kata: begin replace
namespace {

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

void take(Gil& gil) {
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
}

void drop(Gil& gil, bool forced) {
    std::unique_lock lock(gil.mutex);
    gil.is_locked = false;
    gil.any_locked.store(false, std::memory_order_relaxed);
    holding = false;
    gil.cond.notify_one();
    if (forced) {
        // FORCE_SWITCHING: do not come back before somebody else had it.
        gil.switch_cond.wait(lock, [&] { return gil.last_holder != &thread_token; });
    }
}

}  // namespace
// kata: end

void set_switch_interval(double seconds) {
    // kata: begin §4
    if (!(seconds > 0)) {
        throw ValueError("switch interval must be strictly positive");
    }
    auto us = static_cast<long long>(seconds * 1e6);
    the_gil().interval_us.store(us < 1 ? 1 : us);
    // kata: end
}

double get_switch_interval() noexcept {
    // kata: begin §4 noexcept
    return static_cast<double>(the_gil().interval_us.load()) / 1e6;
    // kata: skeleton return 0;
    // kata: end
}

bool held() noexcept {
    // kata: begin §3 noexcept
    return holding;
    // kata: skeleton return false;
    // kata: end
}

bool locked() noexcept {
    // kata: begin §3 noexcept
    return the_gil().any_locked.load(std::memory_order_relaxed);
    // kata: skeleton return false;
    // kata: end
}

std::uint64_t switch_number() noexcept {
    // kata: begin §4 noexcept
    return the_gil().switches.load(std::memory_order_relaxed);
    // kata: skeleton return 0;
    // kata: end
}

bool drop_requested() noexcept {
    // kata: begin §4 noexcept
    return the_gil().drop_request.load(std::memory_order_relaxed);
    // kata: skeleton return false;
    // kata: end
}

void acquire() {
    // kata: begin §3
    if (holding) {
        throw RuntimeError("the GIL is already held by this thread");
    }
    take(the_gil());
    // kata: end
}

void release() {
    // kata: begin §3
    if (!holding) {
        throw RuntimeError("the GIL is not held by this thread");
    }
    drop(the_gil(), false);
    // kata: end
}

bool yield_if_requested() {
    // kata: begin §4
    Gil& gil = the_gil();
    if (!holding || !gil.drop_request.load(std::memory_order_relaxed)) {
        return false;
    }
    drop(gil, true);
    take(gil);
    return true;
    // kata: end
}

// kata: begin replace
Hold::Hold() : took_(!holding) {
    if (took_) {
        take(the_gil());
    }
    // kata: skeleton Hold::Hold() : took_(false) {
    // kata: skeleton PY_KATA_TODO("§3");
    // kata: end
}

Hold::~Hold() {
    // kata: begin §3 noexcept
    if (took_ && holding) {
        drop(the_gil(), false);
    }
    // kata: end
}

// kata: begin replace
Release::Release() : dropped_(holding) {
    if (dropped_) {
        drop(the_gil(), false);
    }
    // kata: skeleton Release::Release() : dropped_(false) {
    // kata: skeleton PY_KATA_TODO("§3");
    // kata: end
}

Release::~Release() {
    // kata: begin §3 noexcept
    if (dropped_ && !holding) {
        take(the_gil());
    }
    // kata: end
}

}  // namespace py::gil
