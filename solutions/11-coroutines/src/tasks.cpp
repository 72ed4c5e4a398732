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
    // kata: begin step26 §9
    if (must_cancel_) {
        pending_ = make_cancelled_error();
        must_cancel_ = false;
    }
    fut_waiter_.reset();
    // No shared_from_this() here (an atomic compare-and-swap per step): whatever calls a step
    // holds the task until it returns, the loop (its ready entry, call_step_soon) or the done
    // callback that captured it (suspend_on), even when the step drops the last other reference.
    enter_task(this);
    resume_point_.resume();  // runs until the next suspension point, or the end
    leave_task(this);
    if (coroutine_done()) {
        complete_from_coroutine();
    }
    // kata: end
}

void TaskBase::suspend_on(const std::shared_ptr<FutureBase>& future, std::coroutine_handle<> at) {
    // kata: begin step26 §9
    resume_point_ = at;
    auto self = std::static_pointer_cast<TaskBase>(shared_from_this());
    if (future.get() == this) {
        pending_ = std::make_exception_ptr(RuntimeError("Task cannot await on itself: " + repr()));
        call_step_soon(*loop_, *this);
        return;
    }
    fut_waiter_ = future;
    future->add_done_callback([self](FutureBase& /*unused*/) { self->step(); });  // __wakeup
    if (must_cancel_ && fut_waiter_->cancel(cancel_message_)) {
        must_cancel_ = false;
    }
    // kata: end
}

void TaskBase::yield_once(std::coroutine_handle<> at) {
    // kata: begin step26 §9
    resume_point_ = at;
    call_step_soon(*loop_, *this);  // takes over the running step's reference to this task
    // kata: end
}

bool TaskBase::cancel(const std::string& message) {
    // kata: begin step27 §9
    log_traceback_ = false;
    if (done()) {
        return false;
    }
    ++num_cancels_requested_;
    if (fut_waiter_ && fut_waiter_->cancel(message)) {
        return true;
    }
    must_cancel_ = true;
    cancel_message_ = message;
    return true;
    // kata: end
}

int TaskBase::uncancel() {
    // kata: begin step27 §9
    if (num_cancels_requested_ > 0) {
        --num_cancels_requested_;
    }
    return num_cancels_requested_;
    // kata: end
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
    // kata: begin step26 §9
    co_await YieldOnce{};
    // kata: skeleton co_return;
    // kata: end
}

Coroutine<void> sleep_for(double delay) {
    // kata: begin step26 §9
    EventLoop& loop = get_running_loop();
    Future<void> future(loop);
    Handle handle = loop.call_later(delay, [future] {
        if (!future.done()) {
            future.set_result();  // futures._set_result_unless_cancelled
        }
    });
    struct CancelTimer {
        Handle& handle;
        ~CancelTimer() { handle.cancel(); }
    } cancel_timer{handle};
    co_await future;
    // kata: skeleton (void)delay;
    // kata: skeleton co_return;
    // kata: end
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
    // kata: begin step28 §9
    handle_.cancel();
    handle_ = Handle();
    if (!when) {
        return;
    }
    EventLoop& loop = task_->get_loop();
    // A deadline already past fires on the next iteration.
    if (*when <= loop.time()) {
        handle_ = loop.call_soon([this] { on_timeout(); });
    } else {
        handle_ = loop.call_at(*when, [this] { on_timeout(); });
    }
    // kata: end
}

void Timeout::on_timeout() {
    // kata: begin step28 §9
    task_->cancel();
    state_ = State::Expiring;
    handle_ = Handle();  // drop the reference early
    // kata: end
}

void Timeout::exit(bool body_cancelled) {
    handle_.cancel();
    handle_ = Handle();
    // kata: begin step28 §9
    if (state_ == State::Expiring) {
        state_ = State::Expired;
        // 3.11's rule: ours only if no other cancellation is outstanding.
        if (task_->uncancel() == 0 && body_cancelled) {
            throw TimeoutError("");
        }
    } else if (state_ == State::Entered) {
        state_ = State::Exited;
    }
    // kata: skeleton (void)body_cancelled;
    // kata: end
}

