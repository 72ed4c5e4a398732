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
    PY_KATA_TODO("§3");
}

// drop_gil: frees the GIL and wakes a waiter; `forced` (the holder answered a drop request)
// waits until another thread has taken it.
void drop(Gil& gil, bool forced) {
    PY_KATA_TODO("§3");
}

}  // namespace detail

using detail::drop;
using detail::Gil;
using detail::holding;
using detail::take;
using detail::the_gil;

void set_switch_interval(double seconds) {
    PY_KATA_TODO("§4");
}

double get_switch_interval() noexcept {
    PY_KATA_TODO_NOEXCEPT("§4");
    return 0;
}

bool held() noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return false;
}

bool locked() noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return false;
}

std::uint64_t switch_number() noexcept {
    PY_KATA_TODO_NOEXCEPT("§4");
    return 0;
}

bool drop_requested() noexcept {
    PY_KATA_TODO_NOEXCEPT("§4");
    return false;
}

void acquire() {
    PY_KATA_TODO("§3");
}

void release() {
    PY_KATA_TODO("§3");
}

bool yield_if_requested() {
    PY_KATA_TODO("§4");
}

Hold::Hold() : took_(false) {
    PY_KATA_TODO("§3");
}

Hold::~Hold() {
    PY_KATA_TODO_NOEXCEPT("§3");
}

Release::Release() : dropped_(false) {
    PY_KATA_TODO("§3");
}

Release::~Release() {
    PY_KATA_TODO_NOEXCEPT("§3");
}

}  // namespace py::gil
