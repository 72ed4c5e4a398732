// The context switch itself: a few instructions per architecture, written out so that the
// lesson can show every one (chapters/11-coroutines/README.md §3).
//
//   void* py_greenlet_swap(void** save_sp, void* new_sp, void* arg);
//
// pushes the callee-saved state of the running code onto its own stack, stores the stack pointer
// in *save_sp, loads new_sp and pops the state that was pushed there when that stack was left,
// then returns `arg` -- but it returns on the other stack, from the py_greenlet_swap call that
// stack made earlier. Caller-saved registers need no saving: the compiler already assumes a
// call clobbers them.
//
// A fresh stack is prepared (py_greenlet_prepare_stack) with a frame that looks as if it had
// called py_greenlet_swap: popping it "returns" into py_greenlet_trampoline, which calls
// entry(arg) with the entry function taken from a callee-saved register slot.
//
// This header is included by exactly one .cpp file per program (context.cpp, and the standalone
// aarch64 check in given/11-coroutines/check): it defines the functions with top-level asm.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
void* py_greenlet_swap(void** save_sp, void* new_sp, void* arg);
void py_greenlet_trampoline();
}

#if defined(__x86_64__)
// System V AMD64: rbx, rbp, r12-r15 are callee-saved, and so are the control bits of MXCSR and
// the x87 control word (rounding mode, exception masks). 6 pushes + 16 bytes for the two
// control words keep the stack 16-byte aligned as it was at the call.
__asm__(R"(
    .text
    .globl py_greenlet_swap
    .type py_greenlet_swap, @function
    .p2align 4
py_greenlet_swap:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    stmxcsr 8(%rsp)
    fnstcw (%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    fldcw (%rsp)
    ldmxcsr 8(%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    movq %rdx, %rax
    ret
    .cfi_endproc
    .size py_greenlet_swap, .-py_greenlet_swap

    .globl py_greenlet_trampoline
    .type py_greenlet_trampoline, @function
    .p2align 4
py_greenlet_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %rax, %rdi
    xorl %ebp, %ebp
    callq *%r12
    ud2
    .cfi_endproc
    .size py_greenlet_trampoline, .-py_greenlet_trampoline
)");

// Slots of the frame py_greenlet_swap pops, from the saved stack pointer upwards.
namespace py::greenlet::detail {
inline void* py_greenlet_prepare_stack(void* stack_top, void (*entry)(void*)) {
    auto* top = static_cast<unsigned char*>(stack_top);
    top -= reinterpret_cast<std::uintptr_t>(top) & 15U;  // 16-byte aligned
    // The return address sits at an address = 8 (mod 16): after `ret` pops it the trampoline
    // runs with rsp 16-byte aligned, so its `call` gives entry() the alignment the ABI promises.
    auto* ret = reinterpret_cast<std::uint64_t*>(
        top - 24);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    *ret = reinterpret_cast<std::uint64_t>(&py_greenlet_trampoline);
    std::uint64_t* regs = ret - 6;  // r15 r14 r13 r12 rbx rbp, lowest address first
    for (int i = 0; i < 6; ++i) {
        regs[i] = 0;
    }
    regs[3] = reinterpret_cast<std::uint64_t>(entry);  // r12
    auto* control = reinterpret_cast<std::uint32_t*>(regs - 2);
    control[0] =
        0x037F;  // x87 control word: Linux's default (all exceptions masked, round to nearest)
    control[1] = 0;
    control[2] = 0x1F80;  // MXCSR: the default (all exceptions masked, round to nearest)
    control[3] = 0;
    return control;
}
}  // namespace py::greenlet::detail

#elif defined(__aarch64__)
// AAPCS64: x19-x28, the frame pointer x29, the link register x30 and the low halves of v8-v15
// (d8-d15) are callee-saved, and so is FPCR (rounding mode, flush-to-zero). 176 bytes keep sp
// 16-byte aligned. `ret` jumps to the restored x30.
__asm__(R"(
    .text
    .globl py_greenlet_swap
    .type py_greenlet_swap, %function
    .p2align 4
py_greenlet_swap:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldr x9, [sp, #160]
    msr fpcr, x9
    add sp, sp, #176
    mov x0, x2
    ret
    .size py_greenlet_swap, .-py_greenlet_swap

    .globl py_greenlet_trampoline
    .type py_greenlet_trampoline, %function
    .p2align 4
py_greenlet_trampoline:
    mov x29, #0
    blr x19
    brk #0
    .size py_greenlet_trampoline, .-py_greenlet_trampoline
)");

namespace py::greenlet::detail {
inline void* py_greenlet_prepare_stack(void* stack_top, void (*entry)(void*)) {
    auto* top = static_cast<unsigned char*>(stack_top);
    top -= reinterpret_cast<std::uintptr_t>(top) & 15U;  // 16-byte aligned
    auto* frame = reinterpret_cast<std::uint64_t*>(top - 176 - 16);
    for (int i = 0; i < 22; ++i) {
        frame[i] = 0;
    }
    frame[0] = reinterpret_cast<std::uint64_t>(entry);                     // x19
    frame[11] = reinterpret_cast<std::uint64_t>(&py_greenlet_trampoline);  // x30
    frame[20] = 0;                                                         // FPCR: the default
    return frame;
}
}  // namespace py::greenlet::detail

#else
#error "py::greenlet has a context switch for x86-64 and aarch64 only"
#endif
