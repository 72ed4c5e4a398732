// py::pickle: Python's pickle format for the runtime's values, byte for byte what CPython writes.
//
//     std::string data = py::pickle::dumps(list.get());       // protocol 4, like Python 3.8+
//     py::Ref<py::Object> copy = py::pickle::loads(data);     // a new, equal structure
//
// Supported values: None, bool, int, float, str, bytes, tuple, list and dict, nested in any way,
// with shared and cyclic references preserved through the memo (a list that contains itself
// comes back containing itself). Protocols 2 to 5 are written; protocols 0 to 5 are read for
// these types. For the same value, dumps(value, 4) and dumps(value, 5) return the same bytes as
// CPython 3.11's `pickle.dumps(value, 4)` (the C accelerator, Modules/_pickle.c), so Python loads
// what we write and we load what Python writes.
//
// Errors are CPython's: loads raises py::UnpicklingError ("pickle data was truncated",
// "invalid load key, '\xff'.", "unpickling stack underflow", "Memo value not found at index 5"),
// py::EOFError("Ran out of input"), py::ValueError("unsupported pickle protocol: 9") or
// py::UnicodeDecodeError for malformed input, and never reads outside `data`. dumps raises
// py::TypeError("cannot pickle 'X' object") for a type it cannot write and py::RecursionError
// for nesting deeper than CPython's default recursion limit allows.
#pragma once

#include <string>
#include <string_view>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::pickle {

inline constexpr int HIGHEST_PROTOCOL = 5;  // pickle.HIGHEST_PROTOCOL in 3.8+
inline constexpr int DEFAULT_PROTOCOL = 4;  // pickle.DEFAULT_PROTOCOL in 3.8-3.13

// pickle.dumps(obj, protocol): a negative protocol means HIGHEST_PROTOCOL. Throws
// py::ValueError("pickle protocol must be <= 5") above 5, py::ValueError for 0 and 1 (this
// workbook writes the binary protocols 2-5 only).
std::string dumps(Object* obj, int protocol = DEFAULT_PROTOCOL);

template <class T>
std::string dumps(const Ref<T>& obj, int protocol = DEFAULT_PROTOCOL) {
    return dumps(static_cast<Object*>(obj.get()), protocol);
}

// pickle.loads(data): the value the pickle describes, as a new reference. Bytes after the STOP
// opcode are ignored, as CPython does.
Ref<Object> loads(std::string_view data);

}  // namespace py::pickle
