// Chapter 06, §4-§8: Condition, Semaphore, BoundedSemaphore, Event, Barrier, the observer, and
// a Condition.wait whose lock cannot be taken back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "py/gil.hpp"
#include "py/locks.hpp"
#include "py/threading.hpp"
#include "workbook/asleep.hpp"

namespace {

using py::threading::Barrier;
using py::threading::BoundedSemaphore;
using py::threading::Condition;
using py::threading::Event;
using py::threading::Lock;
using py::threading::RLock;
using py::threading::Semaphore;
using py::threading::Thread;

// Waits (yielding, never sleeping) until `done` is true.
template <class Pred>
void spin_until(Pred done) {
    while (!done()) {
        std::this_thread::yield();
    }
}

TEST(Locks, Step12_ConditionWaitAndNotify) {
    Condition cond;
    std::vector<int> items;
    int consumed = -1;
    Thread consumer([&] {
        std::lock_guard guard(cond);
        cond.wait_for([&] { return !items.empty(); });
        consumed = items.back();
    });
    consumer.start();
    {
        std::lock_guard guard(cond);
        items.push_back(42);
        cond.notify();
    }
    consumer.join();
    EXPECT_EQ(consumed, 42) << "wait_for returns once notify made the predicate true (§4)";

    // notify(n) wakes n waiters in arrival order; notify_all wakes the rest.
    std::atomic<int> woken{0};
    std::vector<std::unique_ptr<Thread>> waiters;
    for (int i = 0; i < 3; ++i) {
        waiters.push_back(std::make_unique<Thread>([&] {
            std::lock_guard guard(cond);
            EXPECT_TRUE(cond.wait()) << "a notified wait returns True";
            ++woken;
        }));
        waiters.back()->start();
    }
    spin_until([&] { return cond.waiter_count() == 3; });
    {
        std::lock_guard guard(cond);
        cond.notify(1);
        EXPECT_EQ(cond.waiter_count(), 2U) << "notify(1) took exactly one waiter";
    }
    spin_until([&] { return woken.load() == 1; });
    {
        std::lock_guard guard(cond);
        cond.notify_all();
        EXPECT_EQ(cond.waiter_count(), 0U);
    }
    for (auto& waiter : waiters) {
        waiter->join();
    }
    EXPECT_EQ(woken.load(), 3);
}

TEST(Locks, Step13_ConditionMisuseIsAnError) {
    Condition cond;
    try {
        cond.wait();
        ADD_FAILURE() << "wait() without the lock must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "cannot wait on un-acquired lock") << "(§4)";
    }
    try {
        cond.notify();
        ADD_FAILURE() << "notify() without the lock must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "cannot notify on un-acquired lock");
    }
    EXPECT_THROW(cond.notify_all(), py::RuntimeError);
    Lock lock;
    Condition over_lock(lock);
    EXPECT_THROW(over_lock.wait(0), py::RuntimeError);
    std::lock_guard guard(over_lock);
    EXPECT_TRUE(lock.locked()) << "a Condition over a Lock acquires that Lock";
    over_lock.notify();
}

TEST(Locks, Step14_ConditionWaitTimesOutAndReleasesAnRLockFully) {
    RLock rlock;
    Condition cond(rlock);
    std::lock_guard guard(cond);
    std::lock_guard again(rlock);  // the RLock is held twice: wait must release both levels
    EXPECT_FALSE(cond.wait(0.01)) << "wait(timeout) returns False when nobody notifies (§4)";
    EXPECT_FALSE(cond.wait_for([] { return false; }, 0.01))
        << "wait_for returns the predicate's last value when the time is up";
    EXPECT_FALSE(cond.wait(0));
    EXPECT_EQ(cond.waiter_count(), 0U) << "a timed-out waiter removes itself";
    bool other_got = false;
    Thread other([&] {
        // Possible only while the main thread waits: wait() released the RLock completely.
        std::lock_guard other_guard(cond);
        other_got = true;
        cond.notify();
    });
    other.start();
    EXPECT_TRUE(cond.wait_for([&] { return other_got; }));
    other.join();
    EXPECT_EQ(rlock.count(), 2U) << "wait() restored the RLock's recursion count";
    EXPECT_TRUE(rlock.is_owned());
}

TEST(Locks, Step16_SemaphoreCountsAndBounds) {
    Semaphore sem(2);
    EXPECT_TRUE(sem.acquire());
    EXPECT_TRUE(sem.acquire());
    EXPECT_EQ(sem.value(), 0);
    EXPECT_FALSE(sem.acquire(false)) << "a semaphore at 0 refuses a non-blocking acquire (§5)";
    EXPECT_FALSE(sem.acquire(true, 0.01)) << "and times out a timed one";
    sem.release(2);
    EXPECT_EQ(sem.value(), 2) << "release(n) adds n";
    try {
        Semaphore bad(-1);
        ADD_FAILURE() << "Semaphore(-1) must raise ValueError";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "semaphore initial value must be >= 0");
    }
    try {
        sem.acquire(false, 1.0);
        ADD_FAILURE() << "a non-blocking acquire with a timeout must raise ValueError";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "can't specify timeout for non-blocking acquire");
    }
    try {
        sem.release(0);
        ADD_FAILURE() << "release(0) must raise ValueError";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "n must be one or more");
    }

    // At most two threads inside at a time; a released slot lets a waiter in.
    std::atomic<int> inside{0};
    std::atomic<int> most{0};
    std::vector<std::unique_ptr<Thread>> threads;
    for (int i = 0; i < 6; ++i) {
        threads.push_back(std::make_unique<Thread>([&] {
            std::lock_guard guard(sem);
            const int now = ++inside;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            --inside;
        }));
        threads.back()->start();
    }
    for (auto& thread : threads) {
        thread->join();
    }
    EXPECT_LE(most.load(), 2) << "Semaphore(2) never lets three threads in";
    EXPECT_EQ(sem.value(), 2);

    // release(2) with two threads asleep in acquire() wakes both (CPython: notify(n)).
    Semaphore empty(0);
    std::atomic<int> got{0};
    auto take = [&] {
        // No timeout: a timed wait would take the value after timing out and hide a lost
        // wake-up. A lost wake-up leaves this thread asleep, and the harness fails the test.
        if (empty.acquire()) {
            ++got;
        }
    };
    Thread first(take);
    Thread second(take);
    first.start();
    second.start();
    ASSERT_TRUE(workbook::wait_until_asleep(static_cast<pid_t>(first.native_id().value_or(0))));
    ASSERT_TRUE(workbook::wait_until_asleep(static_cast<pid_t>(second.native_id().value_or(0))));
    empty.release(2);
    first.join();
    second.join();
    EXPECT_EQ(got.load(), 2) << "release(2) must wake two waiters, not one";
    EXPECT_EQ(empty.value(), 0);
}

