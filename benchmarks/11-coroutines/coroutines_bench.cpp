// Chapter 11's hot operations next to their peers, in one run:
//   greenlet_switch    a round trip main -> greenlet -> main: ours, boost.context's fiber,
//                      glibc's swapcontext, and Python's greenlet (python3-greenlet)
//   greenlet_memory    resident memory per suspended greenlet one call deep (a counter)
//   generator_next     next() on an endless generator: ours and a Python generator
//   tasks_sleep0       100k tasks each awaiting sleep(0) ten times: ours, asyncio, uvloop
//   timers_50ms        10k timers of 50 ms started together: how late the last one fires
#include <benchmark/benchmark.h>
#include <ucontext.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cpython.hpp"
#include "py/asyncio.hpp"
#include "py/generator.hpp"
#include "py/greenlet.hpp"

#if WORKBOOK_HAVE_BOOST_CONTEXT
#include <boost/context/fiber.hpp>
#endif

namespace {

using py::greenlet::getcurrent;
using py::greenlet::greenlet;

void greenlet_switch_ours(benchmark::State& state) {
    greenlet main = getcurrent();
    bool stop = false;
    greenlet partner([&] {
        while (!stop) {
            main.switch_();
        }
    });
    for (auto _ : state) {
        partner.switch_();
    }
    stop = true;
    partner.switch_();
}
BENCHMARK(greenlet_switch_ours)->Name("greenlet_switch/ours");

#if WORKBOOK_HAVE_BOOST_CONTEXT
void greenlet_switch_boost(benchmark::State& state) {
    namespace ctx = boost::context;
    bool stop = false;
    ctx::fiber fiber{[&](ctx::fiber&& sink) {
        while (!stop) {
            sink = std::move(sink).resume();
        }
        return std::move(sink);
    }};
    for (auto _ : state) {
        fiber = std::move(fiber).resume();
    }
    stop = true;
    fiber = std::move(fiber).resume();
}
BENCHMARK(greenlet_switch_boost)->Name("greenlet_switch/boost_fiber");
#endif

ucontext_t main_context;
ucontext_t partner_context;
bool partner_stop = false;
void partner_body() {
    while (!partner_stop) {
        swapcontext(&partner_context, &main_context);
    }
}

void greenlet_switch_swapcontext(benchmark::State& state) {
    std::vector<char> stack(256 * 1024);
    getcontext(&partner_context);
    partner_context.uc_stack.ss_sp = stack.data();
    partner_context.uc_stack.ss_size = stack.size();
    partner_context.uc_link = &main_context;
    makecontext(&partner_context, partner_body, 0);
    partner_stop = false;
    for (auto _ : state) {
        swapcontext(&main_context, &partner_context);
    }
    partner_stop = true;
    swapcontext(&main_context, &partner_context);
}
BENCHMARK(greenlet_switch_swapcontext)->Name("greenlet_switch/swapcontext");

// Runs `script` (which prints seconds per operation) and reports that as each iteration's time.
void python_per_op(benchmark::State& state, const std::string& script) {
    for (auto _ : state) {
        double seconds = 0;
        try {
            seconds = std::stod(workbook::bench::run_python(script));
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            return;
        }
        state.SetIterationTime(seconds);
    }
}

void greenlet_switch_python(benchmark::State& state) {
    python_per_op(state, R"(
import time, greenlet
main = greenlet.getcurrent()
def run():
    while True:
        main.switch()
g = greenlet.greenlet(run)
n = 1000000
t = time.perf_counter()
for _ in range(n):
    g.switch()
print((time.perf_counter() - t) / n)
)");
}
BENCHMARK(greenlet_switch_python)
    ->Name("greenlet_switch/python_greenlet")
    ->UseManualTime()
    ->Iterations(3);

long resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    long size = 0;
    long resident = 0;
    statm >> size >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

// 30k, not 100k: each guard page splits a mapping in two, and vm.max_map_count is 65530.
void greenlet_memory(benchmark::State& state) {
    const int count = 30000;
    for (auto _ : state) {
        greenlet main = getcurrent();
        std::vector<greenlet> greenlets;
        greenlets.reserve(count);
        long before = resident_bytes();
        for (int i = 0; i < count; ++i) {
            greenlets.emplace_back([&main] { main.switch_(); });
            greenlets.back().switch_();  // suspended, one call deep
        }
        long after = resident_bytes();
        state.counters["rss_per_greenlet_bytes"] =
            static_cast<double>(after - before) / static_cast<double>(count);
        greenlets.clear();  // each is killed with GreenletExit
    }
}
BENCHMARK(greenlet_memory)
    ->Name("greenlet_memory_30k/ours")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

py::Generator<long> counter() {
    for (long i = 0;; ++i) {
        co_yield i;
    }
}

void generator_next_ours(benchmark::State& state) {
    py::Generator<long> gen = counter();
    for (auto _ : state) {
        benchmark::DoNotOptimize(gen.next());
    }
}
BENCHMARK(generator_next_ours)->Name("generator_next/ours");

void generator_next_python(benchmark::State& state) {
    python_per_op(state, R"(
import time
def counter():
    i = 0
    while True:
        yield i
        i += 1
g = counter()
n = 2000000
t = time.perf_counter()
for _ in range(n):
    next(g)
print((time.perf_counter() - t) / n)
)");
}
BENCHMARK(generator_next_python)->Name("generator_next/python")->UseManualTime()->Iterations(3);

constexpr int kTasks = 100000;

py::asyncio::Coroutine<void> ten_yields() {
    for (int i = 0; i < 10; ++i) {
        co_await py::asyncio::sleep(0);
    }
}

py::asyncio::Coroutine<void> spawn_all() {
    std::vector<py::asyncio::Task<void>> tasks;
    tasks.reserve(kTasks);
    for (int i = 0; i < kTasks; ++i) {
        tasks.push_back(py::asyncio::create_task(ten_yields()));
    }
    for (auto& task : tasks) {
        co_await task;
    }
}

void tasks_sleep0_ours(benchmark::State& state) {
    for (auto _ : state) {
        py::asyncio::run(spawn_all());
    }
}
BENCHMARK(tasks_sleep0_ours)
    ->Name("tasks_sleep0_100k/ours")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

const char* const kAsyncioScript = R"(
import asyncio, time, sys
async def ten():
    for _ in range(10):
        await asyncio.sleep(0)
async def main():
    tasks = [asyncio.create_task(ten()) for _ in range(100000)]
    for t in tasks:
        await t
if USE_UVLOOP:
    import uvloop
    uvloop.install()
t = time.perf_counter()
asyncio.run(main())
print(time.perf_counter() - t)
)";

void tasks_sleep0_python(benchmark::State& state, bool uvloop) {
    std::string script =
        std::string("USE_UVLOOP = ") + (uvloop ? "True" : "False") + kAsyncioScript;
    python_per_op(state, script);
}
BENCHMARK_CAPTURE(tasks_sleep0_python, asyncio, false)
    ->Name("tasks_sleep0_100k/asyncio")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tasks_sleep0_python, uvloop, true)
    ->Name("tasks_sleep0_100k/uvloop")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// 10k timers of 50 ms started together: the time from the start to the last one firing.
void timers_50ms(benchmark::State& state) {
    for (auto _ : state) {
        py::asyncio::EventLoop loop;
        int left = 10000;
        double start = loop.time();
        double last = 0;
        for (int i = 0; i < 10000; ++i) {
            loop.call_later(0.05, [&] {
                last = loop.time();
                if (--left == 0) {
                    loop.stop();
                }
            });
        }
        loop.run_forever();
        state.SetIterationTime(last - start);
        state.counters["late_ms"] = (last - start - 0.05) * 1000;
    }
}
BENCHMARK(timers_50ms)
    ->Name("timers_10k_50ms/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
