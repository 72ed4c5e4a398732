// Deferred deallocation of deep structures (Objects/object.c: _PyTrash_thread_deposit_object,
// _PyTrash_thread_destroy_chain in CPython 3.11). The fast path is in trashcan.hpp.
// kata: skeleton // KATA (lesson §11, step 19).
#include "trashcan.hpp"

#include <cstdint>

#include "py/kata.hpp"

namespace py::trashcan {

// A deposited object has no references left, so its count field is free to hold the link to
// the next deposited object (CPython 3.11 uses the GC header's prev pointer the same way).
void deposit_object(Object* op) noexcept {
    // kata: begin step19 §11 noexcept
    op->ob_refcnt = static_cast<ssize_t>(reinterpret_cast<std::intptr_t>(current.delete_later));
    current.delete_later = op;
    // kata: end
}

void destroy_chain() noexcept {
    // kata: begin step19 §11 noexcept
    State& state = current;
    // One level deeper while the deposited objects are freed: what they free in turn stops at
    // UNWIND_LEVEL again and lands back on delete_later, which this loop then takes.
    ++state.delete_nesting;
    while (state.delete_later != nullptr) {
        Object* op = state.delete_later;
        // NOLINTNEXTLINE(performance-no-int-to-ptr): the link deposit_object stored
        state.delete_later = reinterpret_cast<Object*>(static_cast<std::intptr_t>(op->ob_refcnt));
        op->ob_refcnt = 0;
        op->ob_type->tp_dealloc(op);
    }
    --state.delete_nesting;
    // kata: end
}

}  // namespace py::trashcan
