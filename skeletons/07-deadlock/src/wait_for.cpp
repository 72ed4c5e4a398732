// Detection while it happens: cycles of the wait-for graph (lesson §6).
#include <algorithm>
#include <unordered_map>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading {

// KATA (lesson §6, steps 13-14): under detector().mutex, point every waiting thread at the
// holder of the lock it waits for, then find the cycles of that graph.
std::vector<std::vector<WaitingThread>> find_deadlocks() {
    PY_KATA_TODO("§6");
}

}  // namespace py::threading
