// Steps 13-17: the wait-for graph of a deadlock happening now, and avoidance with acquire_all.
// Lesson §6-§7.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "py/deadlock.hpp"
#include "test_support.hpp"

namespace {

namespace deadlock = py::threading::deadlock;
using deadlock::Hold;
using deadlock_test::Reports;
using py::threading::Lock;
using py::threading::Thread;
using py::threading::ThreadOptions;
using py::threading::WaitingThread;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

using Deadlock = deadlock_test::Deadlock;

TEST_F(Deadlock, Step13_NobodyWaitingMeansNoDeadlock) {
    Lock a;
    Lock b;
    const Hold hold_a(a);
    EXPECT_THAT(py::threading::find_deadlocks(), IsEmpty()) << "held locks alone are no deadlock";
    std::vector<std::vector<WaitingThread>> seen_from_thread = {{WaitingThread{}}};
    bool got_a = true;
    Thread other(
        [&] {
            // Attempts that fail while holding nothing leave nothing behind.
            got_a = a.acquire(false) || a.acquire(true, 0.001);
            const Hold hold_b(b);
            seen_from_thread = py::threading::find_deadlocks();
        },
        ThreadOptions{.name = "other"});
    other.start();
    other.join();
    EXPECT_THAT(seen_from_thread, IsEmpty()) << "two threads, each holding a lock, nobody waiting";
    EXPECT_FALSE(got_a) << "a is held by the test's thread";
}

TEST_F(Deadlock, Step14_FindDeadlocksNamesTheThreadsAndLocksOfTheSeedsDeadlock) {
    // The seed's second example, really deadlocked: with a report hook the lock-order detector
    // only warns, so both threads block. find_deadlocks() sees the cycle; then the test breaks it
    // by releasing lock_2 itself (any thread may release a Lock).
    Reports reports;
    deadlock::set_report_hook(reports.hook());
    Lock lock_1;
    Lock lock_2;
    deadlock::set_name(&lock_1, "lock_1");
    deadlock::set_name(&lock_2, "lock_2");
    std::latch both_hold(2);
    std::atomic<int> failures{0};
    // task1: lock_1, then lock_2 (blocks), then lets both go.
    Thread task1(
        [&] {
            bool have_first = false;
            try {
                lock_1.acquire();
                have_first = true;
            } catch (const std::exception&) {
                failures.fetch_add(1);
            }
            both_hold.arrive_and_wait();
            if (have_first) {
                lock_2.acquire();
                lock_2.release();
                lock_1.release();
            }
        },
        ThreadOptions{.name = "task1"});
    // task2: lock_2, then lock_1 (blocks). Its lock_2 is released by the test.
    Thread task2(
        [&] {
            bool have_first = false;
            try {
                lock_2.acquire();
                have_first = true;
            } catch (const std::exception&) {
                failures.fetch_add(1);
            }
            both_hold.arrive_and_wait();
            if (have_first) {
                lock_1.acquire();
                lock_1.release();
            }
        },
        ThreadOptions{.name = "task2"});
    task1.start();
    task2.start();

    std::vector<std::vector<WaitingThread>> cycles;
    // Both are blocked when the wait-for graph shows the cycle: wait for exactly that.
    while (failures.load() == 0 && (cycles = py::threading::find_deadlocks()).empty()) {
        std::this_thread::yield();
    }
    if (failures.load() == 0) {
        lock_2.release();  // break the cycle: task1 gets lock_2, finishes, and lets task2 in
    }
    task1.join();
    task2.join();

    ASSERT_EQ(failures.load(), 0);
    ASSERT_EQ(cycles.size(), 1U);
    ASSERT_EQ(cycles[0].size(), 2U);
    std::vector<std::string> who_waits_for_what;
    for (const WaitingThread& waiting : cycles[0]) {
        who_waits_for_what.push_back(waiting.thread_name + " waits for " + waiting.lock_name);
    }
    EXPECT_THAT(who_waits_for_what,
                UnorderedElementsAre("task1 waits for lock_2", "task2 waits for lock_1"));
    EXPECT_EQ(cycles[0][0].owner, cycles[0][1].thread) << "each waits for a lock the next holds";
    EXPECT_EQ(cycles[0][1].owner, cycles[0][0].thread);
    EXPECT_LT(cycles[0][0].thread, cycles[0][1].thread) << "listed from the smallest ident";
    EXPECT_EQ(reports.all().size(), 1U) << "the lock-order graph had warned before it happened";
    EXPECT_THAT(py::threading::find_deadlocks(), IsEmpty());
    EXPECT_FALSE(lock_1.locked());
    EXPECT_FALSE(lock_2.locked());
}

TEST_F(Deadlock, Step15_AcquireAllTakesEveryLock) {
    Lock a;
    Lock b;
    Lock c;
    py::threading::acquire_all({&a, &b, &c});
    EXPECT_TRUE(a.locked() && b.locked() && c.locked());
    py::threading::release_all({&a, &b, &c});
    EXPECT_FALSE(a.locked() || b.locked() || c.locked());
    try {
        py::threading::acquire_all({&a, &b, &a});
        ADD_FAILURE() << "a repeated lock must be refused (it would wait for itself)";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "acquire_all() got the same lock twice");
    }
    EXPECT_FALSE(a.locked() || b.locked()) << "nothing was taken before the check";
    py::threading::acquire_all({});
}

