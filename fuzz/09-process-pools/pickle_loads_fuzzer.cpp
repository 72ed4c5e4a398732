// libFuzzer target for py::pickle::loads (chapter 09): any bytes must end in a value or in one
// of the py:: exceptions, never in a crash, a leak or a read outside the input. A value that
// loads is written again and loaded again, so dumps is exercised on odd shapes too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/pickle.hpp"

namespace {

// A loaded value may contain itself (l.append(l) survives pickling): break such cycles, as
// chapter 09 has no cycle collector, so LeakSanitizer sees only real leaks.
void unlink_cycles(py::Object* op, int depth = 0) {
    if (depth > 64) {
        return;
    }
    if (op->ob_type == &py::List::Type) {
        auto* list = static_cast<py::List*>(op);
        for (py::ssize_t i = 0; i < list->size(); ++i) {
            unlink_cycles(list->item(i), depth + 1);
        }
        list->clear();
    } else if (op->ob_type == &py::Dict::Type) {
        auto* dict = static_cast<py::Dict*>(op);
        for (auto [key, value] : dict->items()) {
            unlink_cycles(value, depth + 1);
        }
        for (auto* key : dict->keys()) {
            dict->delitem(key);
        }
    } else if (op->ob_type == &py::Tuple::Type) {
        auto* tuple = static_cast<py::Tuple*>(op);
        for (py::ssize_t i = 0; i < tuple->size(); ++i) {
            unlink_cycles(tuple->item(i), depth + 1);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        py::Ref<py::Object> value = py::pickle::loads(input);
        try {
            py::Ref<py::Object> again = py::pickle::loads(py::pickle::dumps(value, 4));
            unlink_cycles(again.get());
        } catch (const py::RecursionError&) {
            // deeper than CPython's recursion limit lets it pickle: fine
        }
        unlink_cycles(value.get());
    } catch (const py::BaseException&) {
        // CPython's exceptions for malformed input: the expected outcome
    }
    return 0;
}
