// concurrent.futures.Future (CPython: Lib/concurrent/futures/_base.py): the state machine
// PENDING -> RUNNING -> FINISHED, or PENDING -> CANCELLED -> CANCELLED_AND_NOTIFIED, under one
// mutex, with done callbacks and the waiters of wait() and as_completed().
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <sstream>

#include "futures_internal.hpp"
#include "py/concurrent.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"

namespace py::concurrent {

using detail::is_done;
using detail::is_done_for_waiters;

const char* state_name(FutureState state) noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
    return "";
}

// The future's state; every member is guarded by `mutex`.
struct FutureCore::Impl {
    mutable std::mutex mutex;
    std::condition_variable changed;
    FutureState state = FutureState::Pending;
    std::exception_ptr exception;
    std::vector<Callback> callbacks;
    std::vector<std::shared_ptr<Waiter>> waiters;

    // With `mutex` held: Future.__repr__.
    [[nodiscard]] std::string repr_locked(const FutureCore& self) const;
    // Waits (the caller has dropped the GIL) until the future is done; false on timeout.
    bool wait_done(std::unique_lock<std::mutex>& lock, std::optional<double> timeout);
};

std::string FutureCore::Impl::repr_locked(const FutureCore& self) const {
    PY_KATA_TODO("§5");
}

bool FutureCore::Impl::wait_done(std::unique_lock<std::mutex>& lock,
                                 std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

FutureCore::FutureCore() : impl_(std::make_unique<Impl>()) {}

FutureCore::~FutureCore() = default;

namespace {

// [[maybe_unused]]: the skeleton keeps these helpers but does not call them yet.

// Runs the done callbacks (outside the mutex); an exception from one is logged, as _base.py's
// _invoke_callbacks does, and the others still run.
[[maybe_unused]] void invoke_callbacks(FutureCore& future,
                                       const std::vector<FutureCore::Callback>& callbacks) {
    PY_KATA_TODO("§5");
}

}  // namespace

bool FutureCore::cancel() {
    PY_KATA_TODO("§5");
}

bool FutureCore::cancelled() const {
    PY_KATA_TODO("§5");
}

bool FutureCore::running() const {
    PY_KATA_TODO("§5");
}

bool FutureCore::done() const {
    PY_KATA_TODO("§5");
}

FutureState FutureCore::state() const {
    PY_KATA_TODO("§5");
}

void FutureCore::wait_result(std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

std::exception_ptr FutureCore::exception(std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

void FutureCore::add_done_callback(Callback callback) {
    PY_KATA_TODO("§5");
}

bool FutureCore::set_running_or_notify_cancel() {
    PY_KATA_TODO("§5");
}

void FutureCore::set_result_with(const std::function<void()>& store) {
    PY_KATA_TODO("§5");
}

void FutureCore::set_exception(std::exception_ptr exception) {
    PY_KATA_TODO("§5");
}

std::string FutureCore::repr() const {
    PY_KATA_TODO("§5");
}

bool FutureCore::install_waiter(const std::shared_ptr<Waiter>& waiter) {
    PY_KATA_TODO("§7");
}

void FutureCore::remove_waiter(const std::shared_ptr<Waiter>& waiter) {
    PY_KATA_TODO("§7");
}

}  // namespace py::concurrent
