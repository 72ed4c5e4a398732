// concurrent.futures.wait (CPython: Lib/concurrent/futures/_base.py): one waiter installed on
// every future not done yet, then wait for the return_when condition or the timeout.
#include <algorithm>

#include "futures_internal.hpp"
#include "py/concurrent.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"

namespace py::concurrent {

using detail::EventWaiter;

std::vector<std::size_t> wait_cores(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                    std::optional<double> timeout, ReturnWhen return_when) {
    // kata: begin step31 §7
    const auto deadline =
        timeout ? std::optional(detail::deadline_after(std::max(*timeout, 0.0))) : std::nullopt;
    auto mode = EventWaiter::Mode::AllCompleted;
    if (return_when == FIRST_COMPLETED) {
        mode = EventWaiter::Mode::FirstCompleted;
    } else if (return_when == FIRST_EXCEPTION) {
        mode = EventWaiter::Mode::FirstException;
    }
    auto waiter = std::make_shared<EventWaiter>(mode);
    std::vector<FutureCore*> installed;
    bool any_done = false;
    bool any_exception = false;
    for (const auto& future : futures) {
        if (std::find(installed.begin(), installed.end(), future.get()) != installed.end()) {
            continue;
        }
        if (future->install_waiter(waiter)) {
            any_done = true;
            any_exception = any_exception || (!future->cancelled() && future->exception(0));
        } else {
            installed.push_back(future.get());
        }
    }
    const bool ready = installed.empty() ||
                       (mode == EventWaiter::Mode::FirstCompleted && any_done) ||
                       (mode == EventWaiter::Mode::FirstException && any_exception);
    if (!ready) {
        waiter->expect(static_cast<long>(installed.size()));
        gil::Release no_gil;
        waiter->wait_until(deadline);
    }
    for (FutureCore* future : installed) {
        future->remove_waiter(waiter);
    }
    std::vector<std::size_t> done;
    for (std::size_t i = 0; i < futures.size(); ++i) {
        if (detail::is_done_for_waiters(futures[i]->state())) {
            done.push_back(i);
        }
    }
    return done;
    // kata: end
}

}  // namespace py::concurrent
