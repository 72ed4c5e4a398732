// See slices.hpp.
#include "slices.hpp"

#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/pickle.hpp"
#include "py/scalars.hpp"

namespace py::multiprocessing::detail {

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

Ref<Object> reduce_slice(Object* start, Object* stop, Object* step) {
    return pickle::make_reduce(pickle::make_global("builtins", "slice").get(),
                               Tuple::pack({start, stop, step}).get());
}

Ref<Object> slice_from_args(Object* args) {
    auto* tuple = static_cast<Tuple*>(args);
    const auto n = tuple->size();
    if (n == 0) {
        throw TypeError("slice expected at least 1 argument, got 0");
    }
    if (n > 3) {
        throw TypeError("slice expected at most 3 arguments, got " + std::to_string(n));
    }
    if (n == 1) {
        return make_slice(None().get(), tuple->item(0), None().get());
    }
    return make_slice(tuple->item(0), tuple->item(1), n == 3 ? tuple->item(2) : None().get());
}

}  // namespace py::multiprocessing::detail
