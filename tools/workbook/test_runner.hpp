// Runs a chapter's tests one process per test, each with a time limit, and reads GoogleTest's
// JSON report of it: a crash or a hang fails one test, never the whole report.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace workbook {

enum class Outcome {
    Passed,
    Failed,          // an assertion failed
    NotImplemented,  // failed because a skeleton body is not written yet
    Crashed,         // died without a report (signal, abort, exit without a result)
    TimedOut,        // still running when its time ran out
};

const char* outcome_name(Outcome outcome);

struct TestResult {
    std::string name;  // "Suite.Test"
    Outcome outcome = Outcome::Failed;
    std::string message;  // the first failure (or how it died), for the learner to read
    std::string output;   // everything the test printed
    std::chrono::milliseconds duration{0};
};

// The tests a GoogleTest binary contains, "Suite.Test", in definition order.
std::vector<std::string> list_tests(const std::filesystem::path& binary);

// Runs every test in `names` from `binary`, at most `jobs` at a time, each in its own process
// killed after `timeout`. Results come back in the order of `names`. `on_progress(done, total)`
// hears of each test that ends.
std::vector<TestResult> run_tests(
    const std::filesystem::path& binary, const std::vector<std::string>& names, int jobs,
    std::chrono::seconds timeout,
    const std::function<void(std::size_t, std::size_t)>& on_progress = {});

}  // namespace workbook
