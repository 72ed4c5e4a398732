// The inside of a py::greenlet and the per-thread switching state (given, not a kata).
#pragma once

#include <exception>
#include <memory>
#include <thread>

#include "context.hpp"
#include "py/greenlet.hpp"

namespace py::greenlet {

struct greenlet::Impl {
    enum class State { Unstarted, Active, Dead };

    Run run;                         // released when the greenlet starts running it
    std::shared_ptr<Impl> parent;    // strong, like greenlet's; null for a main greenlet
    std::thread::id thread;          // the thread it belongs to (greenlets never migrate)
    std::size_t stack_size = 0;      // requested usable size
    State state = State::Unstarted;  // a main greenlet is Active from birth
    bool main = false;
    detail::Context context;
    void* mapping = nullptr;  // the whole mmap'd region: guard page + stack
    std::size_t mapping_size = 0;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl();
};

using ImplPtr = std::shared_ptr<greenlet::Impl>;

// Everything a switch hands over, kept per thread rather than on a stack: the code that leaves a
// greenlet for good must not leave objects with destructors on the stack it abandons.
struct ThreadState {
    ImplPtr main;              // created by the first getcurrent() on the thread
    ImplPtr current;           // the greenlet running now
    ImplPtr next;              // where the switch in progress goes
    ImplPtr previous;          // the greenlet just left: alive until its stack has been left
    Value transfer;            // what the switch carries: a value...
    std::exception_ptr error;  // ...or an exception to raise at the arrival point
};

// The calling thread's state once it exists (see thread_state()). The chapter is a shared
// library: a plain thread_local there is reached through a call to __tls_get_addr, several times
// per switch. The library is loaded with the program, never dlopen'ed, so the initial-exec model
// (a fixed offset from the thread pointer, one instruction) is valid; constinit and a trivial type
// mean no per-access initialisation guard either.
[[gnu::tls_model("initial-exec")]] inline constinit thread_local ThreadState* tls_state = nullptr;

// Creates the calling thread's state the first time; null while the thread is exiting.
ThreadState* thread_state_slow() noexcept;

// The calling thread's state; null while the thread is exiting (its state is gone).
inline ThreadState* thread_state() noexcept {
    ThreadState* state = tls_state;
    return state != nullptr ? state : thread_state_slow();
}

// A new main greenlet for the calling thread: Active, no parent, no stack of its own.
ImplPtr make_main_greenlet();
// Owns a new Impl with the deleter that kills a suspended greenlet first (see destroy()).
ImplPtr make_greenlet_impl();
// "<greenlet.greenlet object at 0x...>", written into context.name for the overflow message.
void name_context(greenlet::Impl& impl);

// The stack of a greenlet that starts now: `stack_size` usable bytes above a guard page.
void allocate_stack(greenlet::Impl& impl);
void free_stack(greenlet::Impl& impl) noexcept;

// The deleter of every Impl: a greenlet that was started and not finished still has frames on
// its stack. kill() runs them to the end by throwing GreenletExit in; then the Impl is deleted.
void destroy(greenlet::Impl* impl) noexcept;
void kill(greenlet::Impl& victim);

}  // namespace py::greenlet
