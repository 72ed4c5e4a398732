// Step 18: after backing off, acquire_all sleeps on the busy lock instead of spinning. Lesson §7.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "py/deadlock.hpp"
#include "test_support.hpp"
#include "workbook/asleep.hpp"

namespace {

namespace deadlock = py::threading::deadlock;
using py::threading::Lock;
using py::threading::LockKind;
using py::threading::Thread;
using py::threading::ThreadOptions;
using testing::_;
using testing::AnyNumber;

using Deadlock = deadlock_test::Deadlock;

class MockObserver : public py::threading::LockObserver {
  public:
    MOCK_METHOD(void, before_acquire,
                (const void* lock, LockKind kind, bool blocking, double timeout), (override));
    MOCK_METHOD(void, acquired, (const void* lock, LockKind kind), (override));
    MOCK_METHOD(void, acquire_failed, (const void* lock, LockKind kind), (override));
    MOCK_METHOD(void, released, (const void* lock, LockKind kind), (override));
    MOCK_METHOD(void, destroyed, (const void* lock, LockKind kind), (override));
};

TEST_F(Deadlock, Step18_AfterBackingOffAcquireAllSleepsOnTheBusyLock) {
    // The test holds b. acquire_all({a, b}) takes a, tries b (busy), gives a back, and must then
    // block on b while holding nothing: one non-blocking attempt on b, then one blocking attempt,
    // asleep until the test releases b. Retrying with acquire(false) in a loop would also end
    // with both locks, but it spins at 100% CPU for as long as b is busy.
    Lock a;
    Lock b;
    deadlock::disable();
    testing::NiceMock<MockObserver> observer;
    b.acquire();
    // a comes and goes as it likes; the protocol on b is the point.
    EXPECT_CALL(observer, before_acquire(&a, _, _, _)).Times(AnyNumber());
    EXPECT_CALL(observer, acquired(&a, _)).Times(AnyNumber());
    EXPECT_CALL(observer, acquire_failed(&a, _)).Times(AnyNumber());
    EXPECT_CALL(observer, released(&a, _)).Times(AnyNumber());
    {
        const testing::InSequence on_b;
        EXPECT_CALL(observer, before_acquire(&b, LockKind::Lock, false, _));
        EXPECT_CALL(observer, acquire_failed(&b, LockKind::Lock));
        EXPECT_CALL(observer, before_acquire(&b, LockKind::Lock, true, _));
        EXPECT_CALL(observer, acquired(&b, LockKind::Lock));
    }
    // Once by the test, once by release_all; the test's report may come after the worker's
    // acquired(b) (the lock is free before its observer hears of the release).
    EXPECT_CALL(observer, released(&b, LockKind::Lock)).Times(2);
    py::threading::set_lock_observer(&observer);
    std::string error;
    Thread worker(
        [&] {
            try {
                py::threading::acquire_all({&a, &b});
                py::threading::release_all({&a, &b});
            } catch (const std::exception& failure) {
                error = failure.what();
            }
        },
        ThreadOptions{.name = "worker"});
    worker.start();
    const bool slept =
        workbook::wait_until_asleep(static_cast<pid_t>(worker.native_id().value_or(0)));
    b.release();
    worker.join();
    py::threading::set_lock_observer(nullptr);
    EXPECT_TRUE(slept) << "acquire_all must sleep in a blocking acquire of the busy lock";
    EXPECT_EQ(error, "");
    EXPECT_FALSE(a.locked() || b.locked());
}

}  // namespace
