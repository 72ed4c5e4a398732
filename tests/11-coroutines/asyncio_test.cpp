// Chapter 11, §8-§10: py::asyncio, an event loop on epoll with futures, tasks and coroutines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "py/asyncio.hpp"
#include "py/asyncio_threads.hpp"

namespace {

namespace asyncio = py::asyncio;
using asyncio::Coroutine;
using asyncio::EventLoop;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::MatchesRegex;

TEST(Coroutines, Step21_CallSoonRunsCallbacksInOrderOnTheNextIteration) {
    EventLoop loop;
    std::vector<std::string> order;
    loop.call_soon([&] {
        order.emplace_back("a");
        loop.call_soon([&] { order.emplace_back("c (scheduled by a)"); });
    });
    loop.call_soon([&] { order.emplace_back("b"); });
    asyncio::Handle cancelled = loop.call_soon([&] { order.emplace_back("cancelled"); });
    cancelled.cancel();
    loop.run_once();
    EXPECT_THAT(order, ElementsAre("a", "b"))
        << "one iteration runs the callbacks that were ready when it began, in order (§8)";
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(order, ElementsAre("a", "b", "c (scheduled by a)"))
        << "run_forever iterates until stop(); a cancelled handle never runs";
    EXPECT_FALSE(loop.is_running());
    EXPECT_FALSE(loop.get_debug()) << "debug mode is off unless asked for";

    loop.call_soon([&] {
        EXPECT_EQ(loop.ready_count(), 0U) << "the iteration took every handle that was ready";
        try {
            loop.run_forever();
            ADD_FAILURE() << "a running loop cannot be run again";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "This event loop is already running");
        }
        EventLoop other;
        try {
            other.run_forever();
            ADD_FAILURE() << "one running loop per thread";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "Cannot run the event loop while another loop is running");
        }
        try {
            loop.close();
            ADD_FAILURE() << "a running loop cannot be closed";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "Cannot close a running event loop");
        }
        loop.stop();
    });
    loop.run_forever();
    asyncio::Future<int> never(loop);
    loop.call_soon([&] { loop.stop(); });
    try {
        loop.run_until_complete(never);
        FAIL() << "stop() before the future is done";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Event loop stopped before Future completed.");
    }
    loop.close();
    loop.close();  // closing twice is harmless
    EXPECT_TRUE(loop.is_closed());
    try {
        loop.call_soon([] {});
        FAIL() << "nothing can be scheduled on a closed loop";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Event loop is closed");
    }
    EXPECT_THROW(loop.run_forever(), py::RuntimeError);
}

TEST(Coroutines, Step22_CallLaterFiresTimersInDeadlineOrder) {
    EventLoop loop;
    std::vector<int> order;
    // Read before the first call_later: a timer is due 0.03 s after it was scheduled, not after
    // a clock reading taken later (that reading made the check fail by 0.2 ms on a fresh clone).
    const double started = loop.time();
    loop.call_later(0.03, [&] {
        order.push_back(3);
        loop.stop();
    });
    loop.call_later(0.01, [&] { order.push_back(1); });
    asyncio::Handle dropped = loop.call_later(0.02, [&] { order.push_back(99); });
    loop.call_at(loop.time() + 0.02, [&] { order.push_back(2); });
    dropped.cancel();
    loop.run_forever();
    EXPECT_THAT(order, ElementsAre(1, 2, 3)) << "the timer heap pops the earliest deadline (§8)";
    EXPECT_GE(loop.time() - started, 0.03) << "and no timer fires before its time";
    EXPECT_EQ(loop.scheduled_count(), 0U) << "the cancelled timer was purged from the heap";

    // Many timers, most of them cancelled: one pass drops every cancelled one
    // (_MIN_SCHEDULED_TIMER_HANDLES 100, _MIN_CANCELLED_TIMER_HANDLES_FRACTION 0.5).
    std::vector<asyncio::Handle> timers;
    timers.reserve(150);
    for (int i = 0; i < 150; ++i) {
        timers.push_back(loop.call_later(3600 + i, [] {}));
    }
    for (int i = 0; i < 150; i += 3) {
        timers[static_cast<std::size_t>(i)].cancel();
        timers[static_cast<std::size_t>(i) + 1].cancel();
    }
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(loop.scheduled_count(), 50U)
        << "over 100 timers with more than half cancelled: all cancelled ones are purged (§8)";
    for (auto& timer : timers) {
        timer.cancel();
    }
}

TEST(Coroutines, Step23_ACallbackThatThrowsGoesToTheExceptionHandler) {
    EventLoop loop;
    std::vector<std::string> reported;
    loop.set_exception_handler([&](EventLoop&, const asyncio::ExceptionContext& context) {
        try {
            std::rethrow_exception(context.exception);
        } catch (const py::ValueError& e) {
            reported.push_back(context.message + ": " + e.what());
        }
    });
    bool after = false;
    loop.call_soon([] { throw py::ValueError("boom"); });
    loop.call_soon([&] {
        after = true;
        loop.stop();
    });
    loop.run_forever();
    EXPECT_THAT(reported, ElementsAre("Exception in callback: boom"))
        << "the loop catches what a callback throws and reports it (§8)";
    EXPECT_TRUE(after) << "and goes on with the next callback";

    EventLoop plain;  // no handler set: asyncio's default handler logs to stderr
    testing::internal::CaptureStderr();
    plain.call_exception_handler(
        {"Exception in callback", std::make_exception_ptr(py::ValueError("logged"))});
    plain.call_exception_handler({"", nullptr});
    plain.call_exception_handler({"odd", std::make_exception_ptr(std::out_of_range("raw"))});
    plain.call_exception_handler({"odder", std::make_exception_ptr(42)});
    plain.set_exception_handler(
        [](EventLoop&, const asyncio::ExceptionContext&) { throw py::KeyError("handler bug"); });
    plain.call_exception_handler({"lost", nullptr});
    std::string logged = testing::internal::GetCapturedStderr();
    EXPECT_THAT(logged, HasSubstr("Exception in callback\nValueError: logged\n"));
    EXPECT_THAT(logged, HasSubstr("Unhandled exception in event loop\n"))
        << "an empty message is asyncio's default one";
    EXPECT_THAT(logged, HasSubstr("raw"));
    EXPECT_THAT(logged, HasSubstr("odder\nunknown exception\n"));
    EXPECT_THAT(logged, HasSubstr("Unhandled error in exception handler\nKeyError: handler bug"))
        << "an exception raised by the handler itself goes to the default handler";
}

TEST(Coroutines, Step24_CallSoonThreadsafeWakesTheLoop) {
    EventLoop loop;
    int value = 0;
    std::thread other;
    loop.call_soon([&] {
        // The loop has nothing to do now and would block in epoll_wait forever.
        other = std::thread([&] {
            loop.call_soon_threadsafe([&] {
                value = 42;
                loop.stop();
            });
        });
    });
    loop.run_forever();
    other.join();
    EXPECT_EQ(value, 42) << "the eventfd wakes the blocked loop, which runs the callback (§8)";
}

