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
    // kata: begin step06 §3
    switch (op) {
        case NONE:
            push(None());
            return;
        case NEWTRUE:
            push(True());
            return;
        case NEWFALSE:
            push(False());
            return;
        case BININT1:
            push(Int::create(static_cast<long long>(read_le(read(1)))));
            return;
        case BININT2:
            push(Int::create(static_cast<long long>(read_le(read(2)))));
            return;
        case BININT:
            push(Int::create(static_cast<std::int32_t>(read_le(read(4)))));
            return;
        default:
            break;
    }
    // LONG1 / LONG4: n bytes of two's complement, little-endian; zero bytes mean 0.
    std::uint64_t size = 0;
    if (op == LONG1) {
        size = read_le(read(1));
    } else {
        const auto signed_size = static_cast<std::int32_t>(read_le(read(4)));
        if (signed_size < 0) {
            throw UnpicklingError("LONG pickle has negative byte count");
        }
        size = static_cast<std::uint64_t>(signed_size);
    }
    const std::string_view bytes = read(size);
    if (bytes.empty()) {
        push(Int::create(0));
        return;
    }
    const bool negative = (static_cast<unsigned char>(bytes.back()) & 0x80) != 0;
    // Bytes beyond the eighth must only repeat the sign, or the value is too big for our int.
    for (std::size_t i = 8; i < bytes.size(); ++i) {
        if (static_cast<unsigned char>(bytes[i]) != (negative ? 0xff : 0x00)) {
            throw OverflowError("int too large for the runtime's 64-bit int");
        }
    }
    const std::size_t used = bytes.size() < 8 ? bytes.size() : 8;
    std::uint64_t value = read_le(bytes.substr(0, used));
    if (used < 8 && negative) {
        value |= ~std::uint64_t{0} << (8 * used);  // sign-extend
    }
    if (bytes.size() > 8 && ((value >> 63) != 0) != negative) {
        throw OverflowError("int too large for the runtime's 64-bit int");
    }
    push(Int::create(static_cast<long long>(value)));
    // kata: end
}

// BINFLOAT: 8 bytes, big-endian.
void Unpickler::load_float() {
    // kata: begin step06 §3
    const std::string_view bytes = read(8);
    std::uint64_t bits = 0;
    for (const char c : bytes) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
    }
    push(Float::create(std::bit_cast<double>(bits)));
    // kata: end
}

// str opcodes: the payload must be valid UTF-8 (surrogates allowed, as 'surrogatepass').
// Python 2's str (BINSTRING, SHORT_BINSTRING) is decoded as ASCII, pickle.loads' default.
void Unpickler::load_str(unsigned char op) {
    // kata: begin step06 §3
    std::uint64_t size = 0;
    if (op == SHORT_BINUNICODE || op == SHORT_BINSTRING) {
        size = read_le(read(1));
    } else if (op == BINUNICODE8) {
        size = read_size(8, "BINUNICODE");
    } else if (op == BINSTRING) {
        const auto signed_size = static_cast<std::int32_t>(read_le(read(4)));
        if (signed_size < 0) {
            throw UnpicklingError("BINSTRING pickle has negative byte count");
        }
        size = static_cast<std::uint64_t>(signed_size);
    } else {
        size = read_size(4, "BINUNICODE");
    }
    const std::string_view text = read(size);
    if (op == BINSTRING || op == SHORT_BINSTRING) {
        check_ascii(text);
    } else {
        check_utf8(text);
    }
    push(Str::create(text));
    // kata: end
}

void Unpickler::load_bytes(unsigned char op) {
    // kata: begin step06 §3
    std::uint64_t size = 0;
    if (op == SHORT_BINBYTES) {
        size = read_le(read(1));
    } else {
        size = read_size(op == BINBYTES8 ? 8 : 4, "BINBYTES");
    }
    push(Bytes::create(read(size)));
    // kata: end
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
    // kata: begin step09 §3
    throw UnpicklingError(marks_.empty() ? "unpickling stack underflow" : "unexpected MARK found");
    // kata: end
}

// marker(): pops the topmost mark and returns the stack size it recorded.
std::size_t Unpickler::marker() {
    // kata: begin step07 §3
    if (marks_.empty()) {
        throw UnpicklingError("could not find MARK");
    }
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    fence_ = marks_.empty() ? 0 : marks_.back();
    return mark;
    // kata: end
}

// MARK pushes a mark; POP discards the top (or the topmost mark, if it sits on top); POP_MARK
// discards everything down to the mark; DUP pushes the top again.
void Unpickler::load_stack_op(unsigned char op) {
    // kata: begin step07 §3
    switch (op) {
        case MARK:
            marks_.push_back(stack_.size());
            fence_ = stack_.size();
            return;
        case POP:
            if (!marks_.empty() && marks_.back() == stack_.size()) {
                marker();
            } else {
                (void)pop();
            }
            return;
        case POP_MARK:
            stack_.resize(marker());
            return;
        default: {  // DUP
            if (stack_.size() <= fence_) {
                stack_underflow();
            }
            Ref<Object> top = stack_.back();
            push(std::move(top));
            return;
        }
    }
    // kata: end
}

