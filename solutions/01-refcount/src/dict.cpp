// dict (Objects/dictobject.c, 3.11): a compact, insertion-ordered hash table.
// kata: skeleton // KATA (lesson §8 and §9: steps 14-17). The type object is given.
//
//   ma_keys ──> | log2 size 3 | log2 index bytes 3 | usable 2 | nentries 3 |   one block
//               | 2 | EMPTY | 0 | EMPTY | 1 | EMPTY | EMPTY | EMPTY |       8 one-byte slots
//               | (h, 'a', 1) | (h, 'b', 2) | (h, 'c', 3) | ... |         5 entries, in order
// kata: begin replace
//
// A key's hash picks a slot; collisions probe onward with CPython's perturbation scheme. Deleting
// leaves a DUMMY slot (so later probes keep going) and a hole in the entries (so the order of the
// others stays). When the entries run out, everything is rebuilt with 3x the items in slots
// (GROWTH_RATE), which is room for about twice the items in entries.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
// kata: end
#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "repr_guard.hpp"
#include "trashcan.hpp"

namespace py {
namespace {

// kata: begin replace
constexpr int PERTURB_SHIFT = 5;
// kata: skeleton [[maybe_unused]] constexpr int PERTURB_SHIFT = 5;
// kata: end

// Two thirds of the slots may be used before the table is rebuilt.
// kata: begin replace
constexpr ssize_t usable_fraction(ssize_t size) {
    // kata: skeleton [[maybe_unused]] constexpr ssize_t usable_fraction(ssize_t size) {
    // kata: end
    return (size << 1) / 3;
}

// kata: begin replace
struct Lookup {
    ssize_t slot;   // where the key's probe sequence ended
    ssize_t entry;  // the entry's position, or Dict::EMPTY
};

Lookup lookup(const Dict* dict, Object* key, hash_t hash) {
    const DictKeys* keys = dict->ma_keys;
    const DictEntry* entries = keys->entries();
    const auto mask = static_cast<std::size_t>(keys->size() - 1);
    auto perturb = static_cast<std::size_t>(hash);
    std::size_t slot = static_cast<std::size_t>(hash) & mask;
    for (;;) {
        const ssize_t ix = keys->index(static_cast<ssize_t>(slot));
        if (ix == Dict::EMPTY) {
            return {static_cast<ssize_t>(slot), Dict::EMPTY};
        }
        if (ix >= 0) {
            const DictEntry& entry = entries[ix];
            if (entry.key == key || (entry.hash == hash && equal(entry.key, key))) {
                return {static_cast<ssize_t>(slot), ix};
            }
        }
        perturb >>= PERTURB_SHIFT;
        slot = (slot * 5 + perturb + 1) & mask;
    }
}

// The first slot of `hash`'s probe sequence that holds no entry (EMPTY or DUMMY).
ssize_t find_empty_slot(const DictKeys* keys, hash_t hash) {
    const auto mask = static_cast<std::size_t>(keys->size() - 1);
    auto perturb = static_cast<std::size_t>(hash);
    std::size_t slot = static_cast<std::size_t>(hash) & mask;
    while (keys->index(static_cast<ssize_t>(slot)) >= 0) {
        perturb >>= PERTURB_SHIFT;
        slot = (slot * 5 + perturb + 1) & mask;
    }
    return static_cast<ssize_t>(slot);
}

// dictresize: a new table of 1 << log2_size slots, the live entries copied in order without
// holes, the old block freed.
void resize(Dict* dict, int log2_size) {
    DictKeys* old = dict->ma_keys;
    DictKeys* keys = DictKeys::create(log2_size);
    const DictEntry* old_entries = old->entries();
    DictEntry* entries = keys->entries();
    ssize_t count = 0;
    for (ssize_t i = 0; i < old->dk_nentries; ++i) {
        if (old_entries[i].key != nullptr) {
            entries[count++] = old_entries[i];
        }
    }
    for (ssize_t i = 0; i < count; ++i) {
        keys->set_index(find_empty_slot(keys, entries[i].hash), i);
    }
    keys->dk_usable -= count;
    keys->dk_nentries = count;
    dict->ma_keys = keys;
    std::free(old);
}

// GROWTH_RATE (3.11): used * 3 slots, rounded up to a power of two and at least PyDict_MINSIZE;
// two thirds of them usable, so about twice the live items fit before the next resize.
// (calculate_log2_keysize: the log2 of that power of two.)
void grow(Dict* dict) {
    const auto wanted =
        static_cast<std::size_t>(std::max<ssize_t>(dict->ma_used * 3, Dict::MINSIZE));
    resize(dict, static_cast<int>(std::bit_width(wanted - 1)));
}

// kata: end
void dict_dealloc(Object* self) {
    // Py_TRASHCAN_BEGIN (lesson §11): deeper than 50 nested deallocations, defer this one.
    if (!trashcan::begin(self)) {
        return;
    }
    // kata: begin §8 noexcept
    DictKeys* keys = static_cast<Dict*>(self)->ma_keys;
    const DictEntry* entries = keys->entries();
    for (ssize_t i = 0; i < keys->dk_nentries; ++i) {
        xdecref(entries[i].key);
        xdecref(entries[i].value);
    }
    std::free(keys);
    free_object(self);
    // kata: end
    trashcan::end();
}

std::string dict_repr(Object* self) {
    // kata: begin §9
    auto* dict = static_cast<Dict*>(self);
    ReprGuard guard(self);
    if (guard.recursive()) {
        return "{...}";
    }
    std::string out = "{";
    bool first = true;
    for (const auto& [key, value] : dict->items()) {
        out += (first ? "" : ", ") + repr(key) + ": " + repr(value);
        first = false;
    }
    return out + "}";
    // kata: end
}

Comparison dict_equal(Object* self, Object* other) {
    // kata: begin §8
    if (other->ob_type != &Dict::Type) {
        return Comparison::NotImplemented;
    }
    auto* a = static_cast<Dict*>(self);
    auto* b = static_cast<Dict*>(other);
    if (a->ma_used != b->ma_used) {
        return Comparison::False;
    }
    for (const auto& [key, value] : a->items()) {
        Object* theirs = b->get(key);
        if (theirs == nullptr || !equal(value, theirs)) {
            return Comparison::False;
        }
    }
    return Comparison::True;
    // kata: end
}

}  // namespace

DictKeys* DictKeys::create(int log2_size) {
    // kata: begin §8
    // new_keys_object: the index width grows with the table, so that a small dict spends one
    // byte per slot (log2 of the index bytes = log2_size + 0, 1, 2 or 3).
    int log2_bytes = log2_size;
    if (log2_size >= 32) {
        log2_bytes += 3;
    } else if (log2_size >= 16) {
        log2_bytes += 2;
    } else if (log2_size >= 8) {
        log2_bytes += 1;
    }
    const ssize_t usable = usable_fraction(ssize_t{1} << log2_size);
    const std::size_t index_bytes = std::size_t{1} << log2_bytes;
    void* memory = std::malloc(sizeof(DictKeys) + index_bytes +
                               static_cast<std::size_t>(usable) * sizeof(DictEntry));
    if (memory == nullptr) {
        throw MemoryError("out of memory growing a dict");
    }
    auto* keys = new (memory) DictKeys{static_cast<std::uint8_t>(log2_size),
                                       static_cast<std::uint8_t>(log2_bytes), usable, 0};
    std::memset(keys + 1, 0xff, index_bytes);  // every slot EMPTY: -1 at any width
    return keys;
    // kata: end
}

TypeObject Dict::Type = {.tp_name = "dict",
                         .tp_basicsize = sizeof(Dict),
                         .tp_dealloc = &dict_dealloc,
                         .tp_repr = &dict_repr,
                         .tp_equal = &dict_equal,
                         .tp_flags = TPFLAGS_HAVE_GC};

Ref<Dict> Dict::create() {
    // kata: begin §8
    DictKeys* keys = DictKeys::create(LOG2_MINSIZE);
    Object* dict = nullptr;
    try {
        dict = alloc_object(&Dict::Type);
    } catch (...) {
        std::free(keys);
        throw;
    }
    static_cast<Dict*>(dict)->ma_keys = keys;
    return Ref<Dict>::steal(static_cast<Dict*>(dict));
    // kata: end
}

void Dict::setitem(Object* key, Object* value) {
    // kata: begin §8
    const hash_t h = hash(key);  // throws for an unhashable key before anything changes
    const Lookup found = lookup(this, key, h);
    if (found.entry != EMPTY) {
        DictEntry& entry = ma_keys->entries()[found.entry];
        incref(value);
        Object* old = entry.value;
        entry.value = value;  // the key object already stored stays (d[1.0] = x keeps key 1)
        decref(old);
        return;
    }
    if (ma_keys->dk_usable <= 0) {
        grow(this);
    }
    DictKeys* keys = ma_keys;
    incref(key);
    incref(value);
    keys->entries()[keys->dk_nentries] = DictEntry{h, key, value};
    keys->set_index(find_empty_slot(keys, h), keys->dk_nentries);
    ++keys->dk_nentries;
    --keys->dk_usable;
    ++ma_used;
}

Object* Dict::get(Object* key) const {
    const Lookup found = lookup(this, key, hash(key));
    return found.entry == EMPTY ? nullptr : ma_keys->entries()[found.entry].value;
    // kata: end
}

Object* Dict::getitem(Object* key) const {
    // kata: begin §8
    Object* value = get(key);
    if (value == nullptr) {
        throw KeyError(repr(key));
    }
    return value;
    // kata: skeleton }
    // kata: skeleton
    // kata: skeleton Object* Dict::get(Object* key) const {
    // kata: skeleton PY_KATA_TODO("§8");
    // kata: end
}

bool Dict::contains(Object* key) const {
    // kata: begin §8
    return get(key) != nullptr;
    // kata: end
}

void Dict::delitem(Object* key) {
    // kata: begin §8
    const Lookup found = lookup(this, key, hash(key));
    if (found.entry == EMPTY) {
        throw KeyError(repr(key));
    }
    DictEntry& entry = ma_keys->entries()[found.entry];
    Object* old_key = entry.key;
    Object* old_value = entry.value;
    ma_keys->set_index(found.slot, DUMMY);
    entry.key = nullptr;
    entry.value = nullptr;
    --ma_used;
    decref(old_key);
    decref(old_value);
    // kata: end
}

std::vector<Object*> Dict::keys() const {
    // kata: begin §8
    std::vector<Object*> out;
    out.reserve(static_cast<std::size_t>(ma_used));
    const DictEntry* entries = ma_keys->entries();
    for (ssize_t i = 0; i < ma_keys->dk_nentries; ++i) {
        if (entries[i].key != nullptr) {
            out.push_back(entries[i].key);
        }
    }
    return out;
    // kata: end
}

std::vector<std::pair<Object*, Object*>> Dict::items() const {
    // kata: begin §8
    std::vector<std::pair<Object*, Object*>> out;
    out.reserve(static_cast<std::size_t>(ma_used));
    const DictEntry* entries = ma_keys->entries();
    for (ssize_t i = 0; i < ma_keys->dk_nentries; ++i) {
        if (entries[i].key != nullptr) {
            out.emplace_back(entries[i].key, entries[i].value);
        }
    }
    return out;
    // kata: end
}

}  // namespace py
