// Chapter 09, §7: a process pool whose workers start with spawn or forkserver (mp_context,
// get_context), and max_tasks_per_child replacing workers (CPython 3.11:
// Lib/concurrent/futures/process.py, Lib/multiprocessing/context.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "py/multiprocessing.hpp"
#include "py/process_pool.hpp"

namespace {

namespace mp = py::multiprocessing;
namespace cf = py::concurrent;

// Set by the test before the pool starts: a forked worker is a copy of the parent and sees it;
// a spawned one is a fresh program and has only what its static initialisers made.
long long parent_marker = 0;
// What the initializer was given, in the worker that ran it.
long long initialized_with = -1;

const mp::Function read_marker("tests.pool_methods.read_marker",
                               [](py::Tuple& /*args*/) { return mp::to_object(parent_marker); });
const mp::Function remember("tests.pool_methods.remember", [](py::Tuple& args) {
    initialized_with = mp::from_object<long long>(args.item(0));
    return mp::to_object(nullptr);
});
const mp::Function recall("tests.pool_methods.recall",
                          [](py::Tuple& /*args*/) { return mp::to_object(initialized_with); });
const mp::Function own_pid("tests.pool_methods.own_pid", [](py::Tuple& /*args*/) {
    return mp::to_object(static_cast<long long>(::getpid()));
});
const mp::Function cube("tests.pool_methods.cube", [](py::Tuple& args) {
    const long long x = mp::from_object<long long>(args.item(0));
    return mp::to_object(x * x * x);
});

TEST(ProcessPools, Step32_PoolWorkersStartWithAnyStartMethod) {
    EXPECT_EQ(mp::get_context("spawn").get_start_method(), "spawn");
    EXPECT_EQ(mp::get_context("forkserver").get_start_method(), "forkserver");
    EXPECT_EQ(mp::get_context().get_start_method(), mp::get_start_method());
    try {
        (void)mp::get_context("threads");
        ADD_FAILURE() << "get_context('threads') did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "cannot find context for 'threads'");
    }

    try {
        (void)mp::inherited_fd(0);
        ADD_FAILURE() << "the main process was passed no descriptor";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "no descriptor was passed at index 0");
    }

    parent_marker = 42;
    for (const std::string method : {"fork", "spawn", "forkserver"}) {
        SCOPED_TRACE(method);
        cf::ProcessPoolExecutor pool({.max_workers = 2,
                                      .initializer = &remember,
                                      .initargs = mp::make_args(7),
                                      .mp_context = mp::get_context(method)});
        EXPECT_EQ(pool.start_method(), method);
        EXPECT_EQ(pool.submit(read_marker).result_as<long long>(30.0), method == "fork" ? 42 : 0)
            << "only a forked worker is a copy of the parent";
        EXPECT_EQ(pool.submit(recall).result_as<long long>(30.0), 7)
            << "the initializer and its arguments reach every kind of worker";
        const auto cubes = pool.map(cube, std::vector<long long>{1, 2, 3, 4, 5}, 30.0, 2);
        ASSERT_EQ(cubes.size(), 5U);
        EXPECT_EQ(mp::from_object<long long>(cubes[4].get()), 125);
        for (const pid_t pid : pool.worker_pids()) {
            EXPECT_NE(pid, ::getpid());
        }
    }
    parent_marker = 0;

    // max_tasks_per_child with no context: 3.11 spawns the workers, and each serves two calls.
    cf::ProcessPoolExecutor one({.max_workers = 1, .max_tasks_per_child = 2});
    EXPECT_EQ(one.start_method(), "spawn");
    std::vector<long long> pids;
    pids.reserve(6);
    for (int i = 0; i < 6; ++i) {
        pids.push_back(one.submit(own_pid).result_as<long long>(30.0));
    }
    EXPECT_EQ(pids[0], pids[1]);
    EXPECT_EQ(pids[2], pids[3]);
    EXPECT_EQ(pids[4], pids[5]);
    EXPECT_NE(pids[0], pids[2]) << "a worker served more than max_tasks_per_child calls";
    EXPECT_NE(pids[2], pids[4]);
    EXPECT_NE(pids[0], pids[4]);

    // Many calls at once on two workers of three calls each: none is lost to a retirement, and
    // no worker serves a fourth.
    cf::ProcessPoolExecutor two(
        {.max_workers = 2, .max_tasks_per_child = 3, .mp_context = mp::get_context("forkserver")});
    std::vector<cf::ProcessFuture> futures;
    futures.reserve(20);
    for (int i = 0; i < 20; ++i) {
        futures.push_back(two.submit(own_pid));
    }
    std::map<long long, int> calls_per_worker;
    for (const cf::ProcessFuture& future : futures) {
        ++calls_per_worker[future.result_as<long long>(30.0)];
    }
    EXPECT_GE(calls_per_worker.size(), 7U);
    for (const auto& [pid, calls] : calls_per_worker) {
        EXPECT_LE(calls, 3) << "worker " << pid;
    }
    two.shutdown();
    const std::vector<pid_t> started = two.worker_pids();
    EXPECT_GE(started.size(), calls_per_worker.size());
}

}  // namespace
