// The object header every runtime value starts with, the type objects that describe them, and
// the reference-counting life cycle: allocate, incref, decref, deallocate.
//
// CPython: Include/object.h (PyObject, PyVarObject, Py_INCREF, Py_DECREF), Include/cpython/object.h
// (PyTypeObject), Objects/object.c (_Py_NewReference, _Py_ForgetReference, _Py_Dealloc). The two
// refchain links are what a Py_TRACE_REFS build (./configure --with-trace-refs) adds as
// _ob_next/_ob_prev; here the CMake option WORKBOOK_TRACE_REFS (on except in the bench preset)
// defines PY_TRACE_REFS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include "py/kata.hpp"

namespace py {

using ssize_t = std::ptrdiff_t;  // Py_ssize_t
using hash_t = std::ptrdiff_t;   // Py_hash_t: a hash of -1 means "error" in CPython, never a value

struct TypeObject;

// PyObject. With PY_TRACE_REFS (every build that runs the tests) it starts with the two refchain
// links, 32 bytes in all; without it (the bench preset, CPython's release build) it is 16 bytes:
//
//   PY_TRACE_REFS:  | ob_next | ob_prev | ob_refcnt | ob_type |   4 words
//   release:                            | ob_refcnt | ob_type |   2 words, as PyObject
struct Object {
#ifdef PY_TRACE_REFS
    Object* ob_next;  // refchain: the next (older) live object, or the sentinel
    Object* ob_prev;  // refchain: the previous (newer) live object, or the sentinel
#endif
    ssize_t ob_refcnt;
    TypeObject* ob_type;
};

// Py_REF_DEBUG: the negative-count check of decref. CPython's Py_TRACE_REFS implies it
// (Include/pyport.h); a release build has neither, and decref is one decrement and one test.
#if defined(PY_TRACE_REFS) && !defined(PY_REF_DEBUG)
#define PY_REF_DEBUG 1
#endif

// PyObject_HEAD_INIT: the header of a statically allocated object (None, True, False), off
// refchain, with the one reference the runtime holds: `NoneObject none{PY_OBJECT_HEAD_INIT(&T)};`
#ifdef PY_TRACE_REFS
#define PY_OBJECT_HEAD_INIT(type) \
    { nullptr, nullptr, 1, (type) }
#else
#define PY_OBJECT_HEAD_INIT(type) \
    { 1, (type) }
#endif

// PyVarObject: an object with a variable number of items (str, tuple, list).
struct VarObject : Object {
    ssize_t ob_size;
};

// Slot signatures, named as in CPython.
using destructor = void (*)(Object* self);
using allocfunc = void* (*)(TypeObject* type, ssize_t nitems);  // zeroed memory, nothing else
using freefunc = void (*)(void* memory);
using hashfunc = hash_t (*)(Object* self);
using reprfunc = std::string (*)(Object* self);
using visitproc = int (*)(Object* referent, void* arg);
using traverseproc = int (*)(Object* self, visitproc visit, void* arg);
using inquiry = int (*)(Object* self);

// The answer of an equality slot: Python's rich comparison may say "ask the other operand".
enum class Comparison { False, True, NotImplemented };
using equalfunc = Comparison (*)(Object* self, Object* other);

enum TypeFlags : unsigned long {
    TPFLAGS_DEFAULT = 0,
    TPFLAGS_HAVE_GC = 1UL << 14,  // instances may be part of reference cycles (chapter 02)
};

// PyTypeObject, cut down to the slots this workbook uses. Chapters after 01 fill in more slots of
// the same type objects (traverse and clear in 02, alloc and free for the free lists of 04).
struct TypeObject {
    const char* tp_name = nullptr;
    ssize_t tp_basicsize = 0;  // bytes of the fixed part
    ssize_t tp_itemsize = 0;   // bytes per item of a variable-size object, else 0
    destructor tp_dealloc = nullptr;
    reprfunc tp_repr = nullptr;
    hashfunc tp_hash = nullptr;    // nullptr: unhashable (list, dict)
    equalfunc tp_equal = nullptr;  // nullptr: identity only
    unsigned long tp_flags = TPFLAGS_DEFAULT;
    traverseproc tp_traverse = nullptr;
    inquiry tp_clear = nullptr;
    destructor tp_finalize = nullptr;
    allocfunc tp_alloc = nullptr;  // nullptr: generic_alloc
    freefunc tp_free = nullptr;    // nullptr: generic_free
};

// --- Life cycle ---------------------------------------------------------------------------------

// Memory for an object of `type` with `nitems` items, zero-filled: tp_basicsize + nitems *
// tp_itemsize bytes from malloc. Throws py::MemoryError when there is none.
void* generic_alloc(TypeObject* type, ssize_t nitems);
void generic_free(void* memory);

// PyObject_New / PyObject_NewVar: memory from the type's tp_alloc, ob_type set, ob_size set for a
// variable-size type, then new_reference(). Returns a new reference. Throws py::ValueError for a
// negative nitems.
Object* alloc_object(TypeObject* type, ssize_t nitems = 0);

// PyObject_Free: hands the memory of a deallocated object back through its type's tp_free.
void free_object(Object* op) noexcept;

// _Py_NewReference: refcount 1, linked at the head of refchain (with PY_TRACE_REFS).
void new_reference(Object* op) noexcept;

// _Py_ForgetReference: unlinks from refchain and clears both links. Does nothing for an object
// that is not linked (a static object such as None, or one already forgotten), nor without
// PY_TRACE_REFS.
void forget_reference(Object* op) noexcept;

// _Py_Dealloc: forget_reference, then the type's tp_dealloc.
void dealloc(Object* op) noexcept;

const char* type_name(const Object* op) noexcept;

// _Py_NegativeRefcount: reports "object has negative ref count (N)" with the object's type, then
// aborts. Out of line, so the inline decref stays small.
[[noreturn]] void negative_refcount(const Object* op) noexcept;

// Aborts the process after printing "Fatal Python error: <function>: <message>" and the object's
// type, as Py_FatalError / _PyObject_AssertFailed do.
[[noreturn]] void fatal_error(const char* function, const std::string& message,
                              const Object* op = nullptr) noexcept;

// --- Counting (inline: these run on every assignment, so a call would cost more than the work)
// KATA (lesson §3, steps 4-6): these are yours too, here in the header.

// Py_INCREF.
inline void incref(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§3");
}

// Py_DECREF: the last reference deallocates. A count that goes negative is a fatal error (call
// negative_refcount, which aborts with "object has negative ref count" and the type name); like
// CPython, only a PY_REF_DEBUG build checks (every build that runs the tests).
inline void decref(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§3");
}

// Py_XINCREF / Py_XDECREF: the same, doing nothing for nullptr.
inline void xincref(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§3");
}
inline void xdecref(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§3");
}

// Py_REFCNT. (Python's sys.getrefcount(x) prints one more: its argument is a reference too.)
inline ssize_t refcount(const Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§3");
    return 0;
}

// --- The object protocol (dispatches through the type's slots) ----------------------------------

// hash(op): throws py::TypeError("unhashable type: 'list'") for a type without tp_hash.
hash_t hash(Object* op);
// a == b with Python's rules: identity first, then a's slot, then b's reflected slot.
bool equal(Object* a, Object* b);
// repr(op); a container that contains itself prints as [...] or {...}.
std::string repr(Object* op);

}  // namespace py
