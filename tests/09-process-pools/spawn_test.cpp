// Chapter 09, §7: the spawn and forkserver start methods, and the seed's spawn examples
// (§二.3.1 "spawn案例": a spawned child does not see the parent's data; what it needs comes as
// arguments).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pipes.hpp"
#include "py/multiprocessing.hpp"
#include "python.hpp"

namespace {

namespace mp = py::multiprocessing;

// The seed's `name = []`: filled by the parent before it starts its children.
std::vector<int> seed_name;

// Writes "name|parent name|parent pid|OS parent pid|len(seed_name)|extra" to `fd`.
py::Ref<py::Object> write_report(int fd, const std::string& extra) {
    const std::string line = mp::current_process().name() + "|" + mp::parent_process()->name() +
                             "|" + std::to_string(*mp::parent_process()->pid()) + "|" +
                             std::to_string(::getppid()) + "|" + std::to_string(seed_name.size()) +
                             "|" + extra + "\n";
    (void)!::write(fd, line.data(), line.size());
    return mp::to_object(nullptr);
}
// The report to the fd args[0] (a descriptor the child has under the parent's number).
const mp::Function report("tests.spawn.report", [](py::Tuple& args) {
    return write_report(mp::from_object<int>(args.item(0)),
                        mp::from_object<std::string>(args.item(1)));
});
// The report to the parent's pass_fds[0], whatever number it has here.
const mp::Function report_to_passed_fd("tests.spawn.report_to_passed_fd", [](py::Tuple& args) {
    return write_report(mp::inherited_fd(0), mp::from_object<std::string>(args.item(0)));
});
const mp::Function exit_with("tests.spawn.exit_with", [](py::Tuple& args) -> py::Ref<py::Object> {
    mp::sys_exit(mp::from_object<int>(args.item(0)));
});
// Blocks reading the fd args[0] (holding whatever other descriptors it inherited).
const mp::Function block("tests.spawn.block", [](py::Tuple& args) {
    char byte = 0;
    (void)!::read(mp::from_object<int>(args.item(0)), &byte, 1);
    return mp::to_object(nullptr);
});

// Blocks until a signal ends it. A forkserver child has none of our descriptors (the server was
// forked before they existed), so `block` would read a closed or foreign fd and return at once.
const mp::Function block_until_killed("tests.spawn.block_until_killed", [](py::Tuple& /*args*/) {
    for (;;) {
        ::pause();
    }
    return mp::to_object(nullptr);
});

// A pipe whose ends survive exec (spawned programs inherit them), unlike testing_pipes::Pipe.
struct InheritablePipe {
    int fds[2] = {-1, -1};
    InheritablePipe() { (void)!::pipe(fds); }
    ~InheritablePipe() {
        close_write();
        if (fds[0] >= 0) {
            ::close(fds[0]);
        }
    }
    InheritablePipe(const InheritablePipe&) = delete;
    InheritablePipe& operator=(const InheritablePipe&) = delete;
    void close_write() {
        if (fds[1] >= 0) {
            ::close(fds[1]);
            fds[1] = -1;
        }
    }
    [[nodiscard]] std::string line() const {
        std::string out;
        char c = 0;
        while (::read(fds[0], &c, 1) == 1 && c != '\n') {
            out += c;
        }
        return out;
    }
};

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t bar = text.find('|', start);
        parts.push_back(text.substr(start, bar - start));
        if (bar == std::string::npos) {
            return parts;
        }
        start = bar + 1;
    }
}

TEST(ProcessPools, Step28_SpawnRunsARegisteredFunctionInAFreshProgram) {
    seed_name = {123};
    InheritablePipe pipe;
    mp::Process spawned(report, mp::make_args(pipe.fds[1], "passed as an argument"),
                        {.start_method = "spawn"});
    spawned.start();
    const auto fields = split(pipe.line());
    spawned.join();
    EXPECT_EQ(spawned.exitcode(), 0);
    ASSERT_EQ(fields.size(), 6U);
    EXPECT_EQ(fields[0], spawned.name()) << "the new program became this Process";
    EXPECT_EQ(fields[1], "MainProcess");
    EXPECT_EQ(fields[2], std::to_string(::getpid()));
    EXPECT_EQ(fields[3], std::to_string(::getpid()));
    EXPECT_EQ(fields[4], "0") << "a spawned child starts from a fresh program: the parent's "
                                 "changes to its data are not there";
    EXPECT_EQ(fields[5], "passed as an argument") << "what it needs comes as arguments";

    // The same function started by fork sees the parent's list.
    mp::Process forked(report, mp::make_args(pipe.fds[1], "forked"), {.start_method = "fork"});
    forked.start();
    EXPECT_EQ(split(pipe.line())[4], "1");
    forked.join();

    mp::Process exits(exit_with, mp::make_args(7), {.start_method = "spawn"});
    exits.start();
    exits.join();
    EXPECT_EQ(exits.exitcode(), 7);

    // set_start_method / get_start_method, as the seed's multiprocessing.set_start_method.
    EXPECT_THAT(mp::get_all_start_methods(), testing::ElementsAre("fork", "spawn", "forkserver"));
    mp::set_start_method("spawn", true);
    EXPECT_EQ(mp::get_start_method(), "spawn");
    try {
        mp::set_start_method("fork");
        ADD_FAILURE() << "a second set_start_method did not throw";
    } catch (const py::RuntimeError& error) {
        EXPECT_STREQ(error.what(), "context has already been set");
    }
    mp::Process by_default(exit_with, mp::make_args(3));
    by_default.start();
    by_default.join();
    EXPECT_EQ(by_default.exitcode(), 3);
    EXPECT_EQ(by_default.start_method(), "spawn");
    mp::set_start_method("fork", true);
    EXPECT_THROW(mp::set_start_method("bogus", true), py::ValueError);
}

