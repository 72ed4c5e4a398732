// int, bool and float (Objects/longobject.c, Objects/boolobject.c, Objects/floatobject.c).
#include <array>
#include <charconv>
#include <cmath>
// KATA (lesson §5, §7 and §9: steps 8, 13 and 17). The type objects and the static True and
// False are given; the slot functions and factories are yours.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include "py/kata.hpp"
#include "py/scalars.hpp"

namespace py {
namespace {

// Numeric hashes reduce modulo the Mersenne prime 2**61 - 1 (Include/cpython/pyhash.h).
[[maybe_unused]] constexpr int HASH_BITS = 61;
[[maybe_unused]] constexpr std::uint64_t HASH_MODULUS = (std::uint64_t{1} << HASH_BITS) - 1;
[[maybe_unused]] constexpr hash_t HASH_INF = 314159;

hash_t int_hash(Object* self) {
    PY_KATA_TODO("§7");
}

hash_t float_hash(Object* self) {
    PY_KATA_TODO("§7");
}

// int == int, int == float, float == float; NotImplemented for anything that is not a number.
Comparison number_equal(Object* self, Object* other) {
    PY_KATA_TODO("§7");
}

std::string int_repr(Object* self) {
    PY_KATA_TODO("§9");
}

std::string bool_repr(Object* self) {
    PY_KATA_TODO("§9");
}

std::string float_repr(Object* self) {
    PY_KATA_TODO("§9");
}

void number_dealloc(Object* self) {
    PY_KATA_TODO_NOEXCEPT("§5");
}

void bool_dealloc(Object* self) {
    fatal_error("py::dealloc", "deallocating True or False", self);
}

// True and False: statically allocated, never on refchain. Their count starts at 1 for the
// reference the runtime itself holds, so they are never deallocated by correct code.
[[maybe_unused]] Bool false_object{{PY_OBJECT_HEAD_INIT(&Bool::Type), 0}};
[[maybe_unused]] Bool true_object{{PY_OBJECT_HEAD_INIT(&Bool::Type), 1}};

}  // namespace

TypeObject Int::Type = {.tp_name = "int",
                        .tp_basicsize = sizeof(Int),
                        .tp_dealloc = &number_dealloc,
                        .tp_repr = &int_repr,
                        .tp_hash = &int_hash,
                        .tp_equal = &number_equal};

TypeObject Bool::Type = {.tp_name = "bool",
                         .tp_basicsize = sizeof(Bool),
                         .tp_dealloc = &bool_dealloc,
                         .tp_repr = &bool_repr,
                         .tp_hash = &int_hash,
                         .tp_equal = &number_equal};

TypeObject Float::Type = {.tp_name = "float",
                          .tp_basicsize = sizeof(Float),
                          .tp_dealloc = &number_dealloc,
                          .tp_repr = &float_repr,
                          .tp_hash = &float_hash,
                          .tp_equal = &number_equal};

Ref<Int> Int::create(long long value) {
    PY_KATA_TODO("§5");
}

bool Int::check(const Object* op) noexcept {
    return op->ob_type == &Int::Type || op->ob_type == &Bool::Type;
}

Ref<Bool> True() {
    PY_KATA_TODO("§5");
}
Ref<Bool> False() {
    PY_KATA_TODO("§5");
}
Ref<Bool> to_bool(bool value) {
    PY_KATA_TODO("§5");
}

Ref<Float> Float::create(double value) {
    PY_KATA_TODO("§5");
}

}  // namespace py
