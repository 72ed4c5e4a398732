// py::asyncio's module-level state and bookkeeping (given, not a kata): the running loop and the
// current task per thread, handles, the exception handler, names and reprs.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>
#include <typeinfo>

#include "loop_impl.hpp"

namespace py::asyncio {

namespace {
// initial-exec: read on every task step; the chapter is a shared library loaded with the program
// (never dlopen'ed), so these need no call to __tls_get_addr.
[[gnu::tls_model("initial-exec")]] constinit thread_local EventLoop* running_loop = nullptr;
[[gnu::tls_model("initial-exec")]] constinit thread_local TaskBase* running_task = nullptr;
thread_local std::shared_ptr<EventLoop> thread_loop;  // set_event_loop / get_event_loop
std::atomic<unsigned long> task_counter{0};

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const py::BaseException& e) {
        return e.formatted();
    } catch (const std::exception& e) {
        return std::string(typeid(e).name()) + ": " + e.what();
    } catch (...) {
        return "unknown exception";
    }
}
}  // namespace

void set_running_loop(EventLoop* loop) noexcept {
    running_loop = loop;
}
void enter_task(TaskBase* task) noexcept {
    running_task = task;
}
void leave_task(TaskBase* /*task*/) noexcept {
    running_task = nullptr;
}
TaskBase* current_task() noexcept {
    return running_task;
}

EventLoop* running_loop_or_null() noexcept {
    return running_loop;
}
EventLoop& get_running_loop() {
    if (running_loop == nullptr) {
        throw RuntimeError("no running event loop");
    }
    return *running_loop;
}
std::shared_ptr<EventLoop> new_event_loop() {
    return std::make_shared<EventLoop>();
}
void set_event_loop(std::shared_ptr<EventLoop> loop) {
    thread_loop = std::move(loop);
}
EventLoop& get_event_loop() {
    if (running_loop != nullptr) {
        return *running_loop;
    }
    if (!thread_loop) {
        thread_loop = new_event_loop();
    }
    return *thread_loop;
}

std::string next_task_name() {
    return "Task-" + std::to_string(++task_counter);
}

void Handle::cancel() {
    if (!state_ || state_->cancelled) {
        return;
    }
    state_->cancelled = true;
    state_->callback = nullptr;  // drop what it captured now, as Handle.cancel does
    if (state_->scheduled && state_->loop != nullptr) {
        ++state_->loop->impl().timer_cancelled_count;
    }
}

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {
    impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) {
        throw OSError(std::string("cannot create the event loop: ") + std::strerror(errno));
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = impl_->wake_fd;
    ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &event);
}

EventLoop::~EventLoop() {
    // First wait for the executor's threads: what they finish is handed to this loop.
    impl_->default_executor.reset();
    // Callbacks may hold the last references to tasks, whose destructors report to this loop:
    // drop them while the loop is still whole.
    // A task blocked on a future and that future's wakeup callback hold each other (Python's
    // cycle collector frees such pairs): cut the future's callbacks so both can go, reported.
    for (auto& weak : impl_->tasks) {
        if (auto task = weak.lock(); task && !task->done() && task->fut_waiter_) {
            task->fut_waiter_->callbacks_.clear();
            task->fut_waiter_.reset();
        }
    }
    impl_->ready.clear();
    impl_->scheduled.clear();
    impl_->fds.clear();
    {
        std::lock_guard<std::mutex> guard(impl_->threadsafe_mutex);
        impl_->threadsafe.clear();
    }
    if (impl_->epoll_fd >= 0) {
        ::close(impl_->epoll_fd);
    }
    if (impl_->wake_fd >= 0) {
        ::close(impl_->wake_fd);
    }
}

double EventLoop::monotonic() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

bool EventLoop::is_running() const {
    return impl_->running;
}
bool EventLoop::is_closed() const {
    return impl_->closed;
}
void EventLoop::stop() {
    impl_->stopping = true;
}
void EventLoop::set_debug(bool enabled) {
    impl_->debug = enabled;
}
bool EventLoop::get_debug() const {
    return impl_->debug;
}
std::size_t EventLoop::ready_count() const {
    return impl_->ready.size();
}
std::size_t EventLoop::scheduled_count() const {
    return impl_->scheduled.size();
}
std::size_t EventLoop::registered_fd_count() const {
    return impl_->fds.size();
}

