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
    PY_KATA_TODO("§9");
}

void FutureBase::mark_finished() {
    PY_KATA_TODO("§9");
}

void FutureBase::schedule_callbacks() {
    PY_KATA_TODO("§9");
}

void FutureBase::add_done_callback(DoneCallback callback) {
    PY_KATA_TODO("§9");
}

void FutureBase::set_exception(std::exception_ptr exception) {
    PY_KATA_TODO("§9");
}

std::exception_ptr FutureBase::exception() {
    PY_KATA_TODO("§9");
}

void FutureBase::check_result() {
    PY_KATA_TODO("§9");
}

}  // namespace py::asyncio
