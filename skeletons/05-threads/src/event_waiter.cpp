// concurrent.futures' waiter (CPython: Lib/concurrent/futures/_base.py, the _Waiter classes):
// an event that the futures set as they finish, by the rule of wait()'s return_when.
#include "futures_internal.hpp"
#include "py/kata.hpp"

namespace py::concurrent::detail {

void EventWaiter::expect(long installed) {
    PY_KATA_TODO("§7");
}

bool EventWaiter::wait_until(std::optional<Clock::time_point> deadline) {
    PY_KATA_TODO("§7");
}

std::vector<FutureCore*> EventWaiter::take_finished() {
    PY_KATA_TODO("§7");
}

void EventWaiter::event(FutureCore* future, bool exception) {
    PY_KATA_TODO("§7");
}

}  // namespace py::concurrent::detail
