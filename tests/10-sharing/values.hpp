// Short spellings for the runtime values the manager tests send and read back: I(3), S("a"),
// R(obj) for repr(obj), and error_of<E>(call) for the message of the E a call raises.
#pragma once

#include <string>
#include <string_view>

#include "py/object.hpp"
#include "py/scalars.hpp"

namespace sharing_test {

inline py::Ref<py::Object> I(long long v) {
    return py::Int::create(v);
}
inline py::Ref<py::Object> S(std::string_view s) {
    return py::Str::create(s);
}
inline std::string R(const py::Ref<py::Object>& obj) {
    return py::repr(obj.get());
}
// The message of the exception E that `call` raises, or a note that it raised none.
template <class E, class F>
std::string error_of(F call) {
    try {
        call();
    } catch (const E& e) {
        return e.what();
    }
    return "no exception";
}

}  // namespace sharing_test
