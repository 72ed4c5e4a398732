// Short spellings for the runtime values the manager tests send and read back: I(3), S("a"),
// R(obj) for repr(obj), V(obj) for an int's value, error_of<E>(call) for the message of the E a
// call raises, and traceback_ending(line) for a RemoteError's text.
#pragma once

#include <gmock/gmock.h>

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
inline long long V(const py::Ref<py::Object>& obj) {
    return static_cast<py::Int*>(obj.get())->value();
}
// A failing create is a RemoteError whose traceback ends in the server's exception.
inline testing::Matcher<std::string> traceback_ending(const std::string& last_line) {
    return testing::EndsWith("\n" + last_line + "\n" + std::string(75, '-'));
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
