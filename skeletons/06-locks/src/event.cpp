// threading.Event (CPython: Lib/threading.py): a flag under a Condition over a Lock.
#include <optional>

#include "py/kata.hpp"
#include "py/locks.hpp"
#include "py/thread_annotations.hpp"

namespace py::threading {

Event::Event() : cond_(lock_) {}

Event::~Event() = default;

bool Event::is_set() const {
    PY_KATA_TODO("§6");
}

void Event::set() {
    PY_KATA_TODO("§6");
}

void Event::clear() {
    PY_KATA_TODO("§6");
}

bool Event::wait(std::optional<double> timeout) {
    PY_KATA_TODO("§6");
}

}  // namespace py::threading