TEST(Locks, Step17_BoundedSemaphoreRejectsExtraReleases) {
    BoundedSemaphore sem(1);
    sem.acquire();
    sem.release();
    try {
        sem.release();
        ADD_FAILURE() << "releasing past the initial value must raise ValueError";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "Semaphore released too many times") << "(§5)";
    }
    EXPECT_EQ(sem.value(), 1);
    EXPECT_THROW(sem.release(0), py::ValueError);
    // A blocked acquirer is woken by a release from another thread.
    sem.acquire();
    bool got = false;
    Thread waiter([&] { got = sem.acquire(); });
    waiter.start();
    sem.release();
    waiter.join();
    EXPECT_TRUE(got);
}

TEST(Locks, Step18_EventSetClearWait) {
    Event event;
    EXPECT_FALSE(event.is_set());
    EXPECT_FALSE(event.wait(0.01)) << "wait(timeout) on an unset event returns False (§6)";
    std::atomic<int> released{0};
    std::vector<std::unique_ptr<Thread>> waiters;
    for (int i = 0; i < 3; ++i) {
        waiters.push_back(std::make_unique<Thread>([&] {
            if (event.wait()) {
                ++released;
            }
        }));
        waiters.back()->start();
    }
    event.set();
    for (auto& waiter : waiters) {
        waiter->join();
    }
    EXPECT_EQ(released.load(), 3) << "set() releases every waiter";
    EXPECT_TRUE(event.is_set());
    EXPECT_TRUE(event.wait(0)) << "a set event does not block";
    event.clear();
    EXPECT_FALSE(event.is_set());
    EXPECT_FALSE(event.wait(0));
}

TEST(Locks, Step19_BarrierReleasesAllPartiesAndRunsTheActionOnce) {
    std::atomic<int> actions{0};
    Barrier barrier(3, [&] { ++actions; });
    EXPECT_EQ(barrier.parties(), 3U);
    constexpr int kGenerations = 4;
    std::vector<std::vector<std::size_t>> indexes(3);
    std::vector<std::unique_ptr<Thread>> threads;
    for (int t = 0; t < 3; ++t) {
        threads.push_back(std::make_unique<Thread>([&, t] {
            for (int g = 0; g < kGenerations; ++g) {
                indexes[t].push_back(barrier.wait());
            }
        }));
        threads.back()->start();
    }
    for (auto& thread : threads) {
        thread->join();
    }
    EXPECT_EQ(actions.load(), kGenerations) << "the action runs once per generation (§7)";
    for (int g = 0; g < kGenerations; ++g) {
        std::vector<std::size_t> seen{indexes[0][g], indexes[1][g], indexes[2][g]};
        EXPECT_THAT(seen, testing::UnorderedElementsAre(0U, 1U, 2U))
            << "each party gets a distinct index in generation " << g;
    }
    EXPECT_EQ(barrier.n_waiting(), 0U);
    EXPECT_FALSE(barrier.broken());
    try {
        Barrier none(0);
        ADD_FAILURE() << "Barrier(0) must raise ValueError";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "parties must be >= 1");
    }
}

