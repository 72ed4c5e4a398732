// Chapter 09, §5: locks shared between processes, and the seed's ticket example (§二.3.5:
// ten processes each take one ticket from a counter kept in a file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipes.hpp"
#include "py/multiprocessing.hpp"
#include "py/synchronize.hpp"

namespace {

namespace mp = py::multiprocessing;
using testing_pipes::Pipe;

// The seed's task: read the number in the file, take one, write it back, under the lock. The
// read and the write are separate system calls, so without the lock two children can read the
// same number and a ticket is sold twice.
template <class AnyLock>
void take_one_ticket(AnyLock& lock, const std::string& path) {
    std::lock_guard guard(lock);
    int current = 0;
    {
        std::ifstream in(path);
        in >> current;
    }
    ::usleep(1000);  // the seed's time.sleep: widen the window the lock must protect
    std::ofstream(path) << current - 1;
}

template <class AnyLock>
int sell_ten_tickets(AnyLock& lock) {
    char path[] = "/tmp/workbook_f1_XXXXXX";
    ::close(::mkstemp(path));
    std::ofstream(path) << 100;
    std::vector<std::unique_ptr<mp::Process>> buyers;
    buyers.reserve(10);
    for (int i = 0; i < 10; ++i) {
        buyers.push_back(std::make_unique<mp::Process>([&] { take_one_ticket(lock, path); }));
    }
    for (auto& buyer : buyers) {
        buyer->start();
    }
    for (auto& buyer : buyers) {
        buyer->join();
        EXPECT_EQ(buyer->exitcode(), 0);
    }
    int left = 0;
    std::ifstream(path) >> left;
    std::remove(path);
    return left;
}

TEST(ProcessPools, Step18_ProcessLockSellsTheTicketsOneAtATime) {
    mp::Lock lock;
    EXPECT_EQ(sell_ten_tickets(lock), 90) << "ten processes, ten tickets, exactly ten fewer";

    // The lock is shared: while a child holds it, the parent cannot take it.
    Pipe report;
    Pipe go;
    mp::Process holder([&] {
        lock.acquire();
        report.send("held\n");
        (void)go.receive_line();
        lock.release();
    });
    holder.start();
    EXPECT_EQ(report.receive_line(), "held");
    EXPECT_FALSE(lock.acquire(false)) << "held by the child";
    EXPECT_FALSE(lock.acquire(true, 0.05)) << "the timeout passes while the child holds it";
    go.send("release\n");
    EXPECT_TRUE(lock.acquire(true, 30.0));
    lock.release();
    holder.join();
    try {
        lock.release();
        ADD_FAILURE() << "releasing a free lock did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "semaphore or lock released too many times");
    }
}

TEST(ProcessPools, Step19_RLockIsReentrantAndOwned) {
    mp::RLock lock;
    EXPECT_EQ(sell_ten_tickets(lock), 90) << "the seed uses multiprocessing.RLock";

    EXPECT_TRUE(lock.acquire());
    EXPECT_TRUE(lock.acquire()) << "the owner acquires again";
    lock.release();
    // Still held once: a child cannot take it.
    Pipe report;
    mp::Process child([&] { report.send(lock.acquire(false) ? "acquired\n" : "busy\n"); });
    child.start();
    EXPECT_EQ(report.receive_line(), "busy");
    child.join();
    lock.release();
    try {
        lock.release();
        ADD_FAILURE() << "releasing an RLock it does not hold did not throw";
    } catch (const py::AssertionError& error) {
        EXPECT_STREQ(error.what(), "attempt to release recursive lock not owned by thread");
    }
}

TEST(ProcessPools, Step20_SemaphoreCountsAcrossProcesses) {
    mp::Semaphore slots(2);
    EXPECT_EQ(slots.get_value(), 2);
    Pipe report;
    Pipe go;
    std::vector<std::unique_ptr<mp::Process>> holders;
    for (int i = 0; i < 2; ++i) {
        holders.push_back(std::make_unique<mp::Process>([&] {
            slots.acquire();
            report.send("in\n");
            (void)go.receive_line();
            slots.release();
        }));
        holders.back()->start();
    }
    EXPECT_EQ(report.receive_line(), "in");
    EXPECT_EQ(report.receive_line(), "in");
    EXPECT_EQ(slots.get_value(), 0);
    EXPECT_FALSE(slots.acquire(false)) << "both slots are taken by the children";
    EXPECT_FALSE(slots.acquire(true, 0.05));
    go.send("1\n2\n");
    EXPECT_TRUE(slots.acquire(true, 30.0));
    for (auto& holder : holders) {
        holder->join();
    }
    EXPECT_EQ(slots.get_value(), 1);
    slots.release();
    slots.release();  // a plain Semaphore may go above its start value
    EXPECT_EQ(slots.get_value(), 3);

    mp::BoundedSemaphore bounded(1);
    EXPECT_TRUE(bounded.acquire());
    bounded.release();
    try {
        bounded.release();
        ADD_FAILURE() << "BoundedSemaphore went above its start value";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "semaphore or lock released too many times");
    }
    EXPECT_THROW(mp::Semaphore(-1), py::ValueError);
}

TEST(ProcessPools, Step21_ADeadHoldersLockPassesToTheNextAcquirer) {
    // A child takes the lock and is killed before it can release it. CPython's semaphore-based
    // lock would stay taken forever; a robust mutex passes to the next acquirer, who is told.
    mp::Lock lock;
    mp::Process dies_holding([&] {
        lock.acquire();
        std::signal(SIGKILL, SIG_DFL);
        ::kill(::getpid(), SIGKILL);
    });
    dies_holding.start();
    dies_holding.join();
    EXPECT_EQ(dies_holding.exitcode(), -SIGKILL);
    EXPECT_TRUE(lock.acquire(true, 30.0)) << "the dead holder's lock is not wedged";
    EXPECT_TRUE(lock.owner_died()) << "the new holder is told the old one died holding it";
    bool other_thread_got_it = true;
    std::thread([&] { other_thread_got_it = lock.acquire(false); }).join();
    EXPECT_FALSE(other_thread_got_it);
    EXPECT_TRUE(lock.owner_died())
        << "another thread's failed attempt leaves the holder's flag alone";
    lock.release();
    EXPECT_TRUE(lock.acquire());
    EXPECT_FALSE(lock.owner_died()) << "an ordinary acquire";
    lock.release();

    mp::RLock rlock;
    mp::Process exits_holding([&] {
        rlock.acquire();
        rlock.acquire();
        mp::sys_exit(0);  // leaves without releasing
    });
    exits_holding.start();
    exits_holding.join();
    EXPECT_TRUE(rlock.acquire(true, 30.0));
    EXPECT_TRUE(rlock.owner_died());
    rlock.release();  // held once by us, whatever the dead owner's count was
    EXPECT_THROW(rlock.release(), py::AssertionError);
}

}  // namespace
