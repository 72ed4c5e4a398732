// py::asyncio: an event loop on epoll with Future, Task and coroutines on C++20's co_await
// (CPython 3.11: Lib/asyncio/base_events.py, futures.py, tasks.py, timeouts.py, locks.py,
// queues.py).
//
//     py::asyncio::Coroutine<int> answer() { co_await py::asyncio::sleep(0.01); co_return 42; }
//     int x = py::asyncio::run(answer());
//
// Coroutine<T> is Python's coroutine object: calling a coroutine function runs nothing; awaiting
// it runs it inline; create_task() wraps it in a Task that the loop steps. Future<T> and Task<T>
// are handles (shared), like Python references.
#pragma once

#include <algorithm>
#include <any>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "py/block_pool.hpp"
#include "py/exceptions.hpp"

namespace py::concurrent {
class ThreadPoolExecutor;  // chapter 05; see py/asyncio_threads.hpp
class FutureCore;
}  // namespace py::concurrent

namespace py::asyncio {

// asyncio.exceptions (3.11): CancelledError is a BaseException since 3.8; asyncio.TimeoutError
// is the built-in py::TimeoutError since 3.11.
PY_DECLARE_EXCEPTION(CancelledError, BaseException);
PY_DECLARE_EXCEPTION(InvalidStateError, Exception);
PY_DECLARE_EXCEPTION(QueueEmpty, Exception);
PY_DECLARE_EXCEPTION(QueueFull, Exception);

using Callback = std::function<void()>;
class EventLoop;
class TaskBase;
class FutureBase;
template <class T = void>
class Coroutine;
template <class T>
class Future;

// ---------------------------------------------------------------------------------------------
// Handles: a callback the loop will call (asyncio.Handle, TimerHandle).

struct HandleState {
    Callback callback;
    double when = 0;  // TimerHandle only: the loop's time() at which it is due
    bool cancelled = false;
    bool scheduled = false;      // in the timer heap
    bool persistent = false;     // a reader or writer: runs every time its fd is ready
    std::uint64_t sequence = 0;  // ties broken by order of scheduling
    EventLoop* loop = nullptr;
};

class Handle {
  public:
    Handle() = default;
    explicit Handle(std::shared_ptr<HandleState> state) : state_(std::move(state)) {}
    // Cancelled handles are skipped; a cancelled timer is purged from the heap lazily.
    void cancel();
    [[nodiscard]] bool cancelled() const { return state_ && state_->cancelled; }
    [[nodiscard]] double when() const { return state_ ? state_->when : 0; }
    [[nodiscard]] const std::shared_ptr<HandleState>& state() const { return state_; }

  private:
    std::shared_ptr<HandleState> state_;
};

// What the loop's exception handler receives (asyncio's context dict: message, exception).
struct ExceptionContext {
    std::string message;
    std::exception_ptr exception;
};

// ---------------------------------------------------------------------------------------------
// The event loop: BaseEventLoop + the epoll selector loop.

class EventLoop {
  public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // The loop's clock: CLOCK_MONOTONIC in seconds (time.monotonic()), the same for every loop.
    [[nodiscard]] double time() const { return monotonic(); }
    static double monotonic();
    Handle call_soon(Callback callback);
    // From any thread: queued under a lock and the loop woken through its eventfd.
    Handle call_soon_threadsafe(Callback callback);
    Handle call_later(double delay, Callback callback);
    Handle call_at(double when, Callback callback);

    // Level-triggered readiness callbacks, one reader and one writer per fd.
    void add_reader(int fd, Callback callback);
    bool remove_reader(int fd);
    void add_writer(int fd, Callback callback);
    bool remove_writer(int fd);

    // One iteration (BaseEventLoop._run_once).
    void run_once();
    void run_forever();
    void stop();
    [[nodiscard]] bool is_running() const;
    [[nodiscard]] bool is_closed() const;
    // RuntimeError("Cannot close a running event loop").
    void close();

    template <class T>
    T run_until_complete(Coroutine<T> coroutine);
    template <class T>
    T run_until_complete(Future<T> future);

    using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;
    void set_exception_handler(ExceptionHandler handler);
    void call_exception_handler(const ExceptionContext& context);
    // Prints "message" and "TYPE: what" to stderr, like asyncio's logger.error.
    void default_exception_handler(const ExceptionContext& context);

    // Debug mode reports callbacks slower than slow_callback_duration (0.1 s).
    void set_debug(bool enabled);
    [[nodiscard]] bool get_debug() const;
    double slow_callback_duration = 0.1;

    // The executor of run_in_executor(None, ...) and to_thread (py/asyncio_threads.hpp): a
    // concurrent::ThreadPoolExecutor with thread_name_prefix "asyncio", made on first use.
    // RuntimeError("Event loop is closed"), RuntimeError("Executor shutdown has been called").
    concurrent::ThreadPoolExecutor& default_executor();
    // Shuts the default executor down and waits for its threads (asyncio.run does it before it
    // closes the loop); later run_in_executor calls raise. The destructor does it too.
    void shutdown_default_executor();
    // run_in_executor hands each call's concurrent future to the loop, which lets go of it only
    // once its worker has: what it holds (an exception object) is then freed on the loop's
    // thread, after the tasks that caught it. (libstdc++ counts exception_ptr references
    // outside what ThreadSanitizer sees, so a worker freeing it would look like a race.)
    void keep_until_released(std::shared_ptr<concurrent::FutureCore> call);

