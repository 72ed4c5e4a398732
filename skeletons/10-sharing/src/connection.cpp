// §2 the wire format and §3 Pipe: Connection over a descriptor, as
// Lib/multiprocessing/connection.py.
#include "py/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
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

// A pipe has no MSG_NOSIGNAL: writing to one whose readers are all gone raises SIGPIPE, which
// kills a C++ process, where Python (which ignores SIGPIPE at startup) gets BrokenPipeError. So a
// pipe write runs with SIGPIPE blocked in this thread, and a SIGPIPE it caused is taken back out
// of the pending set before unblocking; the write itself then fails with EPIPE.
class SigpipeBlocked {
  public:
    SigpipeBlocked() noexcept {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;
    ~SigpipeBlocked() {
        const int saved_errno = errno;  // the caller still has to read the write's errno
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            const timespec no_wait{0, 0};
            while (sigtimedwait(&sigpipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
        errno = saved_errno;
    }

  private:
    sigset_t sigpipe_{};
    sigset_t previous_{};
    bool was_pending_ = false;
};

[[maybe_unused]] ssize_t write_to_pipe(int fd, const void* data, std::size_t size) {
    const SigpipeBlocked blocked;
    return ::write(fd, data, size);
}

[[maybe_unused]] ssize_t writev_to_pipe(int fd, const iovec* pieces, int count) {
    const SigpipeBlocked blocked;
    return ::writev(fd, pieces, count);
}

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
    PY_KATA_TODO("§2");
    return {};
}

void Connection::send_all(std::string_view data) {
    PY_KATA_TODO("§2");
}

void Connection::send_frame(std::string_view payload) {
    PY_KATA_TODO("§2");
}

void Connection::recv_exact(std::string& out, std::size_t offset, std::uint64_t size) {
    PY_KATA_TODO("§2");
}

bool Connection::recv_frame(std::string& out, std::optional<std::uint64_t> maxsize) {
    PY_KATA_TODO("§2");
    return false;
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
    PY_KATA_TODO("§2");
    return {};
}

std::size_t Connection::recv_bytes_into(std::string& buffer) {
    check_closed();
    check_readable();
    recv_frame(buffer, std::nullopt);
    return buffer.size();
}

std::size_t Connection::recv_bytes_into(std::span<std::byte> buffer, std::int64_t offset) {
    check_closed();
    check_readable();
    if (offset < 0) {
        throw ValueError("negative offset");
    }
    if (static_cast<std::uint64_t>(offset) > buffer.size()) {
        throw ValueError("offset too large");
    }
    std::string message;
    recv_frame(message, std::nullopt);
    const auto at = static_cast<std::size_t>(offset);
    if (buffer.size() - at < message.size()) {
        throw BufferTooShort(message);
    }
    std::memcpy(buffer.data() + at, message.data(), message.size());
    return message.size();
}

void Connection::send_many(const std::vector<std::string>& messages) {
    check_closed();
    check_writable();
    // Frames glued into writes of about kSmallMessage * 16 bytes; a big message goes on its own.
    std::string batch;
    for (const std::string& message : messages) {
        if (message.size() > kSmallMessage) {
            send_all(batch);
            batch.clear();
            send_frame(message);
            continue;
        }
        batch += frame_header(message.size());
        batch += message;
        if (batch.size() >= kSmallMessage * 16) {
            send_all(batch);
            batch.clear();
        }
    }
    send_all(batch);
}

void Connection::send(Object* obj) {
    check_closed();
    check_writable();
    PY_KATA_TODO("§3");
}

Ref<Object> Connection::recv() {
    check_closed();
    check_readable();
    PY_KATA_TODO("§3");
}

bool Connection::poll(std::optional<double> timeout) {
    check_closed();
    check_readable();
    PY_KATA_TODO("§3");
    return false;
}

std::pair<Connection, Connection> Pipe(bool duplex) {
    PY_KATA_TODO("§3");
}

}  // namespace py::multiprocessing::connection
