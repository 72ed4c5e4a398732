// Steps 5-12: the lock-order graph, the seed's second example, the report hook, and the graph
// as a DOT picture. Lesson §3-§5.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "py/deadlock.hpp"
#include "test_support.hpp"

namespace {

namespace deadlock = py::threading::deadlock;
using deadlock::Hold;
using deadlock_test::deadlock_error_of;
using deadlock_test::Reports;
using py::threading::DeadlockReport;
using py::threading::Lock;
using py::threading::Thread;
using py::threading::ThreadOptions;
using testing::AllOf;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::StartsWith;

using Deadlock = deadlock_test::Deadlock;

// Runs `body` in a py::threading::Thread called `name` and waits for it.
template <class Body>
void run_in_thread(const std::string& name, Body body) {
    Thread thread(body, ThreadOptions{.name = name});
    thread.start();
    thread.join();
}

TEST_F(Deadlock, Step05_TheOppositeOrderInOneThreadIsRefused) {
    Lock a;
    Lock b;
    deadlock::set_name(&a, "a");
    deadlock::set_name(&b, "b");
    {
        const Hold hold_a(a);
        const Hold hold_b(b);
    }
    std::string error;
    {
        const Hold hold_b(b);
        error = deadlock_error_of([&] { const Hold hold_a(a); });
        EXPECT_FALSE(a.locked()) << "a refused acquisition does not touch the lock";
        EXPECT_TRUE(b.locked());
    }
    EXPECT_THAT(error, AllOf(StartsWith("potential deadlock: thread 'MainThread' acquires 'a' "
                                        "while holding 'b' at lock_order_test.cpp:"),
                             HasSubstr("but the opposite order was seen:\n  'a' then 'b' in "
                                       "thread 'MainThread' at lock_order_test.cpp:")))
        << "the message names the locks, the threads and where each order was seen (§3)";
    const auto report = deadlock::last_report();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->kind, DeadlockReport::Kind::LockOrderCycle);
    ASSERT_EQ(report->cycle.size(), 2U);
    EXPECT_EQ(report->cycle[0].before, &b) << "the new edge first: b -> a";
    EXPECT_EQ(report->cycle[0].after, &a);
    EXPECT_EQ(report->cycle[1].before, &a) << "then the path back: a -> b";
    EXPECT_EQ(report->cycle[1].after, &b);
    EXPECT_EQ(report->message, error);
    EXPECT_EQ(deadlock::lock_orders().size(), 1U) << "a refused edge does not enter the graph";
}

TEST_F(Deadlock, Step06_SeedExampleTwo_OppositeOrdersAreReportedBeforeTheyDeadlock) {
    // The seed's task1 takes lock_1 then lock_2; task2 takes lock_2 then lock_1. Run one after
    // the other they never deadlock, so a test of the deadlock itself would pass by luck. The
    // lock-order graph sees the danger anyway.
    Lock lock_1;
    Lock lock_2;
    deadlock::set_name(&lock_1, "lock_1");
    deadlock::set_name(&lock_2, "lock_2");
    std::string task1_error = "not run";
    std::string task2_error = "not run";
    run_in_thread("task1", [&] {
        task1_error = deadlock_error_of([&] {
            const Hold one(lock_1);
            const Hold two(lock_2);
        });
    });
    run_in_thread("task2", [&] {
        task2_error = deadlock_error_of([&] {
            const Hold two(lock_2);
            const Hold one(lock_1);
        });
    });
    EXPECT_EQ(task1_error, "") << "the first order seen is fine";
    EXPECT_THAT(
        task2_error,
        AllOf(HasSubstr("thread 'task2' acquires 'lock_1' while holding 'lock_2'"),
              HasSubstr("'lock_1' then 'lock_2' in thread 'task1' at lock_order_test.cpp:")));
    EXPECT_FALSE(lock_1.locked());
    EXPECT_FALSE(lock_2.locked());
}

