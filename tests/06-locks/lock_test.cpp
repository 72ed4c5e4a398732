// Chapter 06, §1-§3: Lock and RLock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <string>

#include "py/gil.hpp"
#include "py/locks.hpp"
#include "py/runtime.hpp"
#include "py/threading.hpp"

namespace {

using py::threading::Lock;
using py::threading::RLock;
using py::threading::Thread;

// Runs `body` in a py::threading::Thread and waits for it.
template <class F>
void in_thread(F body) {
    Thread thread(body);
    thread.start();
    thread.join();
}

TEST(Locks, Step01_LockAcquireAndRelease) {
    Lock lock;
    EXPECT_FALSE(lock.locked()) << "a new Lock is unlocked (§1)";
    EXPECT_FALSE(lock.owner().has_value());
    EXPECT_TRUE(lock.acquire());
    EXPECT_TRUE(lock.locked());
    ASSERT_TRUE(lock.owner().has_value()) << "owner() names the acquiring thread while locked";
    EXPECT_EQ(*lock.owner(), py::threading::get_ident());
    EXPECT_FALSE(lock.acquire(false)) << "Lock is not reentrant: a second attempt fails";
    lock.release();
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire(false)) << "a non-blocking acquire of a free lock succeeds";
    lock.release();
}

TEST(Locks, Step02_ReleasingAnUnlockedLockIsAnError) {
    Lock lock;
    try {
        lock.release();
        FAIL() << "release() of an unlocked Lock must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "release unlocked lock") << "Modules/_threadmodule.c (§1)";
    }
    EXPECT_FALSE(lock.locked()) << "the failed release left the lock alone";
}

TEST(Locks, Step03_AcquireArgumentsFollowPython) {
    Lock lock;
    RLock rlock;
    auto expect_value_error = [](auto&& call, const char* message) {
        try {
            call();
            ADD_FAILURE() << "expected ValueError(\"" << message << "\")";
        } catch (const py::ValueError& e) {
            EXPECT_STREQ(e.what(), message);
        }
    };
    expect_value_error([&] { lock.acquire(false, 1); },
                       "can't specify a timeout for a non-blocking call");
    expect_value_error([&] { rlock.acquire(false, 0.5); },
                       "can't specify a timeout for a non-blocking call");
    expect_value_error([&] { lock.acquire(true, -2); }, "timeout value must be positive");
    expect_value_error([&] { rlock.acquire(true, -0.5); }, "timeout value must be positive");
    EXPECT_THROW(lock.acquire(true, 1e10), py::OverflowError) << "above threading.TIMEOUT_MAX";
    EXPECT_FALSE(lock.locked()) << "bad arguments never take the lock";
    EXPECT_TRUE(lock.acquire(false, -1)) << "timeout=-1 is the default and allowed";
    lock.release();
}

TEST(Locks, Step04_NonBlockingAndTimedAcquireFailWhileHeld) {
    Lock lock;
    lock.acquire();
    bool non_blocking = true;
    bool timed = true;
    bool zero = true;
    in_thread([&] {
        non_blocking = lock.acquire(false);
        timed = lock.acquire(true, 0.01);
        zero = lock.acquire(true, 0);
    });
    EXPECT_FALSE(non_blocking) << "acquire(blocking=False) returns False at once (§1)";
    EXPECT_FALSE(timed) << "acquire(timeout=0.01) returns False when the time is up";
    EXPECT_FALSE(zero) << "acquire(timeout=0) is one attempt";
    lock.release();
}

TEST(Locks, Step05_AnotherThreadMayReleaseALock) {
    // lock_tests.py: test_different_thread. A Lock has no owner that release() checks.
    Lock lock;
    in_thread([&] { lock.acquire(); });
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked()) << "the main thread released a lock another thread acquired (§1)";

    // A waiter blocked in acquire() gets the lock when somebody else releases it.
    lock.acquire();
    std::latch about_to_block(1);
    std::atomic<bool> got{false};
    Thread waiter([&] {
        about_to_block.count_down();
        got = lock.acquire();
        lock.release();
    });
    waiter.start();
    about_to_block.wait();
    lock.release();
    waiter.join();
    EXPECT_TRUE(got.load()) << "release() wakes a thread sleeping in acquire()";
}

