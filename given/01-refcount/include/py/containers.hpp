// The containers: tuple, list, dict. A container owns one reference to each item it holds
// and drops them all when it is deallocated.
//
// CPython: Objects/tupleobject.c, Objects/listobject.c, Objects/dictobject.c (3.11).
#pragma once

#include <initializer_list>
#include <utility>
#include <vector>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py {

// tuple: a fixed number of items stored right after the header (PyTupleObject.ob_item[]).
struct Tuple : VarObject {
    static TypeObject Type;  // "tuple"
    // A tuple holding a new reference to each item, in order.
    static Ref<Tuple> pack(std::initializer_list<Object*> items);
    [[nodiscard]] ssize_t size() const noexcept { return ob_size; }
    // The item at `index` (borrowed). Throws py::IndexError("tuple index out of range").
    [[nodiscard]] Object* item(ssize_t index) const;
    [[nodiscard]] Object** items() noexcept;
    [[nodiscard]] Object* const* items() const noexcept;
};

// list: a separately allocated array of item pointers that over-allocates as it grows, with
// CPython's growth pattern (0, 4, 8, 16, 24, 32, 40, 52, 64, 76, ... for repeated appends).
struct List : VarObject {
    Object** ob_item;
    ssize_t allocated;
    static TypeObject Type;  // "list"
    static Ref<List> create();
    [[nodiscard]] ssize_t size() const noexcept { return ob_size; }
    // L.append(x): the list takes a reference to `item`.
    void append(Object* item);
    // L[i] (borrowed); a negative index counts from the end. Throws py::IndexError("list index
    // out of range").
    [[nodiscard]] Object* item(ssize_t index) const;
    // L[i] = x: takes a reference to `item`, drops the one to the old item.
    void setitem(ssize_t index, Object* item);
    // L.pop(): removes the last item and hands its reference to the caller. Throws
    // py::IndexError("pop from empty list").
    Ref<Object> pop();
    // L.clear(): drops every item.
    void clear() noexcept;
};

// One slot of a dict's entry table: a key, its value and the key's cached hash.
struct DictEntry {
    hash_t hash;
    Object* key;  // nullptr: a deleted entry
    Object* value;
};

// dict: CPython 3.6+'s compact, insertion-ordered table. `indices` is a hash table of
// dk_size slots holding positions in `entries` (or EMPTY / DUMMY); `entries` is an array in
// insertion order. Keys compare with Python's equality, so 1, 1.0 and True are the same key.
struct Dict : Object {
    ssize_t ma_used;      // number of live items
    ssize_t dk_size;      // slots in dk_indices, a power of two, at least 8
    ssize_t dk_nentries;  // entries used so far, deleted ones included
    ssize_t* dk_indices;
    DictEntry* dk_entries;                 // room for usable_fraction(dk_size) entries
    static TypeObject Type;                // "dict"
    static constexpr ssize_t MINSIZE = 8;  // PyDict_MINSIZE
    static constexpr ssize_t EMPTY = -1;   // DKIX_EMPTY
    static constexpr ssize_t DUMMY = -2;   // DKIX_DUMMY

    static Ref<Dict> create();
    [[nodiscard]] ssize_t size() const noexcept { return ma_used; }
    // d[key] = value: an existing equal key keeps its key object and gets the new value.
    // Throws py::TypeError("unhashable type: 'list'") for an unhashable key.
    void setitem(Object* key, Object* value);
    // d[key] (borrowed). Throws py::KeyError with repr(key) as the message.
    [[nodiscard]] Object* getitem(Object* key) const;
    // d.get(key) (borrowed), nullptr when missing.
    [[nodiscard]] Object* get(Object* key) const;
    [[nodiscard]] bool contains(Object* key) const;
    // del d[key]. Throws py::KeyError with repr(key) as the message.
    void delitem(Object* key);
    // Borrowed keys and items in insertion order.
    [[nodiscard]] std::vector<Object*> keys() const;
    [[nodiscard]] std::vector<std::pair<Object*, Object*>> items() const;
};

}  // namespace py
