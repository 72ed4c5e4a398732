// Chapter 09, §7: process locks reach spawned and forkserver children, which inherit no memory,
// through the descriptor of the lock's shared memory (as CPython pickles a SemLock's handle for
// a child it is spawning), and the seed's ticket example (§二.3.5) with spawned buyers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipes.hpp"
#include "py/multiprocessing.hpp"
#include "py/synchronize.hpp"

namespace {

namespace mp = py::multiprocessing;

// Exit codes of try_to_take: what the child found when it attached to the passed lock.
constexpr int TOOK_IT = 10;
constexpr int HELD_ELSEWHERE = 11;

// args: (kind). Attaches to the lock passed as pass_fds[0] and tries to take it without
// blocking; a Semaphore is taken as often as it lets itself be (the count is the exit code).
const mp::Function try_to_take("tests.spawn_locks.try_to_take",
                               [](py::Tuple& args) -> py::Ref<py::Object> {
                                   const std::string kind =
                                       mp::from_object<std::string>(args.item(0));
                                   const int fd = mp::inherited_fd(0);
                                   if (kind == "Lock") {
                                       auto lock = mp::Lock::attach(fd);
                                       mp::sys_exit(lock.acquire(false) ? TOOK_IT : HELD_ELSEWHERE);
                                   }
                                   if (kind == "RLock") {
                                       auto lock = mp::RLock::attach(fd);
                                       mp::sys_exit(lock.acquire(false) ? TOOK_IT : HELD_ELSEWHERE);
                                   }
                                   if (kind == "BoundedSemaphore") {
                                       // The parent took one of two: one release fits under the
                                       // bound that came along, the second is refused.
                                       auto bounded = mp::BoundedSemaphore::attach(fd);
                                       try {
                                           bounded.release();
                                       } catch (const py::ValueError&) {
                                           mp::sys_exit(HELD_ELSEWHERE);
                                       }
                                       try {
                                           bounded.release();
                                       } catch (const py::ValueError&) {
                                           mp::sys_exit(TOOK_IT);
                                       }
                                       mp::sys_exit(HELD_ELSEWHERE);
                                   }
                                   auto semaphore = mp::Semaphore::attach(fd);
                                   int taken = 0;
                                   while (semaphore.acquire(false)) {
                                       ++taken;
                                   }
                                   mp::sys_exit(taken);
                               });

// args: (path, tickets). The seed's buyer: take tickets from the counter in the file, one at a
// time, under the Lock passed as pass_fds[0].
const mp::Function buy_tickets("tests.spawn_locks.buy_tickets", [](py::Tuple& args) {
    const std::string path = mp::from_object<std::string>(args.item(0));
    auto lock = mp::Lock::attach(mp::inherited_fd(0));
    for (long long i = 0; i < mp::from_object<long long>(args.item(1)); ++i) {
        std::lock_guard guard(lock);
        int current = 0;
        {
            std::ifstream in(path);
            in >> current;
        }
        std::ofstream(path) << current - 1;
    }
    return mp::to_object(nullptr);
});

int run_child(const std::string& method, const char* kind, int fd) {
    mp::Process child(try_to_take, mp::make_args(kind), {.start_method = method, .pass_fds = {fd}});
    child.start();
    child.join();
    return child.exitcode().value_or(-1);
}

TEST(ProcessPools, Step33_LocksReachSpawnedAndForkserverChildren) {
    for (const std::string method : {"spawn", "forkserver"}) {
        SCOPED_TRACE(method);
        // A child that mapped a copy instead of the same memory would find it free.
        mp::Lock lock;
        ASSERT_TRUE(lock.acquire());
        EXPECT_EQ(run_child(method, "Lock", lock.fd()), HELD_ELSEWHERE);
        lock.release();
        EXPECT_EQ(run_child(method, "Lock", lock.fd()), TOOK_IT);
        EXPECT_TRUE(lock.acquire(true, 30.0)) << "a child that exits holding it frees it (robust)";
        EXPECT_TRUE(lock.owner_died());
        lock.release();

        mp::RLock rlock;
        ASSERT_TRUE(rlock.acquire());
        ASSERT_TRUE(rlock.acquire());
        EXPECT_EQ(run_child(method, "RLock", rlock.fd()), HELD_ELSEWHERE);
        rlock.release();
        rlock.release();

        mp::Semaphore semaphore(3);
        ASSERT_TRUE(semaphore.acquire());
        EXPECT_EQ(run_child(method, "Semaphore", semaphore.fd()), 2);
        EXPECT_EQ(semaphore.get_value(), 0) << "what the child took is gone here too";

        mp::BoundedSemaphore bounded(2);
        ASSERT_TRUE(bounded.acquire());
        EXPECT_EQ(run_child(method, "BoundedSemaphore", bounded.fd()), TOOK_IT);
        EXPECT_EQ(bounded.get_value(), 2);
    }

    // The seed's ticket office with spawned buyers: 4 buyers of 5 tickets each.
    char path[] = "/tmp/workbook_spawn_tickets_XXXXXX";
    ::close(::mkstemp(path));
    std::ofstream(path) << 100;
    mp::Lock office;
    std::vector<std::unique_ptr<mp::Process>> buyers;
    buyers.reserve(4);
    for (int i = 0; i < 4; ++i) {
        buyers.push_back(std::make_unique<mp::Process>(
            buy_tickets, mp::make_args(std::string(path), 5),
            mp::ProcessOptions{.start_method = i % 2 == 0 ? "spawn" : "forkserver",
                               .pass_fds = {office.fd()}}));
        buyers.back()->start();
    }
    for (auto& buyer : buyers) {
        buyer->join();
        EXPECT_EQ(buyer->exitcode(), 0);
    }
    int left = 0;
    std::ifstream(path) >> left;
    std::remove(path);
    EXPECT_EQ(left, 80);

    // Attaching checks what the descriptor is.
    mp::Lock a_lock;
    mp::RLock an_rlock;
    try {
        (void)mp::RLock::attach(a_lock.fd());
        ADD_FAILURE() << "a Lock's memory attached as an RLock";
    } catch (const py::ValueError& error) {
        EXPECT_EQ(std::string(error.what()),
                  "descriptor " + std::to_string(a_lock.fd()) + " is not a shared RLock");
    }
    EXPECT_THROW((void)mp::Lock::attach(an_rlock.fd()), py::ValueError);
    EXPECT_THROW((void)mp::Semaphore::attach(a_lock.fd()), py::ValueError);
    testing_pipes::Pipe pipe;
    EXPECT_THROW((void)mp::Lock::attach(pipe.read_fd()), py::ValueError) << "not shared memory";
    EXPECT_THROW((void)mp::Lock::attach(-1), py::OSError);
}

}  // namespace
