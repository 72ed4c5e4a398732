// kata: begin replace
// concurrent.futures: Future, wait, as_completed (_base.py) and ThreadPoolExecutor (thread.py).
// kata: skeleton // concurrent.futures: write Future's state machine, wait, as_completed and the thread pool here
// kata: skeleton // (lesson §5, §6).
// kata: end
#include "py/concurrent.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "py/gil.hpp"
#include "py/threading.hpp"
// kata: skeleton #include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::concurrent {
// kata: begin replace
namespace {

using Clock = std::chrono::steady_clock;

bool is_done_for_waiters(FutureState state) {
    return state == FutureState::CancelledAndNotified || state == FutureState::Finished;
}

bool is_done(FutureState state) {
    return state == FutureState::Cancelled || is_done_for_waiters(state);
}

Clock::time_point deadline_after(double seconds) {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// _base.py's waiters, one class for every return_when (and for as_completed).
class EventWaiter : public Waiter {
  public:
    enum class Mode { FirstCompleted, FirstException, AllCompleted, AsCompleted };
    explicit EventWaiter(Mode mode) : mode_(mode) {}

    void add_result(FutureCore* future) override { event(future, false); }
    void add_exception(FutureCore* future) override { event(future, true); }
    void add_cancelled(FutureCore* future) override { event(future, false); }

    // The waiting thread adds the futures it installed itself on.
    void expect(long installed) {
        std::lock_guard lock(mutex_);
        pending_ += installed;
        set_ = set_ || pending_ == 0;
    }

    // Waits until the event is set or the deadline passes; true if set.
    bool wait_until(std::optional<Clock::time_point> deadline) {
        std::unique_lock lock(mutex_);
        if (deadline) {
            return cond_.wait_until(lock, *deadline, [&] { return set_; });
        }
        cond_.wait(lock, [&] { return set_; });
        return true;
    }

    // as_completed: takes the futures finished since the last call and resets the event.
    std::vector<FutureCore*> take_finished() {
        std::lock_guard lock(mutex_);
        std::vector<FutureCore*> finished;
        finished.swap(finished_);
        set_ = false;
        return finished;
    }

  private:
    void event(FutureCore* future, bool exception) {
        std::lock_guard lock(mutex_);
        finished_.push_back(future);
        --pending_;
        const bool any = mode_ == Mode::FirstCompleted || mode_ == Mode::AsCompleted;
        set_ = set_ || any || (exception && mode_ == Mode::FirstException) || pending_ == 0;
        cond_.notify_all();
    }

    Mode mode_;
    std::mutex mutex_;
    std::condition_variable cond_;
    bool set_ = false;
    long pending_ = 0;
    std::vector<FutureCore*> finished_;
};

}  // namespace
// kata: end

const char* state_name(FutureState state) noexcept {
    // kata: begin §5 noexcept
    switch (state) {
        case FutureState::Pending:
            return "PENDING";
        case FutureState::Running:
            return "RUNNING";
        case FutureState::Cancelled:
            return "CANCELLED";
        case FutureState::CancelledAndNotified:
            return "CANCELLED_AND_NOTIFIED";
        case FutureState::Finished:
            break;
    }
    return "FINISHED";
    // kata: skeleton return "";
    // kata: end
}

// kata: begin replace
struct FutureCore::Impl {
    mutable std::mutex mutex;
    std::condition_variable changed;
    FutureState state = FutureState::Pending;
    std::exception_ptr exception;
    std::vector<Callback> callbacks;
    std::vector<std::shared_ptr<Waiter>> waiters;
    // kata: skeleton // The future's state: a mutex, a condition variable, the state, the exception, callbacks and
    // kata: skeleton // installed waiters.
    // kata: skeleton struct FutureCore::Impl {};
    // kata: end

    // kata: begin replace
    std::string repr_locked(const void* self) const {
        std::ostringstream out;
        out << "<Future at " << self << " state=";
        switch (state) {
            case FutureState::Pending:
                out << "pending";
                break;
            case FutureState::Running:
                out << "running";
                break;
            case FutureState::Cancelled:
            case FutureState::CancelledAndNotified:
                out << "cancelled";
                break;
            case FutureState::Finished:
                out << "finished " << (exception ? "raised" : "returned");
                break;
        }
        out << ">";
        return out.str();
    }

