// Chapter 05, §1-§2: threading.Thread and the module functions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>

#include "py/threading.hpp"

namespace {

using py::threading::Thread;
using testing::HasSubstr;
using testing::MatchesRegex;
using testing::StartsWith;

// Counts a latch down when it goes out of scope, so a helper thread never leaves the test
// waiting when the code under test throws.
struct CountDownOnExit {
    std::latch& latch;
    ~CountDownOnExit() { latch.count_down(); }
};

TEST(Threads, Step01_StartRunsTheTargetAndJoinWaitsForIt) {
    std::atomic<int> calls{0};
    Thread thread([&] { ++calls; });
    EXPECT_FALSE(thread.is_alive()) << "a thread is alive only between start() and its end (§1)";
    thread.start();
    EXPECT_TRUE(thread.join()) << "join() without a timeout returns once the thread ended (§1)";
    EXPECT_EQ(calls.load(), 1) << "start() runs the target exactly once, in the new thread";
    EXPECT_FALSE(thread.is_alive()) << "after join() the thread is no longer alive";
}

TEST(Threads, Step02_TargetWithArgsLikeThreadArgs) {
    // t = threading.Thread(target=task, args=('xxx', )) from the seed.
    std::string seen;
    int number = 0;
    auto task = [&](const std::string& text, int n) {
        seen = text;
        number = n;
    };
    Thread thread(task, std::tuple<std::string, int>("xxx", 7));
    thread.start();
    thread.join();
    EXPECT_EQ(seen, "xxx") << "the args tuple is applied to the target (§1)";
    EXPECT_EQ(number, 7);
}

// The seed's custom thread class: run() is overridden and reads the thread's own arguments.
class SumThread : public Thread {
  public:
    SumThread(int from, int to) : from_(from), to_(to) {}
    ~SumThread() override {
        if (is_alive()) {
            join();
        }
    }
    SumThread(const SumThread&) = delete;
    SumThread& operator=(const SumThread&) = delete;
    void run() override {
        for (int i = from_; i < to_; ++i) {
            total += i;
        }
        name_inside = py::threading::current_thread().name();
    }
    long total = 0;
    std::string name_inside;

