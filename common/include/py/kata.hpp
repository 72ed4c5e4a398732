// The "not written yet" marker that every skeleton body uses.
//
// A skeleton compiles, links and runs, but each function the learner has to write starts as
//
//     void List::append(Object* item) { PY_KATA_TODO("§5"); }
//
// which throws `py::kata::NotImplemented` with a message that names the function and the lesson
// section to read. Functions that must not throw (destructors, `decref`, anything `noexcept`) use
// PY_KATA_TODO_NOEXCEPT instead: it reports the same message through the installed reporter,
// which the test main turns into a failure of the running test, and returns so the program goes
// on. Code in headers, compiled outside the chapter's library, names its chapter explicitly:
// PY_KATA_TODO_IN("chapters/01-refcount", "§4").
#pragma once

#include <string>
#include <string_view>

#include "py/exceptions.hpp"

namespace py::kata {

// Where a TODO stands. (Not std::source_location: clang 14, which clangd and clang-tidy use
// here, cannot compile that with GCC 12's standard library.)
struct Where {
    const char* function;
    const char* file;
    int line;
};

// The caller's position (GCC and clang builtins), for calls that do not go through the macros.
#define PY_KATA_CALLER                                           \
    ::py::kata::Where {                                          \
        __builtin_FUNCTION(), __builtin_FILE(), __builtin_LINE() \
    }

// Thrown by a skeleton body that the learner has not written yet. It knows where the TODO stands,
// and its message ends with that place, "(at FILE:LINE)", so that a test's failure report (which
// GoogleTest gives as "unknown file" for an exception) still leads the learner to the line to edit.
class NotImplemented : public NotImplementedError {
  public:
    using NotImplementedError::NotImplementedError;
    NotImplemented(const std::string& message, const Where& where)
        : NotImplementedError(message + " (at " + where.file + ":" + std::to_string(where.line) +
                              ")"),
          where_(where) {}
    [[nodiscard]] const char* python_name() const noexcept override {
        return "NotImplementedError";
    }
    // The TODO that threw: function, file and line (file is empty when not known).
    [[nodiscard]] const Where& where() const noexcept { return where_; }

  private:
    Where where_{"", "", 0};
};

// "void py::List::append(py::Object*) is not written yet: read chapters/01-refcount/README.md §5".
std::string todo_message(std::string_view chapter_dir, std::string_view section,
                         const Where& where);

// Throws NotImplemented with todo_message(...) and the TODO's place.
[[noreturn]] void todo(std::string_view chapter_dir, std::string_view section,
                       const Where& where = PY_KATA_CALLER);

// For bodies that cannot throw: hands the message to the installed reporter and returns.
void todo_noexcept(std::string_view chapter_dir, std::string_view section,
                   const Where& where = PY_KATA_CALLER) noexcept;

// Who hears about a todo_noexcept. The default prints the message to stderr once per function;
// the workbook's test main installs one that fails the running test.
using TodoReporter = void (*)(const std::string& message, const Where& where);
void set_todo_reporter(TodoReporter reporter) noexcept;

}  // namespace py::kata

// WORKBOOK_CHAPTER_DIR is set by the build for each chapter library ("chapters/01-refcount").
#ifndef WORKBOOK_CHAPTER_DIR
#define WORKBOOK_CHAPTER_DIR "chapters"
#endif

#define PY_KATA_WHERE                           \
    ::py::kata::Where {                         \
        __PRETTY_FUNCTION__, __FILE__, __LINE__ \
    }
#define PY_KATA_TODO_IN(chapter_dir, section) ::py::kata::todo(chapter_dir, section, PY_KATA_WHERE)
#define PY_KATA_TODO_NOEXCEPT_IN(chapter_dir, section) \
    ::py::kata::todo_noexcept(chapter_dir, section, PY_KATA_WHERE)
#define PY_KATA_TODO(section) PY_KATA_TODO_IN(WORKBOOK_CHAPTER_DIR, section)
#define PY_KATA_TODO_NOEXCEPT(section) PY_KATA_TODO_NOEXCEPT_IN(WORKBOOK_CHAPTER_DIR, section)
