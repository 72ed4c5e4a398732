// multiprocessing.Value and Array (Lib/multiprocessing/sharedctypes.py): C numbers in memory that
// every process forked after their creation shares, each with its own process-shared RLock.
//
// The type code picks the C type, as sharedctypes.typecode_to_type does:
//   'c' char   'u' wchar_t   'b' signed char   'B' unsigned char   'h' short   'H' unsigned short
//   'i' int    'I' unsigned  'l' long          'L' unsigned long   'q' long long
//   'Q' unsigned long long   'f' float         'd' double
// so `Value<'i'> num(666)` is Python's `num = Value('i', 666)`. An unknown code does not compile.
//
// Value's value() and set_value() each take the lock (Synchronized.value in CPython), which makes
// every single read and write safe but NOT `v.set_value(v.value() + 1)`: hold get_lock() around a
// read-modify-write. RawValue and RawArray (Python's lock=False) have no lock at all.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "py/exceptions.hpp"
#include "py/synchronize.hpp"

namespace py::multiprocessing {

namespace detail {

// `name` is the ctypes class's name, which Python's messages show (on 64-bit Linux 'q' is c_long,
// since ctypes makes c_longlong an alias of c_long when both have 8 bytes).
template <char Code>
struct ctype;  // no definition: an unknown type code is a compile error
// clang-format off
template <> struct ctype<'c'> { using type = char; static constexpr const char* name = "c_char"; };
template <> struct ctype<'u'> { using type = wchar_t; static constexpr const char* name = "c_wchar"; };
template <> struct ctype<'b'> { using type = signed char; static constexpr const char* name = "c_byte"; };
template <> struct ctype<'B'> { using type = unsigned char; static constexpr const char* name = "c_ubyte"; };
template <> struct ctype<'h'> { using type = short; static constexpr const char* name = "c_short"; };
template <> struct ctype<'H'> { using type = unsigned short; static constexpr const char* name = "c_ushort"; };
template <> struct ctype<'i'> { using type = int; static constexpr const char* name = "c_int"; };
template <> struct ctype<'I'> { using type = unsigned int; static constexpr const char* name = "c_uint"; };
template <> struct ctype<'l'> { using type = long; static constexpr const char* name = "c_long"; };
template <> struct ctype<'L'> { using type = unsigned long; static constexpr const char* name = "c_ulong"; };
template <> struct ctype<'q'> { using type = long long; static constexpr const char* name = "c_long"; };
template <> struct ctype<'Q'> { using type = unsigned long long; static constexpr const char* name = "c_ulong"; };
template <> struct ctype<'f'> { using type = float; static constexpr const char* name = "c_float"; };
template <> struct ctype<'d'> { using type = double; static constexpr const char* name = "c_double"; };
// clang-format on

// `size` zeroed bytes in a MAP_SHARED mapping (CPython: heap.BufferWrapper in an mmap'ed arena),
// with its own process-shared RLock (chapter 09) unless `with_lock` is false. A fork()ed child maps
// the same pages, so what one process writes the other reads. read() and write() hold the lock, if
// any, while they copy.
class SharedBuffer {
  public:
    SharedBuffer(std::size_t size, bool with_lock);
    SharedBuffer(const SharedBuffer&) = delete;
    SharedBuffer& operator=(const SharedBuffer&) = delete;
    ~SharedBuffer();

    [[nodiscard]] std::byte* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    // nullptr for the raw kind.
    [[nodiscard]] RLock* lock() const noexcept { return lock_.get(); }

    void read(std::size_t offset, void* out, std::size_t n) const;
    void write(std::size_t offset, const void* in, std::size_t n);

  private:
    void* mapping_ = nullptr;
    std::size_t mapping_size_ = 0;
    std::unique_ptr<RLock> lock_;  // its state lives in a shared mapping of its own
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

// ctypes' message for an index outside the array; negative indices count from the end.
inline std::size_t checked_index(std::int64_t index, std::size_t size) {
    const auto n = static_cast<std::int64_t>(size);
    if (index < 0) {
        index += n;
    }
    if (index < 0 || index >= n) {
        throw IndexError("invalid index");
    }
    return static_cast<std::size_t>(index);
}

// slice(start, stop).indices(size) for a step of 1: the half-open range [first, last) that
// arr[start:stop] covers, negative bounds counting from the end, everything clamped to the array.
inline std::pair<std::size_t, std::size_t> slice_bounds(std::optional<std::int64_t> start,
                                                        std::optional<std::int64_t> stop,
                                                        std::size_t size) {
    const auto n = static_cast<std::int64_t>(size);
    auto clamp = [n](std::int64_t bound) {
        if (bound < 0) {
            bound += n;
        }
        return static_cast<std::size_t>(std::clamp<std::int64_t>(bound, 0, n));
    };
    const std::size_t first = start ? clamp(*start) : 0;
    const std::size_t last = stop ? clamp(*stop) : size;
    return {first, std::max(first, last)};
}

}  // namespace detail

template <char Code, bool Locked = true>
class BasicValue {
  public:
    using value_type = typename detail::ctype<Code>::type;
    static constexpr char typecode = Code;

