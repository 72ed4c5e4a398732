// hash(), ==, repr(): the generic entry points that dispatch through a type's slots
// (Objects/object.c: PyObject_Hash, PyObject_RichCompare, PyObject_Repr).
#include <cstdio>

// KATA (lesson §7 and §9, steps 13 and 17).
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/object.hpp"
#include "repr_guard.hpp"

namespace py {

hash_t hash(Object* op) {
    PY_KATA_TODO("§7");
}

bool equal(Object* a, Object* b) {
    PY_KATA_TODO("§7");
}

std::string repr(Object* op) {
    PY_KATA_TODO("§9");
}

}  // namespace py
