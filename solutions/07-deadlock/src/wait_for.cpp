// Detection while it happens: cycles of the wait-for graph (lesson §6).
#include <algorithm>
#include <unordered_map>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading {

// Under detector().mutex, point every waiting thread at the holder of the lock it waits for, then
// find the cycles of that graph (lesson §6).
std::vector<std::vector<WaitingThread>> find_deadlocks() {
    // kata: begin step13 step14 §6
    const detail::Detector& state = detail::detector();
    const ScopedLock guard(state.mutex);

    // Each waiting thread points at one thread: the holder of the lock it waits for.
    std::unordered_map<Ident, WaitingThread> waits;
    for (const auto& [ident, thread] : state.threads) {
        if (thread.waiting_for == nullptr) {
            continue;
        }
        // A lock nobody holds is about to be taken: only a held one makes a thread wait.
        const auto holding = state.holders.find(thread.waiting_for);
        if (holding != state.holders.end() && !holding->second.empty()) {
            waits.emplace(ident, WaitingThread{ident, thread.name, thread.waiting_for,
                                               state.name_locked(thread.waiting_for),
                                               holding->second.front()});
        }
    }

    // Follow the pointers from every thread, in ident order; a walk that comes back to a thread
    // of its own path has found a cycle.
    std::vector<Ident> starts;
    starts.reserve(waits.size());
    for (const auto& [ident, wait] : waits) {
        starts.push_back(ident);
    }
    std::sort(starts.begin(), starts.end());
    std::unordered_map<Ident, int> colour;  // 0 new, 1 on the current walk, 2 finished
    std::vector<std::vector<WaitingThread>> cycles;
    for (const Ident start : starts) {
        std::vector<Ident> walk;
        Ident at = start;
        while (waits.contains(at) && colour[at] == 0) {
            colour[at] = 1;
            walk.push_back(at);
            at = waits.at(at).owner;
        }
        if (waits.contains(at) && colour[at] == 1) {
            // The cycle is the walk from `at` on (before it: threads waiting into the cycle).
            std::vector<Ident> members(std::find(walk.begin(), walk.end(), at), walk.end());
            std::rotate(members.begin(), std::min_element(members.begin(), members.end()),
                        members.end());
            std::vector<WaitingThread> cycle;
            cycle.reserve(members.size());
            for (const Ident member : members) {
                cycle.push_back(waits.at(member));
            }
            cycles.push_back(std::move(cycle));
        }
        for (const Ident ident : walk) {
            colour[ident] = 2;
        }
    }
    return cycles;
    // kata: end
}

}  // namespace py::threading
