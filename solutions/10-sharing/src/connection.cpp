// §2 the wire format and §3 Pipe: Connection over a descriptor, as
// Lib/multiprocessing/connection.py.
#include "py/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <utility>

#include "os_error.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/pickle.hpp"

namespace py::multiprocessing::connection {
namespace {

// connection.py sends the header and a small message in one write, a large one in two, so a big
// buffer is never copied just to glue 4 bytes in front of it.
constexpr std::size_t kSmallMessage = 16384;
constexpr std::uint64_t kMaxShortLength = 0x7fffffff;
// recv_exact grows its buffer by at most this much before the bytes are there.
constexpr std::size_t kReadChunk = std::size_t{1} << 20;

[[maybe_unused]] void put_big_endian(std::string& out, std::uint64_t value, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
        out += static_cast<char>((value >> shift) & 0xff);
    }
}

[[maybe_unused]] std::uint64_t get_big_endian(std::string_view in) {
    std::uint64_t value = 0;
    for (const char byte : in) {
        value = (value << 8) | static_cast<unsigned char>(byte);
    }
    return value;
}

}  // namespace

Connection::Connection(int handle, bool readable, bool writable)
    : handle_(handle), readable_(readable), writable_(writable) {
    if (handle < 0) {
        throw ValueError("invalid handle");
    }
    if (!readable && !writable) {
        handle_ = -1;
        throw ValueError("at least one of `readable` and `writable` must be True");
    }
}

Connection::Connection(Connection&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)),
      readable_(other.readable_),
      writable_(other.writable_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        handle_ = std::exchange(other.handle_, -1);
        readable_ = other.readable_;
        writable_ = other.writable_;
    }
    return *this;
}

Connection::~Connection() {
    close();
}

void Connection::check_closed() const {
    if (handle_ < 0) {
        throw OSError("handle is closed");
    }
}

void Connection::check_readable() const {
    if (!readable_) {
        throw OSError("connection is write-only");
    }
}

void Connection::check_writable() const {
    if (!writable_) {
        throw OSError("connection is read-only");
    }
}

int Connection::fileno() const {
    check_closed();
    return handle_;
}

void Connection::close() noexcept {
    if (handle_ >= 0) {
        ::close(handle_);
        handle_ = -1;
    }
}

std::string frame_header(std::uint64_t n) {
    // kata: begin step06 §2
    std::string header;
    if (n > kMaxShortLength) {
        put_big_endian(header, 0xffffffffU, 4);  // struct.pack("!i", -1)
        put_big_endian(header, n, 8);            // struct.pack("!Q", n)
    } else {
        put_big_endian(header, n, 4);  // struct.pack("!i", n)
    }
    return header;
    // kata: skeleton return {};
    // kata: end
}

void Connection::send_all(std::string_view data) {
    // kata: begin step07 §2
    while (!data.empty()) {
        // send(MSG_NOSIGNAL) on a socket: a vanished peer is EPIPE, not a SIGPIPE that kills us.
        ssize_t sent = ::send(handle_, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == ENOTSOCK) {
            sent = ::write(handle_, data.data(), data.size());
        }
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            detail::raise_os_error(errno);
        }
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
    // kata: end
}

void Connection::send_frame(std::string_view payload) {
    // kata: begin step07 §2
    std::string header = frame_header(payload.size());
    if (payload.size() > kSmallMessage) {
        send_all(header);
        send_all(payload);
    } else {
        header.append(payload);
        send_all(header);
    }
    // kata: end
}

std::string Connection::recv_exact(std::uint64_t size) {
    // kata: begin step08 step09 §2
    // Grow with what arrives, at most kReadChunk ahead: a header alone (which anyone may send)
    // must not make us allocate 2 GiB.
    std::string out;
    while (out.size() < size) {
        const std::size_t filled = out.size();
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(size - filled, kReadChunk));
        out.resize(filled + want);
        const ssize_t got = ::read(handle_, out.data() + filled, want);
        if (got < 0) {
            out.resize(filled);
            if (errno == EINTR) {
                continue;
            }
            detail::raise_os_error(errno);
        }
        if (got == 0) {
            // Nothing of this piece arrived: a clean end between messages (or before a header's
            // first byte). Anything else is a message cut short.
            if (filled == 0) {
                throw EOFError("");
            }
            throw OSError("got end of file during message");
        }
        out.resize(filled + static_cast<std::size_t>(got));
    }
    return out;
    // kata: skeleton return {};
    // kata: end
}

