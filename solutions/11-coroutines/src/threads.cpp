// py::asyncio::to_thread's machinery: the loop's default executor and the hand-off of a
// concurrent future's result to an asyncio future (base_events.py's run_in_executor, futures.py's
// _chain_future, 3.11; chapters/11-coroutines/README.md §9).
#include "loop_impl.hpp"
#include "py/asyncio_threads.hpp"
#include "py/kata.hpp"

namespace py::asyncio {

concurrent::ThreadPoolExecutor& EventLoop::default_executor() {
    // kata: begin step35 §9
    if (impl_->closed) {
        throw RuntimeError("Event loop is closed");  // _check_closed
    }
    if (impl_->executor_shutdown_called) {
        throw RuntimeError("Executor shutdown has been called");  // _check_default_executor
    }
    if (!impl_->default_executor) {
        impl_->default_executor =
            std::make_unique<concurrent::ThreadPoolExecutor>(std::nullopt, "asyncio");
    }
    return *impl_->default_executor;
    // kata: end
}

void chain_future(const std::shared_ptr<concurrent::FutureCore>& source,
                  const std::shared_ptr<FutureBase>& destination,
                  std::function<void()> copy_result) {
    // kata: begin step35 §9
    // _call_check_cancel, on the loop's thread: a cancelled awaiter cancels the call if it has
    // not started yet.
    destination->add_done_callback([source](FutureBase& done) {
        if (done.cancelled()) {
            source->cancel();
        }
    });
    // _call_set_state, on the worker thread that finished the call: only the loop's thread may
    // touch the asyncio future, so hand everything over (the worker keeps no reference).
    EventLoop* loop = &destination->get_loop();
    source->add_done_callback([loop, target = destination, copy_result = std::move(copy_result)](
                                  concurrent::FutureCore& done) mutable {
        loop->call_soon_threadsafe([destination = std::move(target),
                                    copy_result = std::move(copy_result),
                                    finished = done.shared_from_this()] {
            // The call is private to us, so it is only ever cancelled through the destination.
            if (destination->cancelled()) {
                return;  // _copy_future_state: the awaiter has gone
            }
            if (std::exception_ptr error = finished->exception()) {
                destination->set_exception(error);
            } else {
                copy_result();
            }
        });
    });
    // kata: end
}

}  // namespace py::asyncio
