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
    // kata: begin step01 step05 §3
    for (const LockOrder& order : edges) {
        if (order.before == before && order.after == after) {
            return &order;
        }
    }
    return nullptr;
    // kata: end
}

std::vector<const void*> Detector::path(const void* from, const void* to) const {
    // Depth-first search from `from` along `successors`, remembering how each lock was reached.
    // kata: begin step05 step08 §3
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
    // kata: end
}

DeadlockReport Detector::self_deadlock(const Acquisition& now) const {
    // kata: begin step02 §2
    const std::string lock_name = name_locked(now.lock);
    return DeadlockReport{DeadlockReport::Kind::SelfDeadlock,
                          {LockOrder{now.lock, now.lock, lock_name, lock_name, now.thread,
                                     now.thread_name, now.site}},
                          "deadlock: thread '" + now.thread_name + "' acquires '" + lock_name +
                              "', which it already holds, at " + place(now.site) +
                              " (a Lock is not reentrant: use an RLock)"};
    // kata: end
}

std::vector<const void*> Detector::new_predecessors(const ThreadState& state,
                                                    const void* lock) const {
    // kata: begin step01 step03 step09 §1
    std::vector<const void*> fresh;
    for (const void* held : state.held) {
        if (held != lock && edge(held, lock) == nullptr && !contains(fresh, held)) {
            fresh.push_back(held);
        }
    }
    return fresh;
    // kata: end
}

std::optional<DeadlockReport> Detector::find_cycle(
    const Acquisition& now, const std::vector<const void*>& predecessors) const {
    // kata: begin step05 step06 step08 §3
    for (const void* held : predecessors) {
        const std::vector<const void*> back = path(now.lock, held);
        if (back.empty()) {
            continue;
        }
        DeadlockReport found;
        found.kind = DeadlockReport::Kind::LockOrderCycle;
        found.cycle.push_back(LockOrder{held, now.lock, name_locked(held), name_locked(now.lock),
                                        now.thread, now.thread_name, now.site});
        found.message = "potential deadlock: thread '" + now.thread_name + "' acquires '" +
                        name_locked(now.lock) + "' while holding '" + name_locked(held) + "' at " +
                        place(now.site) + ", but the opposite order was seen:";
        for (std::size_t i = 0; i + 1 < back.size(); ++i) {
            LockOrder seen = *edge(back[i], back[i + 1]);
            seen.before_name = name_locked(seen.before);
            seen.after_name = name_locked(seen.after);
            found.message += "\n  '" + seen.before_name + "' then '" + seen.after_name +
                             "' in thread '" + seen.thread_name + "' at " + place(seen.where);
            found.cycle.push_back(std::move(seen));
        }
        return found;
    }
    return std::nullopt;
    // kata: end
}

void Detector::add_edges(const Acquisition& now, const std::vector<const void*>& predecessors) {
    // kata: begin step01 §1
    for (const void* held : predecessors) {
        edges.push_back(LockOrder{held, now.lock, name_locked(held), name_locked(now.lock),
                                  now.thread, now.thread_name, now.site});
        successors[held].push_back(now.lock);
    }
    // kata: end
}

void Detector::before_acquire(const void* lock, LockKind kind, bool blocking, double timeout) {
    // Under `mutex`: a blocking acquire of a Lock the thread holds is a self-deadlock
    // (self_deadlock); otherwise the held locks without an edge to this one (new_predecessors)
    // must not close a cycle (find_cycle), and become edges (add_edges); waiting_for feeds the
    // wait-for graph (§6). Then, outside the mutex, call the hook or throw py::DeadlockError.
    // kata: begin step01 step02 step04 step05 step07 step11 step13 §1
    const Acquisition now{lock, kind, get_ident(), current_thread_name(), take_site()};
    Verdict verdict;
    {
        const ScopedLock guard(mutex);
        kinds[lock] = kind;
        ThreadState& state = threads[now.thread];
        state.name = now.thread_name;
        if (kind == LockKind::Lock && contains(state.held, lock)) {
            // §2: a Lock is not reentrant; its owner waiting for it waits for itself. With a
            // hook, only an acquire that would wait forever still raises.
            if (blocking) {
                verdict.report = self_deadlock(now);
                verdict.must_raise = !hook || timeout < 0;
            }
        } else if (blocking) {
            // §3-§4: every held lock gets an edge to this one; a new edge must not close a cycle.
            const std::vector<const void*> fresh = new_predecessors(state, lock);
            verdict.report = find_cycle(now, fresh);
            verdict.must_raise = verdict.report.has_value() && !hook;
            if (!verdict.must_raise) {
                add_edges(now, fresh);
            }
        }
        if (verdict.report) {
            last_report = verdict.report;
            verdict.hook = hook;
        }
        if (blocking && !verdict.must_raise) {
            state.waiting_for = lock;  // §6: for the wait-for graph
        }
        if (state.held.empty() && state.waiting_for == nullptr) {
            threads.erase(now.thread);
        }
    }
    if (verdict.report && verdict.hook) {
        verdict.hook(*verdict.report);  // outside the mutex: the hook may do anything
    }
    if (verdict.must_raise) {
        throw DeadlockError(verdict.report->message);
    }
    // kata: end
}

void Detector::acquired(const void* lock, LockKind kind) {
    // The thread now holds `lock` and waits for nothing.
    // kata: begin step01 §1 noexcept
    const Ident me = get_ident();
    const std::string& my_name = current_thread_name();
    const ScopedLock guard(mutex);
    kinds[lock] = kind;
    ThreadState& state = threads[me];
    state.name = my_name;
    state.waiting_for = nullptr;
    state.held.push_back(lock);
    holders[lock].push_back(me);
    // kata: end
}

void Detector::acquire_failed(const void* /*lock*/, LockKind /*kind*/) {
    // The thread waits for nothing any more.
    // kata: begin step13 §6 noexcept
    const Ident me = get_ident();
    const ScopedLock guard(mutex);
    const auto state = threads.find(me);
    if (state == threads.end()) {
        return;
    }
    state->second.waiting_for = nullptr;
    if (state->second.held.empty()) {
        threads.erase(state);
    }
    // kata: end
}

void Detector::released(const void* lock, LockKind /*kind*/) {
    // Remove `lock` from its holder's list (usually the calling thread; a Lock
    // may be released by another thread).
    // kata: begin step01 §1 noexcept
    const Ident me = get_ident();
    const ScopedLock guard(mutex);
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
    // kata: end
}

void Detector::destroyed(const void* lock, LockKind /*kind*/) {
    // Forget everything about `lock`; its address may come back.
    // kata: begin step10 §4 noexcept
    // The address may be reused by a new lock: forget everything about this one.
    const ScopedLock guard(mutex);
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
    // kata: end
}

}  // namespace detail

}  // namespace py::threading
