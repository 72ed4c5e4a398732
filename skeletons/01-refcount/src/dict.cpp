// dict (Objects/dictobject.c, 3.11): a compact, insertion-ordered hash table.
// KATA (lesson §8 and §9: steps 14-17). The type object is given.
//
//   ma_keys ──> | log2 size 3 | log2 index bytes 3 | usable 2 | nentries 3 |   one block
//               | 2 | EMPTY | 0 | EMPTY | 1 | EMPTY | EMPTY | EMPTY |       8 one-byte slots
//               | (h, 'a', 1) | (h, 'b', 2) | (h, 'c', 3) | ... |         5 entries, in order
#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "repr_guard.hpp"
#include "trashcan.hpp"

namespace py {
namespace {

[[maybe_unused]] constexpr int PERTURB_SHIFT = 5;

// Two thirds of the slots may be used before the table is rebuilt.
[[maybe_unused]] constexpr ssize_t usable_fraction(ssize_t size) {
    return (size << 1) / 3;
}

void dict_dealloc(Object* self) {
    // Py_TRASHCAN_BEGIN (lesson §11): deeper than 50 nested deallocations, defer this one.
    if (!trashcan::begin(self)) {
        return;
    }
    PY_KATA_TODO_NOEXCEPT("§8");
    trashcan::end();
}

std::string dict_repr(Object* self) {
    PY_KATA_TODO("§9");
}

Comparison dict_equal(Object* self, Object* other) {
    PY_KATA_TODO("§8");
}

}  // namespace

DictKeys* DictKeys::create(int log2_size) {
    PY_KATA_TODO("§8");
}

TypeObject Dict::Type = {.tp_name = "dict",
                         .tp_basicsize = sizeof(Dict),
                         .tp_dealloc = &dict_dealloc,
                         .tp_repr = &dict_repr,
                         .tp_equal = &dict_equal,
                         .tp_flags = TPFLAGS_HAVE_GC};

Ref<Dict> Dict::create() {
    PY_KATA_TODO("§8");
}

void Dict::setitem(Object* key, Object* value) {
    PY_KATA_TODO("§8");
}

Object* Dict::getitem(Object* key) const {
    PY_KATA_TODO("§8");
}

Object* Dict::get(Object* key) const {
    PY_KATA_TODO("§8");
}

bool Dict::contains(Object* key) const {
    PY_KATA_TODO("§8");
}

void Dict::delitem(Object* key) {
    PY_KATA_TODO("§8");
}

std::vector<Object*> Dict::keys() const {
    PY_KATA_TODO("§8");
}

std::vector<std::pair<Object*, Object*>> Dict::items() const {
    PY_KATA_TODO("§8");
}

}  // namespace py
