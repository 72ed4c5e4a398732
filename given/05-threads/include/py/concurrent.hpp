// py::concurrent: concurrent.futures' Future, ThreadPoolExecutor, wait and as_completed
// (CPython: Lib/concurrent/futures/_base.py and thread.py, 3.11).
//
// The typed layer (Future<T>, submit, map) is given: it only stores and returns values. The
// synchronisation lives in the non-template FutureCore, AsCompletedWaiter and the executor's
// Impl, which are the kata.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "py/exceptions.hpp"

namespace py::concurrent {

// concurrent.futures' exceptions. Timeouts raise the built-in py::TimeoutError (3.11).
PY_DECLARE_EXCEPTION(Error, Exception);
PY_DECLARE_EXCEPTION(CancelledError, Error);
PY_DECLARE_EXCEPTION(InvalidStateError, Error);
PY_DECLARE_EXCEPTION(BrokenExecutor, RuntimeError);

// _base.py's states. CancelledAndNotified: cancelled, and the worker that dequeued it knows.
enum class FutureState { Pending, Running, Cancelled, CancelledAndNotified, Finished };
// "PENDING", "RUNNING", "CANCELLED", "CANCELLED_AND_NOTIFIED", "FINISHED".
const char* state_name(FutureState state) noexcept;

class FutureCore;

// The Python class of a result of type T, for a finished future's repr ("returned int").
template <class T>
constexpr const char* python_type_name() noexcept {
    if constexpr (std::is_void_v<T> || std::is_same_v<T, std::monostate>) {
        return "NoneType";
    } else if constexpr (std::is_same_v<T, bool>) {
        return "bool";
    } else if constexpr (std::is_integral_v<T>) {
        return "int";
    } else if constexpr (std::is_floating_point_v<T>) {
        return "float";
    } else if constexpr (std::is_convertible_v<T, std::string_view>) {
        return "str";
    } else {
        return "object";
    }
}

// What wait() and as_completed() install on every future they watch (_base.py's waiters): the
// completing thread appends the future to `finished` and notifies.
struct Waiter {
    virtual ~Waiter() = default;
    virtual void add_result(FutureCore* future) = 0;
    virtual void add_exception(FutureCore* future) = 0;
    virtual void add_cancelled(FutureCore* future) = 0;
};

// The untyped state of a future: its state machine, exception, callbacks and waiters.
class FutureCore : public std::enable_shared_from_this<FutureCore> {
  public:
    using Callback = std::function<void(FutureCore&)>;
    FutureCore();
    virtual ~FutureCore();
    FutureCore(const FutureCore&) = delete;
    FutureCore& operator=(const FutureCore&) = delete;

    // Cancels a PENDING future (true); false if RUNNING or FINISHED; true if already cancelled.
    bool cancel();
    [[nodiscard]] bool cancelled() const;
    [[nodiscard]] bool running() const;
    [[nodiscard]] bool done() const;
    [[nodiscard]] FutureState state() const;

    // Waits until done. CancelledError if cancelled; TimeoutError() after `timeout` seconds;
    // rethrows the task's exception. Drops the GIL while it waits.
    void wait_result(std::optional<double> timeout);
    // The task's exception (nullptr if it returned). CancelledError, TimeoutError as above.
    std::exception_ptr exception(std::optional<double> timeout = std::nullopt);
    // Called with this future when it is done: by the thread that finishes or cancels it, or at
    // once in the caller if it is done already. An exception from a callback is reported on
    // stderr ("exception calling callback for ...") and swallowed.
    void add_done_callback(Callback callback);

    // For executors: PENDING -> RUNNING (true); CANCELLED -> CANCELLED_AND_NOTIFIED (false);
    // otherwise RuntimeError("Future in unexpected state").
    bool set_running_or_notify_cancel();
    // `store` writes the result while the state is locked, then the future is FINISHED.
    // InvalidStateError("FINISHED: ...") if it is done already.
    void set_result_with(const std::function<void()>& store);
    void set_exception(std::exception_ptr exception);
    // "<Future at 0x... state=pending>"; finished: "... state=finished returned int>" or
    // "... state=finished raised ValueError>".
    [[nodiscard]] std::string repr() const;

    // For wait()/as_completed(): under the future's lock, either add `waiter` (returns false) or,
    // if the future is done, report it to the waiter at once (returns true).
    bool install_waiter(const std::shared_ptr<Waiter>& waiter);
    void remove_waiter(const std::shared_ptr<Waiter>& waiter);

    struct Impl;

  protected:
    // The Python class name of the result ("int"); Future<T> knows T, this untyped core does not.
    [[nodiscard]] virtual const char* result_type_name() const noexcept { return "NoneType"; }

