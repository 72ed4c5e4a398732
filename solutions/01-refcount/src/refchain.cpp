// The list of all live objects (Objects/object.c in a Py_TRACE_REFS build).
// kata: skeleton // KATA (lesson §2, steps 1-2). head() is given.
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
    // kata: begin step02 §2 noexcept
    ssize_t count = 0;
    const Object& sentinel = head();
    for (const Object* op = sentinel.ob_next; op != &sentinel; op = op->ob_next) {
        ++count;
    }
    return count;
    // kata: skeleton return 0;
    // kata: end
}

std::vector<Object*> objects(ssize_t limit, const TypeObject* type) {
    // kata: begin step02 §2
    std::vector<Object*> found;
    Object& sentinel = head();
    for (Object* op = sentinel.ob_next; op != &sentinel; op = op->ob_next) {
        if (limit > 0 && static_cast<ssize_t>(found.size()) == limit) {
            break;
        }
        if (type == nullptr || op->ob_type == type) {
            found.push_back(op);
        }
    }
    return found;
    // kata: end
}

bool contains(const Object* op) noexcept {
    // kata: begin step01 §2 noexcept
    const Object& sentinel = head();
    for (const Object* it = sentinel.ob_next; it != &sentinel; it = it->ob_next) {
        if (it == op) {
            return true;
        }
    }
    // kata: end
    return false;
}

}  // namespace py::refchain
#endif  // PY_TRACE_REFS