    // A Chrome trace of the loop (Trace Event Format JSON; open it in https://ui.perfetto.dev or
    // chrome://tracing): a slice per callback run, named after the task whose step it ran
    // ("Task-3"), or "timer", "fd ready", "callback"; a "select" slice per wait in epoll_wait.
    // Lesson §9. set_trace(path) raises FileNotFoundError/OSError as open() does; a stream must
    // outlive the trace. stop_trace(), close() and the destructor finish the JSON.
    void set_trace(const std::string& path);
    void set_trace(std::ostream& out);
    void stop_trace();
    [[nodiscard]] bool tracing() const;

    // For tests and the trace: what is queued.
    [[nodiscard]] std::size_t ready_count() const;
    [[nodiscard]] std::size_t scheduled_count() const;
    [[nodiscard]] std::size_t registered_fd_count() const;

    struct Impl;
    [[nodiscard]] Impl& impl() { return *impl_; }

  private:
    void run_until_done(const std::shared_ptr<FutureBase>& future);
    std::unique_ptr<Impl> impl_;
};

// asyncio.get_running_loop(): RuntimeError("no running event loop") outside a running loop.
EventLoop& get_running_loop();
EventLoop* running_loop_or_null() noexcept;
std::shared_ptr<EventLoop> new_event_loop();
void set_event_loop(std::shared_ptr<EventLoop> loop);
// The running loop, else the one set for this thread (created on first use).
EventLoop& get_event_loop();

// ---------------------------------------------------------------------------------------------
// Futures.

class FutureBase : public std::enable_shared_from_this<FutureBase> {
  public:
    enum class State { Pending, Cancelled, Finished };
    using DoneCallback = std::function<void(FutureBase&)>;

    explicit FutureBase(EventLoop& loop) : loop_(&loop) {}
    virtual ~FutureBase();
    FutureBase(const FutureBase&) = delete;
    FutureBase& operator=(const FutureBase&) = delete;

    [[nodiscard]] EventLoop& get_loop() const { return *loop_; }
    [[nodiscard]] bool done() const { return state_ != State::Pending; }
    [[nodiscard]] bool cancelled() const { return state_ == State::Cancelled; }
    // Future.cancel(msg): PENDING -> CANCELLED and the callbacks scheduled; false if done.
    virtual bool cancel(const std::string& message = {});
    // CancelledError if cancelled; InvalidStateError("Exception is not set.") if pending.
    std::exception_ptr exception();
    void set_exception(std::exception_ptr exception);
    // Callbacks run through loop.call_soon once the future is done (at once if it is).
    void add_done_callback(DoneCallback callback);
    // Raises what result() would: CancelledError, the exception, or
    // InvalidStateError("Result is not set.").
    void check_result();
    // "PENDING", "CANCELLED", "FINISHED".
    [[nodiscard]] const char* state_name() const;
    [[nodiscard]] std::string cancel_message() const { return cancel_message_; }
    [[nodiscard]] virtual std::string repr() const;

  protected:
    // Marks the future finished (result or exception stored by the caller) and schedules the
    // callbacks. InvalidStateError("STATE: repr") if it was done already.
    void check_not_done() const;
    void mark_finished();
    std::exception_ptr make_cancelled_error() const;

    std::exception_ptr exception_;
    std::string cancel_message_;
    std::vector<DoneCallback> callbacks_;
    const char* kind_ = "Future";  // "Task" for tasks, in the report above
    bool log_traceback_ = false;   // an exception nobody retrieved, reported when freed
    // Last, so that a task's step finds them next to TaskBase's first members (see there).
    State state_ = State::Pending;
    EventLoop* loop_;

