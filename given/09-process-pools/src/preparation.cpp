// The preparation data of a spawned or forkserver child (given, not a kata): length-prefixed
// fields in a fixed order, little-endian.
#include "preparation.hpp"

#include <cstdint>
#include <cstring>

#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {

namespace {

void put_u32(std::string& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out += static_cast<char>((value >> (8 * i)) & 0xff);
    }
}

void put_bytes(std::string& out, std::string_view bytes) {
    put_u32(out, static_cast<std::uint32_t>(bytes.size()));
    out += bytes;
}

void put_ints(std::string& out, const std::vector<int>& values) {
    put_u32(out, static_cast<std::uint32_t>(values.size()));
    for (const int value : values) {
        put_u32(out, static_cast<std::uint32_t>(value));
    }
}

class Fields {
  public:
    explicit Fields(std::string_view data) : data_(data) {}
    std::uint32_t u32() {
        const std::string_view bytes = take(4);
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) {
            value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
        }
        return value;
    }
    std::string bytes() { return std::string(take(u32())); }
    std::vector<int> ints() {
        const std::uint32_t count = u32();
        if (count > data_.size()) {
            malformed();
        }
        std::vector<int> values;
        values.reserve(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            values.push_back(static_cast<int>(u32()));
        }
        return values;
    }
    [[nodiscard]] bool done() const { return data_.empty(); }

  private:
    [[noreturn]] static void malformed() { throw ValueError("malformed preparation data"); }
    std::string_view take(std::size_t n) {
        if (n > data_.size()) {
            malformed();
        }
        const std::string_view part = data_.substr(0, n);
        data_.remove_prefix(n);
        return part;
    }
    std::string_view data_;
};

}  // namespace

std::string encode(const Preparation& preparation) {
    std::string out;
    put_bytes(out, preparation.function);
    put_bytes(out, preparation.pickled_args);
    put_bytes(out, preparation.name);
    put_u32(out, preparation.daemon ? 1 : 0);
    put_ints(out, preparation.identity);
    put_u32(out, static_cast<std::uint32_t>(preparation.parent_pid));
    put_bytes(out, preparation.parent_name);
    put_ints(out, preparation.pass_fds);
    return out;
}

Preparation decode(std::string_view data) {
    Fields fields(data);
    Preparation preparation;
    preparation.function = fields.bytes();
    preparation.pickled_args = fields.bytes();
    preparation.name = fields.bytes();
    preparation.daemon = fields.u32() != 0;
    preparation.identity = fields.ints();
    preparation.parent_pid = static_cast<pid_t>(fields.u32());
    preparation.parent_name = fields.bytes();
    preparation.pass_fds = fields.ints();
    if (!fields.done()) {
        throw ValueError("malformed preparation data");
    }
    return preparation;
}

}  // namespace py::multiprocessing::detail
