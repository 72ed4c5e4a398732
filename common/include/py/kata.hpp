// The "not written yet" marker that every skeleton body uses.
//
// A skeleton compiles, links and runs, but each function the learner has to write starts as
//
//     void List::append(Object* item) { PY_KATA_TODO("§5"); }
//
// which throws `py::kata::NotImplemented` with a message that names the function and the lesson
// section to read. Functions that must not throw (destructors, `decref`, anything `noexcept`) use
// PY_KATA_TODO_NOEXCEPT instead: it reports the same message through `py::kata::report_todo`, which
// the test main turns into a test failure, and returns so the program goes on.
#pragma once

#include <source_location>
#include <string>
#include <string_view>

#include "py/exceptions.hpp"

namespace py::kata {

// Thrown by a skeleton body that the learner has not written yet.
class NotImplemented : public NotImplementedError {
public:
    using NotImplementedError::NotImplementedError;
    [[nodiscard]] const char* python_name() const noexcept override { return "NotImplementedError"; }
};

// "py::List::append(py::Object*) is not written yet: read chapters/01-refcount/README.md §5".
std::string todo_message(std::string_view chapter_dir, std::string_view section,
                         const std::source_location& where);

// Throws NotImplemented with todo_message(...).
[[noreturn]] void todo(std::string_view chapter_dir, std::string_view section,
                       const std::source_location& where = std::source_location::current());

// For bodies that cannot throw: hands the message to the installed reporter and returns.
void todo_noexcept(std::string_view chapter_dir, std::string_view section,
                   const std::source_location& where = std::source_location::current()) noexcept;

// Who hears about a todo_noexcept. The default prints the message to stderr once per function;
// the workbook's test main installs one that fails the running test.
using TodoReporter = void (*)(const std::string& message, const std::source_location& where);
void set_todo_reporter(TodoReporter reporter) noexcept;

}  // namespace py::kata

// WORKBOOK_CHAPTER_DIR is set by the build for each chapter library ("chapters/01-refcount").
#ifndef WORKBOOK_CHAPTER_DIR
#define WORKBOOK_CHAPTER_DIR "chapters"
#endif

#define PY_KATA_TODO(section) ::py::kata::todo(WORKBOOK_CHAPTER_DIR, section)
#define PY_KATA_TODO_NOEXCEPT(section) ::py::kata::todo_noexcept(WORKBOOK_CHAPTER_DIR, section)