  private:
    int from_;
    int to_;
};

TEST(Threads, Step03_SubclassOverridesRun) {
    SumThread thread(0, 100);
    thread.start();
    thread.join();
    EXPECT_EQ(thread.total, 4950) << "start() calls the overridden run() in the new thread (§1)";
    EXPECT_EQ(thread.name_inside, thread.name())
        << "current_thread() inside run() is the Thread object itself (§2)";
}

TEST(Threads, Step04_NamesFollowCPython) {
    Thread first([] {}, {.target_name = "task"});
    Thread second([] {});
    EXPECT_THAT(first.name(), MatchesRegex("Thread-[0-9]+ \\(task\\)"))
        << "CPython 3.10+ names an unnamed thread 'Thread-N (target)' (§2)";
    EXPECT_THAT(second.name(), MatchesRegex("Thread-[0-9]+"));
    const int n1 = std::stoi(first.name().substr(7));
    const int n2 = std::stoi(second.name().substr(7));
    EXPECT_EQ(n2, n1 + 1) << "one counter numbers the threads in creation order";
    Thread named([] {}, {.name = "thread_one"});
    EXPECT_EQ(named.name(), "thread_one");
    named.set_name("renamed");
    EXPECT_EQ(named.name(), "renamed") << "t.name = ... before start() renames the thread";
    EXPECT_EQ(py::threading::main_thread().name(), "MainThread");
    EXPECT_EQ(&py::threading::current_thread(), &py::threading::main_thread())
        << "the test body runs on the main thread";
}

TEST(Threads, Step05_StartingTwiceIsAnError) {
    Thread thread([] {});
    thread.start();
    thread.join();
    try {
        thread.start();
        FAIL() << "a second start() must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "threads can only be started once") << "Lib/threading.py (§2)";
    }
}

TEST(Threads, Step06_JoinMisuseIsAnError) {
    Thread never_started([] {});
    try {
        never_started.join();
        FAIL() << "join() before start() must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "cannot join thread before it is started");
    }
    std::string message;
    Thread* self = nullptr;
    Thread joins_itself([&] {
        try {
            self->join();
        } catch (const py::RuntimeError& e) {
            message = e.what();
        }
    });
    self = &joins_itself;
    joins_itself.start();
    joins_itself.join();
    EXPECT_EQ(message, "cannot join current thread") << "a thread cannot wait for itself (§2)";
}

TEST(Threads, Step07_JoinWithATimeoutReturnsWhileTheThreadRuns) {
    std::latch gate(1);
    Thread thread([&] { gate.wait(); });
    thread.start();
    EXPECT_FALSE(thread.join(0.01)) << "the thread waits for the gate, so join(0.01) times out";
    EXPECT_TRUE(thread.is_alive()) << "a timed-out join leaves the thread running (§2)";
    EXPECT_THAT(thread.repr(), HasSubstr(", started "));
    EXPECT_FALSE(thread.join(-1.0)) << "a negative timeout is treated as 0";
    gate.count_down();
    EXPECT_TRUE(thread.join());
    EXPECT_FALSE(thread.is_alive());
}

TEST(Threads, Step08_IdentAndRepr) {
    Thread thread([] {}, {.name = "worker"});
    EXPECT_FALSE(thread.ident().has_value()) << "ident is None before start() (§2)";
    EXPECT_FALSE(thread.native_id().has_value());
    EXPECT_EQ(thread.repr(), "<Thread(worker, initial)>");
    py::threading::Ident inside = 0;
    long native_inside = 0;
    Thread probe([&] {
        inside = py::threading::get_ident();
        native_inside = py::threading::get_native_id();
    });
    probe.start();
    probe.join();
    ASSERT_TRUE(probe.ident().has_value());
    EXPECT_EQ(*probe.ident(), inside) << "ident is get_ident() of the running thread";
    EXPECT_EQ(*probe.native_id(), native_inside) << "native_id is the kernel's thread id";
    EXPECT_NE(inside, py::threading::get_ident()) << "each thread has its own ident";
    EXPECT_THAT(probe.repr(), MatchesRegex("<Thread\\(Thread-[0-9]+, stopped [0-9]+\\)>"));

    // start() returns only once the new thread runs (Thread.start waits on self._started), so
    // ident and native_id are there at once, while the thread is still busy.
    std::latch finish(1);
    long native_in_blocked = 0;
    std::latch native_known(1);
    Thread blocked([&] {
        native_in_blocked = py::threading::get_native_id();
        native_known.count_down();
        finish.wait();
    });
    blocked.start();
    const auto ident_at_start = blocked.ident();
    const auto native_at_start = blocked.native_id();
    EXPECT_TRUE(ident_at_start.has_value()) << "ident is set when start() returns";
    EXPECT_TRUE(native_at_start.has_value()) << "native_id is set when start() returns";
    EXPECT_THAT(blocked.repr(), MatchesRegex("<Thread\\(Thread-[0-9]+, started [0-9]+\\)>"));
    native_known.wait();
    EXPECT_EQ(native_at_start.value_or(0), native_in_blocked);
    finish.count_down();
    blocked.join();
}

TEST(Threads, Step09_DaemonIsSetBeforeStart) {
    EXPECT_FALSE(py::threading::main_thread().daemon()) << "the main thread is not a daemon";
    Thread inherits([] {});
    EXPECT_FALSE(inherits.daemon()) << "daemon defaults to the creating thread's flag (§2)";
    std::latch gate(1);
    bool child_daemon = false;
    Thread daemon([&] {
        CountDownOnExit done{gate};
        Thread child([] {});
        child_daemon = child.daemon();
    });
    daemon.set_daemon(true);
    EXPECT_TRUE(daemon.daemon());
    EXPECT_THAT(daemon.repr(), MatchesRegex("<Thread\\(Thread-[0-9]+, initial daemon\\)>"))
        << "the repr says daemon before start too";
    daemon.start();
    try {
        daemon.set_daemon(false);
        ADD_FAILURE() << "setting daemon on a started thread must raise RuntimeError";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "cannot set daemon status of active thread");
    }
    gate.wait();
    daemon.join();
    EXPECT_TRUE(child_daemon) << "a thread created by a daemon thread is a daemon too";
    EXPECT_THAT(daemon.repr(), MatchesRegex("<Thread\\(Thread-[0-9]+, stopped daemon [0-9]+\\)>"))
        << "threading.py's order: status, daemon, then the ident";
}

