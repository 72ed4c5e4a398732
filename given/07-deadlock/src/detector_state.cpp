// Given code of chapter 07, compiled into the chapter library whichever tree is built: the
// detector's shared state and the public switches and queries around it. The kata (the observer
// callbacks that build the graphs) is in skeletons/ and solutions/ src/detector.cpp.
#include <string>
#include <utility>

#include "detector.hpp"

namespace py::threading {

namespace detail {

namespace {

// Where the next acquisition happens, as recorded by deadlock::note_site (file:line).
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
    const ScopedLock guard(state.mutex);
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
    const ScopedLock guard(state.mutex);
    return std::exchange(state.hook, std::move(hook));
}

void set_name(const void* lock, std::string name) {
    detail::Detector& state = detail::detector();
    const ScopedLock guard(state.mutex);
    state.names[lock] = std::move(name);
}

std::string name_of(const void* lock) {
    const detail::Detector& state = detail::detector();
    const ScopedLock guard(state.mutex);
    return state.name_locked(lock);
}

std::vector<LockOrder> lock_orders() {
    const detail::Detector& state = detail::detector();
    const ScopedLock guard(state.mutex);
    std::vector<LockOrder> orders = state.edges;
    for (LockOrder& order : orders) {  // names given after the edge was seen count too
        order.before_name = state.name_locked(order.before);
        order.after_name = state.name_locked(order.after);
    }
    return orders;
}

std::optional<DeadlockReport> last_report() {
    const detail::Detector& state = detail::detector();
    const ScopedLock guard(state.mutex);
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