// EMPTY_TUPLE; TUPLE1/2/3 take the top 1-3 items; TUPLE takes everything above the mark.
void Unpickler::load_tuple(unsigned char op) {
    // kata: begin step07 §3
    std::size_t start = 0;
    if (op == EMPTY_TUPLE) {
        start = stack_.size();
    } else if (op == TUPLE) {
        start = marker();
    } else {
        const std::size_t n = op - TUPLE1 + 1;
        if (stack_.size() < n || stack_.size() - n < fence_) {
            stack_underflow();
        }
        start = stack_.size() - n;
    }
    const auto count = static_cast<ssize_t>(stack_.size() - start);
    auto* tuple = static_cast<Tuple*>(alloc_object(&Tuple::Type, count));
    Ref<Tuple> owned = Ref<Tuple>::steal(tuple);
    for (ssize_t i = 0; i < count; ++i) {
        tuple->items()[i] = stack_[start + static_cast<std::size_t>(i)].release();
    }
    stack_.resize(start);
    push(std::move(owned));
    // kata: end
}

void Unpickler::load_list_or_dict(unsigned char op) {
    // kata: begin step07 §3
    switch (op) {
        case EMPTY_LIST:
            push(List::create());
            return;
        case EMPTY_DICT:
            push(Dict::create());
            return;
        case LIST: {
            const std::size_t start = marker();
            Ref<List> list = List::create();
            for (std::size_t i = start; i < stack_.size(); ++i) {
                list->append(stack_[i].get());
            }
            stack_.resize(start);
            push(std::move(list));
            return;
        }
        case DICT: {
            const std::size_t start = marker();
            if ((stack_.size() - start) % 2 != 0) {
                throw UnpicklingError("odd number of items for DICT");
            }
            Ref<Dict> dict = Dict::create();
            for (std::size_t i = start; i < stack_.size(); i += 2) {
                dict->setitem(stack_[i].get(), stack_[i + 1].get());
            }
            stack_.resize(start);
            push(std::move(dict));
            return;
        }
        case APPEND:
            do_append(stack_.empty() ? 0 : stack_.size() - 1);
            return;
        case APPENDS:
            do_append(marker());
            return;
        case SETITEM:
            do_setitems(stack_.size() < 2 ? 0 : stack_.size() - 2);
            return;
        default:  // SETITEMS
            do_setitems(marker());
            return;
    }
    // kata: end
}

// Appends stack[x:] to the list at stack[x - 1].
void Unpickler::do_append(std::size_t x) {
    // kata: begin step07 §3
    if (x > stack_.size() || x <= fence_) {
        stack_underflow();
    }
    Object* target = stack_[x - 1].get();
    if (target->ob_type != &List::Type) {
        throw AttributeError(std::string("'") + type_name(target) +
                             "' object has no attribute 'append'");
    }
    auto* list = static_cast<List*>(target);
    for (std::size_t i = x; i < stack_.size(); ++i) {
        list->append(stack_[i].get());
    }
    stack_.resize(x);
    // kata: end
}

// Sets key/value pairs stack[x:] into the dict at stack[x - 1].
void Unpickler::do_setitems(std::size_t x) {
    // kata: begin step07 §3
    if (x > stack_.size() || x <= fence_) {
        stack_underflow();
    }
    if ((stack_.size() - x) % 2 != 0) {
        throw UnpicklingError("odd number of items for SETITEMS");
    }
    Object* target = stack_[x - 1].get();
    if (target->ob_type != &Dict::Type) {
        if (x == stack_.size()) {
            return;  // nothing to set: CPython never looks at the target
        }
        throw TypeError(std::string("'") + type_name(target) +
                        "' object does not support item assignment");
    }
    auto* dict = static_cast<Dict*>(target);
    for (std::size_t i = x; i < stack_.size(); i += 2) {
        dict->setitem(stack_[i].get(), stack_[i + 1].get());
    }
    stack_.resize(x);
    // kata: end
}

// --- The memo ---------------------------------------------------------------------------------

// BINPUT / LONG_BINPUT store the top at the given index; MEMOIZE at the next free one.
void Unpickler::load_put(unsigned char op) {
    // kata: begin step08 §3
    if (stack_.size() <= fence_) {
        stack_underflow();
    }
    std::uint64_t index = memo_len_;
    if (op == BINPUT) {
        index = read_le(read(1));
    } else if (op == LONG_BINPUT) {
        index = read_le(read(4));
    }
    memo_put(index, stack_.back().get());
    // kata: end
}

