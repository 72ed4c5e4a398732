// bytes (Objects/bytesobject.c): given, not a kata. Laid out like chapter 01's str.
#include "py/bytes.hpp"

#include <cstdint>
#include <cstring>

namespace py {
namespace {

void bytes_dealloc(Object* self) {
    free_object(self);
}

std::string bytes_object_repr(Object* self) {
    return bytes_repr(static_cast<Bytes*>(self)->view());
}

hash_t bytes_hash(Object* self) {
    // FNV-1a, like chapter 01's str (CPython uses SipHash with a per-process key).
    auto* bytes = static_cast<Bytes*>(self);
    if (bytes->ob_shash != -1) {
        return bytes->ob_shash;
    }
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : bytes->view()) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    auto result = static_cast<hash_t>(h);
    bytes->ob_shash = result == -1 ? -2 : result;
    return bytes->ob_shash;
}

// b'a' == 'a' is False in Python 3: bytes only equal bytes.
Comparison bytes_equal(Object* self, Object* other) {
    if (other->ob_type != &Bytes::Type) {
        return Comparison::NotImplemented;
    }
    return static_cast<Bytes*>(self)->view() == static_cast<Bytes*>(other)->view()
               ? Comparison::True
               : Comparison::False;
}

}  // namespace

TypeObject Bytes::Type = {.tp_name = "bytes",
                          .tp_basicsize = sizeof(Bytes),
                          .tp_itemsize = 1,
                          .tp_dealloc = &bytes_dealloc,
                          .tp_repr = &bytes_object_repr,
                          .tp_hash = &bytes_hash,
                          .tp_equal = &bytes_equal};

Ref<Bytes> Bytes::create(std::string_view data) {
    auto* op =
        static_cast<Bytes*>(alloc_object(&Bytes::Type, static_cast<ssize_t>(data.size()) + 1));
    op->ob_size = static_cast<ssize_t>(data.size());
    op->ob_shash = -1;
    if (!data.empty()) {
        std::memcpy(op + 1, data.data(), data.size());
    }
    return Ref<Bytes>::steal(op);
}

const char* Bytes::data() const noexcept {
    return reinterpret_cast<const char*>(this + 1);
}

std::string_view Bytes::view() const noexcept {
    return {data(), static_cast<std::size_t>(ob_size)};
}

std::string bytes_repr(std::string_view data) {
    const bool has_single = data.find('\'') != std::string_view::npos;
    const bool has_double = data.find('"') != std::string_view::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out = "b";
    out += quote;
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == quote || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte >= 0x7f) {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += quote;
    return out;
}

}  // namespace py
