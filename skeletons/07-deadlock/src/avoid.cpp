// Avoidance: acquiring several locks at once without deadlock (lesson §7).
#include <algorithm>
#include <thread>
#include <vector>

#include "py/deadlock.hpp"
#include "py/kata.hpp"

namespace py::threading {

// KATA (lesson §7, steps 15-16): block only while holding nothing.
void acquire_all(std::initializer_list<Lock*> locks) {
    PY_KATA_TODO("§7");
}

void release_all(std::initializer_list<Lock*> locks) {
    PY_KATA_TODO("§7");
}

}  // namespace py::threading