  private:
    std::unique_ptr<Impl> impl_;
};

template <class T>
class Future {
    using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
    struct State : FutureCore {
        std::optional<Stored> value;
        [[nodiscard]] const char* result_type_name() const noexcept override {
            return python_type_name<T>();
        }
    };

  public:
    // A new PENDING future, as an executor makes it.
    Future() : state_(std::make_shared<State>()) {}

    bool cancel() { return state_->cancel(); }
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }
    [[nodiscard]] bool running() const { return state_->running(); }
    [[nodiscard]] bool done() const { return state_->done(); }
    [[nodiscard]] FutureState state() const { return state_->state(); }
    // The task's value (see FutureCore::wait_result for the errors).
    T result(std::optional<double> timeout = std::nullopt) const {
        state_->wait_result(timeout);
        if constexpr (!std::is_void_v<T>) {
            return *state_->value;
        }
    }
    [[nodiscard]] std::exception_ptr exception(std::optional<double> timeout = std::nullopt) const {
        return state_->exception(timeout);
    }
    void add_done_callback(std::function<void(Future<T>)> callback) const {
        state_->add_done_callback([callback = std::move(callback)](FutureCore& core) {
            callback(Future<T>(std::static_pointer_cast<State>(core.shared_from_this())));
        });
    }
    bool set_running_or_notify_cancel() const { return state_->set_running_or_notify_cancel(); }
    template <class U = T>
    requires(!std::is_void_v<U>) void set_result(U value) const {
        state_->set_result_with([&] { state_->value.emplace(std::move(value)); });
    }
    template <class U = T>
    requires std::is_void_v<U>
    void set_result() const {
        state_->set_result_with([&] { state_->value.emplace(); });
    }
    void set_exception(const std::exception_ptr& exception) const {
        state_->set_exception(exception);
    }
    [[nodiscard]] std::string repr() const { return state_->repr(); }

    [[nodiscard]] const std::shared_ptr<FutureCore>& core() const noexcept { return core_; }
    friend bool operator==(const Future& a, const Future& b) { return a.state_ == b.state_; }

  private:
    explicit Future(std::shared_ptr<State> state) : state_(std::move(state)), core_(state_) {}
    std::shared_ptr<State> state_;
    std::shared_ptr<FutureCore> core_{state_};
};

// wait()'s return_when.
enum class ReturnWhen { FirstCompleted, FirstException, AllCompleted };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FirstCompleted;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FirstException;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::AllCompleted;

// The untyped part of wait(): indexes of the done futures, in the order given.
std::vector<std::size_t> wait_cores(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                    std::optional<double> timeout, ReturnWhen return_when);

template <class T>
struct DoneAndNotDone {
    std::vector<Future<T>> done;
    std::vector<Future<T>> not_done;
};

// concurrent.futures.wait: returns when the condition holds or `timeout` passes (no error on
// timeout). Drops the GIL while it waits.
template <class T>
DoneAndNotDone<T> wait(const std::vector<Future<T>>& futures,
                       std::optional<double> timeout = std::nullopt,
                       ReturnWhen return_when = ALL_COMPLETED) {
    std::vector<std::shared_ptr<FutureCore>> cores;
    cores.reserve(futures.size());
    for (const auto& future : futures) {
        cores.push_back(future.core());
    }
    const auto done = wait_cores(cores, timeout, return_when);
    DoneAndNotDone<T> result;
    std::vector<bool> is_done(futures.size(), false);
    for (const std::size_t index : done) {
        is_done[index] = true;
    }
    for (std::size_t i = 0; i < futures.size(); ++i) {
        (is_done[i] ? result.done : result.not_done).push_back(futures[i]);
    }
    return result;
}

// The untyped part of as_completed(): yields indexes of futures as they complete (those done
// already first, in the order given), each once, duplicates removed.
class AsCompletedCore {
  public:
    AsCompletedCore(const std::vector<std::shared_ptr<FutureCore>>& futures,
                    std::optional<double> timeout);
    ~AsCompletedCore();
    AsCompletedCore(const AsCompletedCore&) = delete;
    AsCompletedCore& operator=(const AsCompletedCore&) = delete;
    // The next completed future's index, or nullopt when all were yielded.
    // TimeoutError("N (of M) futures unfinished") once the deadline passes.
    std::optional<std::size_t> next();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// concurrent.futures.as_completed: iterate with `while (auto f = it.next())` or a range-for.
template <class T>
class AsCompleted {
  public:
    AsCompleted(std::vector<Future<T>> futures, std::optional<double> timeout)
        : futures_(std::move(futures)), core_(cores(futures_), timeout) {}
    std::optional<Future<T>> next() {
        if (auto index = core_.next()) {
            return futures_[*index];
        }
        return std::nullopt;
    }
    class iterator {
      public:
        explicit iterator(AsCompleted* owner) : owner_(owner) { ++*this; }
        iterator() = default;
        const Future<T>& operator*() const { return *current_; }
        iterator& operator++() {
            current_ = owner_->next();
            if (!current_) {
                owner_ = nullptr;
            }
            return *this;
        }
        bool operator==(const iterator& other) const { return owner_ == other.owner_; }

