// The containers: tuple, list, dict. A container owns one reference to each item it holds
// and drops them all when it is deallocated.
//
// CPython: Objects/tupleobject.c, Objects/listobject.c, Objects/dictobject.c (3.11).
#pragma once

#include <cstdint>
#include <cstring>
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

// PyDictKeysObject (CPython 3.11, Include/internal/pycore_dict.h): a dict's hash table, ONE
// malloc'd block of three parts:
//
//   | dk_log2_size | dk_log2_index_bytes | (pad) | dk_usable | dk_nentries |  header, 24 bytes
//   | dk_indices: dk_size signed ints, each 1, 2, 4 or 8 bytes wide       |  1 <<
//   dk_log2_index_bytes | entries: usable_fraction(dk_size) DictEntry, in insertion order     |  24
//   bytes each
//
// An index only has to hold an entry position (below two thirds of dk_size) or EMPTY / DUMMY, so
// its width follows the table's size (new_keys_object): int8 while dk_log2_size <= 7 (at most 128
// slots), int16 up to 15, int32 up to 31, int64 beyond. A dict of 8 items (16 slots) spends 16
// bytes on its indices, not 128. CPython's header also has dk_refcnt (split tables share keys),
// dk_kind and dk_version: 32 bytes; ours has no sharing, hence 24.
struct DictKeys {
    std::uint8_t dk_log2_size;         // dk_size == 1 << dk_log2_size, at least 3 (8 slots)
    std::uint8_t dk_log2_index_bytes;  // the index array takes 1 << dk_log2_index_bytes bytes
    ssize_t dk_usable;                 // entries that may still be appended before a resize
    ssize_t dk_nentries;               // entries used so far, deleted ones included

    // new_keys_object: a table of 1 << log2_size slots, every one EMPTY, room for
    // usable_fraction(1 << log2_size) entries and none used. Free it with std::free. Throws
    // py::MemoryError.
    static DictKeys* create(int log2_size);

    [[nodiscard]] ssize_t size() const noexcept { return ssize_t{1} << dk_log2_size; }  // DK_SIZE
    // dictkeys_get_index / dictkeys_set_index: slot `i` at the table's index width.
    [[nodiscard]] ssize_t index(ssize_t i) const noexcept {
        if (dk_log2_size < 8) {
            return read_index<std::int8_t>(i);
        }
        if (dk_log2_size < 16) {
            return read_index<std::int16_t>(i);
        }
        if (dk_log2_size < 32) {
            return read_index<std::int32_t>(i);
        }
        return read_index<std::int64_t>(i);
    }
    void set_index(ssize_t i, ssize_t ix) noexcept {
        if (dk_log2_size < 8) {
            write_index<std::int8_t>(i, ix);
        } else if (dk_log2_size < 16) {
            write_index<std::int16_t>(i, ix);
        } else if (dk_log2_size < 32) {
            write_index<std::int32_t>(i, ix);
        } else {
            write_index<std::int64_t>(i, ix);
        }
    }
    // DK_ENTRIES: right after the indices.
    [[nodiscard]] DictEntry* entries() noexcept {
        return reinterpret_cast<DictEntry*>(indices() + (std::size_t{1} << dk_log2_index_bytes));
    }
    [[nodiscard]] const DictEntry* entries() const noexcept {
        return const_cast<DictKeys*>(this)->entries();
    }
    // _PyDict_KeysSize: the bytes of the whole block.
    [[nodiscard]] std::size_t allocated_bytes() const noexcept {
        return sizeof(DictKeys) + (std::size_t{1} << dk_log2_index_bytes) +
               static_cast<std::size_t>((size() << 1) / 3) * sizeof(DictEntry);
    }

  private:
    [[nodiscard]] unsigned char* indices() noexcept {
        return reinterpret_cast<unsigned char*>(this + 1);
    }
    template <class Int>
    [[nodiscard]] ssize_t read_index(ssize_t i) const noexcept {
        Int ix;
        std::memcpy(&ix, const_cast<DictKeys*>(this)->indices() + i * ssize_t{sizeof(Int)},
                    sizeof(Int));
        return ix;
    }
    template <class Int>
    void write_index(ssize_t i, ssize_t ix) noexcept {
        const auto narrow = static_cast<Int>(ix);
        std::memcpy(indices() + i * ssize_t{sizeof(Int)}, &narrow, sizeof(Int));
    }
};

static_assert(sizeof(DictKeys) == 3 * sizeof(ssize_t), "two bytes, then dk_usable and dk_nentries");

// dict: CPython 3.6+'s compact, insertion-ordered table. The object itself holds the count and a
// pointer to its DictKeys block; `ma_keys->index(slot)` is a position in `ma_keys->entries()` (or
// EMPTY / DUMMY). Keys compare with Python's equality, so 1, 1.0 and True are the same key.
// (CPython's PyDictObject also has ma_version_tag and ma_values, for split tables: 16 bytes more.)
struct Dict : Object {
    ssize_t ma_used;                        // number of live items
    DictKeys* ma_keys;                      // never nullptr once created
    static TypeObject Type;                 // "dict"
    static constexpr int LOG2_MINSIZE = 3;  // PyDict_LOG_MINSIZE
    static constexpr ssize_t MINSIZE = 8;   // PyDict_MINSIZE
    static constexpr ssize_t EMPTY = -1;    // DKIX_EMPTY
    static constexpr ssize_t DUMMY = -2;    // DKIX_DUMMY

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
