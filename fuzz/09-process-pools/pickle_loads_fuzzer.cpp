// libFuzzer target for py::pickle::loads (chapter 09): any bytes must end in a value or in one
// of the py:: exceptions, never in a crash, a leak or a read outside the input. A value that
// loads is written again and loaded again, so dumps is exercised on odd shapes too.
//
// Objects the input left alive are found through the refchain (fuzz/support/object_leaks.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "object_leaks.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const py::Ref<py::List> marker = py::List::create();
    try {
        const py::Ref<py::Object> value = py::pickle::loads(input);
        try {
            const py::Ref<py::Object> again = py::pickle::loads(py::pickle::dumps(value, 4));
        } catch (const py::RecursionError&) {
            // deeper than CPython's recursion limit lets it pickle: fine
        }
    } catch (const py::BaseException&) {
        // CPython's exceptions for malformed input: the expected outcome
    }
    fuzz::abort_on_objects_newer_than(marker.get());
    return 0;
}
