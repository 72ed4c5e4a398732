// Chapter 10, §7: the synchronisation objects a SyncManager creates besides Lock, RLock and Event
// (Semaphore, BoundedSemaphore, Condition, Barrier) and its Array, with CPython's errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "py/containers.hpp"
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
using sharing_test::S;
using sharing_test::traceback_ending;
using sharing_test::V;
using sharing_test::wait_child;

void semaphores(SyncManager& manager) {
    auto sem = manager.Semaphore(2);
    EXPECT_THAT(sem.repr(), testing::StartsWith("<AcquirerProxy object, typeid 'Semaphore'"));
    EXPECT_TRUE(sem.acquire());
    EXPECT_TRUE(sem.acquire());
    EXPECT_FALSE(sem.acquire(false)) << "the count is 0 (§7)";
    EXPECT_FALSE(sem.acquire(true, 0.01)) << "a timed acquire gives up";
    auto done = manager.Event();
    const pid_t child = fork_child([&] {
        if (!sem.acquire()) {  // blocks in the server until the parent releases
            throw std::runtime_error("acquire failed");
        }
        done.set();
    });
    sem.release();
    EXPECT_TRUE(done.wait(10.0)) << "the child's acquire went through";
    EXPECT_EQ(wait_child(child), 0);
    (void)sem._callmethod("release", {I(2)});  // release(n=2)
    EXPECT_TRUE(sem.acquire(false));
    EXPECT_TRUE(sem.acquire(false));
    EXPECT_EQ(error_of<py::ValueError>([&] { (void)sem._callmethod("release", {I(0)}); }),
              "n must be one or more");
    EXPECT_EQ(error_of<py::ValueError>([&] { (void)sem.acquire(false, 1.0); }),
              "can't specify timeout for non-blocking acquire");

    auto bounded = manager.BoundedSemaphore();
    EXPECT_TRUE(bounded.acquire());
    bounded.release();
    EXPECT_EQ(error_of<py::ValueError>([&] { bounded.release(); }),
              "Semaphore released too many times");
    EXPECT_THAT(error_of<RemoteError>([&] { (void)manager.Semaphore(-1); }),
                traceback_ending("ValueError: semaphore initial value must be >= 0"));
}

void conditions(SyncManager& manager) {
    auto cond = manager.Condition();
    EXPECT_EQ(error_of<py::RuntimeError>([&] { (void)cond.wait(); }),
              "cannot wait on un-acquired lock");
    EXPECT_EQ(error_of<py::RuntimeError>([&] { cond.notify(); }),
              "cannot notify on un-acquired lock");
    EXPECT_EQ(error_of<py::RuntimeError>([&] { cond.notify_all(); }),
              "cannot notify on un-acquired lock");
    EXPECT_EQ(error_of<py::RuntimeError>([&] { cond.release(); }),
              "cannot release un-acquired lock");
    ASSERT_TRUE(cond.acquire());
    ASSERT_TRUE(cond.acquire()) << "the lock is an RLock";
    EXPECT_FALSE(cond.wait(0.01)) << "nobody notifies: the timeout runs out";

    // A hand-off in three moves: each side waits for the state the other sets, under the lock.
    auto state = manager.Value('i', I(0).get());
    auto at = [&](long long wanted) {
        return [&state, wanted] { return V(state.get()) == wanted; };
    };
    const pid_t child = fork_child([&] {
        cond.acquire();  // free once the parent waits
        state.set(I(1).get());
        cond.notify();
        if (!cond.wait_for(at(2), 10.0)) {
            throw std::runtime_error("no state 2");
        }
        state.set(I(3).get());
        cond.notify_all();
        cond.release();
    });
    EXPECT_TRUE(cond.wait_for(at(1), 10.0)) << "wait() gave the lock up, twice held (§7)";
    state.set(I(2).get());
    cond.notify();
    EXPECT_TRUE(cond.wait_for(at(3), 10.0));
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_FALSE(cond.wait_for(at(4), 0.01)) << "wait_for returns the predicate's last value";
    cond.release();
    cond.release();
    EXPECT_EQ(error_of<py::RuntimeError>([&] { cond.release(); }),
              "cannot release un-acquired lock")
        << "wait() gave the recursion count back";
}

