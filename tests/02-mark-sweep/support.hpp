// Shared by the chapter 02 tests.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "py/mark_sweep.hpp"

namespace mark_sweep_test {

// How many objects a test added to refchain since it began.
class RefchainBaseline {
  public:
    RefchainBaseline() : before_(py::refchain::size()) {}
    [[nodiscard]] py::ssize_t growth() const { return py::refchain::size() - before_; }

  private:
    py::ssize_t before_;
};

// Starts a test from a clean collector: no garbage left by an earlier test, no debug flags, the
// default unraisable hook.
inline void fresh_collector() {
    py::gc::set_debug(0);
    py::gc::garbage().clear();
    py::gc::collect();
    py::gc::set_unraisable_hook(nullptr);
}

// The objects a visit sees, in order.
inline std::vector<py::Object*> visited(py::Object* op) {
    return py::gc::referents(op);
}

}  // namespace mark_sweep_test
