// The lock-order detector's observer callbacks (the scaffolding is given in
// given/07-deadlock/src/): they keep the lock-order graph and the held locks of every thread, and
// report self-deadlocks and lock-order cycles (lesson §1-§6).
#include <algorithm>
#include <utility>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading {

namespace detail {

const LockOrder* Detector::edge(const void* before, const void* after) const {
    PY_KATA_TODO("§3");
}

std::vector<const void*> Detector::path(const void* from, const void* to) const {
    // Depth-first search from `from` along `successors`, remembering how each lock was reached.
    PY_KATA_TODO("§3");
}

DeadlockReport Detector::self_deadlock(const Acquisition& now) const {
    PY_KATA_TODO("§2");
}

std::vector<const void*> Detector::new_predecessors(const ThreadState& state,
                                                    const void* lock) const {
    PY_KATA_TODO("§1");
}

std::optional<DeadlockReport> Detector::find_cycle(
    const Acquisition& now, const std::vector<const void*>& predecessors) const {
    PY_KATA_TODO("§3");
}

void Detector::add_edges(const Acquisition& now, const std::vector<const void*>& predecessors) {
    PY_KATA_TODO("§1");
}

void Detector::before_acquire(const void* lock, LockKind kind, bool blocking, double timeout) {
    // Under `mutex`: a blocking acquire of a Lock the thread holds is a self-deadlock
    // (self_deadlock); otherwise the held locks without an edge to this one (new_predecessors)
    // must not close a cycle (find_cycle), and become edges (add_edges); waiting_for feeds the
    // wait-for graph (§6). Then, outside the mutex, call the hook or throw py::DeadlockError.
    PY_KATA_TODO("§1");
}

void Detector::acquired(const void* lock, LockKind kind) {
    // The thread now holds `lock` and waits for nothing.
    PY_KATA_TODO_NOEXCEPT("§1");
}

void Detector::acquire_failed(const void* /*lock*/, LockKind /*kind*/) {
    // The thread waits for nothing any more.
    PY_KATA_TODO_NOEXCEPT("§6");
}

void Detector::released(const void* lock, LockKind /*kind*/) {
    // Remove `lock` from its holder's list (usually the calling thread; a Lock
    // may be released by another thread).
    PY_KATA_TODO_NOEXCEPT("§1");
}

void Detector::destroyed(const void* lock, LockKind /*kind*/) {
    // Forget everything about `lock`; its address may come back.
    PY_KATA_TODO_NOEXCEPT("§4");
}

}  // namespace detail

}  // namespace py::threading