py::TypeObject lock_type = {.tp_name = "_thread.lock",
                            .tp_basicsize = sizeof(py::Object),
                            .tp_dealloc = [](py::Object* self) { py::free_object(self); }};

std::string this_program() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    return std::string(path, n > 0 ? static_cast<std::size_t>(n) : 0);
}

TEST(ProcessPools, Step29_SpawnRefusesWhatItCannotSend) {
    if (std::getenv("WORKBOOK_UNGUARDED_CHILD") != nullptr) {
        // We are the program re-executed for spawn, run without its main guard: starting a
        // spawn child here must fail with CPython's message instead of spawning forever.
        mp::Process again(exit_with, mp::make_args(0), {.start_method = "spawn"});
        try {
            again.start();
            std::printf("started\n");
        } catch (const py::RuntimeError& error) {
            std::printf("RuntimeError:%s\n", error.what());
        }
        std::fflush(stdout);
        ::_exit(0);
    }
    // A lambda has no name a new program could look up.
    mp::Process lambda([] {}, {.start_method = "spawn"});
    EXPECT_THROW(lambda.start(), py::PicklingError);
    // Arguments are pickled at start(), so an unpicklable one fails there.
    py::Ref<py::Object> lock = py::Ref<py::Object>::steal(py::alloc_object(&lock_type));
    mp::Process with_lock(exit_with, mp::make_args(lock), {.start_method = "spawn"});
    try {
        with_lock.start();
        ADD_FAILURE() << "start() with an unpicklable argument did not throw";
    } catch (const py::TypeError& error) {
        EXPECT_STREQ(error.what(), "cannot pickle '_thread.lock' object");
    }
    // A program whose main() does not let the guard run first.
    const std::string command =
        "WORKBOOK_NO_MAIN_GUARD=1 WORKBOOK_UNGUARDED_CHILD=1 " + this_program() +
        " --workbook-spawn-child 0 0 0 --gtest_filter=ProcessPools.Step29_* 2>&1";
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
            output.append(buffer, n);
        }
        ::pclose(pipe);
    }
    EXPECT_THAT(output, testing::HasSubstr("RuntimeError:\n        An attempt has been made to "
                                           "start a new process before the\n        current "
                                           "process has finished its bootstrapping phase."));
}

TEST(ProcessPools, Step30_ASpawnChildWhoseParentDiesExits) {
    // A fork child starts a spawn grandchild and dies without joining it. The grandchild holds
    // the write end of `life`; when it has gone, reading `life` gives EOF.
    InheritablePipe life;
    InheritablePipe never;  // nobody writes: the grandchild would block on it forever
    testing_pipes::Pipe report;
    mp::Process parent([&] {
        auto* grandchild =
            new mp::Process(block, mp::make_args(never.fds[0]), {.start_method = "spawn"});
        grandchild->start();
        report.send(std::to_string(*grandchild->pid()) + "\n");
        ::_exit(0);  // dies at once: no join, no destructors
    });
    parent.start();
    const std::string grandchild_pid = report.receive_line();
    EXPECT_FALSE(grandchild_pid.empty());
    parent.join();
    life.close_write();
    never.close_write();
    char byte = 0;
    EXPECT_EQ(::read(life.fds[0], &byte, 1), 0)
        << "the orphaned spawn child exited instead of lingering";
}

TEST(ProcessPools, Step31_ForkserverForksChildrenOnRequest) {
    InheritablePipe pipe;
    std::vector<std::vector<std::string>> reports;
    for (int i = 0; i < 2; ++i) {
        // The server may be older than the pipe: the write end travels with the request.
        mp::Process child(report_to_passed_fd, mp::make_args("from the server"),
                          {.start_method = "forkserver", .pass_fds = {pipe.fds[1]}});
        child.start();
        reports.push_back(split(pipe.line()));
        child.join();
        EXPECT_EQ(child.exitcode(), 0);
        ASSERT_EQ(reports.back().size(), 6U);
        EXPECT_EQ(reports.back()[0], child.name());
    }
    EXPECT_EQ(reports[0][2], std::to_string(::getpid())) << "our process is the parent_process()";
    EXPECT_NE(reports[0][3], std::to_string(::getpid())) << "but the server forked it";
    EXPECT_EQ(reports[0][3], reports[1][3]) << "one server for every child";
    EXPECT_EQ(reports[0][5], "from the server");

    mp::Process exits(exit_with, mp::make_args(5), {.start_method = "forkserver"});
    exits.start();
    exits.join();
    EXPECT_EQ(exits.exitcode(), 5);

    mp::Process blocked(block_until_killed, mp::make_args(), {.start_method = "forkserver"});
    blocked.start();
    EXPECT_TRUE(blocked.is_alive());
    blocked.kill();
    blocked.join();
    EXPECT_EQ(blocked.exitcode(), -SIGKILL);

    mp::Process lambda([] {}, {.start_method = "forkserver"});
    EXPECT_THROW(lambda.start(), py::PicklingError);
}

}  // namespace
