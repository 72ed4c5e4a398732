// Small ints, one-character strings and interning (Objects/longobject.c, Objects/unicodeobject.c,
// Objects/codeobject.c in CPython 3.11).
#include <array>
#include <string>
#include <unordered_map>

// KATA (lesson §1 and §2: steps 1-4). Build the caches when the library loads (a namespace-scope
// `const bool loaded = ...;` initializer), so that they exist before any test counts refchain.
#include "py/kata.hpp"
#include "py/pools.hpp"

namespace py {

Ref<Int> int_from(long long value) {
    PY_KATA_TODO("§1");
}

Ref<Str> str_from(std::string_view text) {
    PY_KATA_TODO("§2");
}

Ref<Str> intern(Str* text) {
    PY_KATA_TODO("§2");
}

Ref<Str> intern(std::string_view text) {
    PY_KATA_TODO("§2");
}

bool is_interned(const Str* text) noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
    return {};
}

Ref<Str> code_constant(std::string_view text) {
    PY_KATA_TODO("§2");
}

}  // namespace py
