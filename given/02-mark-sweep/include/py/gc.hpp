// The cycle collector: a GC header in front of every container object, the list of tracked
// containers, and CPython's mark-sweep over that list.
//
// CPython: Include/internal/pycore_gc.h (PyGC_Head), Modules/gcmodule.c (3.11: update_refs,
// subtract_refs, move_unreachable, finalize_garbage, handle_resurrected_objects, delete_garbage,
// handle_legacy_finalizers), Objects/typeobject.c (subtype_dealloc), PEP 442.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::gc {

// PyGC_Head, as CPython 3.11 lays it out (Include/internal/pycore_gc.h): two words right in front
// of the object, in the same allocation. Headers are 16-byte aligned, so the low bits of both
// pointers are free and carry the collector's flags; during a collection the prev word carries
// gc_refs too (the prev pointers are rebuilt by move_unreachable, as in gcmodule.c).
//
//   _gc_next:  | next header's address ................................. | 0 | UNREACHABLE |
//              0 when the object is not tracked.   bit 0: NEXT_MASK_UNREACHABLE
//   _gc_prev:  | prev header's address ....................... | COLLECTING | FINALIZED |
//      or, between update_refs and move_unreachable:
//              | gc_refs (62 bits) ........................... | COLLECTING | FINALIZED |
//              bit 0: PREV_MASK_FINALIZED, bit 1: PREV_MASK_COLLECTING, PREV_SHIFT = 2
//
// Read and write the words only through the helpers below, which keep the bits they do not own.
struct GCHead {
    std::uintptr_t _gc_next;
    std::uintptr_t _gc_prev;
};
static_assert(sizeof(GCHead) == 2 * sizeof(void*), "PyGC_Head is two words");

constexpr std::uintptr_t NEXT_MASK_UNREACHABLE = 1;  // tentatively unreachable (move_unreachable)
constexpr std::uintptr_t PREV_MASK_FINALIZED = 1;    // tp_finalize has run (PEP 442: only once)
constexpr std::uintptr_t PREV_MASK_COLLECTING = 2;   // in the generation being collected now
constexpr int PREV_SHIFT = 2;                        // _PyGC_PREV_SHIFT
constexpr std::uintptr_t PREV_MASK = ~std::uintptr_t{0} << PREV_SHIFT;  // _PyGC_PREV_MASK

// _PyGCHead_NEXT / _PyGCHead_SET_NEXT (the setter drops the UNREACHABLE bit, as CPython's does).
inline GCHead* next(const GCHead* gc) noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a tagged pointer, exactly as PyGC_Head's
    return reinterpret_cast<GCHead*>(gc->_gc_next & ~NEXT_MASK_UNREACHABLE);
}
inline void set_next(GCHead* gc, GCHead* next) noexcept {
    gc->_gc_next = reinterpret_cast<std::uintptr_t>(next);
}
// _PyGCHead_PREV / _PyGCHead_SET_PREV (the setter keeps FINALIZED and COLLECTING).
inline GCHead* prev(const GCHead* gc) noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a tagged pointer, exactly as PyGC_Head's
    return reinterpret_cast<GCHead*>(gc->_gc_prev & PREV_MASK);
}
inline void set_prev(GCHead* gc, GCHead* prev) noexcept {
    gc->_gc_prev = (gc->_gc_prev & ~PREV_MASK) | reinterpret_cast<std::uintptr_t>(prev);
}

