// The scalar types: None, bool, int, float, str.
//
// CPython: Objects/object.c (None), Objects/boolobject.c, Objects/longobject.c,
// Objects/floatobject.c, Objects/unicodeobject.c. Differences on purpose: our int holds a
// 64-bit value instead of an array of 30-bit digits, and our str holds UTF-8 bytes inline
// (like PyBytesObject) instead of one of PEP 393's three fixed-width layouts.
#pragma once

#include <cstddef>
#include <string_view>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py {

// None: one statically allocated object, never on refchain, never deallocated.
struct NoneObject : Object {
    static TypeObject Type;  // "NoneType"
};
Ref<Object> None();  // a new reference to the one None
bool is_none(const Object* op) noexcept;

// int, with CPython's hash: the value modulo 2**61 - 1, keeping the sign, -1 becoming -2.
struct Int : Object {
    long long ob_ival;
    static TypeObject Type;  // "int"
    static Ref<Int> create(long long value);
    [[nodiscard]] long long value() const noexcept { return ob_ival; }
    static bool check(const Object* op) noexcept;  // int or bool, as PyLong_Check
};

// bool is a subclass of int, as in Python: True == 1 and hash(True) == hash(1). True and False
// are two static objects, never on refchain, never deallocated.
struct Bool : Int {
    static TypeObject Type;  // "bool"
};
Ref<Bool> True();
Ref<Bool> False();
Ref<Bool> to_bool(bool value);

// float, with CPython's hash (_Py_HashDouble): a float equal to an int hashes like that int.
struct Float : Object {
    double ob_fval;
    static TypeObject Type;  // "float"
    static Ref<Float> create(double value);
    [[nodiscard]] double value() const noexcept { return ob_fval; }
};

// str: ob_size bytes of UTF-8 stored right after the header, then a NUL, as PyBytesObject does.
struct Str : VarObject {
    hash_t ob_shash;         // -1 until the hash is first computed, then cached
    static TypeObject Type;  // "str"
    static Ref<Str> create(std::string_view text);
    [[nodiscard]] std::string_view view() const noexcept;
    [[nodiscard]] const char* data() const noexcept;
};

// The code point of a one-character str whose character is latin-1 (U+0000-U+00FF), given as
// our UTF-8 (one ASCII byte, or 0xC2/0xC3 and one continuation byte), or -1 for any other text.
// CPython keeps one object for each of these 256 strs: chapter 04 caches them, chapter 09's
// pickle memo keys them by value because of it.
[[nodiscard]] inline int latin1_code(std::string_view utf8) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(utf8[i]); };
    if (utf8.size() == 1 && byte(0) < 0x80) {
        return byte(0);
    }
    if (utf8.size() == 2 && (byte(0) == 0xC2 || byte(0) == 0xC3) && (byte(1) & 0xC0) == 0x80) {
        return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
    }
    return -1;
}

}  // namespace py
