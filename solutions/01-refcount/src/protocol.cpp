// hash(), ==, repr(): the generic entry points that dispatch through a type's slots
// (Objects/object.c: PyObject_Hash, PyObject_RichCompare, PyObject_Repr).
#include <cstdio>

// kata: skeleton // KATA (lesson §7 and §9, steps 13 and 17).
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/object.hpp"
#include "repr_guard.hpp"

namespace py {

hash_t hash(Object* op) {
    // kata: begin §7
    if (op->ob_type->tp_hash == nullptr) {
        throw TypeError(std::string("unhashable type: '") + op->ob_type->tp_name + "'");
    }
    return op->ob_type->tp_hash(op);
    // kata: end
}

bool equal(Object* a, Object* b) {
    // kata: begin §7
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
    // kata: end
}

std::string repr(Object* op) {
    // kata: begin §9
    if (op->ob_type->tp_repr == nullptr) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "<%s object at %p>", op->ob_type->tp_name,
                      static_cast<void*>(op));
        return buffer;
    }
    return op->ob_type->tp_repr(op);
    // kata: end
}

}  // namespace py
