// Shared by the chapter 07 tests: a fixture that switches detection on with a clean graph, and
// a report hook that collects what it is given.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "py/deadlock.hpp"

namespace deadlock_test {

// Every test starts with detection on, raising, and an empty lock-order graph, and leaves
// detection off.
class Deadlock : public testing::Test {
  protected:
    void SetUp() override {
        py::threading::deadlock::disable();
        py::threading::deadlock::set_report_hook({});
        py::threading::deadlock::reset();
        py::threading::deadlock::enable();
    }
    void TearDown() override {
        py::threading::deadlock::disable();
        py::threading::deadlock::set_report_hook({});
        py::threading::deadlock::reset();
    }
};

// A report hook that keeps every report (thread-safe: any thread may report).
class Reports {
  public:
    py::threading::deadlock::ReportHook hook() {
        return [this](const py::threading::DeadlockReport& report) {
            const std::lock_guard lock(mutex_);
            reports_.push_back(report);
        };
    }
    [[nodiscard]] std::vector<py::threading::DeadlockReport> all() const {
        const std::lock_guard lock(mutex_);
        return reports_;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<py::threading::DeadlockReport> reports_;
};

// The message of the py::DeadlockError that `action` throws, or "" if it throws none.
template <class Action>
std::string deadlock_error_of(Action action) {
    try {
        action();
    } catch (const py::DeadlockError& error) {
        return error.what();
    }
    return "";
}

}  // namespace deadlock_test
