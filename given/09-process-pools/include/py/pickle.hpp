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

#include <functional>
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

// --- Classes and calls: what a program's own find_class allows -------------------------------
//
// A pickle of an object that is not one of the types above names a global and calls it:
// multiprocessing's proxies pickle as RebuildProxy(ListProxy, Token(...), 'pickle', {}),
//
//     STACK_GLOBAL 'multiprocessing.managers' 'RebuildProxy'   the function
//       STACK_GLOBAL ... 'ListProxy'                            an argument: a class
//       STACK_GLOBAL ... 'Token' () NEWOBJ (...) BUILD          an argument: an instance
//       ... TUPLE REDUCE                                         the call
//
// CPython's Unpickler imports whatever a pickle names unless a subclass overrides find_class to
// refuse (the pickle documentation's "Restricting Globals"). loads here refuses every name but
// builtins.bytes and _codecs.encode; a caller that trusts more passes its own find_class, which
// returns a Global for a name it allows (and throws UnpicklingError for the rest).

// A class or function found by find_class. REDUCE calls `call` with the argument tuple (no
// `call`: "'X' object is not callable"); NEWOBJ makes an Instance of it. dumps writes it as
// STACK_GLOBAL (GLOBAL below protocol 4).
struct Global : Object {
    std::string module;
    std::string name;
    std::function<Ref<Object>(Object* args)> call;
    static TypeObject Type;
};
Ref<Global> make_global(std::string module, std::string name,
                        std::function<Ref<Object>(Object* args)> call = {});

// cls.__new__(cls, *args) then __setstate__(state), kept as data for whoever called it: NEWOBJ
// then BUILD (state null until BUILD; a second BUILD replaces it). dumps writes it as CPython's
// object.__reduce_ex__ does: cls, args, NEWOBJ, then state and BUILD when there is one.
struct Instance : Object {
    Ref<Object> cls;  // a Global
    Ref<Object> args;
    Ref<Object> state;
    static TypeObject Type;
};
Ref<Instance> make_instance(Object* cls, Object* args, Object* state = nullptr);

// What __reduce__ returns, (func, args): dumps writes func, args, REDUCE (Pickler.save_reduce).
struct Reduce : Object {
    Ref<Object> func;  // a Global
    Ref<Object> args;  // a tuple
    std::string
        text;  // what repr() shows, when set (the object it stands for); else "<reduce m.f>"
    static TypeObject Type;
};
Ref<Reduce> make_reduce(Object* func, Object* args);

// Unpickler.find_class(module, name), asked for every global but builtins.bytes and
// _codecs.encode.
using FindClass = std::function<Ref<Object>(const std::string& module, const std::string& name)>;
Ref<Object> loads(std::string_view data, const FindClass& find_class);

}  // namespace py::pickle
