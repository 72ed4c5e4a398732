// Chapter 05, §3-§4: the GIL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <thread>
#include <vector>

#include "gil_trace.hpp"
#include "py/gil.hpp"
#include "py/runtime.hpp"
#include "py/threading.hpp"
#include "workbook/asleep.hpp"

namespace {

using py::threading::Thread;

// Sets a short switch interval for one test and restores the old one.
struct SwitchInterval {
    double saved = py::gil::get_switch_interval();
    explicit SwitchInterval(double seconds) { py::gil::set_switch_interval(seconds); }
    ~SwitchInterval() { py::gil::set_switch_interval(saved); }
    SwitchInterval(const SwitchInterval&) = delete;
    SwitchInterval& operator=(const SwitchInterval&) = delete;
};

TEST(Threads, Step13_HoldAndReleaseTakeAndDropTheGil) {
    EXPECT_FALSE(py::gil::held()) << "nobody holds the GIL until a thread takes it (§3)";
    {
        py::gil::Hold hold;
        EXPECT_TRUE(py::gil::held()) << "Hold takes the GIL";
        EXPECT_TRUE(py::gil::locked());
        {
            py::gil::Hold nested;
            EXPECT_TRUE(py::gil::held()) << "a nested Hold is a no-op (PyGILState_Ensure)";
        }
        EXPECT_TRUE(py::gil::held()) << "the inner Hold must not drop what the outer one took";
        {
            py::gil::Release release;
            EXPECT_FALSE(py::gil::held()) << "Release drops the GIL around a blocking call";
            EXPECT_FALSE(py::gil::locked());
        }
        EXPECT_TRUE(py::gil::held()) << "and takes it back after";
    }
    EXPECT_FALSE(py::gil::held()) << "the outer Hold gives it back";
    EXPECT_FALSE(py::gil::yield_if_requested()) << "nothing to yield without the GIL";
}

TEST(Threads, Step14_MisusingTheGilIsAnError) {
    try {
        py::gil::release();
        ADD_FAILURE() << "releasing a GIL this thread does not hold must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "the GIL is not held by this thread");
    }
    py::gil::acquire();
    try {
        py::gil::acquire();
        ADD_FAILURE() << "taking the GIL twice must raise RuntimeError (CPython: fatal error)";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "the GIL is already held by this thread");
    }
    py::gil::release();
    EXPECT_FALSE(py::gil::held());
}

TEST(Threads, Step15_BlockingCallsReleaseTheGil) {
    // The holder blocks on a latch that only another GIL-taking thread can open: this works
    // only if the blocking call drops the GIL (Py_BEGIN_ALLOW_THREADS).
    std::latch opened(1);
    std::atomic<bool> held_after{false};
    Thread holder([&] {
        py::gil::Hold hold;
        {
            py::gil::Release release;
            opened.wait();
        }
        held_after = py::gil::held();
    });
    Thread opener([&] {
        struct Open {
            std::latch& latch;
            ~Open() { latch.count_down(); }
        } open{opened};
        py::gil::Hold hold;
    });
    holder.start();
    opener.start();
    opener.join();
    holder.join();
    EXPECT_TRUE(held_after.load()) << "Release takes the GIL back when the blocking call ends";
}

TEST(Threads, Step16_ManyThreadsAppendingToOneListLoseNothing) {
    // The seed: L.append(x) is atomic under the GIL, so no append is lost.
    constexpr int kThreads = 4;
    constexpr int kAppends = 5000;
    py::Ref<py::List> list;
    py::Ref<py::Object> shared;
    {
        py::gil::Hold hold;
        list = py::List::create();
        shared = py::Ref<py::Object>(py::Int::create(12345));
    }
    std::vector<std::unique_ptr<Thread>> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.push_back(std::make_unique<Thread>([&] {
            py::gil::Hold hold;
            for (int i = 0; i < kAppends; ++i) {
                list->append(shared.get());
                if (i % 64 == 0) {
                    py::gil::yield_if_requested();
                }
            }
        }));
    }
    for (auto& thread : threads) {
        thread->start();
    }
    for (auto& thread : threads) {
        thread->join();
    }
    py::gil::Hold hold;
    EXPECT_EQ(list->size(), kThreads * kAppends) << "every append under the GIL is kept (§3)";
    EXPECT_EQ(py::refcount(shared.get()), 1 + kThreads * kAppends)
        << "each append took one reference to the item";
    list.reset();
    EXPECT_EQ(py::refcount(shared.get()), 1) << "freeing the list released them all";
    shared.reset();
}

