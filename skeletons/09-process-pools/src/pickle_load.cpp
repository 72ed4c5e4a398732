// pickle.loads for the runtime's values: the pickle machine of CPython 3.11's C unpickler
// (Modules/_pickle.c: load, the load_* functions, Pdata with its marks and fence, the memo).
// Reading is defensive: every length is checked against what is left before anything is read,
// so malformed input ends in one of CPython's exceptions, never outside the buffer.
#include <bit>
#include <cstdint>
#include <cstdio>
#include <limits>
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
#include "utf8.hpp"

namespace py::pickle {
namespace detail {  // not anonymous: a skeleton leaves helpers unused, without warnings

constexpr std::uint64_t SSIZE_MAX_VALUE = std::numeric_limits<std::int64_t>::max();

// The value of `size` little-endian bytes.
std::uint64_t read_le(std::string_view bytes) {
    std::uint64_t value = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) {
        value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return value;
}

// What GLOBAL / STACK_GLOBAL may name: only the two callables CPython's protocol 2 uses for
// bytes. Anything else is refused rather than imported (a pickle is code; see the lesson).
struct GlobalObject : Object {
    enum Kind { BytesType, CodecsEncode } kind;
    static TypeObject Type;
};

void global_dealloc(Object* self) {
    free_object(self);
}

std::string global_repr(Object* self) {
    return static_cast<GlobalObject*>(self)->kind == GlobalObject::BytesType
               ? "<class 'bytes'>"
               : "<built-in function encode>";
}

TypeObject GlobalObject::Type = {.tp_name = "builtin_function_or_method",
                                 .tp_basicsize = sizeof(GlobalObject),
                                 .tp_dealloc = &global_dealloc,
                                 .tp_repr = &global_repr};

class Unpickler {
  public:
    explicit Unpickler(std::string_view data, const FindClass* find_class = nullptr)
        : data_(data), find_class_(find_class) {}
    Ref<Object> load();

  private:
    // Input.
    std::string_view read(std::uint64_t n);
    std::string_view readline();
    std::uint64_t read_size(int nbytes, const char* what);

    // The stack (Pdata): values above `fence_` may be popped; the marks say where
    // MARK-delimited groups begin.
    void push(Ref<Object> value) { stack_.push_back(std::move(value)); }
    Ref<Object> pop();
    [[noreturn]] void stack_underflow() const;
    std::size_t marker();

    // The opcode handlers.
    void dispatch(unsigned char op);
    void load_int(unsigned char op);
    void load_float();
    void load_str(unsigned char op);
    void load_bytes(unsigned char op);
    void load_tuple(unsigned char op);
    void load_list_or_dict(unsigned char op);
    void do_append(std::size_t x);
    void do_setitems(std::size_t x);
    void load_stack_op(unsigned char op);
    void load_put(unsigned char op);
    void load_get(unsigned char op);
    void load_global(unsigned char op);
    void load_reduce();
    void load_newobj();
    void load_build();
    [[noreturn]] void invalid_load_key(unsigned char op) const;

    void memo_put(std::uint64_t index, Object* value);
    Object* memo_get(std::uint64_t index) const;

