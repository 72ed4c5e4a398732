// Small builders for runtime values in tests: I(5), S("x"), B("raw"), T({...}), L({...}),
// D({{k, v}}), and hex() to print bytes the way a failing assertion should show them.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "py/bytes.hpp"
#include "py/containers.hpp"
#include "py/scalars.hpp"

namespace testing_values {

using Obj = py::Ref<py::Object>;

inline Obj I(long long value) {
    return py::Int::create(value);
}
inline Obj F(double value) {
    return py::Float::create(value);
}
inline Obj S(std::string_view text) {
    return py::Str::create(text);
}
inline Obj B(std::string_view data) {
    return py::Bytes::create(data);
}
inline Obj T(std::initializer_list<Obj> items) {
    auto* tuple = static_cast<py::Tuple*>(
        py::alloc_object(&py::Tuple::Type, static_cast<py::ssize_t>(items.size())));
    py::ssize_t i = 0;
    for (const Obj& item : items) {
        py::incref(item.get());
        tuple->items()[i++] = item.get();
    }
    return Obj::steal(tuple);
}
inline py::Ref<py::List> L(std::initializer_list<Obj> items) {
    auto list = py::List::create();
    for (const Obj& item : items) {
        list->append(item.get());
    }
    return list;
}
inline py::Ref<py::Dict> D(std::initializer_list<std::pair<Obj, Obj>> items) {
    auto dict = py::Dict::create();
    for (const auto& [key, value] : items) {
        dict->setitem(key.get(), value.get());
    }
    return dict;
}

// "80 04 4e 2e" style, so a mismatch shows where the bytes differ.
inline std::string hex(std::string_view data, bool spaced = true) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(data.size() * (spaced ? 3 : 2), ' ');
    char* p = out.data();
    for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);
        *p++ = digits[byte >> 4];
        *p++ = digits[byte & 0xf];
        if (spaced) {
            ++p;
        }
    }
    if (spaced && !out.empty()) {
        out.pop_back();
    }
    return out;
}

// Where two byte strings first differ, with a little context, for assertion messages.
inline std::string first_difference(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) {
        ++i;
    }
    const std::size_t from = i < 8 ? 0 : i - 8;
    return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
           ", first difference at byte " + std::to_string(i) + ": [" + hex(a.substr(from, 24)) +
           "] vs [" + hex(b.substr(std::min(from, b.size()), 24)) + "]";
}

// The inverse, for expected values written as "80 04 4e 2e" (spaces optional).
inline std::string unhex(std::string_view text) {
    std::string out;
    int high = -1;
    for (const char c : text) {
        int digit = -1;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        }
        if (digit < 0) {
            continue;
        }
        if (high < 0) {
            high = digit;
        } else {
            out += static_cast<char>(high * 16 + digit);
            high = -1;
        }
    }
    return out;
}

}  // namespace testing_values
