// dict (Objects/dictobject.c, 3.11): a compact, insertion-ordered hash table.
// kata: skeleton // KATA (lesson §8 and §9: steps 14-17). The type object is given.
//
//   dk_indices  [ 2 | EMPTY | 0 | DUMMY | 1 | EMPTY | EMPTY | EMPTY ]   dk_size slots
//   dk_entries  [ (h, 'a', 1) | (h, 'b', 2) | (h, 'c', 3) ]              in insertion order
// kata: begin replace
//
// A key's hash picks a slot; collisions probe onward with CPython's perturbation scheme. Deleting
// leaves a DUMMY slot (so later probes keep going) and a hole in the entries (so the order of the
// others stays). When the entries run out, everything is rebuilt with 3x the items in slots
// (GROWTH_RATE), which is room for about twice the items in entries.
#include <algorithm>
#include <bit>
#include <cstdlib>
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
    std::size_t slot;  // where the key's probe sequence ended
    ssize_t entry;     // the entry's position, or Dict::EMPTY
};

Lookup lookup(const Dict* dict, Object* key, hash_t hash) {
    const auto mask = static_cast<std::size_t>(dict->dk_size - 1);
    auto perturb = static_cast<std::size_t>(hash);
    std::size_t slot = static_cast<std::size_t>(hash) & mask;
    for (;;) {
        const ssize_t ix = dict->dk_indices[slot];
        if (ix == Dict::EMPTY) {
            return {slot, Dict::EMPTY};
        }
        if (ix >= 0) {
            const DictEntry& entry = dict->dk_entries[ix];
            if (entry.key == key || (entry.hash == hash && equal(entry.key, key))) {
                return {slot, ix};
            }
        }
        perturb >>= PERTURB_SHIFT;
        slot = (slot * 5 + perturb + 1) & mask;
    }
}

// The first slot of `hash`'s probe sequence that holds no entry (EMPTY or DUMMY).
std::size_t find_empty_slot(const Dict* dict, hash_t hash) {
    const auto mask = static_cast<std::size_t>(dict->dk_size - 1);
    auto perturb = static_cast<std::size_t>(hash);
    std::size_t slot = static_cast<std::size_t>(hash) & mask;
    while (dict->dk_indices[slot] >= 0) {
        perturb >>= PERTURB_SHIFT;
        slot = (slot * 5 + perturb + 1) & mask;
    }
    return slot;
}

template <class T>
T* allocate_array(ssize_t count) {
    void* memory = std::malloc(static_cast<std::size_t>(count) * sizeof(T));
    if (memory == nullptr) {
        throw MemoryError("out of memory growing a dict");
    }
    return static_cast<T*>(memory);
}

// dictresize: new tables of `new_size` slots, live entries copied in order without holes.
void resize(Dict* dict, ssize_t new_size) {
    auto* indices = allocate_array<ssize_t>(new_size);
    DictEntry* entries = nullptr;
    try {
        entries = allocate_array<DictEntry>(usable_fraction(new_size));
    } catch (...) {
        std::free(indices);
        throw;
    }
    for (ssize_t i = 0; i < new_size; ++i) {
        indices[i] = Dict::EMPTY;
    }
    ssize_t count = 0;
    for (ssize_t i = 0; i < dict->dk_nentries; ++i) {
        if (dict->dk_entries[i].key != nullptr) {
            entries[count++] = dict->dk_entries[i];
        }
    }
    std::free(dict->dk_indices);
    std::free(dict->dk_entries);
    dict->dk_indices = indices;
    dict->dk_entries = entries;
    dict->dk_size = new_size;
    dict->dk_nentries = count;
    for (ssize_t i = 0; i < count; ++i) {
        dict->dk_indices[find_empty_slot(dict, entries[i].hash)] = i;
    }
}

// GROWTH_RATE (3.11): used * 3 slots, rounded up to a power of two and at least PyDict_MINSIZE;
// two thirds of them usable, so about twice the live items fit before the next resize.
void grow(Dict* dict) {
    const auto wanted =
        static_cast<std::size_t>(std::max<ssize_t>(dict->ma_used * 3, Dict::MINSIZE));
    resize(dict, static_cast<ssize_t>(std::bit_ceil(wanted)));
}

// kata: end
void dict_dealloc(Object* self) {
    // Py_TRASHCAN_BEGIN (lesson §11): deeper than 50 nested deallocations, defer this one.
    if (!trashcan::begin(self)) {
        return;
    }
    // kata: begin §8 noexcept
    auto* dict = static_cast<Dict*>(self);
    for (ssize_t i = 0; i < dict->dk_nentries; ++i) {
        xdecref(dict->dk_entries[i].key);
        xdecref(dict->dk_entries[i].value);
    }
    std::free(dict->dk_indices);
    std::free(dict->dk_entries);
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

TypeObject Dict::Type = {.tp_name = "dict",
                         .tp_basicsize = sizeof(Dict),
                         .tp_dealloc = &dict_dealloc,
                         .tp_repr = &dict_repr,
                         .tp_equal = &dict_equal,
                         .tp_flags = TPFLAGS_HAVE_GC};

Ref<Dict> Dict::create() {
    // kata: begin §8
    auto* dict = static_cast<Dict*>(alloc_object(&Dict::Type));
    try {
        resize(dict, MINSIZE);
    } catch (...) {
        decref(dict);
        throw;
    }
    return Ref<Dict>::steal(dict);
    // kata: end
}

void Dict::setitem(Object* key, Object* value) {
    // kata: begin §8
    const hash_t h = hash(key);  // throws for an unhashable key before anything changes
    const Lookup found = lookup(this, key, h);
    if (found.entry != EMPTY) {
        DictEntry& entry = dk_entries[found.entry];
        incref(value);
        Object* old = entry.value;
        entry.value = value;  // the key object already stored stays (d[1.0] = x keeps key 1)
        decref(old);
        return;
    }
    if (dk_nentries == usable_fraction(dk_size)) {
        grow(this);
    }
    incref(key);
    incref(value);
    dk_entries[dk_nentries] = DictEntry{h, key, value};
    dk_indices[find_empty_slot(this, h)] = dk_nentries;
    ++dk_nentries;
    ++ma_used;
}

Object* Dict::get(Object* key) const {
    const Lookup found = lookup(this, key, hash(key));
    return found.entry == EMPTY ? nullptr : dk_entries[found.entry].value;
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
    DictEntry& entry = dk_entries[found.entry];
    Object* old_key = entry.key;
    Object* old_value = entry.value;
    dk_indices[found.slot] = DUMMY;
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
    for (ssize_t i = 0; i < dk_nentries; ++i) {
        if (dk_entries[i].key != nullptr) {
            out.push_back(dk_entries[i].key);
        }
    }
    return out;
    // kata: end
}

std::vector<std::pair<Object*, Object*>> Dict::items() const {
    // kata: begin §8
    std::vector<std::pair<Object*, Object*>> out;
    out.reserve(static_cast<std::size_t>(ma_used));
    for (ssize_t i = 0; i < dk_nentries; ++i) {
        if (dk_entries[i].key != nullptr) {
            out.emplace_back(dk_entries[i].key, dk_entries[i].value);
        }
    }
    return out;
    // kata: end
}

}  // namespace py
