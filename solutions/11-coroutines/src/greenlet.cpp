// py::greenlet's switching: the kata of chapters/11-coroutines/README.md §1-§5.
//
// The machine part (saving registers, changing stacks) is given in given/11-coroutines/src;
// what is written here is greenlet's bookkeeping around it: which greenlet runs next, what a
// switch carries, and what happens when a greenlet finishes, fails, is killed or is freed.
#include <exception>
#include <thread>
#include <utility>

#include "greenlet_impl.hpp"
#include "py/kata.hpp"

namespace py::greenlet {

namespace {

using State = greenlet::Impl::State;

inline ThreadState& state_or_error() {
    ThreadState* state = thread_state();
    if (state == nullptr) [[unlikely]] {
        throw error("cannot switch to a different thread (which happens to have exited)");
    }
    return *state;
}

// The value or exception a switch carried, taken out of the thread's state.
[[maybe_unused]] Value take_transfer(ThreadState& state) {
    Value value = std::move(state.transfer);
    state.transfer.reset();
    if (state.error) [[unlikely]] {
        std::rethrow_exception(std::exchange(state.error, nullptr));
    }
    return value;
}

// Runs first on a greenlet that has just been switched to: collects what the switch carried
// and lets go of the greenlet it came from. That may free it (its last handle may have been
// dropped while it ran), which is safe now that its stack is no longer in use.
[[maybe_unused]] inline Value arrive(greenlet::Impl& self, detail::Context* from) {
    detail::finish_switch(self.context, from);
    ThreadState& state = *thread_state();
    Value value = std::move(state.transfer);
    state.transfer.reset();
    // Taken out before `previous` goes: letting go of it may kill it, a switch of its own.
    std::exception_ptr raised;
    if (state.error) [[unlikely]] {
        raised = std::exchange(state.error, nullptr);
    }
    state.previous.reset();
    if (raised) [[unlikely]] {
        std::rethrow_exception(raised);
    }
    return value;
}

[[maybe_unused]] bool is_greenlet_exit(const std::exception_ptr& raised) {
    try {
        std::rethrow_exception(raised);
    } catch (const GreenletExit&) {
        return true;
    } catch (...) {
        return false;
    }
}

void check_thread(const greenlet::Impl& target) {
    // kata: begin step12 §5 replace
    if (target.thread != std::this_thread::get_id()) {
        throw error("cannot switch to a different thread");
    }
    // kata: skeleton (void)target;
    // kata: end
}

// Where a switch to state.next really goes (greenlet's g_switch): past dead greenlets to their
// parents, and past unstarted ones that an exception is thrown into -- those die without
// running, and a GreenletExit that kills one is handed on as a value.
inline void resolve_target(ThreadState& state) {
    for (;;) {
        // kata: begin step10 §4 replace
        if (state.next->state == State::Dead) {
            state.next = state.next->parent;
            continue;
        }
        // kata: skeleton if (state.next->state == State::Dead) {
        // kata: skeleton     PY_KATA_TODO("§4");
        // kata: skeleton }
        // kata: end
        // kata: begin step09 §4 replace
        if (state.next->state == State::Unstarted && state.error) {
            state.next->state = State::Dead;
            state.next->run = nullptr;
            if (is_greenlet_exit(state.error)) {
                try {
                    std::rethrow_exception(std::exchange(state.error, nullptr));
                } catch (const GreenletExit& exit) {
                    state.transfer = exit;
                }
            }
            state.next = state.next->parent;
            continue;
        }
        // kata: skeleton if (state.next->state == State::Unstarted && state.error) {
        // kata: skeleton     PY_KATA_TODO("§4");
        // kata: skeleton }
        // kata: end
        return;
    }
}

[[noreturn]] void bootstrap(detail::Context* from);

// Gives state.next a stack whose first frame will call bootstrap().
void start(greenlet::Impl& impl) {
    // kata: begin step02 §2
    allocate_stack(impl);
    detail::prepare_context(impl.context, &bootstrap);
    impl.state = State::Active;
    // kata: end
}

// Switches from the running greenlet to state.next, carrying state.transfer / state.error.
Value switch_to_next(ThreadState& state) {
    // kata: begin step02 §2
    if (state.next == state.current) {
        state.next.reset();
        return take_transfer(state);
    }
    if (state.next->state == State::Unstarted) {
        start(*state.next);
    }
    greenlet::Impl* self = state.current.get();
    state.previous = std::move(state.current);
    state.current = std::move(state.next);
    detail::Context* from = detail::switch_context(self->context, state.current->context);
    // ... and we are back: someone switched to `self`.
    return arrive(*self, from);
    // kata: skeleton return {};
    // kata: end
}

[[maybe_unused]] Value switch_to(const ImplPtr& target, Value args, std::exception_ptr raised) {
    ThreadState& state = state_or_error();
    if (state.current == nullptr) {
        (void)getcurrent();  // the thread's main greenlet exists before anything switches
    }
    check_thread(*target);
    state.transfer = std::move(args);
    state.error = std::move(raised);
    state.next = target;
    resolve_target(state);
    return switch_to_next(state);
}

// Starts the greenlet's `run` with what the first switch carried.
Value call_run(greenlet::Impl& self, detail::Context* from) {
    // kata: begin step02 §2
    Value args = arrive(self, from);
    greenlet::Run run = std::move(self.run);  // its captures go away when it returns
    self.run = nullptr;
    return run(std::move(args));
    // kata: end
}

// Runs a greenlet's `run` and records how it ended: its value, or its exception, goes to the
// parent. GreenletExit is not an error: it is returned to the parent as a value.
void run_to_the_end(greenlet::Impl& self, detail::Context* from) {
    Value result;
    std::exception_ptr raised;
    try {
        result = call_run(self, from);
    } catch (const GreenletExit& exit) {
        // kata: begin step09 §4 replace
        result = exit;
        // kata: skeleton raised = std::current_exception();
        // kata: end
    } catch (...) {
        // kata: begin step08 §4 replace
        raised = std::current_exception();
        // kata: skeleton // §4: until then the exception is lost on the way to the parent.
        // kata: end
    }
    ThreadState& state = *thread_state();
    self.state = State::Dead;
    state.transfer = std::move(result);
    state.error = std::move(raised);
}

// The first frame of every greenlet's stack. It never returns: it leaves for good by switching
// to the parent, and it keeps nothing with a destructor on the stack it abandons.
[[maybe_unused]] [[noreturn]] void bootstrap(detail::Context* from) {
    greenlet::Impl* self = thread_state()->current.get();
    run_to_the_end(*self, from);
    ThreadState& state = *thread_state();
    state.next = self->parent;
    resolve_target(state);
    if (state.next->state == State::Unstarted) {
        start(*state.next);  // a finished greenlet may start its parent
    }
    state.previous = std::move(state.current);  // keeps this stack mapped until we are off it
    state.current = std::move(state.next);
    detail::switch_context(self->context, state.current->context, /*dying=*/true);
    __builtin_unreachable();
}

}  // namespace

greenlet getcurrent() {
    // kata: begin step01 §1
    ThreadState& state = state_or_error();
    if (state.current == nullptr) {
        state.main = make_main_greenlet();
        state.current = state.main;
        detail::install_overflow_handler();
    }
    return greenlet(state.current);
    // kata: end
}

Value greenlet::switch_(Value args) {
    if (impl_ == nullptr) [[unlikely]] {
        (void)get();  // throws
    }
    // kata: begin step02 §2
    return switch_to(impl_, std::move(args), nullptr);
    // kata: end
}

Value greenlet::throw_(std::exception_ptr exception) {
    if (impl_ == nullptr) [[unlikely]] {
        (void)get();  // throws
    }
    // kata: begin step09 §4
    if (!exception) {
        exception = std::make_exception_ptr(GreenletExit(""));
    }
    return switch_to(impl_, {}, std::move(exception));
    // kata: end
}

void greenlet::set_parent(const greenlet& parent) {
    // kata: begin step07 §4
    Impl& self = get();
    Impl& new_parent = parent.get();
    if (self.main) {
        throw AttributeError("cannot set the parent of a main greenlet");
    }
    for (const Impl* p = &new_parent; p != nullptr; p = p->parent.get()) {
        if (p == &self) {
            throw ValueError("cyclic parent chain");
        }
    }
    if (new_parent.thread != self.thread) {
        throw ValueError("parent cannot be on a different thread");
    }
    impl_->parent = parent.impl_;
    // kata: end
}

void kill(greenlet::Impl& victim) {
    // kata: begin step11 §4 replace
    // Its last handle is gone, so it runs on a handle that does not own it; the killer becomes
    // its parent, so that its end comes back here (greenlet's dealloc does both).
    ImplPtr borrowed(&victim, [](greenlet::Impl*) {});
    ThreadState& state = state_or_error();
    victim.parent = state.current;
    switch_to(borrowed, {},
              std::make_exception_ptr(
                  GreenletExit("Killing the greenlet because all references have vanished.")));
    // kata: skeleton (void)victim;  // §4: until then its frames are never run to the end
    // kata: end
}

}  // namespace py::greenlet