// `counter[0] = counter[0] + 1` on our runtime, with a GIL switch forced between the read and
// the write: the switch CPython's eval loop may make at a backward jump or a call (3.10+) or at
// any instruction (3.9 and earlier). `lock` (if any) is held across read and write.
void increment_with_a_switch_inside(py::List& counter, std::atomic<int>& finished, Lock* lock) {
    py::gil::Hold hold;
    if (lock != nullptr) {
        lock->acquire();  // blocks with the GIL dropped (§2)
    }
    const long long read = static_cast<py::Int*>(counter.item(0))->value();
    // Force the switch: wait at our check point until the other thread asks for the GIL, unless
    // it has finished (then nobody ever will).
    while (finished.load() == 0 && !py::gil::yield_if_requested()) {
    }
    counter.setitem(0, py::Int::create(read + 1).get());
    if (lock != nullptr) {
        lock->release();
    }
    ++finished;
}

long long two_increments(Lock* lock) {
    py::Ref<py::List> counter;
    {
        py::gil::Hold hold;
        counter = py::List::create();
        counter->append(py::Int::create(0).get());
    }
    std::atomic<int> finished{0};
    Thread first([&] { increment_with_a_switch_inside(*counter, finished, lock); });
    Thread second([&] { increment_with_a_switch_inside(*counter, finished, lock); });
    first.start();
    second.start();
    first.join();
    second.join();
    py::gil::Hold hold;
    const long long result = static_cast<py::Int*>(counter->item(0))->value();
    counter.reset();
    return result;
}

TEST(Locks, Step06_AddAndSubtractUnderALockEndAtZero) {
    // The seed's _add/_sub race: with the lock around each loop the result is always 0.
    Lock lock;
    long number = 0;
    constexpr int kLoop = 100000;
    Thread add([&] {
        lock.acquire();
        for (int i = 0; i < kLoop; ++i) {
            ++number;
        }
        lock.release();
    });
    Thread sub([&] {
        std::lock_guard guard(lock);  // `with lock_object:`
        for (int i = 0; i < kLoop; ++i) {
            --number;
        }
    });
    add.start();
    sub.start();
    add.join();
    sub.join();
    EXPECT_EQ(number, 0) << "the lock makes each loop run alone (§1)";

    // The seed's "Lock allowed" case: a function may lock and unlock several times in a row;
    // the threads compete for the lock between the sections and no increment is lost.
    long num = 0;
    auto task = [&] {
        for (int section = 0; section < 2; ++section) {
            lock.acquire();
            for (int i = 0; i < kLoop; ++i) {
                ++num;
            }
            lock.release();
        }
    };
    Thread first(task);
    Thread second(task);
    first.start();
    second.start();
    first.join();
    second.join();
    EXPECT_EQ(num, 4L * kLoop) << "two threads x two locked sections each";
}

TEST(Locks, Step07_WaitingForALockReleasesTheGil) {
    // A thread holding the GIL blocks on a lock that only a GIL-taking thread can release: that
    // works only if the waiting acquire drops the GIL.
    Lock lock;
    lock.acquire();
    std::latch has_gil(1);
    bool got = false;
    Thread waiter([&] {
        py::gil::Hold hold;
        has_gil.count_down();
        got = lock.acquire();
        lock.release();
    });
    waiter.start();
    has_gil.wait();
    {
        py::gil::Hold hold;  // possible only once the waiter dropped the GIL (§2)
        lock.release();
    }
    waiter.join();
    EXPECT_TRUE(got);

    // The seed's race, made to happen: two `counter[0] += 1` with a GIL switch between each
    // one's read and write. Without a lock one update is lost, every time; with the lock the
    // second thread blocks in acquire() (dropping the GIL), and reads the first one's result.
    EXPECT_EQ(two_increments(nullptr), 1) << "unlocked: both read 0, both write 1";
    EXPECT_EQ(two_increments(&lock), 2) << "locked: the switch happens, but nobody gets in";
}

