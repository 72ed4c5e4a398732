// Chapter 09, §6: ProcessPoolExecutor, with the seed's pool examples (§二.3.6): tasks run in
// worker processes, done-callbacks in the parent, a dead worker breaks the pool instead of
// hanging it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "pipes.hpp"
#include "py/process_pool.hpp"

namespace {

namespace mp = py::multiprocessing;
namespace cf = py::concurrent;
using testing_pipes::Pipe;

// Functions the workers can call: registered by name when the test binary loads.
const mp::Function square("tests.square", [](py::Tuple& args) {
    const long long x = mp::from_object<long long>(args.item(0));
    return mp::to_object(x * x);
});
const mp::Function add("tests.add", [](py::Tuple& args) {
    return mp::to_object(mp::from_object<long long>(args.item(0)) +
                         mp::from_object<long long>(args.item(1)));
});
const mp::Function worker_pid("tests.worker_pid",
                              [](py::Tuple& /*args*/) { return mp::to_object(::getpid()); });
const mp::Function fail("tests.fail", [](py::Tuple& args) -> py::Ref<py::Object> {
    throw py::ValueError(mp::from_object<std::string>(args.item(0)));
});
const mp::Function crash("tests.crash", [](py::Tuple& /*args*/) -> py::Ref<py::Object> {
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
    return mp::to_object(nullptr);
});
// Blocks until one byte can be read from the inherited file descriptor args[0].
const mp::Function wait_on_fd("tests.wait_on_fd", [](py::Tuple& args) {
    char byte = 0;
    const auto n = ::read(mp::from_object<int>(args.item(0)), &byte, 1);
    return mp::to_object(static_cast<long long>(n));
});
// Writes a byte to args[0], then waits like wait_on_fd on args[1].
const mp::Function tell_then_wait("tests.tell_then_wait", [](py::Tuple& args) {
    const char byte = 's';
    (void)!::write(mp::from_object<int>(args.item(0)), &byte, 1);
    char in = 0;
    const auto n = ::read(mp::from_object<int>(args.item(1)), &in, 1);
    return mp::to_object(static_cast<long long>(n));
});
// Raises the py:: exception named args[0] (or one of a type no table knows).
class CustomError : public py::Exception {
  public:
    using py::Exception::Exception;
    [[nodiscard]] const char* python_name() const noexcept override { return "CustomError"; }
};
const mp::Function raise_named("tests.raise_named", [](py::Tuple& args) -> py::Ref<py::Object> {
    const std::string type = mp::from_object<std::string>(args.item(0));
    if (type == "KeyError") {
        throw py::KeyError("'k'");
    }
    if (type == "TypeError") {
        throw py::TypeError("bad type");
    }
    if (type == "ZeroDivisionError") {
        throw py::ZeroDivisionError("division by zero");
    }
    if (type == "OSError") {
        throw py::OSError("no such file");
    }
    throw CustomError("custom");
});
std::string worker_tag = "not initialized";
const mp::Function set_tag("tests.set_tag", [](py::Tuple& args) {
    worker_tag = mp::from_object<std::string>(args.item(0));
    return mp::to_object(nullptr);
});
const mp::Function get_tag("tests.get_tag",
                           [](py::Tuple& /*args*/) { return mp::to_object(worker_tag); });

py::TypeObject unpicklable_type = {.tp_name = "_thread.lock",
                                   .tp_basicsize = sizeof(py::Object),
                                   .tp_dealloc = [](py::Object* self) { py::free_object(self); }};

TEST(ProcessPools, Step22_SubmitRunsTheFunctionInAWorkerProcess) {
    // What a task's arguments become (given, py/multiprocessing.hpp): runtime objects, and back.
    const py::Ref<py::Object> five = py::Int::create(5);
    EXPECT_EQ(mp::to_object(five).get(), five.get()) << "an object travels as itself";
    const auto args = mp::make_args(nullptr, true, 7, 2.5, "text", std::string("more"));
    ASSERT_EQ(args->size(), 6);
    EXPECT_EQ(args->item(0), py::None().get());
    EXPECT_TRUE(mp::from_object<bool>(args->item(1)));
    EXPECT_EQ(mp::from_object<int>(args->item(2)), 7);
    EXPECT_DOUBLE_EQ(mp::from_object<double>(args->item(3)), 2.5);
    EXPECT_DOUBLE_EQ(mp::from_object<double>(args->item(2)), 7.0) << "an int where a float is due";
    EXPECT_EQ(mp::from_object<std::string>(args->item(4)), "text");
    EXPECT_EQ(mp::from_object<std::string>(args->item(5)), "more");
    try {
        (void)mp::from_object<long long>(args->item(4));
        ADD_FAILURE() << "a str is not an int";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "expected int, got str");
    }
    try {
        (void)mp::from_object<std::string>(args->item(2));
        ADD_FAILURE() << "an int is not a str";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "expected str, got int");
    }

    cf::ProcessPoolExecutor pool(2);
    EXPECT_EQ(pool.max_workers(), 2);
    auto future = pool.submit(square, 7);
    EXPECT_EQ(future.result_as<long long>(30.0), 49);
    const auto pid = pool.submit(worker_pid).result_as<long long>(30.0);
    EXPECT_NE(pid, ::getpid()) << "the task ran in a worker process";
    EXPECT_THAT(pool.worker_pids(), testing::Contains(static_cast<pid_t>(pid)));
    EXPECT_EQ(pool.worker_pids().size(), 2U);

    std::vector<cf::ProcessFuture> futures;
    futures.reserve(50);
    for (int i = 0; i < 50; ++i) {
        futures.push_back(pool.submit(add, i, 1000));
    }
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(futures[static_cast<std::size_t>(i)].result_as<long long>(30.0), 1000 + i);
    }

    // An argument that cannot be pickled fails at submit, in the caller.
    py::Ref<py::Object> lock = py::Ref<py::Object>::steal(py::alloc_object(&unpicklable_type));
    try {
        (void)pool.submit(square, lock);
        ADD_FAILURE() << "submit with an unpicklable argument did not throw";
    } catch (const py::TypeError& error) {
        EXPECT_STREQ(error.what(), "cannot pickle '_thread.lock' object");
    }

    pool.shutdown();
    try {
        (void)pool.submit(square, 1);
        ADD_FAILURE() << "submit after shutdown did not throw";
    } catch (const py::RuntimeError& error) {
        EXPECT_STREQ(error.what(), "cannot schedule new futures after shutdown");
    }
    EXPECT_THAT(testing_pipes::zombie_children(), testing::IsEmpty());
    EXPECT_THROW(cf::ProcessPoolExecutor(0), py::ValueError);

    // shutdown(cancel_futures=true): what has not been sent to a worker is cancelled.
    Pipe gate;
    Pipe started;
    cf::ProcessPoolExecutor single(1);
    std::vector<cf::ProcessFuture> waiting;
    waiting.push_back(single.submit(tell_then_wait, started.write_fd(), gate.read_fd()));
    for (int i = 0; i < 5; ++i) {
        waiting.push_back(single.submit(wait_on_fd, gate.read_fd()));
    }
    char byte = 0;
    ASSERT_EQ(::read(started.read_fd(), &byte, 1), 1) << "the first call runs in the worker";
    single.shutdown(false, true);
    gate.send("123456");
    single.shutdown();
    int cancelled = 0;
    for (auto& f : waiting) {
        cancelled += f.cancelled() ? 1 : 0;
    }
    EXPECT_GE(cancelled, 4) << "at most two calls were sent ahead to the one worker";
    EXPECT_EQ(waiting[0].result_as<long long>(30.0), 1) << "the first one ran";
}

