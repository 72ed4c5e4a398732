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
    // kata: begin step20 §5 noexcept
    switch (state) {
        case FutureState::Pending:
            return "PENDING";
        case FutureState::Running:
            return "RUNNING";
        case FutureState::Cancelled:
            return "CANCELLED";
        case FutureState::CancelledAndNotified:
            return "CANCELLED_AND_NOTIFIED";
        case FutureState::Finished:
            break;
    }
    return "FINISHED";
    // kata: skeleton return "";
    // kata: end
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
    // kata: begin step20 §5
    std::ostringstream out;
    out << "<Future at " << static_cast<const void*>(&self) << " state=";
    switch (state) {
        case FutureState::Pending:
            out << "pending";
            break;
        case FutureState::Running:
            out << "running";
            break;
        case FutureState::Cancelled:
        case FutureState::CancelledAndNotified:
            out << "cancelled";
            break;
        case FutureState::Finished:
            // _base.py names the class of the exception or of the result.
            out << "finished ";
            if (exception) {
                out << "raised " << exception_type_name(exception);
            } else {
                out << "returned " << self.result_type_name();
            }
            break;
    }
    out << ">";
    return out.str();
    // kata: end
}

bool FutureCore::Impl::wait_done(std::unique_lock<std::mutex>& lock,
                                 std::optional<double> timeout) {
    // kata: begin step21 §5
    if (!timeout) {
        changed.wait(lock, [&] { return is_done(state); });
        return true;
    }
    return changed.wait_until(lock, detail::deadline_after(std::max(*timeout, 0.0)),
                              [&] { return is_done(state); });
    // kata: end
}

FutureCore::FutureCore() : impl_(std::make_unique<Impl>()) {}

FutureCore::~FutureCore() = default;

namespace {

// [[maybe_unused]]: the skeleton keeps these helpers but does not call them yet.

// Runs the done callbacks (outside the mutex); an exception from one is logged, as _base.py's
// _invoke_callbacks does, and the others still run.
[[maybe_unused]] void invoke_callbacks(FutureCore& future,
                                       const std::vector<FutureCore::Callback>& callbacks) {
    // kata: begin step24 §5
    for (const auto& callback : callbacks) {
        try {
            callback(future);
        } catch (const std::exception& e) {
            // LOGGER.exception prints the message, then the traceback's last line: "Type: text".
            std::fprintf(stderr, "exception calling callback for %s\n%s: %s\n",
                         future.repr().c_str(), exception_type_name(std::current_exception()),
                         e.what());
        }
    }
    // kata: end
}

}  // namespace

bool FutureCore::cancel() {
    // kata: begin step20 §5
    std::vector<Callback> callbacks;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->state == FutureState::Running || impl_->state == FutureState::Finished) {
            return false;
        }
        if (impl_->state != FutureState::Pending) {
            return true;
        }
        impl_->state = FutureState::Cancelled;
        callbacks.swap(impl_->callbacks);
    }
    impl_->changed.notify_all();
    invoke_callbacks(*this, callbacks);
    return true;
    // kata: end
}

bool FutureCore::cancelled() const {
    // kata: begin step20 §5
    const auto s = state();
    return s == FutureState::Cancelled || s == FutureState::CancelledAndNotified;
    // kata: end
}

bool FutureCore::running() const {
    // kata: begin step20 §5
    return state() == FutureState::Running;
    // kata: end
}

bool FutureCore::done() const {
    // kata: begin step20 §5
    return is_done(state());
    // kata: end
}

FutureState FutureCore::state() const {
    // kata: begin step20 §5
    std::lock_guard lock(impl_->mutex);
    return impl_->state;
    // kata: end
}

void FutureCore::wait_result(std::optional<double> timeout) {
    // kata: begin step21 §5
    if (auto error = exception(timeout)) {
        std::rethrow_exception(error);
    }
    // kata: end
}

std::exception_ptr FutureCore::exception(std::optional<double> timeout) {
    // kata: begin step21 step23 §5
    gil::Release no_gil;
    std::unique_lock lock(impl_->mutex);
    if (!impl_->wait_done(lock, timeout)) {
        throw TimeoutError("");
    }
    if (impl_->state != FutureState::Finished) {
        throw CancelledError("");
    }
    return impl_->exception;
    // kata: end
}

void FutureCore::add_done_callback(Callback callback) {
    // kata: begin step24 §5
    {
        std::lock_guard lock(impl_->mutex);
        if (!is_done(impl_->state)) {
            impl_->callbacks.push_back(std::move(callback));
            return;
        }
    }
    std::vector<Callback> now;
    now.push_back(std::move(callback));
    invoke_callbacks(*this, now);
    // kata: end
}

bool FutureCore::set_running_or_notify_cancel() {
    // kata: begin step20 §5
    std::lock_guard lock(impl_->mutex);
    if (impl_->state == FutureState::Cancelled) {
        impl_->state = FutureState::CancelledAndNotified;
        for (const auto& waiter : impl_->waiters) {
            waiter->add_cancelled(this);
        }
        return false;
    }
    if (impl_->state == FutureState::Pending) {
        impl_->state = FutureState::Running;
        return true;
    }
    throw RuntimeError("Future in unexpected state");
    // kata: end
}

void FutureCore::set_result_with(const std::function<void()>& store) {
    // kata: begin step20 §5
    std::vector<Callback> callbacks;
    {
        std::lock_guard lock(impl_->mutex);
        if (is_done(impl_->state)) {
            throw InvalidStateError(std::string(state_name(impl_->state)) + ": " +
                                    impl_->repr_locked(*this));
        }
        store();
        impl_->state = FutureState::Finished;
        for (const auto& waiter : impl_->waiters) {
            waiter->add_result(this);
        }
        callbacks.swap(impl_->callbacks);
    }
    impl_->changed.notify_all();
    invoke_callbacks(*this, callbacks);
    // kata: end
}

void FutureCore::set_exception(std::exception_ptr exception) {
    // kata: begin step20 step23 §5
    std::vector<Callback> callbacks;
    {
        std::lock_guard lock(impl_->mutex);
        if (is_done(impl_->state)) {
            throw InvalidStateError(std::string(state_name(impl_->state)) + ": " +
                                    impl_->repr_locked(*this));
        }
        impl_->exception = std::move(exception);
        impl_->state = FutureState::Finished;
        for (const auto& waiter : impl_->waiters) {
            waiter->add_exception(this);
        }
        callbacks.swap(impl_->callbacks);
    }
    impl_->changed.notify_all();
    invoke_callbacks(*this, callbacks);
    // kata: end
}

std::string FutureCore::repr() const {
    // kata: begin step20 §5
    std::lock_guard lock(impl_->mutex);
    return impl_->repr_locked(*this);
    // kata: end
}

bool FutureCore::install_waiter(const std::shared_ptr<Waiter>& waiter) {
    // kata: begin step30 step31 §7
    std::lock_guard lock(impl_->mutex);
    if (is_done_for_waiters(impl_->state)) {
        return true;
    }
    impl_->waiters.push_back(waiter);
    return false;
    // kata: end
}

void FutureCore::remove_waiter(const std::shared_ptr<Waiter>& waiter) {
    // kata: begin step30 step31 §7
    std::lock_guard lock(impl_->mutex);
    auto& waiters = impl_->waiters;
    waiters.erase(std::remove(waiters.begin(), waiters.end(), waiter), waiters.end());
    // kata: end
}

}  // namespace py::concurrent