TEST(Locks, Step08_RLockIsReentrant) {
    RLock rlock;
    EXPECT_TRUE(rlock.acquire());
    EXPECT_TRUE(rlock.acquire()) << "the owner may acquire an RLock again (§3)";
    EXPECT_EQ(rlock.count(), 2U);
    EXPECT_TRUE(rlock.is_owned());
    EXPECT_EQ(rlock.owner(), py::threading::get_ident());
    bool other_got = true;
    in_thread([&] { other_got = rlock.acquire(false); });
    EXPECT_FALSE(other_got) << "another thread cannot take an owned RLock";
    std::latch about_to_block(1);
    bool waited_and_got = false;
    Thread blocked([&] {
        about_to_block.count_down();
        waited_and_got = rlock.acquire();
        rlock.release();
    });
    blocked.start();
    about_to_block.wait();
    rlock.release();
    EXPECT_TRUE(rlock.is_owned()) << "one release per acquire";
    rlock.release();
    blocked.join();
    EXPECT_TRUE(waited_and_got) << "a blocked acquirer gets the RLock after the last release";
    EXPECT_FALSE(rlock.is_owned());
    EXPECT_FALSE(rlock.owner().has_value());

    // The seed's "RLock allowed" example: three threads each acquire twice and release twice.
    std::atomic<int> done{0};
    {
        Thread t1([&] {
            rlock.acquire();
            rlock.acquire();
            rlock.release();
            rlock.release();
            ++done;
        });
        Thread t2([&] {
            std::lock_guard outer(rlock);
            std::lock_guard inner(rlock);
            ++done;
        });
        t1.start();
        t2.start();
        t1.join();
        t2.join();
    }
    EXPECT_EQ(done.load(), 2);
}

TEST(Locks, Step09_RLockReleaseByANonOwnerIsAnError) {
    RLock rlock;
    try {
        rlock.release();
        FAIL() << "releasing an unowned RLock must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "cannot release un-acquired lock") << "(§3)";
    }
    rlock.acquire();
    std::string message;
    in_thread([&] {
        try {
            rlock.release();
        } catch (const py::RuntimeError& e) {
            message = e.what();
        }
    });
    EXPECT_EQ(message, "cannot release un-acquired lock") << "only the owner may release it";
    EXPECT_TRUE(rlock.is_owned()) << "the failed release changed nothing";
    EXPECT_THROW(rlock.acquire(false, 1), py::ValueError);
    EXPECT_EQ(rlock.count(), 1U) << "bad arguments are rejected even for the owner";
    rlock.release();
    EXPECT_THROW(rlock.release_save(), py::RuntimeError);
}

// The seed's nested-call example: programmer A's func() locks; programmer C's process() locks
// and calls func().
template <class L>
struct Library {
    L lock;
    int calls = 0;
    bool func() {  // programmer A
        if (!lock.acquire(false)) {
            return false;  // with a plain Lock this acquire would wait forever
        }
        ++calls;
        lock.release();
        return true;
    }
    bool run() { return func(); }  // programmer B: calls func() without a lock
    bool process() {               // programmer C: calls func() holding the lock
        std::lock_guard guard(lock);
        return func();
    }
};

TEST(Locks, Step10_TheNestedCallNeedsAnRLock) {
    Library<RLock> with_rlock;
    EXPECT_TRUE(with_rlock.run());
    EXPECT_TRUE(with_rlock.process()) << "func() may take the RLock its caller holds (§3)";
    EXPECT_EQ(with_rlock.calls, 2);
    Library<Lock> with_lock;
    EXPECT_TRUE(with_lock.run());
    EXPECT_FALSE(with_lock.process())
        << "with a Lock, the nested acquire cannot succeed: a blocking one would deadlock";
    EXPECT_FALSE(with_lock.lock.locked()) << "the guard released the outer acquire";
}

TEST(Locks, Step11_LocksWorkWithStdGuards) {
    Lock lock;
    RLock rlock;
    try {
        std::lock_guard guard(lock);
        std::unique_lock unique(rlock);
        EXPECT_TRUE(lock.locked());
        EXPECT_TRUE(rlock.is_owned());
        throw py::ValueError("leave the block");
    } catch (const py::ValueError&) {
    }
    EXPECT_FALSE(lock.locked()) << "the guard released the Lock when the exception left (§1)";
    EXPECT_FALSE(rlock.is_owned());
    lock.acquire();
    {
        std::unique_lock attempt(lock, std::try_to_lock);
        EXPECT_FALSE(attempt.owns_lock()) << "try_lock is acquire(blocking=False)";
    }
    lock.release();
    std::unique_lock unique(lock, std::try_to_lock);
    EXPECT_TRUE(unique.owns_lock());
}

}  // namespace
