// The list of all live objects (Objects/object.c in a Py_TRACE_REFS build).
// KATA (lesson §2, steps 1-2). head() is given.
#include "py/refchain.hpp"
#include "py/kata.hpp"

#ifdef PY_TRACE_REFS
namespace py::refchain {

Object& head() noexcept {
    // An empty circular list is the sentinel linked to itself. Constant-initialised, so objects
    // created by other libraries' static initialisers find it ready.
    static Object sentinel{&sentinel, &sentinel, 1, nullptr};
    return sentinel;
}

ssize_t size() noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
    return 0;
}

std::vector<Object*> objects(ssize_t limit, const TypeObject* type) {
    PY_KATA_TODO("§2");
}

bool contains(const Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
    return false;
}

}  // namespace py::refchain
#endif  // PY_TRACE_REFS
