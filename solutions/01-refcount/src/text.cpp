// None and str (Objects/object.c, Objects/unicodeobject.c).
#include <cstdint>
#include <cstring>
// kata: skeleton // KATA (lesson §5, §7 and §9: steps 8, 13 and 17). The type objects and the static None are
// kata: skeleton // given.
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

// kata: skeleton // None hashes by identity: _Py_HashPointer (the address, rotated right by 4 bits).
hash_t identity_hash(Object* self) {
    // kata: begin §7
    // _Py_HashPointer: the address, rotated so the always-zero alignment bits carry information.
    const auto address = reinterpret_cast<std::uintptr_t>(self);
    const auto hash = static_cast<hash_t>((address >> 4) | (address << (8 * sizeof(address) - 4)));
    return hash == -1 ? -2 : hash;
    // kata: end
}

NoneObject none_object{PY_OBJECT_HEAD_INIT(&NoneObject::Type)};

// kata: skeleton // Any good string hash will do (CPython uses SipHash-1-3 with a random key); cache it in
// kata: skeleton // ob_shash, and never return -1.
hash_t str_hash(Object* self) {
    // kata: begin §7
    // CPython hashes str with SipHash-1-3 under a per-process random key (PYTHONHASHSEED).
    // We use FNV-1a: deterministic, so a test can rely on it, and good enough for a dict.
    auto* str = static_cast<Str*>(self);
    if (str->ob_shash != -1) {
        return str->ob_shash;
    }
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : str->view()) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    auto result = static_cast<hash_t>(h);
    str->ob_shash = result == -1 ? -2 : result;
    return str->ob_shash;
    // kata: end
}

Comparison str_equal(Object* self, Object* other) {
    // kata: begin §7
    if (other->ob_type != &Str::Type) {
        return Comparison::NotImplemented;
    }
    return static_cast<Str*>(self)->view() == static_cast<Str*>(other)->view() ? Comparison::True
                                                                               : Comparison::False;
    // kata: end
}

// kata: begin replace
// str.__repr__: single quotes unless the text has a single quote and no double quote.
// kata: end
std::string str_repr(Object* self) {
    // kata: begin §9
    const std::string_view text = static_cast<Str*>(self)->view();
    const bool has_single = text.find('\'') != std::string_view::npos;
    const bool has_double = text.find('"') != std::string_view::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out(1, quote);
    for (const char c : text) {
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
        } else if (byte < 0x20 || byte == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += c;  // printable ASCII, and UTF-8 bytes of printable characters
        }
    }
    out += quote;
    return out;
    // kata: end
}

void str_dealloc(Object* self) {
    // kata: begin §5 noexcept
    free_object(self);
    // kata: end
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
    // kata: begin §5
    return Ref<Object>::borrow(&none_object);
    // kata: end
}

bool is_none(const Object* op) noexcept {
    return op == &none_object;
}

Ref<Str> Str::create(std::string_view text) {
    // kata: begin §5
    // One extra item for the terminating NUL, so data() is also a C string.
    auto* op = static_cast<Str*>(alloc_object(&Str::Type, static_cast<ssize_t>(text.size()) + 1));
    op->ob_size = static_cast<ssize_t>(text.size());
    op->ob_shash = -1;
    std::memcpy(op + 1, text.data(), text.size());
    return Ref<Str>::steal(op);
    // kata: end
}

const char* Str::data() const noexcept {
    return reinterpret_cast<const char*>(this + 1);
}

std::string_view Str::view() const noexcept {
    return {data(), static_cast<std::size_t>(ob_size)};
}

}  // namespace py
