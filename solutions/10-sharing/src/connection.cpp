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
    // kata: begin step09 §2
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
    // kata: begin step10 §2
    while (!data.empty()) {
        // send(MSG_NOSIGNAL) on a socket: a vanished peer is EPIPE, not a SIGPIPE that kills us.
        ssize_t sent = ::send(handle_, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == ENOTSOCK) {
            sent = write_to_pipe(handle_, data.data(), data.size());  // no SIGPIPE either
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
    // kata: begin step10 §2
    std::string header = frame_header(payload.size());
    if (payload.size() > kSmallMessage) {
        // CPython writes header and payload with two calls; one writev(2) of both pieces sends
        // the same bytes without copying the payload and saves a system call (and a wake-up of
        // the reader for 4 bytes).
        iovec pieces[2] = {{header.data(), header.size()},
                           {const_cast<char*>(payload.data()), payload.size()}};
        iovec* next = pieces;
        int count = 2;
        while (count > 0) {
            // sendmsg(MSG_NOSIGNAL) on a socket, like send_all; writev on a pipe.
            msghdr message{};
            message.msg_iov = next;
            message.msg_iovlen = static_cast<std::size_t>(count);
            ssize_t sent = ::sendmsg(handle_, &message, MSG_NOSIGNAL);
            if (sent < 0 && errno == ENOTSOCK) {
                sent = writev_to_pipe(handle_, next, count);
            }
            if (sent < 0) {
                if (errno == EINTR) {
                    continue;
                }
                detail::raise_os_error(errno);
            }
            auto done = static_cast<std::size_t>(sent);
            while (count > 0 && done >= next->iov_len) {
                done -= next->iov_len;
                ++next;
                --count;
            }
            if (count > 0) {
                next->iov_base = static_cast<char*>(next->iov_base) + done;
                next->iov_len -= done;
            }
        }
    } else {
        header.append(payload);
        send_all(header);
    }
    // kata: end
}

void Connection::recv_exact(std::string& out, std::size_t offset, std::uint64_t size) {
    // kata: begin step11 step12 §2
    // Reads into the room out already has; grows it at most kReadChunk ahead of what arrived, so
    // a header alone (which anyone may send) cannot make us allocate 2 GiB.
    std::uint64_t filled = 0;
    while (filled < size) {
        const std::size_t at = offset + static_cast<std::size_t>(filled);
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(
            size - filled, std::max(out.size() - std::min(out.size(), at), kReadChunk)));
        if (out.size() < at + want) {
            out.resize(at + want);
        }
        const ssize_t got = ::read(handle_, out.data() + at, want);
        if (got < 0) {
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
        filled += static_cast<std::uint64_t>(got);
    }
    out.resize(offset + static_cast<std::size_t>(size));
    // kata: end
}

bool Connection::recv_frame(std::string& out, std::optional<std::uint64_t> maxsize) {
    // kata: begin step11 §2
    std::string header;
    recv_exact(header, 0, 4);
    std::uint64_t size = get_big_endian(header);
    if (size == 0xffffffffU) {  // -1: an 8-byte length follows
        recv_exact(header, 0, 8);
        size = get_big_endian(header);
    } else if (size > kMaxShortLength) {
        return false;  // another negative length: no such frame
    }
    if (maxsize && size > *maxsize) {
        return false;
    }
    recv_exact(out, 0, size);
    return true;
    // kata: skeleton return false;
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
    // kata: begin step13 §2
    if (maxlength && *maxlength < 0) {
        throw ValueError("negative maxlength");
    }
    std::string message;
    if (!recv_frame(message, maxlength ? std::optional<std::uint64_t>(*maxlength) : std::nullopt)) {
        // The rest of the oversized message is still in the stream: the connection is unusable.
        close();
        throw OSError("bad message length");
    }
    return message;
    // kata: skeleton return {};
    // kata: end
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
    // kata: begin step17 §3
    send_frame(pickle::dumps(obj));
    // kata: end
}

Ref<Object> Connection::recv() {
    check_closed();
    check_readable();
    // kata: begin step17 §3
    return pickle::loads(recv_bytes());
    // kata: end
}

bool Connection::poll(std::optional<double> timeout) {
    check_closed();
    check_readable();
    // kata: begin step15 §3
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
    // kata: begin step14 §3
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
