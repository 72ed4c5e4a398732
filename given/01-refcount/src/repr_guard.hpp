// Py_ReprEnter / Py_ReprLeave as a scope: lets a container that contains itself print "[...]"
// instead of recursing forever. Given code (given/ is compiled with either tree).
#pragma once

#include <algorithm>
#include <vector>

#include "py/object.hpp"

namespace py {

class ReprGuard {
  public:
    explicit ReprGuard(const Object* op)
        : recursive_(std::find(in_progress().begin(), in_progress().end(), op) !=
                     in_progress().end()) {
        if (!recursive_) {
            in_progress().push_back(op);
        }
    }
    ~ReprGuard() {
        if (!recursive_) {
            in_progress().pop_back();
        }
    }
    ReprGuard(const ReprGuard&) = delete;
    ReprGuard& operator=(const ReprGuard&) = delete;

    // True when `op` is already being printed further up this thread's stack.
    [[nodiscard]] bool recursive() const noexcept { return recursive_; }

  private:
    // The containers whose repr is being written on this thread, outermost first.
    static std::vector<const Object*>& in_progress() {
        thread_local std::vector<const Object*> objects;
        return objects;
    }
    bool recursive_;
};

}  // namespace py