TEST(Threads, Step17_SwitchIntervalLikeSys) {
    EXPECT_DOUBLE_EQ(py::gil::get_switch_interval(), 0.005)
        << "sys.getswitchinterval() is 5 ms by default (§4)";
    {
        SwitchInterval shorter(0.001);
        EXPECT_DOUBLE_EQ(py::gil::get_switch_interval(), 0.001);
    }
    EXPECT_DOUBLE_EQ(py::gil::get_switch_interval(), 0.005);
    for (double bad : {0.0, -1.0}) {
        try {
            py::gil::set_switch_interval(bad);
            ADD_FAILURE() << "set_switch_interval(" << bad << ") must raise ValueError";
        } catch (const py::ValueError& e) {
            EXPECT_STREQ(e.what(), "switch interval must be strictly positive");
        }
    }

    // A thread asleep waiting for the GIL gets it as soon as the holder drops it: drop_gil
    // signals the waiters. With a switch interval of 1000 s, a waiter that only looked again at
    // the end of its interval would not be back before the harness's timeout.
    SwitchInterval very_long(1000.0);
    std::latch go(1);
    std::atomic<bool> about_to_take{false};
    std::atomic<bool> waiter_got_it{false};
    Thread waiter([&] {
        go.wait();
        about_to_take = true;
        py::gil::Hold hold;
        waiter_got_it = true;
    });
    waiter.start();
    {
        py::gil::Hold hold;
        go.count_down();
        while (!about_to_take.load()) {
            std::this_thread::yield();
        }
        EXPECT_TRUE(workbook::wait_until_asleep(static_cast<pid_t>(waiter.native_id().value_or(0))))
            << "the waiter sleeps in take_gil while we hold the GIL";
        EXPECT_FALSE(waiter_got_it.load());
    }  // drop_gil: must wake the waiter now
    waiter.join();
    EXPECT_TRUE(waiter_got_it.load());
}

TEST(Threads, Step18_AWaiterForcesTheHolderToDropAtACheckPoint) {
    SwitchInterval fast(0.001);
    py::gil::Hold hold;
    // Several rounds, each checked at its FIRST drop: without FORCE_SWITCHING the holder usually
    // takes the GIL straight back there, and only a later drop lets the waiter in.
    for (int round = 0; round < 10; ++round) {
        std::atomic<bool> other_ran{false};
        std::latch we_hold_it(1);
        Thread other([&] {
            we_hold_it.wait();
            py::gil::Hold other_hold;
            other_ran = true;
        });
        {
            py::gil::Release let_it_start;
            other.start();
        }
        const auto switches_before = py::gil::switch_number();
        we_hold_it.count_down();
        int yields = 0;
        bool ran_at_first_return = false;
        while (!other_ran.load()) {
            if (py::gil::yield_if_requested()) {
                if (++yields == 1) {
                    ran_at_first_return = other_ran.load();
                }
            }
        }
        EXPECT_GE(yields, 1) << "the waiter sets the drop request after the switch interval, "
                                "and the holder drops the GIL at its next check point (§4)";
        EXPECT_TRUE(ran_at_first_return)
            << "FORCE_SWITCHING: after its first forced drop the holder may not take the GIL "
               "back before the waiter had it (round "
            << round << ")";
        EXPECT_GE(py::gil::switch_number(), switches_before + 2)
            << "switch_number counts each hand-over (to the waiter and back)";
        EXPECT_FALSE(py::gil::drop_requested()) << "taking the GIL clears the drop request";
        py::gil::Release for_join;
        other.join();
        if (!ran_at_first_return) {
            break;  // one failure says it all
        }
    }
}

TEST(Threads, Step19_CpuBoundThreadsTakeTurns) {
    // Two CPU-bound threads under the GIL: only one runs at a time, and they alternate at the
    // switch interval. (That they do not finish sooner than one thread doing both halves is the
    // benchmark's job; see docs/benchmarks.md.)
    SwitchInterval fast(0.001);
    std::atomic<int> inside{0};
    std::atomic<int> most_inside{0};
    std::atomic<int> steps[2] = {0, 0};
    auto spin = [&](int me) {
        py::gil::Hold hold;
        const int other = 1 - me;
        while (steps[me].load() < 3 || steps[other].load() < 3) {
            const int now = ++inside;
            int seen = most_inside.load();
            while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
            }
            ++steps[me];
            --inside;
            py::gil::yield_if_requested();
        }
    };
    Thread first(spin, std::tuple<int>(0));
    Thread second(spin, std::tuple<int>(1));
    first.start();
    second.start();
    first.join();
    second.join();
    EXPECT_EQ(most_inside.load(), 1) << "two threads never ran runtime code at the same time";
    EXPECT_GE(steps[0].load(), 3);
    EXPECT_GE(steps[1].load(), 3) << "each thread got the GIL in turn";

    // Not a check: with WORKBOOK_GIL_TRACE=file.json set, record who held the GIL when (two
    // CPU-bound threads, the default 5 ms interval, 60 ms each) as a Chrome trace: the picture
    // of lesson §4. Open it in https://ui.perfetto.dev or chrome://tracing.
    if (const char* path = std::getenv("WORKBOOK_GIL_TRACE")) {
        const SwitchInterval default_interval(0.005);
        gil_trace::Recorder recorder;
        recorder.run_cpu_bound<Thread>(2, std::chrono::milliseconds(60));
        recorder.write(path);
    }
}

}  // namespace