TEST(Coroutines, Step25_FutureStateMachineAndCallbacks) {
    EventLoop loop;
    asyncio::Future<int> future(loop);
    EXPECT_FALSE(future.done());
    try {
        future.result();
        FAIL() << "a pending future has no result (§9)";
    } catch (const asyncio::InvalidStateError& e) {
        EXPECT_STREQ(e.what(), "Result is not set.");
    }
    std::vector<int> seen;
    future.add_done_callback([&](asyncio::FutureBase& f) {
        EXPECT_TRUE(f.done());
        seen.push_back(future.result());
    });
    future.set_result(7);
    EXPECT_TRUE(seen.empty()) << "done callbacks are scheduled with call_soon, not called inline";
    loop.run_once();
    EXPECT_THAT(seen, ElementsAre(7));
    try {
        future.set_result(8);
        FAIL() << "a done future cannot be set again";
    } catch (const asyncio::InvalidStateError& e) {
        EXPECT_THAT(e.what(), HasSubstr("FINISHED"));
    }
    asyncio::Future<int> cancelled(loop);
    EXPECT_TRUE(cancelled.cancel("why"));
    EXPECT_FALSE(cancelled.cancel()) << "cancel() on a done future returns False";
    try {
        cancelled.result();
        FAIL() << "a cancelled future's result raises CancelledError";
    } catch (const asyncio::CancelledError& e) {
        EXPECT_STREQ(e.what(), "why") << "with the cancel message";
    }
    asyncio::Future<int> failed(loop);
    failed.set_exception(std::make_exception_ptr(py::KeyError("k")));
    EXPECT_THROW(failed.result(), py::KeyError);
    EXPECT_STREQ(failed.state()->state_name(), "FINISHED");
    EXPECT_STREQ(cancelled.state()->state_name(), "CANCELLED");

    asyncio::Future<int> pending(loop);
    EXPECT_STREQ(pending.state()->state_name(), "PENDING");
    try {
        (void)pending.exception();
        FAIL() << "a pending future has no exception either";
    } catch (const asyncio::InvalidStateError& e) {
        EXPECT_STREQ(e.what(), "Exception is not set.");
    }
    EXPECT_THROW((void)cancelled.exception(), asyncio::CancelledError)
        << "a cancelled future's exception() raises CancelledError";
    int late = 0;
    future.add_done_callback([&](asyncio::FutureBase&) { late = future.result(); });
    EXPECT_EQ(late, 0) << "a callback added to a done future is still scheduled, not called";
    loop.run_once();
    EXPECT_EQ(late, 7);
}

// The seed's asyncio example: func1 prints 1, sleeps, prints 2; func2 prints 3, sleeps, prints 4.
Coroutine<void> seed_func(std::vector<int>& printed, int first, int second) {
    printed.push_back(first);
    co_await asyncio::sleep(0.01);
    printed.push_back(second);
}

Coroutine<int> add_later(int a, int b) {
    co_await asyncio::sleep(0);
    co_return a + b;
}

Coroutine<int> sleep_long() {
    co_await asyncio::sleep(3600);
    co_return 0;
}

Coroutine<int> nested() {
    int x = co_await add_later(1, 2);  // awaited inline, no task
    int y = co_await add_later(x, 10);
    co_return y;
}

TEST(Coroutines, Step26_TasksRunCoroutinesAndSleepYields) {
    std::vector<int> printed;
    auto main = [&]() -> Coroutine<void> {
        auto t1 = asyncio::create_task(seed_func(printed, 1, 2));
        auto t2 = asyncio::create_task(seed_func(printed, 3, 4));
        co_await t1;
        co_await t2;
    };
    asyncio::run(main());
    EXPECT_THAT(printed, ElementsAre(1, 3, 2, 4))
        << "both tasks run to their sleep, then both wake up (§9, the seed's example)";
    EXPECT_EQ(asyncio::run(nested()), 13) << "awaiting a coroutine runs it inline";

    std::vector<std::string> turns;
    auto worker = [&](std::string name) -> Coroutine<void> {
        for (int i = 0; i < 2; ++i) {
            turns.push_back(name);
            co_await asyncio::sleep(0);
        }
    };
    auto both = [&]() -> Coroutine<void> {
        auto a = asyncio::create_task(worker("a"));
        auto b = asyncio::create_task(worker("b"));
        co_await a;
        co_await b;
    };
    asyncio::run(both());
    EXPECT_THAT(turns, ElementsAre("a", "b", "a", "b")) << "sleep(0) yields to the loop once";

    // Tasks nobody holds: from one step to the next only their ready entries keep them alive.
    std::vector<int> unheld;
    auto count_up = [&](int id) -> Coroutine<void> {
        for (int i = 0; i < 3; ++i) {
            unheld.push_back(id * 10 + i);
            co_await asyncio::sleep(0);
        }
    };
    auto spawn_unheld = [&]() -> Coroutine<void> {
        (void)asyncio::create_task(count_up(1));
        (void)asyncio::create_task(count_up(2));
        for (int i = 0; i < 4; ++i) {
            co_await asyncio::sleep(0);
        }
    };
    asyncio::run(spawn_unheld());
    EXPECT_THAT(unheld, ElementsAre(10, 20, 11, 21, 12, 22))
        << "a task whose handle was dropped still runs a step per iteration to its end";
    EXPECT_THROW(asyncio::get_running_loop(), py::RuntimeError)
        << "outside a running loop: RuntimeError(\"no running event loop\")";

    // A coroutine driven by hand, outside any task, cannot wait: our misuse errors.
    Coroutine<void> loose = asyncio::sleep(0);
    loose.handle().resume();
    ASSERT_TRUE(loose.done());
    EXPECT_THROW(loose.take_result(), py::RuntimeError) << "sleep() must be awaited in a Task";
    EventLoop idle;
    auto wait_loose = [&]() -> Coroutine<void> { co_await asyncio::Future<void>(idle); };
    Coroutine<void> loose_wait = wait_loose();
    loose_wait.handle().resume();
    EXPECT_THROW(loose_wait.take_result(), py::RuntimeError) << "a Future is awaited in a Task";

    std::vector<std::string> shutdown;
    auto stubborn = [&]() -> Coroutine<int> {
        try {
            co_await asyncio::sleep(3600);
        } catch (const asyncio::CancelledError&) {
            shutdown.emplace_back("cancelled at shutdown");
        }
        throw py::ValueError("refused to stop");
    };
    auto leaves_tasks = [&]() -> Coroutine<std::string> {
        asyncio::get_running_loop().set_exception_handler(
            [&](EventLoop&, const asyncio::ExceptionContext& context) {
                shutdown.push_back(context.message);
            });
        try {
            asyncio::run(nested());
            ADD_FAILURE() << "asyncio.run() inside a running loop";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "asyncio.run() cannot be called from a running event loop");
        }
        EXPECT_EQ(&asyncio::get_event_loop(), &asyncio::get_running_loop())
            << "get_event_loop() is the running loop when there is one";
        auto left = asyncio::create_task(stubborn());
        co_await asyncio::sleep(0);
        EXPECT_THAT(left.task_state()->repr(), MatchesRegex("<Task pending name='Task-[0-9]+'>"));
        co_return left.get_name();
    };
    std::string name = asyncio::run(leaves_tasks());
    EXPECT_THAT(name, MatchesRegex("Task-[0-9]+")) << "tasks are named Task-N by default";
    EXPECT_THAT(shutdown, ElementsAre("cancelled at shutdown",
                                      "unhandled exception during asyncio.run() shutdown"))
        << "asyncio.run() cancels the tasks left over and reports what they raise";

    auto many = [&]() -> Coroutine<int> {
        int sum = 0;
        for (int i = 0; i < 100; ++i) {  // the loop's list of tasks prunes finished ones
            sum += co_await asyncio::create_task(add_later(i, 0));
        }
        co_return sum;
    };
    EXPECT_EQ(asyncio::run(many()), 4950);

    asyncio::Task<int> self;
    auto await_self = [&]() -> Coroutine<int> {
        co_await asyncio::sleep(0);
        co_return co_await self;
    };
    auto selfish = [&]() -> Coroutine<void> {
        self = asyncio::create_task(await_self());
        try {
            co_await self;
            ADD_FAILURE() << "a task cannot await itself";
        } catch (const py::RuntimeError& e) {
            EXPECT_THAT(e.what(), HasSubstr("Task cannot await on itself: <Task pending name="));
        }
        try {
            self.task_state()->step();
            ADD_FAILURE() << "a finished task cannot be stepped";
        } catch (const asyncio::InvalidStateError& e) {
            EXPECT_THAT(e.what(), HasSubstr("_step(): already done: <Task finished name="));
        }
    };
    asyncio::run(selfish());
    auto fresh_loop = []() -> Coroutine<bool> { co_return true; };
    asyncio::set_event_loop(nullptr);
    EventLoop& made = asyncio::get_event_loop();
    EXPECT_EQ(&made, &asyncio::get_event_loop()) << "outside a running loop: the thread's loop";
    EXPECT_TRUE(made.run_until_complete(fresh_loop()));
    asyncio::set_event_loop(nullptr);
}

