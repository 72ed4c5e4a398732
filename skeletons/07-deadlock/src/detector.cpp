// The lock-order detector (the scaffolding is given; the observer callbacks are the kata): a lock
// observer that keeps the lock-order graph and the held locks of every thread, and reports
// self-deadlocks and lock-order cycles (lesson §1-§5).
#include "detector.hpp"
#include "py/kata.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace py::threading {

namespace detail {

namespace {

thread_local std::string pending_site;

}  // namespace

Detector& detector() {
    static auto* const the_detector = new Detector;  // NOLINT: deliberately immortal
    return *the_detector;
}

const std::string& current_thread_name() {
    thread_local const std::string name = current_thread().name();
    return name;
}

std::string take_site() {
    return std::exchange(pending_site, std::string());
}

std::string Detector::name_locked(const void* lock) const {
    if (auto named = names.find(lock); named != names.end()) {
        return named->second;
    }
    const auto kind = kinds.find(lock);
    const char* type = kind != kinds.end() && kind->second == LockKind::RLock ? "RLock" : "Lock";
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%s@%p", type, lock);
    return buffer;
}

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

namespace deadlock {

void enable() {
    set_lock_observer(&detail::detector());
}

void disable() {
    if (lock_observer() == &detail::detector()) {
        set_lock_observer(nullptr);
    }
}

bool is_enabled() noexcept {
    return lock_observer() == &detail::detector();
}

void reset() {
    detail::Detector& state = detail::detector();
    const std::lock_guard guard(state.mutex);
    state.threads.clear();
    state.holders.clear();
    state.kinds.clear();
    state.names.clear();
    state.edges.clear();
    state.successors.clear();
    state.last_report.reset();
}

ReportHook set_report_hook(ReportHook hook) {
    detail::Detector& state = detail::detector();
    const std::lock_guard guard(state.mutex);
    return std::exchange(state.hook, std::move(hook));
}

void set_name(const void* lock, std::string name) {
    detail::Detector& state = detail::detector();
    const std::lock_guard guard(state.mutex);
    state.names[lock] = std::move(name);
}

std::string name_of(const void* lock) {
    const detail::Detector& state = detail::detector();
    const std::lock_guard guard(state.mutex);
    return state.name_locked(lock);
}

std::vector<LockOrder> lock_orders() {
    const detail::Detector& state = detail::detector();
    const std::lock_guard guard(state.mutex);
    std::vector<LockOrder> orders = state.edges;
    for (LockOrder& order : orders) {  // names given after the edge was seen count too
        order.before_name = state.name_locked(order.before);
        order.after_name = state.name_locked(order.after);
    }
    return orders;
}

std::optional<DeadlockReport> last_report() {
    const detail::Detector& state = detail::detector();
    const std::lock_guard guard(state.mutex);
    return state.last_report;
}

void note_site(const char* file, int line) {
    if (!is_enabled()) {
        return;
    }
    std::string name = file;
    if (const auto slash = name.rfind('/'); slash != std::string::npos) {
        name.erase(0, slash + 1);
    }
    detail::pending_site = name + ":" + std::to_string(line);
}

}  // namespace deadlock

}  // namespace py::threading
