// Private to chapter 02: installing the collector's slots on a type.
#pragma once

#include "py/gc.hpp"

namespace py::gc_slots {

// A GC type: allocated with a header in front, freed with it, visited and cleared by the
// collector.
inline void install_gc_type(TypeObject& type, traverseproc traverse, inquiry clear) noexcept {
    type.tp_flags |= TPFLAGS_HAVE_GC;
    type.tp_alloc = &gc::gc_alloc;
    type.tp_free = &gc::gc_free;
    type.tp_traverse = traverse;
    type.tp_clear = clear;
}

}  // namespace py::gc_slots