// One byte through a pipe: how a child tells the parent "I got here" (no polling).
class Signal {
  public:
    Signal() {
        if (::pipe(fds_) != 0) {
            throw std::runtime_error("pipe failed");
        }
    }
    Signal(const Signal&) = delete;
    Signal& operator=(const Signal&) = delete;
    ~Signal() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    void post() const {
        if (::write(fds_[1], "x", 1) != 1) {
            throw std::runtime_error("write failed");
        }
    }
    // Blocks until `n` posts have arrived (the test's timeout bounds it).
    void await(int n) const {
        char byte = 0;
        for (int i = 0; i < n; ++i) {
            if (::read(fds_[0], &byte, 1) != 1) {
                throw std::runtime_error("read failed");
            }
        }
    }

  private:
    int fds_[2]{};
};

// test_notify_n: three children wait, notify(2) wakes two of them, notify_all the third.
void notify_n(SyncManager& manager) {
    auto cond = manager.Condition();
    auto woken = manager.Value('i', I(0).get());
    const Signal entering;
    const Signal left;
    std::vector<pid_t> children;
    children.reserve(3);
    for (int k = 0; k < 3; ++k) {
        children.push_back(fork_child([&] {
            cond.acquire();
            entering.post();  // with the lock held, which only wait() gives up
            if (!cond.wait(10.0)) {
                throw std::runtime_error("not notified");
            }
            woken.set(I(V(woken.get()) + 1).get());  // under the lock
            cond.release();
            left.post();
        }));
    }
    // Each child posted holding the lock and gives it up only inside wait(): once the parent has
    // three posts and the lock, all three children wait.
    entering.await(3);
    cond.acquire();
    cond.notify(2);
    cond.release();
    left.await(2);
    EXPECT_EQ(V(woken.get()), 2) << "notify(2) woke two of the three waiters (§7)";
    cond.acquire();
    cond.notify_all();
    cond.release();
    left.await(1);
    EXPECT_EQ(V(woken.get()), 3);
    for (const pid_t child : children) {
        EXPECT_EQ(wait_child(child), 0);
    }
}

void barriers(SyncManager& manager) {
    auto barrier = manager.Barrier(2);
    EXPECT_EQ(barrier.parties(), 2);
    EXPECT_EQ(barrier.n_waiting(), 0);
    EXPECT_FALSE(barrier.broken());
    auto index = manager.Value('i', I(-1).get());
    pid_t child = fork_child([&] { index.set(I(barrier.wait()).get()); });
    const long long mine = barrier.wait(10.0);
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(mine + V(index.get()), 1) << "the two arrivals got indices 0 and 1 (§7)";
    EXPECT_EQ(barrier.str(), "<threading.Barrier: waiters=0/2>");

    // reset() while a party waits: that party gets BrokenBarrierError.
    auto outcome = manager.Value('i', I(0).get());
    child = fork_child([&] {
        try {
            (void)barrier.wait();
        } catch (const BrokenBarrierError&) {
            outcome.set(I(1).get());
        }
    });
    // Until the child waits (the server's hand-off for tests, not CPython's; n_waiting is 1 then).
    (void)barrier._callmethod("_wait_for_waiters", {I(1)});
    EXPECT_EQ(barrier.n_waiting(), 1);
    barrier.reset();
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(V(outcome.get()), 1) << "a reset breaks the current waits";
    EXPECT_FALSE(barrier.broken()) << "and the barrier fills again";

    EXPECT_THROW((void)barrier.wait(0.01), BrokenBarrierError)
        << "a wait that times out breaks the barrier";
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(barrier.str(), "<threading.Barrier: broken>");
    EXPECT_THROW((void)barrier.wait(), BrokenBarrierError) << "broken until reset()";
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    barrier.abort();
    EXPECT_TRUE(barrier.broken());
    EXPECT_THROW((void)barrier.wait(), BrokenBarrierError);
    EXPECT_EQ(error_of<py::AttributeError>(
                  [&] { (void)barrier._callmethod("__getattribute__", {S("nosuch")}); }),
              "'Barrier' object has no attribute 'nosuch'");
    EXPECT_EQ(
        error_of<py::TypeError>([&] { (void)barrier._callmethod("__getattribute__", {I(1)}); }),
        "attribute name must be string, not 'int'");
    auto single = manager.Barrier(1, 5.0);
    EXPECT_EQ(single.wait(), 0) << "one party: the last to arrive is the first";
}

