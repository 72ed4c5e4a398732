// threading.Barrier (CPython: Lib/threading.py): a count and a state machine under a Condition
// over a Lock. The states are threading.py's: filling, draining, resetting, broken.
#include <optional>

#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/scope_exit.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

Barrier::Barrier(std::size_t parties, std::function<void()> action, std::optional<double> timeout)
    : cond_(lock_), action_(std::move(action)), timeout_(timeout), parties_(parties) {
    PY_KATA_TODO("§7");
}

Barrier::~Barrier() = default;

std::size_t Barrier::wait(std::optional<double> timeout) {
    PY_KATA_TODO("§7");
}

void Barrier::enter() {
    PY_KATA_TODO("§7");
}

void Barrier::release_all() {
    PY_KATA_TODO("§7");
}

void Barrier::wait_for_release(std::optional<double> timeout) {
    PY_KATA_TODO("§7");
}

void Barrier::leave() {
    PY_KATA_TODO_NOEXCEPT("§7");
}

void Barrier::break_barrier() {
    PY_KATA_TODO_NOEXCEPT("§7");
}

void Barrier::reset() {
    PY_KATA_TODO("§7");
}

void Barrier::abort() {
    PY_KATA_TODO("§7");
}

std::size_t Barrier::n_waiting() const {
    PY_KATA_TODO("§7");
}

bool Barrier::broken() const {
    PY_KATA_TODO("§7");
}

}  // namespace py::threading
