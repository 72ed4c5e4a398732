// Caches and pools: the objects CPython keeps instead of allocating again.
//
// CPython 3.11: Objects/longobject.c (small ints, get_small_int, PyLong_FromLong),
// Objects/unicodeobject.c (LATIN1 single characters, PyUnicode_InternInPlace),
// Objects/codeobject.c (intern_string_constants, all_name_chars), Objects/floatobject.c,
// Objects/listobject.c, Objects/dictobject.c, Objects/tupleobject.c (free lists) with their
// capacities in Include/internal/pycore_floatobject.h, pycore_list.h, pycore_dict.h,
// pycore_tuple.h.
#pragma once

#include <string_view>

#include "py/gc_module.hpp"
#include "py/ref.hpp"
#include "py/scalars.hpp"

namespace py {

// --- §1 Small ints: [-5, 256] exist once, made when the runtime starts (_PY_NSMALLNEGINTS 5,
// _PY_NSMALLPOSINTS 257).
constexpr long long SMALL_INT_MIN = -5;
constexpr long long SMALL_INT_MAX = 256;

// PyLong_FromLong: the cached object for a small int, else a new one (Int::create).
Ref<Int> int_from(long long value);

// --- §2 Strings: the empty string and every one-character latin-1 string (U+0000 to U+00FF)
// exist once; interning makes equal strings one object.

// PyUnicode_FromStringAndSize: the cached object for "" and for one latin-1 character (one byte
// below 0x80, or the two-byte UTF-8 of U+0080..U+00FF), else a new one (Str::create).
Ref<Str> str_from(std::string_view text);

// sys.intern / PyUnicode_InternInPlace: the one interned string equal to `text` (the first one
// interned). Interned strings live as long as the program.
Ref<Str> intern(Str* text);
Ref<Str> intern(std::string_view text);
bool is_interned(const Str* text) noexcept;

// What the compiler does with a string constant in a code object (intern_string_constants):
// interned if every character is an ASCII letter, digit or underscore, whatever its length;
// otherwise a new object (str_from's caches still apply).
Ref<Str> code_constant(std::string_view text);

// --- §3 Free lists: a freed float, list, dict or small tuple is kept for the next allocation of
// the same kind, up to CPython 3.11's capacity.
namespace freelists {

constexpr ssize_t FLOAT_MAXFREELIST = 100;   // PyFloat_MAXFREELIST
constexpr ssize_t LIST_MAXFREELIST = 80;     // PyList_MAXFREELIST
constexpr ssize_t DICT_MAXFREELIST = 80;     // PyDict_MAXFREELIST
constexpr ssize_t TUPLE_MAXSAVESIZE = 20;    // PyTuple_MAXSAVESIZE: sizes 1 to 20
constexpr ssize_t TUPLE_MAXFREELIST = 2000;  // PyTuple_MAXFREELIST: per size

// How many objects each free list holds now.
ssize_t floats() noexcept;
ssize_t lists() noexcept;
ssize_t dicts() noexcept;
ssize_t tuples(ssize_t size) noexcept;  // 0 for a size without a free list

// _PyGC_ClearAllFreeLists: give every cached object back to the allocator.
void clear() noexcept;

}  // namespace freelists

}  // namespace py
