// Chapter 10, §6: Queue, SimpleQueue and JoinableQueue across processes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "py/bytes.hpp"
#include "py/exceptions.hpp"
#include "py/queues.hpp"
#include "py/scalars.hpp"
#include "py/sharedctypes.hpp"

namespace {

using py::multiprocessing::Array;
using py::multiprocessing::JoinableQueue;
using py::multiprocessing::Queue;
using py::multiprocessing::SimpleQueue;
using py::multiprocessing::Value;
using sharing_test::fork_child;
using sharing_test::wait_child;

py::Ref<py::Object> I(long long value) {
    return py::Int::create(value);
}
std::string R(const py::Ref<py::Object>& obj) {
    return py::repr(obj.get());
}

TEST(Sharing, Step33_QueuePutAndGetAcrossProcesses) {
    // The seed's example: the child puts 0..9, the parent joins it, then gets them in order.
    Queue queue;
    const pid_t child = fork_child([&] {
        for (int i = 0; i < 10; ++i) {
            queue.put(I(i));
        }
    });
    ASSERT_EQ(wait_child(child), 0) << "ten small ints fit in the pipe: the child can exit";
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(R(queue.get()), std::to_string(i)) << "FIFO, pickled through the pipe (§6)";
    }
    queue.put(py::Str::create("same process"));
    EXPECT_EQ(R(queue.get()), "'same process'") << "put and get in one process work too";
}

TEST(Sharing, Step34_GetAndPutTimeOutWithEmptyAndFull) {
    Queue queue(2);
    EXPECT_THROW(queue.get_nowait(), py::queue::Empty) << "nothing there (§6)";
    EXPECT_THROW(queue.get(true, 0.05), py::queue::Empty) << "nothing arrives in 50 ms";
    queue.put(I(1));
    queue.put(I(2));
    EXPECT_THROW(queue.put_nowait(I(3).get()), py::queue::Full) << "maxsize 2: no place left";
    EXPECT_THROW(queue.put(I(3), true, 0.05), py::queue::Full) << "no place frees up in 50 ms";
    EXPECT_EQ(R(queue.get()), "1");
    queue.put_nowait(I(3).get());
    EXPECT_EQ(R(queue.get(true, 5.0)), "2");
    EXPECT_EQ(R(queue.get()), "3");

    // A reader blocked in get() holds the read lock while it waits: another get() with a timeout
    // gives up on the lock itself (Queue.get: `if not self._rlock.acquire(block, timeout)`).
    const pid_t waiter = fork_child([&] {
        if (R(queue.get()) != "4") {
            throw std::runtime_error("the blocked reader should get 4");
        }
    });
    // Asleep in poll(2), the lock held.
    EXPECT_TRUE(sharing_test::wait_until_asleep(sharing_test::process_state, waiter));
    EXPECT_THROW(queue.get(true, 0.01), py::queue::Empty) << "the read lock is taken: Empty";
    queue.put(I(4));
    EXPECT_EQ(wait_child(waiter), 0) << "the blocked reader gets the next item";
}

TEST(Sharing, Step35_QsizeEmptyAndFullCountPlaces) {
    Queue queue(2);
    EXPECT_EQ(queue.qsize(), 0);
    EXPECT_TRUE(queue.empty());
    EXPECT_FALSE(queue.full());
    queue.put(I(1));
    EXPECT_EQ(queue.qsize(), 1) << "qsize = maxsize - the semaphore's value (§6)";
    queue.put(I(2));
    EXPECT_EQ(queue.qsize(), 2);
    EXPECT_TRUE(queue.full()) << "the semaphore is at zero";
    (void)queue.get();
    EXPECT_FALSE(queue.full());
    EXPECT_EQ(queue.qsize(), 1);
    (void)queue.get();
    EXPECT_TRUE(queue.empty()) << "empty() polls the pipe";
    Queue unbounded;
    EXPECT_FALSE(unbounded.full()) << "maxsize 0 is SEM_VALUE_MAX places";
}

TEST(Sharing, Step36_CloseFlushesAndJoinThreadWaits) {
    Queue queue;
    try {
        queue.join_thread();
        FAIL() << "join_thread() before close() is an error";
    } catch (const py::AssertionError& e) {
        EXPECT_THAT(e.what(), testing::MatchesRegex(
                                  "Queue <multiprocessing.queues.Queue object at .*> not closed"));
    }
    Value<'q'> sum(0);
    const pid_t reader = fork_child([&] {
        long long total = 0;
        for (int i = 0; i < 200; ++i) {
            total += std::stoll(R(queue.get()));
        }
        sum.set_value(total);
    });
    for (int i = 0; i < 200; ++i) {
        queue.put(I(i));
    }
    queue.close();
    queue.close();        // a second close() does nothing
    queue.join_thread();  // returns when the feeder has written all 200 (§6)
    try {
        queue.put(I(1));
        FAIL() << "put() after close() is an error";
    } catch (const py::ValueError& e) {
        EXPECT_THAT(e.what(), testing::MatchesRegex("Queue <.*> is closed"));
    }
    EXPECT_THROW(queue.get(), py::ValueError) << "get() after close() too";
    EXPECT_EQ(wait_child(reader), 0);
    EXPECT_EQ(sum.value(), 199 * 200 / 2) << "everything flushed before join_thread() returned";
}

