// hash(), ==, repr(): the generic entry points that dispatch through a type's slots
// (Objects/object.c: PyObject_Hash, PyObject_RichCompare, PyObject_Repr).
#include <cstdio>

// KATA (lesson §7, §9 and §11, steps 13, 17 and 20).
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
    PY_KATA_TODO("§7");
}

bool equal(Object* a, Object* b) {
    PY_KATA_TODO("§7");
}

std::string repr(Object* op) {
    // TODO (§11, step 20): past RECURSION_LIMIT nested calls, raise RecursionError.
    PY_KATA_TODO("§9");
}

}  // namespace py
