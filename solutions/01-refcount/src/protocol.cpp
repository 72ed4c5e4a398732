// hash(), ==, repr(): the generic entry points that dispatch through a type's slots
// (Objects/object.c: PyObject_Hash, PyObject_RichCompare, PyObject_Repr).
#include <cstdio>

// kata: skeleton // KATA (lesson §7, §9 and §11, steps 13, 17 and 20).
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/object.hpp"
#include "py/scope_exit.hpp"
#include "repr_guard.hpp"

namespace py {
namespace {

// sys.getrecursionlimit()'s default. CPython counts every nested call of the interpreter against
// it (Py_EnterRecursiveCall); here repr is the only recursion that a deep structure can drive.
[[maybe_unused]] constexpr int RECURSION_LIMIT = 1000;
[[maybe_unused, gnu::tls_model("initial-exec")]] thread_local int repr_depth = 0;

}  // namespace

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
    // kata: begin step20 §11 replace
    // Py_EnterRecursiveCall(" while getting the repr of an object"), as PyObject_Repr does: a
    // list nested 100,000 deep raises instead of overflowing the stack.
    if (repr_depth >= RECURSION_LIMIT) {
        throw RecursionError(
            "maximum recursion depth exceeded while getting the repr of an object");
    }
    ++repr_depth;
    const ScopeExit leave([] { --repr_depth; });
    // kata: skeleton // TODO (§11, step 20): past RECURSION_LIMIT nested calls, raise RecursionError.
    // kata: end
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
