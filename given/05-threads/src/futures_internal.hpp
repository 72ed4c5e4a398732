// The pieces of concurrent.futures that src/ shares (not a public header: tests never see it):
// the clock, the "done" tests of _base.py, and the waiter that wait() and as_completed() install
// on futures (_base.py's _FirstCompletedWaiter, _AllCompletedWaiter and _AsCompletedWaiter in
// one class).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "py/concurrent.hpp"

namespace py::concurrent::detail {

using Clock = std::chrono::steady_clock;

inline bool is_done_for_waiters(FutureState state) {
    return state == FutureState::CancelledAndNotified || state == FutureState::Finished;
}

inline bool is_done(FutureState state) {
    return state == FutureState::Cancelled || is_done_for_waiters(state);
}

inline Clock::time_point deadline_after(double seconds) {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// _base.py's waiters, one class for every return_when (and for as_completed). The futures call
// add_result/add_exception/add_cancelled with their own mutex held; the waiting thread waits on
// this waiter's.
class EventWaiter : public Waiter {
  public:
    enum class Mode { FirstCompleted, FirstException, AllCompleted, AsCompleted };
    explicit EventWaiter(Mode mode) : mode_(mode) {}

    void add_result(FutureCore* future) override { event(future, false); }
    void add_exception(FutureCore* future) override { event(future, true); }
    void add_cancelled(FutureCore* future) override { event(future, false); }

    // The waiting thread adds the futures it installed itself on.
    void expect(long installed);
    // Waits until the event is set or the deadline passes; true if set.
    bool wait_until(std::optional<Clock::time_point> deadline);
    // as_completed: takes the futures finished since the last call and resets the event.
    std::vector<FutureCore*> take_finished();

  private:
    // One future finished (with an exception, or not): is the event set now?
    void event(FutureCore* future, bool exception);

    Mode mode_;
    std::mutex mutex_;
    std::condition_variable cond_;
    bool set_ = false;
    long pending_ = 0;
    std::vector<FutureCore*> finished_;
};

}  // namespace py::concurrent::detail
