// bytes: an immutable sequence of bytes, the type pickles and pipes carry.
//
// Chapter 01's runtime has no bytes type, and pickle needs one (protocol 3 added opcodes for it),
// so this chapter adds it the way chapter 01 defines str: ob_size bytes stored right after the
// header, then a NUL. CPython: Objects/bytesobject.c (PyBytesObject, ob_sval).
#pragma once

#include <string>
#include <string_view>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py {

struct Bytes : VarObject {
    hash_t ob_shash;         // -1 until the hash is first computed, then cached
    static TypeObject Type;  // "bytes"
    static Ref<Bytes> create(std::string_view data);
    [[nodiscard]] std::string_view view() const noexcept;
    [[nodiscard]] const char* data() const noexcept;
    [[nodiscard]] ssize_t size() const noexcept { return ob_size; }
};

// repr(b'...') as Python writes it: b'ab\x00' (quotes chosen like str's).
std::string bytes_repr(std::string_view data);

}  // namespace py