void Unpickler::load_get(unsigned char op) {
    // kata: begin step08 §3
    const std::uint64_t index = read_le(read(op == BINGET ? 1 : 4));
    Object* value = memo_get(index);
    if (value == nullptr) {
        throw UnpicklingError("Memo value not found at index " + std::to_string(index));
    }
    push(Ref<Object>::borrow(value));
    // kata: end
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
    // kata: begin step10 step35 §3
    std::string module;
    std::string name;
    if (op == GLOBAL) {
        const std::string_view module_line = readline();
        const std::string_view name_line = readline();
        module.assign(module_line.substr(0, module_line.size() - 1));
        name.assign(name_line.substr(0, name_line.size() - 1));
    } else {
        // CPython pops both before checking, and reports a missing one as a non-str.
        Ref<Object> name_object = stack_.size() > fence_ ? pop() : nullptr;
        Ref<Object> module_object = stack_.size() > fence_ ? pop() : nullptr;
        if (!name_object || !module_object || name_object->ob_type != &Str::Type ||
            module_object->ob_type != &Str::Type) {
            throw UnpicklingError("STACK_GLOBAL requires str");
        }
        module.assign(static_cast<Str*>(module_object.get())->view());
        name.assign(static_cast<Str*>(name_object.get())->view());
    }
    if (module == "__builtin__") {
        module = "builtins";  // fix_imports: Python 2's name for the builtins module
    }
    auto* global = static_cast<GlobalObject*>(alloc_object(&GlobalObject::Type));
    Ref<Object> owned = Ref<Object>::steal(global);
    if (module == "builtins" && name == "bytes") {
        global->kind = GlobalObject::BytesType;
    } else if (module == "_codecs" && name == "encode") {
        global->kind = GlobalObject::CodecsEncode;
    } else if (find_class_ != nullptr) {
        push((*find_class_)(module, name));  // the caller's find_class allows it, or throws
        return;
    } else {
        throw UnpicklingError("py::pickle refuses to load the global '" + module + "." + name +
                              "': only builtins.bytes and _codecs.encode are allowed");
    }
    push(std::move(owned));
    // kata: end
}

// REDUCE: callable(*args), for bytes() and _codecs.encode(text, 'latin1').
void Unpickler::load_reduce() {
    // kata: begin step10 step35 §3
    Ref<Object> args = pop();
    Ref<Object> callable = pop();
    if (args->ob_type != &Tuple::Type) {
        throw TypeError("argument list must be a tuple");
    }
    if (callable->ob_type == &Global::Type && static_cast<Global*>(callable.get())->call) {
        push(static_cast<Global*>(callable.get())->call(args.get()));  // find_class's function
        return;
    }
    if (callable->ob_type != &GlobalObject::Type) {
        throw TypeError(std::string("'") + type_name(callable.get()) + "' object is not callable");
    }
    auto* tuple = static_cast<Tuple*>(args.get());
    if (static_cast<GlobalObject*>(callable.get())->kind == GlobalObject::BytesType) {
        if (tuple->size() == 0) {
            push(Bytes::create(""));
        } else if (tuple->item(0)->ob_type == &Bytes::Type) {
            push(Bytes::create(static_cast<Bytes*>(tuple->item(0))->view()));
        } else {
            throw TypeError(std::string("cannot convert '") + type_name(tuple->item(0)) +
                            "' object to bytes");
        }
        return;
    }
    // _codecs.encode(text, 'latin1'): each code point below 256 becomes one byte.
    if (tuple->size() != 2 || tuple->item(0)->ob_type != &Str::Type ||
        tuple->item(1)->ob_type != &Str::Type ||
        static_cast<Str*>(tuple->item(1))->view() != "latin1") {
        throw TypeError("py::pickle calls _codecs.encode(str, 'latin1') only");
    }
    const std::string_view text = static_cast<Str*>(tuple->item(0))->view();
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            out += static_cast<char>(byte);
        } else if ((byte == 0xc2 || byte == 0xc3) && i + 1 < text.size()) {
            out += static_cast<char>(((byte & 0x03) << 6) |
                                     (static_cast<unsigned char>(text[i + 1]) & 0x3f));
            ++i;
        } else {
            throw UnicodeError("'latin-1' codec can't encode character: ordinal not in range(256)");
        }
    }
    push(Bytes::create(out));
    // kata: end
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
    // kata: begin step09 §3
    // Opcodes CPython knows that this workbook's types never need.
    static constexpr std::string_view known =
        "FILSVdglpbicoR\x81\x82\x83\x84\x8f\x90\x91\x92\x96\x97\x98";
    if (known.find(static_cast<char>(op)) != std::string_view::npos) {
        char text[96];
        std::snprintf(text, sizeof text, "py::pickle does not load the opcode 0x%02x", op);
        throw UnpicklingError(text);
    }
    char text[64];
    if (op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\') {
        std::snprintf(text, sizeof text, "invalid load key, '%c'.", op);
    } else {
        std::snprintf(text, sizeof text, "invalid load key, '\\x%02x'.", op);
    }
    throw UnpicklingError(text);
    // kata: end
}

}  // namespace detail

Ref<Object> loads(std::string_view data) {
    return detail::Unpickler(data).load();
}

Ref<Object> loads(std::string_view data, const FindClass& find_class) {
    return detail::Unpickler(data, &find_class).load();
}

}  // namespace py::pickle
