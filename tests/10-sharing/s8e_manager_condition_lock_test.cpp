// Chapter 10, §7: manager.Condition(lock) over a lock of the same manager (the lock travels as its
// proxy), and manager.Barrier's action, run by the server when the last party arrives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "helpers.hpp"
#include "py/exceptions.hpp"
#include "py/managers.hpp"
#include "py/scalars.hpp"
#include "values.hpp"

namespace {

using py::multiprocessing::managers::BrokenBarrierError;
using py::multiprocessing::managers::RemoteError;
using py::multiprocessing::managers::SyncManager;
using sharing_test::error_of;
using sharing_test::fork_child;
using sharing_test::I;
using sharing_test::traceback_ending;
using sharing_test::V;
using sharing_test::wait_child;

TEST(Sharing, Step53_AConditionTakesTheManagersLockAndABarrierCallsItsAction) {
    SyncManager manager;
    manager.start();
    auto lock = manager.Lock();
    auto cond = manager.Condition(lock);
    EXPECT_TRUE(cond.acquire());
    EXPECT_FALSE(lock.acquire(false)) << "the condition's acquire took the manager's Lock (§7)";
    EXPECT_FALSE(cond.wait(0.01)) << "not notified: the timeout ran out";
    EXPECT_FALSE(lock.acquire(false)) << "wait() took the Lock back before it returned";
    cond.notify();
    cond.release();
    EXPECT_TRUE(lock.acquire(false)) << "the condition's release gave the Lock back";
    lock.release();
    EXPECT_EQ(error_of<py::RuntimeError>([&] { (void)cond.wait(0.01); }),
              "cannot wait on un-acquired lock");
    EXPECT_EQ(error_of<py::RuntimeError>([&] { cond.notify(); }),
              "cannot notify on un-acquired lock");

    // A child waits, releasing the Lock inside wait(): the parent's acquire is the hand-off.
    auto waiting = manager.Event();
    auto notified = manager.Value('i', I(0).get());
    const pid_t child = fork_child([&] {
        cond.acquire();
        waiting.set();
        notified.set(I(cond.wait(10.0) ? 1 : 0).get());
        cond.release();
    });
    ASSERT_TRUE(waiting.wait(10.0));
    cond.acquire();  // only once the child waits, having given the Lock up
    cond.notify();
    cond.release();
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(V(notified.get()), 1) << "notify() through the shared Lock woke the child";

    // CPython's threading.Condition tests a proxy's ownership with acquire(False), which an RLock
    // held by the same connection grants again: such a Condition never waits nor notifies.
    auto rlock = manager.RLock();
    auto rcond = manager.Condition(rlock);
    EXPECT_TRUE(rcond.acquire());
    EXPECT_EQ(error_of<py::RuntimeError>([&] { (void)rcond.wait(0.01); }),
              "cannot wait on un-acquired lock");
    EXPECT_EQ(error_of<py::RuntimeError>([&] { rcond.notify(); }),
              "cannot notify on un-acquired lock");
    rcond.release();
    EXPECT_TRUE(manager.Condition(manager.Semaphore(1)).acquire()) << "any AcquirerProxy will do";

    EXPECT_THAT(error_of<RemoteError>([&] { (void)manager.Condition(manager.list()); }),
                traceback_ending("AttributeError: 'ListProxy' object has no attribute 'acquire'"));
    EXPECT_THAT(
        error_of<RemoteError>([&] { (void)manager.Condition(manager.Queue()); }),
        traceback_ending("AttributeError: 'AutoProxy[Queue]' object has no attribute 'acquire'"));
    SyncManager other;
    other.start();
    EXPECT_THAT(error_of<RemoteError>([&] { (void)manager.Condition(other.Lock()); }),
                traceback_ending("TypeError: the manager's Condition takes a lock of its own "
                                 "manager"));

    // Barrier(2, action=5): the last to arrive calls the action, fails, and breaks the barrier.
    auto barrier = manager.Barrier(2, I(5).get());
    auto outcome = manager.Value('i', I(0).get());
    const pid_t party = fork_child([&] {
        try {
            (void)barrier.wait();
        } catch (const BrokenBarrierError&) {
            outcome.set(I(1).get());
        }
    });
    (void)barrier._callmethod("_wait_for_waiters", {I(1)});
    EXPECT_EQ(error_of<py::TypeError>([&] { (void)barrier.wait(); }),
              "'int' object is not callable");
    EXPECT_EQ(wait_child(party), 0);
    EXPECT_EQ(V(outcome.get()), 1) << "the other party's wait broke";
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(manager.Barrier(1, I(0).get()).wait(), 0) << "a false action is never called";
    auto list = manager.list();
    EXPECT_EQ(
        error_of<py::TypeError>([&] { (void)manager.Barrier(1, list.reduce().get(), 5.0).wait(); }),
        "'ListProxy' object is not callable");
}

// python3's proxies on our server: the same Condition, errors for non-locks, and an action.
const char* const kPythonClient = R"(
import sys, multiprocessing
from multiprocessing.managers import SyncManager, RemoteError
multiprocessing.current_process().authkey = sys.argv[2].encode()
manager = SyncManager(address=sys.argv[1])
manager.connect()
lock = manager.Lock()
cond = manager.Condition(lock)
print(cond.acquire(), lock.acquire(False), cond.wait(0.01), flush=True)
cond.release()
print(lock.acquire(False), flush=True)
for bad in (5, manager.list()):
    try:
        manager.Condition(bad)
    except RemoteError as e:
        print(str(e).splitlines()[-2], flush=True)
try:
    manager.Barrier(1, action=5).wait()
except TypeError as e:
    print("TypeError", e, flush=True)
try:
    manager.Barrier(1, action=print)
except Exception as e:
    print(type(e).__name__, flush=True)
)";

TEST(Sharing, Step53_PythonsConditionOfALockWorksOnOurManager) {
    SyncManager manager(std::nullopt, std::string("py key"));
    manager.start();
    sharing_test::Python client(kPythonClient,
                                {std::get<std::string>(manager.address()), "py key"});
    // The lines are CPython's own server's for the same script (started with the process's
    // authkey: its RebuildProxy connects back with that one), but for print: a function pickles
    // as builtins.print, a global our server refuses to load.
    EXPECT_EQ(client.read_line(), "True False False");
    EXPECT_EQ(client.read_line(), "True");
    EXPECT_EQ(client.read_line(), "AttributeError: 'int' object has no attribute 'acquire'");
    EXPECT_EQ(client.read_line(), "AttributeError: 'ListProxy' object has no attribute 'acquire'");
    EXPECT_EQ(client.read_line(), "TypeError 'int' object is not callable");
    EXPECT_EQ(client.read_line(), "UnpicklingError");
    EXPECT_EQ(client.wait(), 0);
}

}  // namespace
