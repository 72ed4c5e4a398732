// A machine context for py::greenlet: a saved stack pointer, the stack it points into, and what
// the sanitizers need to know about it. Given code (not a kata): the assembly is shown and
// explained in chapters/11-coroutines/README.md §3.
#pragma once

#include <cstddef>

namespace py::greenlet::detail {

struct Context {
    void* sp = nullptr;  // where py_greenlet_swap left the saved registers; null while running
    // The stack's lowest usable address and size (the guard page lies just below `bottom`).
    // The main context of a thread learns its own from AddressSanitizer, or leaves them null.
    void* bottom = nullptr;
    std::size_t size = 0;
    void* guard = nullptr;  // the guard page, PROT_NONE; null for a thread's own stack
    std::size_t guard_size = 0;
    // A short description for the stack overflow message ("<greenlet.greenlet object at 0x...>").
    char name[80] = {};
    void* asan_fake_stack = nullptr;  // AddressSanitizer's fake stack of this context
    void* tsan_fiber = nullptr;       // ThreadSanitizer's fiber of this context
    bool owns_tsan_fiber = false;
};

using Entry = void (*)(Context* from);

// Lays out the first frame on `context`'s stack so that the first switch to it calls
// entry(the context that switched). The entry function must never return; it leaves for good
// with switch_context(..., dying=true).
void prepare_context(Context& context, Entry entry);

// Saves the running code into `from` and resumes `to`. Returns when something switches back to
// `from`, with the context that did. `dying`: `from` is never resumed (its stack may be freed).
Context* switch_context(Context& from, Context& to, bool dying = false);

// Called first thing on a context that was just resumed or started, with the context that
// switched to it (the value switch_context returned, or entry's argument).
void finish_switch(Context& self, Context* from);

// Tells AddressSanitizer that a stack's memory is about to be unmapped: frames that never
// returned (a finished greenlet leaves for good from inside its entry function) left their
// poisoned red zones behind, which a later mapping at the same address must not inherit.
void forget_stack_memory(void* memory, std::size_t size) noexcept;

// Releases the sanitizer state of a context that will never run again.
void release_context(Context& context) noexcept;

// Installs (once per process) the SIGSEGV handler that turns a fault in a greenlet's guard page
// into "Fatal Python error: greenlet stack overflow in ...", and gives the calling thread an
// alternate signal stack to run it on (once per thread).
void install_overflow_handler();

}  // namespace py::greenlet::detail
