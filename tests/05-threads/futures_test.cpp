// Chapter 05, §5-§6: Future and ThreadPoolExecutor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "py/concurrent.hpp"
#include "py/threading.hpp"
#include "workbook/asleep.hpp"

namespace {

namespace cf = py::concurrent;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::StartsWith;

// Opens a latch when it goes out of scope (so a failing test never leaves a worker blocked).
struct OpenOnExit {
    std::latch& latch;
    ~OpenOnExit() {
        if (!latch.try_wait()) {
            latch.count_down();
        }
    }
};

TEST(Threads, Step20_FutureStateMachine) {
    cf::Future<int> future;
    EXPECT_EQ(future.state(), cf::FutureState::Pending);
    EXPECT_FALSE(future.done());
    EXPECT_THAT(future.repr(), testing::MatchesRegex("<Future at .* state=pending>"));
    EXPECT_TRUE(future.set_running_or_notify_cancel()) << "PENDING -> RUNNING (§5)";
    EXPECT_TRUE(future.running());
    EXPECT_THAT(future.repr(), HasSubstr("state=running"));
    EXPECT_FALSE(future.cancel()) << "a running future cannot be cancelled";
    future.set_result(42);
    EXPECT_TRUE(future.done());
    EXPECT_EQ(future.result(), 42);
    EXPECT_EQ(future.exception(), nullptr) << "exception() is None for a future that returned";
    try {
        future.set_result(43);
        ADD_FAILURE() << "setting a result twice must raise InvalidStateError";
    } catch (const cf::InvalidStateError& e) {
        EXPECT_THAT(e.what(), StartsWith("FINISHED: <Future at "));
    }
    EXPECT_FALSE(future.cancel()) << "a finished future cannot be cancelled";

    cf::Future<void> cancelled;
    EXPECT_TRUE(cancelled.cancel()) << "a pending future can be cancelled";
    EXPECT_TRUE(cancelled.cancel()) << "cancelling again still answers true";
    EXPECT_TRUE(cancelled.cancelled());
    EXPECT_TRUE(cancelled.done());
    EXPECT_THAT(cancelled.repr(), HasSubstr("state=cancelled"));
    EXPECT_STREQ(cf::state_name(cf::FutureState::Pending), "PENDING");
    EXPECT_STREQ(cf::state_name(cf::FutureState::Running), "RUNNING");
    EXPECT_STREQ(cf::state_name(cf::FutureState::Cancelled), "CANCELLED");
    EXPECT_STREQ(cf::state_name(cf::FutureState::Finished), "FINISHED");
    EXPECT_STREQ(cf::CancelledError("").python_name(), "CancelledError");
    EXPECT_STREQ(cf::InvalidStateError("").python_name(), "InvalidStateError");
    EXPECT_STREQ(cf::Error("").python_name(), "Error");
    EXPECT_THROW(cancelled.result(), cf::CancelledError);
    EXPECT_THROW((void)cancelled.exception(), cf::CancelledError);
    EXPECT_FALSE(cancelled.set_running_or_notify_cancel())
        << "the executor learns that the work item was cancelled";
    EXPECT_EQ(cancelled.state(), cf::FutureState::CancelledAndNotified);
    EXPECT_STREQ(cf::state_name(cancelled.state()), "CANCELLED_AND_NOTIFIED");
    try {
        cancelled.set_running_or_notify_cancel();
        ADD_FAILURE() << "a second set_running_or_notify_cancel must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Future in unexpected state");
    }
}