TEST(Coroutines, Step40_ReadersRunWhenTheirFdIsReady) {
    EventLoop loop;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::string got;
    loop.add_reader(fds[0], [&] {
        char buffer[16];
        ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        got.append(buffer, static_cast<std::size_t>(n));
        if (got.size() >= 5) {
            loop.remove_reader(fds[0]);
            loop.stop();
        }
    });
    EXPECT_EQ(loop.registered_fd_count(), 1U);
    loop.call_soon([&] { EXPECT_EQ(::write(fds[1], "hel", 3), 3); });
    loop.call_later(0.01, [&] { EXPECT_EQ(::write(fds[1], "lo", 2), 2); });
    loop.run_forever();
    EXPECT_EQ(got, "hello") << "epoll reports the pipe readable and the reader runs (§10)";
    EXPECT_EQ(loop.registered_fd_count(), 0U) << "remove_reader unregisters the fd";
    ::close(fds[0]);
    ::close(fds[1]);

    FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    try {
        loop.add_reader(::fileno(file), [] {});
        ADD_FAILURE() << "epoll refuses regular files";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "epoll_ctl: Operation not permitted");
    }
    std::fclose(file);
}

TEST(Coroutines, Step27_CancellationThrowsCancelledErrorAtTheAwait) {
    std::vector<std::string> log;
    auto sleeper = [&]() -> Coroutine<int> {
        try {
            co_await asyncio::sleep(3600);
        } catch (const asyncio::CancelledError& e) {
            log.push_back(std::string("cancelled: ") + e.what());
            throw;
        }
        co_return 0;
    };
    auto main = [&]() -> Coroutine<void> {
        auto task = asyncio::create_task(sleeper());
        co_await asyncio::sleep(0);  // let it start and block in sleep(3600)
        EXPECT_TRUE(task.cancel("enough"));
        EXPECT_EQ(task.cancelling(), 1) << "cancel() counts the request";
        try {
            co_await task;
            ADD_FAILURE() << "awaiting a cancelled task raises CancelledError";
        } catch (const asyncio::CancelledError&) {
        }
        EXPECT_TRUE(task.cancelled());
        EXPECT_EQ(task.uncancel(), 0);
    };
    asyncio::run(main());
    EXPECT_THAT(log, ElementsAre("cancelled: enough"))
        << "CancelledError is raised inside the task at its await, with the message (§9)";

    bool body_ran = false;
    auto never = [&]() -> Coroutine<void> {
        body_ran = true;
        co_return;
    };
    auto cancel_early = [&]() -> Coroutine<void> {
        auto task = asyncio::create_task(never());
        task.cancel();
        try {
            co_await task;
        } catch (const asyncio::CancelledError&) {
        }
    };
    asyncio::run(cancel_early());
    EXPECT_FALSE(body_ran) << "a task cancelled before its first step never runs its body";

    auto cancels_itself = [&]() -> Coroutine<void> {
        EXPECT_TRUE(asyncio::current_task()->cancel("self"));
        try {
            co_await asyncio::sleep(3600);
            ADD_FAILURE() << "the pending cancellation cancels the next future awaited";
        } catch (const asyncio::CancelledError& e) {
            log.push_back(std::string("self-cancelled: ") + e.what());
        }
        EXPECT_EQ(asyncio::current_task()->uncancel(), 0);
    };
    auto outer = [&]() -> Coroutine<void> {
        auto task = asyncio::create_task(cancels_itself());
        co_await task;
        EXPECT_FALSE(task.cancel()) << "cancel() on a done task returns False";
    };
    asyncio::run(outer());
    EXPECT_EQ(log.back(), "self-cancelled: self");
}

TEST(Coroutines, Step28_WaitForAndTimeoutRaiseTimeoutError) {
    auto slow = []() -> Coroutine<int> {
        co_await asyncio::sleep(3600);
        co_return 1;
    };
    auto fast = []() -> Coroutine<int> {
        co_await asyncio::sleep(0);
        co_return 2;
    };
    auto main = [&]() -> Coroutine<void> {
        EXPECT_EQ(co_await asyncio::wait_for(fast(), 10.0), 2);
        try {
            co_await asyncio::wait_for(slow(), 0.01);
            ADD_FAILURE() << "wait_for past its timeout raises TimeoutError (§9)";
        } catch (const py::TimeoutError&) {
        }
        EXPECT_EQ(asyncio::current_task()->cancelling(), 0)
            << "the timeout took back its own cancellation (uncancel)";
        auto guarded = asyncio::create_task(asyncio::timeout(3600.0, slow()));
        co_await asyncio::sleep(0);
        guarded.cancel();
        EXPECT_THROW(co_await guarded, asyncio::CancelledError)
            << "a cancellation that is not the timeout's goes on as CancelledError";
    };
    asyncio::run(main());

    Coroutine<int> outside = asyncio::timeout(1.0, fast());
    outside.handle().resume();
    try {
        outside.take_result();
        FAIL() << "timeout() needs a task to cancel";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Timeout should be used inside a task");
    }
}

