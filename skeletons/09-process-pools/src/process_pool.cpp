// ProcessPoolExecutor (CPython 3.11: Lib/concurrent/futures/process.py): worker processes that
// run registered functions on pickled arguments, and a manager thread in the parent that hands
// out work, collects results, runs done-callbacks and notices a worker that died.
//
//   caller threads --submit--> queue_ --manager thread--> worker sockets --> workers
//   futures <--set_result/set_exception-- manager thread <-- result frames -- workers
//
// Each worker has its own socket pair and at most MAX_IN_FLIGHT calls sent ahead (CPython sends
// max_workers + EXTRA_QUEUED_CALLS into one shared queue; per-worker sockets need no lock).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pool_support.hpp"
#include "py/kata.hpp"
#include "py/process_pool.hpp"

namespace py::concurrent {

namespace mp = py::multiprocessing;
using detail::Reader;
using namespace detail;  // this file's helpers and constants

namespace detail {  // not anonymous: a skeleton leaves helpers unused, without warnings

constexpr std::size_t MAX_IN_FLIGHT = 2;  // calls sent ahead to one worker
constexpr std::uint8_t STATUS_OK = 0;     // payload: the pickled list of return values
constexpr std::uint8_t STATUS_ERROR = 1;  // payload: type, message, traceback

const char* const BROKEN_MESSAGE =
    "A child process terminated abruptly, the process pool is not usable anymore";
const char* const ABRUPT_MESSAGE =
    "A process in the process pool was terminated abruptly while the future was running or "
    "pending.";

}  // namespace detail

// --- ProcessFuture ----------------------------------------------------------------------------

struct ProcessFuture::Cache {
    std::mutex mutex;
    Ref<Object> value;
};

ProcessFuture::ProcessFuture() : cache_(std::make_shared<Cache>()) {}

Ref<Object> ProcessFuture::result(std::optional<double> timeout) const {
    const std::string bytes = bytes_.result(timeout);
    std::lock_guard lock(cache_->mutex);
    if (!cache_->value) {
        cache_->value = pickle::loads(bytes);
    }
    return cache_->value;
}

// The callback gets a ProcessFuture over the same state, in whatever thread completes it.
void ProcessFuture::add_done_callback(std::function<void(ProcessFuture)> callback) const {
    PY_KATA_TODO("§6");
}

// --- The worker process -----------------------------------------------------------------------

namespace detail {  // not anonymous: a skeleton leaves helpers unused, without warnings

// _ExceptionWithTraceback: the exception's type, message and traceback text. The text sits
// between triple quotes, as CPython's _RemoteTraceback shows it under "The above exception was
// the direct cause of the following exception".
std::string describe_error(std::uint64_t work_id, const BaseException& error,
                           const std::string& function_name) {
    PY_KATA_TODO("§6");
}

// One call: (function name, [args tuple, ...], is_chunk) in; the return value out (the list of
// them for a chunk of map()).
std::string run_call(std::string_view work) {
    PY_KATA_TODO("§6");
}

// In a new worker: initializer(*initargs). False when it raised: the worker then ends, and the
// parent finds the pool broken, as in CPython.
bool run_initializer(const mp::Function* initializer, const Ref<Tuple>& initargs) {
    if (initializer == nullptr) {
        return true;
    }
    PY_KATA_TODO("§6");
}

// max_tasks_per_child: true once a worker has served its last call.
bool served_its_last(std::optional<int> max_tasks, int served) {
    PY_KATA_TODO("§7");
    return false;
}

// _process_worker: the initializer, then calls until the stop message (an empty frame) or EOF;
// with max_tasks, the worker leaves after that many calls and the parent starts another.
void worker_loop(int socket, const mp::Function* initializer, const Ref<Tuple>& initargs,
                 std::optional<int> max_tasks) {
    if (!run_initializer(initializer, initargs)) {
        return;
    }
    PY_KATA_TODO("§6");
}

// The worker's target when it is not forked: a spawned (or forkserver) program finds it by
// name, as Python pickles _process_worker by its qualified name. Its arguments are
// (initializer name or None, initargs, max_tasks or None); its socket is inherited_fd(0).
const mp::Function process_worker(
    "concurrent.futures.process._process_worker", [](Tuple& args) -> Ref<Object> {
        const mp::Function* initializer = nullptr;
        if (args.item(0) != None().get()) {
            initializer = mp::Function::find(mp::from_object<std::string>(args.item(0)));
        }
        std::optional<int> max_tasks;
        if (args.item(2) != None().get()) {
            max_tasks = mp::from_object<int>(args.item(2));
        }
        const int socket = mp::inherited_fd(0);
        worker_loop(socket, initializer, Ref<Tuple>::borrow(static_cast<Tuple*>(args.item(1))),
                    max_tasks);
        ::close(socket);
        return None();
    });

}  // namespace detail

// --- The pool ---------------------------------------------------------------------------------

struct ProcessPoolExecutor::Impl {
    struct WorkItem {
        std::uint64_t id;
        std::string message;  // work id + pickled call
        Future<std::string> future;
    };
    struct Worker {
        std::unique_ptr<mp::Process> process;
        int socket = -1;                      // the parent's end
        std::deque<std::uint64_t> in_flight;  // work ids sent, oldest first
        int sent = 0;                         // calls sent to it over its life
    };

