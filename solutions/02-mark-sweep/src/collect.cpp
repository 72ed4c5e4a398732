// The cycle collector's algorithm (Modules/gcmodule.c, gc_collect_main in CPython 3.11).
// kata: skeleton // KATA (lesson §3, §5 and §6: steps 5-11 and 14-19). collect_list is given: it calls
// kata: skeleton // the helpers below in CPython's order, and each step needs the next of them. A failing
// kata: skeleton // step's message names the helper it reached.
#include <exception>

#include "py/gc.hpp"
#include "py/kata.hpp"
#include "py/scope_exit.hpp"

namespace py::gc {
namespace {

// The referent is a tracked container of the generation being collected.
bool in_collection(Object* op) noexcept {
    return is_gc(op) && as_gc(op)->_gc_next != 0 && is_collecting(as_gc(op));
}

// What the first pass saw of every object of the collection: how many there are and whether
// any has a finalizer (its type's tp_finalize, not run yet, or a legacy tp_del).
struct Survey {
    ssize_t count = 0;
    bool legacy_finalizer = false;   // move_legacy_finalizers has work
    bool finalizer_pending = false;  // finalize_garbage has work, and something may resurrect
};

// update_refs: gc_refs starts as a copy of the reference count, in the prev word (the prev
// pointers are gone until move_unreachable rebuilds them), with COLLECTING set. This pass reads
// every object anyway, so it also notes the Survey: CPython 3.11 walks the unreachable set again
// for each of these questions, and with a million objects each walk costs as much as this one.
Survey update_refs(GCHead* containers) noexcept {
    // kata: begin step05 §3 noexcept
    Survey survey;
    for (GCHead* gc = next(containers); gc != containers; gc = next(gc)) {
        const Object* op = from_gc(gc);
        reset_refs(gc, op->ob_refcnt);
        ++survey.count;
        const TypeObject* type = op->ob_type;
        survey.legacy_finalizer |= (type->tp_flags & TPFLAGS_HAVE_LEGACY_DEL) != 0;
        survey.finalizer_pending |= type->tp_finalize != nullptr && !finalized(gc);
    }
    return survey;
    // kata: skeleton return {};
    // kata: end
}

[[maybe_unused]] int visit_decref(Object* op, void* /*arg*/) {
    // kata: begin step05 §3
    if (in_collection(op)) {
        GCHead* gc = as_gc(op);
        if (get_refs(gc) == 0) {
            // More references from collected objects than the refcount says: a missing incref.
            fatal_error("py::gc::collect", "refcount is too small", op);
        }
        decrement_refs(gc);
    }
    return 0;
    // kata: end
}

// subtract_refs: every reference from one collected object to another is internal. What is left
// in gc_refs counts references from outside: from C++ variables or from objects not collected.
void subtract_refs(GCHead* containers) {
    // kata: begin step05 §3
    for (GCHead* gc = next(containers); gc != containers; gc = next(gc)) {
        traverse(from_gc(gc), &visit_decref, nullptr);
    }
    // kata: end
}

[[maybe_unused]] int visit_reachable(Object* op, void* arg) {
    // kata: begin step10 step11 §3
    // Objects of other generations, and those of young already scanned (no COLLECTING bit left),
    // are not looked at again.
    if (!in_collection(op)) {
        return 0;
    }
    GCHead* gc = as_gc(op);
    if (is_unreachable(gc)) {
        // Moved to `unreachable` too early: something reachable refers to it. Unlink it by hand
        // (the list helpers would drop the UNREACHABLE bits of its neighbours), then back to the
        // tail of young, where the scan will meet it again and visit what it refers to.
        GCHead* before = prev(gc);
        GCHead* after = next(gc);
        before->_gc_next = gc->_gc_next;  // keeps the bit: `before` is in unreachable too
        set_prev(after, before);
        list_append(gc, static_cast<GCHead*>(arg));
        set_refs(gc, 1);
    } else if (get_refs(gc) == 0) {
        set_refs(gc, 1);  // reachable; not scanned yet, it is further down the list
    }
    return 0;
    // kata: end
}

// move_unreachable: one pass over young, which is singly linked on entry (the prev words hold
// gc_refs). An object with outside references is reachable and so is everything it refers to:
// it gets its prev pointer back and loses COLLECTING. An object with none is moved to
// `unreachable` for now, with the UNREACHABLE bit in its next word, and comes back if a reachable
// object turns out to refer to it later in the scan. On return both lists are doubly linked
// again; the unreachable objects keep COLLECTING and, as in CPython, the UNREACHABLE bit too:
// the caller's next pass over them (clear_unreachable_mask) clears it, so that no extra pass over
// a million objects is spent on it.
void move_unreachable(GCHead* young, GCHead* unreachable) {
    // kata: begin step05 §3
    GCHead* previous = young;
    GCHead* gc = next(young);
    while (gc != young) {
        if (get_refs(gc) > 0) {
            traverse(from_gc(gc), &visit_reachable, young);
            set_prev(gc, previous);  // relinked: from here on a plain member of young
            clear_collecting(gc);
            previous = gc;
        } else {
            // Singly linked: only `previous` needs to skip it.
            previous->_gc_next = gc->_gc_next;
            GCHead* last = prev(unreachable);
            // Every member of unreachable carries the bit, so it is set unconditionally; this may
            // mark the list head's own next word too, which is repaired below.
            last->_gc_next = NEXT_MASK_UNREACHABLE | reinterpret_cast<std::uintptr_t>(gc);
            set_prev(gc, last);
            gc->_gc_next = NEXT_MASK_UNREACHABLE | reinterpret_cast<std::uintptr_t>(unreachable);
            unreachable->_gc_prev = reinterpret_cast<std::uintptr_t>(gc);
        }
        gc = next(previous);
    }
    young->_gc_prev = reinterpret_cast<std::uintptr_t>(previous);
    unreachable->_gc_next &= ~NEXT_MASK_UNREACHABLE;  // the list head is no member
    // kata: end
}

// Back to normal: not part of a collection any more. Returns how many objects the list holds.
ssize_t end_collecting(GCHead* list) noexcept {
    // kata: begin step05 §3 noexcept
    ssize_t count = 0;
    for (GCHead* gc = next(list); gc != list; gc = next(gc)) {
        clear_collecting(gc);
        ++count;
    }
    return count;
    // kata: skeleton return 0;
    // kata: end
}

bool has_legacy_finalizer(Object* op) noexcept {
    return (op->ob_type->tp_flags & TPFLAGS_HAVE_LEGACY_DEL) != 0;
}

[[maybe_unused]] int visit_move(Object* op, void* arg) {
    if (in_collection(op)) {
        GCHead* gc = as_gc(op);
        clear_collecting(gc);
        list_move(gc, static_cast<GCHead*>(arg));
    }
    return 0;
}

// clear_unreachable_mask: a walk over the set that move_unreachable left, dropping the
// UNREACHABLE bits, before finalizers run or legacy finalizers are moved out (both take objects
// off the list and look at what they refer to). Without finalizers no walk is needed: every
// object of the set is either freed or moved by delete_garbage, which rewrites its next word.
void clear_unreachable_mask(GCHead* unreachable) noexcept {
    for (GCHead* gc = next(unreachable); gc != unreachable; gc = next(gc)) {
        gc->_gc_next &= ~NEXT_MASK_UNREACHABLE;
    }
}

// move_legacy_finalizers + move_legacy_finalizer_reachable: an object with a tp_del, and
// everything it can reach, cannot be freed safely: all of it goes to `finalizers`.
void move_legacy_finalizers(GCHead* unreachable, GCHead* finalizers) {
    // kata: begin step18 §6
    for (GCHead* gc = next(unreachable); gc != unreachable;) {
        GCHead* following = next(gc);
        if (has_legacy_finalizer(from_gc(gc))) {
            clear_collecting(gc);
            list_move(gc, finalizers);
        }
        gc = following;
    }
    for (GCHead* gc = next(finalizers); gc != finalizers; gc = next(gc)) {
        traverse(from_gc(gc), &visit_move, finalizers);
    }
    // kata: end
}

// finalize_garbage: PEP 442. Each finalizer runs at most once in the object's life, while the
// whole cycle is still intact. A finalizer may free objects of the list: take them one at a time.
void finalize_garbage(GCHead* collectable) {
    // kata: begin step14 §5
    GCHead seen;
    list_init(&seen);
    while (!list_is_empty(collectable)) {
        GCHead* gc = next(collectable);
        Object* op = from_gc(gc);
        list_move(gc, &seen);
        destructor finalize = op->ob_type->tp_finalize;
        if (!finalized(gc) && finalize != nullptr) {
            set_finalized(gc);
            incref(op);
            finalize(op);
            decref(op);
        }
    }
    list_merge(&seen, collectable);
    // kata: end
}

// handle_resurrected_objects: a finalizer may have stored a reference to a collected object
// somewhere reachable. Run the reachability test again on the unreachable set alone; what is
// reachable now was resurrected and survives.
void handle_resurrected_objects(GCHead* unreachable, GCHead* still_unreachable, GCHead* old) {
    // kata: begin step15 §5
    update_refs(unreachable);
    subtract_refs(unreachable);
    move_unreachable(unreachable, still_unreachable);
    clear_unreachable_mask(still_unreachable);
    end_collecting(unreachable);
    list_merge(unreachable, old);
    // kata: end
}

// delete_garbage: tp_clear breaks the references; reference counting then frees the cycle. An
// object still there after its clear (a tuple has no tp_clear) survives into `old`.
void delete_garbage(GCHead* collectable, GCHead* old) {
    // kata: begin step06 §3
    while (!list_is_empty(collectable)) {
        GCHead* gc = next(collectable);
        Object* op = from_gc(gc);
        if ((state().debug & DEBUG_SAVEALL) != 0) {
            state().garbage.push_back(Ref<Object>::borrow(op));
        } else if (inquiry clear = op->ob_type->tp_clear; clear != nullptr) {
            incref(op);
            clear(op);
            decref(op);
        }
        if (next(collectable) == gc) {
            clear_collecting(gc);
            list_move(gc, old);
        }
    }
    // kata: end
}

// handle_legacy_finalizers: the uncollectable objects go to gc.garbage, the rest of what they
// reach survives with them.
ssize_t handle_legacy_finalizers(GCHead* finalizers, GCHead* old) {
    // kata: begin step18 §6
    ssize_t count = 0;
    for (GCHead* gc = next(finalizers); gc != finalizers; gc = next(gc)) {
        ++count;
        Object* op = from_gc(gc);
        if ((state().debug & DEBUG_SAVEALL) != 0 || has_legacy_finalizer(op)) {
            state().garbage.push_back(Ref<Object>::borrow(op));
        }
    }
    end_collecting(finalizers);
    list_merge(finalizers, old);
    return count;
    // kata: end
}

}  // namespace

// gc_collect_main's steps, in CPython's order. Given: each helper above is a kata, and the steps
// of the lesson need them one after the other.
Outcome collect_list(GCHead* young, GCHead* old) {
    Outcome outcome;
    const Survey survey = update_refs(young);
    subtract_refs(young);
    GCHead unreachable;
    list_init(&unreachable);
    move_unreachable(young, &unreachable);
    outcome.reachable = end_collecting(young);  // the reachable ones
    if (young != old) {
        list_merge(young, old);
    }
    const ssize_t unreachable_count = survey.count - outcome.reachable;
    if (unreachable_count == 0) {
        return outcome;  // nothing to finalize, clear or report
    }

    GCHead finalizers;
    list_init(&finalizers);
    GCHead final_unreachable;
    list_init(&final_unreachable);
    if (survey.legacy_finalizer || survey.finalizer_pending) {
        clear_unreachable_mask(&unreachable);
    }
    if (survey.legacy_finalizer) {
        move_legacy_finalizers(&unreachable, &finalizers);
    }
    if (survey.finalizer_pending) {
        finalize_garbage(&unreachable);
        handle_resurrected_objects(&unreachable, &final_unreachable, old);
        outcome.collected = list_size(&final_unreachable);
    } else {
        // No finalizer runs, so nothing can be resurrected: skip the second look (CPython 3.11
        // always takes it; on a million objects it is five more passes over the list).
        list_merge(&unreachable, &final_unreachable);
        outcome.collected =
            survey.legacy_finalizer ? list_size(&final_unreachable) : unreachable_count;
    }
    delete_garbage(&final_unreachable, old);
    if (!list_is_empty(&finalizers)) {
        outcome.uncollectable = handle_legacy_finalizers(&finalizers, old);
    }
    return outcome;
}

ssize_t collect() {
    // kata: begin step05 step17 §3
    State& gc = state();
    if (gc.collect_override != nullptr) {
        return gc.collect_override();
    }
    if (gc.collecting) {
        return 0;  // already collecting: a finalizer called gc.collect()
    }
    gc.collecting = true;
    const ScopeExit done([&gc] { gc.collecting = false; });
    const Outcome outcome = collect_list(gc.young, gc.young);
    return outcome.collected + outcome.uncollectable;
    // kata: end
}

}  // namespace py::gc