TEST(Threads, Step21_ResultWaitsAndTimesOut) {
    cf::Future<std::string> future;
    EXPECT_THROW(future.result(0.01), py::TimeoutError) << "result(timeout) on a pending future";
    EXPECT_THROW((void)future.exception(0), py::TimeoutError);
    py::threading::Thread setter([&] { future.set_result("done"); });
    setter.start();
    EXPECT_EQ(future.result(), "done") << "result() blocks until another thread sets it (§5)";
    setter.join();
    cf::Future<int> failed;
    failed.set_exception(std::make_exception_ptr(py::ValueError("bad")));
    EXPECT_THROW(failed.result(), py::ValueError) << "result() re-raises the stored exception";
    EXPECT_THAT(failed.repr(),
                testing::MatchesRegex("<Future at .* state=finished raised ValueError>"))
        << "a failed future's repr names the exception's class (§5)";
    cf::Future<int> returned_int;
    returned_int.set_result(3);
    EXPECT_THAT(returned_int.repr(),
                testing::MatchesRegex("<Future at .* state=finished returned int>"))
        << "a finished future's repr names the result's class, as _base.py does";
    cf::Future<void> returned_none;
    returned_none.set_result();
    EXPECT_THAT(returned_none.repr(), HasSubstr("state=finished returned NoneType>"));
    EXPECT_THROW(failed.set_exception(std::make_exception_ptr(py::ValueError("again"))),
                 cf::InvalidStateError);
}

TEST(Threads, Step22_SubmitRunsTasksAndShutdownWaits) {
    // Seed examples 1 and 2: submit returns at once; shutdown(wait=True) waits for the tasks.
    std::atomic<int> ran{0};
    std::vector<cf::Future<int>> futures;
    futures.reserve(30);
    cf::ThreadPoolExecutor pool(10);
    EXPECT_EQ(pool.max_workers(), 10);
    for (int i = 0; i < 30; ++i) {
        futures.push_back(pool.submit(
            [&ran](int n) {
                ++ran;
                return n * n;
            },
            i));
    }
    pool.shutdown(true);
    EXPECT_EQ(ran.load(), 30) << "shutdown(wait=True) returns after every task ran (§6)";
    for (int i = 0; i < 30; ++i) {
        EXPECT_TRUE(futures[i].done());
        EXPECT_EQ(futures[i].result(), i * i);
    }
    EXPECT_LE(pool.thread_count(), 10U) << "never more workers than max_workers";
}

TEST(Threads, Step23_AnExceptionIsStoredInTheFuture) {
    cf::ThreadPoolExecutor pool(2);
    auto future = pool.submit([]() -> int { throw py::KeyError("'k'"); });
    auto error = future.exception();
    ASSERT_NE(error, nullptr) << "the task's exception is kept in its future (§5)";
    EXPECT_THROW(std::rethrow_exception(error), py::KeyError);
    EXPECT_THROW(future.result(), py::KeyError) << "result() re-raises it";
    auto still_works = pool.submit([] { return 1; });
    EXPECT_EQ(still_works.result(), 1) << "a failing task does not break the worker";
}

TEST(Threads, Step24_DoneCallbacksRunInTheWorker) {
    // Seed example 3: future.add_done_callback(done) runs in the thread that ran the task.
    cf::ThreadPoolExecutor pool(1, "downloader");
    std::latch gate(1);
    OpenOnExit open{gate};
    auto future = pool.submit([&] {
        gate.wait();
        return 7;
    });
    std::string callback_thread;
    int callback_value = 0;
    std::latch called(1);
    future.add_done_callback([&](const cf::Future<int>& done) {
        callback_thread = py::threading::current_thread().name();
        callback_value = done.result();
        called.count_down();
    });
    gate.count_down();
    called.wait();
    EXPECT_EQ(callback_thread, "downloader_0") << "the worker that finished the task calls it";
    EXPECT_EQ(callback_value, 7);
    std::string late_thread;
    future.add_done_callback(
        [&](const cf::Future<int>&) { late_thread = py::threading::current_thread().name(); });
    EXPECT_EQ(late_thread, "MainThread") << "on a done future the callback runs at once";
    cf::Future<int> cancelled;
    bool saw_cancel = false;
    cancelled.add_done_callback([&](const cf::Future<int>& f) { saw_cancel = f.cancelled(); });
    cancelled.cancel();
    EXPECT_TRUE(saw_cancel) << "cancel() calls the callbacks too";
    testing::internal::CaptureStderr();
    future.add_done_callback([](const cf::Future<int>&) { throw py::ValueError("in callback"); });
    const std::string logged = testing::internal::GetCapturedStderr();
    EXPECT_THAT(logged, HasSubstr("exception calling callback for <Future"))
        << "a failing callback is logged and swallowed";
    EXPECT_THAT(logged, HasSubstr("state=finished returned int>\nValueError: in callback\n"))
        << "the log ends as LOGGER.exception's traceback does: the class, then the message";
}

