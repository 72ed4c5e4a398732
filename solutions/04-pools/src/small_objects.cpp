// Small ints, one-character strings and interning (Objects/longobject.c, Objects/unicodeobject.c,
// Objects/codeobject.c in CPython 3.11).
#include <array>
#include <string>
#include <unordered_map>

// kata: skeleton // KATA (lesson §1 and §2: steps 1-4). Build the caches when the library loads (a namespace-scope
// kata: skeleton // `const bool loaded = ...;` initializer), so that they exist before any test counts refchain.
#include "py/kata.hpp"
#include "py/pools.hpp"

namespace py {
// kata: begin replace
namespace {

constexpr std::size_t SMALL_INT_COUNT = SMALL_INT_MAX - SMALL_INT_MIN + 1;

struct Caches {
    std::array<Int*, SMALL_INT_COUNT> small_ints{};
    std::array<Str*, 256> latin1{};
    Str* empty = nullptr;
    // The interned strings by value. CPython keeps them in a dict (interned in unicodeobject.c);
    // a C++ map keeps our collector out of the picture.
    std::unordered_map<std::string_view, Str*> interned;
};

// Built when the library loads, so the objects exist before any test counts refchain: the
// "interpreter start-up" of this runtime. They are never freed. A namespace-scope object (not a
// function-local static) so that int_from pays no initialisation guard on every call.
Caches the_caches;

Caches& caches() {
    return the_caches;
}

const bool loaded = [] {
    for (std::size_t i = 0; i < SMALL_INT_COUNT; ++i) {
        the_caches.small_ints[i] = Int::create(SMALL_INT_MIN + static_cast<long long>(i)).release();
    }
    for (std::size_t code = 0; code < 256; ++code) {
        std::string utf8;
        if (code < 0x80) {
            utf8.push_back(static_cast<char>(code));
        } else {
            utf8.push_back(static_cast<char>(0xC0 | (code >> 6)));
            utf8.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
        the_caches.latin1[code] = Str::create(utf8).release();
    }
    the_caches.empty = Str::create("").release();
    return true;
}();

// all_name_chars: [A-Za-z0-9_]* (CPython checks the characters, not the length).
bool all_name_chars(std::string_view text) {
    for (const char c : text) {
        const bool name_char =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!name_char) {
            return false;
        }
    }
    return true;
}

}  // namespace
// kata: end

Ref<Int> int_from(long long value) {
    // kata: begin §1
    if (value >= SMALL_INT_MIN && value <= SMALL_INT_MAX) {
        return Ref<Int>::borrow(
            caches().small_ints[static_cast<std::size_t>(value - SMALL_INT_MIN)]);
    }
    return Int::create(value);
    // kata: end
}

Ref<Str> str_from(std::string_view text) {
    // kata: begin §2
    if (text.empty()) {
        return Ref<Str>::borrow(caches().empty);
    }
    if (const int code = latin1_code(text); code >= 0) {
        return Ref<Str>::borrow(caches().latin1[static_cast<std::size_t>(code)]);
    }
    return Str::create(text);
    // kata: end
}

Ref<Str> intern(Str* text) {
    // kata: begin §2
    auto& interned = caches().interned;
    const auto found = interned.find(text->view());
    if (found != interned.end()) {
        return Ref<Str>::borrow(found->second);
    }
    incref(text);  // the table's reference: interned strings stay
    interned.emplace(text->view(), text);
    return Ref<Str>::borrow(text);
    // kata: end
}

Ref<Str> intern(std::string_view text) {
    // kata: begin §2
    const auto found = caches().interned.find(text);
    if (found != caches().interned.end()) {
        return Ref<Str>::borrow(found->second);
    }
    return intern(str_from(text).get());
    // kata: end
}

bool is_interned(const Str* text) noexcept {
    // kata: begin §2 noexcept
    const auto& interned = caches().interned;
    const auto found = interned.find(text->view());
    return found != interned.end() && found->second == text;
    // kata: skeleton return {};
    // kata: end
}

Ref<Str> code_constant(std::string_view text) {
    // kata: begin §2
    return all_name_chars(text) ? intern(text) : str_from(text);
    // kata: end
}

}  // namespace py
