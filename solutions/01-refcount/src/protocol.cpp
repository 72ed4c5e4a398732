// hash(), ==, repr(): the generic entry points that dispatch through a type's slots
// (Objects/object.c: PyObject_Hash, PyObject_RichCompare, PyObject_Repr).
#include <cstdio>

#include "py/exceptions.hpp"
#include "py/object.hpp"
#include "repr_guard.hpp"

namespace py {

hash_t hash(Object* op) {
    if (op->ob_type->tp_hash == nullptr) {
        throw TypeError(std::string("unhashable type: '") + op->ob_type->tp_name + "'");
    }
    return op->ob_type->tp_hash(op);
}

bool equal(Object* a, Object* b) {
    if (a == b) {
        return true;  // identity implies equality for every type here (NaN aside, as in CPython)
    }
    if (a->ob_type->tp_equal != nullptr) {
        const Comparison result = a->ob_type->tp_equal(a, b);
        if (result != Comparison::NotImplemented) {
            return result == Comparison::True;
        }
    }
    if (b->ob_type->tp_equal != nullptr) {
        const Comparison result = b->ob_type->tp_equal(b, a);
        if (result != Comparison::NotImplemented) {
            return result == Comparison::True;
        }
    }
    return false;
}

std::string repr(Object* op) {
    if (op->ob_type->tp_repr == nullptr) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "<%s object at %p>", op->ob_type->tp_name,
                      static_cast<void*>(op));
        return buffer;
    }
    return op->ob_type->tp_repr(op);
}

}  // namespace py
