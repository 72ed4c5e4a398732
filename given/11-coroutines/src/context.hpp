// A machine context for py::greenlet: a saved stack pointer, the stack it points into, and what
// the sanitizers need to know about it. Given code (not a kata): the assembly is shown and
// explained in chapters/11-coroutines/README.md §3.
#pragma once

#include <cstddef>

// AddressSanitizer keeps shadow state per stack and ThreadSanitizer per thread of execution:
// both must be told when the stack changes under them, or they report bogus errors.
#if defined(__SANITIZE_ADDRESS__)
#define PY_GREENLET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PY_GREENLET_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define PY_GREENLET_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PY_GREENLET_TSAN 1
#endif
#endif

#ifdef PY_GREENLET_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef PY_GREENLET_TSAN
#include <sanitizer/tsan_interface.h>
#endif

// The assembly of switch_asm.hpp (defined once, in context.cpp).
extern "C" void* py_greenlet_swap(void** save_sp, void* new_sp, void* arg);

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

// The context running on this thread, for the stack overflow handler. initial-exec: the chapter
// is a shared library loaded with the program (never dlopen'ed), so this is one instruction away
// rather than a call to __tls_get_addr on every switch.
[[gnu::tls_model("initial-exec")]] inline constinit thread_local Context* running = nullptr;

// Saves the running code into `from` and resumes `to`. Returns when something switches back to
// `from`, with the context that did. `dying`: `from` is never resumed (its stack may be freed).
// Inline, as finish_switch: they run on every switch, and a call into a shared library goes
// through its PLT.
inline Context* switch_context(Context& from, Context& to, bool dying = false) {
#ifdef PY_GREENLET_ASAN
    __sanitizer_start_switch_fiber(dying ? nullptr : &from.asan_fake_stack, to.bottom, to.size);
#endif
#ifdef PY_GREENLET_TSAN
    if (from.tsan_fiber == nullptr) {
        from.tsan_fiber = __tsan_get_current_fiber();
    }
    __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
    (void)dying;
    void* target = to.sp;
    to.sp = nullptr;
    running = &to;
    return static_cast<Context*>(py_greenlet_swap(&from.sp, target, &from));
}

// Called first thing on a context that was just resumed or started, with the context that
// switched to it (the value switch_context returned, or entry's argument).
inline void finish_switch(Context& self, Context* from) {
#ifdef PY_GREENLET_ASAN
    const void* bottom = nullptr;
    std::size_t size = 0;
    __sanitizer_finish_switch_fiber(self.asan_fake_stack, &bottom, &size);
    // A thread's own stack is never prepared by us: learn its bounds the first time we leave it.
    if (from != nullptr && from->bottom == nullptr) {
        from->bottom = const_cast<void*>(bottom);
        from->size = size;
    }
#endif
    (void)from;
    running = &self;
}

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