TEST(Coroutines, Step29_EventAndLockWakeWaiters) {
    std::vector<std::string> log;
    auto main = [&]() -> Coroutine<void> {
        asyncio::Event event;
        asyncio::Lock lock;
        auto waiter = [&](std::string name) -> Coroutine<void> {
            co_await event.wait();
            co_await lock.acquire();
            log.push_back(name + " in");
            co_await asyncio::sleep(0);
            log.push_back(name + " out");
            lock.release();
        };
        auto a = asyncio::create_task(waiter("a"));
        auto b = asyncio::create_task(waiter("b"));
        co_await asyncio::sleep(0);
        EXPECT_TRUE(log.empty()) << "both wait for the event";
        event.set();
        co_await a;
        co_await b;
        EXPECT_THROW(lock.release(), py::RuntimeError) << "Lock is not acquired.";

        // A waiter cancelled while it waits for the lock leaves the queue (Lock.acquire's
        // except clause): the lock can be taken again.
        co_await lock.acquire();
        auto blocked = asyncio::create_task(lock.acquire());
        co_await asyncio::sleep(0);
        blocked.cancel();
        EXPECT_THROW(co_await blocked, asyncio::CancelledError);
        lock.release();
        EXPECT_TRUE(co_await lock.acquire()) << "a cancelled waiter leaves the queue";
        lock.release();

        asyncio::Semaphore semaphore(1);
        EXPECT_FALSE(semaphore.locked());
        co_await semaphore.acquire();
        EXPECT_TRUE(semaphore.locked()) << "its one slot is taken";
        auto second = [&]() -> Coroutine<bool> {
            co_await semaphore.acquire();
            log.emplace_back("second in");
            semaphore.release();
            co_return true;
        };
        auto cancelled = asyncio::create_task(semaphore.acquire());
        auto waiting = asyncio::create_task(second());
        co_await asyncio::sleep(0);
        cancelled.cancel();
        EXPECT_THROW(co_await cancelled, asyncio::CancelledError);
        EXPECT_TRUE(semaphore.locked()) << "a task still waits";
        semaphore.release();
        EXPECT_TRUE(co_await waiting);
        EXPECT_FALSE(semaphore.locked());
    };
    asyncio::run(main());
    EXPECT_THAT(log, ElementsAre("a in", "a out", "b in", "b out", "second in"))
        << "the lock lets one task in at a time, in arrival order (§9)";
    try {
        asyncio::Semaphore negative(-1);
        FAIL() << "a negative semaphore";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "Semaphore initial value must be >= 0");
    }
}

TEST(Coroutines, Step30_GatherCollectsResultsAndExceptions) {
    auto value = [](int v) -> Coroutine<int> {
        co_await asyncio::sleep(0.001 * v);
        co_return v;
    };
    auto failing = []() -> Coroutine<int> {
        co_await asyncio::sleep(0);
        throw py::ValueError("bad");
    };
    auto main = [&]() -> Coroutine<void> {
        std::vector<asyncio::Task<int>> tasks;
        for (int v = 3; v > 0; --v) {
            tasks.push_back(asyncio::create_task(value(v)));
        }
        std::vector<int> results = co_await asyncio::gather(tasks);
        EXPECT_THAT(results, ElementsAre(3, 2, 1))
            << "results in the order given, not the order they finished (§9)";
        std::vector<asyncio::Task<int>> mixed;
        mixed.push_back(asyncio::create_task(value(1)));
        mixed.push_back(asyncio::create_task(failing()));
        auto outcomes = co_await asyncio::gather(mixed, /*return_exceptions=*/true);
        EXPECT_EQ(outcomes.size(), 2U);
        if (outcomes.size() == 2) {
            EXPECT_EQ(*outcomes[0].value, 1);
            EXPECT_TRUE(outcomes[1].exception != nullptr) << "return_exceptions collects the error";
        }
        std::vector<asyncio::Task<int>> again;
        again.push_back(asyncio::create_task(failing()));
        try {
            co_await asyncio::gather(again);
            ADD_FAILURE() << "without return_exceptions the first error propagates";
        } catch (const py::ValueError&) {
        }
        std::vector<asyncio::Task<int>> with_cancelled;
        with_cancelled.push_back(asyncio::create_task(sleep_long()));
        with_cancelled.push_back(asyncio::create_task(value(1)));
        with_cancelled[0].cancel("stop");
        auto collected = co_await asyncio::gather(with_cancelled, /*return_exceptions=*/true);
        EXPECT_THROW(std::rethrow_exception(collected[0].exception), asyncio::CancelledError)
            << "a cancelled child's outcome is its CancelledError";
        std::vector<asyncio::Task<int>> cancelled_child;
        cancelled_child.push_back(asyncio::create_task(sleep_long()));
        cancelled_child[0].cancel("stop");
        try {
            co_await asyncio::gather(cancelled_child);
            ADD_FAILURE() << "a cancelled child cancels a plain gather";
        } catch (const asyncio::CancelledError& e) {
            EXPECT_STREQ(e.what(), "stop");
        }

        auto nothing = co_await asyncio::gather(std::vector<asyncio::Task<int>>{});
        EXPECT_TRUE(nothing.empty()) << "gather() of nothing is an empty list at once";

        std::vector<asyncio::Task<int>> first_fails;
        first_fails.push_back(asyncio::create_task(failing()));
        first_fails.push_back(asyncio::create_task(failing()));
        EXPECT_THROW(co_await asyncio::gather(first_fails), py::ValueError);
        co_await asyncio::sleep(0);  // the second failure arrives after the gather is done
        EXPECT_TRUE(first_fails[1].done()) << "(and is not reported as never retrieved)";

        std::vector<asyncio::Task<int>> sleepers;
        sleepers.push_back(asyncio::create_task(sleep_long()));
        sleepers.push_back(asyncio::create_task(sleep_long()));
        auto gathered = asyncio::gather(sleepers, /*return_exceptions=*/true);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(gathered.cancel()) << "cancelling a gather cancels its children";
        EXPECT_THROW(co_await gathered, asyncio::CancelledError);
        EXPECT_TRUE(sleepers[0].cancelled() && sleepers[1].cancelled());
        EXPECT_FALSE(gathered.cancel()) << "a done gather cannot be cancelled";
    };
    asyncio::run(main());
}