  private:
    friend class EventLoop;  // breaks task <-> future cycles when the loop goes
    void schedule_callbacks();
};

// The storage type for a T (std::monostate for void).
template <class T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The typed half of a future: what Future<T> calls on whatever state it holds (a plain future's,
// a task's, a gather's).
template <class T>
struct TypedResult {
    virtual ~TypedResult() = default;
    virtual T result() = 0;
    virtual void set_result(Stored<T> value) = 0;
};

template <class T, class Base = FutureBase>
class FutureState : public Base, public TypedResult<T> {
  public:
    using Base::Base;
    void set_result(Stored<T> value = {}) override {
        this->check_not_done();
        value_ = std::move(value);
        this->mark_finished();
    }
    T result() override {
        this->check_result();
        if constexpr (!std::is_void_v<T>) {
            return *value_;
        }
    }

  private:
    std::optional<Stored<T>> value_;
};

// Raises, at a task's resume point, what the task was told to raise there (a cancellation).
void raise_pending_in_task();

// The untyped half of `co_await future`: registers the running task's wakeup (kata).
struct FutureWait {
    static void suspend(const std::shared_ptr<FutureBase>& future, std::coroutine_handle<> handle);
};

template <class T>
class Future {
  public:
    Future() = default;
    // Any state that is both a FutureBase and a TypedResult<T>.
    template <class S>
    requires(std::is_base_of_v<FutureBase, S>&&
                 std::is_base_of_v<TypedResult<T>, S>) explicit Future(std::shared_ptr<S> state)
        : typed_(state.get()), state_(std::move(state)) {}
    // loop.create_future()
    explicit Future(EventLoop& loop) : Future(std::make_shared<FutureState<T>>(loop)) {}

    [[nodiscard]] bool done() const { return state_->done(); }
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }
    bool cancel(const std::string& message = {}) { return state_->cancel(message); }
    T result() const { return typed_->result(); }
    std::exception_ptr exception() const { return state_->exception(); }
    void set_result(Stored<T> value = {}) const { typed_->set_result(std::move(value)); }
    void set_exception(std::exception_ptr e) const { state_->set_exception(std::move(e)); }
    void add_done_callback(FutureBase::DoneCallback callback) const {
        state_->add_done_callback(std::move(callback));
    }
    [[nodiscard]] const std::shared_ptr<FutureBase>& state() const { return state_; }

    struct Awaiter {
        std::shared_ptr<FutureBase> state;
        TypedResult<T>* typed;
        bool await_ready() const { return state->done(); }
        void await_suspend(std::coroutine_handle<> handle) const {
            FutureWait::suspend(state, handle);
        }
        T await_resume() const {
            raise_pending_in_task();
            return typed->result();
        }
    };
    Awaiter operator co_await() const { return Awaiter{state_, typed_}; }

  private:
    TypedResult<T>* typed_ = nullptr;
    std::shared_ptr<FutureBase> state_;
};

// ---------------------------------------------------------------------------------------------
// Coroutines.

namespace detail {
template <class T>
struct ValueSlot {
    std::optional<T> value;
    template <class U>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
    T take() { return std::move(*value); }
};
template <>
struct ValueSlot<void> {
    void return_void() noexcept {}
    void take() {}
};
}  // namespace detail

template <class T>
class Coroutine {
  public:
    struct promise_type : detail::ValueSlot<T> {
        std::coroutine_handle<> continuation;
        std::exception_ptr error;

        Coroutine get_return_object() {
            return Coroutine(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        // Lazy, like a Python coroutine object. Resuming it first checks for a cancellation
        // thrown in before it ever ran.
        struct Initial {
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> /*unused*/) const noexcept {}
            void await_resume() const { raise_pending_in_task(); }
        };
        Initial initial_suspend() noexcept { return {}; }
        // At the end, go back to whoever awaited us (symmetric transfer), or to the task.
        struct Final {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(
                std::coroutine_handle<promise_type> handle) const noexcept {
                std::coroutine_handle<> next = handle.promise().continuation;
                return next ? next : std::noop_coroutine();
            }
            void await_resume() const noexcept {}
        };
        Final final_suspend() noexcept { return {}; }
        void unhandled_exception() noexcept { error = std::current_exception(); }
        // Frames come from the thread's block pool: every sleep(0) makes one and drops it a
        // loop iteration later (py/block_pool.hpp).
        static void* operator new(std::size_t size) { return detail::pool_allocate(size); }
        static void operator delete(void* frame, std::size_t size) noexcept {
            detail::pool_deallocate(frame, size);
        }
    };
    using handle_type = std::coroutine_handle<promise_type>;

    Coroutine() = default;
    explicit Coroutine(handle_type handle) : handle_(handle) {}
    Coroutine(Coroutine&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Coroutine& operator=(Coroutine&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Coroutine(const Coroutine&) = delete;
    Coroutine& operator=(const Coroutine&) = delete;
    ~Coroutine() { reset(); }

    [[nodiscard]] handle_type handle() const { return handle_; }
    [[nodiscard]] bool done() const { return handle_ && handle_.done(); }
    // The result once done: the value, or the exception rethrown.
    T take_result() {
        if (handle_.promise().error) {
            std::rethrow_exception(handle_.promise().error);
        }
        return handle_.promise().take();
    }

    // `co_await coroutine()` runs it inline: no task, no trip through the loop.
    struct Awaiter {
        handle_type handle;
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) const noexcept {
            handle.promise().continuation = awaiting;
            return handle;
        }
        T await_resume() const {
            if (handle.promise().error) {
                std::rethrow_exception(handle.promise().error);
            }
            return handle.promise().take();
        }
    };
    Awaiter operator co_await() const& { return Awaiter{handle_}; }

  private:
    void reset() {
        if (handle_) {
            handle_.destroy();
            handle_ = nullptr;
        }
    }
    handle_type handle_;
};

// ---------------------------------------------------------------------------------------------
// Tasks.

class TaskBase : public FutureBase {
  public:
    TaskBase(EventLoop& loop, std::string name);
    ~TaskBase() override;
    // Task.cancel(msg): asks the coroutine to raise CancelledError at its next resume point.
    bool cancel(const std::string& message = {}) override;
    [[nodiscard]] int cancelling() const { return num_cancels_requested_; }
    int uncancel();
    [[nodiscard]] const std::string& get_name() const { return name_; }
    [[nodiscard]] std::string repr() const override;

