// The lock-order graph as Graphviz DOT, the last report's cycle highlighted (lesson §5).
#include <ostream>
#include <unordered_map>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading::deadlock {

namespace {

// [[maybe_unused]]: the skeleton keeps these helpers but does not call them yet.

// `text` as a DOT string: quotes and backslashes escaped, line breaks as \n.
[[maybe_unused]] std::string quoted(const std::string& text) {
    PY_KATA_TODO("§5");
}

// An edge's label: the thread that first took the two locks in this order, and where.
[[maybe_unused]] std::string edge_label(const LockOrder& order) {
    PY_KATA_TODO("§5");
}

}  // namespace

void write_dot(std::ostream& out) {
    PY_KATA_TODO("§5");
}

}  // namespace py::threading::deadlock