TEST(Coroutines, Step31_WaitAndTheSeedsRunUntilComplete) {
    // tasks = [ensure_future(func1()), ensure_future(func2())];
    // loop.run_until_complete(asyncio.wait(tasks))   (the seed's asyncio example)
    std::vector<int> printed;
    auto loop = asyncio::new_event_loop();
    asyncio::set_event_loop(loop);
    std::vector<asyncio::Task<void>> tasks{
        asyncio::create_task(seed_func(printed, 1, 2), {}, loop.get()),
        asyncio::create_task(seed_func(printed, 3, 4), {}, loop.get())};
    auto result = loop->run_until_complete(asyncio::wait(tasks));
    EXPECT_THAT(printed, ElementsAre(1, 3, 2, 4)) << "(§9)";
    EXPECT_EQ(result.done.size(), 2U);
    EXPECT_TRUE(result.pending.empty());

    auto first = [&]() -> Coroutine<void> {
        auto slow = asyncio::create_task(add_later(0, 0));
        auto never = asyncio::create_task(sleep_long());
        std::vector<asyncio::Task<int>> both;  // (GCC 12 cannot keep a braced list in a co_await)
        both.push_back(slow);
        both.push_back(never);
        auto r = co_await asyncio::wait(both, asyncio::ReturnWhen::FirstCompleted);
        EXPECT_EQ(r.done.size(), 1U) << "FIRST_COMPLETED returns as soon as one is done";
        EXPECT_EQ(r.pending.size(), 1U);

        auto failing = []() -> Coroutine<int> {
            co_await asyncio::sleep(0);
            throw py::ValueError("first exception");
        };
        std::vector<asyncio::Task<int>> mixed;
        mixed.push_back(never);
        mixed.push_back(asyncio::create_task(failing()));
        auto f = co_await asyncio::wait(mixed, asyncio::ReturnWhen::FirstException);
        EXPECT_EQ(f.done.size(), 1U) << "FIRST_EXCEPTION returns when one raises";
        EXPECT_THROW(f.done[0].result(), py::ValueError);

        std::vector<asyncio::Task<int>> only_never;
        only_never.push_back(never);
        auto t = co_await asyncio::wait(only_never, asyncio::ReturnWhen::AllCompleted, 0.01);
        EXPECT_TRUE(t.done.empty()) << "after the timeout wait() returns what is still pending";
        EXPECT_EQ(t.pending.size(), 1U);
        never.cancel();
    };
    loop->run_until_complete(first());
    asyncio::set_event_loop(nullptr);
    loop->close();
}

TEST(Coroutines, Step32_QueueHandsItemsFromProducerToConsumer) {
    std::vector<int> consumed;
    auto main = [&]() -> Coroutine<void> {
        asyncio::Queue<int> queue(2);
        // A named lambda: a coroutine lambda's captures live in the closure object, which must
        // outlive the coroutine.
        auto produce = [&]() -> Coroutine<void> {
            for (int i = 0; i < 5; ++i) {
                co_await queue.put(i);  // blocks while two items wait
            }
            co_await queue.put(-1);
        };
        auto producer = asyncio::create_task(produce());
        for (;;) {
            int item = co_await queue.get();
            if (item < 0) {
                break;
            }
            consumed.push_back(item);
        }
        co_await producer;
        EXPECT_THROW(queue.get_nowait(), asyncio::QueueEmpty);
        queue.put_nowait(1);
        queue.put_nowait(2);
        try {
            queue.put_nowait(3);
            ADD_FAILURE() << "a full queue refuses put_nowait";
        } catch (const asyncio::QueueFull& e) {
            EXPECT_STREQ(e.python_name(), "QueueFull");
        }
        EXPECT_STREQ(asyncio::QueueEmpty("").python_name(), "QueueEmpty");
        EXPECT_STREQ(asyncio::CancelledError("").python_name(), "CancelledError");
        EXPECT_STREQ(asyncio::InvalidStateError("").python_name(), "InvalidStateError");
    };
    asyncio::run(main());
    EXPECT_THAT(consumed, ElementsAre(0, 1, 2, 3, 4)) << "(§9)";
}

}  // namespace

namespace {

TEST(Coroutines, Step33_TaskGroupCancelsTheRestWhenOneFails) {
    std::vector<std::string> log;
    auto main = [&]() -> Coroutine<void> {
        asyncio::TaskGroup ok;
        auto a = ok.create_task(add_later(1, 2));
        auto b = ok.create_task(add_later(3, 4));
        co_await ok.wait();
        EXPECT_EQ(a.result() + b.result(), 10) << "wait() returns when every child is done (§9)";
        EXPECT_EQ(ok.repr(), "<TaskGroup entered>");

        auto failing = []() -> Coroutine<int> {
            co_await asyncio::sleep(0);
            throw py::ValueError("child failed");
        };
        asyncio::TaskGroup group;
        auto patient = [&]() -> Coroutine<int> {
            try {
                co_await asyncio::sleep(3600);
            } catch (const asyncio::CancelledError&) {
                log.emplace_back("sibling cancelled");
                try {
                    group.create_task(add_later(0, 0));
                    ADD_FAILURE() << "a group with a failed child takes no more tasks";
                } catch (const py::RuntimeError& e) {
                    log.emplace_back(e.what());
                }
                throw;
            }
            co_return 0;
        };
        auto sibling = group.create_task(patient());
        group.create_task(failing());
        try {
            co_await group.wait();
            ADD_FAILURE() << "a failed child makes the group raise ExceptionGroup";
        } catch (const py::ExceptionGroup& e) {
            EXPECT_STREQ(e.what(), "unhandled errors in a TaskGroup (1 sub-exception)");
            EXPECT_EQ(e.exceptions().size(), 1U);
        }
        EXPECT_TRUE(sibling.cancelled()) << "the other children were cancelled";
        try {
            group.create_task(add_later(0, 0));
            ADD_FAILURE() << "a group that was waited for takes no more tasks";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "TaskGroup <TaskGroup cancelling> is finished")
                << "CPython's message, with the group's repr";
        }
    };
    asyncio::run(main());
    EXPECT_THAT(log,
                ElementsAre("sibling cancelled",
                            "TaskGroup <TaskGroup tasks=1 errors=1 cancelling> is shutting down"));
}

TEST(Coroutines, Step34_PitfallsAreReportedAsCPythonReportsThem) {
    std::vector<std::string> messages;
    auto record = [&](EventLoop&, const asyncio::ExceptionContext& context) {
        messages.push_back(context.message);
    };
    {
        EventLoop loop;
        loop.set_exception_handler(record);
        auto fails = []() -> Coroutine<int> {
            bool always = true;
            if (always) {
                throw py::KeyError("lost");
            }
            co_return 0;  // (a co_return makes it a coroutine: the throw happens in the task)
        };
        {
            auto task = asyncio::create_task(fails(), {}, &loop);
            loop.call_soon([&] { loop.stop(); });
            loop.run_forever();
            EXPECT_TRUE(task.done());
        }  // nobody looked at its exception
        loop.set_debug(true);
        loop.slow_callback_duration = 0;  // every callback counts as slow
        loop.call_soon([&] { loop.stop(); });
        loop.run_forever();
        loop.set_debug(false);
        (void)asyncio::create_task(sleep_long(), {}, &loop);  // it starts and blocks
        loop.call_soon([&] { loop.stop(); });
        loop.run_forever();
    }  // the loop goes, with the blocked task in it
    ASSERT_GE(messages.size(), 3U);
    EXPECT_EQ(messages[0], "Task exception was never retrieved") << "(§9)";
    EXPECT_THAT(messages[1], HasSubstr("Executing <Handle> took"))
        << "debug mode reports callbacks slower than slow_callback_duration (§8)";
    EXPECT_EQ(messages.back(), "Task was destroyed but it is pending!");
}

}  // namespace