void EventLoop::close() {
    if (impl_->running) {
        throw RuntimeError("Cannot close a running event loop");
    }
    if (impl_->closed) {
        return;
    }
    impl_->closed = true;
    impl_->ready.clear();
    impl_->scheduled.clear();
    impl_->tracer.reset();  // the trace ends with the loop: its JSON is finished
}

// BaseEventLoop.shutdown_default_executor: CPython joins the executor on a helper thread while
// the loop runs on; we join it here, which is the same when nothing it runs waits for the loop.
void EventLoop::shutdown_default_executor() {
    impl_->executor_shutdown_called = true;
    impl_->default_executor.reset();  // ThreadPoolExecutor's destructor: shutdown(wait=True)
    impl_->calls.clear();             // every worker has let go of its calls
}

void EventLoop::keep_until_released(std::shared_ptr<concurrent::FutureCore> call) {
    // A call only the loop still holds is done with on every other thread.
    std::erase_if(impl_->calls, [](const auto& kept) { return kept.use_count() == 1; });
    impl_->calls.push_back(std::move(call));
}

void EventLoop::set_exception_handler(ExceptionHandler handler) {
    impl_->handler = std::move(handler);
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
    std::string text =
        context.message.empty() ? "Unhandled exception in event loop" : context.message;
    if (context.exception) {
        text += "\n" + describe(context.exception);
    }
    std::fprintf(stderr, "%s\n", text.c_str());
}

void EventLoop::call_exception_handler(const ExceptionContext& context) {
    if (!impl_->handler) {
        default_exception_handler(context);
        return;
    }
    try {
        impl_->handler(*this, context);
    } catch (...) {
        // As in asyncio: an error in the handler itself goes to the default handler.
        default_exception_handler(
            {"Unhandled error in exception handler", std::current_exception()});
    }
}

void run_prepare() {
    if (running_loop != nullptr) {
        throw RuntimeError("asyncio.run() cannot be called from a running event loop");
    }
}

// asyncio.runners._cancel_all_tasks, then close.
void run_cleanup(EventLoop& loop) {
    std::vector<std::shared_ptr<TaskBase>> left;
    for (auto& weak : loop.impl().tasks) {
        if (auto task = weak.lock(); task && !task->done()) {
            left.push_back(task);
        }
    }
    for (auto& task : left) {
        task->cancel();
    }
    auto all_done = [&] {
        for (auto& task : left) {
            if (!task->done()) {
                return false;
            }
        }
        return true;
    };
    while (!all_done() && !loop.is_closed()) {
        EventLoop* previous = running_loop;
        set_running_loop(&loop);
        loop.run_once();
        set_running_loop(previous);
    }
    for (auto& task : left) {
        if (!task->cancelled()) {
            if (std::exception_ptr e = task->exception()) {
                loop.call_exception_handler(
                    {"unhandled exception during asyncio.run() shutdown", e});
            }
        }
    }
    left.clear();
    loop.shutdown_default_executor();
    loop.close();
}

std::string FutureBase::repr() const {
    std::ostringstream out;
    out << "<Future "
        << (state_ == State::Pending     ? "pending"
            : state_ == State::Cancelled ? "cancelled"
                                         : "finished")
        << ">";
    return out.str();
}

std::string TaskBase::repr() const {
    std::ostringstream out;
    out << "<Task "
        << (state_ == State::Pending     ? "pending"
            : state_ == State::Cancelled ? "cancelled"
                                         : "finished")
        << " name='" << name_ << "'>";
    return out.str();
}

const char* FutureBase::state_name() const {
    switch (state_) {
        case State::Pending:
            return "PENDING";
        case State::Cancelled:
            return "CANCELLED";
        case State::Finished:
            return "FINISHED";
    }
    return "?";
}

void raise_pending_in_task() {
    if (running_task != nullptr) {
        if (std::exception_ptr pending = running_task->take_pending()) {
            std::rethrow_exception(pending);
        }
    }
}

void FutureWait::suspend(const std::shared_ptr<FutureBase>& future,
                         std::coroutine_handle<> handle) {
    if (running_task == nullptr) {
        throw RuntimeError("a Future can only be awaited inside a Task (see create_task)");
    }
    running_task->suspend_on(future, handle);
}

}  // namespace py::asyncio
