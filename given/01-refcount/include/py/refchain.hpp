// refchain: the circular doubly linked list that holds every live object.
//
// CPython keeps it only in a Py_TRACE_REFS build (Objects/object.c: `static PyObject refchain`),
// where sys.getobjects() walks it. The sentinel is an Object that is never a real value; an empty
// chain is the sentinel pointing at itself. New objects go in right after the sentinel, so a
// walk from the sentinel's ob_next meets the newest object first.
//
// Only with PY_TRACE_REFS (the CMake option WORKBOOK_TRACE_REFS): a release build, like CPython's,
// has no refchain and no sys.getobjects().
#pragma once

#include <vector>

#include "py/object.hpp"

#ifdef PY_TRACE_REFS
namespace py::refchain {

// The sentinel (head) of the chain.
Object& head() noexcept;

// Number of live objects on the chain.
ssize_t size() noexcept;

// The live objects, newest first (borrowed pointers). Like sys.getobjects(limit, type): limit 0
// means all; a type keeps only objects of exactly that type.
std::vector<Object*> objects(ssize_t limit = 0, const TypeObject* type = nullptr);

// Whether `op` is on the chain.
bool contains(const Object* op) noexcept;

}  // namespace py::refchain
#endif  // PY_TRACE_REFS
