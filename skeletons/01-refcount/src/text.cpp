// None and str (Objects/object.c, Objects/unicodeobject.c).
#include <cstdint>
#include <cstring>
// KATA (lesson §5, §7 and §9: steps 8, 13 and 17). The type objects and the static None are
// given.
#include <string>

#include "py/kata.hpp"
#include "py/scalars.hpp"

namespace py {
namespace {

void none_dealloc(Object* self) {
    fatal_error("py::dealloc", "deallocating None", self);
}

std::string none_repr(Object* /*self*/) {
    return "None";
}

// None hashes by identity: _Py_HashPointer (the address, rotated right by 4 bits).
hash_t identity_hash(Object* self) {
    PY_KATA_TODO("§7");
}

NoneObject none_object{PY_OBJECT_HEAD_INIT(&NoneObject::Type)};

// Any good string hash will do (CPython uses SipHash-1-3 with a random key); cache it in
// ob_shash, and never return -1.
hash_t str_hash(Object* self) {
    PY_KATA_TODO("§7");
}

Comparison str_equal(Object* self, Object* other) {
    PY_KATA_TODO("§7");
}

std::string str_repr(Object* self) {
    PY_KATA_TODO("§9");
}

void str_dealloc(Object* self) {
    PY_KATA_TODO_NOEXCEPT("§5");
}

}  // namespace

TypeObject NoneObject::Type = {.tp_name = "NoneType",
                               .tp_basicsize = sizeof(NoneObject),
                               .tp_dealloc = &none_dealloc,
                               .tp_repr = &none_repr,
                               .tp_hash = &identity_hash};

TypeObject Str::Type = {.tp_name = "str",
                        .tp_basicsize = sizeof(Str),
                        .tp_itemsize = 1,
                        .tp_dealloc = &str_dealloc,
                        .tp_repr = &str_repr,
                        .tp_hash = &str_hash,
                        .tp_equal = &str_equal};

Ref<Object> None() {
    PY_KATA_TODO("§5");
}

bool is_none(const Object* op) noexcept {
    return op == &none_object;
}

Ref<Str> Str::create(std::string_view text) {
    PY_KATA_TODO("§5");
}

const char* Str::data() const noexcept {
    return reinterpret_cast<const char*>(this + 1);
}

std::string_view Str::view() const noexcept {
    return {data(), static_cast<std::size_t>(ob_size)};
}

}  // namespace py
