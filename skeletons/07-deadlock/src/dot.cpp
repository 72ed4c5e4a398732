// The lock-order graph as Graphviz DOT, the last report's cycle highlighted (lesson §5).
#include <ostream>
#include <unordered_map>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading::deadlock {

// KATA (lesson §5, step 12).
void write_dot(std::ostream& out) {
    PY_KATA_TODO("§5");
}

}  // namespace py::threading::deadlock