TEST(Threads, Step25_CollectTheResultsAtTheEnd) {
    // Seed example 4: keep the futures, read the results once everything ran.
    cf::ThreadPoolExecutor pool(4);
    std::vector<cf::Future<std::string>> futures;
    futures.reserve(5);
    for (int i = 0; i < 5; ++i) {
        futures.push_back(pool.submit([](int n) { return "video-" + std::to_string(n); }, i));
    }
    pool.shutdown();
    std::vector<std::string> results;
    results.reserve(futures.size());
    for (auto& future : futures) {
        results.push_back(future.result());
    }
    EXPECT_THAT(results, ElementsAre("video-0", "video-1", "video-2", "video-3", "video-4"));
}

TEST(Threads, Step26_WorkersStartLazilyAndAreReused) {
    cf::ThreadPoolExecutor defaults;
    const int cpus = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    EXPECT_EQ(defaults.max_workers(), std::min(32, cpus + 4)) << "min(32, os.cpu_count() + 4)";
    EXPECT_EQ(defaults.thread_count(), 0U) << "no worker starts before the first submit (§6)";

    cf::ThreadPoolExecutor pool(3, "pool");
    EXPECT_EQ(pool.submit([] { return 1; }).result(), 1);
    EXPECT_EQ(pool.thread_count(), 1U) << "one task, one worker";
    EXPECT_EQ(pool.submit([] { return 2; }).result(), 2);
    EXPECT_EQ(pool.thread_count(), 1U) << "an idle worker is reused instead of starting another";

    std::latch gate(1);
    OpenOnExit open{gate};
    std::vector<cf::Future<void>> blocked;
    blocked.reserve(5);
    for (int i = 0; i < 5; ++i) {
        blocked.push_back(pool.submit([&] { gate.wait(); }));
    }
    EXPECT_EQ(pool.thread_count(), 3U) << "busy workers make the pool grow up to max_workers";
    EXPECT_THAT(pool.thread_names(), ElementsAre("pool_0", "pool_1", "pool_2"));
    gate.count_down();
    for (auto& future : blocked) {
        future.result();
    }
}

TEST(Threads, Step27_ExecutorMisuseIsAnError) {
    for (int bad : {0, -1}) {
        try {
            cf::ThreadPoolExecutor pool(bad);
            ADD_FAILURE() << "max_workers=" << bad << " must raise ValueError";
        } catch (const py::ValueError& e) {
            EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
        }
    }
    cf::ThreadPoolExecutor pool(1);
    pool.shutdown();
    try {
        (void)pool.submit([] {});
        ADD_FAILURE() << "submit after shutdown must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
    }
    pool.shutdown();  // a second shutdown is harmless
}

