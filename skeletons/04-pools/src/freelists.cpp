// Free lists for float, list, dict and small tuples (Objects/floatobject.c, listobject.c,
// dictobject.c, tupleobject.c in CPython 3.11).
// KATA (lesson §3: steps 5-11). Install tp_alloc/tp_free wrappers on Float::Type, List::Type,
// Dict::Type and Tuple::Type when the library loads, saving the slots that were there, and call
// those when a free list is empty or full.
#include "py/pools.hpp"

namespace py::freelists {

ssize_t floats() noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return -1;
}

ssize_t lists() noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return -1;
}

ssize_t dicts() noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return -1;
}

ssize_t tuples(ssize_t size) noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return -1;
}

void clear() noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
}

}  // namespace py::freelists
