// concurrent.futures' waiter (CPython: Lib/concurrent/futures/_base.py, the _Waiter classes):
// an event that the futures set as they finish, by the rule of wait()'s return_when.
#include "futures_internal.hpp"
#include "py/kata.hpp"

namespace py::concurrent::detail {

void EventWaiter::expect(long installed) {
    // kata: begin step31 §7
    std::lock_guard lock(mutex_);
    pending_ += installed;
    set_ = set_ || pending_ == 0;
    // kata: end
}

bool EventWaiter::wait_until(std::optional<Clock::time_point> deadline) {
    // kata: begin step30 step31 §7
    std::unique_lock lock(mutex_);
    if (deadline) {
        return cond_.wait_until(lock, *deadline, [&] { return set_; });
    }
    cond_.wait(lock, [&] { return set_; });
    return true;
    // kata: end
}

std::vector<FutureCore*> EventWaiter::take_finished() {
    // kata: begin step30 §7
    std::lock_guard lock(mutex_);
    std::vector<FutureCore*> finished;
    finished.swap(finished_);
    set_ = false;
    return finished;
    // kata: end
}

void EventWaiter::event(FutureCore* future, bool exception) {
    // kata: begin step30 step31 §7
    std::lock_guard lock(mutex_);
    finished_.push_back(future);
    --pending_;
    const bool any = mode_ == Mode::FirstCompleted || mode_ == Mode::AsCompleted;
    set_ = set_ || any || (exception && mode_ == Mode::FirstException) || pending_ == 0;
    cond_.notify_all();
    // kata: end
}

}  // namespace py::concurrent::detail