    // Waits (without the GIL) until the future is done; false on timeout.
    bool wait_done(std::unique_lock<std::mutex>& lock, std::optional<double> timeout) {
        if (!timeout) {
            changed.wait(lock, [&] { return is_done(state); });
            return true;
        }
        return changed.wait_until(lock, deadline_after(std::max(*timeout, 0.0)),
                                  [&] { return is_done(state); });
    }
};

FutureCore::FutureCore() : impl_(std::make_unique<Impl>()) {}
// kata: skeleton FutureCore::FutureCore() {
// kata: skeleton PY_KATA_TODO("§5");
// kata: skeleton }
// kata: end

FutureCore::~FutureCore() = default;

// kata: begin replace
namespace {
void invoke_callbacks(FutureCore& future, const std::vector<FutureCore::Callback>& callbacks) {
    for (const auto& callback : callbacks) {
        try {
            callback(future);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "exception calling callback for %s: %s\n", future.repr().c_str(),
                         e.what());
        }
    }
}
}  // namespace

// kata: end
bool FutureCore::cancel() {
    // kata: begin §5
    std::vector<Callback> callbacks;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->state == FutureState::Running || impl_->state == FutureState::Finished) {
            return false;
        }
        if (impl_->state != FutureState::Pending) {
            return true;
        }
        impl_->state = FutureState::Cancelled;
        callbacks.swap(impl_->callbacks);
    }
    impl_->changed.notify_all();
    invoke_callbacks(*this, callbacks);
    return true;
    // kata: end
}

bool FutureCore::cancelled() const {
    // kata: begin §5
    const auto s = state();
    return s == FutureState::Cancelled || s == FutureState::CancelledAndNotified;
    // kata: end
}

bool FutureCore::running() const {
    // kata: begin §5
    return state() == FutureState::Running;
    // kata: end
}

bool FutureCore::done() const {
    // kata: begin §5
    return is_done(state());
    // kata: end
}

FutureState FutureCore::state() const {
    // kata: begin §5
    std::lock_guard lock(impl_->mutex);
    return impl_->state;
    // kata: end
}

void FutureCore::wait_result(std::optional<double> timeout) {
    // kata: begin §5
    if (auto error = exception(timeout)) {
        std::rethrow_exception(error);
    }
    // kata: end
}

std::exception_ptr FutureCore::exception(std::optional<double> timeout) {
    // kata: begin §5
    gil::Release no_gil;
    std::unique_lock lock(impl_->mutex);
    if (!impl_->wait_done(lock, timeout)) {
        throw TimeoutError("");
    }
    if (impl_->state != FutureState::Finished) {
        throw CancelledError("");
    }
    return impl_->exception;
    // kata: end
}

void FutureCore::add_done_callback(Callback callback) {
    // kata: begin §5
    {
        std::lock_guard lock(impl_->mutex);
        if (!is_done(impl_->state)) {
            impl_->callbacks.push_back(std::move(callback));
            return;
        }
    }
    std::vector<Callback> now;
    now.push_back(std::move(callback));
    invoke_callbacks(*this, now);
    // kata: end
}

bool FutureCore::set_running_or_notify_cancel() {
    // kata: begin §5
    std::lock_guard lock(impl_->mutex);
    if (impl_->state == FutureState::Cancelled) {
        impl_->state = FutureState::CancelledAndNotified;
        for (const auto& waiter : impl_->waiters) {
            waiter->add_cancelled(this);
        }
        return false;
    }
    if (impl_->state == FutureState::Pending) {
        impl_->state = FutureState::Running;
        return true;
    }
    throw RuntimeError("Future in unexpected state");
    // kata: end
}

void FutureCore::set_result_with(const std::function<void()>& store) {
    // kata: begin §5
    std::vector<Callback> callbacks;
    {
        std::lock_guard lock(impl_->mutex);
        if (is_done(impl_->state)) {
            throw InvalidStateError(std::string(state_name(impl_->state)) + ": " +
                                    impl_->repr_locked(this));
        }
        store();
        impl_->state = FutureState::Finished;
        for (const auto& waiter : impl_->waiters) {
            waiter->add_result(this);
        }
        callbacks.swap(impl_->callbacks);
    }
    impl_->changed.notify_all();
    invoke_callbacks(*this, callbacks);
    // kata: end
}

