// Chapter 06 side by side with the C++ standard library: uncontended Lock/RLock against
// std::mutex/std::recursive_mutex, and a counter incremented by 2 and 4 threads under each.
#include <benchmark/benchmark.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "py/locks.hpp"

namespace {

// glibc skips the atomic instructions of pthread_mutex_lock/unlock while the process has never
// started a second thread (`__libc_single_threaded`, glibc 2.32+), so std::mutex measured in a
// single-threaded benchmark process costs a plain load and store, about 8 ns here against 25-30
// ns once any thread has existed. A lock exists for threads: every row is measured in a
// process that has started one, as every Python program that uses a Lock has. The flag is never
// reset, so one thread at start-up is enough.
[[maybe_unused]] const bool process_is_multithreaded = [] {
    std::thread([] {}).join();
    return true;
}();

void lock_uncontended_ours(benchmark::State& state) {
    py::threading::Lock lock;
    for (auto _ : state) {
        lock.acquire();
        benchmark::ClobberMemory();
        lock.release();
    }
}
BENCHMARK(lock_uncontended_ours)->Name("lock_acquire_release/ours");

void lock_uncontended_std(benchmark::State& state) {
    std::mutex mutex;
    for (auto _ : state) {
        mutex.lock();
        benchmark::ClobberMemory();
        mutex.unlock();
    }
}
BENCHMARK(lock_uncontended_std)->Name("lock_acquire_release/std");

void rlock_uncontended_ours(benchmark::State& state) {
    py::threading::RLock lock;
    for (auto _ : state) {
        lock.acquire();
        benchmark::ClobberMemory();
        lock.release();
    }
}
BENCHMARK(rlock_uncontended_ours)->Name("rlock_acquire_release/ours");

void rlock_uncontended_std(benchmark::State& state) {
    std::recursive_mutex mutex;
    for (auto _ : state) {
        mutex.lock();
        benchmark::ClobberMemory();
        mutex.unlock();
    }
}
BENCHMARK(rlock_uncontended_std)->Name("rlock_acquire_release/std");

constexpr long kIncrements = 1'000'000;

// `threads` threads share kIncrements increments of one counter under `mutex`.
template <class Mutex>
void counter(benchmark::State& state, int threads) {
    for (auto _ : state) {
        Mutex mutex;
        long value = 0;
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> workers;
        workers.reserve(static_cast<std::size_t>(threads));
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&] {
                for (long i = 0; i < kIncrements / threads; ++i) {
                    std::lock_guard guard(mutex);
                    ++value;
                }
            });
        }
        for (auto& worker : workers) {
            worker.join();
        }
        benchmark::DoNotOptimize(value);
        state.SetIterationTime(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
}

void counter2_ours(benchmark::State& state) {
    counter<py::threading::Lock>(state, 2);
}
void counter2_std(benchmark::State& state) {
    counter<std::mutex>(state, 2);
}
void counter4_ours(benchmark::State& state) {
    counter<py::threading::Lock>(state, 4);
}
void counter4_std(benchmark::State& state) {
    counter<std::mutex>(state, 4);
}
BENCHMARK(counter2_ours)
    ->Name("counter_2_threads/ours")
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(counter2_std)
    ->Name("counter_2_threads/std")
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(counter4_ours)
    ->Name("counter_4_threads/ours")
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(counter4_std)
    ->Name("counter_4_threads/std")
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

}  // namespace
