// main() of every benchmark binary: runs the benchmarks as usual, then pairs the results named
// "<workload>/<implementation>" and prints ours/peer ratios for time and for every counter the
// two share (a ratio below 1.0 means ours is faster or smaller).
#include <benchmark/benchmark.h>

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
            const std::string name = run.benchmark_name();
            const auto slash = name.find('/');
            if (slash == std::string::npos) {
                continue;
            }
            Measured& measured = results_[name.substr(0, slash)][name.substr(slash + 1)];
            measured.ns_per_iteration = run.GetAdjustedRealTime();
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
