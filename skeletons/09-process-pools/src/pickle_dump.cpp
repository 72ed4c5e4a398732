// pickle.dumps for the runtime's values, following CPython 3.11's C pickler (Modules/_pickle.c:
// save, save_long, save_float, save_unicode, save_bytes, save_tuple, save_list, save_dict,
// batch_list_exact, batch_dict_exact, memo_put, memo_get, _Pickler_Write, _Pickler_CommitFrame).
// Every choice that shows in the output (which opcode, when to memoize, where a frame ends)
// is CPython's, so the bytes are the same as `pickle.dumps(value, protocol)`.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pickle_opcodes.hpp"
#include "py/bytes.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/pickle.hpp"
#include "py/scalars.hpp"

namespace py::pickle {
namespace detail {  // not anonymous: a skeleton leaves helpers unused, without warnings

constexpr std::size_t FRAME_SIZE_MIN = 4;  // smaller frames lose their header
constexpr std::size_t FRAME_SIZE_TARGET =
    std::size_t{64} * 1024;                   // a frame is closed once it reaches this
constexpr std::size_t FRAME_HEADER_SIZE = 9;  // FRAME + 8-byte little-endian length
constexpr ssize_t BATCHSIZE = 1000;           // items per MARK ... APPENDS / SETITEMS
// CPython's recursion limit is 1000 and a list or dict level costs two units (save and
// save_list both enter a recursive call); a few units are taken by the caller's frames.
constexpr int RECURSION_BUDGET = 990;

// n as `size` little-endian bytes (pack("<I") and pack("<Q")).
void append_le(std::string& out, std::uint64_t n, int size) {
    for (int i = 0; i < size; ++i) {
        out += static_cast<char>((n >> (8 * i)) & 0xff);
    }
}

// The pickler's memo: object address -> memo index. Open addressing with linear probing: a
// pickle of many strings and tuples spends much of its time here, and std::unordered_map
// allocates a node per entry (CPython's PyMemoTable is the same kind of table).
class PointerMemo {
  public:
    PointerMemo() : slots_(64) {}
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] const std::uint32_t* find(const void* key) const {
        for (std::size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
            const Slot& slot = slots_[i];
            if (slot.key == key) {
                return &slot.value;
            }
            if (slot.key == nullptr) {
                return nullptr;
            }
        }
    }
    void emplace(const void* key, std::uint32_t value) {
        if (2 * (size_ + 1) > slots_.size()) {
            grow();
        }
        insert(key, value);
    }

  private:
    struct Slot {
        const void* key = nullptr;
        std::uint32_t value = 0;
    };
    [[nodiscard]] std::size_t slot_of(const void* key) const {
        const auto bits = reinterpret_cast<std::uintptr_t>(key);
        return static_cast<std::size_t>((bits >> 3) * 0x9E3779B97F4A7C15ULL >> 20) &
               (slots_.size() - 1);
    }
    void insert(const void* key, std::uint32_t value) {
        std::size_t i = slot_of(key);
        while (slots_[i].key != nullptr && slots_[i].key != key) {
            i = (i + 1) & (slots_.size() - 1);
        }
        if (slots_[i].key == nullptr) {
            ++size_;
        }
        slots_[i] = {key, value};
    }
    void grow() {
        std::vector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        size_ = 0;
        for (const Slot& slot : old) {
            if (slot.key != nullptr) {
                insert(slot.key, slot.value);
            }
        }
    }
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

// CPython 3.11 has one object for each empty or one-character latin-1 str and each empty or
// one-byte bytes (get_latin1_char in unicodeobject.c, the characters in bytesobject.c): decoding,
// slicing and unpickling all return that object, so two equal ones in a value are one object and
// the second is pickled as a memo get. Our runtime may hold several equal ones (chapter 04's
// caches are optional), so the memo keys them by value: python3's loads-then-dumps of a pickle
// and ours then write the same bytes (without it, 42 of 1200 random protocol 2 round trips
// differed: a one-byte bytes' latin-1 str met an equal str elsewhere in the value).
struct SingletonKeys {
    std::array<char, 256> latin1_str{};
    char empty_str = 0;
    std::array<char, 256> byte{};
    char empty_bytes = 0;
};
const SingletonKeys singleton_keys;

const void* identity_key(Object* obj) noexcept {
    if (obj->ob_type == &Str::Type) {
        const std::string_view text = static_cast<Str*>(obj)->view();
        if (text.empty()) {
            return &singleton_keys.empty_str;
        }
        if (const int code = latin1_code(text); code >= 0) {
            return &singleton_keys.latin1_str[static_cast<std::size_t>(code)];
        }
    } else if (obj->ob_type == &Bytes::Type) {
        const std::string_view data = static_cast<Bytes*>(obj)->view();
        if (data.empty()) {
            return &singleton_keys.empty_bytes;
        }
        if (data.size() == 1) {
            return &singleton_keys.byte[static_cast<unsigned char>(data[0])];
        }
    }
    return obj;
}

class Pickler {
  public:
    explicit Pickler(int protocol) : proto_(protocol) { out_.reserve(256); }

