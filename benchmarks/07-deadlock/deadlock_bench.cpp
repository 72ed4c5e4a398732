// Chapter 07: what deadlock detection costs a lock. "/ours" is with detection on, the peer
// "/detection_off" is the same code with the observer removed (chapter 06's cost: one atomic
// load per operation); the ratio is the price of detection.
//
//   lock_acquire_release   one Lock, acquire + release, nothing else held (no edges to check)
//   nested_acquire_release one Lock acquired + released while another is held (an edge lookup)
//   rlock_acquire_release  the same for an RLock
#include <benchmark/benchmark.h>

#include "py/deadlock.hpp"

namespace {

namespace deadlock = py::threading::deadlock;
using py::threading::Lock;
using py::threading::RLock;

// Switches detection for the lifetime of a benchmark run.
class Detection {
  public:
    explicit Detection(bool on) {
        deadlock::reset();
        if (on) {
            deadlock::enable();
        } else {
            deadlock::disable();
        }
    }
    ~Detection() {
        deadlock::disable();
        deadlock::reset();
    }
    Detection(const Detection&) = delete;
    Detection& operator=(const Detection&) = delete;
};

template <class LockType>
void acquire_release(benchmark::State& state, bool detection) {
    const Detection switched(detection);
    LockType lock;
    for (auto _ : state) {
        lock.acquire();
        lock.release();
    }
    state.counters["acquisitions/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void nested(benchmark::State& state, bool detection) {
    const Detection switched(detection);
    Lock outer;
    Lock inner;
    outer.acquire();
    for (auto _ : state) {
        inner.acquire();
        inner.release();
    }
    outer.release();
}

void lock_on(benchmark::State& state) {
    acquire_release<Lock>(state, true);
}
void lock_off(benchmark::State& state) {
    acquire_release<Lock>(state, false);
}
void rlock_on(benchmark::State& state) {
    acquire_release<RLock>(state, true);
}
void rlock_off(benchmark::State& state) {
    acquire_release<RLock>(state, false);
}
void nested_on(benchmark::State& state) {
    nested(state, true);
}
void nested_off(benchmark::State& state) {
    nested(state, false);
}

BENCHMARK(lock_on)->Name("lock_acquire_release/ours");
BENCHMARK(lock_off)->Name("lock_acquire_release/detection_off");
BENCHMARK(nested_on)->Name("nested_acquire_release/ours");
BENCHMARK(nested_off)->Name("nested_acquire_release/detection_off");
BENCHMARK(rlock_on)->Name("rlock_acquire_release/ours");
BENCHMARK(rlock_off)->Name("rlock_acquire_release/detection_off");

}  // namespace
