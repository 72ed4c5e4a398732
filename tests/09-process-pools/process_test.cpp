// Chapter 09, §4: Process with the fork start method, and the seed's fork experiments
// (§二.3.1 "fork案例" and §二.3.2 "进程案例"). Children report through pipes; parents release
// waiting children through pipes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <latch>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "pipes.hpp"
#include "py/containers.hpp"
#include "py/multiprocessing.hpp"
#include "py/scalars.hpp"

namespace {

namespace mp = py::multiprocessing;
using testing_pipes::Pipe;

TEST(ProcessPools, Step11_ForkRunsTheTargetInAChild) {
    Pipe report;
    mp::Process child([&] { report.send(std::to_string(::getpid()) + "\n"); });
    child.start();
    const std::string reported_pid = report.receive_line();
    child.join();
    ASSERT_TRUE(child.pid().has_value());
    EXPECT_EQ(reported_pid, std::to_string(*child.pid())) << "the target runs in the child";
    EXPECT_NE(*child.pid(), ::getpid());
    EXPECT_EQ(child.exitcode(), 0);

    // Seed case 1: the child changes its copy of the list; the parent's stays empty.
    auto name = py::List::create();
    mp::Process appender([&] {
        name->append(py::Int::create(123).get());
        report.send(py::repr(name.get()) + "\n");
    });
    appender.start();
    EXPECT_EQ(report.receive_line(), "[123]");
    appender.join();
    EXPECT_EQ(py::repr(name.get()), "[]") << "a child's changes stay in the child";

    // Seed case 2: the child sees what the parent had before start().
    name->append(py::Int::create(123).get());
    mp::Process reader([&] { report.send(py::repr(name.get()) + "\n"); });
    reader.start();
    EXPECT_EQ(report.receive_line(), "[123]");
    reader.join();

    // Seed case 3: what the parent changes after start() does not reach the child.
    Pipe go;
    auto late = py::List::create();
    mp::Process waiter([&] {
        (void)go.receive_line();  // wait until the parent has appended
        report.send(py::repr(late.get()) + "\n");
    });
    waiter.start();
    late->append(py::Int::create(123).get());
    go.send("appended\n");
    EXPECT_EQ(report.receive_line(), "[]");
    waiter.join();
    EXPECT_EQ(waiter.exitcode(), 0);
}

// Runs `child` with its stderr going to a pipe; returns what it wrote there.
std::string stderr_of(mp::Process& child) {
    Pipe err;
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(err.write_fd(), STDERR_FILENO);
    child.start();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    err.close_write();
    child.join();
    return err.receive_all();
}

TEST(ProcessPools, Step12_ExitcodeSaysHowTheChildEnded) {
    mp::Process exits_3([] { mp::sys_exit(3); });
    exits_3.start();
    exits_3.join();
    EXPECT_EQ(exits_3.exitcode(), 3) << "sys_exit(3) is exit code 3";

    mp::Process throws([] { throw py::ValueError("boom"); });
    const std::string printed = stderr_of(throws);
    EXPECT_EQ(throws.exitcode(), 1) << "an exception in the target is exit code 1";
    EXPECT_THAT(printed, testing::StartsWith("Process " + throws.name() +
                                             ":\nTraceback (most recent call last):\n"));
    EXPECT_THAT(printed, testing::EndsWith("\nValueError: boom\n"));

    mp::Process throws_cpp([] { throw std::runtime_error("not a py:: exception"); });
    EXPECT_THAT(stderr_of(throws_cpp), testing::EndsWith("\nException: not a py:: exception\n"));
    EXPECT_EQ(throws_cpp.exitcode(), 1);

    mp::Process segfaults([] {
        std::signal(SIGSEGV, SIG_DFL);  // past any sanitizer's handler
        std::raise(SIGSEGV);
    });
    segfaults.start();
    segfaults.join();
    EXPECT_EQ(segfaults.exitcode(), -SIGSEGV) << "a signal is a negative exit code";
    EXPECT_THAT(segfaults.repr(), testing::EndsWith(" stopped exitcode=SIGSEGV>"));
    EXPECT_THAT(throws.repr(), testing::EndsWith(" stopped exitcode=1>"));

    // repr names any signal, as _exitcode_to_name does with signal.Signals.
    mp::Process user_signal([] {
        std::signal(SIGUSR1, SIG_DFL);
        std::raise(SIGUSR1);
    });
    user_signal.start();
    user_signal.join();
    EXPECT_EQ(user_signal.exitcode(), -SIGUSR1);
    EXPECT_THAT(user_signal.repr(), testing::EndsWith(" stopped exitcode=SIGUSR1>"));

    Pipe never;
    mp::Process blocked([&] { (void)never.receive_line(); });
    blocked.start();
    EXPECT_EQ(blocked.exitcode(), std::nullopt) << "still running";
    blocked.kill();
    blocked.join();
    EXPECT_EQ(blocked.exitcode(), -SIGKILL);
    blocked.kill();  // already reaped: nothing happens

    mp::Process terminated([&] { (void)never.receive_line(); });
    terminated.start();
    terminated.terminate();
    terminated.join();
    EXPECT_EQ(terminated.exitcode(), -SIGTERM);
    EXPECT_THAT(terminated.repr(), testing::EndsWith(" stopped exitcode=SIGTERM>"));
}

TEST(ProcessPools, Step13_JoinWithATimeoutAndIsAlive) {
    Pipe go;
    mp::Process child([&] { (void)go.receive_line(); });
    EXPECT_FALSE(child.is_alive()) << "not started yet";
    try {
        child.join();
        ADD_FAILURE() << "join before start did not throw";
    } catch (const py::AssertionError& error) {
        EXPECT_STREQ(error.what(), "can only join a started process");
    }
    child.start();
    EXPECT_TRUE(child.is_alive());
    child.join(0.05);  // returns although the child still waits
    EXPECT_TRUE(child.is_alive());
    EXPECT_EQ(child.exitcode(), std::nullopt);
    child.join(0.0);
    EXPECT_TRUE(child.is_alive());
    go.send("go\n");
    child.join(30.0);  // returns as soon as the child ends
    EXPECT_FALSE(child.is_alive());
    EXPECT_EQ(child.exitcode(), 0);
    child.join();  // joining again is fine
}

TEST(ProcessPools, Step14_NamesDaemonAndCurrentProcess) {
    EXPECT_EQ(mp::current_process().name(), "MainProcess");
    EXPECT_EQ(mp::current_process().pid(), ::getpid());
    EXPECT_TRUE(mp::current_process().is_alive());
    EXPECT_EQ(mp::parent_process(), nullptr) << "the main process has no parent process";
    EXPECT_EQ(mp::cpu_count(), ::sysconf(_SC_NPROCESSORS_ONLN));

    mp::Process first([] {});
    mp::Process second([] {});
    std::smatch match;
    ASSERT_TRUE(std::regex_match(first.name(), match, std::regex("Process-([0-9]+)")))
        << first.name();
    EXPECT_EQ(second.name(), "Process-" + std::to_string(std::stoi(match[1]) + 1));
    EXPECT_EQ(mp::current_process().repr(),
              "<_MainProcess name='MainProcess' parent=None started>");
    mp::Process unstarted([] {}, {.daemon = true, .start_method = "bogus"});
    EXPECT_THAT(unstarted.repr(), testing::EndsWith(" initial daemon>"));
    EXPECT_THROW((void)unstarted.sentinel(), py::ValueError);
    try {
        unstarted.start();
        ADD_FAILURE() << "an unknown start method did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "cannot find context for 'bogus'");
    }
    mp::Process named([] {}, {.name = "进程1"});
    EXPECT_EQ(named.name(), "进程1");
    EXPECT_EQ(named.repr(),
              "<Process name='进程1' parent=" + std::to_string(::getpid()) + " initial>");

    // Inside the child: current_process() is the child, parent_process() the main process, and
    // a grandchild continues the child's numbering.
    Pipe report;
    mp::Process child([&] {
        mp::Process grandchild([] {});
        report.send(mp::current_process().name() + "\n" + mp::parent_process()->name() + "\n" +
                    std::to_string(*mp::parent_process()->pid()) + "\n" + grandchild.name() + "\n" +
                    (mp::parent_process()->is_alive() ? "parent alive" : "?") + "\n");
    });
    child.start();
    EXPECT_EQ(report.receive_line(), child.name());
    EXPECT_EQ(report.receive_line(), "MainProcess");
    EXPECT_EQ(report.receive_line(), std::to_string(::getpid()));
    EXPECT_EQ(report.receive_line(), child.name() + ":1");
    EXPECT_EQ(report.receive_line(), "parent alive");
    child.join();

    // daemon: set before start; a daemon may not have children.
    mp::Process daemon([&] {
        mp::Process not_allowed([] {});
        try {
            not_allowed.start();
            report.send("started\n");
        } catch (const py::AssertionError& error) {
            report.send(std::string(error.what()) + "\n");
        }
    });
    EXPECT_FALSE(daemon.daemon());
    daemon.set_daemon(true);
    daemon.start();
    EXPECT_EQ(report.receive_line(), "daemonic processes are not allowed to have children");
    daemon.join();
    EXPECT_THROW(daemon.set_daemon(false), py::AssertionError);
    try {
        daemon.start();
        ADD_FAILURE() << "a second start did not throw";
    } catch (const py::AssertionError& error) {
        EXPECT_STREQ(error.what(), "cannot start a process twice");
    }

    // close(): refused while running, then the object is unusable.
    Pipe go;
    mp::Process running([&] { (void)go.receive_line(); });
    running.start();
    EXPECT_THROW(running.close(), py::ValueError);
    go.send("go\n");
    running.join();
    running.close();
    try {
        (void)running.pid();
        ADD_FAILURE() << "pid() after close() did not throw";
    } catch (const py::ValueError& error) {
        EXPECT_STREQ(error.what(), "process object is closed");
    }
}

TEST(ProcessPools, Step15_ActiveChildrenAndNoZombies) {
    Pipe go;
    std::vector<std::unique_ptr<mp::Process>> children;
    for (int i = 0; i < 3; ++i) {
        children.push_back(std::make_unique<mp::Process>([&] { (void)go.receive_line(); }));
        children.back()->start();
    }
    EXPECT_EQ(mp::active_children().size(), 3U);
    go.send("a\nb\nc\n");
    // Wait for each child's end without reaping it (WNOWAIT leaves the zombie in place; the
    // sentinel alone would not do: it reads EOF a moment before the child becomes a zombie).
    // Reaping is then active_children()'s job.
    for (auto& child : children) {
        char byte = 0;
        EXPECT_EQ(::read(child->sentinel(), &byte, 1), 0) << "EOF once the child is gone";
        siginfo_t info{};
        ::waitid(P_PID, static_cast<id_t>(*child->pid()), &info, WEXITED | WNOWAIT);
    }
    EXPECT_EQ(testing_pipes::zombie_children().size(), 3U);
    EXPECT_TRUE(mp::active_children().empty());
    EXPECT_THAT(testing_pipes::zombie_children(), testing::IsEmpty());
    for (auto& child : children) {
        EXPECT_EQ(child->exitcode(), 0);
    }
    children.clear();

    // A Process destroyed while its child runs waits for it: no zombie, no orphan.
    {
        Pipe release;
        mp::Process unjoined([&] { (void)release.receive_line(); });
        unjoined.start();
        release.send("done\n");
    }
    {
        Pipe forever;
        mp::Process daemon([&] { (void)forever.receive_line(); }, {.daemon = true});
        daemon.start();  // destroyed while running: a daemon is terminated, then reaped
    }
    EXPECT_THAT(testing_pipes::zombie_children(), testing::IsEmpty());
    EXPECT_TRUE(mp::active_children().empty());
}

TEST(ProcessPools, Step16_UnflushedStdioIsWrittenTwice) {
    // Seed §二.3.2 case 1: the parent's unflushed buffer is copied into the child, which
    // flushes it with its own line; the parent flushes its copy later: the first line twice.
    char path[] = "/tmp/workbook_x1_XXXXXX";
    ::close(::mkstemp(path));
    {
        FILE* file = std::fopen(path, "a+");
        std::fputs("武沛齐\n", file);
        mp::Process child([&] {
            std::fputs("alex\n", file);
            std::fflush(file);
        });
        child.start();
        child.join();
        std::fclose(file);
        EXPECT_EQ(testing_pipes::read_file(path), "武沛齐\nalex\n武沛齐\n");
    }
    // Case 2: flush before start, and the line is written once.
    std::fclose(std::fopen(path, "w"));
    {
        FILE* file = std::fopen(path, "a+");
        std::fputs("武沛齐\n", file);
        std::fflush(file);
        mp::Process child([&] {
            std::fputs("alex\n", file);
            std::fflush(file);
        });
        child.start();
        child.join();
        std::fclose(file);
        EXPECT_EQ(testing_pipes::read_file(path), "武沛齐\nalex\n");
    }
    // stdout is different: start() flushes it first (util._flush_std_streams), so a line the
    // parent printed is not printed again by the child. Shown in a child whose stdout is a file.
    std::fclose(std::fopen(path, "w"));
    mp::Process runner([&] {
        FILE* out = std::freopen(path, "w", stdout);
        std::setvbuf(out, nullptr, _IOFBF, 4096);
        std::printf("parent line\n");
        mp::Process child([] { std::printf("child line\n"); });
        child.start();
        child.join();
    });
    runner.start();
    runner.join();
    EXPECT_EQ(runner.exitcode(), 0);
    EXPECT_EQ(testing_pipes::read_file(path), "parent line\nchild line\n");
    std::remove(path);
}

// Hooks are process-wide and permanent: this flag limits them to the test that wants them.
std::atomic<bool> guard_the_lock_at_fork{false};
std::mutex guarded;
Pipe* about_to_fork = nullptr;

// Joins a helper thread however the test ends (a failed start() included): first it tells the
// thread to go on through its pipe.
class JoinOnExit {
  public:
    JoinOnExit(std::thread& thread, Pipe& go) : thread_(thread), go_(go) {}
    ~JoinOnExit() {
        go_.send("go\n");
        thread_.join();
    }
    JoinOnExit(const JoinOnExit&) = delete;
    JoinOnExit& operator=(const JoinOnExit&) = delete;

