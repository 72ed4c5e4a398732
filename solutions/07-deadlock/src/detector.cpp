// kata: begin replace
// The lock-order detector: a lock observer that keeps the lock-order graph and the held locks of
// every thread, and reports self-deadlocks and lock-order cycles (lesson §1-§5).
// kata: skeleton // The lock-order detector (the scaffolding is given; the observer callbacks are the kata): a lock
// kata: skeleton // observer that keeps the lock-order graph and the held locks of every thread, and reports
// kata: skeleton // self-deadlocks and lock-order cycles (lesson §1-§5).
// kata: end
#include "detector.hpp"
#include "py/kata.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>
#include <utility>

namespace py::threading {

namespace detail {

// kata: begin replace
namespace {

bool contains(const std::vector<const void*>& locks, const void* lock) {
    return std::find(locks.begin(), locks.end(), lock) != locks.end();
}

std::string place(const std::string& where) {
    return where.empty() ? "an unrecorded place" : where;
}

}  // namespace

// kata: end
const LockOrder* Detector::edge(const void* before, const void* after) const {
    // kata: begin §3
    for (const LockOrder& order : edges) {
        if (order.before == before && order.after == after) {
            return &order;
        }
    }
    return nullptr;
    // kata: end
}

std::vector<const void*> Detector::path(const void* from, const void* to) const {
    // kata: begin replace
    // Depth-first search remembering how each lock was reached.
    std::unordered_map<const void*, const void*> reached_from{{from, nullptr}};
    std::vector<const void*> stack{from};
    while (!stack.empty()) {
        const void* lock = stack.back();
        stack.pop_back();
        if (lock == to) {
            std::vector<const void*> result;
            for (const void* step = to; step != nullptr; step = reached_from[step]) {
                result.push_back(step);
            }
            std::reverse(result.begin(), result.end());
            return result;
        }
        const auto next = successors.find(lock);
        if (next == successors.end()) {
            continue;
        }
        for (const void* successor : next->second) {
            if (reached_from.emplace(successor, lock).second) {
                stack.push_back(successor);
            }
        }
    }
    return {};
    // kata: skeleton // Depth-first search from `from` along `successors`, remembering how each lock was reached.
    // kata: skeleton PY_KATA_TODO("§3");
    // kata: end
}

void Detector::before_acquire(const void* lock, LockKind kind, bool blocking, double timeout) {
    // kata: begin replace
    const Ident me = get_ident();
    const std::string site = take_site();
    const std::string& my_name = current_thread_name();
    std::optional<DeadlockReport> report;
    bool must_raise = false;
    deadlock::ReportHook report_to;
    {
        const std::lock_guard guard(mutex);
        kinds[lock] = kind;
        ThreadState& state = threads[me];
        state.name = my_name;
        if (kind == LockKind::Lock && contains(state.held, lock)) {
            // §2: a Lock is not reentrant; its owner waiting for it waits for itself.
            if (blocking) {
                const std::string lock_name = name_locked(lock);
                report =
                    DeadlockReport{DeadlockReport::Kind::SelfDeadlock,
                                   {LockOrder{lock, lock, lock_name, lock_name, me, my_name, site}},
                                   "deadlock: thread '" + my_name + "' acquires '" + lock_name +
                                       "', which it already holds, at " + place(site) +
                                       " (a Lock is not reentrant: use an RLock)"};
                must_raise = !hook || timeout < 0;
            }
        } else if (blocking) {
            // §3-§4: every held lock gets an edge to this one; a new edge must not close a cycle.
            std::vector<const void*> fresh;
            for (const void* held : state.held) {
                if (held != lock && edge(held, lock) == nullptr && !contains(fresh, held)) {
                    fresh.push_back(held);
                }
            }
            for (const void* held : fresh) {
                const std::vector<const void*> back = path(lock, held);
                if (back.empty()) {
                    continue;
                }
                DeadlockReport found;
                found.kind = DeadlockReport::Kind::LockOrderCycle;
                found.cycle.push_back(
                    LockOrder{held, lock, name_locked(held), name_locked(lock), me, my_name, site});
                found.message = "potential deadlock: thread '" + my_name + "' acquires '" +
                                name_locked(lock) + "' while holding '" + name_locked(held) +
                                "' at " + place(site) + ", but the opposite order was seen:";
                for (std::size_t i = 0; i + 1 < back.size(); ++i) {
                    LockOrder seen = *edge(back[i], back[i + 1]);
                    seen.before_name = name_locked(seen.before);
                    seen.after_name = name_locked(seen.after);
                    found.message += "\n  '" + seen.before_name + "' then '" + seen.after_name +
                                     "' in thread '" + seen.thread_name + "' at " +
                                     place(seen.where);
                    found.cycle.push_back(std::move(seen));
                }
                report = std::move(found);
                break;
            }
            must_raise = report.has_value() && !hook;
            if (!must_raise) {
                for (const void* held : fresh) {
                    edges.push_back(LockOrder{held, lock, name_locked(held), name_locked(lock), me,
                                              my_name, site});
                    successors[held].push_back(lock);
                }
            }
        }
        if (report) {
            last_report = report;
            report_to = hook;
        }
        if (blocking && !must_raise) {
            state.waiting_for = lock;
        }
        if (state.held.empty() && state.waiting_for == nullptr) {
            threads.erase(me);
        }
    }
    if (report && report_to) {
        report_to(*report);  // outside the mutex: the hook may do anything
    }
    if (must_raise) {
        throw DeadlockError(report->message);
    }
    // kata: skeleton // KATA (lesson §1-§4): self-deadlock check (§2), new edges from every held lock (§1), a new
    // kata: skeleton // edge that closes a cycle is reported (§3), waiting_for for the wait-for graph (§6). Report
    // kata: skeleton // to the hook outside the mutex, or throw py::DeadlockError.
    // kata: skeleton PY_KATA_TODO("§1");
    // kata: end
}

void Detector::acquired(const void* lock, LockKind kind) {
    // kata: begin replace
    const Ident me = get_ident();
    const std::string& my_name = current_thread_name();
    const std::lock_guard guard(mutex);
    kinds[lock] = kind;
    ThreadState& state = threads[me];
    state.name = my_name;
    state.waiting_for = nullptr;
    state.held.push_back(lock);
    holders[lock].push_back(me);
    // kata: skeleton // KATA (lesson §1): the thread now holds `lock` and waits for nothing.
    // kata: skeleton PY_KATA_TODO_NOEXCEPT("§1");
    // kata: end
}

void Detector::acquire_failed(const void* /*lock*/, LockKind /*kind*/) {
    // kata: begin replace
    const Ident me = get_ident();
    const std::lock_guard guard(mutex);
    const auto state = threads.find(me);
    if (state == threads.end()) {
        return;
    }
    state->second.waiting_for = nullptr;
    if (state->second.held.empty()) {
        threads.erase(state);
    }
    // kata: skeleton // KATA (lesson §6): the thread waits for nothing any more.
    // kata: skeleton PY_KATA_TODO_NOEXCEPT("§6");
    // kata: end
}

void Detector::released(const void* lock, LockKind /*kind*/) {
    // kata: begin replace
    const Ident me = get_ident();
    const std::lock_guard guard(mutex);
    const auto holding = holders.find(lock);
    if (holding == holders.end() || holding->second.empty()) {
        return;  // acquired before detection was enabled
    }
    // Usually the releasing thread holds it; a Lock may also be released by another thread.
    auto who = std::find(holding->second.begin(), holding->second.end(), me);
    if (who == holding->second.end()) {
        who = holding->second.begin();
    }
    const Ident owner = *who;
    holding->second.erase(who);
    if (holding->second.empty()) {
        holders.erase(holding);
    }
    if (const auto state = threads.find(owner); state != threads.end()) {
        auto& held = state->second.held;
        if (const auto last = std::find(held.rbegin(), held.rend(), lock); last != held.rend()) {
            held.erase(std::next(last).base());
        }
        if (held.empty() && state->second.waiting_for == nullptr) {
            threads.erase(state);
        }
    }
    // kata: skeleton // KATA (lesson §1): remove `lock` from its holder's list (usually the calling thread; a Lock
    // kata: skeleton // may be released by another thread).
    // kata: skeleton PY_KATA_TODO_NOEXCEPT("§1");
    // kata: end
}

void Detector::destroyed(const void* lock, LockKind /*kind*/) {
    // kata: begin replace
    // The address may be reused by a new lock: forget everything about this one.
    const std::lock_guard guard(mutex);
    names.erase(lock);
    kinds.erase(lock);
    holders.erase(lock);
    std::erase_if(edges, [lock](const LockOrder& order) {
        return order.before == lock || order.after == lock;
    });
    successors.erase(lock);
    for (auto& [before, afters] : successors) {
        std::erase(afters, lock);
    }
    for (auto& [ident, state] : threads) {
        std::erase(state.held, lock);  // destroyed while held (nobody can be waiting for it)
    }
    // kata: skeleton // KATA (lesson §4): forget everything about `lock`; its address may come back.
    // kata: skeleton PY_KATA_TODO_NOEXCEPT("§4");
    // kata: end
}

}  // namespace detail

}  // namespace py::threading
