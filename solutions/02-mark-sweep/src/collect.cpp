// The cycle collector's algorithm (Modules/gcmodule.c, gc_collect_main in CPython 3.11).
#include <exception>

#include "py/gc.hpp"

namespace py::gc {
namespace {

bool in_collection(Object* op) noexcept {
    return is_gc(op) && as_gc(op)->gc_next != nullptr && (as_gc(op)->gc_flags & COLLECTING) != 0;
}

// update_refs: gc_refs starts as a copy of the reference count.
void update_refs(GCHead* containers) noexcept {
    for (GCHead* gc = containers->gc_next; gc != containers; gc = gc->gc_next) {
        gc->gc_refs = static_cast<std::int32_t>(from_gc(gc)->ob_refcnt);
        gc->gc_flags |= COLLECTING;
    }
}

int visit_decref(Object* op, void* /*arg*/) {
    if (in_collection(op)) {
        --as_gc(op)->gc_refs;
    }
    return 0;
}

// subtract_refs: every reference from one collected object to another is internal. What is left
// in gc_refs counts references from outside: from C++ variables or from objects not collected.
void subtract_refs(GCHead* containers) {
    for (GCHead* gc = containers->gc_next; gc != containers; gc = gc->gc_next) {
        traverse(from_gc(gc), &visit_decref, nullptr);
    }
}

int visit_reachable(Object* op, void* arg) {
    if (!in_collection(op)) {
        return 0;
    }
    GCHead* gc = as_gc(op);
    if ((gc->gc_flags & UNREACHABLE) != 0) {
        // Moved to `unreachable` too early: something reachable refers to it. Back to the tail of
        // young, where the scan will meet it again and visit what it refers to.
        gc->gc_flags &= ~UNREACHABLE;
        list_move(gc, static_cast<GCHead*>(arg));
        gc->gc_refs = 1;
    } else if (gc->gc_refs == 0) {
        gc->gc_refs = 1;  // reachable; not scanned yet, it is further down the list
    }
    return 0;
}

// move_unreachable: one pass over young. An object with outside references is reachable and so is
// everything it refers to; an object with none is moved to `unreachable` for now, and comes back
// if a reachable object turns out to refer to it later in the scan.
void move_unreachable(GCHead* young, GCHead* unreachable) {
    GCHead* gc = young->gc_next;
    while (gc != young) {
        if (gc->gc_refs < 0) {
            // More references from collected objects than the refcount says: a missing incref.
            fatal_error("py::gc::collect", "refcount is too small", from_gc(gc));
        }
        if (gc->gc_refs > 0) {
            traverse(from_gc(gc), &visit_reachable, young);
            gc = gc->gc_next;
        } else {
            GCHead* next = gc->gc_next;
            gc->gc_flags |= UNREACHABLE;
            list_move(gc, unreachable);
            gc = next;
        }
    }
    for (gc = unreachable->gc_next; gc != unreachable; gc = gc->gc_next) {
        gc->gc_flags &= ~UNREACHABLE;
    }
}

// Back to normal: not part of a collection any more. Returns how many objects the list holds.
ssize_t end_collecting(GCHead* list) noexcept {
    ssize_t count = 0;
    for (GCHead* gc = list->gc_next; gc != list; gc = gc->gc_next) {
        gc->gc_flags &= ~(COLLECTING | UNREACHABLE);
        ++count;
    }
    return count;
}

bool has_legacy_finalizer(Object* op) noexcept {
    return (op->ob_type->tp_flags & TPFLAGS_HAVE_LEGACY_DEL) != 0;
}

int visit_move(Object* op, void* arg) {
    if (in_collection(op)) {
        GCHead* gc = as_gc(op);
        gc->gc_flags &= ~COLLECTING;
        list_move(gc, static_cast<GCHead*>(arg));
    }
    return 0;
}

// move_legacy_finalizers + move_legacy_finalizer_reachable: an object with a tp_del, and
// everything it can reach, cannot be freed safely. Returns whether an object left in
// `unreachable` may still have a PEP 442 finalizer to run.
bool move_legacy_finalizers(GCHead* unreachable, GCHead* finalizers) {
    bool finalizer_pending = false;
    for (GCHead* gc = unreachable->gc_next; gc != unreachable;) {
        GCHead* next = gc->gc_next;
        Object* op = from_gc(gc);
        if (has_legacy_finalizer(op)) {
            gc->gc_flags &= ~COLLECTING;
            list_move(gc, finalizers);
        } else if ((gc->gc_flags & FINALIZED) == 0 && op->ob_type->tp_finalize != nullptr) {
            finalizer_pending = true;
        }
        gc = next;
    }
    for (GCHead* gc = finalizers->gc_next; gc != finalizers; gc = gc->gc_next) {
        traverse(from_gc(gc), &visit_move, finalizers);
    }
    return finalizer_pending;
}

// finalize_garbage: PEP 442. Each finalizer runs at most once in the object's life, while the
// whole cycle is still intact. A finalizer may free objects of the list: take them one at a time.
void finalize_garbage(GCHead* collectable) {
    GCHead seen;
    list_init(&seen);
    while (!list_is_empty(collectable)) {
        GCHead* gc = collectable->gc_next;
        Object* op = from_gc(gc);
        list_move(gc, &seen);
        destructor finalize = op->ob_type->tp_finalize;
        if ((gc->gc_flags & FINALIZED) == 0 && finalize != nullptr) {
            gc->gc_flags |= FINALIZED;
            incref(op);
            finalize(op);
            decref(op);
        }
    }
    list_merge(&seen, collectable);
}

// handle_resurrected_objects: a finalizer may have stored a reference to a collected object
// somewhere reachable. Run the reachability test again on the unreachable set alone; what is
// reachable now was resurrected and survives.
void handle_resurrected_objects(GCHead* unreachable, GCHead* still_unreachable, GCHead* old) {
    update_refs(unreachable);
    subtract_refs(unreachable);
    move_unreachable(unreachable, still_unreachable);
    end_collecting(unreachable);
    list_merge(unreachable, old);
}

// delete_garbage: tp_clear breaks the references; reference counting then frees the cycle. An
// object still there after its clear (a tuple has no tp_clear) survives into `old`.
void delete_garbage(GCHead* collectable, GCHead* old) {
    while (!list_is_empty(collectable)) {
        GCHead* gc = collectable->gc_next;
        Object* op = from_gc(gc);
        if ((state().debug & DEBUG_SAVEALL) != 0) {
            state().garbage.push_back(Ref<Object>::borrow(op));
        } else if (inquiry clear = op->ob_type->tp_clear; clear != nullptr) {
            incref(op);
            clear(op);
            decref(op);
        }
        if (collectable->gc_next == gc) {
            gc->gc_flags &= ~(COLLECTING | UNREACHABLE);
            list_move(gc, old);
        }
    }
}

// handle_legacy_finalizers: the uncollectable objects go to gc.garbage, the rest of what they
// reach survives with them.
ssize_t handle_legacy_finalizers(GCHead* finalizers, GCHead* old) {
    ssize_t count = 0;
    for (GCHead* gc = finalizers->gc_next; gc != finalizers; gc = gc->gc_next) {
        ++count;
        Object* op = from_gc(gc);
        if ((state().debug & DEBUG_SAVEALL) != 0 || has_legacy_finalizer(op)) {
            state().garbage.push_back(Ref<Object>::borrow(op));
        }
    }
    end_collecting(finalizers);
    list_merge(finalizers, old);
    return count;
}

}  // namespace

Outcome collect_list(GCHead* young, GCHead* old) {
    Outcome outcome;
    update_refs(young);
    subtract_refs(young);
    GCHead unreachable;
    list_init(&unreachable);
    move_unreachable(young, &unreachable);
    outcome.reachable = end_collecting(young);  // the reachable ones
    if (young != old) {
        list_merge(young, old);
    }

    GCHead finalizers;
    list_init(&finalizers);
    const bool finalizer_pending = move_legacy_finalizers(&unreachable, &finalizers);
    GCHead final_unreachable;
    list_init(&final_unreachable);
    if (finalizer_pending) {
        finalize_garbage(&unreachable);
        handle_resurrected_objects(&unreachable, &final_unreachable, old);
    } else {
        // No finalizer runs, so nothing can be resurrected: skip the second look (CPython 3.11
        // always takes it; on a million objects it is five more passes over the list).
        list_merge(&unreachable, &final_unreachable);
    }
    outcome.collected = list_size(&final_unreachable);
    delete_garbage(&final_unreachable, old);
    outcome.uncollectable = handle_legacy_finalizers(&finalizers, old);
    return outcome;
}

ssize_t collect() {
    State& gc = state();
    if (gc.collect_override != nullptr) {
        return gc.collect_override();
    }
    if (gc.collecting) {
        return 0;  // already collecting: a finalizer called gc.collect()
    }
    gc.collecting = true;
    Outcome outcome;
    try {
        outcome = collect_list(gc.young, gc.young);
    } catch (...) {
        gc.collecting = false;
        throw;
    }
    gc.collecting = false;
    return outcome.collected + outcome.uncollectable;
}

}  // namespace py::gc