TEST(ProcessPools, Step23_ATaskExceptionCarriesTheRemoteTraceback) {
    cf::ProcessPoolExecutor pool(2);
    auto future = pool.submit(fail, "boom");
    try {
        (void)future.result(30.0);
        ADD_FAILURE() << "result() of a failed task did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "boom");
        const std::string traceback = cf::remote_traceback(error);
        EXPECT_THAT(traceback,
                    testing::StartsWith("\n\"\"\"\nTraceback (most recent call last):\n"));
        EXPECT_THAT(traceback, testing::HasSubstr("tests.fail"));
        EXPECT_THAT(traceback, testing::EndsWith("ValueError: boom\n\"\"\""));
    }
    EXPECT_NE(future.exception(), nullptr);
    // The same type comes back (what the parent does not know becomes Exception).
    EXPECT_THROW((void)pool.submit(raise_named, "KeyError").result(30.0), py::KeyError);
    EXPECT_THROW((void)pool.submit(raise_named, "TypeError").result(30.0), py::TypeError);
    EXPECT_THROW((void)pool.submit(raise_named, "ZeroDivisionError").result(30.0),
                 py::ZeroDivisionError);
    EXPECT_THROW((void)pool.submit(raise_named, "OSError").result(30.0), py::OSError);
    try {
        (void)pool.submit(raise_named, "Custom").result(30.0);
        ADD_FAILURE() << "no exception";
    } catch (const py::Exception& error) {
        EXPECT_STREQ(error.what(), "CustomError: custom");
    }
    EXPECT_EQ(cf::remote_traceback(py::ValueError("local")), "") << "not from a worker";
    EXPECT_EQ(pool.submit(square, 3).result_as<long long>(30.0), 9) << "the pool goes on";
}

