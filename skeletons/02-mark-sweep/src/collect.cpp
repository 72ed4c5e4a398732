// The cycle collector's algorithm (Modules/gcmodule.c, gc_collect_main in CPython 3.11).
// KATA (lesson §3, §5 and §6: steps 5-11 and 14-19). Suggested helpers, in the order
// collect_list calls them: update_refs, subtract_refs, move_unreachable (with visit_reachable),
// move_legacy_finalizers, finalize_garbage, handle_resurrected_objects, delete_garbage,
// handle_legacy_finalizers.
#include "py/gc.hpp"
#include "py/kata.hpp"

namespace py::gc {

Outcome collect_list(GCHead* young, GCHead* old) {
    PY_KATA_TODO("§3");
}

ssize_t collect() {
    PY_KATA_TODO("§3");
}

}  // namespace py::gc
