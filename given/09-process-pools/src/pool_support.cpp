// Plumbing for the process pool (given, not a kata).
#include "pool_support.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "py/pickle.hpp"
#include "py/process_pool.hpp"

namespace py::concurrent {
namespace detail {

bool send_frame(int fd, std::string_view payload) {
    std::string frame;
    frame.reserve(4 + payload.size());
    const auto size = static_cast<std::uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) {
        frame += static_cast<char>((size >> shift) & 0xff);
    }
    frame.append(payload);
    std::size_t done = 0;
    while (done < frame.size()) {
        const ssize_t n = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

namespace {

bool read_exact(int fd, char* buffer, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(fd, buffer + done, size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::optional<std::string> recv_frame(int fd) {
    unsigned char header[4];
    if (!read_exact(fd, reinterpret_cast<char*>(header), 4)) {
        return std::nullopt;
    }
    const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | header[3];
    std::string payload(size, '\0');
    if (!read_exact(fd, payload.data(), size)) {
        return std::nullopt;
    }
    return payload;
}

void socket_pair(int fds[2]) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        throw OSError(std::string("socketpair: ") + std::strerror(errno));
    }
}

void put_u64(std::string& out, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) {
        out += static_cast<char>((value >> (8 * i)) & 0xff);
    }
}

void put_string(std::string& out, std::string_view text) {
    put_u64(out, text.size());
    out.append(text);
}

std::string_view Reader::take(std::size_t n) {
    if (n > data_.size() - pos_) {
        throw RuntimeError("process pool: a malformed message from a worker");
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
}

std::uint64_t Reader::u64() {
    const std::string_view bytes = take(8);
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) {
        value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    }
    return value;
}

std::uint8_t Reader::u8() {
    return static_cast<std::uint8_t>(take(1)[0]);
}

std::string_view Reader::string() {
    return take(u64());
}

std::string_view Reader::rest() {
    return take(data_.size() - pos_);
}

namespace {

// The exception type, and where the remote traceback is kept.
struct RemoteInfo {
    std::string traceback;
};

template <class E>
class Remote : public E, public RemoteInfo {
  public:
    Remote(const std::string& message, std::string traceback)
        : E(message), RemoteInfo{std::move(traceback)} {}
};

template <class E>
std::exception_ptr make(const std::string& message, const std::string& traceback) {
    return std::make_exception_ptr(Remote<E>(message, traceback));
}

using Factory = std::function<std::exception_ptr(const std::string&, const std::string&)>;

const std::map<std::string, Factory, std::less<>>& factories() {
    static const std::map<std::string, Factory, std::less<>> table = {
        {"Exception", make<Exception>},
        {"ArithmeticError", make<ArithmeticError>},
        {"OverflowError", make<OverflowError>},
        {"ZeroDivisionError", make<ZeroDivisionError>},
        {"AssertionError", make<AssertionError>},
        {"AttributeError", make<AttributeError>},
        {"EOFError", make<EOFError>},
        {"LookupError", make<LookupError>},
        {"IndexError", make<IndexError>},
        {"KeyError", make<KeyError>},
        {"MemoryError", make<MemoryError>},
        {"OSError", make<OSError>},
        {"TimeoutError", make<TimeoutError>},
        {"RuntimeError", make<RuntimeError>},
        {"NotImplementedError", make<NotImplementedError>},
        {"RecursionError", make<RecursionError>},
        {"TypeError", make<TypeError>},
        {"ValueError", make<ValueError>},
        {"UnicodeDecodeError", make<UnicodeDecodeError>},
        {"PicklingError", make<PicklingError>},
        {"UnpicklingError", make<UnpicklingError>},
    };
    return table;
}

}  // namespace

std::exception_ptr remote_exception(std::string_view type, std::string_view message,
                                    std::string_view traceback) {
    const auto& table = factories();
    auto it = table.find(type);
    if (it != table.end()) {
        return it->second(std::string(message), std::string(traceback));
    }
    return make<Exception>(std::string(type) + ": " + std::string(message), std::string(traceback));
}

}  // namespace detail

std::string remote_traceback(const std::exception& error) {
    if (const auto* info = dynamic_cast<const detail::RemoteInfo*>(&error)) {
        return info->traceback;
    }
    return "";
}

}  // namespace py::concurrent

namespace py::multiprocessing {

namespace {
std::map<std::string, const Function*, std::less<>>& function_registry() {
    static auto* registry = new std::map<std::string, const Function*, std::less<>>;
    return *registry;
}
}  // namespace

Function::Function(const char* name, Body body) : name_(name), body_(body) {
    function_registry()[name] = this;
}

const Function* Function::find(std::string_view name) {
    const auto& registry = function_registry();
    auto it = registry.find(name);
    return it == registry.end() ? nullptr : it->second;
}

template <>
long long from_object<long long>(Object* value) {
    if (value == nullptr || !Int::check(value)) {
        throw TypeError(std::string("expected int, got ") + (value ? type_name(value) : "nullptr"));
    }
    return static_cast<Int*>(value)->value();
}

template <>
int from_object<int>(Object* value) {
    return static_cast<int>(from_object<long long>(value));
}

template <>
bool from_object<bool>(Object* value) {
    return from_object<long long>(value) != 0;
}

template <>
double from_object<double>(Object* value) {
    if (value != nullptr && value->ob_type == &Float::Type) {
        return static_cast<Float*>(value)->value();
    }
    return static_cast<double>(from_object<long long>(value));
}

template <>
std::string from_object<std::string>(Object* value) {
    if (value == nullptr || value->ob_type != &Str::Type) {
        throw TypeError(std::string("expected str, got ") + (value ? type_name(value) : "nullptr"));
    }
    return std::string(static_cast<Str*>(value)->view());
}

}  // namespace py::multiprocessing
