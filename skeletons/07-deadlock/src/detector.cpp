// The lock-order detector (the scaffolding is given; the observer callbacks are the kata): a lock
// observer that keeps the lock-order graph and the held locks of every thread, and reports
// self-deadlocks and lock-order cycles (lesson §1-§5).
#include "detector.hpp"
#include "py/kata.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>
#include <utility>

namespace py::threading {

namespace detail {

const LockOrder* Detector::edge(const void* before, const void* after) const {
    PY_KATA_TODO("§3");
}

std::vector<const void*> Detector::path(const void* from, const void* to) const {
    // Depth-first search from `from` along `successors`, remembering how each lock was reached.
    PY_KATA_TODO("§3");
}

void Detector::before_acquire(const void* lock, LockKind kind, bool blocking, double timeout) {
    // KATA (lesson §1-§4): self-deadlock check (§2), new edges from every held lock (§1), a new
    // edge that closes a cycle is reported (§3), waiting_for for the wait-for graph (§6). Report
    // to the hook outside the mutex, or throw py::DeadlockError.
    PY_KATA_TODO("§1");
}

void Detector::acquired(const void* lock, LockKind kind) {
    // KATA (lesson §1): the thread now holds `lock` and waits for nothing.
    PY_KATA_TODO_NOEXCEPT("§1");
}

void Detector::acquire_failed(const void* /*lock*/, LockKind /*kind*/) {
    // KATA (lesson §6): the thread waits for nothing any more.
    PY_KATA_TODO_NOEXCEPT("§6");
}

void Detector::released(const void* lock, LockKind /*kind*/) {
    // KATA (lesson §1): remove `lock` from its holder's list (usually the calling thread; a Lock
    // may be released by another thread).
    PY_KATA_TODO_NOEXCEPT("§1");
}

void Detector::destroyed(const void* lock, LockKind /*kind*/) {
    // KATA (lesson §4): forget everything about `lock`; its address may come back.
    PY_KATA_TODO_NOEXCEPT("§4");
}

}  // namespace detail

}  // namespace py::threading
