// list (Objects/listobject.c).
#include <cstdlib>
// KATA (lesson §6, §7 and §9: steps 10-13 and 17). The type object is given.
#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "repr_guard.hpp"
#include "trashcan.hpp"

namespace py {
namespace {

void list_dealloc(Object* self) {
    // Py_TRASHCAN_BEGIN (lesson §11): deeper than 50 nested deallocations, defer this one.
    if (!trashcan::begin(self)) {
        return;
    }
    PY_KATA_TODO_NOEXCEPT("§6");
    trashcan::end();
}

std::string list_repr(Object* self) {
    PY_KATA_TODO("§9");
}

Comparison list_equal(Object* self, Object* other) {
    PY_KATA_TODO("§7");
}

}  // namespace

TypeObject List::Type = {.tp_name = "list",
                         .tp_basicsize = sizeof(List),
                         .tp_dealloc = &list_dealloc,
                         .tp_repr = &list_repr,
                         .tp_equal = &list_equal,
                         .tp_flags = TPFLAGS_HAVE_GC};

Ref<List> List::create() {
    PY_KATA_TODO("§6");
}

void List::append(Object* item) {
    PY_KATA_TODO("§6");
}

Object* List::item(ssize_t index) const {
    PY_KATA_TODO("§6");
}

void List::setitem(ssize_t index, Object* item) {
    PY_KATA_TODO("§6");
}

Ref<Object> List::pop() {
    PY_KATA_TODO("§6");
}

void List::clear() noexcept {
    PY_KATA_TODO_NOEXCEPT("§6");
}

}  // namespace py