TEST(Locks, Step20_BarrierAbortResetAndTimeoutBreakIt) {
    Barrier barrier(2);
    std::atomic<bool> broke{false};
    Thread waiter([&] {
        try {
            barrier.wait();
        } catch (const py::threading::BrokenBarrierError&) {
            broke = true;
        }
    });
    waiter.start();
    spin_until([&] { return barrier.n_waiting() == 1; });
    barrier.abort();
    waiter.join();
    EXPECT_TRUE(broke.load()) << "abort() breaks the barrier for its waiters (§7)";
    EXPECT_TRUE(barrier.broken());
    EXPECT_THROW(barrier.wait(), py::threading::BrokenBarrierError)
        << "a broken barrier refuses new waiters";
    barrier.reset();
    EXPECT_FALSE(barrier.broken()) << "reset() makes it usable again";

    // reset() while a thread waits breaks that wait, then the barrier works normally.
    std::atomic<bool> reset_broke{false};
    Thread reset_waiter([&] {
        try {
            barrier.wait();
        } catch (const py::threading::BrokenBarrierError&) {
            reset_broke = true;
        }
    });
    reset_waiter.start();
    spin_until([&] { return barrier.n_waiting() == 1; });
    barrier.reset();
    reset_waiter.join();
    EXPECT_TRUE(reset_broke.load()) << "reset() wakes current waiters with BrokenBarrierError";
    EXPECT_FALSE(barrier.broken());
    std::size_t other_index = 9;
    Thread partner([&] { other_index = barrier.wait(); });
    partner.start();
    const std::size_t my_index = barrier.wait();
    partner.join();
    EXPECT_EQ(my_index + other_index, 1U) << "the next generation passes with indexes 0 and 1";

    EXPECT_THROW(barrier.wait(0.01), py::threading::BrokenBarrierError)
        << "a wait that times out breaks the barrier";
    EXPECT_TRUE(barrier.broken());

    EXPECT_STREQ(py::threading::BrokenBarrierError("").python_name(), "BrokenBarrierError");
    Barrier failing(1, [] { throw py::ValueError("action failed"); });
    EXPECT_THROW(failing.wait(), py::ValueError) << "the action's exception propagates";
    EXPECT_TRUE(failing.broken()) << "and breaks the barrier";

    // abort() then reset() while the broken waiters are still inside wait(): reset() must leave
    // the "resetting" state (-1), which the last waiter out turns into a usable barrier; it must
    // not stay broken. The waiters hold the GIL around wait(), and we hold it across
    // abort(); reset(), so none of them can leave wait() in between.
    Barrier three(3);
    std::atomic<int> broken_waits{0};
    auto wait_with_gil = [&] {
        py::gil::Hold hold;
        try {
            three.wait();
        } catch (const py::threading::BrokenBarrierError&) {
            ++broken_waits;
        }
    };
    Thread one(wait_with_gil);
    Thread two(wait_with_gil);
    one.start();
    two.start();
    {
        py::gil::Hold hold;
        spin_until([&] {
            py::gil::Release let_them_in;
            return three.n_waiting() == 2;
        });
        three.abort();
        three.reset();
    }
    one.join();
    two.join();
    EXPECT_EQ(broken_waits.load(), 2) << "both waiters saw the barrier broken";
    ASSERT_FALSE(three.broken()) << "reset() after abort() repairs it once the waiters are out";
    std::atomic<int> passed{0};
    Thread again_one([&] { passed += three.wait() < 3 ? 1 : 0; });
    Thread again_two([&] { passed += three.wait() < 3 ? 1 : 0; });
    again_one.start();
    again_two.start();
    passed += three.wait() < 3 ? 1 : 0;
    again_one.join();
    again_two.join();
    EXPECT_EQ(passed.load(), 3) << "and the next generation passes";
}

// Records what the locks report (the seam chapter 07 uses).
class Recorder : public py::threading::LockObserver {
  public:
    void before_acquire(const void* lock, py::threading::LockKind kind, bool blocking,
                        double timeout) override {
        add("before", lock, kind);
        if (refuse == lock) {
            throw py::DeadlockError("refused");
        }
    }
    void acquired(const void* lock, py::threading::LockKind kind) override {
        add("acquired", lock, kind);
    }
    void acquire_failed(const void* lock, py::threading::LockKind kind) override {
        add("failed", lock, kind);
    }
    void released(const void* lock, py::threading::LockKind kind) override {
        add("released", lock, kind);
    }
    void destroyed(const void* lock, py::threading::LockKind kind) override {
        add("destroyed", lock, kind);
    }
    std::vector<std::string> events;
    const void* refuse = nullptr;

