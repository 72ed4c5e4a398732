// The inside of py::asyncio::EventLoop (given, not a kata): what BaseEventLoop and the epoll
// selector keep.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "py/asyncio.hpp"
#include "py/concurrent.hpp"

namespace py::asyncio {

class Tracer;  // trace.hpp: kept out of the headers that do not write the trace
struct TracerDeleter {
    void operator()(Tracer* tracer) const;
};

// One entry of BaseEventLoop._ready: a handle, or a task's next step. A step needs no handle (no
// one can cancel the handle of Task.__step), so it costs no HandleState, no std::function and no
// reference count of its own: the entry holds the task alive until the step has run.
struct Ready {
    Ready(std::shared_ptr<HandleState> h) noexcept  // NOLINT(google-explicit-constructor)
        : handle(std::move(h)) {}
    explicit Ready(std::shared_ptr<TaskBase> t) noexcept : task(std::move(t)) {}
    std::shared_ptr<HandleState> handle;  // asyncio.Handle, or null for a task step
    std::shared_ptr<TaskBase> task;
};

struct EventLoop::Impl {
    int epoll_fd = -1;
    int wake_fd = -1;  // eventfd: call_soon_threadsafe writes, the loop's epoll_wait wakes

    std::deque<Ready> ready;                              // BaseEventLoop._ready
    std::vector<std::shared_ptr<HandleState>> scheduled;  // ._scheduled, a binary heap by when
    std::size_t timer_cancelled_count = 0;                // ._timer_cancelled_count
    std::uint64_t sequence = 0;

    std::mutex threadsafe_mutex;  // guards threadsafe: the only state other threads touch
    std::vector<std::shared_ptr<HandleState>> threadsafe;

    struct FdCallbacks {
        std::shared_ptr<HandleState> reader;
        std::shared_ptr<HandleState> writer;
        std::uint32_t registered = 0;  // the epoll events currently asked for
    };
    std::unordered_map<int, FdCallbacks> fds;

    // run_in_executor(None, ...)'s executor (BaseEventLoop._default_executor), made on first use.
    std::unique_ptr<concurrent::ThreadPoolExecutor> default_executor;
    bool executor_shutdown_called = false;
    std::vector<std::shared_ptr<concurrent::FutureCore>> calls;  // see keep_until_released

    std::vector<std::weak_ptr<TaskBase>> tasks;  // asyncio.all_tasks(), pruned when it grows
    // The task whose step is running, held by the loop for the step: a step that yields hands
    // this reference on to its next step's entry (call_step_soon) instead of taking a new one.
    std::shared_ptr<TaskBase> stepping;

    bool running = false;
    bool stopping = false;
    bool closed = false;
    bool debug = false;
    double clock_resolution = 1e-9;  // time.get_clock_info('monotonic').resolution on Linux
    ExceptionHandler handler;
    std::unique_ptr<Tracer, TracerDeleter> tracer;  // set_trace: the Chrome trace, or null
};

// heapq's order: earliest `when` first, then first scheduled. A function object rather than a
// function: std::push_heap/pop_heap given a function pointer call it indirectly at every level
// (a quarter of the time of 10k timers firing together went there); an object's call inlines.
struct LaterThan {
    bool operator()(const std::shared_ptr<HandleState>& a,
                    const std::shared_ptr<HandleState>& b) const noexcept {
        if (a->when != b->when) {
            return a->when > b->when;
        }
        return a->sequence > b->sequence;
    }
};
inline constexpr LaterThan later_than{};

// Schedules task.step() (asyncio: loop.call_soon(self.__step)); RuntimeError("Event loop is
// closed") as call_soon. The entry keeps the task alive until its step has run: the reference
// given, or (for a task) the running step's when it is that task's, else a new one.
void call_step_soon(EventLoop& loop, std::shared_ptr<TaskBase> task);
void call_step_soon(EventLoop& loop, TaskBase& task);

// Sets/clears the thread's running loop and current task (asyncio's _running_loop, _current_tasks).
void set_running_loop(EventLoop* loop) noexcept;
void enter_task(TaskBase* task) noexcept;
void leave_task(TaskBase* task) noexcept;

// BaseEventLoop constants (base_events.py, 3.11).
constexpr std::size_t min_scheduled_timer_handles = 100;
constexpr double min_cancelled_timer_handles_fraction = 0.5;
constexpr double maximum_select_timeout = 24 * 3600;

}  // namespace py::asyncio