// gc_refs in the prev word (gcmodule.c: gc_get_refs, gc_set_refs, gc_reset_refs, gc_decref).
inline ssize_t get_refs(const GCHead* gc) noexcept {
    return static_cast<ssize_t>(gc->_gc_prev >> PREV_SHIFT);
}
inline void set_refs(GCHead* gc, ssize_t refs) noexcept {
    gc->_gc_prev = (gc->_gc_prev & ~PREV_MASK) | (static_cast<std::uintptr_t>(refs) << PREV_SHIFT);
}
// The count, COLLECTING set, FINALIZED kept: the prev pointer is overwritten.
inline void reset_refs(GCHead* gc, ssize_t refs) noexcept {
    gc->_gc_prev = (gc->_gc_prev & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING |
                   (static_cast<std::uintptr_t>(refs) << PREV_SHIFT);
}
inline void decrement_refs(GCHead* gc) noexcept {
    gc->_gc_prev -= std::uintptr_t{1} << PREV_SHIFT;
}

inline bool is_collecting(const GCHead* gc) noexcept {
    return (gc->_gc_prev & PREV_MASK_COLLECTING) != 0;
}
inline void clear_collecting(GCHead* gc) noexcept {
    gc->_gc_prev &= ~PREV_MASK_COLLECTING;
}
inline bool is_unreachable(const GCHead* gc) noexcept {
    return (gc->_gc_next & NEXT_MASK_UNREACHABLE) != 0;
}
inline bool finalized(const GCHead* gc) noexcept {
    return (gc->_gc_prev & PREV_MASK_FINALIZED) != 0;
}
inline void set_finalized(GCHead* gc) noexcept {
    gc->_gc_prev |= PREV_MASK_FINALIZED;
}
// The flag bits of both words together (FINALIZED, COLLECTING, and UNREACHABLE shifted to bit 2):
// 0 for an object no collection is looking at and whose finalizer has not run.
inline unsigned flags(const GCHead* gc) noexcept {
    return static_cast<unsigned>((gc->_gc_prev & ~PREV_MASK) |
                                 ((gc->_gc_next & NEXT_MASK_UNREACHABLE) << PREV_SHIFT));
}

// A type flag of ours for a legacy finalizer (CPython's tp_del, pre-PEP 442): a cycle that holds
// such an object cannot be freed safely and is reported in garbage() instead.
constexpr unsigned long TPFLAGS_HAVE_LEGACY_DEL = 1UL << 20;

// gc.set_debug flags (Modules/gcmodule.c). DEBUG_SAVEALL puts every unreachable object in
// garbage() instead of freeing it.
constexpr int DEBUG_STATS = 1;
constexpr int DEBUG_COLLECTABLE = 2;
constexpr int DEBUG_UNCOLLECTABLE = 4;
constexpr int DEBUG_SAVEALL = 32;
constexpr int DEBUG_LEAK = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

// AS_GC / FROM_GC: the header sits immediately before the object.
inline GCHead* as_gc(Object* op) noexcept {
    return reinterpret_cast<GCHead*>(op) - 1;
}
inline Object* from_gc(GCHead* gc) noexcept {
    return reinterpret_cast<Object*>(gc + 1);
}

// PyObject_IS_GC: instances of this type carry a GC header.
inline bool is_gc(const Object* op) noexcept {
    return (op->ob_type->tp_flags & TPFLAGS_HAVE_GC) != 0;
}

// --- Circular doubly linked lists of GC headers, with a sentinel (gc_list_* in gcmodule.c).
// Given: these are plumbing, not the lesson. They need valid prev pointers: not between
// update_refs and the end of move_unreachable, where the prev words hold gc_refs.
inline void list_init(GCHead* list) noexcept {
    set_next(list, list);
    list->_gc_prev = reinterpret_cast<std::uintptr_t>(list);
}
inline bool list_is_empty(const GCHead* list) noexcept {
    return next(list) == list;
}
// Links `node` at the tail of `list`.
inline void list_append(GCHead* node, GCHead* list) noexcept {
    GCHead* last = prev(list);
    set_prev(node, last);
    set_next(last, node);
    set_next(node, list);
    set_prev(list, node);
}
// Unlinks `node`; gc_next 0 means "not tracked".
inline void list_remove(GCHead* node) noexcept {
    GCHead* before = prev(node);
    GCHead* after = next(node);
    set_next(before, after);
    set_prev(after, before);
    node->_gc_next = 0;
}
inline void list_move(GCHead* node, GCHead* list) noexcept {
    GCHead* before = prev(node);
    GCHead* after = next(node);
    set_next(before, after);
    set_prev(after, before);
    list_append(node, list);
}
// Moves every node of `from` to the tail of `to`; `from` becomes empty.
inline void list_merge(GCHead* from, GCHead* to) noexcept {
    if (!list_is_empty(from)) {
        GCHead* to_tail = prev(to);
        GCHead* from_head = next(from);
        GCHead* from_tail = prev(from);
        set_next(to_tail, from_head);
        set_prev(from_head, to_tail);
        set_next(from_tail, to);
        set_prev(to, from_tail);
    }
    list_init(from);
}
inline ssize_t list_size(const GCHead* list) noexcept {
    ssize_t n = 0;
    for (const GCHead* gc = next(list); gc != list; gc = next(gc)) {
        ++n;
    }
    return n;
}

// What a collection found: `reachable` objects of young that survived the first pass (chapter 03's
// long-lived bookkeeping counts them), `collected` unreachable objects freed (or saved with
// DEBUG_SAVEALL), `uncollectable` ones left in garbage() because of a legacy finalizer.
struct Outcome {
    ssize_t reachable = 0;
    ssize_t collected = 0;
    ssize_t uncollectable = 0;
};

// An exception that nobody can catch (a finalizer's), as sys.unraisablehook sees it.
struct Unraisable {
    std::string err_msg;    // "Exception ignored in finalizer"
    std::string exc_type;   // "RuntimeError"
    std::string exc_value;  // the exception's message
    Object* object;         // the object whose finalizer threw (borrowed, only during the call)
};
using UnraisableHook = std::function<void(const Unraisable&)>;

// The collector's state (GCState in pycore_gc.h, reduced to what chapter 02 needs, plus the seams
// through which chapter 03 adds generations).
struct State {
    State() noexcept { list_init(&tracked); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    GCHead tracked{};          // chapter 02: every tracked object, in tracking order
    GCHead* young = &tracked;  // where track() links a new object (chapter 03: generation 0)
    bool collecting = false;   // a collection is running: collect() does nothing and returns 0
    int debug = 0;             // set_debug flags
    std::vector<Ref<Object>> garbage;  // gc.garbage
    UnraisableHook unraisable;         // nullptr: print to stderr like CPython's default hook

    // Seams for chapter 03 (nullptr in chapter 02).
    ssize_t (*collect_override)() = nullptr;  // replaces the body of collect()
    void (*before_alloc)() = nullptr;         // gc_alloc calls it before allocating
    void (*after_free)() = nullptr;           // gc_free calls it after freeing
};
State& state() noexcept;

// --- §1 The GC header and tracking -----------------------------------------------------------

// tp_alloc of every GC type: zeroed memory for a GCHead plus the object; returns the object's
// address (just after the header) and tracks it (_PyObject_GC_Link + PyObject_GC_Track).
void* gc_alloc(TypeObject* type, ssize_t nitems);
// tp_free of every GC type: `memory` is the object's address; frees the whole block.
void gc_free(void* memory) noexcept;

// PyObject_GC_Track / UnTrack: link into / unlink from state().young. Tracking a tracked object or
// untracking an untracked one does nothing. The FINALIZED bit survives both.
void track(Object* op) noexcept;
void untrack(Object* op) noexcept;
// gc.is_tracked: false for any object without a GC header (int, str, float, None).
bool is_tracked(Object* op) noexcept;
// gc.is_finalized: whether a PEP 442 finalizer has run on `op`.
bool is_finalized(Object* op) noexcept;

// --- §2 traverse and clear are installed on tuple, list and dict when the library loads --------

// Calls op's tp_traverse (nothing for a type without one); the visit stops at the first non-zero
// return, which is returned.
int traverse(Object* op, visitproc visit, void* arg);
// gc.get_referents(op) for one object: what its tp_traverse visits, in order (borrowed).
std::vector<Object*> referents(Object* op);
// The same under Python's name.
inline std::vector<Object*> get_referents(Object* op) {
    return referents(op);
}

// --- §3 The collection ------------------------------------------------------------------------

// gc_collect_main's core: collects the tracked objects in the list `young`. Survivors (and
// resurrected or uncollectable objects) end up in `old`, which may be `young` itself.
Outcome collect_list(GCHead* young, GCHead* old);

// gc.collect(): a full collection. Returns the number of unreachable objects found (collected +
// uncollectable). Inside a running collection (a finalizer or callback calling it) it does
// nothing and returns 0, as CPython does.
ssize_t collect();

// gc.garbage: uncollectable objects (legacy finalizers, or everything with DEBUG_SAVEALL).
std::vector<Ref<Object>>& garbage() noexcept;

// gc.set_debug / gc.get_debug.
void set_debug(int flags) noexcept;
int get_debug() noexcept;

// sys.unraisablehook: who hears about an exception thrown by a finalizer. nullptr restores the
// default, which prints "Exception ignored in: ..." to stderr.
void set_unraisable_hook(UnraisableHook hook);
// Reports `error` (thrown while finalizing `object`) through the hook. Never throws.
void write_unraisable(const std::string& err_msg, const std::exception& error,
                      Object* object) noexcept;

}  // namespace py::gc
