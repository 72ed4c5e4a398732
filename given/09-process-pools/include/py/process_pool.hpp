// concurrent.futures.ProcessPoolExecutor (CPython 3.11: Lib/concurrent/futures/process.py).
//
//     const py::multiprocessing::Function square("square", [](py::Tuple& args) {
//         const long long x = py::multiprocessing::from_object<long long>(args.item(0));
//         return py::multiprocessing::to_object(x * x);
//     });
//     py::concurrent::ProcessPoolExecutor pool(4);
//     auto future = pool.submit(square, 7);
//     future.result_as<long long>();       // 49, computed in a worker process
//
// Work crosses into the workers as pickles: the function by its registered name (Python pickles
// a function as "module.qualname"), the arguments with py::pickle; the result and any exception
// come back the same way. A future's value is unpickled in the thread that asks for it, so the
// pool's own threads never touch the runtime's objects.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "py/concurrent.hpp"
#include "py/containers.hpp"
#include "py/multiprocessing.hpp"
#include "py/pickle.hpp"
#include "py/scalars.hpp"

namespace py::concurrent {

// concurrent.futures.process.BrokenProcessPool.
PY_DECLARE_EXCEPTION(BrokenProcessPool, BrokenExecutor);

// The text of the worker's traceback attached to an exception that came back from a worker
// (Python's _RemoteTraceback, shown as "The above exception was the direct cause..."), or ""
// for any other exception.
std::string remote_traceback(const std::exception& error);

// A future of a process pool: its value is a pickle, loaded by result() in the calling thread.
class ProcessFuture {
  public:
    ProcessFuture();

    bool cancel() { return bytes_.cancel(); }
    [[nodiscard]] bool cancelled() const { return bytes_.cancelled(); }
    [[nodiscard]] bool running() const { return bytes_.running(); }
    [[nodiscard]] bool done() const { return bytes_.done(); }
    // The task's return value (the same object on every call). Rethrows the task's exception
    // (with remote_traceback()), BrokenProcessPool, CancelledError, TimeoutError.
    Ref<Object> result(std::optional<double> timeout = std::nullopt) const;
    template <class T>
    T result_as(std::optional<double> timeout = std::nullopt) const {
        return multiprocessing::from_object<T>(result(timeout).get());
    }
    [[nodiscard]] std::exception_ptr exception(std::optional<double> timeout = std::nullopt) const {
        return bytes_.exception(timeout);
    }
    // Runs in the parent process, in the pool's manager thread (or at once if already done),
    // as CPython's callbacks run in its executor manager thread.
    void add_done_callback(std::function<void(ProcessFuture)> callback) const;

    [[nodiscard]] const std::shared_ptr<FutureCore>& core() const noexcept { return bytes_.core(); }
    [[nodiscard]] const Future<std::string>& pickled() const noexcept { return bytes_; }

  private:
    struct Cache;
    ProcessFuture(Future<std::string> bytes, std::shared_ptr<Cache> cache)
        : bytes_(std::move(bytes)), cache_(std::move(cache)) {}
    Future<std::string> bytes_;
    std::shared_ptr<Cache> cache_;
};

struct ProcessPoolOptions {
    std::optional<int> max_workers = {};  // default os.cpu_count()
    const multiprocessing::Function* initializer = nullptr;
    Ref<Tuple> initargs = {};
    // A worker leaves after this many tasks and a new one takes its place (new in 3.11).
    std::optional<int> max_tasks_per_child = {};
    // How the workers start. None: the default context, or "spawn" when max_tasks_per_child is
    // given (3.11's rule: a worker started later must not be forked from a threaded parent).
    std::optional<multiprocessing::Context> mp_context = {};
};

class ProcessPoolExecutor {
  public:
    // ValueError("max_workers must be greater than 0"), ValueError("max_tasks_per_child must be
    // >= 1"), ValueError("max_tasks_per_child is incompatible with the 'fork' multiprocessing
    // start method; supply a different mp_context.") when mp_context is a fork context.
    explicit ProcessPoolExecutor(ProcessPoolOptions options = {});
    explicit ProcessPoolExecutor(int max_workers)
        : ProcessPoolExecutor(ProcessPoolOptions{.max_workers = max_workers}) {}
    // shutdown(wait=true).
    ~ProcessPoolExecutor();
    ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
    ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;

    // Schedules fn(*args) in a worker. The arguments are pickled here, so an unpicklable one
    // fails now (TypeError "cannot pickle ..."). BrokenProcessPool("A child process terminated
    // abruptly, the process pool is not usable anymore") once broken; RuntimeError("cannot
    // schedule new futures after shutdown").
    template <class... Args>
    ProcessFuture submit(const multiprocessing::Function& fn, const Args&... args) {
        return submit_tuple(fn, multiprocessing::make_args(args...));
    }
    ProcessFuture submit_tuple(const multiprocessing::Function& fn, const Ref<Tuple>& args);

    // Executor.map(fn, items, chunksize=n): fn(item) for every item, results in order. Items
    // travel `chunksize` at a time (one pickle, one round trip per chunk). The first exception
    // propagates; TimeoutError when the results are not all there after `timeout` seconds.
    template <class Range>
    std::vector<Ref<Object>> map(const multiprocessing::Function& fn, const Range& items,
                                 std::optional<double> timeout = std::nullopt, int chunksize = 1) {
        std::vector<Ref<Tuple>> calls;
        calls.reserve(static_cast<std::size_t>(std::distance(std::begin(items), std::end(items))));
        for (const auto& item : items) {
            calls.push_back(multiprocessing::make_args(item));
        }
        return map_calls(fn, calls, timeout, chunksize);
    }
    std::vector<Ref<Object>> map_calls(const multiprocessing::Function& fn,
                                       const std::vector<Ref<Tuple>>& calls,
                                       std::optional<double> timeout, int chunksize);

    void shutdown(bool wait = true, bool cancel_futures = false);

    [[nodiscard]] int max_workers() const noexcept;
    // The start method of the workers.
    [[nodiscard]] const std::string& start_method() const noexcept;
    // The pids of the worker processes started so far (replaced ones included).
    [[nodiscard]] std::vector<pid_t> worker_pids() const;

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace py::concurrent
