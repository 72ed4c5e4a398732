// Shared by the chapter 01 tests: a minimal object type whose deallocations a GoogleMock function
// observes, and a check that a test left refchain as it found it.
#pragma once

#include <gmock/gmock.h>

#include "py/runtime.hpp"

namespace refcount_test {

// "probe": an object with one int of payload. tp_dealloc reports to `dealloc_spy` (when a test
// installed one) before it frees the memory.
struct Probe : py::Object {
    int payload;
};

inline testing::MockFunction<void(py::Object*)>* dealloc_spy = nullptr;

inline void probe_dealloc(py::Object* op) {
    if (dealloc_spy != nullptr) {
        dealloc_spy->Call(op);
    }
    py::free_object(op);
}

inline py::TypeObject ProbeType = {
    .tp_name = "probe", .tp_basicsize = sizeof(Probe), .tp_dealloc = &probe_dealloc};

// A variable-size probe: 8 bytes per item.
inline py::TypeObject VarProbeType = {.tp_name = "varprobe",
                                      .tp_basicsize = sizeof(py::VarObject),
                                      .tp_itemsize = 8,
                                      .tp_dealloc = &probe_dealloc};

// Installs a dealloc spy for the lifetime of a test.
class DeallocSpy {
  public:
    DeallocSpy() { dealloc_spy = &mock; }
    ~DeallocSpy() { dealloc_spy = nullptr; }
    DeallocSpy(const DeallocSpy&) = delete;
    DeallocSpy& operator=(const DeallocSpy&) = delete;
    testing::MockFunction<void(py::Object*)> mock;
};

// How many objects a test added to refchain since it began. Every test that frees what it made
// ends with EXPECT_EQ(baseline.growth(), 0).
class RefchainBaseline {
  public:
    RefchainBaseline() : before_(py::refchain::size()) {}
    [[nodiscard]] py::ssize_t growth() const { return py::refchain::size() - before_; }

  private:
    py::ssize_t before_;
};

}  // namespace refcount_test
