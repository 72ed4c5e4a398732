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
    PY_KATA_TODO("§7");
}

}  // namespace py::concurrent