TEST(Threads, Step28_ShutdownCanCancelPendingFutures) {
    cf::ThreadPoolExecutor pool(1);
    std::latch started(1);
    std::latch gate(1);
    OpenOnExit open{gate};
    auto running = pool.submit([&] {
        started.count_down();
        gate.wait();
        return 1;
    });
    started.wait();
    std::vector<cf::Future<int>> queued;
    queued.reserve(3);
    for (int i = 0; i < 3; ++i) {
        queued.push_back(pool.submit([] { return 2; }));
    }
    auto cancelled_by_hand = pool.submit([] { return 3; });
    EXPECT_TRUE(cancelled_by_hand.cancel()) << "a queued future can be cancelled";
    pool.shutdown(false, true);
    for (auto& future : queued) {
        EXPECT_TRUE(future.cancelled()) << "cancel_futures cancels what no worker took yet (§6)";
    }
    EXPECT_FALSE(running.cancelled()) << "a running task is not cancelled";
    gate.count_down();
    EXPECT_EQ(running.result(), 1);
    pool.shutdown(true);
    EXPECT_EQ(cancelled_by_hand.state(), cf::FutureState::Cancelled)
        << "cancel_futures took it off the queue before a worker notified it";

    // A worker that dequeues a cancelled item skips it and tells the future.
    cf::ThreadPoolExecutor single(1);
    std::latch gate2(1);
    OpenOnExit open2{gate2};
    auto blocker = single.submit([&] { gate2.wait(); });
    auto skipped = single.submit([] { return 5; });
    EXPECT_TRUE(skipped.cancel());
    auto after = single.submit([] { return 6; });
    gate2.count_down();
    EXPECT_EQ(after.result(), 6);
    EXPECT_EQ(skipped.state(), cf::FutureState::CancelledAndNotified)
        << "set_running_or_notify_cancel() ran in the worker, which then went on";
}

TEST(Threads, Step29_MapKeepsTheOrderAndRaisesTheFirstError) {
    cf::ThreadPoolExecutor pool(4);
    const std::vector<int> items{1, 2, 3, 4, 5};
    EXPECT_THAT(pool.map([](int x) { return x * 10; }, items), ElementsAre(10, 20, 30, 40, 50))
        << "map returns the results in the order of the inputs (§6)";
    auto failing = [](int x) {
        if (x == 3) {
            throw py::ZeroDivisionError("division by zero");
        }
        return x;
    };
    EXPECT_THROW(pool.map(failing, items), py::ZeroDivisionError);
    std::latch gate(1);
    OpenOnExit open{gate};
    EXPECT_THROW(pool.map(
                     [&](int x) {
                         gate.wait();
                         return x;
                     },
                     std::vector<int>{1}, 0.01),
                 py::TimeoutError)
        << "map(timeout=) raises TimeoutError when a result is late";
}

TEST(Threads, Step30_AsCompletedYieldsInCompletionOrder) {
    cf::ThreadPoolExecutor pool(4);
    std::latch gates[3] = {std::latch(1), std::latch(1), std::latch(1)};
    OpenOnExit open0{gates[0]};
    OpenOnExit open1{gates[1]};
    OpenOnExit open2{gates[2]};
    std::vector<cf::Future<int>> futures;
    futures.reserve(3);
    for (int i = 0; i < 3; ++i) {
        futures.push_back(pool.submit(
            [&gates](int n) {
                gates[n].wait();
                return n;
            },
            i));
    }
    auto done_first = pool.submit([] { return 99; });
    done_first.result();
    auto all = futures;
    all.push_back(done_first);
    all.push_back(done_first);  // duplicates are yielded once
    auto iterator = cf::as_completed(all);
    std::vector<int> order;
    order.push_back(iterator.next()->result());  // already done: first
    for (int n : {2, 0, 1}) {
        gates[n].count_down();
        order.push_back(iterator.next()->result());
    }
    EXPECT_THAT(order, ElementsAre(99, 2, 0, 1)) << "as_completed yields futures as they finish";
    EXPECT_FALSE(iterator.next().has_value()) << "and stops after the last one";

    // Completions reported to the waiter while we iterate: an exception, a cancellation.
    cf::Future<int> raises;
    cf::Future<int> cancels;
    cf::Future<int> returns;
    auto manual = cf::as_completed(std::vector{raises, cancels, returns});
    raises.set_exception(std::make_exception_ptr(py::ValueError("x")));
    EXPECT_EQ(*manual.next(), raises);
    cancels.cancel();
    EXPECT_FALSE(cancels.set_running_or_notify_cancel());
    EXPECT_EQ(*manual.next(), cancels) << "CANCELLED_AND_NOTIFIED counts as completed";
    returns.set_result(5);
    std::vector<int> rest;
    for (const auto& future : manual) {
        rest.push_back(future.result());
    }
    EXPECT_THAT(rest, ElementsAre(5)) << "range-for over as_completed works too";

    cf::Future<int> never;
    cf::Future<int> also_never;
    try {
        for (const auto& future : cf::as_completed(std::vector{never, also_never}, 0.01)) {
            (void)future;
        }
        ADD_FAILURE() << "as_completed(timeout=) must raise TimeoutError";
    } catch (const py::TimeoutError& e) {
        EXPECT_STREQ(e.what(), "2 (of 2) futures unfinished");
    }
}

