// tuple (Objects/tupleobject.c).
#include <cstdint>
// kata: skeleton // KATA (lesson §6, §7 and §9: steps 9, 13 and 17). The type object and the item accessors are
// kata: skeleton // given.
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
    // kata: begin §6 noexcept
    auto* tuple = static_cast<Tuple*>(self);
    for (ssize_t i = tuple->ob_size - 1; i >= 0; --i) {
        xdecref(tuple->items()[i]);
    }
    free_object(self);
    // kata: end
    trashcan::end();
}

std::string tuple_repr(Object* self) {
    // kata: begin §9
    auto* tuple = static_cast<Tuple*>(self);
    if (tuple->ob_size == 0) {
        return "()";
    }
    ReprGuard guard(self);
    if (guard.recursive()) {
        return "(...)";
    }
    std::string out = "(";
    for (ssize_t i = 0; i < tuple->ob_size; ++i) {
        out += (i > 0 ? ", " : "") + repr(tuple->items()[i]);
    }
    return out + (tuple->ob_size == 1 ? ",)" : ")");
    // kata: end
}

// kata: begin replace
// tuplehash (3.8+): xxHash's mixing over the items' hashes.
// kata: skeleton // tuplehash (3.8+): xxHash's mixing of the items' hashes; see the lesson for the constants.
// kata: end
hash_t tuple_hash(Object* self) {
    // kata: begin §7
    constexpr std::uint64_t prime1 = 11400714785074694791ULL;
    constexpr std::uint64_t prime2 = 14029467366897019727ULL;
    constexpr std::uint64_t prime5 = 2870177450012600261ULL;
    auto* tuple = static_cast<Tuple*>(self);
    std::uint64_t acc = prime5;
    for (ssize_t i = 0; i < tuple->ob_size; ++i) {
        const auto lane = static_cast<std::uint64_t>(hash(tuple->items()[i]));
        acc += lane * prime2;
        acc = (acc << 31) | (acc >> 33);
        acc *= prime1;
    }
    // The length, mangled so that hash(()) keeps its historical value.
    acc += static_cast<std::uint64_t>(tuple->ob_size) ^ (prime5 ^ 3527539ULL);
    if (acc == static_cast<std::uint64_t>(-1)) {
        return 1546275796;
    }
    return static_cast<hash_t>(acc);
    // kata: end
}

Comparison tuple_equal(Object* self, Object* other) {
    // kata: begin §7
    if (other->ob_type != &Tuple::Type) {
        return Comparison::NotImplemented;
    }
    auto* a = static_cast<Tuple*>(self);
    auto* b = static_cast<Tuple*>(other);
    if (a->ob_size != b->ob_size) {
        return Comparison::False;
    }
    for (ssize_t i = 0; i < a->ob_size; ++i) {
        if (!equal(a->items()[i], b->items()[i])) {
            return Comparison::False;
        }
    }
    return Comparison::True;
    // kata: end
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
    // kata: begin §6
    auto* tuple =
        static_cast<Tuple*>(alloc_object(&Tuple::Type, static_cast<ssize_t>(items.size())));
    ssize_t i = 0;
    for (Object* item : items) {
        incref(item);
        tuple->items()[i++] = item;
    }
    return Ref<Tuple>::steal(tuple);
    // kata: end
}

Object** Tuple::items() noexcept {
    return reinterpret_cast<Object**>(this + 1);
}

Object* const* Tuple::items() const noexcept {
    return reinterpret_cast<Object* const*>(this + 1);
}

Object* Tuple::item(ssize_t index) const {
    // kata: begin §6
    if (index < 0) {
        index += ob_size;
    }
    if (index < 0 || index >= ob_size) {
        throw IndexError("tuple index out of range");
    }
    return items()[index];
    // kata: end
}

}  // namespace py