namespace {

TEST(Coroutines, Step35_ToThreadRunsAFunctionOnTheDefaultExecutor) {
    std::promise<void> release;  // the worker waits on it: the loop must run meanwhile
    std::shared_future<void> released = release.get_future().share();
    std::thread::id worker_id;
    auto main = [&]() -> Coroutine<void> {
        auto blocking = [&](int a, int b) {
            worker_id = std::this_thread::get_id();
            released.wait();
            return a * b;
        };
        auto product = asyncio::create_task(asyncio::to_thread(blocking, 6, 7));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(product.done()) << "the function blocks in its thread, not in the loop (§9)";
        release.set_value();  // a hand-off from a task that runs while the worker blocks
        EXPECT_EQ(co_await product, 42) << "the task resumes with the function's result";
        EXPECT_NE(worker_id, std::this_thread::get_id()) << "it ran on another thread";

        try {
            co_await asyncio::to_thread([] { throw py::ValueError("in the thread"); });
            ADD_FAILURE() << "the function's exception is raised in the awaiting task";
        } catch (const py::ValueError& e) {
            EXPECT_STREQ(e.what(), "in the thread");
        }
        bool called = false;
        co_await asyncio::to_thread([&] { called = true; });
        EXPECT_TRUE(called) << "a function returning void";

        // Cancelling the awaiting task does not stop a function already running: the task
        // ends at once, and the result that comes later is dropped.
        // (The worker keeps its own references: this frame may be gone before it returns.)
        auto go = std::make_shared<std::promise<void>>();
        auto started = std::make_shared<std::promise<void>>();
        std::future<void> inside = started->get_future();
        auto waiting =
            asyncio::create_task(asyncio::to_thread([started, going = go->get_future().share()] {
                started->set_value();
                going.wait();
                return 1;
            }));
        co_await asyncio::sleep(0);
        // The worker has the function; wait until it is inside (a latch, not a sleep).
        inside.wait();
        waiting.cancel();
        EXPECT_THROW(co_await waiting, asyncio::CancelledError);
        go->set_value();
        // Waiting for the executor's threads means the late result has been handed to the loop.
        asyncio::get_running_loop().shutdown_default_executor();
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(waiting.cancelled()) << "the result that came too late was dropped";
        try {
            co_await asyncio::to_thread([] { return 0; });
            ADD_FAILURE() << "after shutdown_default_executor";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "Executor shutdown has been called");
        }
    };
    asyncio::run(main());

    EventLoop loop;
    loop.close();
    try {
        (void)asyncio::run_in_executor(loop, [] { return 0; });
        FAIL() << "on a closed loop";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Event loop is closed");
    }
}

// A task that returns `value` once its gate opens (or raises what the gate was set to).
Coroutine<int> behind(asyncio::Future<int> gate) {
    co_return co_await gate;
}

TEST(Coroutines, Step36_AsCompletedYieldsResultsInCompletionOrder) {
    auto main = [&]() -> Coroutine<void> {
        EventLoop& loop = asyncio::get_running_loop();
        std::vector<asyncio::Future<int>> gates;
        std::vector<asyncio::Task<int>> tasks;
        for (int i = 0; i < 4; ++i) {
            gates.emplace_back(loop);
            tasks.push_back(asyncio::create_task(behind(gates.back())));
        }
        tasks.push_back(tasks[0]);  // a duplicate is waited for once: set(fs)
        std::vector<Coroutine<int>> awaitables = asyncio::as_completed(tasks);
        EXPECT_EQ(awaitables.size(), 4U) << "one awaitable per distinct task (§9)";
        co_await asyncio::sleep(0);  // every task now waits on its gate
        gates[2].set_result(20);     // they finish in the order 2, 0, 3, 1
        gates[0].set_result(0);
        gates[3].set_exception(std::make_exception_ptr(py::ValueError("three")));
        gates[1].set_result(10);
        std::vector<std::string> seen;
        for (auto& next : awaitables) {
            try {
                seen.push_back(std::to_string(co_await next));
            } catch (const py::ValueError& e) {
                seen.emplace_back(e.what());
            }
        }
        EXPECT_THAT(seen, ElementsAre("20", "0", "three", "10"))
            << "results in the order the tasks completed; an exception is raised by its awaitable";

        asyncio::Future<int> never(loop);
        asyncio::Future<int> soon(loop);
        std::vector<asyncio::Task<int>> slow{asyncio::create_task(behind(never)),
                                             asyncio::create_task(behind(soon)),
                                             asyncio::create_task(behind(never))};
        soon.set_result(5);
        co_await slow[1];  // done before the clock starts: its turn is queued ahead of the timer
        auto timed = asyncio::as_completed(slow, 0.01);
        EXPECT_EQ(co_await timed[0], 5) << "what completes in time is yielded";
        for (std::size_t i = 1; i < timed.size(); ++i) {
            try {
                co_await timed[i];
                ADD_FAILURE() << "awaitable " << i << " is past the timeout";
            } catch (const py::TimeoutError& e) {
                EXPECT_STREQ(e.what(), "") << "asyncio raises a bare TimeoutError";
            }
        }
        never.set_result(1);  // the tasks finish after the timeout: nobody is told
        co_await slow[0];
        co_await slow[2];

        auto in_time = asyncio::as_completed(
            std::vector<asyncio::Task<int>>{asyncio::create_task(behind(soon))}, 3600.0);
        EXPECT_EQ(co_await in_time[0], 5);
        co_await asyncio::sleep(0);
        EXPECT_EQ(loop.scheduled_count(), 0U)
            << "when everything completed, the timeout's timer is cancelled";
        EXPECT_TRUE(asyncio::as_completed(std::vector<asyncio::Task<int>>{}, 1.0).empty());
    };
    asyncio::run(main());
}

}  // namespace

