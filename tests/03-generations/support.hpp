// Shared by the chapter 03 tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "py/gc_module.hpp"

namespace generations_test {

// A test's collector starts from CPython's defaults with nothing pending, and is put back that
// way when the test ends.
class FreshCollector {
  public:
    FreshCollector() { reset(); }
    ~FreshCollector() {
        try {
            reset();
        } catch (
            const std::exception& error) {  // an unwritten kata function: the test failed already
            ADD_FAILURE() << "resetting the collector: " << error.what();
        }
    }
    FreshCollector(const FreshCollector&) = delete;
    FreshCollector& operator=(const FreshCollector&) = delete;

  private:
    static void reset() {
        py::gc::callbacks().clear();
        py::gc::enable();
        py::gc::set_threshold(700, 10, 10);
        py::gc::set_debug(0);
        py::gc::garbage().clear();
        py::gc::unfreeze();
        py::gc::collect();
    }
};

// Records which generation each collection was for, through gc.callbacks.
class CollectionLog {
  public:
    CollectionLog() {
        py::gc::callbacks().push_back(
            [this](std::string_view phase, const py::gc::CallbackInfo& info) {
                if (phase == "start") {
                    started.push_back(info.generation);
                }
            });
    }
    std::vector<int> started;
};

inline bool contains(const std::vector<py::Ref<py::Object>>& objects, const py::Object* op) {
    return std::any_of(objects.begin(), objects.end(),
                       [op](const auto& ref) { return ref.get() == op; });
}

}  // namespace generations_test