void Timeout::reschedule(std::optional<double> when) {
    // kata: begin step39 §9
    if (state_ == State::Created) {
        throw RuntimeError("Timeout has not been entered");
    }
    if (state_ != State::Entered) {
        throw RuntimeError(std::string("Cannot change state of ") + state_name() + " Timeout");
    }
    when_ = when;
    arm(when);
    // kata: end
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
    // kata: begin step33 step37 §9
    --unfinished_;
    if (unfinished_ == 0 && on_completed_ && !on_completed_->done()) {
        on_completed_->set_result();
    }
    if (task.cancelled()) {
        return;
    }
    if (std::exception_ptr error = task.exception()) {
        errors_.push_back(error);
        if (!aborting_ && !parent_cancel_requested_) {
            // One child failed: the others are cancelled, and so is the body, at its await;
            // __aexit__ takes the parent's cancellation back.
            abort();
            parent_cancel_requested_ = true;
            parent_task_->cancel();
        }
    }
    // kata: end
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
    // kata: begin step33 step37 §9
    exited_ = true;
    bool body_cancelled = false;
    bool body_failed = false;
    if (body_error) {
        try {
            std::rethrow_exception(body_error);
        } catch (const CancelledError&) {
            body_cancelled = true;
        } catch (...) {
            body_failed = true;
        }
    }
    std::exception_ptr propagate = body_cancelled ? body_error : nullptr;
    // 3.11.2: our own cancellation of the parent is taken back; if it was the only one, the
    // body's CancelledError is swallowed.
    if (parent_cancel_requested_ && parent_task_->uncancel() == 0) {
        propagate = nullptr;
    }
    if (body_error && !aborting_) {
        abort();
    }
    while (unfinished_ > 0) {
        on_completed_.emplace(get_running_loop());
        try {
            co_await *on_completed_;
        } catch (const CancelledError&) {
            // We were cancelled while waiting: cancel the children, and wait for them anyway.
            if (!aborting_) {
                propagate = std::current_exception();
                abort();
            }
        }
        on_completed_.reset();
    }
    tasks_.clear();
    if (propagate && errors_.empty()) {
        std::rethrow_exception(propagate);
    }
    if (body_failed) {
        errors_.push_back(body_error);
    }
    if (!errors_.empty()) {
        std::vector<std::exception_ptr> errors = std::move(errors_);
        errors_.clear();  // taskgroups.py drops its references (self._errors = None)
        throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors));
    }
    // kata: skeleton co_return;
    // kata: end
}

// ---------------------------------------------------------------------------------------------
// locks.py

void Event::set() {
    // kata: begin step29 §9
    if (value_) {
        return;
    }
    value_ = true;
    for (auto& waiter : waiters_) {
        if (!waiter.done()) {
            waiter.set_result();
        }
    }
    // kata: end
}

Coroutine<bool> Event::wait() {
    // kata: begin step29 §9
    if (value_) {
        co_return true;
    }
    Future<void> waiter(get_running_loop());
    waiters_.push_back(waiter);
    struct Remove {
        std::deque<Future<void>>& waiters;
        const Future<void>& waiter;
        ~Remove() {
            std::erase_if(waiters,
                          [&](const Future<void>& w) { return w.state() == waiter.state(); });
        }
    } remove{waiters_, waiter};
    co_await waiter;
    co_return true;
    // kata: skeleton co_return false;
    // kata: end
}

Coroutine<bool> Lock::acquire() {
    // kata: begin step29 §9
    bool all_cancelled = true;
    for (auto& w : waiters_) {
        all_cancelled = all_cancelled && w.cancelled();
    }
    if (!locked_ && all_cancelled) {
        locked_ = true;
        co_return true;
    }
    Future<void> waiter(get_running_loop());
    waiters_.push_back(waiter);
    try {
        co_await waiter;
    } catch (const CancelledError&) {
        std::erase_if(waiters_, [&](const Future<void>& w) { return w.state() == waiter.state(); });
        if (!locked_) {
            wake_up_first();
        }
        throw;
    }
    std::erase_if(waiters_, [&](const Future<void>& w) { return w.state() == waiter.state(); });
    locked_ = true;
    co_return true;
    // kata: skeleton co_return false;
    // kata: end
}

void Lock::release() {
    // kata: begin step29 §9
    if (!locked_) {
        throw RuntimeError("Lock is not acquired.");
    }
    locked_ = false;
    wake_up_first();
    // kata: end
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
    // kata: begin step36 §9
    todo_ = std::move(todo);
    std::weak_ptr<AsCompletedState> weak = weak_from_this();
    for (auto& future : todo_) {
        future->add_done_callback([weak](FutureBase& done) {
            if (auto self = weak.lock()) {
                self->on_completion(done);
            }
        });
    }
    if (!todo_.empty() && timeout) {
        timeout_handle_ = loop.call_later(*timeout, [weak] {
            if (auto self = weak.lock()) {
                self->on_timeout();
            }
        });
    }
    // kata: end
}

void AsCompletedState::on_completion(FutureBase& future) {
    // kata: begin step36 §9
    if (todo_.empty()) {
        return;  // _on_timeout() was here first
    }
    auto it = std::find_if(todo_.begin(), todo_.end(), [&](const std::shared_ptr<FutureBase>& f) {
        return f.get() == &future;
    });
    std::shared_ptr<FutureBase> done = *it;
    todo_.erase(it);
    done_.put_nowait(std::move(done));
    if (todo_.empty()) {
        timeout_handle_.cancel();
    }
    // kata: end
}

void AsCompletedState::on_timeout() {
    // kata: begin step36 §9
    for (std::size_t i = 0; i < todo_.size(); ++i) {
        done_.put_nowait(nullptr);  // one "timed out" for every awaitable still to come
    }
    todo_.clear();
    // kata: end
}

Coroutine<std::shared_ptr<FutureBase>> AsCompletedState::wait_for_one() {
    // kata: begin step36 §9
    std::shared_ptr<FutureBase> future = co_await done_.get();
    if (!future) {
        throw TimeoutError("");
    }
    co_return future;
    // kata: skeleton co_return nullptr;
    // kata: end
}

}  // namespace py::asyncio
