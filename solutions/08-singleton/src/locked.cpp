// The two lock-based singletons: a lock on every call (lesson §2) and double-checked locking
// kata: begin replace
// (lesson §3).
// kata: skeleton // (lesson §3). Constructors and destructors are given.
// kata: end
#include <utility>

#include "py/kata.hpp"
#include "py/singleton.hpp"

namespace py::singleton {

// ---- §2 LockedSingleton ------------------------------------------------------------------------

LockedSingleton::LockedSingleton(Factory factory) : factory_(std::move(factory)) {}

LockedSingleton::~LockedSingleton() = default;

// kata: skeleton // KATA (lesson §2, steps 3-6).
Widget& LockedSingleton::instance() {
    // kata: begin §2
    const std::lock_guard lock(mutex_);
    lock_acquisitions_.fetch_add(1, std::memory_order_relaxed);
    if (instance_) {
        return *instance_;
    }
    if (constructing_) {
        // Only the thread running the factory can get here: it holds the recursive mutex.
        throw RuntimeError("singleton instance requested while it is being constructed");
    }
    constructing_ = true;
    try {
        instance_ = factory_();
    } catch (...) {
        constructing_ = false;  // nothing was stored: the next call tries again
        throw;
    }
    constructing_ = false;
    return *instance_;
    // kata: end
}

std::uint64_t LockedSingleton::lock_acquisitions() const noexcept {
    // kata: begin §2 noexcept
    return lock_acquisitions_.load(std::memory_order_relaxed);
    // kata: skeleton return 0;
    // kata: end
}

// ---- §3 DoubleCheckedSingleton -----------------------------------------------------------------

DoubleCheckedSingleton::DoubleCheckedSingleton(Factory factory, Hook between_check_and_lock)
    : factory_(std::move(factory)), between_check_and_lock_(std::move(between_check_and_lock)) {}

DoubleCheckedSingleton::~DoubleCheckedSingleton() {
    // kata: skeleton // The singleton owns what it published.
    delete instance_.load(std::memory_order_acquire);
}

// kata: skeleton // KATA (lesson §3, steps 7-10): mind the memory order of every atomic operation.
Widget& DoubleCheckedSingleton::instance() {
    // kata: begin §3
    // First look, without the lock. Acquire pairs with the release below: a thread that sees the
    // pointer also sees everything the factory wrote into the object.
    if (Widget* existing = instance_.load(std::memory_order_acquire)) {
        return *existing;
    }
    slow_path_entries_.fetch_add(1, std::memory_order_relaxed);
    if (between_check_and_lock_) {
        between_check_and_lock_();
    }
    const std::lock_guard lock(mutex_);
    // Second look, with the lock: only a thread holding mutex_ ever stores the pointer, and the
    // mutex orders that store before this load, so relaxed is enough here.
    if (Widget* existing = instance_.load(std::memory_order_relaxed)) {
        return *existing;
    }
    std::unique_ptr<Widget> made = factory_();  // may throw: nothing is published then
    Widget* mine = made.release();
    instance_.store(mine, std::memory_order_release);
    return *mine;
    // kata: end
}

std::uint64_t DoubleCheckedSingleton::slow_path_entries() const noexcept {
    // kata: begin §3 noexcept
    return slow_path_entries_.load(std::memory_order_relaxed);
    // kata: skeleton return 0;
    // kata: end
}

}  // namespace py::singleton
