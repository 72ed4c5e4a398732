// py::asyncio::EventLoop: BaseEventLoop on epoll (chapters/11-coroutines/README.md §8).
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "loop_impl.hpp"
#include "py/kata.hpp"
#include "trace.hpp"

namespace py::asyncio {

namespace {

std::shared_ptr<HandleState> make_handle(EventLoop& loop, Callback callback) {
    // From the thread's block pool: one per call_soon, so one per task step (py/block_pool.hpp).
    auto handle = std::allocate_shared<HandleState>(detail::PoolAllocator<HandleState>{});
    handle->callback = std::move(callback);
    handle->loop = &loop;
    return handle;
}

void check_closed(const EventLoop::Impl& impl) {
    if (impl.closed) {
        throw RuntimeError("Event loop is closed");
    }
}

// Runs one entry of the ready queue, a handle or a task's step; an exception goes to the
// exception handler and the loop goes on.
[[maybe_unused]] void run_handle(EventLoop& loop, Ready& entry) {
    EventLoop::Impl& impl = loop.impl();
    TaskBase* task = entry.task.get();
    Callback callback;
    if (task != nullptr) {
        impl.stepping = std::move(entry.task);  // see call_step_soon
    } else {
        // A reader or writer stays registered and runs again: call a copy of its callback.
        HandleState& handle = *entry.handle;
        callback = handle.persistent ? handle.callback : std::move(handle.callback);
        if (!handle.persistent) {
            handle.callback = nullptr;
        }
        if (!callback) {
            return;
        }
    }
    // Drops the task after its step (unless the step handed it on), also when an exception
    // handler raises.
    struct Release {
        std::shared_ptr<TaskBase>& held;
        ~Release() { held.reset(); }
    } release{impl.stepping};
    TracedHandle traced(loop, entry.handle.get());  // its slice in the loop's trace (given, §9)
    PY_KATA_TODO("§8");
    if (task != nullptr) {
        task->step();
    } else {
        callback();
    }
}

}  // namespace

Handle EventLoop::call_soon(Callback callback) {
    check_closed(*impl_);
    auto handle = make_handle(*this, std::move(callback));
    PY_KATA_TODO("§8");
    return Handle(handle);
}

void call_step_soon(EventLoop& loop, std::shared_ptr<TaskBase> task) {
    check_closed(loop.impl());
    loop.impl().ready.emplace_back(std::move(task));
}

void call_step_soon(EventLoop& loop, TaskBase& task) {
    EventLoop::Impl& impl = loop.impl();
    // The step running now yields: its reference moves on, with no atomic count up and down.
    if (impl.stepping.get() == &task) {
        call_step_soon(loop, std::move(impl.stepping));
    } else {
        call_step_soon(loop, std::static_pointer_cast<TaskBase>(task.shared_from_this()));
    }
}

Handle EventLoop::call_later(double delay, Callback callback) {
    return call_at(time() + delay, std::move(callback));
}

Handle EventLoop::call_at(double when, Callback callback) {
    check_closed(*impl_);
    auto handle = make_handle(*this, std::move(callback));
    handle->when = when;
    PY_KATA_TODO("§8");
    return Handle(handle);
}

Handle EventLoop::call_soon_threadsafe(Callback callback) {
    check_closed(*impl_);
    auto handle = make_handle(*this, std::move(callback));
    PY_KATA_TODO("§8");
    return Handle(handle);
}

namespace {

void update_registration(EventLoop::Impl& impl, int fd) {
    auto it = impl.fds.find(fd);
    std::uint32_t wanted = 0;
    if (it != impl.fds.end()) {
        wanted = (it->second.reader ? EPOLLIN : 0U) | (it->second.writer ? EPOLLOUT : 0U);
    }
    PY_KATA_TODO("§10");
    if (wanted == 0) {
        impl.fds.erase(fd);
    } else {
        it->second.registered = wanted;
    }
}

}  // namespace

void EventLoop::add_reader(int fd, Callback callback) {
    check_closed(*impl_);
    impl_->fds[fd].reader = make_handle(*this, std::move(callback));
    impl_->fds[fd].reader->persistent = true;
    update_registration(*impl_, fd);
}

bool EventLoop::remove_reader(int fd) {
    auto it = impl_->fds.find(fd);
    if (it == impl_->fds.end() || !it->second.reader) {
        return false;
    }
    it->second.reader->cancelled = true;
    it->second.reader.reset();
    update_registration(*impl_, fd);
    return true;
}

void EventLoop::add_writer(int fd, Callback callback) {
    check_closed(*impl_);
    impl_->fds[fd].writer = make_handle(*this, std::move(callback));
    impl_->fds[fd].writer->persistent = true;
    update_registration(*impl_, fd);
}

bool EventLoop::remove_writer(int fd) {
    auto it = impl_->fds.find(fd);
    if (it == impl_->fds.end() || !it->second.writer) {
        return false;
    }
    it->second.writer->cancelled = true;
    it->second.writer.reset();
    update_registration(*impl_, fd);
    return true;
}

void EventLoop::run_once() {
    Impl& impl = *impl_;
    // §8: purge cancelled timers from the heap.

    // How long to block: not at all with work ready, until the first timer, or indefinitely.
    int timeout_ms = -1;
    {
        std::lock_guard<std::mutex> guard(impl.threadsafe_mutex);
        if (!impl.ready.empty() || impl.stopping || !impl.threadsafe.empty()) {
            timeout_ms = 0;
        }
    }
    if (timeout_ms != 0 && !impl.scheduled.empty()) {
        double timeout =
            std::min(std::max(0.0, impl.scheduled.front()->when - time()), maximum_select_timeout);
        timeout_ms = static_cast<int>(std::ceil(timeout * 1000.0));
    }

    TracedWait traced_wait(*this, timeout_ms);  // the "select" slice of the trace (given, §9)
    // §10: wait for I/O (epoll_wait) at most timeout_ms, and queue the callbacks.
    (void)timeout_ms;
    traced_wait.end();
    {
        std::lock_guard<std::mutex> guard(impl.threadsafe_mutex);
        for (auto& handle : impl.threadsafe) {
            impl.ready.push_back(std::move(handle));
        }
        impl.threadsafe.clear();
    }

    // §8: move the timers that are due to the ready queue.

    PY_KATA_TODO("§8");
}

void EventLoop::run_forever() {
    check_closed(*impl_);
    if (impl_->running) {
        throw RuntimeError("This event loop is already running");
    }
    if (running_loop_or_null() != nullptr) {
        throw RuntimeError("Cannot run the event loop while another loop is running");
    }
    impl_->running = true;
    set_running_loop(this);
    struct Restore {
        EventLoop::Impl& impl;
        ~Restore() {
            impl.stopping = false;
            impl.running = false;
            set_running_loop(nullptr);
        }
    } restore{*impl_};
    PY_KATA_TODO("§8");
}

void EventLoop::run_until_done(const std::shared_ptr<FutureBase>& future) {
    check_closed(*impl_);
    if (!future->done()) {
        future->add_done_callback([](FutureBase& done) { done.get_loop().stop(); });
        run_forever();
    }
    if (!future->done()) {
        throw RuntimeError("Event loop stopped before Future completed.");
    }
}

}  // namespace py::asyncio