      private:
        AsCompleted* owner_ = nullptr;
        std::optional<Future<T>> current_;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

  private:
    static std::vector<std::shared_ptr<FutureCore>> cores(const std::vector<Future<T>>& futures) {
        std::vector<std::shared_ptr<FutureCore>> result;
        result.reserve(futures.size());
        for (const auto& future : futures) {
            result.push_back(future.core());
        }
        return result;
    }
    std::vector<Future<T>> futures_;
    AsCompletedCore core_;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> futures,
                            std::optional<double> timeout = std::nullopt) {
    return AsCompleted<T>(std::move(futures), timeout);
}

// concurrent.futures.ThreadPoolExecutor.
class ThreadPoolExecutor {
  public:
    // max_workers: default min(32, os.cpu_count() + 4); ValueError("max_workers must be greater
    // than 0") for <= 0. Workers are named "<prefix>_<n>", the prefix defaulting to
    // "ThreadPoolExecutor-<k>".
    explicit ThreadPoolExecutor(std::optional<int> max_workers = std::nullopt,
                                std::string thread_name_prefix = {});
    // shutdown(wait=true).
    ~ThreadPoolExecutor();
    ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
    ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

    // Schedules fn(args...) and returns its future. RuntimeError("cannot schedule new futures
    // after shutdown"). Starts a worker if none is idle and fewer than max_workers run.
    template <class F, class... Args>
    auto submit(F&& fn, Args&&... args) {
        using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
        Future<R> future;
        // The task computes the value and hands back the step that completes the future, so the
        // worker can count itself idle before anybody sees the result.
        auto task = [future, fn = std::forward<F>(fn),
                     tuple = std::make_tuple(
                         std::forward<Args>(args)...)]() mutable -> std::function<void()> {
            if constexpr (std::is_void_v<R>) {
                std::apply(fn, tuple);
                return [future] { future.set_result(); };
            } else if constexpr (std::is_copy_constructible_v<R>) {
                return [future, value = std::apply(fn, tuple)]() mutable {
                    future.set_result(std::move(value));
                };
            } else {
                auto value = std::make_shared<R>(std::apply(fn, tuple));
                return [future, value] { future.set_result(std::move(*value)); };
            }
        };
        submit_core(future.core(), std::move(task));
        return future;
    }

    // Executor.map: submits fn(item) for every item at once, then returns the results in order;
    // the first exception propagates (the remaining futures are cancelled). TimeoutError if the
    // results are not all there `timeout` seconds after the call.
    template <class F, class Range>
    auto map(F fn, const Range& items, std::optional<double> timeout = std::nullopt) {
        using Item = std::decay_t<decltype(*std::begin(items))>;
        using R = std::invoke_result_t<F&, const Item&>;
        const double deadline = timeout ? monotonic() + *timeout : 0.0;
        std::vector<Future<R>> futures;
        futures.reserve(
            static_cast<std::size_t>(std::distance(std::begin(items), std::end(items))));
        for (const auto& item : items) {
            futures.push_back(submit(fn, item));
        }
        std::vector<R> results;
        results.reserve(futures.size());
        try {
            for (auto& future : futures) {
                if (timeout) {
                    results.push_back(future.result(std::max(0.0, deadline - monotonic())));
                } else {
                    results.push_back(future.result());
                }
            }
        } catch (...) {
            for (auto& future : futures) {
                future.cancel();
            }
            throw;
        }
        return results;
    }

    // Executor.shutdown: no more submits; cancel_futures cancels what has not started; wait joins
    // every worker. Calling it again is harmless.
    void shutdown(bool wait = true, bool cancel_futures = false);

    [[nodiscard]] int max_workers() const noexcept;
    // How many worker threads were started so far (len(executor._threads)).
    [[nodiscard]] std::size_t thread_count() const;
    // Their names, in start order.
    [[nodiscard]] std::vector<std::string> thread_names() const;

    struct Impl;

  private:
    void submit_core(const std::shared_ptr<FutureCore>& future,
                     std::function<std::function<void()>()> task);
    static double monotonic() noexcept;
    std::shared_ptr<Impl> impl_;
};

}  // namespace py::concurrent
