// tuple (Objects/tupleobject.c).
#include <cstdint>
// KATA (lesson §6, §7 and §9: steps 9, 13 and 17). The type object and the item accessors are
// given.
#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "repr_guard.hpp"
#include "trashcan.hpp"

namespace py {
namespace {

void tuple_dealloc(Object* self) {
    // Py_TRASHCAN_BEGIN (lesson §11): deeper than 50 nested deallocations, defer this one.
    if (!trashcan::begin(self)) {
        return;
    }
    PY_KATA_TODO_NOEXCEPT("§6");
    trashcan::end();
}

std::string tuple_repr(Object* self) {
    PY_KATA_TODO("§9");
}

// tuplehash (3.8+): xxHash's mixing of the items' hashes; see the lesson for the constants.
hash_t tuple_hash(Object* self) {
    PY_KATA_TODO("§7");
}

Comparison tuple_equal(Object* self, Object* other) {
    PY_KATA_TODO("§7");
}

}  // namespace

TypeObject Tuple::Type = {
    .tp_name = "tuple",
    .tp_basicsize = sizeof(Tuple),
    .tp_itemsize = sizeof(Object*),  // NOLINT(bugprone-sizeof-expression): item = pointer
    .tp_dealloc = &tuple_dealloc,
    .tp_repr = &tuple_repr,
    .tp_hash = &tuple_hash,
    .tp_equal = &tuple_equal,
    .tp_flags = TPFLAGS_HAVE_GC};

Ref<Tuple> Tuple::pack(std::initializer_list<Object*> items) {
    PY_KATA_TODO("§6");
}

Object** Tuple::items() noexcept {
    return reinterpret_cast<Object**>(this + 1);
}

Object* const* Tuple::items() const noexcept {
    return reinterpret_cast<Object* const*>(this + 1);
}

Object* Tuple::item(ssize_t index) const {
    PY_KATA_TODO("§6");
}

}  // namespace py
