// list (Objects/listobject.c).
#include <cstdlib>
// kata: skeleton // KATA (lesson §6, §7 and §9: steps 10-13 and 17). The type object is given.
#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "repr_guard.hpp"
#include "trashcan.hpp"

namespace py {
namespace {

// kata: begin replace
// list_resize: make room for `new_size` items, over-allocating by about 1/8 so that n appends
// cost O(n) in total. The "+ 6" and rounding to a multiple of 4 are CPython 3.9+'s. (CPython
// also special-cases growing by many items at once, which nothing here does.)
void resize(List* list, ssize_t new_size) {
    if (list->allocated >= new_size && new_size >= (list->allocated >> 1)) {
        list->ob_size = new_size;
        return;
    }
    auto new_allocated = static_cast<ssize_t>(
        (static_cast<std::size_t>(new_size) + (static_cast<std::size_t>(new_size) >> 3) + 6) &
        ~static_cast<std::size_t>(3));
    if (new_size == 0) {
        new_allocated = 0;
    }
    const std::size_t bytes = static_cast<std::size_t>(new_allocated) *
                              sizeof(Object*);  // NOLINT(bugprone-sizeof-expression)
    void* items = std::realloc(list->ob_item, bytes);
    if (items == nullptr && new_allocated > 0) {
        throw MemoryError("out of memory growing a list");
    }
    list->ob_item = static_cast<Object**>(items);
    list->ob_size = new_size;
    list->allocated = new_allocated;
}

ssize_t normalize_index(const List* list, ssize_t index) {
    if (index < 0) {
        index += list->ob_size;
    }
    if (index < 0 || index >= list->ob_size) {
        throw IndexError("list index out of range");
    }
    return index;
}

// kata: end
void list_dealloc(Object* self) {
    // Py_TRASHCAN_BEGIN (lesson §11): deeper than 50 nested deallocations, defer this one.
    if (!trashcan::begin(self)) {
        return;
    }
    // kata: begin §6 noexcept
    auto* list = static_cast<List*>(self);
    // Newest items first, as CPython does; it keeps deep structures from piling up work.
    for (ssize_t i = list->ob_size - 1; i >= 0; --i) {
        xdecref(list->ob_item[i]);
    }
    std::free(list->ob_item);
    free_object(self);
    // kata: end
    trashcan::end();
}

std::string list_repr(Object* self) {
    // kata: begin §9
    auto* list = static_cast<List*>(self);
    ReprGuard guard(self);
    if (guard.recursive()) {
        return "[...]";
    }
    std::string out = "[";
    for (ssize_t i = 0; i < list->ob_size; ++i) {
        out += (i > 0 ? ", " : "") + repr(list->ob_item[i]);
    }
    return out + "]";
    // kata: end
}

Comparison list_equal(Object* self, Object* other) {
    // kata: begin §7
    if (other->ob_type != &List::Type) {
        return Comparison::NotImplemented;
    }
    auto* a = static_cast<List*>(self);
    auto* b = static_cast<List*>(other);
    if (a->ob_size != b->ob_size) {
        return Comparison::False;
    }
    for (ssize_t i = 0; i < a->ob_size; ++i) {
        if (!equal(a->ob_item[i], b->ob_item[i])) {
            return Comparison::False;
        }
    }
    return Comparison::True;
    // kata: end
}

}  // namespace

TypeObject List::Type = {.tp_name = "list",
                         .tp_basicsize = sizeof(List),
                         .tp_dealloc = &list_dealloc,
                         .tp_repr = &list_repr,
                         .tp_equal = &list_equal,
                         .tp_flags = TPFLAGS_HAVE_GC};

Ref<List> List::create() {
    // kata: begin §6
    // ob_item stays nullptr and allocated 0 until the first append.
    return Ref<List>::steal(static_cast<List*>(alloc_object(&List::Type)));
    // kata: end
}

void List::append(Object* item) {
    // kata: begin §6
    const ssize_t n = ob_size;
    resize(this, n + 1);
    incref(item);
    ob_item[n] = item;
    // kata: end
}

Object* List::item(ssize_t index) const {
    // kata: begin §6
    return ob_item[normalize_index(this, index)];
    // kata: end
}

void List::setitem(ssize_t index, Object* item) {
    // kata: begin §6
    Object*& slot = ob_item[normalize_index(this, index)];
    incref(item);
    Object* old = slot;
    slot = item;
    decref(old);  // last: the old item's deallocation may look at this list
    // kata: end
}

Ref<Object> List::pop() {
    // kata: begin §6
    if (ob_size == 0) {
        throw IndexError("pop from empty list");
    }
    Object* last = ob_item[ob_size - 1];
    resize(this, ob_size - 1);
    return Ref<Object>::steal(last);
    // kata: end
}

void List::clear() noexcept {
    // kata: begin §6 noexcept
    // Detach the items first: a decref below may run code that looks at this list again.
    Object** items = ob_item;
    const ssize_t n = ob_size;
    ob_item = nullptr;
    ob_size = 0;
    allocated = 0;
    for (ssize_t i = n - 1; i >= 0; --i) {
        xdecref(items[i]);
    }
    std::free(items);
    // kata: end
}

}  // namespace py