    ProcessPoolOptions options;
    std::string start_method;
    // Not fork: the pickled (initializer name or None, initargs, max_tasks or None) of
    // process_worker, made once in the constructor's thread.
    std::string worker_args;
    int max_workers = 1;

    mutable std::mutex mutex;  // guards everything below
    std::deque<WorkItem> queue;
    std::unordered_map<std::uint64_t, WorkItem> running;
    std::uint64_t next_id = 0;
    bool shutdown = false;
    std::string broken;  // the reason, once broken
    std::vector<Worker> workers;
    std::vector<pid_t> pids;
    std::thread manager;
    int wakeup[2] = {-1, -1};

    void start_locked();
    void start_worker();
    void worker_main(std::size_t index, int socket);
    [[nodiscard]] bool retired(const Worker& worker) const;
    void replace_retired();
    void manager_loop();
    void dispatch();
    bool collect(Worker& worker);
    void terminate_broken();
    void stop_workers();
    // One byte in the wake-up pipe is enough until the manager has read it: submitting 10k
    // tasks should not cost 10k write() calls.
    std::atomic<bool> wake_pending{false};
    void wake() {
        if (!wake_pending.exchange(true, std::memory_order_acq_rel)) {
            const char byte = 1;
            (void)!::write(wakeup[1], &byte, 1);
        }
    }
};

// Starts every worker and then the manager thread (3.11 does the same for fork: all at once,
// before the thread exists, so no fork copies a running manager).
void ProcessPoolExecutor::Impl::start_locked() {
    if (manager.joinable() || !broken.empty()) {
        return;
    }
    if (::pipe2(wakeup, O_CLOEXEC) != 0) {
        throw OSError("pipe failed");
    }
    for (int i = 0; i < max_workers; ++i) {
        start_worker();
    }
    manager = std::thread([this] { manager_loop(); });
}

// _spawn_process: a forked worker runs worker_main on its copy of the pool; any other start
// method runs the registered process_worker, its socket passed as pass_fds.
void ProcessPoolExecutor::Impl::start_worker() {
    int fds[2];
    detail::socket_pair(fds);
    const std::size_t index = workers.size();
    Worker worker;
    worker.socket = fds[0];
    const int child_socket = fds[1];
    if (start_method == "fork") {
        worker.process = std::make_unique<mp::Process>(
            [this, index, child_socket] { worker_main(index, child_socket); });
    } else {
        PY_KATA_TODO("§7");
        (void)child_socket;
    }
    workers.push_back(std::move(worker));
    try {
        workers.back().process->start();
    } catch (...) {
        ::close(child_socket);
        ::close(workers.back().socket);
        workers.pop_back();
        throw;
    }
    ::close(child_socket);
    pids.push_back(*workers.back().process->pid());
}

// A forked worker: close what came along with the fork, then serve.
void ProcessPoolExecutor::Impl::worker_main(std::size_t index, int socket) {
    PY_KATA_TODO("§6");
    worker_loop(socket, options.initializer, options.initargs, options.max_tasks_per_child);
    ::close(socket);
}

// A worker that has run its max_tasks_per_child calls and answered them all leaves on its own:
// its EOF and its exit are expected, not a crash.
bool ProcessPoolExecutor::Impl::retired(const Worker& worker) const {
    PY_KATA_TODO("§7");
    return false;
}

// _adjust_process_count after a worker left: join it and start another while there is work.
void ProcessPoolExecutor::Impl::replace_retired() {
    PY_KATA_TODO("§7");
}

// Sends queued calls to workers with room, skipping futures cancelled meanwhile.
void ProcessPoolExecutor::Impl::dispatch() {
    PY_KATA_TODO("§6");
}

// Reads one result frame from `worker` and completes its future (outside the lock, so the
// done-callbacks may submit). False when the worker's socket is closed: it is gone.
bool ProcessPoolExecutor::Impl::collect(Worker& worker) {
    PY_KATA_TODO("§6");
}

// terminate_broken: every pending future fails with BrokenProcessPool, submit refuses from now
// on, and the remaining workers are terminated (their queues may be in any state).
void ProcessPoolExecutor::Impl::terminate_broken() {
    PY_KATA_TODO("§6");
}

// Asks every worker to stop (an empty frame) and waits for them.
void ProcessPoolExecutor::Impl::stop_workers() {
    for (Worker& worker : workers) {
        (void)detail::send_frame(worker.socket, "");
    }
    mutex.unlock();
    for (Worker& worker : workers) {
        worker.process->join();
    }
    mutex.lock();
}

// _ExecutorManagerThread.run: wait for a result, a dead worker or a wake-up; then hand out
// work; leave when shut down and idle, or broken.
void ProcessPoolExecutor::Impl::manager_loop() {
    std::unique_lock lock(mutex);
    while (true) {
        dispatch();
        if (shutdown && queue.empty() && running.empty()) {
            stop_workers();
            return;
        }
        std::vector<pollfd> fds;
        fds.push_back({wakeup[0], POLLIN, 0});
        for (Worker& worker : workers) {
            fds.push_back({worker.socket, POLLIN, 0});
            fds.push_back({worker.process->sentinel(), POLLIN, 0});
        }
        lock.unlock();
        while (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) {
        }
        lock.lock();
        if ((fds[0].revents & POLLIN) != 0) {
            // Drain, then clear. Cleared first, a wake() landing in between wrote a byte that
            // this read swallowed, leaving wake_pending set over an empty pipe: every later
            // wake() was skipped and the pool hung (6 of 15 runs of the 10k-task benchmark).
            char buffer[256];
            (void)!::read(wakeup[0], buffer, sizeof buffer);
            wake_pending.store(false, std::memory_order_release);
        }
        bool dead = false;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            const pollfd& socket = fds[1 + 2 * i];
            const pollfd& sentinel = fds[2 + 2 * i];
            if ((socket.revents & (POLLIN | POLLHUP)) != 0) {
                // Results first: a worker may have answered before it died.
                while (true) {
                    if (!collect(workers[i])) {
                        dead = dead || !retired(workers[i]);
                        break;
                    }
                    pollfd more{workers[i].socket, POLLIN, 0};
                    if (::poll(&more, 1, 0) <= 0 || (more.revents & POLLIN) == 0) {
                        break;
                    }
                }
            }
            // A retired worker's exit is expected: every answer it owed is in by now, since it
            // wrote them before it exited.
            if ((sentinel.revents & (POLLIN | POLLHUP)) != 0 && !retired(workers[i])) {
                dead = true;
            }
        }
        if (dead) {
            terminate_broken();
            return;
        }
        replace_retired();
    }
}