    std::string dump(Object* obj);

  private:
    // Output (_Pickler_Write and frames).
    void write(std::string_view data) {
        if (framing_ && frame_start_ < 0) {
            start_frame();
        }
        out_.append(data);
    }
    void write_op(Opcode op) { write(std::string_view(reinterpret_cast<const char*>(&op), 1)); }
    void start_frame();
    void commit_frame();
    void opcode_boundary();
    void write_large(std::string_view header, std::string_view payload);

    // Dispatch and the atoms.
    void save(Object* obj);
    void save_none();
    void save_bool(Object* obj);
    void save_long(long long value);
    void save_float(double value);
    void save_str(Object* obj);
    void save_bytes(Object* obj);
    void save_bytes_by_reduce(Object* obj);
    void save_global(std::string_view module, std::string_view name, const void* key);
    void save_class(Object* obj);
    void save_instance(Object* obj);
    void save_reduce(Object* obj);
    Object* global_name(const std::string& text);

    // Containers.
    void save_tuple(Object* obj);
    void save_list(Object* obj);
    void save_dict(Object* obj);

    // The memo: object identity -> index in the unpickler's memo. A runtime object is keyed by
    // its CPython identity (identity_key); other keys are addresses the pickler owns.
    void memo_put(Object* obj) { memo_put(identity_key(obj)); }
    void memo_put(const void* key);
    void memo_get(std::uint32_t index);
    [[nodiscard]] const std::uint32_t* memo_find(Object* obj) const {
        return memo_.find(identity_key(obj));
    }
    [[nodiscard]] const std::uint32_t* memo_find(const void* key) const { return memo_.find(key); }

    // Py_EnterRecursiveCall(" while pickling an object").
    void enter_recursive_call(int units) {
        depth_ += units;
        if (depth_ > RECURSION_BUDGET) {
            throw RecursionError("maximum recursion depth exceeded while pickling an object");
        }
    }

