// Runs a piece of clean-up when the scope ends, however it ends (return or exception): the
// restore-on-every-path logic that would otherwise be a try/catch that rethrows.
//
//     gc.collecting = true;
//     const py::ScopeExit done([&] { gc.collecting = false; });
#pragma once

#include <utility>

namespace py {

template <class F>
class [[nodiscard]] ScopeExit {
  public:
    explicit ScopeExit(F action) noexcept : action_(std::move(action)) {}
    ScopeExit(const ScopeExit&) = delete;
    ScopeExit& operator=(const ScopeExit&) = delete;
    ScopeExit(ScopeExit&&) = delete;
    ScopeExit& operator=(ScopeExit&&) = delete;
    ~ScopeExit() { action_(); }

  private:
    F action_;
};

}  // namespace py
