// The trashcan (Py_TRASHCAN_BEGIN / Py_TRASHCAN_END, Objects/object.c in CPython 3.11): freeing a
// container decrefs its items, which may free containers, which decref their items... one C++
// frame per level. A list nested 1,000,000 deep would overflow the stack. So a container's
// tp_dealloc counts how deep it runs; past UNWIND_LEVEL it does not free the object but deposits
// it on a list, and the outermost dealloc frees the deposited objects once the stack has unwound.
//
//     void list_dealloc(Object* self) {
//         if (!trashcan::begin(self)) {
//             return;  // deposited: freed later, from a shallower frame
//         }
//         ... decref the items, free the object ...
//         trashcan::end();
//     }
//
// Given: the fast path is inline (it runs on every container's deallocation); deposit_object and
// destroy_chain, in trashcan.cpp, are the kata.
#pragma once

#include "py/object.hpp"

namespace py::trashcan {

// PyTrash_UNWIND_LEVEL: how many nested container deallocations run before the rest are deferred.
constexpr int UNWIND_LEVEL = 50;

// tstate->trash_delete_nesting and tstate->trash_delete_later: one per thread, as CPython keeps
// them in the thread state. initial-exec: a direct %fs-relative load, no __tls_get_addr call.
struct State {
    int delete_nesting = 0;
    Object* delete_later = nullptr;  // deposited objects, linked through their ob_refcnt
};
[[gnu::tls_model("initial-exec")]] inline thread_local State current;

// _PyTrash_thread_deposit_object: puts `op` (whose count is 0) at the head of delete_later.
void deposit_object(Object* op) noexcept;
// _PyTrash_thread_destroy_chain: calls tp_dealloc of every deposited object, one nesting level
// deeper, so that what they free in turn is deposited again rather than recursing.
void destroy_chain() noexcept;

// Py_TRASHCAN_BEGIN: false when `op` was deposited (the caller returns at once).
inline bool begin(Object* op) noexcept {
    State& state = current;
    if (state.delete_nesting >= UNWIND_LEVEL) {
        deposit_object(op);
        return false;
    }
    ++state.delete_nesting;
    return true;
}

// Py_TRASHCAN_END: back at the outermost level, free what was deposited.
inline void end() noexcept {
    State& state = current;
    if (--state.delete_nesting <= 0 && state.delete_later != nullptr) {
        destroy_chain();
    }
}

}  // namespace py::trashcan