// --- The executor's interface ---------------------------------------------------------------

ProcessPoolExecutor::ProcessPoolExecutor(ProcessPoolOptions options)
    : impl_(std::make_shared<Impl>()) {
    if (options.max_workers && *options.max_workers <= 0) {
        throw ValueError("max_workers must be greater than 0");
    }
    // 3.11: with max_tasks_per_child and no context, the workers are spawned.
    const mp::Context context = options.mp_context            ? *options.mp_context
                                : options.max_tasks_per_child ? mp::get_context("spawn")
                                                              : mp::get_context();
    if (options.max_tasks_per_child) {
        if (*options.max_tasks_per_child <= 0) {
            throw ValueError("max_tasks_per_child must be >= 1");
        }
        if (context.get_start_method() == "fork") {
            throw ValueError(
                "max_tasks_per_child is incompatible with the 'fork' multiprocessing start "
                "method; supply a different mp_context.");
        }
    }
    impl_->start_method = context.get_start_method();
    impl_->max_workers = options.max_workers.value_or(mp::cpu_count());
    if (impl_->start_method != "fork") {
        Ref<Object> initializer = None();
        if (options.initializer != nullptr) {
            initializer = Str::create(options.initializer->name());
        }
        Ref<Object> max_tasks = None();
        if (options.max_tasks_per_child) {
            max_tasks = Int::create(*options.max_tasks_per_child);
        }
        impl_->worker_args = pickle::dumps(
            mp::make_args(initializer, options.initargs ? options.initargs : mp::make_args(),
                          max_tasks),
            pickle::HIGHEST_PROTOCOL);
    }
    impl_->options = std::move(options);
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
    shutdown(true);
}

