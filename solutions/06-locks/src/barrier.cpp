// threading.Barrier (CPython: Lib/threading.py): a count and a state machine under a Condition
// over a Lock. The states are threading.py's: filling, draining, resetting, broken.
#include <optional>

#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/scope_exit.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

Barrier::Barrier(std::size_t parties, std::function<void()> action, std::optional<double> timeout)
    : cond_(lock_), action_(std::move(action)), timeout_(timeout), parties_(parties) {
    // kata: begin step19 §7
    if (parties < 1) {
        throw ValueError("parties must be >= 1");
    }
    // kata: end
}

Barrier::~Barrier() = default;

std::size_t Barrier::wait(std::optional<double> timeout) {
    // kata: begin step19 step20 §7
    if (!timeout) {
        timeout = timeout_;
    }
    const ScopedLock guard(cond_);
    enter();
    const std::size_t index = count_++;
    // Declared after `guard`, so it runs with cond_ still held, however wait() ends.
    const ScopeExit leaving([this]() PY_NO_THREAD_SAFETY_ANALYSIS { leave(); });
    if (index + 1 == parties_) {
        release_all();
    } else {
        wait_for_release(timeout);
    }
    return index;
    // kata: end
}

void Barrier::enter() {
    // kata: begin step19 step20 §7
    // _enter: a barrier that drains or resets lets nobody in until it is filling again.
    while (state_ == kDraining || state_ == kResetting) {
        cond_.wait();
    }
    if (state_ == kBroken) {
        throw BrokenBarrierError("");
    }
    // kata: end
}

void Barrier::release_all() {
    // kata: begin step19 step20 §7
    // _release: the last to arrive runs the action and wakes the others; an action that throws
    // breaks the barrier on its way out.
    bool released = false;
    const ScopeExit broken_unless_released([&]() PY_NO_THREAD_SAFETY_ANALYSIS {
        if (!released) {
            break_barrier();
        }
    });
    if (action_) {
        action_();
    }
    state_ = kDraining;
    cond_.notify_all();
    released = true;
    // kata: end
}

void Barrier::wait_for_release(std::optional<double> timeout) {
    // kata: begin step19 step20 §7
    // _wait: until the barrier drains or breaks; a timeout breaks it for everybody.
    const bool left_filling = cond_.wait_for(
        [this]() PY_NO_THREAD_SAFETY_ANALYSIS { return state_ != kFilling; }, timeout);
    if (!left_filling) {
        break_barrier();
    }
    if (state_ < 0) {  // broken or resetting
        throw BrokenBarrierError("");
    }
    // kata: end
}

void Barrier::leave() {
    // kata: begin step19 §7 noexcept
    // _exit: the last one out of a draining or resetting barrier lets the next generation in.
    --count_;
    if (count_ == 0 && (state_ == kResetting || state_ == kDraining)) {
        state_ = kFilling;
        cond_.notify_all();
    }
    // kata: end
}

void Barrier::break_barrier() {
    // kata: begin step20 §7 noexcept
    state_ = kBroken;
    cond_.notify_all();
    // kata: end
}

void Barrier::reset() {
    // kata: begin step20 §7
    const ScopedLock guard(cond_);
    if (count_ > 0) {
        if (state_ == kFilling || state_ == kBroken) {
            state_ = kResetting;
        }
    } else {
        state_ = kFilling;
    }
    cond_.notify_all();
    // kata: end
}

void Barrier::abort() {
    // kata: begin step20 §7
    const ScopedLock guard(cond_);
    break_barrier();
    // kata: end
}

std::size_t Barrier::n_waiting() const {
    // kata: begin step19 §7
    const ScopedLock guard(cond_);
    return state_ == kFilling ? count_ : 0;
    // kata: end
}

bool Barrier::broken() const {
    // kata: begin step20 §7
    const ScopedLock guard(cond_);
    return state_ == kBroken;
    // kata: end
}

}  // namespace py::threading