TEST(Threads, Step31_WaitReturnsWhenTheConditionHolds) {
    cf::ThreadPoolExecutor pool(3);
    std::latch gate(1);
    OpenOnExit open{gate};
    auto slow = pool.submit([&] {
        gate.wait();
        return 1;
    });
    auto fast = pool.submit([] { return 2; });
    auto failing = pool.submit([]() -> int { throw py::ValueError("x"); });

    auto first = cf::wait(std::vector{slow, fast}, std::nullopt, cf::FIRST_COMPLETED);
    EXPECT_THAT(first.done, ElementsAre(fast)) << "FIRST_COMPLETED: returns after one finished";
    EXPECT_THAT(first.not_done, ElementsAre(slow));

    auto exception = cf::wait(std::vector{slow, failing}, std::nullopt, cf::FIRST_EXCEPTION);
    EXPECT_THAT(exception.done, ElementsAre(failing)) << "FIRST_EXCEPTION: returns on the error";

    auto timed_out = cf::wait(std::vector{slow, fast}, 0.01);
    EXPECT_EQ(timed_out.not_done.size(), 1U) << "a timeout returns what is done, no error";

    py::threading::Thread opener([&] { gate.count_down(); });
    opener.start();
    auto all = cf::wait(std::vector{slow, fast, failing, fast});
    EXPECT_EQ(all.done.size(), 4U) << "ALL_COMPLETED waits for every future (§6)";
    EXPECT_TRUE(all.not_done.empty());
    opener.join();

    // FIRST_EXCEPTION when the failure comes while wait() is already asleep: the completing
    // thread's waiter must wake it on the exception, not only when everything is done.
    cf::Future<int> never;  // finished only by the safety net below
    cf::Future<int> fails;
    const pid_t waiting_thread = workbook::current_tid();
    std::atomic<bool> about_to_wait{false};
    std::atomic<bool> returned{false};
    std::atomic<bool> had_to_finish_never{false};
    py::threading::Thread failer([&] {
        while (!about_to_wait.load()) {
            std::this_thread::yield();
        }
        EXPECT_TRUE(workbook::wait_until_asleep(waiting_thread)) << "wait() did not block";
        fails.set_exception(std::make_exception_ptr(py::ValueError("late")));
        // Safety net, not a timer: a wait() that misses the exception would sleep until `never`
        // is done; finish it after a while so the test fails instead of hanging.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!returned.load() && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::yield();
        }
        if (!returned.load()) {
            had_to_finish_never = true;
            never.set_result(0);
        }
    });
    failer.start();
    about_to_wait = true;
    auto late = cf::wait(std::vector{never, fails}, std::nullopt, cf::FIRST_EXCEPTION);
    returned = true;
    failer.join();
    EXPECT_FALSE(had_to_finish_never.load())
        << "FIRST_EXCEPTION must return when a future fails while wait() sleeps";
    EXPECT_THAT(late.done, ElementsAre(fails));
    EXPECT_THAT(late.not_done, ElementsAre(never));
}

}  // namespace
