// Chapter 10: moving data between processes. Ours against python3's multiprocessing (the same
// workload in a python3 process, timed by itself) and against a raw socketpair.
//
// - queue_200k: 200k small ints from a child to its parent through a Queue (vs /python).
// - pipe_1mib: 256 messages of 1 MiB from a child, Connection vs raw read/write (/socketpair).
// - value_inc_2proc: 2 processes x 100k increments of a Value under its lock (vs /python).
// - manager_dict_set_get: 5000 x (d[k] = i; d[k]) through a Manager dict proxy, against
//   Python's Manager (/python) and against as many bare round trips (/socketpair, the floor).
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>

#include "cpython.hpp"
#include "py/connection.hpp"
#include "py/managers.hpp"
#include "py/queues.hpp"
#include "py/scalars.hpp"
#include "py/sharedctypes.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class F>
pid_t fork_child(F body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        body();
        py::multiprocessing::util::exit_function();
        ::_exit(0);
    }
    return pid;
}

void wait_for(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
}

constexpr int kQueueMessages = 200000;

void queue_ours(benchmark::State& state) {
    for (auto _ : state) {
        py::multiprocessing::Queue queue;
        const auto start = Clock::now();
        const pid_t child = fork_child([&] {
            for (int i = 0; i < kQueueMessages; ++i) {
                queue.put(py::Int::create(i));
            }
        });
        for (int i = 0; i < kQueueMessages; ++i) {
            benchmark::DoNotOptimize(queue.get());
        }
        wait_for(child);
        state.SetIterationTime(seconds_since(start));
    }
    state.counters["msgs/s"] =
        benchmark::Counter(kQueueMessages * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(queue_ours)
    ->Name("queue_200k/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void queue_python(benchmark::State& state) {
    const std::string script = R"(
import multiprocessing as mp, time
def produce(q, n):
    for i in range(n):
        q.put(i)
if __name__ == "__main__":
    mp.set_start_method("fork")
    n = )" + std::to_string(kQueueMessages) +
                               R"(
    q = mp.Queue()
    start = time.perf_counter()
    p = mp.Process(target=produce, args=(q, n))
    p.start()
    for _ in range(n):
        q.get()
    p.join()
    print(time.perf_counter() - start)
)";
    for (auto _ : state) {
        state.SetIterationTime(std::stod(workbook::bench::run_python(script)));
    }
    state.counters["msgs/s"] =
        benchmark::Counter(kQueueMessages * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(queue_python)
    ->Name("queue_200k/python")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

constexpr int kPipeMessages = 256;
constexpr std::size_t kMebibyte = std::size_t{1} << 20;

void pipe_ours(benchmark::State& state) {
    const std::string message(kMebibyte, 'x');
    for (auto _ : state) {
        auto [reader, writer] = py::multiprocessing::Pipe();
        const auto start = Clock::now();
        const pid_t child = fork_child([&, &writer = writer] {
            for (int i = 0; i < kPipeMessages; ++i) {
                writer.send_bytes(message);
            }
        });
        std::string buffer;  // recv_bytes_into: one allocation for the whole run, as the peer's
        for (int i = 0; i < kPipeMessages; ++i) {
            benchmark::DoNotOptimize(reader.recv_bytes_into(buffer));
        }
        state.SetIterationTime(seconds_since(start));
        wait_for(child);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(kMebibyte) * kPipeMessages *
                            state.iterations());
}
BENCHMARK(pipe_ours)
    ->Name("pipe_1mib/ours")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

// The same bytes over a bare socketpair: write(2) everything, read(2) into a reused buffer.
void pipe_socketpair(benchmark::State& state) {
    const std::string message(kMebibyte, 'x');
    std::string buffer(kMebibyte, '\0');
    for (auto _ : state) {
        int fds[2];
        ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
        const auto start = Clock::now();
        const pid_t child = fork_child([&] {
            for (int i = 0; i < kPipeMessages; ++i) {
                std::size_t sent = 0;
                while (sent < message.size()) {
                    sent += static_cast<std::size_t>(
                        ::write(fds[1], message.data() + sent, message.size() - sent));
                }
            }
        });
        for (int i = 0; i < kPipeMessages; ++i) {
            std::size_t got = 0;
            while (got < buffer.size()) {
                got += static_cast<std::size_t>(
                    ::read(fds[0], buffer.data() + got, buffer.size() - got));
            }
            benchmark::DoNotOptimize(buffer.data());
        }
        state.SetIterationTime(seconds_since(start));
        wait_for(child);
        ::close(fds[0]);
        ::close(fds[1]);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(kMebibyte) * kPipeMessages *
                            state.iterations());
}
BENCHMARK(pipe_socketpair)
    ->Name("pipe_1mib/socketpair")
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

constexpr int kIncrements = 100000;

void value_ours(benchmark::State& state) {
    for (auto _ : state) {
        py::multiprocessing::Value<'i'> counter(0);
        auto work = [&] {
            for (int i = 0; i < kIncrements; ++i) {
                const std::lock_guard guard(counter.get_lock());
                counter.set_value(counter.value() + 1);
            }
        };
        const auto start = Clock::now();
        const pid_t a = fork_child(work);
        const pid_t b = fork_child(work);
        wait_for(a);
        wait_for(b);
        state.SetIterationTime(seconds_since(start));
        if (counter.value() != 2 * kIncrements) {
            state.SkipWithError("lost an update");
        }
    }
}
BENCHMARK(value_ours)
    ->Name("value_inc_2proc/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void value_python(benchmark::State& state) {
    const std::string script = R"(
import multiprocessing as mp, time
def work(v, n):
    for _ in range(n):
        with v.get_lock():
            v.value += 1
if __name__ == "__main__":
    mp.set_start_method("fork")
    n = )" + std::to_string(kIncrements) +
                               R"(
    v = mp.Value("i", 0)
    start = time.perf_counter()
    ps = [mp.Process(target=work, args=(v, n)) for _ in range(2)]
    for p in ps: p.start()
    for p in ps: p.join()
    assert v.value == 2 * n
    print(time.perf_counter() - start)
)";
    for (auto _ : state) {
        state.SetIterationTime(std::stod(workbook::bench::run_python(script)));
    }
}
BENCHMARK(value_python)
    ->Name("value_inc_2proc/python")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace

