// Avoidance: acquiring several locks at once without deadlock (lesson §7).
#include <algorithm>
#include <thread>
#include <vector>

#include "py/deadlock.hpp"
#include "py/kata.hpp"

namespace py::threading {

// Block only while holding nothing (lesson §7). A set of locks chosen at run time is beyond
// clang's thread-safety analysis, hence PY_NO_THREAD_SAFETY_ANALYSIS on both functions.
void acquire_all(std::initializer_list<Lock*> locks) PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step15 step16 step17 §7
    const std::vector<Lock*> all(locks);
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (std::find(all.begin() + static_cast<std::ptrdiff_t>(i) + 1, all.end(), all[i]) !=
            all.end()) {
            throw ValueError("acquire_all() got the same lock twice");
        }
    }
    const std::size_t n = all.size();
    std::size_t first = 0;
    while (n > 0) {
        // Block on one lock while holding none: no cycle can pass through this thread.
        all[first]->acquire();
        std::size_t busy = n;
        for (std::size_t k = 1; k < n; ++k) {
            const std::size_t i = (first + k) % n;
            if (!all[i]->acquire(false)) {
                busy = i;
                break;
            }
        }
        if (busy == n) {
            return;
        }
        // Back off: give back what we took, then wait for the busy one first.
        for (std::size_t i = first; i != busy; i = (i + 1) % n) {
            all[i]->release();
        }
        first = busy;
        std::this_thread::yield();
    }
    // kata: end
}

void release_all(std::initializer_list<Lock*> locks) PY_NO_THREAD_SAFETY_ANALYSIS {
    // kata: begin step15 §7
    for (Lock* lock : locks) {
        lock->release();
    }
    // kata: end
}

}  // namespace py::threading