    // Task.__step: resumes the coroutine where it stopped, with a pending exception if any.
    void step();
    // What the awaiters of a task call (kata).
    void suspend_on(const std::shared_ptr<FutureBase>& future, std::coroutine_handle<> at);
    void yield_once(std::coroutine_handle<> at);
    std::exception_ptr take_pending() { return std::exchange(pending_, nullptr); }
    void schedule_first_step();

  protected:
    // The top coroutine finished: its value or exception into this future.
    virtual void complete_from_coroutine() = 0;
    // Not virtual: a step asks it every time, and the top frame's handle is all it needs.
    [[nodiscard]] bool coroutine_done() const { return top_.done(); }
    void destroy_coroutine_frame_later();

    // What a step reads, together and right after FutureBase's state_ and loop_: with 100k tasks
    // each step finds its task cold in memory, and every cache line it touches is a miss.
    std::coroutine_handle<> resume_point_;
    std::coroutine_handle<> top_;  // the top frame (owned by TaskState's Coroutine<T>)
    std::exception_ptr pending_;
    std::shared_ptr<FutureBase> fut_waiter_;
    bool must_cancel_ = false;
    int num_cancels_requested_ = 0;
    std::string name_;
    friend class EventLoop;
};

// The task running on this thread's loop now (asyncio.current_task()), or null.
TaskBase* current_task() noexcept;

template <class T>
class TaskState : public FutureState<T, TaskBase> {
  public:
    TaskState(EventLoop& loop, Coroutine<T> coroutine, std::string name)
        : FutureState<T, TaskBase>(loop, std::move(name)), coroutine_(std::move(coroutine)) {
        this->resume_point_ = coroutine_.handle();
        this->top_ = coroutine_.handle();
    }

  protected:
    void complete_from_coroutine() override {
        try {
            if constexpr (std::is_void_v<T>) {
                coroutine_.take_result();
                this->set_result();
            } else {
                this->set_result(coroutine_.take_result());
            }
        } catch (const CancelledError& cancelled) {
            // Future.cancel(self) on purpose: the task is cancelled, no new request is counted.
            FutureBase::cancel(cancelled.what());  // NOLINT(bugprone-parent-virtual-call)
        } catch (...) {
            this->set_exception(std::current_exception());
        }
    }

  private:
    Coroutine<T> coroutine_;
};

template <class T>
class Task : public Future<T> {
  public:
    using State = TaskState<T>;
    Task() = default;
    // One reference, the Future's: a Task is as small as a Future, and making or copying one
    // counts once (100k tasks in a vector are 2.4 MB, not 4).
    explicit Task(std::shared_ptr<State> state) : Future<T>(std::move(state)) {}
    [[nodiscard]] int cancelling() const { return task().cancelling(); }
    int uncancel() { return task().uncancel(); }
    [[nodiscard]] const std::string& get_name() const { return task().get_name(); }
    [[nodiscard]] std::shared_ptr<State> task_state() const {
        return std::static_pointer_cast<State>(this->state());
    }

