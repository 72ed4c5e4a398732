// The heap picture: the object graph as Graphviz DOT.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

// KATA (lesson §4: steps 12-14).
#include "py/exceptions.hpp"
#include "py/heap.hpp"
#include "py/kata.hpp"
#include "py/runtime_pools.hpp"

namespace py::heap {

std::vector<Object*> unreachable_objects() {
    PY_KATA_TODO("§4");
}

std::string to_dot(const DotOptions& options) {
    PY_KATA_TODO("§4");
}

void write_dot(const std::string& path, const DotOptions& options) {
    PY_KATA_TODO("§4");
}

std::string snapshot(std::string_view name, const std::vector<Object*>& roots,
                     std::string_view title) {
    PY_KATA_TODO("§4");
}

}  // namespace py::heap
