// The two lock-based singletons: a lock on every call (lesson §2) and double-checked locking
// (lesson §3). Constructors and destructors are given.
#include <utility>

#include "py/kata.hpp"
#include "py/singleton.hpp"

namespace py::singleton {

// ---- §2 LockedSingleton ------------------------------------------------------------------------

LockedSingleton::LockedSingleton(Factory factory) : factory_(std::move(factory)) {}

LockedSingleton::~LockedSingleton() = default;

// KATA (lesson §2, steps 3-6).
Widget& LockedSingleton::instance() {
    PY_KATA_TODO("§2");
}

std::uint64_t LockedSingleton::lock_acquisitions() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
    return 0;
}

// ---- §3 DoubleCheckedSingleton -----------------------------------------------------------------

DoubleCheckedSingleton::DoubleCheckedSingleton(Factory factory, Hook between_check_and_lock)
    : factory_(std::move(factory)), between_check_and_lock_(std::move(between_check_and_lock)) {}

DoubleCheckedSingleton::~DoubleCheckedSingleton() {
    // The singleton owns what it published.
    delete instance_.load(std::memory_order_acquire);
}

// KATA (lesson §3, steps 7-10): mind the memory order of every atomic operation.
Widget& DoubleCheckedSingleton::instance() {
    PY_KATA_TODO("§3");
}

std::uint64_t DoubleCheckedSingleton::slow_path_entries() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return 0;
}

}  // namespace py::singleton