namespace {

Coroutine<int> crash_soon() {
    co_await asyncio::sleep(0);
    throw py::ValueError("crash");
}

TEST(Coroutines, Step37_ATaskGroupCancelsItsBodyWhenAChildFails) {
    std::vector<std::string> log;
    auto main = [&]() -> Coroutine<void> {
        asyncio::TaskGroup group;  // async with asyncio.TaskGroup() as group:
        std::exception_ptr body_error;
        try {
            group.create_task(crash_soon());
            // The body would wait an hour; the timeout only ends a group that fails to cancel it.
            co_await asyncio::timeout(5.0, asyncio::sleep(3600));
            log.emplace_back("body finished");
        } catch (const asyncio::CancelledError&) {
            log.emplace_back("body cancelled");
            body_error = std::current_exception();
        } catch (const py::TimeoutError&) {
            ADD_FAILURE() << "the failing child should have cancelled the body (§9)";
        }
        try {
            co_await group.wait(body_error);  // __aexit__
            ADD_FAILURE() << "the child's error comes out of the group";
        } catch (const py::ExceptionGroup& e) {
            EXPECT_STREQ(e.what(), "unhandled errors in a TaskGroup (1 sub-exception)");
            EXPECT_THROW(std::rethrow_exception(e.exceptions().at(0)), py::ValueError)
                << "and not the CancelledError the group used to stop the body";
        }
        EXPECT_EQ(asyncio::current_task()->cancelling(), 0)
            << "the group took back the cancellation it requested (uncancel)";
        co_await asyncio::sleep(0);
        log.emplace_back("the task goes on");

        asyncio::TaskGroup failing_body;
        std::exception_ptr raised;
        auto child = failing_body.create_task(sleep_long());
        try {
            throw py::KeyError("body");
        } catch (const py::KeyError&) {
            raised = std::current_exception();
        }
        try {
            co_await failing_body.wait(raised);
            ADD_FAILURE() << "the body's error is raised in the group";
        } catch (const py::ExceptionGroup& e) {
            EXPECT_EQ(e.exceptions().size(), 1U);
            EXPECT_THROW(std::rethrow_exception(e.exceptions().at(0)), py::KeyError);
        }
        EXPECT_TRUE(child.cancelled()) << "a body that raises cancels the children";

        // Someone else cancels the task: the group passes the CancelledError on.
        auto outer = [&]() -> Coroutine<void> {
            asyncio::TaskGroup inner;
            std::exception_ptr cancelled;
            try {
                inner.create_task(sleep_long());
                co_await asyncio::sleep(3600);
            } catch (const asyncio::CancelledError&) {
                cancelled = std::current_exception();
            }
            co_await inner.wait(cancelled);
        };
        auto victim = asyncio::create_task(outer());
        co_await asyncio::sleep(0);
        victim.cancel("from outside");
        EXPECT_THROW(co_await victim, asyncio::CancelledError);
        EXPECT_TRUE(victim.cancelled());
    };
    asyncio::run(main());
    EXPECT_THAT(log, ElementsAre("body cancelled", "the task goes on")) << "(§9, 3.11)";
    try {
        asyncio::TaskGroup outside;
        FAIL() << "a TaskGroup needs a task to run its body";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "TaskGroup <TaskGroup entered> cannot determine the parent task");
    }
}

}  // namespace

namespace {

// The events of a Chrome trace that are not metadata ("ph":"M"), in the order written.
std::vector<nlohmann::json> trace_events(const nlohmann::json& trace) {
    std::vector<nlohmann::json> events;
    for (const auto& event : trace) {
        if (event.at("ph") != "M") {
            events.push_back(event);
        }
    }
    return events;
}

std::int64_t nanoseconds(const nlohmann::json& micros) {
    return std::llround(micros.get<double>() * 1000.0);
}

TEST(Coroutines, Step38_TheLoopWritesAChromeTraceOfItsSteps) {
    // Three tasks sleep once, twice and three times: each is resumed once more than it sleeps.
    // The main task is resumed twice: at its start and when gather() is done.
    std::vector<int> resumed(4, 0);
    std::vector<std::string> names(4);
    auto worker = [&](std::size_t index, int sleeps) -> Coroutine<void> {
        ++resumed[index];
        for (int i = 0; i < sleeps; ++i) {
            co_await asyncio::sleep(0.001);
            ++resumed[index];
        }
    };
    auto main = [&]() -> Coroutine<void> {
        ++resumed[3];
        names[3] = asyncio::current_task()->get_name();
        std::vector<asyncio::Task<void>> tasks;
        for (std::size_t i = 0; i < 3; ++i) {
            tasks.push_back(asyncio::create_task(worker(i, static_cast<int>(i) + 1)));
            names[i] = tasks.back().get_name();
        }
        co_await asyncio::gather(tasks);
        ++resumed[3];
    };
    std::ostringstream out;  // outlives the loop, which writes to it until stop_trace()
    auto loop = asyncio::new_event_loop();
    loop->set_trace(out);
    EXPECT_TRUE(loop->tracing());
    loop->run_until_complete(main());
    loop->stop_trace();
    EXPECT_FALSE(loop->tracing());

    nlohmann::json trace;
    ASSERT_NO_THROW(trace = nlohmann::json::parse(out.str())) << "the trace is JSON:\n"
                                                              << out.str();
    ASSERT_TRUE(trace.is_array()) << "Trace Event Format's JSON array form (§9)";
    std::vector<std::string> metadata;
    for (const auto& event : trace) {
        if (event.at("ph") == "M") {
            metadata.push_back(event.at("name"));
        }
    }
    EXPECT_THAT(metadata, ElementsAre("process_name", "thread_name"));
    std::vector<nlohmann::json> events = trace_events(trace);
    ASSERT_FALSE(events.empty());

    std::map<std::string, int> steps;
    int timers = 0;
    int blocking_waits = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const nlohmann::json& event = events[i];
        SCOPED_TRACE(event.dump());
        EXPECT_EQ(event.at("ph"), "X") << "every slice is a complete event";
        EXPECT_EQ(event.at("pid").get<long>(), static_cast<long>(::getpid()));
        EXPECT_EQ(event.at("tid").get<long>(), static_cast<long>(::gettid()))
            << "all on the loop's thread, this one";
        EXPECT_GE(event.at("dur").get<double>(), 0.0);
        if (i + 1 < events.size()) {
            const nlohmann::json& next = events[i + 1];
            EXPECT_LE(event.at("ts").get<double>(), next.at("ts").get<double>())
                << "ts never goes back";
            EXPECT_LE(nanoseconds(event.at("ts")) + nanoseconds(event.at("dur")),
                      nanoseconds(next.at("ts")))
                << "slices on the loop's thread do not overlap: " << next.dump();
        }
        if (event.at("cat") == "task") {
            ++steps[event.at("name")];
        } else if (event.at("cat") == "timer") {
            ++timers;
            EXPECT_EQ(event.at("name"), "timer");
            EXPECT_TRUE(event.at("args").contains("due") && event.at("args").contains("late_us"));
        } else if (event.at("name") == "select") {
            EXPECT_EQ(event.at("cat"), "loop");
            blocking_waits += event.at("args").at("timeout_ms").get<int>() > 0 ? 1 : 0;
        }
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        EXPECT_EQ(steps[names[i]], resumed[i])
            << names[i] << ": one slice for every time its step ran (§9)";
    }
    EXPECT_EQ(steps.size(), names.size()) << "no other task ran";
    EXPECT_EQ(timers, 1 + 2 + 3) << "one timer per sleep(0.001)";
    EXPECT_GE(blocking_waits, 1) << "the loop waited in epoll_wait for the first timer";

