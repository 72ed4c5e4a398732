// Free lists for float, list, dict and small tuples (Objects/floatobject.c, listobject.c,
// kata: begin replace
// dictobject.c, tupleobject.c in CPython 3.11), installed on chapter 01's types as tp_alloc and
// tp_free wrappers: what was there before (chapter 02's GC allocator, or the generic one) is
// called when a free list is empty or full.
#include <array>
#include <cstring>

// kata: skeleton // dictobject.c, tupleobject.c in CPython 3.11).
// kata: skeleton // KATA (lesson §3: steps 5-11). Install tp_alloc/tp_free wrappers on Float::Type, List::Type,
// kata: skeleton // Dict::Type and Tuple::Type when the library loads, saving the slots that were there, and call
// kata: skeleton // those when a free list is empty or full.
#include "py/kata.hpp"
// kata: end
#include "py/pools.hpp"

namespace py::freelists {
// kata: begin replace
namespace {

struct FreeList {
    // Linked through ob_type, as CPython 3.11's float free list is: a freed object has no type
    // left to keep, and a release build's header has no other pointer to spare.
    Object* head = nullptr;
    ssize_t numfree = 0;
    ssize_t capacity = 0;
};

struct Previous {
    allocfunc alloc = nullptr;
    freefunc free = nullptr;
};

FreeList float_list{nullptr, 0, FLOAT_MAXFREELIST};
FreeList list_list{nullptr, 0, LIST_MAXFREELIST};
FreeList dict_list{nullptr, 0, DICT_MAXFREELIST};
std::array<FreeList, TUPLE_MAXSAVESIZE> tuple_lists = [] {
    std::array<FreeList, TUPLE_MAXSAVESIZE> lists{};
    for (FreeList& list : lists) {
        list.capacity = TUPLE_MAXFREELIST;
    }
    return lists;
}();
Previous float_previous;
Previous list_previous;
Previous dict_previous;
Previous tuple_previous;

void* previous_alloc(const Previous& previous, TypeObject* type, ssize_t nitems) {
    return (previous.alloc != nullptr ? previous.alloc : &generic_alloc)(type, nitems);
}

void previous_free(const Previous& previous, void* memory) noexcept {
    (previous.free != nullptr ? previous.free : &generic_free)(memory);
}

Object* next_free(const Object* op) noexcept {
    return reinterpret_cast<Object*>(op->ob_type);
}

// Takes the first object off `list` and zeroes it as the allocator would have. A GC object also
// gets a clean header and is tracked, as chapter 02's gc_alloc does.
// `bytes` is the object's size: a constant for list and dict, so the memset is inlined.
void* pop(FreeList& list, TypeObject* type, std::size_t bytes) {
    Object* op = list.head;
    list.head = next_free(op);
    --list.numfree;
    std::memset(static_cast<void*>(op), 0, bytes);
    if ((type->tp_flags & TPFLAGS_HAVE_GC) != 0) {
        gc::GCHead* gc = gc::as_gc(op);
        gc->_gc_next = 0;  // a fresh header: untracked, no flags (FINALIZED included)
        gc->_gc_prev = 0;
        gc::track(op);
    }
    return op;
}

// Keeps `memory` when there is room; false when the list is full.
bool push(FreeList& list, void* memory) noexcept {
    if (list.numfree >= list.capacity) {
        return false;
    }
    auto* op = static_cast<Object*>(memory);
    op->ob_type = reinterpret_cast<TypeObject*>(list.head);
    list.head = op;
    ++list.numfree;
    return true;
}

void drain(FreeList& list, const Previous& previous) noexcept {
    while (list.head != nullptr) {
        Object* op = list.head;
        list.head = next_free(op);
        --list.numfree;
        previous_free(previous, op);
    }
}

// The hottest allocation: a float is never a GC object and always sizeof(Float) bytes, so the
// pop is inline and the zeroing is three stores instead of a memset call of a runtime size.
void* float_alloc(TypeObject* type, ssize_t nitems) {
    Object* op = float_list.head;
    if (op == nullptr) {
        return previous_alloc(float_previous, type, nitems);
    }
    float_list.head = next_free(op);
    --float_list.numfree;
    std::memset(static_cast<void*>(op), 0, sizeof(Float));
    return op;
}
void float_free(void* memory) noexcept {
    if (!push(float_list, memory)) {
        previous_free(float_previous, memory);
    }
}
// float_dealloc: a float holds no references, so its tp_dealloc can go to the free list at once
// instead of through free_object and tp_free (two indirect calls on the hottest path).
void float_dealloc(Object* self) {
    float_free(self);
}

void* list_alloc(TypeObject* type, ssize_t nitems) {
    return list_list.head != nullptr ? pop(list_list, type, sizeof(List))
                                     : previous_alloc(list_previous, type, nitems);
}
void list_free(void* memory) noexcept {
    if (!push(list_list, memory)) {
        previous_free(list_previous, memory);
    }
}

void* dict_alloc(TypeObject* type, ssize_t nitems) {
    return dict_list.head != nullptr ? pop(dict_list, type, sizeof(Dict))
                                     : previous_alloc(dict_previous, type, nitems);
}
void dict_free(void* memory) noexcept {
    if (!push(dict_list, memory)) {
        previous_free(dict_previous, memory);
    }
}

// Tuples: one free list per size, 1 to TUPLE_MAXSAVESIZE; the size of a freed tuple is still in
// its ob_size.
FreeList* tuple_list_for(ssize_t size) noexcept {
    return size >= 1 && size <= TUPLE_MAXSAVESIZE ? &tuple_lists[static_cast<std::size_t>(size - 1)]
                                                  : nullptr;
}
void* tuple_alloc(TypeObject* type, ssize_t nitems) {
    FreeList* list = tuple_list_for(nitems);
    return list != nullptr && list->head != nullptr
               ? pop(*list, type,
                     static_cast<std::size_t>(type->tp_basicsize + nitems * type->tp_itemsize))
               : previous_alloc(tuple_previous, type, nitems);
}
void tuple_free(void* memory) noexcept {
    FreeList* list = tuple_list_for(static_cast<VarObject*>(memory)->ob_size);
    if (list == nullptr || !push(*list, memory)) {
        previous_free(tuple_previous, memory);
    }
}

void install(TypeObject& type, Previous& previous, allocfunc alloc, freefunc free) noexcept {
    previous.alloc = type.tp_alloc;
    previous.free = type.tp_free;
    type.tp_alloc = alloc;
    type.tp_free = free;
}

const bool installed = [] {
    install(Float::Type, float_previous, &float_alloc, &float_free);
    Float::Type.tp_dealloc = &float_dealloc;
    install(List::Type, list_previous, &list_alloc, &list_free);
    install(Dict::Type, dict_previous, &dict_alloc, &dict_free);
    install(Tuple::Type, tuple_previous, &tuple_alloc, &tuple_free);
    return true;
}();

}  // namespace
// kata: end

ssize_t floats() noexcept {
    // kata: begin §3 noexcept
    return float_list.numfree;
    // kata: skeleton return -1;
    // kata: end
}
// kata: skeleton
ssize_t lists() noexcept {
    // kata: begin §3 noexcept
    return list_list.numfree;
    // kata: skeleton return -1;
    // kata: end
}
// kata: skeleton
ssize_t dicts() noexcept {
    // kata: begin §3 noexcept
    return dict_list.numfree;
    // kata: skeleton return -1;
    // kata: end
}
// kata: skeleton
ssize_t tuples(ssize_t size) noexcept {
    // kata: begin §3 noexcept
    const FreeList* list = tuple_list_for(size);
    return list != nullptr ? list->numfree : 0;
    // kata: skeleton return -1;
    // kata: end
}

void clear() noexcept {
    // kata: begin §3 noexcept
    drain(float_list, float_previous);
    drain(list_list, list_previous);
    drain(dict_list, dict_previous);
    for (FreeList& list : tuple_lists) {
        drain(list, tuple_previous);
    }
    // kata: end
}

}  // namespace py::freelists
