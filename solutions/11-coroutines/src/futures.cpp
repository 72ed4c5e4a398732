// py::asyncio::FutureBase: asyncio.Future's state machine (futures.py, 3.11;
// chapters/11-coroutines/README.md §9).
#include "loop_impl.hpp"
#include "py/kata.hpp"

namespace py::asyncio {

FutureBase::~FutureBase() {
    // An exception that no one ever looked at is reported when the future goes away.
    if (log_traceback_ && exception_) {
        loop_->call_exception_handler(
            {std::string(kind_) + " exception was never retrieved", exception_});
    }
}

std::exception_ptr FutureBase::make_cancelled_error() const {
    return std::make_exception_ptr(CancelledError(cancel_message_));
}

void FutureBase::check_not_done() const {
    if (done()) {
        throw InvalidStateError(std::string(state_name()) + ": " + repr());
    }
}

bool FutureBase::cancel(const std::string& message) {
    // kata: begin step25 §9
    log_traceback_ = false;
    if (state_ != State::Pending) {
        return false;
    }
    state_ = State::Cancelled;
    cancel_message_ = message;
    schedule_callbacks();
    return true;
    // kata: end
}

void FutureBase::mark_finished() {
    // kata: begin step25 §9
    state_ = State::Finished;
    schedule_callbacks();
    // kata: end
}

void FutureBase::schedule_callbacks() {
    // kata: begin step25 §9
    // Callbacks never run inside set_result: they are queued on the loop, in order.
    if (callbacks_.empty()) {
        return;  // most tasks end unwatched: no shared_from_this() (an atomic count) for nothing
    }
    std::vector<DoneCallback> callbacks = std::move(callbacks_);
    callbacks_.clear();
    auto self = shared_from_this();
    for (auto& callback : callbacks) {
        loop_->call_soon([self, callback = std::move(callback)] { callback(*self); });
    }
    // kata: end
}

void FutureBase::add_done_callback(DoneCallback callback) {
    // kata: begin step25 §9
    if (done()) {
        auto self = shared_from_this();
        loop_->call_soon([self, callback = std::move(callback)] { callback(*self); });
    } else {
        callbacks_.push_back(std::move(callback));
    }
    // kata: end
}

void FutureBase::set_exception(std::exception_ptr exception) {
    // kata: begin step25 §9
    check_not_done();
    exception_ = std::move(exception);
    log_traceback_ = true;
    mark_finished();
    // kata: end
}

std::exception_ptr FutureBase::exception() {
    // kata: begin step25 §9
    if (state_ == State::Cancelled) {
        std::rethrow_exception(make_cancelled_error());
    }
    if (state_ != State::Finished) {
        throw InvalidStateError("Exception is not set.");
    }
    log_traceback_ = false;
    return exception_;
    // kata: end
}

void FutureBase::check_result() {
    // kata: begin step25 §9
    if (state_ == State::Cancelled) {
        std::rethrow_exception(make_cancelled_error());
    }
    if (state_ != State::Finished) {
        throw InvalidStateError("Result is not set.");
    }
    log_traceback_ = false;
    if (exception_) {
        std::rethrow_exception(exception_);
    }
    // kata: end
}

}  // namespace py::asyncio
