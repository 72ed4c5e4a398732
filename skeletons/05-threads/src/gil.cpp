// The GIL: write take_gil/drop_gil here (lesson §3, §4).
//
// Suggested state: one std::mutex, a condition variable that waiters wait on (signalled when the
// GIL is dropped), a second one for FORCE_SWITCHING (signalled when a thread takes it), a
// "locked" flag, the last holder, a switch counter, an atomic drop request and the interval.
// A thread_local bool says whether the calling thread holds it.
#include "py/gil.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::gil {

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
