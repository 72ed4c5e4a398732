// Deferred deallocation of deep structures (Objects/object.c: _PyTrash_thread_deposit_object,
// _PyTrash_thread_destroy_chain in CPython 3.11). The fast path is in trashcan.hpp.
// KATA (lesson §11, step 19).
#include "trashcan.hpp"

#include <cstdint>

#include "py/kata.hpp"

namespace py::trashcan {

// A deposited object has no references left, so its count field is free to hold the link to
// the next deposited object (CPython 3.11 uses the GC header's prev pointer the same way).
void deposit_object(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§11");
}

void destroy_chain() noexcept {
    PY_KATA_TODO_NOEXCEPT("§11");
}

}  // namespace py::trashcan