TEST(ProcessPools, Step24_DoneCallbacksRunInTheParent) {
    // Seed pool example 3: "done" runs in the main process, unlike a thread pool's callbacks.
    // And the seed's outer(info, file_name) closure collecting results by name.
    std::mutex mutex;
    std::vector<pid_t> callback_pids;
    std::map<std::string, long long> info;
    {
        cf::ProcessPoolExecutor pool(2);
        for (int i = 0; i < 10; ++i) {
            auto future = pool.submit(square, i);
            const std::string file_name = "file" + std::to_string(i);
            future.add_done_callback([&, file_name](const cf::ProcessFuture& done) {
                std::lock_guard lock(mutex);
                callback_pids.push_back(::getpid());
                info[file_name] = done.pickled().result().size() > 0 ? 1 : 0;
            });
        }
        pool.shutdown(true);  // callbacks have all run when shutdown(wait) returns
    }
    ASSERT_EQ(callback_pids.size(), 10U);
    for (const pid_t pid : callback_pids) {
        EXPECT_EQ(pid, ::getpid()) << "a done-callback runs in the parent process";
    }
    EXPECT_EQ(info.size(), 10U);
    // A callback added to a finished future runs at once, in the caller.
    cf::ProcessPoolExecutor pool(1);
    auto future = pool.submit(square, 5);
    (void)future.result(30.0);
    bool ran = false;
    future.add_done_callback(
        [&](const cf::ProcessFuture& done) { ran = done.result_as<long long>() == 25; });
    EXPECT_TRUE(ran);
}

TEST(ProcessPools, Step25_MapKeepsOrderWithChunks) {
    cf::ProcessPoolExecutor pool(2);
    std::vector<long long> numbers;
    for (long long i = 0; i < 100; ++i) {
        numbers.push_back(i);
    }
    for (const int chunksize : {1, 7, 100, 1000}) {
        const auto results = pool.map(square, numbers, 30.0, chunksize);
        ASSERT_EQ(results.size(), numbers.size()) << "chunksize " << chunksize;
        for (std::size_t i = 0; i < results.size(); ++i) {
            EXPECT_EQ(mp::from_object<long long>(results[i].get()), static_cast<long long>(i * i))
                << "chunksize " << chunksize;
        }
    }
    EXPECT_TRUE(pool.map(square, std::vector<long long>{}).empty());
    const std::vector<std::string> messages = {"first", "second"};
    EXPECT_THROW((void)pool.map(fail, messages, 30.0, 1), py::ValueError);
    EXPECT_THROW((void)pool.map(square, numbers, 30.0, 0), py::ValueError);
}

TEST(ProcessPools, Step26_InitializerRunsInEachWorker) {
    {
        cf::ProcessPoolExecutor pool(
            {.max_workers = 2, .initializer = &set_tag, .initargs = mp::make_args("ready")});
        for (int i = 0; i < 6; ++i) {
            EXPECT_EQ(pool.submit(get_tag).result_as<std::string>(30.0), "ready");
        }
    }
    EXPECT_EQ(worker_tag, "not initialized") << "the initializer ran in the workers only";
    try {
        cf::ProcessPoolExecutor pool(
            {.max_tasks_per_child = 1, .mp_context = mp::get_context("fork")});
        ADD_FAILURE() << "max_tasks_per_child with fork did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(),
                     "max_tasks_per_child is incompatible with the 'fork' multiprocessing start "
                     "method; supply a different mp_context.");
    }
    try {
        cf::ProcessPoolExecutor pool({.max_tasks_per_child = 0});
        ADD_FAILURE() << "max_tasks_per_child=0 did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "max_tasks_per_child must be >= 1");
    }
    // An initializer that raises: the worker ends, and the pool is broken.
    cf::ProcessPoolExecutor broken(
        {.max_workers = 1, .initializer = &fail, .initargs = mp::make_args("bad init")});
    Pipe err;
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(err.write_fd(), STDERR_FILENO);
    auto future = broken.submit(square, 2);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    EXPECT_THROW((void)future.result(30.0), cf::BrokenProcessPool);
    err.close_write();
    broken.shutdown();
    EXPECT_THAT(err.receive_all(),
                testing::HasSubstr("Exception in initializer:\nValueError: bad init"));
}

TEST(ProcessPools, Step27_AKilledWorkerBreaksThePool) {
    {
        cf::ProcessPoolExecutor pool(2);
        auto future = pool.submit(crash);
        try {
            (void)future.result(30.0);
            ADD_FAILURE() << "a crashed worker's future did not fail";
        } catch (const cf::BrokenProcessPool& error) {
            EXPECT_STREQ(error.what(),
                         "A process in the process pool was terminated abruptly while the "
                         "future was running or pending.");
        }
        try {
            (void)pool.submit(square, 1);
            ADD_FAILURE() << "submit to a broken pool did not throw";
        } catch (const cf::BrokenProcessPool& error) {
            EXPECT_STREQ(error.what(),
                         "A child process terminated abruptly, the process pool is not usable "
                         "anymore");
        }
    }
    // Every pending future fails instead of hanging: tasks blocked in the workers, and tasks
    // still queued in the parent, when a worker is killed from outside.
    Pipe never;
    cf::ProcessPoolExecutor pool(2);
    std::vector<cf::ProcessFuture> futures;
    futures.reserve(8);
    for (int i = 0; i < 8; ++i) {
        futures.push_back(pool.submit(wait_on_fd, never.read_fd()));
    }
    ASSERT_EQ(pool.worker_pids().size(), 2U);
    ::kill(pool.worker_pids()[0], SIGKILL);
    for (auto& future : futures) {
        EXPECT_THROW((void)future.result(30.0), cf::BrokenProcessPool);
    }
    pool.shutdown();
    EXPECT_THAT(testing_pipes::zombie_children(), testing::IsEmpty());
}

}  // namespace
