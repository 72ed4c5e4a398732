// main() of every benchmark binary: runs the benchmarks as usual, then pairs the results named
// "<workload>/<implementation>" and prints ours/peer ratios for time and for every counter the
// two share (a ratio below 1.0 means ours is faster or smaller).
#include <benchmark/benchmark.h>
#include "workbook/main_guard.hpp"

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

struct Measured {
    double ns_per_iteration = 0;
    std::map<std::string, double> counters;
};

class CollectingReporter : public benchmark::ConsoleReporter {
  public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred || run.run_type != Run::RT_Iteration) {
                continue;
            }
            // The name given with ->Name() ("workload/impl"), without the suffixes Google Benchmark
            // appends ("/iterations:5/manual_time"); a longer name pairs on its first two parts.
            const std::string name = run.run_name.function_name;
            const auto slash = name.find('/');
            if (slash == std::string::npos) {
                continue;
            }
            const auto impl_end = name.find('/', slash + 1);
            const std::string impl =
                name.substr(slash + 1, impl_end == std::string::npos ? std::string::npos
                                                                     : impl_end - slash - 1);
            Measured& measured = results_[name.substr(0, slash)][impl];
            // GetAdjustedRealTime is in the benchmark's own unit; the table is in nanoseconds.
            measured.ns_per_iteration = run.GetAdjustedRealTime() *
                                        benchmark::GetTimeUnitMultiplier(benchmark::kNanosecond) /
                                        benchmark::GetTimeUnitMultiplier(run.time_unit);
            for (const auto& [counter, value] : run.counters) {
                measured.counters[counter] = value;
            }
        }
    }

    void PrintRatios() const {
        std::printf("\nRatios, ours / peer (below 1.0: ours is faster or smaller)\n");
        for (const auto& [workload, by_impl] : results_) {
            const auto ours = by_impl.find("ours");
            if (ours == by_impl.end()) {
                continue;
            }
            for (const auto& [impl, measured] : by_impl) {
                if (impl == "ours") {
                    continue;
                }
                std::printf("  %-36s time  %10.1f ns vs %-8s %10.1f ns   ratio %5.2f\n",
                            workload.c_str(), ours->second.ns_per_iteration, impl.c_str(),
                            measured.ns_per_iteration,
                            ours->second.ns_per_iteration / measured.ns_per_iteration);
                for (const auto& [counter, value] : ours->second.counters) {
                    const auto peer = measured.counters.find(counter);
                    if (peer != measured.counters.end() && peer->second != 0) {
                        std::printf("  %-36s %-5s %10.1f    vs %-8s %10.1f      ratio %5.2f\n", "",
                                    counter.c_str(), value, impl.c_str(), peer->second,
                                    value / peer->second);
                    }
                }
            }
        }
    }

  private:
    std::map<std::string, std::map<std::string, Measured>> results_;
};

}  // namespace

int main(int argc, char** argv) {
    // A spawned child of a benchmark (chapter 09) is this program re-executed: its main guard
    // takes over before any benchmark runs, as in every workbook main().
    if (auto exit_code = workbook::run_main_guards(argc, argv)) {
        return *exit_code;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.PrintRatios();
    benchmark::Shutdown();
    return 0;
}
