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
    PY_KATA_TODO("§7");
}

AsCompletedCore::~AsCompletedCore() {
    PY_KATA_TODO_NOEXCEPT("§7");
}

std::optional<std::size_t> AsCompletedCore::next() {
    PY_KATA_TODO("§7");
}

}  // namespace py::concurrent
