// Chapter 10, §5: Value and Array in shared memory, each with a process-shared RLock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <vector>

#include "helpers.hpp"
#include "py/connection.hpp"
#include "py/exceptions.hpp"
#include "py/sharedctypes.hpp"

namespace {

using py::multiprocessing::Array;
using py::multiprocessing::Pipe;
using py::multiprocessing::RawArray;
using py::multiprocessing::RawValue;
using py::multiprocessing::Value;
using sharing_test::fork_child;
using sharing_test::wait_child;

TEST(Sharing, Step29_ValueAndArrayLiveInSharedMemory) {
    // The seed's case 1: num = Value('i', 666); v1 = Value('c', b' '); v2 = Value('u', ' ').
    Value<'i'> num(666);
    Value<'c'> v1(' ');
    Value<'u'> v2(L' ');
    EXPECT_EQ(num.value(), 666);
    const pid_t child = fork_child([&] {
        num.set_value(888);
        v1.set_value('a');
        v2.set_value(L'武');
    });
    ASSERT_EQ(wait_child(child), 0);
    EXPECT_EQ(num.value(), 888) << "the child's write is seen by the parent: shared pages (§5)";
    EXPECT_EQ(v1.value(), 'a');
    EXPECT_EQ(v2.value(), L'武');

    // The seed's case 2: arr = Array('i', [11, 22, 33, 44]); the child sets arr[0] = 666.
    Array<'i'> arr{11, 22, 33, 44};
    ASSERT_EQ(wait_child(fork_child([&] { arr.set(0, 666); })), 0);
    EXPECT_EQ(arr.slice(), (std::vector<int>{666, 22, 33, 44})) << "print(arr[:])";
    EXPECT_EQ(arr[-1], 44) << "negative indices count from the end";
    EXPECT_THROW((void)arr[4], py::IndexError) << "ctypes: IndexError('invalid index')";
    // _test_multiprocessing's test_array: arr[start:stop] with Python's slice bounds, and a slice
    // written by a child (arr[4:8] = [1, 2, 3, 4]) is seen by the parent.
    Array<'i'> seq{680, 626, 934, 821, 150, 233, 548, 982, 714, 831};
    EXPECT_EQ(seq.slice(2, 7), (std::vector<int>{934, 821, 150, 233, 548})) << "arr[2:7]";
    EXPECT_EQ(seq.slice(-2, std::nullopt), (std::vector<int>{714, 831})) << "arr[-2:]";
    EXPECT_EQ(seq.slice(8, 100), (std::vector<int>{714, 831})) << "arr[8:100] is clamped";
    EXPECT_TRUE(seq.slice(7, 3).empty()) << "arr[7:3] is empty";
    seq.set_slice(5, 5, {});  // arr[5:5] = []: nothing changes
    ASSERT_EQ(wait_child(fork_child([&] { seq.set_slice(4, 8, {1, 2, 3, 4}); })), 0);
    EXPECT_EQ(seq.slice(3, 9), (std::vector<int>{821, 1, 2, 3, 4, 714}));
    try {
        seq.set_slice(0, 2, {1});
        FAIL() << "a ctypes array cannot change its length";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "Can only assign sequence of same size");
    }
    Array<'d'> zeros(3);
    EXPECT_EQ(zeros.slice(), (std::vector<double>{0.0, 0.0, 0.0})) << "Array('d', 3) is zeroed";
    RawValue<'q'> raw(1LL << 40);
    ASSERT_EQ(wait_child(fork_child([&] { raw.set_value(raw.value() * 2); })), 0);
    EXPECT_EQ(raw.value(), 1LL << 41) << "RawValue (lock=False) is shared as well";

    // Memory the kernel will not map is OSError (our anonymous mapping says ENOMEM; CPython's
    // heap of files says EFBIG when it cannot make a file that big).
    try {
        RawArray<'b'> huge(std::size_t{1} << 62);
        FAIL() << "2**62 bytes cannot be mapped";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "[Errno 12] Cannot allocate memory") << "mmap's errno (§5)";
    }
}