namespace {

constexpr int kManagerRounds = 5000;

void manager_ours(benchmark::State& state) {
    py::multiprocessing::managers::SyncManager manager;
    manager.start();
    auto dict = manager.dict();
    const auto key = py::Str::create("key");
    for (auto _ : state) {
        const auto start = Clock::now();
        for (int i = 0; i < kManagerRounds; ++i) {
            dict.setitem(key.get(), py::Int::create(i).get());
            benchmark::DoNotOptimize(dict.getitem(key.get()));
        }
        state.SetIterationTime(seconds_since(start));
    }
    state.counters["round trips/s"] =
        benchmark::Counter(kManagerRounds * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(manager_ours)
    ->Name("manager_dict_set_get/ours")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void manager_python(benchmark::State& state) {
    const std::string script = R"(
import multiprocessing as mp, time
if __name__ == "__main__":
    n = )" + std::to_string(kManagerRounds) +
                               R"(
    with mp.Manager() as manager:
        d = manager.dict()
        start = time.perf_counter()
        for i in range(n):
            d["key"] = i
            d["key"]
        print(time.perf_counter() - start)
)";
    for (auto _ : state) {
        state.SetIterationTime(std::stod(workbook::bench::run_python(script)));
    }
    state.counters["round trips/s"] =
        benchmark::Counter(kManagerRounds * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(manager_python)
    ->Name("manager_dict_set_get/python")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// The floor under any server-process design: the same number of round trips (two per round)
// between two processes over a bare socketpair, a 64-byte request answered by 16 bytes, one
// write and one read on each side per message. A manager cannot beat this without spinning; the
// ratio says how much of its time is its own (pickling, framing, dispatch) and how much is the
// kernel waking the other process.
void manager_socketpair(benchmark::State& state) {
    constexpr std::size_t kRequest = 64;
    constexpr std::size_t kReply = 16;
    constexpr int kMessages = 2 * kManagerRounds;
    for (auto _ : state) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
            state.SkipWithError("socketpair failed");
            return;
        }
        const pid_t child = fork_child([&] {
            ::close(fds[0]);
            char request[kRequest];
            const char reply[kReply] = {};
            for (int i = 0; i < kMessages; ++i) {
                std::size_t got = 0;
                while (got < kRequest) {
                    const ssize_t n = ::read(fds[1], request + got, kRequest - got);
                    if (n <= 0) {
                        ::_exit(1);
                    }
                    got += static_cast<std::size_t>(n);
                }
                if (::write(fds[1], reply, kReply) != static_cast<ssize_t>(kReply)) {
                    ::_exit(1);
                }
            }
        });
        ::close(fds[1]);
        const char request[kRequest] = {};
        char reply[kReply];
        const auto start = Clock::now();
        for (int i = 0; i < kMessages; ++i) {
            if (::write(fds[0], request, kRequest) != static_cast<ssize_t>(kRequest)) {
                state.SkipWithError("write failed");
                break;
            }
            std::size_t got = 0;
            while (got < kReply) {
                const ssize_t n = ::read(fds[0], reply + got, kReply - got);
                if (n <= 0) {
                    state.SkipWithError("read failed");
                    break;
                }
                got += static_cast<std::size_t>(n);
            }
        }
        state.SetIterationTime(seconds_since(start));
        ::close(fds[0]);
        wait_for(child);
    }
    state.counters["round trips/s"] =
        benchmark::Counter(kManagerRounds * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(manager_socketpair)
    ->Name("manager_dict_set_get/socketpair")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
