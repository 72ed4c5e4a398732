// Chapter 10, §3: multiprocessing.connection.wait() over connections, listeners and descriptors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "py/connection.hpp"
#include "py/exceptions.hpp"

namespace {

using py::multiprocessing::connection::Client;
using py::multiprocessing::connection::Connection;
using py::multiprocessing::connection::Listener;
using py::multiprocessing::connection::Pipe;
using py::multiprocessing::connection::wait;
using py::multiprocessing::connection::Waitable;
using Ready = std::vector<Waitable>;

TEST(Sharing, Step27_WaitReturnsWhatIsReadyInListOrder) {
    auto [a, b] = Pipe();
    auto [c, d] = Pipe();
    EXPECT_EQ(wait({&b, &d}, 0.0), Ready{}) << "nothing to read: an empty list at once (§3)";
    EXPECT_EQ(wait({&b, &d}, 0.01), Ready{}) << "nothing arrives: an empty list after the timeout";
    EXPECT_EQ(wait({&b, &d}, -1.0), Ready{}) << "a negative timeout does not wait";

    a.send_bytes("for b");
    EXPECT_EQ(wait({&b, &d}), Ready{&b}) << "only b has a message; wait(None) returns at once";
    c.send_bytes("for d");
    EXPECT_EQ(wait({&d, &b}, 1.0), (Ready{&d, &b})) << "both ready: in object_list's order";
    EXPECT_EQ(b.recv_bytes(), "for b") << "wait() reads nothing itself";
    EXPECT_EQ(wait({&b, &d}), Ready{&d});

    // A plain descriptor comes back as the same int; the end of a stream counts as readable.
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    EXPECT_EQ(wait({fds[0], &b}, 0.0), Ready{});
    ASSERT_EQ(::write(fds[1], "x", 1), 1);
    EXPECT_EQ(wait({fds[0], &b}, 0.0), Ready{fds[0]});
    ::close(fds[0]);
    ::close(fds[1]);
    a.close();
    EXPECT_EQ(wait({&b}, 0.0), Ready{&b}) << "the peer closed: recv_bytes() would raise EOFError";
    EXPECT_THROW(b.recv_bytes(), py::EOFError);

    // A Listener is ready when a client waits to be accepted.
    Listener listener;
    EXPECT_EQ(wait({&listener, &d}, 0.0), Ready{&d});
    (void)d.recv_bytes();
    Connection client = Client(listener.address());
    EXPECT_EQ(wait({&d, &listener}), Ready{&listener}) << "a connection to accept";
    Connection accepted = listener.accept();
    client.send_bytes("hello");
    EXPECT_EQ(wait({&listener, &accepted}), Ready{&accepted});
}

TEST(Sharing, Step28_WaitBlocksAndChecksItsObjectList) {
    auto [a, b] = Pipe();
    auto [c, d] = Pipe();
    // A thread asleep in wait(None): a signal (EINTR) does not end the wait; a message does.
    const sharing_test::Interrupter interrupter;
    std::atomic<pid_t> tid{0};
    Ready got;
    sharing_test::Background waiter(
        [&, &b = b, &d = d] {
            tid = sharing_test::thread_id();
            got = wait({&b, &d});
        },
        [fb = b.fileno()] { sharing_test::shut_down(fb); });
    while (tid.load() == 0) {
        std::this_thread::yield();
    }
    sharing_test::Interrupter::interrupt(tid);
    c.send_bytes("wake up");
    waiter.join();
    EXPECT_EQ(got, Ready{&d}) << "wait() polls again after EINTR and returns the ready one (§3)";

    // With a timeout, the same: interrupted, then the message within the time left.
    std::atomic<pid_t> tid2{0};
    Ready got2;
    sharing_test::Background waiter2(
        [&, &b = b] {
            tid2 = sharing_test::thread_id();
            got2 = wait({&b}, 30.0);
        },
        [fb = b.fileno()] { sharing_test::shut_down(fb); });
    while (tid2.load() == 0) {
        std::this_thread::yield();
    }
    sharing_test::Interrupter::interrupt(tid2);
    a.send_bytes("in time");
    waiter2.join();
    EXPECT_EQ(got2, Ready{&b});

    // selectors' register() errors, raised before anything is watched.
    try {
        (void)wait({&b, &d, &b}, 0.0);
        FAIL() << "a connection twice";
    } catch (const py::KeyError& e) {
        EXPECT_THAT(e.what(),
                    testing::MatchesRegex("'<multiprocessing.connection.Connection object at "
                                          "0x[0-9a-f]+> \\(FD [0-9]+\\) is already registered'"));
    }
    try {
        (void)wait({0, 0}, 0.0);
        FAIL() << "a descriptor twice";
    } catch (const py::KeyError& e) {
        EXPECT_STREQ(e.what(), "'0 (FD 0) is already registered'");
    }
    try {
        (void)wait({-1}, 0.0);
        FAIL() << "a negative descriptor";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "Invalid file descriptor: -1");
    }
    Listener twice;
    try {
        (void)wait({&twice, &twice}, 0.0);
        FAIL() << "a listener twice";
    } catch (const py::KeyError& e) {
        EXPECT_THAT(e.what(),
                    testing::MatchesRegex("'<multiprocessing.connection.Listener object at "
                                          "0x[0-9a-f]+> \\(FD [0-9]+\\) is already registered'"));
    }
    Listener closed_listener;
    closed_listener.close();
    EXPECT_THROW((void)wait({&closed_listener}, 0.0), py::ValueError) << "a closed Listener";
    a.close();
    try {
        (void)wait({&a}, 0.0);
        FAIL() << "a closed connection";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "handle is closed") << "conn.fileno() raises it";
    }
    // More descriptors than RLIMIT_NOFILE allows: poll(2) fails with EINVAL (in a child).
    const pid_t child = sharing_test::fork_child([] {
        rlimit saved{};
        ::getrlimit(RLIMIT_NOFILE, &saved);
        const rlimit two{2, saved.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &two);
        sharing_test::expect_in_child<py::OSError>(
            [] {
                (void)wait({0, 1, 2}, 0.0);
            },
            "[Errno 22] Invalid argument");
        ::setrlimit(RLIMIT_NOFILE, &saved);
    });
    EXPECT_EQ(sharing_test::wait_child(child), 0) << "poll's EINVAL is OSError (child's stderr)";
}

}  // namespace
