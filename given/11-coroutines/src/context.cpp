// The machine context switch and its sanitizer bookkeeping (given; see context.hpp).
#include "context.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "switch_asm.hpp"

namespace py::greenlet::detail {

void prepare_context(Context& context, Entry entry) {
    void* top = static_cast<char*>(context.bottom) + context.size;
    context.sp = py_greenlet_prepare_stack(top, reinterpret_cast<void (*)(void*)>(entry));
#ifdef PY_GREENLET_TSAN
    context.tsan_fiber = __tsan_create_fiber(0);
    context.owns_tsan_fiber = true;
#endif
}

void forget_stack_memory(void* memory, std::size_t size) noexcept {
#ifdef PY_GREENLET_ASAN
    __asan_unpoison_memory_region(memory, size);
#endif
    (void)memory;
    (void)size;
}

void release_context(Context& context) noexcept {
#ifdef PY_GREENLET_TSAN
    if (context.owns_tsan_fiber && context.tsan_fiber != nullptr) {
        __tsan_destroy_fiber(context.tsan_fiber);
    }
#endif
    context.tsan_fiber = nullptr;
    context.owns_tsan_fiber = false;
}

namespace {

struct sigaction previous_action {};

void write_all(const char* text) {
    std::size_t length = std::strlen(text);
    while (length > 0) {
        ssize_t n = ::write(STDERR_FILENO, text, length);
        if (n <= 0) {
            return;
        }
        text += n;
        length -= static_cast<std::size_t>(n);
    }
}

// Async-signal-safe: reads the running context of the faulting thread and writes with write(2).
void on_segv(int signo, siginfo_t* info, void* ucontext) {
    const Context* context = running;
    auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    if (context != nullptr && context->guard != nullptr) {
        auto guard = reinterpret_cast<std::uintptr_t>(context->guard);
        if (address >= guard && address < guard + context->guard_size) {
            write_all("Fatal Python error: greenlet stack overflow in ");
            write_all(context->name);
            write_all(
                " (the guard page below its stack was touched; give it a larger stack_size)\n");
            std::abort();  // Py_FatalError's end (a test harness may flush coverage on SIGABRT)
        }
    }
    // Not ours: hand the fault to whoever handled it before us.
    if ((previous_action.sa_flags & SA_SIGINFO) != 0 && previous_action.sa_sigaction != nullptr) {
        previous_action.sa_sigaction(signo, info, ucontext);
        return;
    }
    if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
        previous_action.sa_handler != nullptr) {
        previous_action.sa_handler(signo);
        return;
    }
    ::signal(SIGSEGV, SIG_DFL);  // returning re-executes the access and dies of it as usual
}

struct AltStack {
    void* memory = nullptr;
    std::size_t size = 0;
    AltStack() {
        size = std::size_t{64} * 1024;
        memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) {
            memory = nullptr;
            return;
        }
        stack_t stack{};
        stack.ss_sp = memory;
        stack.ss_size = size;
        ::sigaltstack(&stack, nullptr);
    }
    ~AltStack() {
        if (memory != nullptr) {
            stack_t disable{};
            disable.ss_flags = SS_DISABLE;
            ::sigaltstack(&disable, nullptr);
            ::munmap(memory, size);
        }
    }
    AltStack(const AltStack&) = delete;
    AltStack& operator=(const AltStack&) = delete;
};

}  // namespace

void install_overflow_handler() {
    // The handler cannot run on the overflowed stack: each thread that runs greenlets gets a
    // small alternate signal stack.
    thread_local AltStack alt_stack;
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action {};
        action.sa_sigaction = &on_segv;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGSEGV, &action, &previous_action);
    });
}

}  // namespace py::greenlet::detail