  private:
    void add(const char* what, const void* lock, py::threading::LockKind kind) {
        std::lock_guard guard(mutex_);
        events.push_back(std::string(what) +
                         (kind == py::threading::LockKind::Lock ? " Lock" : " RLock"));
    }
    std::mutex mutex_;
};

// Removes the observer even when an assertion fails.
struct Observing {
    explicit Observing(Recorder& recorder) { py::threading::set_lock_observer(&recorder); }
    ~Observing() { py::threading::set_lock_observer(nullptr); }
    Observing(const Observing&) = delete;
    Observing& operator=(const Observing&) = delete;
};

TEST(Locks, Step21_TheLockObserverSeesEveryAcquireAndRelease) {
    Recorder recorder;
    {
        Observing observing(recorder);
        EXPECT_EQ(py::threading::lock_observer(), &recorder);
        auto lock = std::make_unique<Lock>();
        lock->acquire();
        EXPECT_FALSE(lock->acquire(false));
        lock->release();
        RLock rlock;
        rlock.acquire();
        rlock.acquire();
        rlock.release();
        rlock.release();
        lock.reset();
        rlock.acquire();
        bool other_got = true;
        Thread other([&] { other_got = rlock.acquire(false); });
        other.start();
        other.join();
        EXPECT_FALSE(other_got);
        {
            Condition cond(rlock);
            EXPECT_FALSE(cond.wait(0)) << "wait() reports releasing and re-taking the RLock";
        }
        rlock.release();
        recorder.refuse = &rlock;
        EXPECT_THROW(rlock.acquire(), py::DeadlockError) << "the observer may refuse (§8)";
        EXPECT_FALSE(rlock.is_owned()) << "a refused acquire leaves the lock alone";
    }
    EXPECT_EQ(py::threading::lock_observer(), nullptr);
    EXPECT_THAT(
        recorder.events,
        testing::ElementsAre("before Lock", "acquired Lock", "before Lock", "failed Lock",
                             "released Lock", "before RLock", "acquired RLock", "released RLock",
                             "destroyed Lock", "before RLock", "acquired RLock", "before RLock",
                             "failed RLock", "released RLock", "before RLock", "acquired RLock",
                             "released RLock", "before RLock", "destroyed RLock"))
        << "recursive RLock acquires are not reported; only the outermost pair is";

    // An observer that overrides nothing still works: every hook has a default.
    py::threading::LockObserver silent;
    py::threading::set_lock_observer(&silent);
    {
        RLock rlock;
        Lock lock;
        rlock.acquire();
        EXPECT_TRUE(lock.acquire(true, 0.0));
        EXPECT_FALSE(lock.acquire(false));
        lock.release();
        rlock.release();
    }
    py::threading::set_lock_observer(nullptr);
    EXPECT_STREQ(py::DeadlockError("").python_name(), "DeadlockError");
}

// wait() that cannot take its lock back (the observer refuses, as chapter 07's detector may)
// raises, and its waiter must leave the queue anyway: it lived in wait()'s frame, which is gone,
// and a later notify() would write into it.
template <class Lockable>
void wait_whose_reacquire_is_refused(const char* kind) {
    Recorder recorder;
    Lockable lock;
    Condition cond(lock);
    {
        Observing observing(recorder);
        lock.acquire();
        recorder.refuse = &lock;  // its next acquire: the one that takes it back inside wait()
        EXPECT_THROW(cond.wait(0), py::DeadlockError)
            << kind << ": the observer's refusal propagates out of wait()";
        recorder.refuse = nullptr;
    }
    if constexpr (std::is_same_v<Lockable, Lock>) {
        EXPECT_FALSE(lock.locked()) << kind << ": a refused reacquire leaves the lock released";
    } else {
        EXPECT_FALSE(lock.is_owned()) << kind << ": a refused reacquire leaves the lock released";
    }
    ASSERT_EQ(cond.waiter_count(), 0U) << kind << ": the waiter left the queue when wait() threw";
    std::lock_guard guard(cond);
    cond.notify();  // nobody waits: must touch no waiter (AddressSanitizer checks it)
    EXPECT_EQ(cond.waiter_count(), 0U);
}

TEST(Locks, Step15_AWaitWhoseReacquireIsRefusedLeavesTheQueue) {
    wait_whose_reacquire_is_refused<Lock>("Lock");
    wait_whose_reacquire_is_refused<RLock>("RLock");
}

}  // namespace
