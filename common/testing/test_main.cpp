// main() of every chapter's test binary.
//
// 1. Lets registered main guards claim the process first (a spawned child of chapter 09 is this
//    same binary re-executed; see workbook/main_guard.hpp).
// 2. Runs death tests in "threadsafe" style: the child re-executes the binary instead of
//    forking a possibly multi-threaded process.
// 3. Turns PY_KATA_TODO_NOEXCEPT reports into failures of the running test.
// 4. Arms a per-test watchdog so a deadlock or an endless loop fails its test with a message
//    instead of hanging, even when the binary is run by hand outside ctest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "py/kata.hpp"
#include "workbook/main_guard.hpp"

#ifndef WORKBOOK_TEST_TIMEOUT
#define WORKBOOK_TEST_TIMEOUT 10
#endif

namespace {

void fail_running_test(const std::string& message, const py::kata::Where& where) {
    ADD_FAILURE_AT(where.file, where.line) << message;
}

// The name of the running test, kept in a fixed buffer the signal handler may read.
char running_test[512] = "?";

void on_timeout(int /*signal*/) {
    // Only async-signal-safe calls here: write(2) and _exit(2).
    const char prefix[] = "\n[  TIMEOUT ] ";
    const char suffix[] =
        " did not finish in time: a deadlock, an endless loop, or a wait nobody signals.\n";
    (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!write(STDERR_FILENO, running_test, std::strlen(running_test));
    (void)!write(STDERR_FILENO, suffix, sizeof suffix - 1);
    _exit(124);  // the exit code timeout(1) uses
}

#ifdef WORKBOOK_COVERAGE
// A death test's child ends in abort(), which skips gcov's exit-time write-out; without this the
// coverage report would miss every line of a fatal-error path that a death test runs.
extern "C" void __gcov_dump();  // NOLINT(bugprone-reserved-identifier): libgcov's entry point

void dump_coverage_then_abort(int signal) {
    __gcov_dump();
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}
#endif

unsigned timeout_seconds() {
    if (const char* value = std::getenv("WORKBOOK_TEST_TIMEOUT")) {
        const long seconds = std::strtol(value, nullptr, 10);
        if (seconds > 0) {
            return static_cast<unsigned>(seconds);
        }
    }
    return WORKBOOK_TEST_TIMEOUT;
}

class Watchdog : public testing::EmptyTestEventListener {
    void OnTestStart(const testing::TestInfo& test) override {
        std::snprintf(running_test, sizeof running_test, "%s.%s", test.test_suite_name(),
                      test.name());
        std::signal(SIGALRM, on_timeout);
        alarm(timeout_seconds());
    }
    void OnTestEnd(const testing::TestInfo& /*test*/) override { alarm(0); }
};

}  // namespace

int main(int argc, char** argv) {
    if (auto exit_code = workbook::run_main_guards(argc, argv)) {
        return *exit_code;
    }
    testing::InitGoogleTest(&argc, argv);
    GTEST_FLAG_SET(death_test_style, "threadsafe");
#ifdef WORKBOOK_COVERAGE
    std::signal(SIGABRT, dump_coverage_then_abort);
#endif
    py::kata::set_todo_reporter(&fail_running_test);
    testing::UnitTest::GetInstance()->listeners().Append(new Watchdog);
    return RUN_ALL_TESTS();
}
