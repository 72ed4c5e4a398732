// Chapter 08: what a call costs once the singleton exists, for each variant, against the C++
// standard library's own answers (the function-local static and std::call_once).
//
//   singleton_fetch/ours       DoubleCheckedSingleton::instance(): one acquire load
//   singleton_fetch/std        local_static<T>(): the compiler's guard byte
//   singleton_fetch/locked     LockedSingleton::instance(): a recursive_mutex every call
//   singleton_fetch/call_once  CallOnceSingleton::instance(): std::call_once on a done flag
//   once_done/ours, /std       py::singleton::call_once vs std::call_once on a done flag
// The *_contended workloads run the same fetch from two threads at once.
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>

#include "py/singleton.hpp"

namespace {

using py::singleton::Widget;

std::unique_ptr<Widget> make_widget() {
    return std::make_unique<Widget>("x");
}

struct StaticWidget : Widget {
    StaticWidget() : Widget("x") {}
};

py::singleton::DoubleCheckedSingleton& double_checked() {
    static py::singleton::DoubleCheckedSingleton singleton(make_widget);
    return singleton;
}
py::singleton::LockedSingleton& locked() {
    static py::singleton::LockedSingleton singleton(make_widget);
    return singleton;
}
py::singleton::CallOnceSingleton& call_once_singleton() {
    static py::singleton::CallOnceSingleton singleton(make_widget);
    return singleton;
}

template <class Get>
void fetch(benchmark::State& state, Get get) {
    (void)get();  // created before timing starts
    for (auto _ : state) {
        Widget& widget = get();
        benchmark::DoNotOptimize(&widget);
    }
}

void fetch_double_checked(benchmark::State& state) {
    fetch(state, []() -> Widget& { return double_checked().instance(); });
}
void fetch_local_static(benchmark::State& state) {
    fetch(state, []() -> Widget& { return py::singleton::local_static<StaticWidget>(); });
}
void fetch_locked(benchmark::State& state) {
    fetch(state, []() -> Widget& { return locked().instance(); });
}
void fetch_call_once(benchmark::State& state) {
    fetch(state, []() -> Widget& { return call_once_singleton().instance(); });
}

BENCHMARK(fetch_double_checked)->Name("singleton_fetch/ours");
BENCHMARK(fetch_local_static)->Name("singleton_fetch/std");
BENCHMARK(fetch_locked)->Name("singleton_fetch/locked");
BENCHMARK(fetch_call_once)->Name("singleton_fetch/call_once");

BENCHMARK(fetch_double_checked)->Name("singleton_fetch_contended/ours")->Threads(2);
BENCHMARK(fetch_local_static)->Name("singleton_fetch_contended/std")->Threads(2);
BENCHMARK(fetch_locked)->Name("singleton_fetch_contended/locked")->Threads(2);
BENCHMARK(fetch_call_once)->Name("singleton_fetch_contended/call_once")->Threads(2);

void once_done_ours(benchmark::State& state) {
    static py::singleton::OnceFlag flag;
    int runs = 0;
    const std::function<void()> fn = [&runs] { ++runs; };
    py::singleton::call_once(flag, fn);
    for (auto _ : state) {
        py::singleton::call_once(flag, fn);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(runs);
}
BENCHMARK(once_done_ours)->Name("once_done/ours");

void once_done_std(benchmark::State& state) {
    static std::once_flag flag;
    int runs = 0;
    std::call_once(flag, [&runs] { ++runs; });
    for (auto _ : state) {
        std::call_once(flag, [&runs] { ++runs; });
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(runs);
}
BENCHMARK(once_done_std)->Name("once_done/std");

}  // namespace