TEST_F(Deadlock, Step07_SeedExampleTwo_RacingThreadsOneIsRefusedNoneHangs) {
    // Now for real: each task holds its first lock before either goes for its second (in the seed
    // a 1-second time.sleep, made certain by a latch). That is a deadlock in the making; the second
    // thread to ask is refused, lets go of its lock, and the other finishes.
    Lock lock_1;
    Lock lock_2;
    deadlock::set_name(&lock_1, "lock_1");
    deadlock::set_name(&lock_2, "lock_2");
    std::latch both_hold(2);
    std::string errors[2];
    std::atomic<int> finished{0};
    auto task = [&](Lock& first, Lock& second, std::string& error) {
        bool have_first = false;
        try {
            first.acquire();
            have_first = true;
        } catch (const std::exception& failure) {
            error = std::string("first acquire failed: ") + failure.what();
        }
        both_hold.arrive_and_wait();
        if (!have_first) {
            return;
        }
        try {
            const Hold hold(second);
            finished.fetch_add(1);
        } catch (const std::exception& failure) {
            error = failure.what();
        }
        first.release();
    };
    {
        Thread task1([&] { task(lock_1, lock_2, errors[0]); }, ThreadOptions{.name = "task1"});
        Thread task2([&] { task(lock_2, lock_1, errors[1]); }, ThreadOptions{.name = "task2"});
        task1.start();
        task2.start();
        task1.join();
        task2.join();
    }
    EXPECT_EQ(finished.load(), 1) << "one task got both locks";
    const int refused = (errors[0].empty() ? 0 : 1) + (errors[1].empty() ? 0 : 1);
    EXPECT_EQ(refused, 1) << "the other was refused: '" << errors[0] << "' / '" << errors[1] << "'";
    for (const std::string& error : errors) {
        if (!error.empty()) {
            EXPECT_THAT(error, StartsWith("potential deadlock: thread 'task"));
        }
    }
}

TEST_F(Deadlock, Step08_ALongerCycleIsFoundAcrossThreeThreads) {
    Lock a;
    Lock b;
    Lock c;
    deadlock::set_name(&a, "a");
    deadlock::set_name(&b, "b");
    deadlock::set_name(&c, "c");
    run_in_thread("A", [&] {
        const Hold first(a);
        const Hold second(b);
    });
    run_in_thread("B", [&] {
        const Hold first(b);
        const Hold second(c);
    });
    std::string error;
    run_in_thread("C", [&] {
        error = deadlock_error_of([&] {
            const Hold first(c);
            const Hold second(a);
        });
    });
    EXPECT_THAT(error, AllOf(HasSubstr("thread 'C' acquires 'a' while holding 'c'"),
                             HasSubstr("'a' then 'b' in thread 'A'"),
                             HasSubstr("'b' then 'c' in thread 'B'")));
    const auto report = deadlock::last_report();
    ASSERT_TRUE(report.has_value());
    ASSERT_EQ(report->cycle.size(), 3U);
    std::vector<std::string> path;
    for (const auto& order : report->cycle) {
        path.push_back(order.before_name + "->" + order.after_name + " by " + order.thread_name);
    }
    EXPECT_THAT(path, testing::ElementsAre("c->a by C", "a->b by A", "b->c by B"));
}

