// Steps 1-4: switching detection on and off, the held-lock bookkeeping, and the seed's first
// example: a Lock acquired twice by its owner. Lesson §1-§2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
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
using py::threading::RLock;
using py::threading::Thread;
using py::threading::ThreadOptions;
using testing::HasSubstr;
using testing::StartsWith;

using Deadlock = deadlock_test::Deadlock;

TEST_F(Deadlock, Step01_DetectionRecordsLockOrdersWhileItIsOn) {
    EXPECT_TRUE(deadlock::is_enabled());
    EXPECT_NE(py::threading::lock_observer(), nullptr) << "enable() installs the lock observer";
    Lock a;
    Lock b;
    deadlock::set_name(&a, "a");
    deadlock::set_name(&b, "b");
    {
        const Hold hold_a(a);
        const Hold hold_b(b);  // b acquired while a is held: the order a -> b
    }
    std::vector<py::threading::LockOrder> orders = deadlock::lock_orders();
    ASSERT_EQ(orders.size(), 1U) << "one acquisition while holding one lock: one edge (§1)";
    EXPECT_EQ(orders[0].before, &a);
    EXPECT_EQ(orders[0].after, &b);
    EXPECT_EQ(orders[0].before_name, "a");
    EXPECT_EQ(orders[0].after_name, "b");
    EXPECT_EQ(orders[0].thread, py::threading::get_ident());
    EXPECT_EQ(orders[0].thread_name, "MainThread");
    EXPECT_THAT(orders[0].where, StartsWith("self_deadlock_test.cpp:"))
        << "Hold tells the detector where (note_site)";

    deadlock::disable();
    EXPECT_FALSE(deadlock::is_enabled());
    EXPECT_EQ(py::threading::lock_observer(), nullptr) << "off: a lock costs one atomic load again";
    {
        const Hold hold_b(b);
        const Hold hold_a(a);  // the opposite order, unseen while detection is off
    }
    EXPECT_EQ(deadlock::lock_orders().size(), 1U);
    EXPECT_FALSE(deadlock::last_report().has_value());

    // A lock taken while detection was off and released while it is on: nothing to forget.
    Lock c;
    c.acquire();
    deadlock::enable();
    c.release();
    EXPECT_FALSE(c.locked());
}

TEST_F(Deadlock, Step02_SeedExampleOne_ALockAcquiredTwiceRaisesAtOnce) {
    // The seed: two threads each acquire the same Lock twice, then count to 100000. Without
    // detection the first thread stops forever at its second acquire and the other at its first.
    Lock lock_object;
    deadlock::set_name(&lock_object, "lock_object");
    long num = 0;
    std::string errors[2];
    auto task = [&](std::string& error) {
        try {
            lock_object.acquire();
        } catch (const std::exception& failure) {
            error = std::string("first acquire failed: ") + failure.what();
            return;
        }
        try {
            lock_object.acquire();  // the same thread again: certain deadlock
            for (int i = 0; i < 100000; ++i) {
                ++num;
            }
            lock_object.release();
        } catch (const py::DeadlockError& failure) {
            error = failure.what();
        } catch (const std::exception& failure) {
            error = std::string("unexpected: ") + failure.what();
        }
        lock_object.release();
    };
    {
        Thread first([&] { task(errors[0]); }, ThreadOptions{.name = "task-1"});
        Thread second([&] { task(errors[1]); }, ThreadOptions{.name = "task-2"});
        first.start();
        second.start();
        first.join();
        second.join();
    }
    for (int i = 0; i < 2; ++i) {
        const std::string thread = "task-" + std::to_string(i + 1);
        EXPECT_THAT(errors[i], HasSubstr("deadlock: thread '" + thread +
                                         "' acquires 'lock_object', which it already holds"))
            << "each thread's second acquire is refused at once (§2)";
        EXPECT_THAT(errors[i], HasSubstr("use an RLock"));
    }
    EXPECT_EQ(num, 0);
    EXPECT_FALSE(lock_object.locked()) << "the refused acquire left the lock as it was";
    const auto report = deadlock::last_report();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->kind, DeadlockReport::Kind::SelfDeadlock);
    ASSERT_EQ(report->cycle.size(), 1U);
    EXPECT_EQ(report->cycle[0].before, &lock_object);
    EXPECT_EQ(report->cycle[0].after, &lock_object);
}

TEST_F(Deadlock, Step03_RLocksAndNonBlockingAttemptsAreNotDeadlocks) {
    RLock rlock;
    Lock lock;
    {
        const Hold outer(rlock);
        const Hold inner(rlock);  // an RLock's owner may come back: not reported
        const Hold plain(lock);
        EXPECT_FALSE(lock.acquire(false)) << "a non-blocking attempt on a held Lock just fails";
    }
    EXPECT_FALSE(deadlock::last_report().has_value());
    EXPECT_FALSE(lock.locked());
    EXPECT_EQ(deadlock::lock_orders().size(), 1U) << "rlock -> lock; no edge from a lock to itself";
    EXPECT_THAT(deadlock::name_of(&rlock), StartsWith("RLock@0x")) << "unnamed: kind and address";
    EXPECT_THAT(deadlock::name_of(&lock), StartsWith("Lock@0x"));
    deadlock::set_name(&lock, "lock");
    EXPECT_EQ(deadlock::name_of(&lock), "lock");
    EXPECT_TRUE(lock.acquire(false)) << "a non-blocking attempt on a free lock, holding nothing";
    lock.release();
}

TEST_F(Deadlock, Step04_WithAReportHookASelfDeadlockStillNeverHangs) {
    Reports reports;
    deadlock::set_report_hook(reports.hook());
    Lock lock;
    deadlock::set_name(&lock, "lock");
    lock.acquire();
    EXPECT_FALSE(lock.acquire(true, 0.001))
        << "with a hook and a timeout, the acquire goes on and times out";
    ASSERT_EQ(reports.all().size(), 1U) << "the hook heard about it first";
    EXPECT_EQ(reports.all()[0].kind, DeadlockReport::Kind::SelfDeadlock);
    EXPECT_THAT(deadlock_error_of([&] { lock.acquire(); }),
                HasSubstr("acquires 'lock', which it already holds"))
        << "without a timeout it could never succeed: it raises even with a hook";
    EXPECT_EQ(reports.all().size(), 2U);
    lock.release();
    EXPECT_FALSE(lock.locked());
}

}  // namespace
