// Tests of the test harness itself (not katas): the per-test watchdog turns a hung test into a
// failure with a message, and a PY_KATA_TODO_NOEXCEPT fails the running test. ctest runs the
// tests below one at a time and checks what they print (see common/CMakeLists.txt).
#include <gtest/gtest.h>

#include <atomic>

#include "py/kata.hpp"

namespace {

// Run alone with WORKBOOK_TEST_TIMEOUT=1: must be stopped by the watchdog.
TEST(HarnessSelfTest, HangsForever) {
    std::atomic<bool> forever{true};
    while (forever.load(std::memory_order_relaxed)) {
    }
    FAIL() << "unreachable";
}

// A skeleton body that cannot throw still fails the test that called it.
void not_written_yet() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

TEST(HarnessSelfTest, NoexceptTodoFailsTheTest) {
    not_written_yet();
    SUCCEED() << "the harness must have recorded a failure above";
}

// A throwing skeleton body names itself and the lesson section.
TEST(HarnessSelfTest, TodoNamesTheFunctionAndSection) {
    try {
        PY_KATA_TODO_IN("chapters/00-example", "§3");
    } catch (const py::kata::NotImplemented& error) {
        EXPECT_STREQ(error.python_name(), "NotImplementedError");
        EXPECT_NE(std::string(error.what()).find("chapters/00-example/README.md §3"),
                  std::string::npos)
            << error.what();
        // ...and the place of the TODO, which the workbook CLI shows as "At: FILE:LINE".
        EXPECT_GT(error.where().line, 0);
        EXPECT_NE(std::string(error.what()).find("harness_selftest.cpp:"), std::string::npos)
            << error.what();
        return;
    }
    FAIL() << "todo() must throw";
}

}  // namespace
