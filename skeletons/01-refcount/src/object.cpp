// The reference-counting life cycle (Objects/object.c, Include/object.h).
// KATA (lesson §2 and §3, steps 1-6).
#include "py/object.hpp"

#include <cstdio>
#include <cstdlib>
#include <limits>

#include "py/exceptions.hpp"
#include "py/kata.hpp"
#ifdef PY_TRACE_REFS
#include "py/refchain.hpp"
#endif

namespace py {

void* generic_alloc(TypeObject* type, ssize_t nitems) {
    PY_KATA_TODO("§2");
}

void generic_free(void* memory) {
    PY_KATA_TODO_NOEXCEPT("§2");
}

Object* alloc_object(TypeObject* type, ssize_t nitems) {
    PY_KATA_TODO("§2");
}

void free_object(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
}

void new_reference(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
}

void forget_reference(Object* op) noexcept {
#ifdef PY_TRACE_REFS
    PY_KATA_TODO_NOEXCEPT("§2");
#else
    (void)op;  // a release build keeps no list of objects
#endif
}

void dealloc(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
}

// Given: the small helpers that are not the point of the chapter.
void negative_refcount(const Object* op) noexcept {
    fatal_error("py::decref",
                "object has negative ref count (" + std::to_string(op->ob_refcnt) + ")", op);
}

const char* type_name(const Object* op) noexcept {
    return op->ob_type->tp_name;
}

void fatal_error(const char* function, const std::string& message, const Object* op) noexcept {
    std::fprintf(stderr, "Fatal Python error: %s: %s\n", function, message.c_str());
    if (op != nullptr) {
        std::fprintf(stderr, "object address  : %p\nobject refcount : %td\nobject type name: %s\n",
                     static_cast<const void*>(op), op->ob_refcnt, op->ob_type->tp_name);
    }
    std::fflush(stderr);
    std::abort();
}

}  // namespace py