  private:
    [[nodiscard]] State& task() const { return static_cast<State&>(*this->state()); }
};

// "Task-N", from one process-wide counter (tasks.py's _task_name_counter).
std::string next_task_name();

// asyncio.create_task(coro, name=None) on the running loop (or the given one).
template <class T>
Task<T> create_task(Coroutine<T> coroutine, std::string name = {}, EventLoop* loop = nullptr) {
    EventLoop& target = loop != nullptr ? *loop : get_running_loop();
    if (name.empty()) {
        name = next_task_name();
    }
    // From the thread's block pool, like the frames: glibc gives a burst of 100k tasks fresh
    // pages, and returns them to the kernel when the burst is over (py/block_pool.hpp).
    auto state = std::allocate_shared<TaskState<T>>(detail::PoolAllocator<TaskState<T>>{}, target,
                                                    std::move(coroutine), std::move(name));
    state->schedule_first_step();
    return Task<T>(std::move(state));
}

template <class T>
T EventLoop::run_until_complete(Coroutine<T> coroutine) {
    Task<T> task = create_task(std::move(coroutine), {}, this);
    return run_until_complete(Future<T>(task.task_state()));
}
template <class T>
T EventLoop::run_until_complete(Future<T> future) {
    run_until_done(future.state());
    return future.result();
}

// asyncio.run(coro, *, debug=None): a new loop, run until the coroutine is done, cancel what is
// left, close. Ours can also write the loop's Chrome trace to a file:
//
//     asyncio::run(main(), {.trace = "loop.json"});
struct RunOptions {
    bool debug = false;
    std::string trace;  // a path: EventLoop::set_trace
};
void run_prepare();
void run_cleanup(EventLoop& loop);
template <class T>
T run(Coroutine<T> coroutine, const RunOptions& options = {}) {
    run_prepare();  // RuntimeError("asyncio.run() cannot be called from a running event loop")
    auto loop = new_event_loop();
    loop->set_debug(options.debug);
    if (!options.trace.empty()) {
        loop->set_trace(options.trace);
    }
    struct Cleanup {
        EventLoop& loop;
        ~Cleanup() {
            try {
                run_cleanup(loop);
            } catch (const std::exception& e) {
                loop.call_exception_handler(
                    {"error while shutting down asyncio.run()", std::current_exception()});
            }
        }
    } cleanup{*loop};
    return loop->run_until_complete(std::move(coroutine));
}

// ---------------------------------------------------------------------------------------------
// Awaitables and helpers.

// await asyncio.sleep(delay): sleep(0) (or less) yields to the loop exactly once.
Coroutine<void> sleep(double delay);

// What gather(..., return_exceptions=True) gives per child: a value or an exception.
template <class T>
struct Outcome {
    std::optional<Stored<T>> value;
    std::exception_ptr exception;
};

// asyncio.gather for tasks of one type: a future of their results in order. Without
// return_exceptions the first exception (or cancellation) is the gather's; with it, each
// child's outcome is collected. Cancelling the gather cancels the children.
template <class T>
class GatheringFuture : public FutureState<std::vector<Outcome<T>>> {
  public:
    using FutureState<std::vector<Outcome<T>>>::FutureState;
    std::vector<Task<T>> children;
    bool cancel_requested = false;
    bool cancel(const std::string& message = {}) override {
        if (this->done()) {
            return false;
        }
        bool any = false;
        for (auto& child : children) {
            any = child.cancel(message) || any;
        }
        if (any) {
            cancel_requested = true;
        }
        return any;
    }
};

template <class T>
Future<std::vector<Outcome<T>>> gather_outcomes(std::vector<Task<T>> children,
                                                bool return_exceptions) {
    EventLoop& loop = get_running_loop();
    auto outer = std::make_shared<GatheringFuture<T>>(loop);
    outer->children = children;
    auto finished = std::make_shared<std::size_t>(0);
    if (children.empty()) {
        outer->set_result({});
    }
    std::weak_ptr<GatheringFuture<T>> weak = outer;
    for (auto& child : children) {
        child.add_done_callback([weak, finished, return_exceptions](FutureBase& fut) {
            ++*finished;
            auto gathering = weak.lock();
            if (!gathering || gathering->done()) {
                if (!fut.cancelled()) {
                    (void)fut.exception();  // retrieved: not reported as never retrieved
                }
                return;
            }
            if (!return_exceptions) {
                if (fut.cancelled()) {
                    gathering->set_exception(
                        std::make_exception_ptr(CancelledError(fut.cancel_message())));
                    return;
                }
                if (std::exception_ptr e = fut.exception()) {
                    gathering->set_exception(e);
                    return;
                }
            }
            if (*finished == gathering->children.size()) {
                std::vector<Outcome<T>> outcomes;
                for (auto& c : gathering->children) {
                    Outcome<T> outcome;
                    if (c.cancelled()) {
                        outcome.exception =
                            std::make_exception_ptr(CancelledError(c.state()->cancel_message()));
                    } else if (std::exception_ptr e = c.exception()) {
                        outcome.exception = e;
                    } else if constexpr (std::is_void_v<T>) {
                        outcome.value = std::monostate{};
                    } else {
                        outcome.value = c.result();
                    }
                    outcomes.push_back(std::move(outcome));
                }
                if (gathering->cancel_requested) {
                    gathering->set_exception(std::make_exception_ptr(CancelledError("")));
                } else {
                    gathering->set_result(std::move(outcomes));
                }
            }
        });
    }
    return Future<std::vector<Outcome<T>>>(outer);
}

// gather(tasks): the results in order; the first exception raised.
template <class T>
Coroutine<std::vector<Stored<T>>> gather(std::vector<Task<T>> children) {
    std::vector<Outcome<T>> outcomes = co_await gather_outcomes(std::move(children), false);
    std::vector<Stored<T>> results;
    results.reserve(outcomes.size());
    for (auto& outcome : outcomes) {
        results.push_back(std::move(*outcome.value));
    }
    co_return results;
}
// gather(tasks, return_exceptions=True).
template <class T>
Future<std::vector<Outcome<T>>> gather(std::vector<Task<T>> children, bool return_exceptions) {
    return gather_outcomes(std::move(children), return_exceptions);
}

enum class ReturnWhen { FirstCompleted, FirstException, AllCompleted };

template <class T>
struct WaitResult {
    std::vector<Task<T>> done;
    std::vector<Task<T>> pending;
};

// asyncio.wait(tasks, timeout=None, return_when=ALL_COMPLETED): (done, pending), in input order.
template <class T>
Coroutine<WaitResult<T>> wait(std::vector<Task<T>> tasks,
                              ReturnWhen return_when = ReturnWhen::AllCompleted,
                              std::optional<double> timeout = std::nullopt) {
    if (tasks.empty()) {
        throw ValueError("Set of Tasks/Futures is empty.");
    }
    EventLoop& loop = get_running_loop();
    Future<void> waiter(loop);
    auto counter = std::make_shared<std::size_t>(tasks.size());
    Handle timeout_handle;
    if (timeout) {
        timeout_handle = loop.call_later(*timeout, [waiter] {
            if (!waiter.done()) {
                waiter.set_result();
            }
        });
    }
    for (auto& task : tasks) {
        task.add_done_callback([waiter, counter, return_when](FutureBase& f) {
            --*counter;
            bool wake = *counter == 0 || return_when == ReturnWhen::FirstCompleted ||
                        (return_when == ReturnWhen::FirstException && !f.cancelled() &&
                         f.exception() != nullptr);
            if (wake && !waiter.done()) {
                waiter.set_result();
            }
        });
    }
    try {
        co_await waiter;
    } catch (...) {
        timeout_handle.cancel();
        throw;
    }
    timeout_handle.cancel();
    WaitResult<T> result;
    for (auto& task : tasks) {
        (task.done() ? result.done : result.pending).push_back(task);
    }
    co_return result;
}

// asyncio.Timeout (3.11 timeouts.py): what `async with asyncio.timeout(delay) as cm:` gives the
// body. Entering it arms a timer for when() (loop.time() seconds; none for nullopt); at the
// deadline the task is cancelled, and leaving it turns the CancelledError that results into
// TimeoutError, unless someone else also cancelled the task (uncancel() does not drop to 0).
// Lesson §9.
//
//     asyncio::Timeout cm = asyncio::timeout(10.0);  // async with asyncio.timeout(10) as cm:
//     co_await cm.run(long_running());                //     await long_running()
//     cm.expired();
//
//     co_await asyncio::timeout(10.0, [&](asyncio::Timeout& cm) -> asyncio::Coroutine<void> {
//         cm.reschedule(*cm.when() + 5);              // the body reaches its Timeout
//         co_await long_running();
//     });
class Timeout {
  public:
    // timeouts.py's _State; state_name() gives its values.
    enum class State { Created, Entered, Expiring, Expired, Exited };

