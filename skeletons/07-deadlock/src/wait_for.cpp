// Detection while it happens: cycles of the wait-for graph (lesson §6).
#include <algorithm>
#include <unordered_map>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading {

// Under detector().mutex, point every waiting thread at the holder of the lock it waits for, then
// find the cycles of that graph (lesson §6).
std::vector<std::vector<WaitingThread>> find_deadlocks() {
    PY_KATA_TODO("§6");
}

}  // namespace py::threading