    explicit BasicValue(value_type initial = value_type{}) : buffer_(sizeof(value_type), Locked) {
        buffer_.write(0, &initial, sizeof initial);
    }

    // v.value: one locked read.
    [[nodiscard]] value_type value() const {
        value_type out{};
        buffer_.read(0, &out, sizeof out);
        return out;
    }
    // v.value = x: one locked write.
    void set_value(value_type value) { buffer_.write(0, &value, sizeof value); }

    // The lock (Synchronized.get_lock()). RawValue has none: AttributeError, as in Python.
    RLock& get_lock() const {
        if (buffer_.lock() == nullptr) {
            throw AttributeError("'" + std::string(detail::ctype<Code>::name) +
                                 "' object has no attribute 'get_lock'");
        }
        return *buffer_.lock();
    }
    // The raw shared number, bypassing the lock (Synchronized.get_obj()).
    [[nodiscard]] value_type* get_obj() const noexcept {
        return reinterpret_cast<value_type*>(buffer_.data());
    }

  private:
    detail::SharedBuffer buffer_;
};

template <char Code, bool Locked = true>
class BasicArray {
  public:
    using value_type = typename detail::ctype<Code>::type;
    static constexpr char typecode = Code;

    // Array('i', 4): four zeros. Array('i', [11, 22, 33, 44]): those values.
    explicit BasicArray(std::size_t size) : buffer_(size * sizeof(value_type), Locked) {}
    BasicArray(std::initializer_list<value_type> values)
        : buffer_(values.size() * sizeof(value_type), Locked) {
        buffer_.write(0, values.begin(), values.size() * sizeof(value_type));
    }

    [[nodiscard]] std::size_t size() const noexcept { return buffer_.size() / sizeof(value_type); }
    // arr[i], one locked read; IndexError("invalid index") outside [-len, len).
    value_type operator[](std::int64_t index) const {
        value_type out{};
        buffer_.read(detail::checked_index(index, size()) * sizeof(value_type), &out, sizeof out);
        return out;
    }
    // arr[i] = x, one locked write.
    void set(std::int64_t index, value_type value) {
        buffer_.write(detail::checked_index(index, size()) * sizeof(value_type), &value,
                      sizeof value);
    }
    // arr[:], one locked read of the whole array.
    [[nodiscard]] std::vector<value_type> slice() const {
        return slice(std::nullopt, std::nullopt);
    }
    // arr[start:stop] (SynchronizedArray.__getitem__ with a slice), one locked read; the bounds
    // are a Python slice's: negative counts from the end, out of range is clamped, so arr[3:1]
    // and arr[20:] are empty.
    [[nodiscard]] std::vector<value_type> slice(std::optional<std::int64_t> start,
                                                std::optional<std::int64_t> stop) const {
        const auto [first, last] = detail::slice_bounds(start, stop, size());
        std::vector<value_type> out(last - first);
        if (out.empty()) {
            return out;  // arr[3:1]: nothing to copy (and no memcpy to a null pointer)
        }
        buffer_.read(first * sizeof(value_type), out.data(), out.size() * sizeof(value_type));
        return out;
    }
    // arr[start:stop] = values, one locked write. A ctypes array cannot change its length:
    // ValueError("Can only assign sequence of same size") unless values fill the slice exactly.
    void set_slice(std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                   std::span<const value_type> values) {
        const auto [first, last] = detail::slice_bounds(start, stop, size());
        if (values.size() != last - first) {
            throw ValueError("Can only assign sequence of same size");
        }
        if (values.empty()) {
            return;
        }
        buffer_.write(first * sizeof(value_type), values.data(),
                      values.size() * sizeof(value_type));
    }
    void set_slice(std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                   std::initializer_list<value_type> values) {
        set_slice(start, stop, std::span<const value_type>(values.begin(), values.size()));
    }
    RLock& get_lock() const {
        if (buffer_.lock() == nullptr) {
            throw AttributeError("'" + std::string(detail::ctype<Code>::name) + "_Array_" +
                                 std::to_string(size()) + "' object has no attribute 'get_lock'");
        }
        return *buffer_.lock();
    }
    [[nodiscard]] std::span<value_type> get_obj() const noexcept {
        return {reinterpret_cast<value_type*>(buffer_.data()), size()};
    }

  private:
    detail::SharedBuffer buffer_;
};

template <char Code>
using Value = BasicValue<Code, true>;
template <char Code>
using RawValue = BasicValue<Code, false>;
template <char Code>
using Array = BasicArray<Code, true>;
template <char Code>
using RawArray = BasicArray<Code, false>;

}  // namespace py::multiprocessing
