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
    // kata: begin step23 §8
    try {
        if (task != nullptr) {
            task->step();
        } else {
            callback();
        }
    } catch (...) {
        loop.call_exception_handler({"Exception in callback", std::current_exception()});
    }
    // kata: skeleton if (task != nullptr) {
    // kata: skeleton     task->step();
    // kata: skeleton } else {
    // kata: skeleton     callback();
    // kata: skeleton }
    // kata: end
}

}  // namespace

Handle EventLoop::call_soon(Callback callback) {
    check_closed(*impl_);
    auto handle = make_handle(*this, std::move(callback));
    // kata: begin step21 §8
    impl_->ready.push_back(handle);
    // kata: end
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
    // kata: begin step22 §8
    handle->sequence = ++impl_->sequence;
    handle->scheduled = true;
    impl_->scheduled.push_back(handle);
    std::push_heap(impl_->scheduled.begin(), impl_->scheduled.end(), later_than);
    // kata: end
    return Handle(handle);
}

Handle EventLoop::call_soon_threadsafe(Callback callback) {
    check_closed(*impl_);
    auto handle = make_handle(*this, std::move(callback));
    // kata: begin step24 §8
    {
        std::lock_guard<std::mutex> guard(impl_->threadsafe_mutex);
        impl_->threadsafe.push_back(handle);
    }
    const std::uint64_t one = 1;
    // The loop may be blocked in epoll_wait: the eventfd wakes it (BaseEventLoop._write_to_self).
    ssize_t written = ::write(impl_->wake_fd, &one, sizeof one);
    (void)written;  // EAGAIN: the counter is already non-zero, the loop will wake anyway
    // kata: end
    return Handle(handle);
}

namespace {

void update_registration(EventLoop::Impl& impl, int fd) {
    auto it = impl.fds.find(fd);
    std::uint32_t wanted = 0;
    if (it != impl.fds.end()) {
        wanted = (it->second.reader ? EPOLLIN : 0U) | (it->second.writer ? EPOLLOUT : 0U);
    }
    // kata: begin step40 §10
    std::uint32_t had = it != impl.fds.end() ? it->second.registered : 0;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    int op = had == 0 ? EPOLL_CTL_ADD : (wanted == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
    if (had == 0 && wanted == 0) {
        return;
    }
    if (::epoll_ctl(impl.epoll_fd, op, fd, &event) != 0 && op != EPOLL_CTL_DEL) {
        throw OSError(std::string("epoll_ctl: ") + std::strerror(errno));
    }
    // kata: end
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
    // kata: begin step22 §8 replace
    // Purge cancelled timers: all of them when they are many, else those at the head.
    std::size_t count = impl.scheduled.size();
    if (count > min_scheduled_timer_handles &&
        static_cast<double>(impl.timer_cancelled_count) / static_cast<double>(count) >
            min_cancelled_timer_handles_fraction) {
        std::erase_if(impl.scheduled, [](const auto& h) {
            if (h->cancelled) {
                h->scheduled = false;
            }
            return h->cancelled;
        });
        std::make_heap(impl.scheduled.begin(), impl.scheduled.end(), later_than);
        impl.timer_cancelled_count = 0;
    } else {
        while (!impl.scheduled.empty() && impl.scheduled.front()->cancelled) {
            --impl.timer_cancelled_count;
            std::pop_heap(impl.scheduled.begin(), impl.scheduled.end(), later_than);
            impl.scheduled.back()->scheduled = false;
            impl.scheduled.pop_back();
        }
    }
    // kata: skeleton // §8: purge cancelled timers from the heap.
    // kata: end

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
    // kata: begin step40 §10 replace
    std::array<epoll_event, 128> events{};
    int n = ::epoll_wait(impl.epoll_fd, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == impl.wake_fd) {
            std::uint64_t drained = 0;
            ssize_t got = ::read(impl.wake_fd, &drained, sizeof drained);
            (void)got;
            continue;
        }
        auto it = impl.fds.find(fd);
        if (it == impl.fds.end()) {
            continue;
        }
        // Errors and hang-ups wake both sides, as the selector reports them readable/writable.
        std::uint32_t mask = events[i].events;
        if ((mask & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 && it->second.reader) {
            impl.ready.push_back(it->second.reader);
        }
        if ((mask & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 && it->second.writer) {
            impl.ready.push_back(it->second.writer);
        }
    }
    // kata: skeleton // §10: wait for I/O (epoll_wait) at most timeout_ms, and queue the callbacks.
    // kata: skeleton (void)timeout_ms;
    // kata: end
    traced_wait.end();
    {
        std::lock_guard<std::mutex> guard(impl.threadsafe_mutex);
        for (auto& handle : impl.threadsafe) {
            impl.ready.push_back(std::move(handle));
        }
        impl.threadsafe.clear();
    }

    // kata: begin step22 §8 replace
    // Timers due within the clock's resolution are ready now.
    const double end_time = time() + impl.clock_resolution;
    while (!impl.scheduled.empty() && impl.scheduled.front()->when < end_time) {
        std::pop_heap(impl.scheduled.begin(), impl.scheduled.end(), later_than);
        std::shared_ptr<HandleState> handle = std::move(impl.scheduled.back());
        impl.scheduled.pop_back();
        handle->scheduled = false;
        impl.ready.push_back(std::move(handle));
    }
    // kata: skeleton // §8: move the timers that are due to the ready queue.
    // kata: end

    // kata: begin step21 §8
    // Only the callbacks ready now: those they schedule wait for the next iteration.
    std::size_t ntodo = impl.ready.size();
    for (std::size_t i = 0; i < ntodo; ++i) {
        Ready entry = std::move(impl.ready.front());
        impl.ready.pop_front();
        if (entry.handle && entry.handle->cancelled) {
            continue;
        }
        if (impl.debug) {
            double started = time();
            run_handle(*this, entry);
            double took = time() - started;
            if (took >= slow_callback_duration) {
                char text[96];
                std::snprintf(text, sizeof text, "Executing <Handle> took %.3f seconds", took);
                call_exception_handler({text, nullptr});
            }
        } else {
            run_handle(*this, entry);
        }
    }
    // kata: end
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
    // kata: begin step21 §8
    for (;;) {
        run_once();
        if (impl_->stopping) {
            break;
        }
    }
    // kata: end
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