    // asyncio.run(main, trace=...) writes a file, finished when the loop closes.
    const std::string path =
        testing::TempDir() + "ch11_trace_" + std::to_string(::getpid()) + ".json";
    asyncio::run(worker(0, 1), {.trace = path});
    std::ifstream file(path);
    nlohmann::json from_file;
    ASSERT_NO_THROW(from_file = nlohmann::json::parse(file));
    int file_steps = 0;
    for (const auto& event : trace_events(from_file)) {
        file_steps += event.at("cat") == "task" ? 1 : 0;
    }
    EXPECT_EQ(file_steps, 2) << "a task that sleeps once runs two steps";
    std::remove(path.c_str());

    try {
        loop->set_trace("/nonexistent-ch11/trace.json");
        FAIL() << "open()'s error";
    } catch (const py::FileNotFoundError& e) {
        EXPECT_STREQ(e.what(),
                     "[Errno 2] No such file or directory: '/nonexistent-ch11/trace.json'");
    }
    EXPECT_FALSE(loop->tracing());
}

}  // namespace

namespace {

// Runs a test body as the main task of a new loop (its time() is the deadline's clock).
void run_main(const std::function<Coroutine<void>()>& main) {
    asyncio::run(main());
}

TEST(Coroutines, Step39_ATimeoutCanBeRescheduledAndNested) {
    std::vector<std::string> log;
    run_main([&]() -> Coroutine<void> {
        EventLoop& loop = asyncio::get_running_loop();

        // A deadline that has passed already fires on the next iteration, unless the body moves
        // it later before it ever gives the loop a turn.
        int value =
            co_await asyncio::timeout_at(loop.time(), [&](asyncio::Timeout& cm) -> Coroutine<int> {
                EXPECT_EQ(cm.state(), asyncio::Timeout::State::Entered);
                cm.reschedule(loop.time() + 3600);
                EXPECT_THAT(cm.repr(),
                            MatchesRegex("<Timeout \\[active\\] when=[0-9]+\\.[0-9]{3}>"));
                co_await asyncio::sleep(0.001);
                EXPECT_FALSE(cm.expired());
                co_return 7;
            });
        EXPECT_EQ(value, 7) << "rescheduled later, the body finishes (§9)";

        // Moved earlier, into the past: it fires at once.
        asyncio::Timeout earlier = asyncio::timeout(3600.0);
        try {
            co_await earlier.run([&]() -> Coroutine<void> {
                earlier.reschedule(loop.time() - 1);
                co_await asyncio::sleep(3600);
            }());
            ADD_FAILURE() << "rescheduled to earlier, the timeout fires";
        } catch (const py::TimeoutError&) {
            log.emplace_back("earlier: TimeoutError");
        }
        EXPECT_TRUE(earlier.expired()) << "expired() stays true after the timeout";
        EXPECT_EQ(earlier.repr(), "<Timeout [expired]>");
        EXPECT_EQ(asyncio::current_task()->cancelling(), 0) << "the timeout uncancelled its own";

        // reschedule(None) disables it.
        co_await asyncio::timeout_at(loop.time(), [&](asyncio::Timeout& cm) -> Coroutine<void> {
            cm.reschedule(std::nullopt);
            EXPECT_EQ(cm.when(), std::nullopt);
            EXPECT_EQ(cm.repr(), "<Timeout [active] when=None>");
            co_await asyncio::sleep(0.001);
            log.emplace_back("disabled: finished");
        });

        // The deadline passed while the body still runs: the Timeout cannot change any more.
        try {
            co_await asyncio::timeout_at(loop.time(), [&](asyncio::Timeout& cm) -> Coroutine<void> {
                std::exception_ptr cancelled;
                try {
                    co_await asyncio::sleep(3600);
                } catch (const asyncio::CancelledError&) {
                    cancelled = std::current_exception();
                }
                EXPECT_TRUE(cm.expired());
                try {
                    cm.reschedule(loop.time() + 3600);
                    ADD_FAILURE() << "an expiring Timeout cannot be rescheduled";
                } catch (const py::RuntimeError& e) {
                    EXPECT_STREQ(e.what(), "Cannot change state of expiring Timeout");
                }
                std::rethrow_exception(cancelled);
            });
            ADD_FAILURE() << "the timeout fires";
        } catch (const py::TimeoutError&) {
            log.emplace_back("expiring: TimeoutError");
        }

        // Nested: the outer deadline comes first. The inner timeout lets the CancelledError
        // through (it did not expire); only the outer one turns it into TimeoutError.
        asyncio::Timeout outer = asyncio::timeout_at(loop.time());
        asyncio::Timeout inner = asyncio::timeout(3600.0);
        try {
            co_await outer.run([&]() -> Coroutine<void> {
                try {
                    co_await inner.run(asyncio::sleep(3600));
                } catch (const asyncio::CancelledError&) {
                    log.emplace_back("nested: inner raised CancelledError");
                    throw;
                } catch (const py::TimeoutError&) {
                    log.emplace_back("nested: inner raised TimeoutError");
                    throw;
                }
            }());
        } catch (const py::TimeoutError&) {
            log.emplace_back("nested: outer raised TimeoutError");
        }
        EXPECT_TRUE(outer.expired());
        EXPECT_FALSE(inner.expired());
        EXPECT_EQ(inner.repr(), "<Timeout [finished]>");
        EXPECT_EQ(asyncio::current_task()->cancelling(), 0);

        // The inner deadline comes first: TimeoutError in the inner one, the outer one goes on.
        asyncio::Timeout long_outer = asyncio::timeout(3600.0);
        co_await long_outer.run([&]() -> Coroutine<void> {
            try {
                co_await asyncio::timeout_at(loop.time(), asyncio::sleep(3600));
            } catch (const py::TimeoutError&) {
                log.emplace_back("inner first: inner raised TimeoutError");
            }
        }());
        EXPECT_FALSE(long_outer.expired());

        try {
            long_outer.reschedule(loop.time());
            ADD_FAILURE() << "a finished Timeout cannot be rescheduled";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "Cannot change state of finished Timeout");
        }
        try {
            co_await long_outer.run(asyncio::sleep(0));
            ADD_FAILURE() << "a Timeout is entered once";
        } catch (const py::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "Timeout has already been entered");
        }
    });
    EXPECT_THAT(
        log, ElementsAre("earlier: TimeoutError", "disabled: finished", "expiring: TimeoutError",
                         "nested: inner raised CancelledError", "nested: outer raised TimeoutError",
                         "inner first: inner raised TimeoutError"));

    asyncio::Timeout fresh(1.0);
    EXPECT_EQ(fresh.repr(), "<Timeout [created]>");
    try {
        fresh.reschedule(2.0);
        FAIL() << "a Timeout that was never entered cannot be rescheduled";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Timeout has not been entered");
    }
    EXPECT_THROW((void)asyncio::timeout(1.0), py::RuntimeError) << "no running event loop";
}

}  // namespace