// Counts down `busy` the first time a non-blocking attempt on `watched` fails.
class BusyWatcher : public py::threading::LockObserver {
  public:
    explicit BusyWatcher(const void* watched) : watched_(watched) {}
    void acquire_failed(const void* lock, py::threading::LockKind /*kind*/) override {
        if (lock == watched_ && !fired_.exchange(true)) {
            busy.count_down();
        }
    }
    void give_up() {
        if (!fired_.exchange(true)) {
            busy.count_down();
        }
    }
    std::latch busy{1};

  private:
    const void* watched_;
    std::atomic<bool> fired_{false};
};

TEST_F(Deadlock, Step16_AcquireAllBacksOffFromABusyLock) {
    // The test holds b. acquire_all({a, b}) takes a, finds b busy, must give a back and wait for
    // b: a lock observer of the test's own sees the failed attempt on b.
    Lock a;
    Lock b;
    deadlock::disable();
    BusyWatcher watcher(&b);
    py::threading::set_lock_observer(&watcher);
    b.acquire();
    std::string error;
    Thread worker(
        [&] {
            try {
                py::threading::acquire_all({&a, &b});
                py::threading::release_all({&a, &b});
            } catch (const std::exception& failure) {
                error = failure.what();
                watcher.give_up();
            }
        },
        ThreadOptions{.name = "worker"});
    worker.start();
    watcher.busy.wait();  // the worker tried b and found it busy
    b.release();
    worker.join();
    py::threading::set_lock_observer(nullptr);
    EXPECT_EQ(error, "");
    EXPECT_FALSE(a.locked() || b.locked()) << "after the back-off it got both, then let both go";
}

TEST_F(Deadlock, Step17_AcquireAllInOppositeOrdersNeverDeadlocks) {
    // The seed's two tasks again, this time through acquire_all: any order, no deadlock, and the
    // lock-order detector (on, raising) finds nothing to object to.
    Lock lock_1;
    Lock lock_2;
    constexpr int kRounds = 300;
    long counter = 0;
    std::atomic<int> errors{0};
    std::latch start(2);
    auto task = [&](Lock& first, Lock& second) {
        start.arrive_and_wait();
        for (int i = 0; i < kRounds; ++i) {
            try {
                py::threading::acquire_all({&first, &second});
            } catch (const std::exception&) {
                errors.fetch_add(1);
                return;
            }
            ++counter;
            py::threading::release_all({&first, &second});
        }
    };
    {
        Thread task1([&] { task(lock_1, lock_2); }, ThreadOptions{.name = "task1"});
        Thread task2([&] { task(lock_2, lock_1); }, ThreadOptions{.name = "task2"});
        task1.start();
        task2.start();
        task1.join();
        task2.join();
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(counter, 2 * kRounds);
    EXPECT_FALSE(deadlock::last_report().has_value());
}

}  // namespace
