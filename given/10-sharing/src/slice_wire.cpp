// See slice_wire.hpp: two bytes per slice, swapped in place.
#include "slice_wire.hpp"

#include <string_view>

#include "py/containers.hpp"
#include "py/scalars.hpp"

namespace py::multiprocessing::detail {
namespace {

constexpr char kTuple2 = '\x86';
constexpr char kTuple3 = '\x87';
constexpr char kStackGlobal = '\x93';
constexpr char kReduce = 'R';
constexpr char kMemoize = '\x94';
// 'builtins' and 'slice' as protocol 4 writes them, each memoized.
constexpr std::string_view kNames(
    "\x8c\x08"
    "builtins\x94\x8c\x05"
    "slice\x94",
    19);

// The length of the opcode at data[at] if it pushes what a slice's part may be (an int, a bool,
// None; a float or a short str, for the TypeError), else 0.
std::size_t scalar_length(const std::string& data, std::size_t at) {
    switch (static_cast<unsigned char>(data[at])) {
        case 'N':   // None
        case 0x88:  // NEWTRUE
        case 0x89:  // NEWFALSE
            return 1;
        case 'K':  // BININT1
            return 2;
        case 'M':  // BININT2
            return 3;
        case 'J':  // BININT
            return 5;
        case 'G':  // BINFLOAT (slice(1.5): the server's TypeError, as CPython's)
            return 9;
        case 0x8a:  // LONG1: length byte, then the bytes
        case 0x8c:  // SHORT_BINUNICODE (slice('a'): the same TypeError)
            return at + 1 < data.size() ? 2 + static_cast<unsigned char>(data[at + 1]) : 0;
        default:
            return 0;
    }
}

// Every `names`+`from` ... TUPLE3 [memo] `reduce_from` becomes `to` ... `reduce_to`.
std::string swap(std::string data, char from, char to, char reduce_from, char reduce_to) {
    std::size_t found = 0;
    while ((found = data.find(kNames, found)) != std::string::npos) {
        std::size_t at = found + kNames.size();
        found = at;
        if (at >= data.size() || data[at] != from) {
            continue;
        }
        const std::size_t global = at++;
        if (at < data.size() && data[at] == kMemoize) {
            ++at;
        }
        bool parts_ok = true;
        for (int part = 0; part < 3 && parts_ok; ++part) {
            const std::size_t length = at < data.size() ? scalar_length(data, at) : 0;
            parts_ok = length != 0 && at + length <= data.size();
            at += length;
            if (parts_ok && at < data.size() && data[at] == kMemoize) {
                ++at;  // a str part is memoized
            }
        }
        if (!parts_ok || at >= data.size() || data[at] != kTuple3) {
            continue;
        }
        ++at;
        if (at < data.size() && data[at] == kMemoize) {
            ++at;
        }
        if (at < data.size() && data[at] == reduce_from) {
            data[global] = to;
            data[at] = reduce_to;
        }
    }
    return data;
}

}  // namespace

Ref<Object> make_slice(Object* start, Object* stop, Object* step) {
    return Tuple::pack(
        {Tuple::pack({Str::create("builtins").get(), Str::create("slice").get()}).get(),
         Tuple::pack({start, stop, step}).get()});
}

Object* slice_parts(Object* op) {
    if (op->ob_type != &Tuple::Type || static_cast<Tuple*>(op)->size() != 2) {
        return nullptr;
    }
    auto* pair = static_cast<Tuple*>(op);
    auto* names = pair->item(0);
    auto* parts = pair->item(1);
    if (names->ob_type != &Tuple::Type || static_cast<Tuple*>(names)->size() != 2 ||
        parts->ob_type != &Tuple::Type || static_cast<Tuple*>(parts)->size() != 3) {
        return nullptr;
    }
    auto* module = static_cast<Tuple*>(names)->item(0);
    auto* name = static_cast<Tuple*>(names)->item(1);
    if (module->ob_type != &Str::Type || name->ob_type != &Str::Type ||
        static_cast<Str*>(module)->view() != "builtins" ||
        static_cast<Str*>(name)->view() != "slice") {
        return nullptr;
    }
    return parts;
}

std::string slices_to_wire(std::string data) {
    return swap(std::move(data), kTuple2, kStackGlobal, kTuple2, kReduce);
}

std::string slices_from_wire(std::string data) {
    return swap(std::move(data), kStackGlobal, kTuple2, kReduce, kTuple2);
}

}  // namespace py::multiprocessing::detail
