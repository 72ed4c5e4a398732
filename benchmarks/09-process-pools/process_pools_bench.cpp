// Chapter 09 side by side with CPython 3.11 (python3 run from the benchmark): the process pool
// with tiny tasks, starting and joining one process per start method, pickle dumps/loads of a
// 10k-item list of mixed small values, and the seed's log analysis on 8 generated files.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cpython.hpp"
#include "py/log_analysis.hpp"
#include "py/pickle.hpp"
#include "py/process_pool.hpp"
#include "workbook/main_guard.hpp"

namespace {

namespace mp = py::multiprocessing;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs python3 on a script file (spawn and forkserver children re-import the main module, so
// `python3 -c` would not do) that prints its own elapsed seconds.
bool python_seconds(benchmark::State& state, const std::string& script, double& seconds) {
#ifdef WORKBOOK_PYTHON3
    char path[] = "/tmp/workbook_bench_XXXXXX.py";
    const int fd = ::mkstemps(path, 3);
    if (fd >= 0) {
        (void)!::write(fd, script.data(), script.size());
        ::close(fd);
        const std::string command = std::string(WORKBOOK_PYTHON3) + " " + path;
        std::string out;
        if (FILE* pipe = ::popen(command.c_str(), "r")) {
            char buffer[256];
            while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
                out += buffer;
            }
            const int status = ::pclose(pipe);
            std::remove(path);
            if (status == 0 && !out.empty()) {
                seconds = std::stod(out);
                return true;
            }
        }
        std::remove(path);
    }
    state.SkipWithError("python3 failed");
    return false;
#else
    state.SkipWithError("no python3 found when this build was configured");
    return false;
#endif
}

const mp::Function identity("bench.identity", [](py::Tuple& args) {
    return py::Ref<py::Object>::borrow(args.item(0));
});

// --- 10k tiny tasks through a process pool ---------------------------------------------------

constexpr int kTasks = 10000;

void pool_10k_ours(benchmark::State& state) {
    for (auto _ : state) {
        py::concurrent::ProcessPoolExecutor pool;
        (void)pool.submit(identity, 0).result();  // workers started, as Python's warm-up below
        const auto start = Clock::now();
        std::vector<py::concurrent::ProcessFuture> futures;
        futures.reserve(kTasks);
        for (int i = 0; i < kTasks; ++i) {
            futures.push_back(pool.submit(identity, i));
        }
        long long sum = 0;
        for (auto& future : futures) {
            sum += future.result_as<long long>();
        }
        benchmark::DoNotOptimize(sum);
        const double elapsed = seconds_since(start);
        state.SetIterationTime(elapsed);
        state.counters["tasks_per_s"] = kTasks / elapsed;
    }
}
BENCHMARK(pool_10k_ours)
    ->Name("process_pool_10k_tasks/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void pool_10k_python(benchmark::State& state) {
    const std::string script = R"(
import time, concurrent.futures as cf
def task(n):
    return n
if __name__ == '__main__':
    with cf.ProcessPoolExecutor() as pool:
        pool.submit(task, 0).result()
        start = time.perf_counter()
        futures = [pool.submit(task, i) for i in range(10000)]
        total = sum(f.result() for f in futures)
        print(time.perf_counter() - start)
)";
    for (auto _ : state) {
        double elapsed = 0;
        if (!python_seconds(state, script, elapsed)) {
            return;
        }
        state.SetIterationTime(elapsed);
        state.counters["tasks_per_s"] = kTasks / elapsed;
    }
}
BENCHMARK(pool_10k_python)
    ->Name("process_pool_10k_tasks/python")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// --- start + join of one process, per start method --------------------------------------------

constexpr int kStarts = 20;

void start_join_ours(benchmark::State& state, const char* method) {
    for (auto _ : state) {
        const auto start = Clock::now();
        for (int i = 0; i < kStarts; ++i) {
            mp::Process child(identity, mp::make_args(0), {.start_method = method});
            child.start();
            child.join();
        }
        state.SetIterationTime(seconds_since(start) / kStarts);
    }
}