TEST(Sharing, Step37_ManyProducersAndConsumersLoseNothing) {
    constexpr int kProducers = 3;
    constexpr int kConsumers = 2;
    constexpr int kEach = 400;
    Queue queue(50);  // small: producers block on Full, and the feeders wait for the readers
    Array<'i'> seen(static_cast<std::size_t>(kProducers) * kEach);
    std::vector<pid_t> children;
    children.reserve(kProducers + kConsumers);
    for (int p = 0; p < kProducers; ++p) {
        children.push_back(fork_child([&, p] {
            for (int i = 0; i < kEach; ++i) {
                queue.put(I(p * kEach + i));
            }
        }));
    }
    for (int c = 0; c < kConsumers; ++c) {
        children.push_back(fork_child([&] {
            for (;;) {
                const auto item = queue.get();
                if (py::is_none(item.get())) {
                    return;
                }
                const auto id = std::stoll(R(item));
                const std::lock_guard guard(seen.get_lock());
                seen.set(id, seen[id] + 1);
            }
        }));
    }
    for (int p = 0; p < kProducers; ++p) {
        EXPECT_EQ(wait_child(children[p]), 0);
    }
    for (int c = 0; c < kConsumers; ++c) {
        queue.put(py::None());  // one "stop" per consumer
    }
    for (int c = 0; c < kConsumers; ++c) {
        EXPECT_EQ(wait_child(children[kProducers + c]), 0);
    }
    const std::vector<int> counts = seen.slice();
    EXPECT_EQ(std::count(counts.begin(), counts.end(), 1), kProducers * kEach)
        << "every message taken exactly once: none lost, none duplicated (§6)";
}

TEST(Sharing, Step38_ACorruptedPickleIsTheReadersErrorOnly) {
    Queue queue;
    // Take a place with a real put, swap its message for garbage on the wire (CPython's
    // q._reader and q._writer), as a broken writer would have sent it.
    queue.put(I(0));
    (void)queue.raw_reader().recv_bytes();
    queue.raw_writer().send_bytes(std::string("\x80\x04garbage", 9));
    EXPECT_THROW(queue.get(), py::UnpicklingError) << "the reader gets the unpickler's error (§6)";
    queue.put(I(5));
    EXPECT_EQ(R(queue.get()), "5") << "the locks were released: the queue is still usable";
}

TEST(Sharing, Step39_SimpleQueueHasNoFeederThread) {
    SimpleQueue queue;
    EXPECT_TRUE(queue.empty());
    queue.put(I(1));  // written at once, in the caller
    EXPECT_FALSE(queue.empty()) << "no feeder in between: the message is in the pipe already";
    const pid_t child = fork_child([&] {
        const auto got = queue.get();
        queue.put(py::Str::create("child saw " + R(got)));
    });
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(R(queue.get()), "'child saw 1'") << "(§6)";
    queue.close();
}

TEST(Sharing, Step40_JoinableQueueTaskDoneAndJoin) {
    JoinableQueue tasks;
    Value<'i'> processed(0);
    const pid_t worker = fork_child([&] {
        for (;;) {
            const auto task = tasks.get();
            if (py::is_none(task.get())) {
                tasks.task_done();
                return;
            }
            processed.set_value(processed.value() + 1);
            tasks.task_done();
        }
    });
    for (int i = 0; i < 5; ++i) {
        tasks.put(I(i));
    }
    tasks.join();  // until every put has its task_done (§6)
    EXPECT_EQ(processed.value(), 5) << "join() returned after the five tasks were done";
    tasks.put(py::None());
    tasks.join();
    EXPECT_EQ(wait_child(worker), 0);
    try {
        tasks.task_done();
        FAIL() << "one task_done() too many";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "task_done() called too many times");
    }

    // A JoinableQueue has places like a Queue (queue.Full), and its repr names its class.
    JoinableQueue one_place(1);
    one_place.put(I(1));
    EXPECT_THROW(one_place.put(I(2), false), py::queue::Full) << "put(block=False) on a full queue";
    try {
        one_place.join_thread();
        FAIL() << "join_thread() before close() is an AssertionError";
    } catch (const py::AssertionError& e) {
        EXPECT_THAT(e.what(),
                    testing::MatchesRegex("Queue <multiprocessing.queues.JoinableQueue object at "
                                          "0x[0-9a-f]+> not closed"));
    }
    EXPECT_EQ(R(one_place.get()), "1");
}

// CPython's programming guidelines, "Joining processes that use queues": a process that put
// items on a queue waits, before it terminates, until its feeder has flushed them into the pipe.
// Join it before the items are taken and both wait for ever.
TEST(Sharing, Step41_JoiningAProducerBeforeDrainingItsQueueDeadlocks) {
    const std::string big(1 << 20, 'x');  // far more than a pipe holds (64 KiB)
    {
        Queue queue;
        const pid_t child = fork_child([&] { queue.put(py::Bytes::create(big)); });
        EXPECT_EQ(sharing_test::wait_child_for(child, 0.3), std::nullopt)
            << "the child cannot exit: its feeder is stuck writing 1 MiB nobody reads (§6)";
        const auto item = queue.get();  // the fix: drain first ...
        EXPECT_EQ(static_cast<py::Bytes*>(item.get())->size(), 1 << 20);
        EXPECT_EQ(wait_child(child), 0) << "... then join";
    }
    {
        // cancel_join_thread(): the child exits at once, and what it buffered is lost.
        Queue queue;
        const pid_t child = fork_child([&] {
            queue.cancel_join_thread();
            queue.put(py::Bytes::create(big));
        });
        EXPECT_EQ(wait_child(child), 0) << "the child did not wait for its feeder";
    }
}

}  // namespace
