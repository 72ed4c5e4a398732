// concurrent.futures.ThreadPoolExecutor (CPython: Lib/concurrent/futures/thread.py): a work
// queue, worker threads started lazily up to max_workers, and an idle count so that a worker
// that is free is reused before a new one starts.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "futures_internal.hpp"
#include "py/concurrent.hpp"
#include "py/kata.hpp"
#include "py/threading.hpp"

namespace py::concurrent {

struct ThreadPoolExecutor::Impl {
    struct WorkItem {
        std::shared_ptr<FutureCore> future;
        std::function<std::function<void()>()> task;  // runs the call, returns the completion
    };
    std::mutex mutex;
    std::condition_variable work_ready;
    std::deque<WorkItem> queue;
    bool shutdown = false;
    int idle = 0;      // _idle_semaphore's value
    int sleeping = 0;  // workers blocked on work_ready (submit wakes one only if there is one)
    std::atomic<std::size_t> queued{0};  // queue.size(), readable without the mutex
    std::atomic<bool> stopping{false};
    int max_workers = 1;
    std::string prefix;
    std::vector<std::unique_ptr<threading::Thread>> threads;

    static constexpr int kSpins = 256;

    // A worker thread's loop (thread.py's _worker). The executor joins its workers before Impl
    // goes away, so they may use a plain pointer.
    static void worker(Impl* self);
};

void ThreadPoolExecutor::Impl::worker(Impl* self) {
    // kata: begin step22 step26 step32 §6
    for (;;) {
        WorkItem item;
        {
            // Before sleeping, give the submitter a moment: a burst of small tasks is then
            // taken without a futex wake-up per task.
            for (int spin = 0; spin < kSpins && self->queued.load(std::memory_order_relaxed) == 0 &&
                               !self->stopping.load(std::memory_order_relaxed);
                 ++spin) {
                std::this_thread::yield();
            }
            std::unique_lock lock(self->mutex);
            if (self->queue.empty() && !self->shutdown) {
                ++self->sleeping;
                self->work_ready.wait(lock, [&] { return !self->queue.empty() || self->shutdown; });
                --self->sleeping;
            }
            if (self->queue.empty()) {
                return;
            }
            item = std::move(self->queue.front());
            self->queue.pop_front();
            self->queued.store(self->queue.size(), std::memory_order_relaxed);
        }
        if (!item.future->set_running_or_notify_cancel()) {
            std::lock_guard lock(self->mutex);
            ++self->idle;
            continue;
        }
        std::function<void()> complete;
        std::exception_ptr error;
        try {
            complete = item.task();
        } catch (...) {
            error = std::current_exception();
        }
        {
            // _idle_semaphore.release(), before the future completes: whoever sees the
            // result and submits again finds this worker idle.
            std::lock_guard lock(self->mutex);
            ++self->idle;
        }
        if (error) {
            item.future->set_exception(error);
        } else {
            complete();
        }
    }
    // kata: end
}

namespace {
std::atomic<int> executor_counter{0};  // names the executors: ThreadPoolExecutor-N
}  // namespace

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<int> max_workers,
                                       std::string thread_name_prefix)
    : impl_(std::make_shared<Impl>()) {
    // kata: begin step22 step27 §6
    if (max_workers) {
        if (*max_workers <= 0) {
            throw ValueError("max_workers must be greater than 0");
        }
        impl_->max_workers = *max_workers;
    } else {
        const int cpus = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
        impl_->max_workers = std::min(32, cpus + 4);
    }
    const int number = executor_counter.fetch_add(1);
    impl_->prefix = thread_name_prefix.empty() ? "ThreadPoolExecutor-" + std::to_string(number)
                                               : std::move(thread_name_prefix);
    // kata: end
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
    // kata: begin step22 §6 noexcept
    shutdown(true);
    // kata: end
}

void ThreadPoolExecutor::submit_core(const std::shared_ptr<FutureCore>& future,
                                     std::function<std::function<void()>()> task) {
    // kata: begin step22 step26 step27 step29 §6
    std::lock_guard lock(impl_->mutex);
    if (impl_->shutdown) {
        throw RuntimeError("cannot schedule new futures after shutdown");
    }
    impl_->queue.push_back(Impl::WorkItem{future, std::move(task)});
    impl_->queued.store(impl_->queue.size(), std::memory_order_relaxed);
    if (impl_->sleeping > 0) {
        impl_->work_ready.notify_one();
    }
    // _adjust_thread_count: reuse an idle worker, else start one while below max_workers.
    if (impl_->idle > 0) {
        --impl_->idle;
        return;
    }
    if (static_cast<int>(impl_->threads.size()) < impl_->max_workers) {
        const std::string name = impl_->prefix + "_" + std::to_string(impl_->threads.size());
        auto thread =
            std::make_unique<threading::Thread>([impl = impl_.get()] { Impl::worker(impl); },
                                                threading::ThreadOptions{name, false, {}});
        thread->start();
        impl_->threads.push_back(std::move(thread));
    }
    // kata: end
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
    // kata: begin step22 step28 §6
    std::deque<Impl::WorkItem> cancelled;
    std::vector<threading::Thread*> threads;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->shutdown = true;
        impl_->stopping.store(true, std::memory_order_relaxed);
        if (cancel_futures) {
            cancelled.swap(impl_->queue);
            impl_->queued.store(0, std::memory_order_relaxed);
        }
        for (const auto& thread : impl_->threads) {
            threads.push_back(thread.get());
        }
    }
    impl_->work_ready.notify_all();
    for (auto& item : cancelled) {
        item.future->cancel();
    }
    if (wait) {
        for (auto* thread : threads) {
            thread->join();
        }
    }
    // kata: end
}

int ThreadPoolExecutor::max_workers() const noexcept {
    // kata: begin step26 §6 noexcept
    return impl_->max_workers;
    // kata: skeleton return 0;
    // kata: end
}

std::size_t ThreadPoolExecutor::thread_count() const {
    // kata: begin step26 §6
    std::lock_guard lock(impl_->mutex);
    return impl_->threads.size();
    // kata: end
}

std::vector<std::string> ThreadPoolExecutor::thread_names() const {
    // kata: begin step26 §6
    std::lock_guard lock(impl_->mutex);
    std::vector<std::string> names;
    for (const auto& thread : impl_->threads) {
        names.push_back(thread->name());
    }
    return names;
    // kata: end
}

double ThreadPoolExecutor::monotonic() noexcept {
    // kata: begin step25 §6 noexcept
    return std::chrono::duration<double>(detail::Clock::now().time_since_epoch()).count();
    // kata: skeleton return 0;
    // kata: end
}

}  // namespace py::concurrent