void FutureCore::set_exception(std::exception_ptr exception) {
    // kata: begin §5
    std::vector<Callback> callbacks;
    {
        std::lock_guard lock(impl_->mutex);
        if (is_done(impl_->state)) {
            throw InvalidStateError(std::string(state_name(impl_->state)) + ": " +
                                    impl_->repr_locked(this));
        }
        impl_->exception = std::move(exception);
        impl_->state = FutureState::Finished;
        for (const auto& waiter : impl_->waiters) {
            waiter->add_exception(this);
        }
        callbacks.swap(impl_->callbacks);
    }
    impl_->changed.notify_all();
    invoke_callbacks(*this, callbacks);
    // kata: end
}

std::string FutureCore::repr() const {
    // kata: begin §5
    std::lock_guard lock(impl_->mutex);
    return impl_->repr_locked(this);
    // kata: end
}

bool FutureCore::install_waiter(const std::shared_ptr<Waiter>& waiter) {
    // kata: begin §5
    std::lock_guard lock(impl_->mutex);
    if (is_done_for_waiters(impl_->state)) {
        return true;
    }
    impl_->waiters.push_back(waiter);
    return false;
    // kata: end
}

void FutureCore::remove_waiter(const std::shared_ptr<Waiter>& waiter) {
    // kata: begin §5
    std::lock_guard lock(impl_->mutex);
    auto& waiters = impl_->waiters;
    waiters.erase(std::remove(waiters.begin(), waiters.end(), waiter), waiters.end());
    // kata: end
}

std::vector<std::size_t> wait_cores(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                    std::optional<double> timeout, ReturnWhen return_when) {
    // kata: begin §5
    const auto deadline =
        timeout ? std::optional(deadline_after(std::max(*timeout, 0.0))) : std::nullopt;
    auto mode = EventWaiter::Mode::AllCompleted;
    if (return_when == FIRST_COMPLETED) {
        mode = EventWaiter::Mode::FirstCompleted;
    } else if (return_when == FIRST_EXCEPTION) {
        mode = EventWaiter::Mode::FirstException;
    }
    auto waiter = std::make_shared<EventWaiter>(mode);
    std::vector<FutureCore*> installed;
    bool any_done = false;
    bool any_exception = false;
    for (const auto& future : futures) {
        if (std::find(installed.begin(), installed.end(), future.get()) != installed.end()) {
            continue;
        }
        if (future->install_waiter(waiter)) {
            any_done = true;
            any_exception = any_exception || (!future->cancelled() && future->exception(0));
        } else {
            installed.push_back(future.get());
        }
    }
    const bool ready = installed.empty() ||
                       (mode == EventWaiter::Mode::FirstCompleted && any_done) ||
                       (mode == EventWaiter::Mode::FirstException && any_exception);
    if (!ready) {
        waiter->expect(static_cast<long>(installed.size()));
        gil::Release no_gil;
        waiter->wait_until(deadline);
    }
    for (FutureCore* future : installed) {
        future->remove_waiter(waiter);
    }
    std::vector<std::size_t> done;
    for (std::size_t i = 0; i < futures.size(); ++i) {
        if (is_done_for_waiters(futures[i]->state())) {
            done.push_back(i);
        }
    }
    return done;
    // kata: end
}

// kata: begin replace
struct AsCompletedCore::Impl {
    std::vector<std::shared_ptr<FutureCore>> futures;  // distinct
    std::map<FutureCore*, std::size_t> index;          // first index in the caller's vector
    std::shared_ptr<EventWaiter> waiter =
        std::make_shared<EventWaiter>(EventWaiter::Mode::AsCompleted);
    std::deque<std::size_t> ready;
    std::size_t pending = 0;
    std::optional<Clock::time_point> deadline;
};
// kata: skeleton // as_completed's state: the distinct futures, their indexes, a waiter, the ready queue, the
// kata: skeleton // deadline.
// kata: skeleton struct AsCompletedCore::Impl {};
// kata: end

