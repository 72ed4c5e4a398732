// Chapter 05 side by side: the thread pool against Python's own ThreadPoolExecutor, and the
// GIL's two claims from the seed (CPU-bound threads do not speed up; blocking ones overlap).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cpython.hpp"
#include "py/concurrent.hpp"
#include "py/gil.hpp"
#include "py/threading.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kTasks = 100000;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// 100k tiny tasks submitted to a default-sized pool, then every result awaited.
void pool_100k_ours(benchmark::State& state) {
    for (auto _ : state) {
        py::concurrent::ThreadPoolExecutor pool;
        const auto start = Clock::now();
        std::vector<py::concurrent::Future<int>> futures;
        futures.reserve(kTasks);
        for (int i = 0; i < kTasks; ++i) {
            futures.push_back(pool.submit([](int n) { return n; }, i));
        }
        long sum = 0;
        for (auto& future : futures) {
            sum += future.result();
        }
        benchmark::DoNotOptimize(sum);
        const double elapsed = seconds_since(start);
        state.SetIterationTime(elapsed);
        state.counters["tasks_per_s"] = kTasks / elapsed;
    }
}
BENCHMARK(pool_100k_ours)
    ->Name("pool_100k_tasks/ours")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

void pool_100k_python(benchmark::State& state) {
    const std::string script = R"(
import time, concurrent.futures as cf
def task(n):
    return n
with cf.ThreadPoolExecutor() as pool:
    start = time.perf_counter()
    futures = [pool.submit(task, i) for i in range(100000)]
    total = sum(f.result() for f in futures)
    print(time.perf_counter() - start)
)";
    for (auto _ : state) {
        double elapsed = 0;
        try {
            elapsed = std::stod(workbook::bench::run_python(script));
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            return;
        }
        state.SetIterationTime(elapsed);
        state.counters["tasks_per_s"] = kTasks / elapsed;
    }
}
BENCHMARK(pool_100k_python)
    ->Name("pool_100k_tasks/python")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// CPU-bound work (the seed's counting loop) under the GIL, with a check point per iteration.
constexpr long kCount = 20'000'000;

void count_under_gil(long n) {
    py::gil::Hold hold;
    long result = 0;
    for (long i = 0; i < n; ++i) {
        result += 1;
        benchmark::DoNotOptimize(result);
        py::gil::yield_if_requested();
    }
}

void count_without_gil(long n) {
    long result = 0;
    for (long i = 0; i < n; ++i) {
        result += 1;
        benchmark::DoNotOptimize(result);
    }
}

template <class Work>
double two_threads(Work work, long each) {
    const auto start = Clock::now();
    py::threading::Thread first(work, std::tuple<long>(each));
    py::threading::Thread second(work, std::tuple<long>(each));
    first.start();
    second.start();
    first.join();
    second.join();
    return seconds_since(start);
}

// Two threads, half the count each, both under the GIL.
void gil_cpu_two_threads(benchmark::State& state) {
    for (auto _ : state) {
        state.SetIterationTime(two_threads(count_under_gil, kCount / 2));
    }
}
BENCHMARK(gil_cpu_two_threads)
    ->Name("gil_cpu_bound/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// One thread doing the whole count under the GIL.
void gil_cpu_one_thread(benchmark::State& state) {
    for (auto _ : state) {
        const auto start = Clock::now();
        count_under_gil(kCount);
        state.SetIterationTime(seconds_since(start));
    }
}
BENCHMARK(gil_cpu_one_thread)
    ->Name("gil_cpu_bound/one_thread")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// The same two threads without the GIL: what two cores could do.
void gil_cpu_no_gil(benchmark::State& state) {
    for (auto _ : state) {
        state.SetIterationTime(two_threads(count_without_gil, kCount / 2));
    }
}
BENCHMARK(gil_cpu_no_gil)
    ->Name("gil_cpu_bound/no_gil")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// Blocking work (a 50 ms wait, like a download) that drops the GIL while it waits.
void blocking_call(long millis) {
    py::gil::Hold hold;
    py::gil::Release around_the_wait;
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
}

void gil_blocking_two_threads(benchmark::State& state) {
    for (auto _ : state) {
        state.SetIterationTime(two_threads(blocking_call, 50));
    }
}
BENCHMARK(gil_blocking_two_threads)
    ->Name("gil_blocking/ours")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

void gil_blocking_sequential(benchmark::State& state) {
    for (auto _ : state) {
        const auto start = Clock::now();
        blocking_call(50);
        blocking_call(50);
        state.SetIterationTime(seconds_since(start));
    }
}
BENCHMARK(gil_blocking_sequential)
    ->Name("gil_blocking/one_thread")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace
