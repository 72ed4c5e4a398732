// Running tests one process each and judging them from GoogleTest's JSON report (see
// test_runner.hpp).
#include "test_runner.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "build_index.hpp"
#include "process.hpp"

namespace workbook {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

// The last `max_lines` lines of `text`.
std::string tail(const std::string& text, std::size_t max_lines) {
    std::size_t pos = text.size();
    for (std::size_t lines = 0; pos > 0 && lines <= max_lines;) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) {
            return text;
        }
        ++lines;
    }
    return text.substr(pos + 1);
}

// Starts a test binary with stdout and stderr going to `log`, in a process group of its own so
// that a timeout can kill whatever it started too.
pid_t start_test(const std::vector<std::string>& argv, const fs::path& log) {
    SpawnOptions options;
    options.output_file = log;
    options.null_stdin = true;
    options.own_process_group = true;
    return spawn(argv, options).pid;
}

struct Running {
    std::size_t index;
    pid_t pid;
    Clock::time_point started;
    fs::path json;
    fs::path log;
    bool killed = false;
};

// GoogleTest's JSON writer escapes each byte of a UTF-8 message on its own ("\u00C2\u00A7" for
// "§"), so after parsing, every code point below 256 is really one byte of the original text.
std::string gtest_text(const std::string& parsed) {
    std::string bytes;
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        const auto c = static_cast<unsigned char>(parsed[i]);
        if ((c == 0xC2 || c == 0xC3) && i + 1 < parsed.size()) {
            bytes += static_cast<char>(((c & 0x03) << 6) |
                                       (static_cast<unsigned char>(parsed[i + 1]) & 0x3F));
            ++i;
        } else {
            bytes += static_cast<char>(c);
        }
    }
    return bytes;
}

bool is_not_implemented(const std::string& message) {
    return message.find("is not written yet") != std::string::npos;
}

TestResult interpret(const std::string& name, const Running& run, int status) {
    TestResult result;
    result.name = name;
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run.started);
    const std::string log = read_file(run.log);
    result.output = log;
    if (run.killed || (WIFEXITED(status) && WEXITSTATUS(status) == 124)) {
        result.outcome = Outcome::TimedOut;
        result.message =
            "did not finish in time: a deadlock, an endless loop, or a wait that "
            "nobody signals.\n" +
            tail(log, 8);
        return result;
    }
    nlohmann::json report;
    try {
        report = nlohmann::json::parse(read_file(run.json));
    } catch (const nlohmann::json::exception&) {
        result.outcome = Outcome::Crashed;
        std::string how = WIFSIGNALED(status)
                              ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                              : "exited with code " + std::to_string(WEXITSTATUS(status));
        result.message = "crashed (" + how + ") before it could report.\n" + tail(log, 12);
        return result;
    }
    for (const auto& suite : report.value("testsuites", nlohmann::json::array())) {
        for (const auto& test : suite.value("testsuite", nlohmann::json::array())) {
            if (!test.contains("failures")) {
                continue;
            }
            for (const auto& failure : test["failures"]) {
                const std::string text = gtest_text(failure.value("failure", ""));
                if (result.message.empty() ||
                    (is_not_implemented(text) && !is_not_implemented(result.message))) {
                    result.message = text;
                }
            }
        }
    }
    if (result.message.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        result.outcome = Outcome::Passed;
    } else if (is_not_implemented(result.message)) {
        result.outcome = Outcome::NotImplemented;
    } else {
        result.outcome = Outcome::Failed;
        if (result.message.empty()) {
            result.message = "failed without an assertion message.\n" + tail(log, 12);
        }
    }
    return result;
}

}  // namespace

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::Passed:
            return "passed";
        case Outcome::Failed:
            return "failed";
        case Outcome::NotImplemented:
            return "not written yet";
        case Outcome::Crashed:
            return "crashed";
        case Outcome::TimedOut:
            return "timed out";
    }
    return "?";
}

std::vector<std::string> list_tests(const fs::path& binary) {
    if (!fs::exists(binary)) {
        throw UsageError(binary.string() +
                         " does not exist: build first (cmake --build --preset ...)");
    }
    char dir_template[] = "/tmp/workbook-list-XXXXXX";
    const fs::path dir = mkdtemp(dir_template);
    const fs::path json = dir / "list.json";
    wait_for(
        start_test({binary.string(), "--gtest_list_tests", "--gtest_output=json:" + json.string()},
                   dir / "list.log"));
    std::vector<std::string> names;
    try {
        const auto report = nlohmann::json::parse(read_file(json));
        for (const auto& suite : report.at("testsuites")) {
            for (const auto& test : suite.at("testsuite")) {
                names.push_back(suite.at("name").get<std::string>() + "." +
                                test.at("name").get<std::string>());
            }
        }
    } catch (const nlohmann::json::exception& error) {
        const std::string log = read_file(dir / "list.log");
        fs::remove_all(dir);
        throw UsageError("cannot list the tests of " + binary.string() + ": " + error.what() +
                         "\n" + log);
    }
    fs::remove_all(dir);
    return names;
}

std::vector<TestResult> run_tests(
    const fs::path& binary, const std::vector<std::string>& names, int jobs,
    std::chrono::seconds timeout,
    const std::function<void(std::size_t, std::size_t)>& on_progress) {
    std::vector<TestResult> results(names.size());
    // Every test process arms its own watchdog with this limit (see common/testing/test_main.cpp).
    setenv("WORKBOOK_TEST_TIMEOUT", std::to_string(timeout.count()).c_str(), 1);
    char dir_template[] = "/tmp/workbook-run-XXXXXX";
    const fs::path dir = mkdtemp(dir_template);
    std::vector<Running> running;
    std::size_t next = 0;
    std::size_t finished = 0;
    // The test main's own watchdog fires at `timeout`; this is the backstop for a process that
    // cannot even do that (stuck in a signal handler, its alarm cleared by the code under test).
    const auto hard_limit = timeout + std::chrono::seconds(3);

    while (next < names.size() || !running.empty()) {
        while (next < names.size() && static_cast<int>(running.size()) < std::max(jobs, 1)) {
            Running run{next, 0, Clock::now(), dir / (std::to_string(next) + ".json"),
                        dir / (std::to_string(next) + ".log")};
            run.pid = start_test({binary.string(), "--gtest_filter=" + names[next],
                                  "--gtest_output=json:" + run.json.string(), "--gtest_color=no"},
                                 run.log);
            running.push_back(run);
            ++next;
        }
        bool reaped = false;
        for (auto it = running.begin(); it != running.end();) {
            int status = 0;
            if (waitpid(it->pid, &status, WNOHANG) == it->pid) {
                kill(-it->pid, SIGKILL);  // anything the test left running in its group
                results[it->index] = interpret(names[it->index], *it, status);
                it = running.erase(it);
                reaped = true;
                ++finished;
                if (on_progress) {
                    on_progress(finished, names.size());
                }
                continue;
            }
            if (!it->killed && Clock::now() - it->started > hard_limit) {
                kill(-it->pid, SIGKILL);
                it->killed = true;
            }
            ++it;
        }
        if (!reaped) {
            // A CLI polling its children, not a test deciding by sleeping.
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    fs::remove_all(dir);
    return results;
}

}  // namespace workbook