TEST(Sharing, Step30_EachValueHasItsOwnProcessSharedRLock) {
    Value<'i'> counter(0);
    auto& lock = counter.get_lock();
    ASSERT_TRUE(lock.acquire());
    ASSERT_TRUE(lock.acquire()) << "an RLock: the owner may take it again (§5)";
    EXPECT_EQ(counter.value(), 0)
        << "value() under the lock the caller holds: reentrant, no deadlock";
    auto [parent_end, child_end] = Pipe();
    const pid_t child = fork_child([&, &child_end = child_end] {
        const bool got = counter.get_lock().acquire(false);
        child_end.send_bytes(got ? "took it" : "busy");
        // Wait for the parent's go, then read through the lock: the read must wait for the
        // parent's release, and so see the parent's last raw write.
        (void)child_end.recv_bytes();
        child_end.send_bytes(std::to_string(counter.value()));
    });
    EXPECT_EQ(parent_end.recv_bytes(), "busy") << "another process cannot take a held lock";
    parent_end.send_bytes("go");
    *counter.get_obj() = 41;  // raw access, no lock: the parent holds it anyway
    *counter.get_obj() += 1;
    lock.release();
    lock.release();
    EXPECT_EQ(parent_end.recv_bytes(), "42") << "value() waited for the lock (§5)";
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_THROW(lock.release(), py::AssertionError) << "releasing a lock one does not hold";

    Value<'d'> other(0.0);
    EXPECT_NE(&other.get_lock(), &counter.get_lock()) << "each Value has a lock of its own";
    RawValue<'i'> raw(0);
    // Python's hasattr(RawValue('i', 0), 'get_lock') is False: the raw kind is a bare ctypes
    // object, and the message names its ctypes class.
    try {
        (void)raw.get_lock();
        FAIL() << "a raw value has no lock";
    } catch (const py::AttributeError& e) {
        EXPECT_STREQ(e.what(), "'c_int' object has no attribute 'get_lock'");
    }
    RawArray<'i'> raw_array(2);
    try {
        (void)raw_array.get_lock();
        FAIL() << "a raw array has no lock";
    } catch (const py::AttributeError& e) {
        EXPECT_STREQ(e.what(), "'c_int_Array_2' object has no attribute 'get_lock'");
    }
    RawValue<'q'> raw_long(0);
    EXPECT_THROW((void)raw_long.get_lock(), py::AttributeError) << "'c_long' on 64-bit Linux";
}

// Two processes each add 1 once, in the one interleaving that loses an update: both read 0
// before either writes. The pipe hand-offs force it every time.
TEST(Sharing, Step31_PlusEqualsLosesAnUpdate) {
    Value<'i'> v(0);
    auto [parent_end, child_end] = Pipe();
    const pid_t child = fork_child([&, &child_end = child_end] {
        const int seen = v.value();  // v.value += 1 is: read ...
        child_end.send_bytes("read");
        (void)child_end.recv_bytes();
        v.set_value(seen + 1);  // ... then write, each under the lock, but not together
    });
    EXPECT_EQ(parent_end.recv_bytes(), "read");
    v.set_value(v.value() + 1);  // the parent's whole increment happens in between
    parent_end.send_bytes("go");
    ASSERT_EQ(wait_child(child), 0);
    EXPECT_EQ(v.value(), 1) << "two increments, one lost: v.value += 1 is not atomic (§5)";
}

TEST(Sharing, Step32_TheLockAroundTheIncrementFixesIt) {
    Value<'i'> v(0);
    {
        // The same hand-off, but each increment holds get_lock(): the parent's increment must
        // wait until the child's is complete.
        auto [parent_end, child_end] = Pipe();
        const pid_t child = fork_child([&, &child_end = child_end] {
            const std::lock_guard guard(v.get_lock());
            const int seen = v.value();
            child_end.send_bytes("read");
            (void)child_end.recv_bytes();
            v.set_value(seen + 1);
        });
        EXPECT_EQ(parent_end.recv_bytes(), "read");
        parent_end.send_bytes("go");
        {
            const std::lock_guard guard(v.get_lock());
            v.set_value(v.value() + 1);
        }
        ASSERT_EQ(wait_child(child), 0);
        EXPECT_EQ(v.value(), 2) << "with the lock held across read and write nothing is lost";
    }
    // And in bulk: two processes, 20000 locked increments each.
    constexpr int kEach = 20000;
    v.set_value(0);
    auto increment = [&] {
        for (int i = 0; i < kEach; ++i) {
            const std::lock_guard guard(v.get_lock());
            v.set_value(v.value() + 1);
        }
    };
    const pid_t first = fork_child(increment);
    const pid_t second = fork_child(increment);
    EXPECT_EQ(wait_child(first), 0);
    EXPECT_EQ(wait_child(second), 0);
    EXPECT_EQ(v.value(), 2 * kEach) << "no update lost (§5)";
}

}  // namespace