void start_join_python(benchmark::State& state, const char* method) {
    const std::string script = std::string(R"(
import time, multiprocessing as mp
def task():
    pass
if __name__ == '__main__':
    ctx = mp.get_context(')") + method +
                               R"(')
    p = ctx.Process(target=task); p.start(); p.join()   # forkserver: the server starts here
    start = time.perf_counter()
    for _ in range(20):
        p = ctx.Process(target=task); p.start(); p.join()
    print((time.perf_counter() - start) / 20)
)";
    for (auto _ : state) {
        double elapsed = 0;
        if (!python_seconds(state, script, elapsed)) {
            return;
        }
        state.SetIterationTime(elapsed);
    }
}

BENCHMARK_CAPTURE(start_join_ours, fork, "fork")
    ->Name("start_join_fork/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(start_join_python, fork, "fork")
    ->Name("start_join_fork/python")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(start_join_ours, spawn, "spawn")
    ->Name("start_join_spawn/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(start_join_python, spawn, "spawn")
    ->Name("start_join_spawn/python")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(start_join_ours, forkserver, "forkserver")
    ->Name("start_join_forkserver/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(start_join_python, forkserver, "forkserver")
    ->Name("start_join_forkserver/python")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMicrosecond);

// --- pickle of a 10k-item list of mixed small values -----------------------------------------

// [i, float(i), str(i), (i, None), True, ...]: the same list python3 builds below.
py::Ref<py::Object> mixed_list() {
    auto list = py::List::create();
    for (int i = 0; i < 2000; ++i) {
        list->append(py::Int::create(i).get());
        list->append(py::Float::create(i + 0.5).get());
        list->append(py::Str::create("item" + std::to_string(i)).get());
        list->append(mp::make_args(i, nullptr).get());
        list->append(py::to_bool(i % 2 == 0).get());
    }
    return list;
}

constexpr int kRounds = 100;

const char* const kPythonMixed = R"(
import pickle, time
data = []
for i in range(2000):
    data += [i, i + 0.5, 'item%d' % i, (i, None), i % 2 == 0]
)";

void pickle_dumps_ours(benchmark::State& state) {
    auto data = mixed_list();
    for (auto _ : state) {
        const auto start = Clock::now();
        for (int i = 0; i < kRounds; ++i) {
            benchmark::DoNotOptimize(py::pickle::dumps(data, 4));
        }
        state.SetIterationTime(seconds_since(start) / kRounds);
    }
}
BENCHMARK(pickle_dumps_ours)
    ->Name("pickle_dumps_10k_mixed/ours")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMicrosecond);

void pickle_loads_ours(benchmark::State& state) {
    const std::string bytes = py::pickle::dumps(mixed_list(), 4);
    for (auto _ : state) {
        const auto start = Clock::now();
        for (int i = 0; i < kRounds; ++i) {
            benchmark::DoNotOptimize(py::pickle::loads(bytes));
        }
        state.SetIterationTime(seconds_since(start) / kRounds);
    }
}
BENCHMARK(pickle_loads_ours)
    ->Name("pickle_loads_10k_mixed/ours")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMicrosecond);

void pickle_python(benchmark::State& state, const char* operation) {
    const std::string script =
        std::string(kPythonMixed) +
        (std::string(operation) == "dumps"
             ? "start = time.perf_counter()\nfor _ in range(100): pickle.dumps(data, 4)\n"
             : "b = pickle.dumps(data, 4)\nstart = time.perf_counter()\nfor _ in range(100): "
               "pickle.loads(b)\n") +
        "print((time.perf_counter() - start) / 100)\n";
    for (auto _ : state) {
        double elapsed = 0;
        if (!python_seconds(state, script, elapsed)) {
            return;
        }
        state.SetIterationTime(elapsed);
    }
}
BENCHMARK_CAPTURE(pickle_python, dumps, "dumps")
    ->Name("pickle_dumps_10k_mixed/python")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(pickle_python, loads, "loads")
    ->Name("pickle_loads_10k_mixed/python")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMicrosecond);

// --- the seed's log analysis: 8 files, 4M lines -----------------------------------------------

const std::string kLogDirectory = "/tmp/workbook_bench_logs_8x500k";

void ensure_logs() {
    if (!std::filesystem::exists(kLogDirectory + "/access_07.log")) {
        py::log_analysis::generate_logs(kLogDirectory, 8, 500000);
    }
}

void log_analysis_ours(benchmark::State& state) {
    ensure_logs();
    (void)py::log_analysis::analyze_directory(kLogDirectory, 4);  // page cache warm
    for (auto _ : state) {
        const auto start = Clock::now();
        const auto info = py::log_analysis::analyze_directory(kLogDirectory, 4);
        benchmark::DoNotOptimize(info.size());
        state.SetIterationTime(seconds_since(start));
    }
}
BENCHMARK(log_analysis_ours)
    ->Name("log_analysis_8_files_4M_lines/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void log_analysis_python(benchmark::State& state) {
    ensure_logs();
    // The seed's program (3.7), without its time.sleep(1), with the same pool of 4.
    const std::string script = R"(
import os, time
from concurrent.futures import ProcessPoolExecutor
D = ')" + kLogDirectory + R"('
def task(file_name):
    ip_set = set()
    total_count = ip_count = 0
    with open(os.path.join(D, file_name), mode='r', encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            user_ip = line.split(' - -', maxsplit=1)[0].split(', ')[0]
            total_count += 1
            if user_ip in ip_set:
                continue
            ip_count += 1
            ip_set.add(user_ip)
    return {'total': total_count, 'ip': ip_count}
def outer(info, file_name):
    def done(res, *args, **kwargs):
        info[file_name] = res.result()
    return done
if __name__ == '__main__':
    start = time.perf_counter()
    info = {}
    pool = ProcessPoolExecutor(4)
    for file_name in os.listdir(D):
        fur = pool.submit(task, file_name)
        fur.add_done_callback(outer(info, file_name))
    pool.shutdown(True)
    print(time.perf_counter() - start)
)";
    for (auto _ : state) {
        double elapsed = 0;
        if (!python_seconds(state, script, elapsed)) {
            return;
        }
        state.SetIterationTime(elapsed);
    }
}
BENCHMARK(log_analysis_python)
    ->Name("log_analysis_8_files_4M_lines/python")
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace
