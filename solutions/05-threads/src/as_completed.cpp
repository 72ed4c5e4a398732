// concurrent.futures.as_completed (CPython: Lib/concurrent/futures/_base.py): the futures in the
// order they finish, through one waiter installed on all of them.
#include <algorithm>
#include <deque>
#include <map>
#include <string>

#include "futures_internal.hpp"
#include "py/concurrent.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"

namespace py::concurrent {

using detail::EventWaiter;

struct AsCompletedCore::Impl {
    std::vector<std::shared_ptr<FutureCore>> futures;  // distinct
    std::map<FutureCore*, std::size_t> index;          // first index in the caller's vector
    std::shared_ptr<EventWaiter> waiter =
        std::make_shared<EventWaiter>(EventWaiter::Mode::AsCompleted);
    std::deque<std::size_t> ready;
    std::size_t pending = 0;
    std::optional<detail::Clock::time_point> deadline;
};

AsCompletedCore::AsCompletedCore(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                 std::optional<double> timeout)
    : impl_(std::make_unique<Impl>()) {
    // kata: begin step30 §7
    if (timeout) {
        impl_->deadline = detail::deadline_after(std::max(*timeout, 0.0));
    }
    for (std::size_t i = 0; i < futures.size(); ++i) {
        FutureCore* future = futures[i].get();
        if (!impl_->index.emplace(future, i).second) {
            continue;
        }
        impl_->futures.push_back(futures[i]);
        if (future->install_waiter(impl_->waiter)) {
            impl_->ready.push_back(i);
        } else {
            ++impl_->pending;
        }
    }
    // kata: end
}

AsCompletedCore::~AsCompletedCore() {
    // kata: begin step30 §7 noexcept
    for (const auto& future : impl_->futures) {
        future->remove_waiter(impl_->waiter);
    }
    // kata: end
}

std::optional<std::size_t> AsCompletedCore::next() {
    // kata: begin step30 §7
    while (impl_->ready.empty()) {
        if (impl_->pending == 0) {
            return std::nullopt;
        }
        bool set = false;
        {
            gil::Release no_gil;
            set = impl_->waiter->wait_until(impl_->deadline);
        }
        if (!set) {
            throw TimeoutError(std::to_string(impl_->pending) + " (of " +
                               std::to_string(impl_->futures.size()) + ") futures unfinished");
        }
        for (FutureCore* future : impl_->waiter->take_finished()) {
            impl_->ready.push_back(impl_->index.at(future));
            --impl_->pending;
        }
    }
    const std::size_t next = impl_->ready.front();
    impl_->ready.pop_front();
    return next;
    // kata: end
}

}  // namespace py::concurrent