    explicit Timeout(std::optional<double> when) : when_(when) {}
    ~Timeout() { handle_.cancel(); }
    Timeout(const Timeout&) = delete;
    Timeout& operator=(const Timeout&) = delete;

    [[nodiscard]] std::optional<double> when() const { return when_; }
    // Moves the deadline (nullopt: none), even into the past (it fires on the next iteration).
    // RuntimeError("Timeout has not been entered") before run() (3.12's text; 3.11 asserts), and
    // RuntimeError("Cannot change state of expiring Timeout") (or expired, finished) once the
    // deadline has passed or the body is done.
    void reschedule(std::optional<double> when);
    // Did the deadline pass while the body ran?
    [[nodiscard]] bool expired() const {
        return state_ == State::Expiring || state_ == State::Expired;
    }
    [[nodiscard]] State state() const { return state_; }
    // "created", "active", "expiring", "expired", "finished".
    [[nodiscard]] const char* state_name() const;
    // "<Timeout [active] when=12.345>", "<Timeout [expired]>".
    [[nodiscard]] std::string repr() const;

    // `async with cm: return await body`. Once only: RuntimeError("Timeout has already been
    // entered") (3.12's check).
    template <class T>
    Coroutine<T> run(Coroutine<T> body);

    // __aenter__: RuntimeError("Timeout should be used inside a task") outside one.
    void enter();
    // __aexit__, told whether the body raised CancelledError: raises TimeoutError when the
    // cancellation was the timeout's own and nobody else's; otherwise returns, and whatever the
    // body raised goes on.
    void exit(bool body_cancelled);

  private:
    void arm(std::optional<double> when);  // the second half of reschedule: a fresh timer
    void on_timeout();

