// Step 22: the lock observer's protocol, checked with a GoogleMock observer. Lesson §8.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "py/locks.hpp"

namespace {

using py::threading::Lock;
using py::threading::LockKind;
using py::threading::RLock;
using testing::_;
using testing::DoubleEq;

class MockObserver : public py::threading::LockObserver {
  public:
    MOCK_METHOD(void, before_acquire,
                (const void* lock, LockKind kind, bool blocking, double timeout), (override));
    MOCK_METHOD(void, acquired, (const void* lock, LockKind kind), (override));
    MOCK_METHOD(void, acquire_failed, (const void* lock, LockKind kind), (override));
    MOCK_METHOD(void, released, (const void* lock, LockKind kind), (override));
    MOCK_METHOD(void, destroyed, (const void* lock, LockKind kind), (override));
};

// Installs the mock for one test and removes it even when an assertion fails.
struct Installed {
    explicit Installed(MockObserver& observer) { py::threading::set_lock_observer(&observer); }
    ~Installed() { py::threading::set_lock_observer(nullptr); }
    Installed(const Installed&) = delete;
    Installed& operator=(const Installed&) = delete;
};

TEST(Locks, Step22_AMockObserverSeesTheProtocolInOrder) {
    testing::StrictMock<MockObserver> observer;
    Lock lock;
    RLock rlock;
    {
        const testing::InSequence in_order;
        // with lock: ...
        EXPECT_CALL(observer, before_acquire(&lock, LockKind::Lock, true, DoubleEq(-1.0)));
        EXPECT_CALL(observer, acquired(&lock, LockKind::Lock));
        // lock.acquire(timeout=0.01) while held: announced, then failed, never acquired.
        EXPECT_CALL(observer, before_acquire(&lock, LockKind::Lock, true, DoubleEq(0.01)));
        EXPECT_CALL(observer, acquire_failed(&lock, LockKind::Lock));
        // lock.acquire(False) while held.
        EXPECT_CALL(observer, before_acquire(&lock, LockKind::Lock, false, _));
        EXPECT_CALL(observer, acquire_failed(&lock, LockKind::Lock));
        EXPECT_CALL(observer, released(&lock, LockKind::Lock));
        // An RLock taken twice and released twice: only the outermost pair is reported.
        EXPECT_CALL(observer, before_acquire(&rlock, LockKind::RLock, true, DoubleEq(-1.0)));
        EXPECT_CALL(observer, acquired(&rlock, LockKind::RLock));
        EXPECT_CALL(observer, released(&rlock, LockKind::RLock));
    }
    {
        const Installed installed(observer);
        lock.acquire();
        EXPECT_FALSE(lock.acquire(true, 0.01)) << "a held Lock times out";
        EXPECT_FALSE(lock.acquire(false));
        lock.release();
        rlock.acquire();
        rlock.acquire();
        rlock.release();
        rlock.release();
    }
    testing::Mock::VerifyAndClearExpectations(&observer);

    // A lock that dies while observed says so, once.
    const Installed installed(observer);
    auto* doomed = new Lock;  // NOLINT(cppcoreguidelines-owning-memory): its address is the point
    const void* address = doomed;
    EXPECT_CALL(observer, destroyed(address, LockKind::Lock));
    delete doomed;  // NOLINT(cppcoreguidelines-owning-memory)
}

}  // namespace
