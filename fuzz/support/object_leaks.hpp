// Object leak check for the fuzz targets that load pickles (chapters 09 and 10), built with
// PY_TRACE_REFS: the refchain lists every live object, newest first, so after each input the
// objects it left alive can be found even when loads failed half-way (a list that contains
// itself, built by `]q\0h\0a` before the input turned out truncated). The fuzz binaries link no
// cycle collector, so those cycles are emptied here, as CPython's gc would free them; whatever
// is still alive afterwards is a real leak. LeakSanitizer alone cannot see it: the refchain
// keeps every object reachable.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "py/containers.hpp"
#include "py/pickle.hpp"
#include "py/refchain.hpp"

#ifndef PY_TRACE_REFS
#error "build the fuzz target with -DPY_TRACE_REFS (its build script does)"
#endif

namespace fuzz {

// Empties every list and dict, and drops every pickled instance's state, made after `marker`
// and still alive. Each is held while the others are emptied, so none is freed under the walk.
inline void break_cycles_newer_than(const py::Object* marker) {
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
        } else if (op->ob_type == &py::pickle::Instance::Type) {
            // BUILD may give an instance itself as its state (`h\0b` after NEWOBJ and a memo).
            static_cast<py::pickle::Instance*>(op.get())->state = py::Ref<py::Object>();
        }
    }
}

// Breaks the input's cycles, then aborts if any object newer than `marker` is still alive.
// Loading creates no cached objects, so nothing made during the input may live on.
inline void abort_on_objects_newer_than(const py::Object* marker) {
    break_cycles_newer_than(marker);
    for (py::Object* op : py::refchain::objects()) {
        if (op == marker) {
            break;
        }
        std::fprintf(stderr, "leaked: a %s with refcount %zu outlived the input\n",
                     op->ob_type->tp_name, static_cast<std::size_t>(op->ob_refcnt));
        std::abort();
    }
}

}  // namespace fuzz