AsCompletedCore::AsCompletedCore(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                 // kata: begin replace
                                 std::optional<double> timeout)
    : impl_(std::make_unique<Impl>()) {
    if (timeout) {
        impl_->deadline = deadline_after(std::max(*timeout, 0.0));
    }
    for (std::size_t i = 0; i < futures.size(); ++i) {
        FutureCore* future = futures[i].get();
        if (!impl_->index.emplace(future, i).second) {
            continue;
        }
        impl_->futures.push_back(futures[i]);
        if (future->install_waiter(impl_->waiter)) {
            impl_->ready.push_back(i);
        } else {
            ++impl_->pending;
        }
    }
    // kata: skeleton std::optional<double> timeout) {
    // kata: skeleton PY_KATA_TODO("§5");
    // kata: end
}

// kata: begin replace
AsCompletedCore::~AsCompletedCore() {
    for (const auto& future : impl_->futures) {
        future->remove_waiter(impl_->waiter);
    }
}
// kata: skeleton AsCompletedCore::~AsCompletedCore() = default;
// kata: end

std::optional<std::size_t> AsCompletedCore::next() {
    // kata: begin §5
    while (impl_->ready.empty()) {
        if (impl_->pending == 0) {
            return std::nullopt;
        }
        bool set = false;
        {
            gil::Release no_gil;
            set = impl_->waiter->wait_until(impl_->deadline);
        }
        if (!set) {
            throw TimeoutError(std::to_string(impl_->pending) + " (of " +
                               std::to_string(impl_->futures.size()) + ") futures unfinished");
        }
        for (FutureCore* future : impl_->waiter->take_finished()) {
            impl_->ready.push_back(impl_->index.at(future));
            --impl_->pending;
        }
    }
    const std::size_t next = impl_->ready.front();
    impl_->ready.pop_front();
    return next;
    // kata: end
}

// kata: begin replace
// ---------------------------------------------------------------------------------------------
// ThreadPoolExecutor

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

    // The executor joins its workers before Impl goes away, so they may use a plain pointer.
    static void worker(Impl* self) {
        for (;;) {
            WorkItem item;
            {
                // Before sleeping, give the submitter a moment: a burst of small tasks is then
                // taken without a futex wake-up per task.
                for (int spin = 0;
                     spin < kSpins && self->queued.load(std::memory_order_relaxed) == 0 &&
                     !self->stopping.load(std::memory_order_relaxed);
                     ++spin) {
                    std::this_thread::yield();
                }
                std::unique_lock lock(self->mutex);
                if (self->queue.empty() && !self->shutdown) {
                    ++self->sleeping;
                    self->work_ready.wait(lock,
                                          [&] { return !self->queue.empty() || self->shutdown; });
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
    }
};

namespace {
std::atomic<int> executor_counter{0};
}  // namespace
// kata: skeleton // The executor's state, shared with its workers: queue, mutex, condition variable, idle count,
// kata: skeleton // shutdown flag, threads.
// kata: skeleton struct ThreadPoolExecutor::Impl {};
// kata: end

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<int> max_workers,
                                       // kata: begin replace
                                       std::string thread_name_prefix)
    : impl_(std::make_shared<Impl>()) {
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
    // kata: skeleton std::string thread_name_prefix) {
    // kata: skeleton PY_KATA_TODO("§6");
    // kata: end
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
    // kata: begin §6 noexcept
    shutdown(true);
    // kata: end
}

void ThreadPoolExecutor::submit_core(const std::shared_ptr<FutureCore>& future,
                                     std::function<std::function<void()>()> task) {
    // kata: begin §6
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
    // kata: begin §6
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
    // kata: begin §6 noexcept
    return impl_->max_workers;
    // kata: skeleton return 0;
    // kata: end
}

std::size_t ThreadPoolExecutor::thread_count() const {
    // kata: begin §6
    std::lock_guard lock(impl_->mutex);
    return impl_->threads.size();
    // kata: end
}

std::vector<std::string> ThreadPoolExecutor::thread_names() const {
    // kata: begin §6
    std::lock_guard lock(impl_->mutex);
    std::vector<std::string> names;
    for (const auto& thread : impl_->threads) {
        names.push_back(thread->name());
    }
    return names;
    // kata: end
}

double ThreadPoolExecutor::monotonic() noexcept {
    // kata: begin §6 noexcept
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
    // kata: skeleton return 0;
    // kata: end
}

}  // namespace py::concurrent
