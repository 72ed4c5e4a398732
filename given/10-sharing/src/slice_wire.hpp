// slice objects on the wire. CPython pickles slice(2, 5, None) by reduction:
//
//     \x8c\x08builtins\x94 \x8c\x05slice\x94 \x93\x94   K\x02 K\x05 N \x87\x94   R\x94
//     'builtins' memo      'slice' memo      STACK_GLOBAL  2 5 None TUPLE3 memo  REDUCE memo
//
// Chapter 09's pickle loads data, not classes, so a slice travels between our processes as the
// data (('builtins', 'slice'), (start, stop, step)), whose pickle differs from CPython's slice in
// two bytes only: TUPLE2 (\x86) where CPython has STACK_GLOBAL and again where it has REDUCE. The
// frame lengths and memo indices stay the same, so these functions swap those two bytes in place.
#pragma once

#include <optional>
#include <string>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::detail {

// The marker a slice is in memory: (('builtins', 'slice'), (start, stop, step)).
Ref<Object> make_slice(Object* start, Object* stop, Object* step);
// (start, stop, step) of a marker, or nullptr for any other object.
Object* slice_parts(Object* op);

// A pickle of markers as CPython's slices (what a client sends).
std::string slices_to_wire(std::string data);
// CPython's slices in a pickle as markers (what the server loads). A slice pickled otherwise
// (its strings memoized earlier and fetched with BINGET) is left alone, and loads refuses it.
std::string slices_from_wire(std::string data);

}  // namespace py::multiprocessing::detail
