// py::asyncio::TaskBase: asyncio.Task's steps and cancellation (tasks.py, 3.11), sleep, timeout,
// the locks and as_completed (chapters/11-coroutines/README.md §9-§10).
#include <cstdio>

#include "loop_impl.hpp"
#include "py/kata.hpp"
#include "trace.hpp"

namespace py::asyncio {

TaskBase::TaskBase(EventLoop& loop, std::string name) : FutureBase(loop), name_(std::move(name)) {
    kind_ = "Task";
}

TaskBase::~TaskBase() {
    if (!done()) {
        loop_->call_exception_handler({"Task was destroyed but it is pending!", nullptr});
    }
}

void TaskBase::schedule_first_step() {
    auto self = std::static_pointer_cast<TaskBase>(shared_from_this());
    auto& tasks = loop_->impl().tasks;
    if (tasks.size() >= 64 && tasks.size() == tasks.capacity()) {
        std::erase_if(tasks, [](const std::weak_ptr<TaskBase>& t) { return t.expired(); });
    }
    tasks.push_back(self);
    call_step_soon(*loop_, std::move(self));
}

void TaskBase::step() {
    if (done()) {
        throw InvalidStateError("_step(): already done: " + repr());
    }
    trace_task_step(*loop_, *this);  // names this callback's slice in the trace (given, §9)
    PY_KATA_TODO("§9");
}

void TaskBase::suspend_on(const std::shared_ptr<FutureBase>& future, std::coroutine_handle<> at) {
    PY_KATA_TODO("§9");
}

void TaskBase::yield_once(std::coroutine_handle<> at) {
    PY_KATA_TODO("§9");
}

bool TaskBase::cancel(const std::string& message) {
    PY_KATA_TODO("§9");
}

int TaskBase::uncancel() {
    PY_KATA_TODO("§9");
}

namespace {

// sleep(0): a bare `yield` in Python; the task is stepped again on the next iteration.
struct YieldOnce {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) const {
        TaskBase* task = current_task();
        if (task == nullptr) {
            throw RuntimeError("sleep() must be awaited inside a Task (see create_task)");
        }
        task->yield_once(handle);
    }
    void await_resume() const { raise_pending_in_task(); }
};

// sleep(0) is a coroutine of its own: the frame of sleep(delay), with its future, timer handle
// and guard, would be twice the size, and one is made for every yield.
Coroutine<void> yield_now() {
    PY_KATA_TODO("§9");
    co_return;
}

Coroutine<void> sleep_for(double delay) {
    PY_KATA_TODO("§9");
    (void)delay;
    co_return;
}

}  // namespace

Coroutine<void> sleep(double delay) {
    return delay <= 0 ? yield_now() : sleep_for(delay);
}

// ---------------------------------------------------------------------------------------------
// timeouts.py

Timeout timeout(std::optional<double> delay) {
    EventLoop& loop = get_running_loop();  // RuntimeError("no running event loop")
    return Timeout(delay ? std::optional<double>(loop.time() + *delay) : std::nullopt);
}

std::optional<double> detail::deadline_after(std::optional<double> delay) {
    if (!delay) {
        return std::nullopt;
    }
    // loop.time() for any loop (all read CLOCK_MONOTONIC), and without a running loop too:
    // enter() then raises "Timeout should be used inside a task", as before the deadline mattered.
    return EventLoop::monotonic() + *delay;
}

const char* Timeout::state_name() const {
    switch (state_) {
        case State::Created:
            return "created";
        case State::Entered:
            return "active";
        case State::Expiring:
            return "expiring";
        case State::Expired:
            return "expired";
        case State::Exited:
            return "finished";
    }
    return "?";
}

std::string Timeout::repr() const {
    std::string info;
    if (state_ == State::Entered) {
        if (when_) {
            char text[64];
            std::snprintf(text, sizeof text, " when=%.3f", *when_);  // round(self._when, 3)
            info = text;
        } else {
            info = " when=None";
        }
    }
    return std::string("<Timeout [") + state_name() + "]" + info + ">";
}