    State state_ = State::Created;
    Handle handle_;
    TaskBase* task_ = nullptr;
    std::optional<double> when_;
};

template <class T>
Coroutine<T> Timeout::run(Coroutine<T> body) {
    enter();
    std::optional<Stored<T>> value;
    std::exception_ptr error;
    bool cancelled = false;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await body;
            value.emplace();
        } else {
            value.emplace(co_await body);
        }
    } catch (const CancelledError&) {
        error = std::current_exception();
        cancelled = true;
    } catch (...) {
        error = std::current_exception();
    }
    exit(cancelled);  // may raise TimeoutError instead
    if (error) {
        std::rethrow_exception(error);
    }
    if constexpr (std::is_void_v<T>) {
        co_return;
    } else {
        co_return std::move(*value);
    }
}

// asyncio.timeout(delay) and asyncio.timeout_at(when): a Timeout for loop.time() + delay, or for
// when. RuntimeError("no running event loop") for a delay outside a running loop.
Timeout timeout(std::optional<double> delay);
inline Timeout timeout_at(std::optional<double> when) {
    return Timeout(when);
}

namespace detail {
// loop.time() + delay, on the clock every loop reads (also without a running loop).
std::optional<double> deadline_after(std::optional<double> delay);
template <class Body>
using TimeoutBodyResult = std::invoke_result_t<Body&, Timeout&>;
}  // namespace detail

// `async with asyncio.timeout_at(when) as cm: return await body(cm)`: the body is a callable
// that takes the Timeout and returns a Coroutine<T>; it lives as long as the coroutine runs.
template <class Body>
requires std::is_invocable_v<Body&, Timeout&> detail::TimeoutBodyResult<Body> timeout_at(
    std::optional<double> when, Body body) {
    Timeout cm(when);
    co_return co_await cm.run(body(cm));
}
template <class Body>
requires std::is_invocable_v<Body&, Timeout&> detail::TimeoutBodyResult<Body> timeout(
    std::optional<double> delay, Body body) {
    Timeout cm(detail::deadline_after(delay));
    co_return co_await cm.run(body(cm));
}

// `async with asyncio.timeout(delay): return await body` (and timeout_at). Outside a task the
// body never starts: RuntimeError("Timeout should be used inside a task").
template <class T>
Coroutine<T> timeout(std::optional<double> delay, Coroutine<T> body) {
    Timeout cm(detail::deadline_after(delay));
    co_return co_await cm.run(std::move(body));
}
template <class T>
Coroutine<T> timeout_at(std::optional<double> when, Coroutine<T> body) {
    Timeout cm(when);
    co_return co_await cm.run(std::move(body));
}

// asyncio.wait_for(aw, timeout): as 3.12 writes it, `async with timeout(t): return await aw`.
template <class T>
Coroutine<T> wait_for(Coroutine<T> body, std::optional<double> delay) {
    co_return co_await timeout(delay, std::move(body));
}

// asyncio.shield(task): a future that mirrors the task but whose cancellation leaves it running.
template <class T>
Future<T> shield(Task<T> inner) {
    Future<T> outer(inner.state()->get_loop());
    inner.add_done_callback([outer, inner](FutureBase& /*unused*/) mutable {
        if (outer.done()) {
            return;
        }
        if (inner.cancelled()) {
            outer.cancel();
        } else if (std::exception_ptr e = inner.exception()) {
            outer.set_exception(e);
        } else if constexpr (std::is_void_v<T>) {
            outer.set_result();
        } else {
            outer.set_result(inner.result());
        }
    });
    return outer;
}

// asyncio.TaskGroup (3.11, taskgroups.py) without the `async with`: constructing it is
// __aenter__, create_task() starts children, wait(body_error) is __aexit__. When a child fails,
// the others are cancelled and so is the task running the body (its parent), at its current
// await; wait() takes that cancellation back and raises
// ExceptionGroup("unhandled errors in a TaskGroup", [the errors]) once all children are done.
//
//     asyncio::TaskGroup group;                       // async with asyncio.TaskGroup() as group:
//     std::exception_ptr body_error;
//     try { group.create_task(work()); co_await other(); }
//     catch (...) { body_error = std::current_exception(); }
//     co_await group.wait(body_error);
class TaskGroup {
  public:
    // RuntimeError("TaskGroup <TaskGroup entered> cannot determine the parent task") outside a
    // task.
    TaskGroup();
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;

    template <class T>
    Task<T> create_task(Coroutine<T> coroutine, std::string name = {}) {
        if (exited_ && unfinished_ == 0) {
            throw RuntimeError("TaskGroup " + repr() + " is finished");
        }
        if (aborting_) {
            throw RuntimeError("TaskGroup " + repr() + " is shutting down");
        }
        Task<T> task = asyncio::create_task(std::move(coroutine), std::move(name));
        adopt(task.state());
        return task;
    }
    // __aexit__(type(body_error), body_error): waits for every child (cancelling them if the body
    // raised); raises the ExceptionGroup of the children's errors and the body's (unless it is a
    // CancelledError), else the body's CancelledError unless it was the group's own.
    Coroutine<void> wait(std::exception_ptr body_error = nullptr);
    // taskgroups.py's __repr__: "<TaskGroup tasks=1 errors=1 cancelling>", "<TaskGroup entered>".
    [[nodiscard]] std::string repr() const {
        std::string info;
        if (unfinished_ > 0) {
            info += " tasks=" + std::to_string(unfinished_);
        }
        if (!errors_.empty()) {
            info += " errors=" + std::to_string(errors_.size());
        }
        info += aborting_ ? " cancelling" : " entered";
        return "<TaskGroup" + info + ">";
    }

  private:
    void adopt(const std::shared_ptr<FutureBase>& task);
    void on_task_done(FutureBase& task);
    void abort();

    std::vector<std::shared_ptr<FutureBase>> tasks_;
    std::vector<std::exception_ptr> errors_;
    std::optional<Future<void>> on_completed_;
    TaskBase* parent_task_ = nullptr;  // the task running the body (it owns the group)
    std::size_t unfinished_ = 0;
    bool aborting_ = false;
    bool parent_cancel_requested_ = false;
    bool exited_ = false;
};

// ---------------------------------------------------------------------------------------------
// Synchronisation primitives (locks.py, queues.py): single-threaded, on futures.

class Event {
  public:
    [[nodiscard]] bool is_set() const { return value_; }
    void set();
    void clear() { value_ = false; }
    Coroutine<bool> wait();