std::optional<std::string> Connection::recv_frame(std::optional<std::uint64_t> maxsize) {
    // kata: begin step08 §2
    std::uint64_t size = get_big_endian(recv_exact(4));
    if (size == 0xffffffffU) {  // -1: an 8-byte length follows
        size = get_big_endian(recv_exact(8));
    } else if (size > kMaxShortLength) {
        return std::nullopt;  // another negative length: no such frame
    }
    if (maxsize && size > *maxsize) {
        return std::nullopt;
    }
    return recv_exact(size);
    // kata: skeleton return std::nullopt;
    // kata: end
}

void Connection::send_bytes(std::string_view buf, std::int64_t offset,
                            std::optional<std::int64_t> size) {
    check_closed();
    check_writable();
    const auto n = static_cast<std::int64_t>(buf.size());
    if (offset < 0) {
        throw ValueError("offset is negative");
    }
    if (n < offset) {
        throw ValueError("buffer length < offset");
    }
    const std::int64_t count = size ? *size : n - offset;
    if (count < 0) {
        throw ValueError("size is negative");
    }
    if (offset + count > n) {
        throw ValueError("buffer length < offset + size");
    }
    send_frame(buf.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(count)));
}

std::string Connection::recv_bytes(std::optional<std::int64_t> maxlength) {
    check_closed();
    check_readable();
    // kata: begin step10 §2
    if (maxlength && *maxlength < 0) {
        throw ValueError("negative maxlength");
    }
    std::optional<std::string> message =
        recv_frame(maxlength ? std::optional<std::uint64_t>(*maxlength) : std::nullopt);
    if (!message) {
        // The rest of the oversized message is still in the stream: the connection is unusable.
        close();
        throw OSError("bad message length");
    }
    return std::move(*message);
    // kata: skeleton return {};
    // kata: end
}

void Connection::send(Object* obj) {
    check_closed();
    check_writable();
    // kata: begin step26 §3
    send_frame(pickle::dumps(obj));
    // kata: end
}

Ref<Object> Connection::recv() {
    check_closed();
    check_readable();
    // kata: begin step26 §3
    return pickle::loads(recv_bytes());
    // kata: end
}

bool Connection::poll(std::optional<double> timeout) {
    check_closed();
    check_readable();
    // kata: begin step12 §3
    // connection.wait() polls with the remaining time until the deadline, since a signal may cut
    // a poll(2) short.
    using Clock = std::chrono::steady_clock;
    const double seconds = timeout ? std::max(*timeout, 0.0) : 0.0;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(seconds));
    pollfd entry{handle_, POLLIN, 0};
    for (;;) {
        int wait_ms = -1;
        if (timeout) {
            const auto left = std::chrono::duration<double, std::milli>(deadline - Clock::now());
            wait_ms = left.count() <= 0 ? 0 : static_cast<int>(std::ceil(left.count()));
        }
        const int ready = ::poll(&entry, 1, wait_ms);
        if (ready > 0) {
            return true;
        }
        if (ready < 0 && errno != EINTR) {
            detail::raise_os_error(errno);
        }
        if (ready == 0 && timeout && Clock::now() >= deadline) {
            return false;
        }
    }
    // kata: skeleton return false;
    // kata: end
}

std::pair<Connection, Connection> Pipe(bool duplex) {
    // kata: begin step11 §3
    int fds[2];
    if (duplex) {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
            detail::raise_os_error(errno);
        }
        return {Connection(fds[0]), Connection(fds[1])};
    }
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        detail::raise_os_error(errno);
    }
    return {Connection(fds[0], true, false), Connection(fds[1], false, true)};
    // kata: end
}

}  // namespace py::multiprocessing::connection
