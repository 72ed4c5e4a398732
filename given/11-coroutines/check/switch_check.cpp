// A standalone check of py_greenlet_swap on whatever architecture it is compiled for: CI runs it
// on aarch64 under qemu-user (.ci/run), where the chapter's test binary does not run.
//
//   aarch64-linux-gnu-g++ -std=c++20 -O2 switch_check.cpp -o switch_check
//   qemu-aarch64 -L /usr/aarch64-linux-gnu ./switch_check
//
// Two contexts ping-pong values; each keeps its own rounding mode and a value computed across
// the switches in callee-saved registers; a deep recursion on the small stack proves the stack
// really changed. Exit status 0 and "switch check: ok" when everything holds.
#include <sys/mman.h>

#include <cfenv>
#include <cstdio>
#include <cstdlib>

#include "../src/switch_asm.hpp"

namespace {

void* main_sp = nullptr;
void* coro_sp = nullptr;
int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

// Sums with values that stay live across calls, so the compiler keeps them in callee-saved
// registers.
__attribute__((noinline)) long depth_sum(int n) {
    volatile char pad[256];
    pad[0] = static_cast<char>(n);
    return n == 0 ? 0 : n + depth_sum(n - 1) + pad[0] - static_cast<char>(n);
}

__attribute__((noinline)) double add(double a, double b) {
    volatile double x = a;
    volatile double y = b;
    return x + y;
}

void coroutine(void* arg) {
    long value = reinterpret_cast<long>(arg);
    std::fesetround(FE_UPWARD);
    double kept = 3.25;
    for (int i = 0; i < 1000; ++i) {
        value = reinterpret_cast<long>(
            py_greenlet_swap(&coro_sp, main_sp, reinterpret_cast<void*>(value + 1)));
        check(std::fegetround() == FE_UPWARD, "the coroutine keeps its rounding mode");
        kept += 1.0;
    }
    check(kept == 1003.25, "a double survives 1000 switches");
    check(add(1.0, 1e-30) > 1.0, "rounding upward inside the coroutine");
    check(depth_sum(200) == 20100, "recursion on the coroutine's stack");
    py_greenlet_swap(&coro_sp, main_sp, reinterpret_cast<void*>(-1L));
    std::abort();  // never resumed
}

}  // namespace

int main() {
    const std::size_t size = 256 * 1024;
    void* stack = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) {
        return 2;
    }
    void* top = static_cast<char*>(stack) + size;
    coro_sp = py::greenlet::detail::py_greenlet_prepare_stack(top, &coroutine);
    long sum = 0;
    long kept = 12345;
    long value =
        reinterpret_cast<long>(py_greenlet_swap(&main_sp, coro_sp, reinterpret_cast<void*>(1L)));
    for (int i = 0; i < 1000; ++i) {
        check(std::fegetround() == FE_TONEAREST, "main keeps its rounding mode");
        sum += value;
        kept += 1;
        value = reinterpret_cast<long>(
            py_greenlet_swap(&main_sp, coro_sp, reinterpret_cast<void*>(value)));
    }
    check(value == -1, "the coroutine's last value");
    check(sum == 501500, "values crossed every switch both ways (2 + 3 + ... + 1001)");
    check(kept == 13345, "a long survives 1000 switches");
    check(add(1.0, 1e-30) == 1.0, "main rounds to nearest");
    munmap(stack, size);
    if (failures != 0) {
        return 1;
    }
    std::printf("switch check: ok (sum %ld)\n", sum);
    return 0;
}