    std::string out_;
    int proto_;
    bool framing_ = false;
    std::ptrdiff_t frame_start_ = -1;  // where the current frame's header was reserved
    PointerMemo memo_;
    std::vector<Ref<Object>> keep_alive_;  // temporaries whose addresses are memo keys
    // One str per module or class name, as CPython's are one object each: a second global of a
    // module fetches its name from the memo (BINGET), byte for byte what CPython writes.
    std::unordered_map<std::string, Ref<Object>> global_names_;
    int depth_ = 0;
};

// Keys for the memo entries that are not runtime objects: protocol 2 writes bytes as a call to
// `_codecs.encode(text, 'latin1')`, and CPython memoizes that global and the 'latin1' string
// (both are long-lived objects in CPython, so every bytes value of a pickle shares them).
const char codecs_encode_key = 0;
const char latin1_key = 0;
const char bytes_type_key = 0;

std::string Pickler::dump(Object* obj) {
    if (proto_ >= 2) {
        write_op(PROTO);
        write(std::string(1, static_cast<char>(proto_)));
        framing_ = proto_ >= 4;
    }
    save(obj);
    write_op(STOP);
    if (framing_) {
        commit_frame();
    }
    return std::move(out_);
}

// --- Frames (protocol 4, PEP 3154) ------------------------------------------------------------

// Reserves room for a FRAME header in front of the data that follows.
void Pickler::start_frame() {
    PY_KATA_TODO("§2");
}

// Fills in the reserved header with the frame's length, or removes it when the frame is too
// small to be worth one (which is why pickle.dumps(None, 4) has no frame).
void Pickler::commit_frame() {
    PY_KATA_TODO("§2");
}

// Called before each object is saved: a frame that has reached the target size is closed, so
// the next write opens a new one.
void Pickler::opcode_boundary() {
    PY_KATA_TODO("§2");
}

// A payload of 64 KiB or more goes outside any frame (_Pickler_write_bytes), so a reader can
// read it straight into its destination.
void Pickler::write_large(std::string_view header, std::string_view payload) {
    if (!framing_ || payload.size() < FRAME_SIZE_TARGET) {
        write(header);
        write(payload);
        return;
    }
    PY_KATA_TODO("§2");
}

// --- Dispatch ---------------------------------------------------------------------------------

// save(): atoms first (never memoized), then the memo, then the memoized types.
void Pickler::save(Object* obj) {
    if (framing_) {
        opcode_boundary();
    }
    if (is_none(obj)) {
        save_none();
        return;
    }
    if (obj->ob_type == &Bool::Type) {
        save_bool(obj);
        return;
    }
    if (obj->ob_type == &Int::Type) {
        save_long(static_cast<Int*>(obj)->value());
        return;
    }
    if (obj->ob_type == &Float::Type) {
        save_float(static_cast<Float*>(obj)->value());
        return;
    }
    if (const std::uint32_t* index = memo_find(obj)) {
        memo_get(*index);
        return;
    }
    if (obj->ob_type == &Str::Type) {
        save_str(obj);
    } else if (obj->ob_type == &Bytes::Type) {
        save_bytes(obj);
    } else if (obj->ob_type == &Tuple::Type) {
        enter_recursive_call(1);
        save_tuple(obj);
        depth_ -= 1;
    } else if (obj->ob_type == &List::Type) {
        enter_recursive_call(2);
        save_list(obj);
        depth_ -= 2;
    } else if (obj->ob_type == &Dict::Type) {
        enter_recursive_call(2);
        save_dict(obj);
        depth_ -= 2;
    } else if (obj->ob_type == &Global::Type) {
        save_class(obj);
    } else if (obj->ob_type == &Instance::Type) {
        save_instance(obj);
    } else if (obj->ob_type == &Reduce::Type) {
        save_reduce(obj);
    } else {
        // What object.__reduce_ex__ says for a type without pickle support (copyreg.py).
        throw TypeError(std::string("cannot pickle '") + type_name(obj) + "' object");
    }
}

// --- Atoms ------------------------------------------------------------------------------------

void Pickler::save_none() {
    PY_KATA_TODO("§1");
}

void Pickler::save_bool(Object* obj) {
    PY_KATA_TODO("§1");
}

// The smallest of BININT1 (0..255), BININT2 (0..65535) and BININT (a signed 32-bit value);
// beyond that LONG1 with the value's minimal two's-complement little-endian bytes.
void Pickler::save_long(long long value) {
    PY_KATA_TODO("§1");
}

// BINFLOAT: the IEEE 754 double, big-endian (_PyFloat_Pack8 with le = 0).
void Pickler::save_float(double value) {
    PY_KATA_TODO("§1");
}

// --- str and bytes ----------------------------------------------------------------------------

// write_unicode_binary: the UTF-8 bytes after SHORT_BINUNICODE (protocol 4+, up to 255 bytes),
// BINUNICODE (up to 4 GiB) or BINUNICODE8; then the string is memoized.
void Pickler::save_str(Object* obj) {
    PY_KATA_TODO("§1");
}

// Protocol 3 added opcodes for bytes: SHORT_BINBYTES (up to 255), BINBYTES, BINBYTES8.
void Pickler::save_bytes(Object* obj) {
    if (proto_ < 3) {
        save_bytes_by_reduce(obj);
        return;
    }
    PY_KATA_TODO("§1");
}

// Protocol 2 has no bytes opcode: CPython writes the call `_codecs.encode(text, 'latin1')`
// (`bytes()` for b''), which Python 2 and 3 both understand, through save_reduce.
void Pickler::save_bytes_by_reduce(Object* obj) {
    PY_KATA_TODO("§1");
}

// GLOBAL "module\nname\n", memoized under `key` (protocol 2 only: 4+ would use STACK_GLOBAL).
void Pickler::save_global(std::string_view module, std::string_view name, const void* key) {
    if (const std::uint32_t* index = memo_find(key)) {
        memo_get(*index);
        return;
    }
    std::string data(1, static_cast<char>(GLOBAL));
    data.append(module).append("\n").append(name).append("\n");
    write(data);
    memo_put(key);
}

// --- Classes, instances and reductions (pickle.hpp's Global, Instance, Reduce) ----------------

Object* Pickler::global_name(const std::string& text) {
    auto& name = global_names_[text];
    if (!name) {
        name = Str::create(text);
    }
    return name.get();
}

// save_global: STACK_GLOBAL after the two names (protocol 4+), GLOBAL before; memoized.
void Pickler::save_class(Object* obj) {
    auto* global = static_cast<Global*>(obj);
    if (proto_ < 4) {
        save_global(global->module, global->name, obj);
        return;
    }
    save(global_name(global->module));
    save(global_name(global->name));
    write_op(STACK_GLOBAL);
    memo_put(obj);
}

// save_reduce for copyreg.__newobj__: cls, args, NEWOBJ, memoized, then state and BUILD.
void Pickler::save_instance(Object* obj) {
    auto* instance = static_cast<Instance*>(obj);
    save(instance->cls.get());
    save(instance->args.get());
    write_op(NEWOBJ);
    memo_put(obj);
    if (instance->state) {
        save(instance->state.get());
        write_op(BUILD);
    }
}

// save_reduce for (func, args): func, args, REDUCE, then the result is memoized.
void Pickler::save_reduce(Object* obj) {
    auto* reduce = static_cast<Reduce*>(obj);
    save(reduce->func.get());
    save(reduce->args.get());
    write_op(REDUCE);
    memo_put(obj);
}

// --- Containers -------------------------------------------------------------------------------

// EMPTY_TUPLE; or the items then TUPLE1/2/3; or MARK, the items, TUPLE. A tuple that reaches
// itself through a list shows up in the memo once its items are saved: then the items are
// popped again and the memoized tuple is fetched (the subtle part of save_tuple).
void Pickler::save_tuple(Object* obj) {
    PY_KATA_TODO("§1");
}

// EMPTY_LIST, memoized before the items (so an item can refer back to the list), then
// one item + APPEND, or batches of up to 1000: MARK items APPENDS.
void Pickler::save_list(Object* obj) {
    PY_KATA_TODO("§1");
}

// EMPTY_DICT, memoized, then key value SETITEM for one item or batches of MARK ... SETITEMS.
void Pickler::save_dict(Object* obj) {
    PY_KATA_TODO("§1");
}

// --- The memo ---------------------------------------------------------------------------------

// memo_put: the next index; MEMOIZE (protocol 4+) or BINPUT / LONG_BINPUT with the index.
void Pickler::memo_put(const void* key) {
    PY_KATA_TODO("§2");
}

// memo_get: BINGET for an index below 256, else LONG_BINGET.
void Pickler::memo_get(std::uint32_t index) {
    PY_KATA_TODO("§2");
}

}  // namespace detail

std::string dumps(Object* obj, int protocol) {
    if (obj == nullptr) {
        throw TypeError("pickle.dumps: expected an object, got nullptr");
    }
    if (protocol < 0) {
        protocol = HIGHEST_PROTOCOL;
    } else if (protocol > HIGHEST_PROTOCOL) {
        throw ValueError("pickle protocol must be <= " + std::to_string(HIGHEST_PROTOCOL));
    } else if (protocol < 2) {
        throw ValueError("py::pickle writes protocols 2 to 5, not " + std::to_string(protocol));
    }
    return detail::Pickler(protocol).dump(obj);
}

}  // namespace py::pickle