  private:
    std::thread& thread_;
    Pipe& go_;
};

TEST(ProcessPools, Step17_ALockHeldAtForkStaysHeldInTheChild) {
    Pipe report;
    // Seed §二.3.2 case 3, shown: another thread holds the lock while this one forks. The child
    // has a copy of the locked lock and no copy of the thread that would release it.
    std::mutex lock;
    mp::Process child([&] { report.send(lock.try_lock() ? "acquired\n" : "held forever\n"); });
    Pipe release;
    std::latch held(1);
    std::thread holder([&] {
        std::lock_guard guard(lock);
        held.count_down();
        (void)release.receive_line();
    });
    {
        JoinOnExit join_holder(holder, release);
        held.wait();
        child.start();
        EXPECT_EQ(report.receive_line(), "held forever");
        child.join();
    }

    // Avoided: os.register_at_fork takes the lock before fork and releases it after, on both
    // sides (what CPython does for its import lock and logging's locks).
    static bool registered = false;
    if (!registered) {
        registered = true;
        mp::register_at_fork(
            [] {
                if (guard_the_lock_at_fork) {
                    about_to_fork->send("forking\n");
                    guarded.lock();
                }
            },
            [] {
                if (guard_the_lock_at_fork) {
                    guarded.unlock();
                }
            },
            [] {
                if (guard_the_lock_at_fork) {
                    guarded.unlock();
                }
            });
    }
    mp::Process safe_child(
        [&] { report.send(guarded.try_lock() ? "acquired\n" : "held forever\n"); });
    Pipe forking;
    about_to_fork = &forking;
    std::latch held_again(1);
    std::thread second_holder([&] {
        guarded.lock();
        held_again.count_down();
        (void)forking.receive_line();  // the fork waits for the lock instead of copying it held
        guarded.unlock();
    });
    {
        JoinOnExit join_second(second_holder, forking);
        held_again.wait();
        guard_the_lock_at_fork = true;
        struct Unguard {
            ~Unguard() { guard_the_lock_at_fork = false; }
        } unguard;
        safe_child.start();
        EXPECT_EQ(report.receive_line(), "acquired");
        safe_child.join();
    }
}

}  // namespace
