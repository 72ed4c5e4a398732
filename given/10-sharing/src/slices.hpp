// Slice objects on the wire. CPython pickles slice(2, 5, None) by reduction, a call:
//
//     \x8c\x08builtins\x94 \x8c\x05slice\x94 \x93\x94   K\x02 K\x05 N \x87\x94   R\x94
//     'builtins' memo      'slice' memo      STACK_GLOBAL  2 5 None TUPLE3 memo  REDUCE memo
//
// A client writes a py::pickle::Reduce of builtins.slice, which py::pickle::dumps writes as those
// bytes. The server loads them through its find_class (proxy_pickle.hpp), which allows
// builtins.slice and calls slice_from_args; in the server a slice is then the data
// (('builtins', 'slice'), (start, stop, step)), which no list or dict item can be mistaken for
// unless a client stored that very tuple.
#pragma once

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::detail {

// The marker a slice is in the server: (('builtins', 'slice'), (start, stop, step)).
Ref<Object> make_slice(Object* start, Object* stop, Object* step);
// (start, stop, step) of a marker, or nullptr for any other object.
Object* slice_parts(Object* op);

// slice(start, stop, step) as a client pickles it: Reduce(builtins.slice, (start, stop, step)).
Ref<Object> reduce_slice(Object* start, Object* stop, Object* step);

// What builtins.slice(*args) is in the server: slice(stop), slice(start, stop[, step]) as a
// marker, with CPython's TypeError for 0 or more than 3 arguments.
Ref<Object> slice_from_args(Object* args);

}  // namespace py::multiprocessing::detail
