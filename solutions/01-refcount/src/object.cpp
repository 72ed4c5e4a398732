// The reference-counting life cycle (Objects/object.c, Include/object.h).
// kata: skeleton // KATA (lesson §2 and §3, steps 1-6).
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
    // kata: begin step03 §2
    // _PyObject_VAR_SIZE must not overflow: ask for more than any machine has, and say so.
    if (type->tp_itemsize != 0 &&
        nitems > (std::numeric_limits<ssize_t>::max() - type->tp_basicsize) / type->tp_itemsize) {
        throw MemoryError("cannot allocate a '" + std::string(type->tp_name) + "' of " +
                          std::to_string(nitems) + " items");
    }
    const auto bytes = static_cast<std::size_t>(type->tp_basicsize + nitems * type->tp_itemsize);
    void* memory = std::calloc(1, bytes);
    if (memory == nullptr) {
        throw MemoryError("out of memory allocating a '" + std::string(type->tp_name) + "'");
    }
    return memory;
    // kata: end
}

void generic_free(void* memory) {
    // kata: begin step05 §2 noexcept
    std::free(memory);
    // kata: end
}

Object* alloc_object(TypeObject* type, ssize_t nitems) {
    // kata: begin step03 §2
    if (nitems < 0) {
        throw ValueError("negative item count for a '" + std::string(type->tp_name) + "'");
    }
    allocfunc alloc = type->tp_alloc != nullptr ? type->tp_alloc : &generic_alloc;
    auto* op = static_cast<Object*>(alloc(type, nitems));
    op->ob_type = type;
    if (type->tp_itemsize != 0) {
        static_cast<VarObject*>(op)->ob_size = nitems;
    }
    new_reference(op);
    return op;
    // kata: end
}

void free_object(Object* op) noexcept {
    // kata: begin step05 §2 noexcept
    freefunc free = op->ob_type->tp_free != nullptr ? op->ob_type->tp_free : &generic_free;
    free(op);
    // kata: end
}

void new_reference(Object* op) noexcept {
    // kata: begin step01 §2 noexcept
    op->ob_refcnt = 1;
#ifdef PY_TRACE_REFS
    Object& head = refchain::head();
    // Insert right after the sentinel: head <-> op <-> (old first object).
    op->ob_next = head.ob_next;
    op->ob_prev = &head;
    head.ob_next->ob_prev = op;
    head.ob_next = op;
#endif
    // kata: end
}

void forget_reference(Object* op) noexcept {
#ifdef PY_TRACE_REFS
    // kata: begin step01 §2 noexcept
    if (op->ob_next == nullptr) {
        return;  // never linked: a static object (None, True, False), or already forgotten
    }
    op->ob_next->ob_prev = op->ob_prev;
    op->ob_prev->ob_next = op->ob_next;
    op->ob_next = nullptr;
    op->ob_prev = nullptr;
    // kata: end
#else
    (void)op;  // a release build keeps no list of objects
#endif
}

void dealloc(Object* op) noexcept {
    // kata: begin step05 §3 noexcept
    forget_reference(op);
    op->ob_type->tp_dealloc(op);
    // kata: end
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