void Timeout::enter() {
    if (state_ != State::Created) {
        throw RuntimeError("Timeout has already been entered");
    }
    TaskBase* task = current_task();
    if (task == nullptr) {
        throw RuntimeError("Timeout should be used inside a task");
    }
    state_ = State::Entered;
    task_ = task;
    arm(when_);
}

void Timeout::arm(std::optional<double> when) {
    PY_KATA_TODO("§9");
}

void Timeout::on_timeout() {
    PY_KATA_TODO("§9");
}

void Timeout::exit(bool body_cancelled) {
    handle_.cancel();
    handle_ = Handle();
    PY_KATA_TODO("§9");
    (void)body_cancelled;
}

void Timeout::reschedule(std::optional<double> when) {
    PY_KATA_TODO("§9");
}

// ---------------------------------------------------------------------------------------------
// taskgroups.py

TaskGroup::TaskGroup() : parent_task_(current_task()) {
    if (parent_task_ == nullptr) {
        throw RuntimeError("TaskGroup " + repr() + " cannot determine the parent task");
    }
}

void TaskGroup::adopt(const std::shared_ptr<FutureBase>& task) {
    tasks_.push_back(task);
    ++unfinished_;
    task->add_done_callback([this](FutureBase& done) { on_task_done(done); });
}

void TaskGroup::on_task_done(FutureBase& task) {
    PY_KATA_TODO("§9");
}

void TaskGroup::abort() {
    aborting_ = true;
    for (auto& task : tasks_) {
        if (!task->done()) {
            task->cancel();
        }
    }
}

Coroutine<void> TaskGroup::wait(std::exception_ptr body_error) {
    PY_KATA_TODO("§9");
    co_return;
}

// ---------------------------------------------------------------------------------------------
// locks.py

void Event::set() {
    PY_KATA_TODO("§9");
}

Coroutine<bool> Event::wait() {
    PY_KATA_TODO("§9");
    co_return false;
}

Coroutine<bool> Lock::acquire() {
    PY_KATA_TODO("§9");
    co_return false;
}

void Lock::release() {
    PY_KATA_TODO("§9");
}

void Lock::wake_up_first() {
    for (auto& waiter : waiters_) {
        if (!waiter.done()) {
            waiter.set_result();
            return;
        }
    }
}

Semaphore::Semaphore(int value) : value_(value) {
    if (value < 0) {
        throw ValueError("Semaphore initial value must be >= 0");
    }
}

bool Semaphore::locked() const {
    bool waiting = false;
    for (const auto& w : waiters_) {
        waiting = waiting || !w.cancelled();
    }
    return value_ == 0 || waiting;
}

Coroutine<bool> Semaphore::acquire() {
    if (!locked()) {
        --value_;
        co_return true;
    }
    Future<void> waiter(get_running_loop());
    waiters_.push_back(waiter);
    try {
        co_await waiter;
    } catch (const CancelledError&) {
        std::erase_if(waiters_, [&](const Future<void>& w) { return w.state() == waiter.state(); });
        if (waiter.done() && !waiter.cancelled()) {
            ++value_;  // woken and cancelled at once: hand the slot on
            wake_up_next();
        }
        throw;
    }
    std::erase_if(waiters_, [&](const Future<void>& w) { return w.state() == waiter.state(); });
    co_return true;
}

void Semaphore::release() {
    ++value_;
    wake_up_next();
}

void Semaphore::wake_up_next() {
    for (auto& waiter : waiters_) {
        if (!waiter.done()) {
            --value_;
            waiter.set_result();
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tasks.py: as_completed

void AsCompletedState::start(EventLoop& loop, std::vector<std::shared_ptr<FutureBase>> todo,
                             std::optional<double> timeout) {
    PY_KATA_TODO("§9");
}

void AsCompletedState::on_completion(FutureBase& future) {
    PY_KATA_TODO("§9");
}

void AsCompletedState::on_timeout() {
    PY_KATA_TODO("§9");
}

Coroutine<std::shared_ptr<FutureBase>> AsCompletedState::wait_for_one() {
    PY_KATA_TODO("§9");
    co_return nullptr;
}

}  // namespace py::asyncio
