// The GIL, drawn: which thread held it when, as a Chrome trace (the JSON that chrome://tracing
// and https://ui.perfetto.dev open). Used by Step19 when WORKBOOK_GIL_TRACE=file.json is set;
// chapters/05-threads/images/gil-switching.{json,svg} come from such a run.
//
// Recorded from the outside, without touching the GIL's code: a thread holds the GIL from the
// moment its Hold is constructed until the check point at which yield_if_requested() drops it,
// and again from the moment yield_if_requested() returns true. The gap between the two is the
// time it waited for the GIL to come back.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "py/gil.hpp"

namespace gil_trace {

using Clock = std::chrono::steady_clock;

struct Slice {
    int thread;  // 0, 1, ...
    bool holds;  // true: holds the GIL; false: waits for it
    Clock::time_point begin;
    Clock::time_point end;
};

class Recorder {
  public:
    // Runs `threads` CPU-bound threads under the GIL for `each` of wall-clock time apiece,
    // calling the check point in their loops, and records who held the GIL when. A demo for the
    // picture: it decides nothing.
    template <class ThreadType>
    void run_cpu_bound(int threads, std::chrono::milliseconds each) {
        origin_ = Clock::now();
        std::vector<std::unique_ptr<ThreadType>> workers;
        workers.reserve(static_cast<std::size_t>(threads));
        for (int t = 0; t < threads; ++t) {
            workers.push_back(std::make_unique<ThreadType>([this, t, each] {
                const auto wanted = Clock::now();
                py::gil::Hold hold;
                auto start = Clock::now();
                add({t, false, wanted, start});
                const auto until = start + each;
                std::uint64_t spins = 0;
                while (Clock::now() < until) {
                    ++spins;  // the "bytecode"
                    const auto before = Clock::now();
                    if (py::gil::yield_if_requested()) {
                        const auto after = Clock::now();
                        add({t, true, start, before});
                        add({t, false, before, after});
                        start = after;
                    }
                }
                add({t, true, start, Clock::now()});
            }));
        }
        for (auto& worker : workers) {
            worker->start();
        }
        for (auto& worker : workers) {
            worker->join();
        }
    }

    // The Chrome trace JSON ("X" complete events in microseconds, one track per thread).
    void write(const std::string& path) const {
        std::ofstream out(path);
        out << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
        std::vector<int> named;
        bool first = true;
        for (const Slice& slice : slices_) {
            bool known = false;
            for (int n : named) {
                known = known || n == slice.thread;
            }
            if (!known) {
                named.push_back(slice.thread);
                out << (first ? "" : ",\n")
                    << R"(  {"name": "thread_name", "ph": "M", "pid": 1, "tid": )"
                    << slice.thread + 1 << R"(, "args": {"name": "T)" << slice.thread + 1 << "\"}}";
                first = false;
            }
            out << (first ? "" : ",\n") << R"(  {"name": ")"
                << (slice.holds ? "holds the GIL" : "waits for the GIL") << R"(", "cat": ")"
                << (slice.holds ? "run" : "wait") << R"(", "ph": "X", "pid": 1, "tid": )"
                << slice.thread + 1 << R"(, "ts": )" << micros(slice.begin) << R"(, "dur": )"
                << micros(slice.end) - micros(slice.begin) << "}";
            first = false;
        }
        out << "\n]}\n";
    }

  private:
    void add(const Slice& slice) {
        const std::lock_guard lock(mutex_);
        slices_.push_back(slice);
    }
    [[nodiscard]] long long micros(Clock::time_point at) const {
        return std::chrono::duration_cast<std::chrono::microseconds>(at - origin_).count();
    }

    Clock::time_point origin_;
    std::mutex mutex_;
    std::vector<Slice> slices_;
};

}  // namespace gil_trace