    std::string_view data_;
    const FindClass* find_class_;  // the caller's, or null: only bytes and _codecs.encode
    std::size_t pos_ = 0;
    std::vector<Ref<Object>> stack_;
    std::vector<std::size_t> marks_;
    std::size_t fence_ = 0;
    std::vector<Ref<Object>> memo_;                            // small indices
    std::unordered_map<std::uint64_t, Ref<Object>> far_memo_;  // huge ones (LONG_BINPUT)
    std::size_t memo_len_ = 0;                                 // filled entries: MEMOIZE's index
    bool stopped_ = false;
    Ref<Object> result_;
};

// --- Input ------------------------------------------------------------------------------------

// _Unpickler_Read on a bytes object: all or nothing.
std::string_view Unpickler::read(std::uint64_t n) {
    if (n > SSIZE_MAX_VALUE - pos_) {
        throw UnpicklingError("read would overflow (invalid bytecode)");
    }
    if (n > data_.size() - pos_) {
        throw UnpicklingError("pickle data was truncated");
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
}

// _Unpickler_Readline: up to and including the next newline.
std::string_view Unpickler::readline() {
    const std::size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) {
        throw UnpicklingError("pickle data was truncated");
    }
    std::string_view line = data_.substr(pos_, end + 1 - pos_);
    pos_ = end + 1;
    return line;
}

// A length of `nbytes` little-endian bytes; over Py_ssize_t's maximum is CPython's OverflowError.
std::uint64_t Unpickler::read_size(int nbytes, const char* what) {
    const std::uint64_t size = read_le(read(static_cast<std::uint64_t>(nbytes)));
    if (size > SSIZE_MAX_VALUE) {
        throw OverflowError(std::string(what) + " exceeds system's maximum size of " +
                            std::to_string(SSIZE_MAX_VALUE) + " bytes");
    }
    return size;
}

// --- The machine ------------------------------------------------------------------------------

Ref<Object> Unpickler::load() {
    while (!stopped_) {
        if (pos_ >= data_.size()) {
            throw EOFError("Ran out of input");  // no opcode where one was due
        }
        dispatch(static_cast<unsigned char>(data_[pos_++]));
    }
    return std::move(result_);
}

void Unpickler::dispatch(unsigned char op) {
    switch (op) {
        case PROTO: {
            const auto proto = static_cast<unsigned char>(read(1)[0]);
            if (proto > HIGHEST_PROTOCOL) {
                throw ValueError("unsupported pickle protocol: " + std::to_string(proto));
            }
            return;
        }
        case FRAME: {
            // The frame's bytes must all be there; they are then read opcode by opcode.
            const std::uint64_t frame_len = read_le(read(8));
            if (frame_len > SSIZE_MAX_VALUE) {
                throw OverflowError("FRAME length exceeds system's maximum of " +
                                    std::to_string(SSIZE_MAX_VALUE) + " bytes");
            }
            read(frame_len);
            pos_ -= frame_len;
            return;
        }
        case STOP:
            result_ = pop();
            stopped_ = true;
            return;
        case NONE:
        case NEWTRUE:
        case NEWFALSE:
        case BININT:
        case BININT1:
        case BININT2:
        case LONG1:
        case LONG4:
            load_int(op);
            return;
        case BINFLOAT:
            load_float();
            return;
        case BINUNICODE:
        case SHORT_BINUNICODE:
        case BINUNICODE8:
        case BINSTRING:
        case SHORT_BINSTRING:
            load_str(op);
            return;
        case BINBYTES:
        case SHORT_BINBYTES:
        case BINBYTES8:
            load_bytes(op);
            return;
        case EMPTY_TUPLE:
        case TUPLE:
        case TUPLE1:
        case TUPLE2:
        case TUPLE3:
            load_tuple(op);
            return;
        case EMPTY_LIST:
        case LIST:
        case EMPTY_DICT:
        case DICT:
        case APPEND:
        case APPENDS:
        case SETITEM:
        case SETITEMS:
            load_list_or_dict(op);
            return;
        case MARK:
        case POP:
        case POP_MARK:
        case DUP:
            load_stack_op(op);
            return;
        case BINPUT:
        case LONG_BINPUT:
        case MEMOIZE:
            load_put(op);
            return;
        case BINGET:
        case LONG_BINGET:
            load_get(op);
            return;
        case GLOBAL:
        case STACK_GLOBAL:
            load_global(op);
            return;
        case REDUCE:
            load_reduce();
            return;
        case NEWOBJ:
            load_newobj();
            return;
        case BUILD:
            load_build();
            return;
        default:
            invalid_load_key(op);
    }
}

// --- Atoms ------------------------------------------------------------------------------------

// None, True, False and every int opcode of the binary protocols.
void Unpickler::load_int(unsigned char op) {
    PY_KATA_TODO("§3");
}

// BINFLOAT: 8 bytes, big-endian.
void Unpickler::load_float() {
    PY_KATA_TODO("§3");
}

// str opcodes: the payload must be valid UTF-8 (surrogates allowed, as 'surrogatepass').
// Python 2's str (BINSTRING, SHORT_BINSTRING) is decoded as ASCII, pickle.loads' default.
void Unpickler::load_str(unsigned char op) {
    PY_KATA_TODO("§3");
}

void Unpickler::load_bytes(unsigned char op) {
    PY_KATA_TODO("§3");
}

// --- The stack and its marks ------------------------------------------------------------------

// Pdata_pop: nothing may be popped from below the fence (the topmost mark).
Ref<Object> Unpickler::pop() {
    if (stack_.size() <= fence_) {
        stack_underflow();
    }
    Ref<Object> top = std::move(stack_.back());
    stack_.pop_back();
    return top;
}

// Pdata_stack_underflow: which message depends on whether a mark is in the way.
void Unpickler::stack_underflow() const {
    PY_KATA_TODO("§3");
}

// marker(): pops the topmost mark and returns the stack size it recorded.
std::size_t Unpickler::marker() {
    PY_KATA_TODO("§3");
}

// MARK pushes a mark; POP discards the top (or the topmost mark, if it sits on top); POP_MARK
// discards everything down to the mark; DUP pushes the top again.
void Unpickler::load_stack_op(unsigned char op) {
    PY_KATA_TODO("§3");
}

// EMPTY_TUPLE; TUPLE1/2/3 take the top 1-3 items; TUPLE takes everything above the mark.
void Unpickler::load_tuple(unsigned char op) {
    PY_KATA_TODO("§3");
}

void Unpickler::load_list_or_dict(unsigned char op) {
    PY_KATA_TODO("§3");
}

// Appends stack[x:] to the list at stack[x - 1].
void Unpickler::do_append(std::size_t x) {
    PY_KATA_TODO("§3");
}

// Sets key/value pairs stack[x:] into the dict at stack[x - 1].
void Unpickler::do_setitems(std::size_t x) {
    PY_KATA_TODO("§3");
}

// --- The memo ---------------------------------------------------------------------------------

// BINPUT / LONG_BINPUT store the top at the given index; MEMOIZE at the next free one.
void Unpickler::load_put(unsigned char op) {
    PY_KATA_TODO("§3");
}

void Unpickler::load_get(unsigned char op) {
    PY_KATA_TODO("§3");
}

void Unpickler::memo_put(std::uint64_t index, Object* value) {
    // Indices up to a bound the input could fill go in a vector; a huge index (LONG_BINPUT of
    // 4 billion) goes in a hash map instead of allocating gigabytes as CPython would try.
    Ref<Object>* slot = nullptr;
    if (index < memo_.size() || index <= 4 * data_.size() + 256) {
        if (index >= memo_.size()) {
            memo_.resize(static_cast<std::size_t>(index) + 1 > 2 * memo_.size()
                             ? static_cast<std::size_t>(index) + 1
                             : 2 * memo_.size());
        }
        slot = &memo_[static_cast<std::size_t>(index)];
    } else {
        slot = &far_memo_[index];
    }
    if (!*slot) {
        ++memo_len_;
    }
    *slot = Ref<Object>::borrow(value);
}

Object* Unpickler::memo_get(std::uint64_t index) const {
    if (index < memo_.size()) {
        return memo_[static_cast<std::size_t>(index)].get();
    }
    auto it = far_memo_.find(index);
    return it == far_memo_.end() ? nullptr : it->second.get();
}

// --- Globals: only what protocol 2 needs for bytes --------------------------------------------

void Unpickler::load_global(unsigned char op) {
    PY_KATA_TODO("§3");
}

// REDUCE: callable(*args), for bytes() and _codecs.encode(text, 'latin1').
void Unpickler::load_reduce() {
    PY_KATA_TODO("§3");
}

// NEWOBJ: cls.__new__(cls, *args) for a class a find_class allowed; the Instance keeps both, and
// BUILD adds the state (load_newobj and load_build in Modules/_pickle.c).
void Unpickler::load_newobj() {
    Ref<Object> args = pop();
    Ref<Object> cls = pop();
    if (args->ob_type != &Tuple::Type) {
        throw UnpicklingError("NEWOBJ expected an arg tuple.");
    }
    if (cls->ob_type != &Global::Type) {
        throw UnpicklingError("NEWOBJ class argument isn't a type object");
    }
    push(make_instance(cls.get(), args.get()));
}

void Unpickler::load_build() {
    Ref<Object> state = pop();
    if (stack_.size() <= fence_) {
        stack_underflow();
    }
    Object* target = stack_.back().get();
    if (target->ob_type != &Instance::Type) {
        // CPython would set the state on any object; ours have no attributes to set.
        throw UnpicklingError(std::string("py::pickle cannot set the state of a '") +
                              type_name(target) + "' object");
    }
    static_cast<Instance*>(target)->state = std::move(state);
}

// An opcode byte the machine does not know, with CPython's message.
void Unpickler::invalid_load_key(unsigned char op) const {
    PY_KATA_TODO("§3");
}

}  // namespace detail

Ref<Object> loads(std::string_view data) {
    return detail::Unpickler(data).load();
}

Ref<Object> loads(std::string_view data, const FindClass& find_class) {
    return detail::Unpickler(data, &find_class).load();
}

}  // namespace py::pickle
