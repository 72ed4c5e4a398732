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
    PY_KATA_TODO("§6");
}

namespace {
std::atomic<int> executor_counter{0};  // names the executors: ThreadPoolExecutor-N
}  // namespace

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<int> max_workers,
                                       std::string thread_name_prefix)
    : impl_(std::make_shared<Impl>()) {
    PY_KATA_TODO("§6");
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
    PY_KATA_TODO_NOEXCEPT("§6");
}

void ThreadPoolExecutor::submit_core(const std::shared_ptr<FutureCore>& future,
                                     std::function<std::function<void()>()> task) {
    PY_KATA_TODO("§6");
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
    PY_KATA_TODO("§6");
}

int ThreadPoolExecutor::max_workers() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§6");
    return 0;
}

std::size_t ThreadPoolExecutor::thread_count() const {
    PY_KATA_TODO("§6");
}

std::vector<std::string> ThreadPoolExecutor::thread_names() const {
    PY_KATA_TODO("§6");
}

double ThreadPoolExecutor::monotonic() noexcept {
    PY_KATA_TODO_NOEXCEPT("§6");
    return 0;
}

}  // namespace py::concurrent
