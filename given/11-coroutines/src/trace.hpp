// The loop's Chrome trace (given, not a kata): the hooks the loop and the tasks call, each doing
// nothing unless EventLoop::set_trace was called; the writer is in trace.cpp. Trace Event Format
// (the JSON array form), one event a line:
//
//     {"name":"Task-3","cat":"task","ph":"X","ts":1234.567,"dur":8.21,"pid":7,"tid":7}
//
// ts and dur are microseconds since set_trace, from CLOCK_MONOTONIC. Every callback the loop runs
// is one complete event ("ph":"X"): named after the task whose step it ran ("task"), or "timer"
// for a timer handle ("timer", with how late it fired), "fd ready" for a reader or writer ("io"),
// else "callback". Every wait in epoll_wait is a "select" slice ("loop") with its timeout and the
// number of callbacks it queued. All of them happen one after the other on the loop's thread, so
// the slices never overlap and their ts only grow.
#pragma once

#include <cstddef>
#include <cstdint>

#include "py/asyncio.hpp"

namespace py::asyncio {

// run_handle's slice: nothing when the loop is not tracing.
class TracedHandle {
  public:
    // handle: null for a task's step (a "callback" until trace_task_step names it).
    TracedHandle(EventLoop& loop, const HandleState* handle);
    ~TracedHandle();
    TracedHandle(const TracedHandle&) = delete;
    TracedHandle& operator=(const TracedHandle&) = delete;

  private:
    EventLoop& loop_;
};

// run_once's wait in epoll_wait, as a "select" slice.
class TracedWait {
  public:
    TracedWait(EventLoop& loop, int timeout_ms);
    ~TracedWait() { end(); }
    // The wait is over: writes the slice (once).
    void end() noexcept;
    TracedWait(const TracedWait&) = delete;
    TracedWait& operator=(const TracedWait&) = delete;

  private:
    EventLoop& loop_;
    int timeout_ms_;
    bool open_ = false;
    std::size_t ready_before_ = 0;
    std::int64_t started_ = 0;
};

// Task.__step: names the callback slice that runs it after the task.
void trace_task_step(EventLoop& loop, const TaskBase& task);

}  // namespace py::asyncio
