// Run-once machinery: std::call_once (lesson §4) and a once flag by hand, the CPython way
// kata: begin replace
// (lesson §5).
// kata: skeleton // (lesson §5). Constructors and destructors are given.
// kata: end
#include <utility>

#include "py/kata.hpp"
#include "py/singleton.hpp"

namespace py::singleton {

// ---- §4 CallOnceSingleton ----------------------------------------------------------------------

CallOnceSingleton::CallOnceSingleton(Factory factory) : factory_(std::move(factory)) {}

CallOnceSingleton::~CallOnceSingleton() = default;

// kata: skeleton // KATA (lesson §4, steps 11-12).
Widget& CallOnceSingleton::instance() {
    // kata: begin §4
    // If the factory throws, call_once lets the exception through and the flag stays unset.
    std::call_once(once_, [this] { instance_ = factory_(); });
    return *instance_;
    // kata: end
}

// ---- §5 OnceFlag and call_once -----------------------------------------------------------------

// kata: skeleton // KATA (lesson §5, steps 13-16).
bool OnceFlag::is_initialized() const noexcept {
    // kata: begin §5 noexcept
    return state_.load(std::memory_order_acquire) == kInitialized;
    // kata: skeleton return false;
    // kata: end
}

void call_once(OnceFlag& flag, const std::function<void()>& fn) {
    // kata: begin §5
    // Fast path: one acquire load (CPython's _PyOnceFlag_CallOnce is this test, inline).
    std::uint32_t state = flag.state_.load(std::memory_order_acquire);
    for (;;) {
        if (state == OnceFlag::kInitialized) {
            return;
        }
        if (state == OnceFlag::kLocked) {
            // Sleep until the state is no longer kLocked, then look again.
            flag.state_.wait(OnceFlag::kLocked, std::memory_order_acquire);
            state = flag.state_.load(std::memory_order_acquire);
        } else if (flag.state_.compare_exchange_weak(state, OnceFlag::kLocked,
                                                     std::memory_order_acquire,
                                                     std::memory_order_acquire)) {
            // It was unlocked and is now ours: run fn. (A failed exchange loaded the state that
            // beat us into `state`: just look again.)
            try {
                fn();
            } catch (...) {
                // Failed: back to unlocked and wake the waiters so one of them retries
                // (CPython: unlock_once(flag, -1)).
                flag.state_.store(OnceFlag::kUnlocked, std::memory_order_release);
                flag.state_.notify_all();
                throw;
            }
            flag.state_.store(OnceFlag::kInitialized, std::memory_order_release);
            flag.state_.notify_all();
            return;
        }
    }
    // kata: end
}

}  // namespace py::singleton
