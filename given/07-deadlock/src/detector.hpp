// The detector's state, shared by the files of src/ (not a public header: tests never see it).
#pragma once

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "py/deadlock.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading::detail {

// What the detector knows about one thread that holds or waits for a lock. A thread holding
// nothing and waiting for nothing has no entry (so a reused thread ident starts clean).
struct ThreadState {
    std::string name;
    std::vector<const void*> held;      // in acquisition order
    const void* waiting_for = nullptr;  // between before_acquire and acquired/acquire_failed
};

// One acquisition as before_acquire sees it: which lock, by whom, from where.
struct Acquisition {
    const void* lock;
    LockKind kind;
    Ident thread;
    std::string thread_name;
    std::string site;  // note_site()'s file:line, or ""
};

// What before_acquire decided, with `mutex` held; it acts on it after letting go of the mutex.
struct Verdict {
    std::optional<DeadlockReport> report;
    bool must_raise = false;    // throw py::DeadlockError(report->message)
    deadlock::ReportHook hook;  // the hook to call with the report, if any
};

class Detector final : public LockObserver {
  public:
    void before_acquire(const void* lock, LockKind kind, bool blocking, double timeout) override;
    void acquired(const void* lock, LockKind kind) override;
    void acquire_failed(const void* lock, LockKind kind) override;
    void released(const void* lock, LockKind kind) override;
    void destroyed(const void* lock, LockKind kind) override;

    // Everything below is guarded by `mutex` (a py::Mutex, i.e. a std::mutex: an observer must not
    // use the locks it observes).
    mutable Mutex mutex;
    std::unordered_map<Ident, ThreadState> threads PY_GUARDED_BY(mutex);
    // lock -> threads holding it
    std::unordered_map<const void*, std::vector<Ident>> holders PY_GUARDED_BY(mutex);
    std::unordered_map<const void*, LockKind> kinds PY_GUARDED_BY(mutex);
    std::unordered_map<const void*, std::string> names PY_GUARDED_BY(mutex);
    std::vector<LockOrder> edges PY_GUARDED_BY(mutex);  // the lock-order graph, first-seen order
    std::unordered_map<const void*, std::vector<const void*>> successors PY_GUARDED_BY(mutex);
    std::optional<DeadlockReport> last_report PY_GUARDED_BY(mutex);
    deadlock::ReportHook hook PY_GUARDED_BY(mutex);

    // With `mutex` held: the lock's name, the edge before -> after (or nullptr), and a path of
    // locks from `from` to `to` along the graph's edges (empty if there is none).
    [[nodiscard]] std::string name_locked(const void* lock) const PY_REQUIRES(mutex);
    [[nodiscard]] const LockOrder* edge(const void* before, const void* after) const
        PY_REQUIRES(mutex);
    [[nodiscard]] std::vector<const void*> path(const void* from, const void* to) const
        PY_REQUIRES(mutex);

    // before_acquire's steps, with `mutex` held.
    // §2: the report for a blocking acquire of a Lock the thread holds already.
    [[nodiscard]] DeadlockReport self_deadlock(const Acquisition& now) const PY_REQUIRES(mutex);
    // §1: the locks the thread holds that have no edge to `now.lock` yet (each once).
    [[nodiscard]] std::vector<const void*> new_predecessors(const ThreadState& state,
                                                            const void* lock) const
        PY_REQUIRES(mutex);
    // §3: the report for the first new edge held -> now.lock that closes a cycle, if one does.
    [[nodiscard]] std::optional<DeadlockReport> find_cycle(
        const Acquisition& now, const std::vector<const void*>& predecessors) const
        PY_REQUIRES(mutex);
    // §1: adds the edges held -> now.lock to the graph.
    void add_edges(const Acquisition& now, const std::vector<const void*>& predecessors)
        PY_REQUIRES(mutex);
};

// Is `lock` in `locks`?
inline bool contains(const std::vector<const void*>& locks, const void* lock) {
    return std::find(locks.begin(), locks.end(), lock) != locks.end();
}

// A recorded site for a message ("an unrecorded place" when note_site() left none).
inline std::string place(const std::string& where) {
    return where.empty() ? "an unrecorded place" : where;
}

// The one detector of the process (never destroyed: locks may report to it during exit).
Detector& detector();

// The calling thread's name (cached per thread) and the place note_site() left for its next
// acquisition ("" if none; taking it clears it).
const std::string& current_thread_name();
std::string take_site();

}  // namespace py::threading::detail