ProcessFuture ProcessPoolExecutor::submit_tuple(const mp::Function& fn, const Ref<Tuple>& args) {
    // Pickled here, in the caller: an unpicklable argument fails now, not in a worker.
    Ref<List> calls = List::create();
    calls->append(args.get());
    Ref<Tuple> call = mp::make_args(Ref<Object>(Str::create(fn.name())), Ref<Object>(calls));
    std::string message;
    ProcessFuture future;
    {
        std::lock_guard lock(impl_->mutex);
        if (!impl_->broken.empty()) {
            throw BrokenProcessPool(impl_->broken);
        }
        if (impl_->shutdown) {
            throw RuntimeError("cannot schedule new futures after shutdown");
        }
        const std::uint64_t id = impl_->next_id++;
        detail::put_u64(message, id);
        message += pickle::dumps(call, pickle::HIGHEST_PROTOCOL);
        impl_->queue.push_back({id, std::move(message), future.pickled()});
        impl_->start_locked();
    }
    impl_->wake();
    return future;
}

// _process_chunk: calls travel `chunksize` at a time; the results of a chunk come back as one
// list and are unpacked in order.
std::vector<Ref<Object>> ProcessPoolExecutor::map_calls(const mp::Function& fn,
                                                        const std::vector<Ref<Tuple>>& calls,
                                                        std::optional<double> timeout,
                                                        int chunksize) {
    if (chunksize < 1) {
        throw ValueError("chunksize must be >= 1.");
    }
    PY_KATA_TODO("§6");
}

// Executor.shutdown: refuse new work; cancel what waits if asked; wait for the manager (and
// through it the workers) if asked.
void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
    std::vector<Future<std::string>> cancelled;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->shutdown = true;
        if (cancel_futures) {
            for (Impl::WorkItem& item : impl_->queue) {
                cancelled.push_back(item.future);
            }
            impl_->queue.clear();
        }
    }
    for (Future<std::string>& future : cancelled) {
        future.cancel();
    }
    if (impl_->wakeup[1] >= 0) {
        impl_->wake();
    }
    if (wait && impl_->manager.joinable() &&
        impl_->manager.get_id() != std::this_thread::get_id()) {
        impl_->manager.join();
        std::lock_guard lock(impl_->mutex);
        for (Impl::Worker& worker : impl_->workers) {
            ::close(worker.socket);
            worker.socket = -1;
        }
        impl_->workers.clear();
        ::close(impl_->wakeup[0]);
        ::close(impl_->wakeup[1]);
        impl_->wakeup[0] = impl_->wakeup[1] = -1;
    }
}

int ProcessPoolExecutor::max_workers() const noexcept {
    return impl_->max_workers;
}

const std::string& ProcessPoolExecutor::start_method() const noexcept {
    return impl_->start_method;
}

std::vector<pid_t> ProcessPoolExecutor::worker_pids() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->pids;
}

}  // namespace py::concurrent
