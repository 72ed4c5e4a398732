#include "py/kata.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>

namespace py::kata {
namespace {

void print_once_to_stderr(const std::string& message, const Where& where) {
    // A destructor in a loop would otherwise print the same line thousands of times.
    static std::mutex mutex;
    static std::set<std::string> seen;
    std::lock_guard guard(mutex);
    if (seen.insert(where.function).second) {
        std::fprintf(stderr, "%s\n", message.c_str());
    }
}

std::atomic<TodoReporter> reporter{&print_once_to_stderr};

}  // namespace

std::string todo_message(std::string_view chapter_dir, std::string_view section,
                         const Where& where) {
    std::string message = where.function;
    message += " is not written yet: read ";
    message += chapter_dir;
    message += "/README.md ";
    message += section;
    return message;
}

void todo(std::string_view chapter_dir, std::string_view section, const Where& where) {
    throw NotImplemented(todo_message(chapter_dir, section, where), where);
}

void todo_noexcept(std::string_view chapter_dir, std::string_view section,
                   const Where& where) noexcept {
    try {
        reporter.load()(todo_message(chapter_dir, section, where), where);
    } catch (...) {
        // Reporting must never take the program down; the message is lost, the run goes on.
    }
}

void set_todo_reporter(TodoReporter new_reporter) noexcept {
    reporter.store(new_reporter != nullptr ? new_reporter : &print_once_to_stderr);
}

}  // namespace py::kata