void arrays(SyncManager& manager) {
    auto array = manager.Array('i', py::Tuple::pack({I(1).get(), I(2).get(), I(3).get()}).get());
    EXPECT_THAT(array.repr(), testing::StartsWith("<ArrayProxy object, typeid 'Array'"));
    EXPECT_EQ(array.len(), 3);
    EXPECT_EQ(V(array.getitem(-1)), 3);
    array.setitem(0, I(10).get());
    const pid_t child = fork_child([&] { array.setitem(1, I(20).get()); });
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(array.str(), "array('i', [10, 20, 3])") << "the child's a[1] = 20 (§7)";
    EXPECT_EQ(error_of<py::IndexError>([&] { (void)array.getitem(3); }),
              "array index out of range");
    EXPECT_EQ(error_of<py::IndexError>([&] { array.setitem(-4, I(0).get()); }),
              "array assignment index out of range");
    EXPECT_EQ(error_of<py::TypeError>([&] { array.setitem(0, py::Float::create(1.5).get()); }),
              "'float' object cannot be interpreted as an integer");
    EXPECT_EQ(error_of<py::OverflowError>([&] { array.setitem(0, I(1LL << 31).get()); }),
              "signed integer is greater than maximum");
    EXPECT_EQ(error_of<py::TypeError>([&] { (void)array._callmethod("__getitem__", {S("x")}); }),
              "array indices must be integers");
    EXPECT_EQ(array.str(), "array('i', [10, 20, 3])") << "no failed store changed it";

    auto doubles =
        manager.Array('d', py::Tuple::pack({I(1).get(), py::Float::create(2.5).get()}).get());
    EXPECT_EQ(doubles.str(), "array('d', [1.0, 2.5])") << "an int stored as a double";
    EXPECT_EQ(error_of<py::TypeError>([&] { doubles.setitem(0, S("x").get()); }),
              "must be real number, not str");
    auto text = manager.Array('u', py::Tuple::pack({S("a").get(), S("\xc3\xa9").get()}).get());
    EXPECT_EQ(text.str(), "array('u', 'a\xc3\xa9')");
    EXPECT_EQ(error_of<py::TypeError>([&] { text.setitem(0, S("ab").get()); }),
              "array item must be unicode character");
    EXPECT_EQ(manager.Array('B', py::List::create().get()).str(), "array('B')");
    EXPECT_THAT(error_of<RemoteError>(
                    [&] { (void)manager.Array('b', py::Tuple::pack({I(128).get()}).get()); }),
                traceback_ending("OverflowError: signed char is greater than maximum"));
    EXPECT_THAT(error_of<RemoteError>(
                    [&] { (void)manager.Array('H', py::Tuple::pack({I(-1).get()}).get()); }),
                traceback_ending("OverflowError: unsigned short is less than minimum"));
    EXPECT_THAT(error_of<RemoteError>([&] { (void)manager.Array('z', py::List::create().get()); }),
                traceback_ending(
                    "ValueError: bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)"));
}

// python3's own AcquirerProxy, BarrierProxy and ArrayProxy on our server, and our errors as
// python3 unpickles them (threading.BrokenBarrierError is threading's).
const char* const kPythonSyncClient = R"(
import sys
from multiprocessing.managers import SyncManager
manager = SyncManager(address=sys.argv[1], authkey=sys.argv[2].encode())
manager.connect()
s = manager.BoundedSemaphore(1)
print(s.acquire(), s.acquire(timeout=0.01), flush=True)
s.release()
try:
    s.release()
except ValueError as e:
    print("ValueError", e, flush=True)
b = manager.Barrier(1)
print(b.wait(), b.parties, b.n_waiting, b.broken, flush=True)
b.abort()
try:
    b.wait()
except Exception as e:
    print(type(e).__module__, type(e).__name__, flush=True)
c = manager.Condition()
with c:
    print(c.wait(timeout=0.01), c.wait_for(lambda: True), flush=True)
a = manager.Array("i", [1, 2])
a[1] = 5
print(len(a), a[0], a[1], flush=True)
)";

TEST(Sharing, Step51_SemaphoreConditionBarrierAndArrayLiveInTheServer) {
    SyncManager manager;
    manager.start();
    semaphores(manager);
    conditions(manager);
    notify_n(manager);
    barriers(manager);
    arrays(manager);

    SyncManager served(std::nullopt, std::string("py key"));
    served.start();
    sharing_test::Python python(kPythonSyncClient,
                                {std::get<std::string>(served.address()), "py key"});
    EXPECT_EQ(python.read_line(), "True False") << "python3's AcquirerProxy (§7)";
    EXPECT_EQ(python.read_line(), "ValueError Semaphore released too many times");
    EXPECT_EQ(python.read_line(), "0 1 0 False") << "BarrierProxy's properties";
    EXPECT_EQ(python.read_line(), "threading BrokenBarrierError");
    EXPECT_EQ(python.read_line(), "False True") << "ConditionProxy.wait and wait_for";
    EXPECT_EQ(python.read_line(), "2 1 5") << "ArrayProxy";
    EXPECT_EQ(python.wait(), 0);
}

}  // namespace
