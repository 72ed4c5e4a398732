// Run-once machinery: std::call_once (lesson §4) and a once flag by hand, the CPython way
// (lesson §5). Constructors and destructors are given.
#include <utility>

#include "py/kata.hpp"
#include "py/singleton.hpp"

namespace py::singleton {

// ---- §4 CallOnceSingleton ----------------------------------------------------------------------

CallOnceSingleton::CallOnceSingleton(Factory factory) : factory_(std::move(factory)) {}

CallOnceSingleton::~CallOnceSingleton() = default;

// KATA (lesson §4, steps 11-12).
Widget& CallOnceSingleton::instance() {
    PY_KATA_TODO("§4");
}

// ---- §5 OnceFlag and call_once -----------------------------------------------------------------

// KATA (lesson §5, steps 13-16).
bool OnceFlag::is_initialized() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
    return false;
}

void call_once(OnceFlag& flag, const std::function<void()>& fn) {
    PY_KATA_TODO("§5");
}

}  // namespace py::singleton
