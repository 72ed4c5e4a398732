// libFuzzer target for py::pickle::loads (chapter 09): any bytes must end in a value or in one
// of the py:: exceptions, never in a crash, a leak or a read outside the input. A value that
// loads is written again and loaded again, so dumps is exercised on odd shapes too.
//
// Built with PY_TRACE_REFS: the refchain lists every live object, newest first, so after each
// input the objects it left alive can be found even when loads failed half-way (a list that
// contains itself, built by `]q\0h\0a` before the input turned out truncated). Chapter 09 has no
// cycle collector, so those cycles are emptied here, as CPython's gc would free them; whatever
// is still alive afterwards is a real leak and LeakSanitizer reports it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/pickle.hpp"
#include "py/refchain.hpp"

#ifndef PY_TRACE_REFS
#error "build the pickle fuzzer with -DPY_TRACE_REFS (fuzz/09-process-pools/run.sh does)"
#endif

namespace {

// Empties every list and dict created after `marker` that is still alive. Each is held while
// the others are emptied, so none is freed under the walk.
void break_cycles_newer_than(const py::Object* marker) {
    std::vector<py::Ref<py::Object>> held;
    for (py::Object* op : py::refchain::objects()) {
        if (op == marker) {
            break;  // the chain is newest first: everything after this is older than the input
        }
        held.push_back(py::Ref<py::Object>::borrow(op));
    }
    for (const auto& op : held) {
        if (op->ob_type == &py::List::Type) {
            static_cast<py::List*>(op.get())->clear();
        } else if (op->ob_type == &py::Dict::Type) {
            auto* dict = static_cast<py::Dict*>(op.get());
            for (auto* key : dict->keys()) {
                dict->delitem(key);
            }
        }
    }
}

}  // namespace

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
    break_cycles_newer_than(marker.get());
    // The refchain keeps every object reachable, so LeakSanitizer cannot see a leaked object:
    // this check does. Loading creates no cached objects, so nothing newer than the marker may
    // live on.
    for (py::Object* op : py::refchain::objects()) {
        if (op == marker.get()) {
            break;
        }
        std::fprintf(stderr, "leaked: a %s with refcount %zu outlived the input\n",
                     op->ob_type->tp_name, static_cast<std::size_t>(op->ob_refcnt));
        std::abort();
    }
    return 0;
}
