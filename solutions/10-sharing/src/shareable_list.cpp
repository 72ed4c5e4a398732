// §1 ShareableList: a fixed-length list packed into one SharedMemory block in CPython 3.11's
// layout (Lib/multiprocessing/shared_memory.py), so python3 attaches to ours and we to its.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "py/bytes.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/scalars.hpp"
#include "py/shared_memory.hpp"

namespace py::multiprocessing::shared_memory {
namespace {

constexpr std::size_t kAlignment = 8;     // ShareableList._alignment
constexpr std::size_t kFormatLength = 8;  // each format is packed as "8s"

// The back-transform codes (_back_transforms_mapping).
constexpr int kAsIs = 0;
constexpr int kStr = 1;
constexpr int kBytes = 2;
constexpr int kNone = 3;

// struct's native "q" and "d": the machine's byte order, 8 bytes each.
[[maybe_unused]] std::int64_t get_q(const SharedMemory& shm, std::size_t offset) {
    std::int64_t value = 0;
    std::memcpy(&value, shm.buf().data() + offset, sizeof value);
    return value;
}
[[maybe_unused]] void put_q(SharedMemory& shm, std::size_t offset, std::int64_t value) {
    std::memcpy(shm.buf().data() + offset, &value, sizeof value);
}

// struct's "Ns": exactly n bytes, cut or padded with NULs.
[[maybe_unused]] void put_s(SharedMemory& shm, std::size_t offset, std::string_view bytes,
                            std::size_t n) {
    std::byte* out = shm.buf().data() + offset;
    const std::size_t copied = std::min(bytes.size(), n);
    if (copied > 0) {  // (an empty view's data() may be null, which memcpy must not get)
        std::memcpy(out, bytes.data(), copied);
    }
    std::memset(out + copied, 0, n - copied);
}
[[maybe_unused]] std::string get_s(const SharedMemory& shm, std::size_t offset, std::size_t n) {
    return {reinterpret_cast<const char*>(shm.buf().data() + offset), n};
}

[[maybe_unused]] std::string_view rstrip_nul(std::string_view bytes) {
    const std::size_t end = bytes.find_last_not_of('\0');
    return end == std::string_view::npos ? std::string_view() : bytes.substr(0, end + 1);
}

[[maybe_unused]] bool is_str(const Object* op) {
    return op->ob_type == &Str::Type;
}
[[maybe_unused]] bool is_bytes(const Object* op) {
    return op->ob_type == &Bytes::Type;
}

// len(item) of a str counts code points, not the UTF-8 bytes stored (3.11 sizes a str's room
// by it, so a non-ASCII str can be cut short: CPython's quirk, kept for the layout).
[[maybe_unused]] std::size_t python_len(const Object* item) {
    const std::string_view bytes = is_str(item) ? static_cast<const Str*>(item)->view()
                                                : static_cast<const Bytes*>(item)->view();
    if (!is_str(item)) {
        return bytes.size();
    }
    std::size_t code_points = 0;
    for (const char c : bytes) {
        code_points += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    }
    return code_points;
}

[[maybe_unused]] std::string_view encoded(const Object* item) {
    return is_str(item) ? static_cast<const Str*>(item)->view()
                        : static_cast<const Bytes*>(item)->view();
}

// _types_mapping[type(value)] for the types of fixed size; KeyError(<class '...'>) otherwise.
[[maybe_unused]] std::string fixed_format(const Object* value) {
    if (value->ob_type == &Bool::Type) {
        return "xxxxxxx?";
    }
    if (value->ob_type == &Int::Type) {
        return "q";
    }
    if (value->ob_type == &Float::Type) {
        return "d";
    }
    if (is_none(value)) {
        return "xxxxxx?x";
    }
    throw KeyError(std::string("<class '") + value->ob_type->tp_name + "'>");
}

// _extract_recreation_code.
[[maybe_unused]] int recreation_code(const Object* value) {
    if (is_str(value)) {
        return kStr;
    }
    if (is_bytes(value)) {
        return kBytes;
    }
    return is_none(value) ? kNone : kAsIs;
}

// struct.pack_into(fmt, buf, offset, value) for the formats a ShareableList uses.
[[maybe_unused]] void pack_into(SharedMemory& shm, const std::string& fmt, std::size_t offset,
                                const Object* value) {
    if (fmt.back() == 's') {
        put_s(shm, offset, encoded(value), std::stoul(fmt));
    } else if (fmt == "q") {
        put_q(shm, offset, static_cast<const Int*>(value)->value());
    } else if (fmt == "d") {
        const double number = static_cast<const Float*>(value)->value();
        std::memcpy(shm.buf().data() + offset, &number, sizeof number);
    } else {
        // "xxxxxxx?" (bool) and "xxxxxx?x" (None, packed as False): pad bytes are zeros.
        put_s(shm, offset, {}, kAlignment);
        const bool truth = !is_none(value) && static_cast<const Int*>(value)->value() != 0;
        shm.buf()[offset + fmt.find('?')] = std::byte{truth ? std::uint8_t{1} : std::uint8_t{0}};
    }
}

// Each item's struct format: "%ds" with room for len(item) rounded up to the next multiple of 8
// (one more 8 when it is one already) for str and bytes, the fixed _types_mapping entry otherwise.
[[maybe_unused]] std::vector<std::string> item_formats(const std::vector<Ref<Object>>& sequence) {
    // kata: begin step06 §1
    std::vector<std::string> formats;
    for (const Ref<Object>& item : sequence) {
        if (is_str(item.get()) || is_bytes(item.get())) {
            const std::size_t room = kAlignment * (python_len(item.get()) / kAlignment + 1);
            formats.push_back(std::to_string(room) + "s");
        } else {
            formats.push_back(fixed_format(item.get()));
        }
        if (formats.back().size() > kFormatLength) {
            throw AssertionError("");  // assert sum(len(fmt) <= 8 for fmt in _formats) == ...
        }
    }
    return formats;
    // kata: skeleton return {};
    // kata: end
}

// The room an item's format takes in the data area.
[[maybe_unused]] std::int64_t room_of(const std::string& fmt) {
    return fmt.back() == 's' ? std::stoll(fmt) : static_cast<std::int64_t>(kAlignment);
}

// The block for ShareableList(sequence, name=name): struct.calcsize of the whole layout, "q" +
// "q" * (N + 1) + the items' formats + "8s" * N + "b" * N, or the named block to attach to.
[[maybe_unused]] SharedMemory open_block(const std::optional<std::vector<Ref<Object>>>& sequence,
                                         const std::optional<std::string>& name) {
    // kata: begin step06 §1
    if (!sequence) {
        return SharedMemory(name);
    }
    const std::vector<std::string> formats = item_formats(*sequence);
    const auto n = static_cast<std::int64_t>(formats.size());
    std::int64_t size = 8 + 8 * (n + 1) + 8 * n + n;
    for (const std::string& fmt : formats) {
        size += room_of(fmt);
    }
    return SharedMemory(name, true, size);
    // kata: end
}

}  // namespace

ShareableList::ShareableList(const std::optional<std::vector<Ref<Object>>>& sequence,
                             const std::optional<std::string>& name)
    : shm_(open_block(sequence, name)) {
    // kata: begin step06 §1
    if (!sequence) {
        // Attached: the length and the offsets come from the block.
        list_len_ = get_q(shm_, 0);
        for (std::int64_t i = 0; i <= list_len_; ++i) {
            allocated_offsets_.push_back(get_q(shm_, 8 + static_cast<std::size_t>(i) * 8));
        }
        return;
    }
    const std::vector<std::string> formats = item_formats(*sequence);
    list_len_ = static_cast<std::int64_t>(formats.size());
    allocated_offsets_.push_back(0);
    for (const std::string& fmt : formats) {
        allocated_offsets_.push_back(allocated_offsets_.back() + room_of(fmt));
    }
    put_q(shm_, 0, list_len_);
    for (std::size_t i = 0; i < allocated_offsets_.size(); ++i) {
        put_q(shm_, 8 + i * 8, allocated_offsets_[i]);
    }
    for (std::size_t i = 0; i < formats.size(); ++i) {
        const Object* item = (*sequence)[i].get();
        pack_into(shm_, formats[i],
                  offset_data_start() + static_cast<std::size_t>(allocated_offsets_[i]), item);
        put_s(shm_, offset_packing_formats() + i * kFormatLength, formats[i], kFormatLength);
        shm_.buf()[offset_back_transform_codes() + i] =
            static_cast<std::byte>(recreation_code(item));
    }
    // kata: end
}

std::size_t ShareableList::offset_data_start() const {
    return static_cast<std::size_t>(list_len_ + 2) * 8;
}

std::size_t ShareableList::offset_packing_formats() const {
    return offset_data_start() + static_cast<std::size_t>(allocated_offsets_.back());
}

std::size_t ShareableList::offset_back_transform_codes() const {
    return offset_packing_formats() + static_cast<std::size_t>(list_len_) * kFormatLength;
}

std::string ShareableList::packing_format(std::int64_t position) const {
    const std::size_t at = offset_packing_formats() + static_cast<std::size_t>(position) * 8;
    return std::string(rstrip_nul(get_s(shm_, at, kFormatLength)));
}

int ShareableList::back_transform(std::int64_t position) const {
    return static_cast<int>(static_cast<signed char>(
        shm_.buf()[offset_back_transform_codes() + static_cast<std::size_t>(position)]));
}

std::int64_t ShareableList::len() const {
    // kata: begin step06 §1
    return get_q(shm_, 0);
    // kata: skeleton return 0;
    // kata: end
}

Ref<Object> ShareableList::getitem(std::int64_t position) const {
    // kata: begin step06 §1
    const std::int64_t p = position >= 0 ? position : position + list_len_;
    if (p < 0 || p >= list_len_) {
        throw IndexError("index out of range");
    }
    const std::string fmt = packing_format(p);
    const std::size_t offset =
        offset_data_start() + static_cast<std::size_t>(allocated_offsets_[p]);
    switch (back_transform(p)) {
        case kStr:
            return Str::create(rstrip_nul(get_s(shm_, offset, std::stoul(fmt))));
        case kBytes:
            return Bytes::create(rstrip_nul(get_s(shm_, offset, std::stoul(fmt))));
        case kNone:
            return None();
        default:
            break;
    }
    if (fmt == "q") {
        return Int::create(get_q(shm_, offset));
    }
    if (fmt == "d") {
        double number = 0;
        std::memcpy(&number, shm_.buf().data() + offset, sizeof number);
        return Float::create(number);
    }
    // "xxxxxxx?" or "xxxxxx?x": the bool is the byte under the '?'. Anything else was not written
    // by a ShareableList (struct.error in CPython).
    const std::size_t question = fmt.find('?');
    if (question >= kAlignment) {
        throw ValueError("bad char in struct format");
    }
    return to_bool(shm_.buf()[offset + question] != std::byte{0});
    // kata: end
}

void ShareableList::setitem(std::int64_t position, Object* value) {
    // kata: begin step07 §1
    const std::int64_t p = position >= 0 ? position : position + list_len_;
    if (p < 0 || p >= list_len_) {
        throw IndexError("assignment index out of range");
    }
    std::string new_format;
    if (is_str(value) || is_bytes(value)) {
        // A str or bytes keeps the room its item was given when the list was made.
        const std::int64_t allocated = allocated_offsets_[p + 1] - allocated_offsets_[p];
        if (static_cast<std::int64_t>(encoded(value).size()) > allocated) {
            throw ValueError("bytes/str item exceeds available storage");
        }
        const std::string current = packing_format(p);
        new_format = current.back() == 's' ? current : std::to_string(allocated) + "s";
    } else {
        new_format = fixed_format(value);
    }
    const auto at = static_cast<std::size_t>(p);
    put_s(shm_, offset_packing_formats() + at * kFormatLength, new_format, kFormatLength);
    shm_.buf()[offset_back_transform_codes() + at] = static_cast<std::byte>(recreation_code(value));
    pack_into(shm_, new_format,
              offset_data_start() + static_cast<std::size_t>(allocated_offsets_[p]), value);
    // kata: end
}

std::string ShareableList::format() const {
    // kata: begin step06 §1
    std::string joined;
    for (std::int64_t i = 0; i < list_len_; ++i) {
        joined += packing_format(i);
    }
    return joined;
    // kata: skeleton return {};
    // kata: end
}

std::int64_t ShareableList::count(Object* value) const {
    // kata: begin step07 §1
    std::int64_t found = 0;
    for (std::int64_t i = 0; i < list_len_; ++i) {
        found += equal(value, getitem(i).get()) ? 1 : 0;
    }
    return found;
    // kata: skeleton return 0;
    // kata: end
}

std::int64_t ShareableList::index(Object* value) const {
    // kata: begin step07 §1
    for (std::int64_t i = 0; i < list_len_; ++i) {
        if (equal(value, getitem(i).get())) {
            return i;
        }
    }
    throw ValueError(py::repr(value) + " not in this container");
    // kata: skeleton return 0;
    // kata: end
}

std::string ShareableList::repr() const {
    std::string items;
    for (std::int64_t i = 0; i < list_len_; ++i) {
        if (i > 0) {
            items += ", ";
        }
        items += py::repr(getitem(i).get());
    }
    return "ShareableList([" + items + "], name=" + py::repr(Str::create(shm_.name()).get()) + ")";
}

}  // namespace py::multiprocessing::shared_memory