TEST(Threads, Step10_EnumerateAndActiveCount) {
    const std::size_t before = py::threading::active_count();
    std::latch gate(1);
    Thread thread([&] { gate.wait(); });
    thread.start();
    auto threads = py::threading::enumerate();
    EXPECT_EQ(py::threading::active_count(), before + 1) << "a started thread is active (§2)";
    EXPECT_EQ(threads.size(), before + 1);
    EXPECT_THAT(threads, testing::Contains(&thread));
    EXPECT_THAT(threads, testing::Contains(&py::threading::main_thread()));
    gate.count_down();
    thread.join();
    EXPECT_EQ(py::threading::active_count(), before) << "a finished thread leaves enumerate()";

    // A thread the threading module did not start gets a dummy Thread object.
    std::string dummy_name;
    bool dummy_daemon = false;
    bool listed = false;
    std::thread foreign([&] {
        Thread& me = py::threading::current_thread();
        dummy_name = me.name();
        dummy_daemon = me.daemon();
        listed = testing::Value(py::threading::enumerate(), testing::Contains(&me));
    });
    foreign.join();
    EXPECT_THAT(dummy_name, MatchesRegex("Dummy-[0-9]+")) << "threading._DummyThread";
    EXPECT_TRUE(dummy_daemon) << "dummy threads are daemonic";
    EXPECT_TRUE(listed) << "a dummy thread is listed while it lives";
    EXPECT_EQ(py::threading::active_count(), before) << "and forgotten when its OS thread ends";
}

TEST(Threads, Step11_ShutdownJoinsNonDaemonThreadsOnly) {
    std::latch release_daemon(1);
    Thread daemon([&] { release_daemon.wait(); });
    daemon.set_daemon(true);
    daemon.start();
    std::atomic<long> work{0};
    Thread worker([&] {
        for (int i = 0; i < 100000; ++i) {
            work.fetch_add(1, std::memory_order_relaxed);
        }
    });
    worker.start();
    std::size_t joined = 0;
    try {
        joined = py::threading::shutdown();
    } catch (...) {
        release_daemon.count_down();
        throw;
    }
    EXPECT_FALSE(worker.is_alive()) << "shutdown() waits for every non-daemon thread (§2)";
    EXPECT_EQ(work.load(), 100000);
    EXPECT_TRUE(daemon.is_alive()) << "shutdown() leaves daemon threads running";
    EXPECT_LE(joined, 1U);
    release_daemon.count_down();
    daemon.join();
}

TEST(Threads, Step12_AnExceptionInRunGoesToExcepthook) {
    std::string type;
    std::string message;
    std::string thread_name;
    auto previous = py::threading::set_excepthook([&](const py::threading::ExceptHookArgs& args) {
        type = args.exc_type;
        message = args.message;
        thread_name = args.thread->name();
    });
    Thread thread([] { throw py::ValueError("boom"); }, {.name = "failing"});
    thread.start();
    thread.join();
    py::threading::set_excepthook(previous);
    EXPECT_EQ(type, "ValueError") << "threading.excepthook gets the exception's Python type";
    EXPECT_EQ(message, "boom");
    EXPECT_EQ(thread_name, "failing");
    EXPECT_FALSE(thread.is_alive()) << "the thread ends normally after the hook ran";

    Thread plain([] { throw std::runtime_error("plain"); });
    testing::internal::CaptureStderr();
    plain.start();
    plain.join();
    const std::string printed = testing::internal::GetCapturedStderr();
    EXPECT_THAT(printed, StartsWith("Exception in thread " + plain.name() + ":\n"))
        << "the default hook prints like CPython's";
    EXPECT_THAT(printed, HasSubstr("plain"));

    std::string odd;
    py::threading::set_excepthook(
        [&](const py::threading::ExceptHookArgs& args) { odd = args.message; });
    Thread throws_int([] { throw 42; });
    throws_int.start();
    throws_int.join();
    py::threading::set_excepthook(nullptr);
    EXPECT_EQ(odd, "unknown exception") << "what is not a std::exception is still reported";
}

}  // namespace