TEST_F(Deadlock, Step09_AConsistentOrderIsNeverReported) {
    Lock a;
    Lock b;
    Lock c;
    constexpr int kThreads = 4;
    constexpr int kRounds = 100;
    long counter = 0;
    std::atomic<int> errors{0};
    std::latch start(kThreads);
    {
        std::vector<std::unique_ptr<Thread>> threads;
        threads.reserve(kThreads);
        for (int t = 0; t < kThreads; ++t) {
            threads.push_back(std::make_unique<Thread>([&] {
                start.arrive_and_wait();
                for (int i = 0; i < kRounds; ++i) {
                    try {
                        const Hold first(a);
                        const Hold second(b);
                        const Hold third(c);
                        ++counter;
                    } catch (const std::exception&) {
                        errors.fetch_add(1);
                        return;
                    }
                }
            }));
            threads.back()->start();
        }
        for (auto& thread : threads) {
            thread->join();
        }
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(counter, kThreads * kRounds);
    std::vector<std::pair<const void*, const void*>> edges;
    for (const auto& order : deadlock::lock_orders()) {
        edges.emplace_back(order.before, order.after);
    }
    EXPECT_THAT(edges, testing::UnorderedElementsAre(std::pair<const void*, const void*>{&a, &b},
                                                     std::pair<const void*, const void*>{&a, &c},
                                                     std::pair<const void*, const void*>{&b, &c}))
        << "each order is remembered once, however often it is seen";
    EXPECT_FALSE(deadlock::last_report().has_value());
}

TEST_F(Deadlock, Step10_ADestroyedLockLeavesTheGraph) {
    {
        Lock x;
        Lock y;
        const Hold hold_x(x);
        const Hold hold_y(y);
        EXPECT_EQ(deadlock::lock_orders().size(), 1U);
    }
    EXPECT_THAT(deadlock::lock_orders(), IsEmpty())
        << "a destroyed lock takes its edges with it (LockObserver::destroyed)";
    {
        Lock held;
        held.acquire();  // destroyed while held: Python allows it, the detector forgets it
    }
    // New locks, likely at the very same addresses, taken in the other order: a new story.
    Lock x;
    Lock y;
    EXPECT_EQ(deadlock_error_of([&] {
                  const Hold hold_y(y);
                  const Hold hold_x(x);
              }),
              "")
        << "an edge left behind by a dead lock would make this a false report";
}

TEST_F(Deadlock, Step11_AReportHookHearsTheCycleAndTheAcquisitionGoesOn) {
    Reports reports;
    deadlock::set_report_hook(reports.hook());
    Lock a;
    Lock b;
    deadlock::set_name(&a, "a");
    deadlock::set_name(&b, "b");
    {
        const Hold hold_a(a);
        const Hold hold_b(b);
    }
    {
        const Hold hold_b(b);
        const Hold hold_a(a);  // reported, not refused
        EXPECT_TRUE(a.locked());
    }
    const auto heard = reports.all();
    ASSERT_EQ(heard.size(), 1U);
    EXPECT_EQ(heard[0].kind, DeadlockReport::Kind::LockOrderCycle);
    EXPECT_THAT(heard[0].message, StartsWith("potential deadlock: thread 'MainThread' acquires "
                                             "'a' while holding 'b'"));
    EXPECT_EQ(deadlock::lock_orders().size(), 2U) << "in hook mode the new edge joins the graph";
}

TEST_F(Deadlock, Step12_TheLockOrderGraphAsDotHighlightsTheCycle) {
    Lock lock_1;
    Lock lock_2;
    deadlock::set_name(&lock_1, "lock_1");
    deadlock::set_name(&lock_2, "lock_2");
    run_in_thread("task1", [&] {
        const Hold one(lock_1);
        const Hold two(lock_2);
    });
    run_in_thread("task2", [&] {
        (void)deadlock_error_of([&] {
            const Hold two(lock_2);
            const Hold one(lock_1);
        });
    });
    std::ostringstream dot;
    deadlock::write_dot(dot);
    const std::string text = dot.str();
    EXPECT_THAT(text, StartsWith("digraph lock_order {\n"));
    EXPECT_THAT(text, HasSubstr("L0 [label=\"lock_1\", color=red"));
    EXPECT_THAT(text, HasSubstr("L1 [label=\"lock_2\", color=red"));
    EXPECT_THAT(text, HasSubstr("L0 -> L1 [label=\"task1\\nlock_order_test.cpp:"))
        << "the order task1 established, with where";
    EXPECT_THAT(text, HasSubstr("L1 -> L0 [label=\"task2\\nlock_order_test.cpp:"))
        << "the refused order, drawn dashed";
    EXPECT_THAT(text, HasSubstr("refused\", color=red, fontcolor=red, penwidth=2, style=dashed]"));
    EXPECT_THAT(text, testing::EndsWith("}\n"));

    // An order outside the cycle is drawn plainly; quotes in a name are escaped.
    Lock other;
    deadlock::set_name(&other, "the \"other\" lock");
    {
        const Hold one(lock_1);
        const Hold third(other);
    }
    std::ostringstream again;
    deadlock::write_dot(again);
    EXPECT_THAT(again.str(), HasSubstr("L2 [label=\"the \\\"other\\\" lock\"];\n"));
    EXPECT_THAT(again.str(), HasSubstr("L0 -> L2 [label=\"MainThread\\nlock_order_test.cpp:"));
    if (const char* path = std::getenv("WORKBOOK_DOT_OUT")) {  // for the lesson's picture
        std::ofstream(path) << text;
    }
}

}  // namespace