  private:
    bool value_ = false;
    std::deque<Future<void>> waiters_;
};

class Lock {
  public:
    [[nodiscard]] bool locked() const { return locked_; }
    Coroutine<bool> acquire();
    // RuntimeError("Lock is not acquired.").
    void release();

  private:
    void wake_up_first();
    bool locked_ = false;
    std::deque<Future<void>> waiters_;
};

class Semaphore {
  public:
    // ValueError("Semaphore initial value must be >= 0").
    explicit Semaphore(int value = 1);
    [[nodiscard]] bool locked() const;
    Coroutine<bool> acquire();
    void release();

  private:
    void wake_up_next();
    int value_;
    std::deque<Future<void>> waiters_;
};

template <class T>
class Queue {
  public:
    explicit Queue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
    [[nodiscard]] std::size_t qsize() const { return items_.size(); }
    [[nodiscard]] bool empty() const { return items_.empty(); }
    [[nodiscard]] bool full() const { return maxsize_ > 0 && items_.size() >= maxsize_; }
    void put_nowait(T item) {
        if (full()) {
            throw QueueFull("");
        }
        items_.push_back(std::move(item));
        wake(getters_);
    }
    T get_nowait() {
        if (empty()) {
            throw QueueEmpty("");
        }
        T item = std::move(items_.front());
        items_.pop_front();
        wake(putters_);
        return item;
    }
    Coroutine<void> put(T item) {
        while (full()) {
            Future<void> putter(get_running_loop());
            putters_.push_back(putter);
            co_await putter;
        }
        put_nowait(std::move(item));
    }
    Coroutine<T> get() {
        while (empty()) {
            Future<void> getter(get_running_loop());
            getters_.push_back(getter);
            co_await getter;
        }
        co_return get_nowait();
    }

  private:
    static void wake(std::deque<Future<void>>& waiters) {
        while (!waiters.empty()) {
            Future<void> waiter = waiters.front();
            waiters.pop_front();
            if (!waiter.done()) {
                waiter.set_result();
                return;
            }
        }
    }
    std::size_t maxsize_;
    std::deque<T> items_;
    std::deque<Future<void>> getters_;
    std::deque<Future<void>> putters_;
};

// ---------------------------------------------------------------------------------------------
// as_completed (tasks.py), on the Queue above.

// The untyped part of as_completed() (tasks.py, 3.11): every future's done callback moves it to a
// queue, and each awaitable takes the next one from there (kata). A timeout puts one "timed out"
// marker (nullptr) on the queue for every future not done by then.
class AsCompletedState : public std::enable_shared_from_this<AsCompletedState> {
  public:
    AsCompletedState() = default;
    // Adds the done callbacks and, if there is something to wait for, the timeout timer.
    void start(EventLoop& loop, std::vector<std::shared_ptr<FutureBase>> todo,
               std::optional<double> timeout);
    // _wait_for_one(): the next future to complete; TimeoutError() once the timeout passed.
    Coroutine<std::shared_ptr<FutureBase>> wait_for_one();

  private:
    void on_completion(FutureBase& future);
    void on_timeout();

    std::vector<std::shared_ptr<FutureBase>> todo_;
    Queue<std::shared_ptr<FutureBase>> done_;
    Handle timeout_handle_;
};

namespace detail {
template <class T>
Coroutine<T> wait_for_one(std::shared_ptr<AsCompletedState> state) {
    std::shared_ptr<FutureBase> future = co_await state->wait_for_one();
    co_return dynamic_cast<TypedResult<T>&>(*future).result();  // may raise its exception
}
}  // namespace detail

// asyncio.as_completed(fs, timeout=None) (3.11): one awaitable per distinct task; awaiting the
// k-th gives the result (or raises the exception) of the k-th task to complete. With a timeout,
// every awaitable still waiting when it passes raises TimeoutError.
//
//     for (auto& next : asyncio::as_completed(tasks)) { int result = co_await next; }
template <class T>
std::vector<Coroutine<T>> as_completed(const std::vector<Task<T>>& tasks,
                                       std::optional<double> timeout = std::nullopt) {
    std::vector<std::shared_ptr<FutureBase>> todo;  // {ensure_future(f) for f in set(fs)}
    for (const auto& task : tasks) {
        if (std::find(todo.begin(), todo.end(), task.state()) == todo.end()) {
            todo.push_back(task.state());
        }
    }
    EventLoop& loop = todo.empty() ? get_event_loop() : todo.front()->get_loop();
    auto state = std::make_shared<AsCompletedState>();
    const std::size_t count = todo.size();
    state->start(loop, std::move(todo), timeout);
    std::vector<Coroutine<T>> awaitables;
    awaitables.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        awaitables.push_back(detail::wait_for_one<T>(state));
    }
    return awaitables;
}

}  // namespace py::asyncio
