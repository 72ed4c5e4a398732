// py::asyncio streams over non-blocking sockets (streams.py and selector_events.py, 3.11;
// chapters/11-coroutines/README.md §11).
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "py/asyncio_streams.hpp"
#include "py/kata.hpp"

namespace py::asyncio {

namespace {
constexpr std::size_t high_water =
    std::size_t{64} * 1024;  // the transport's default write high-water mark
constexpr std::size_t read_chunk = std::size_t{256} * 1024;  // selector_events' max_size per recv

std::exception_ptr os_error(int error, const std::string& what) {
    std::string message = "[Errno " + std::to_string(error) + "] " + what;
    if (error == ECONNREFUSED) {
        return std::make_exception_ptr(ConnectionRefusedError(message));
    }
    if (error == ECONNRESET || error == EPIPE) {
        return std::make_exception_ptr(ConnectionResetError(message));
    }
    return std::make_exception_ptr(OSError(message));
}
}  // namespace

struct StreamSocket : std::enable_shared_from_this<StreamSocket> {
    EventLoop* loop = nullptr;
    int fd = -1;
    std::size_t limit = default_stream_limit;
    // Read side.
    std::string buffer;
    bool eof = false;
    std::exception_ptr error;
    std::optional<Future<void>> read_waiter;
    bool reading = false;
    // Write side.
    std::string out;
    bool writing = false;
    bool closing = false;
    bool eof_requested = false;
    bool lost = false;
    std::optional<Future<void>> drain_waiter;
    std::vector<Future<void>> closed_waiters;

    StreamSocket(EventLoop& l, int f, std::size_t lim) : loop(&l), fd(f), limit(lim) {}
    StreamSocket(const StreamSocket&) = delete;
    StreamSocket& operator=(const StreamSocket&) = delete;
    ~StreamSocket() { close_now(); }

    void wake(std::optional<Future<void>>& waiter) {
        if (waiter && !waiter->done()) {
            waiter->set_result();
        }
    }

    void start_reading() {
        if (reading || fd < 0 || eof) {
            return;
        }
        reading = true;
        loop->add_reader(fd, [weak = weak_from_this()] {
            if (auto self = weak.lock()) {
                self->on_readable();
            }
        });
    }
    void pause_reading() {
        if (reading) {
            reading = false;
            loop->remove_reader(fd);
        }
    }
    // The buffer was consumed below the limit: read again (flow control).
    void maybe_resume() {
        if (!reading && !eof && fd >= 0 && buffer.size() <= limit) {
            start_reading();
        }
    }

    void on_readable() {
        // kata: begin step41 §11
        char chunk[16384];
        std::size_t budget = read_chunk;
        while (budget > 0) {
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n > 0) {
                buffer.append(chunk, static_cast<std::size_t>(n));
                budget -= std::min(budget, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                error = os_error(errno, std::strerror(errno));
            }
            eof = true;  // n == 0: the peer closed its side
            pause_reading();
            break;
        }
        if (buffer.size() > 2 * limit) {
            pause_reading();  // the reader is behind: stop taking data from the kernel
        }
        wake(read_waiter);
        // kata: end
    }

    void on_writable() {
        flush();
        if (out.empty()) {
            if (writing) {
                writing = false;
                loop->remove_writer(fd);
            }
            finish_writing();
        }
        if (out.size() <= high_water) {
            wake(drain_waiter);
        }
    }

    // Sends as much of `out` as the kernel takes now.
    void flush() {
        while (!out.empty() && fd >= 0) {
            ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
            if (n > 0) {
                out.erase(0, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            connection_lost(n < 0 ? errno : EPIPE);
            return;
        }
    }

    void connection_lost(int err) {
        lost = true;
        out.clear();
        if (!error) {
            error = os_error(err, std::strerror(err));
        }
        eof = true;
        wake(drain_waiter);
        wake(read_waiter);
        close_now();
    }

    void finish_writing() {
        if (closing) {
            close_now();
        } else if (eof_requested && fd >= 0) {
            ::shutdown(fd, SHUT_WR);
        }
    }

    void close_now() {
        if (fd < 0) {
            return;
        }
        if (loop != nullptr && !loop->is_closed()) {
            loop->remove_reader(fd);
            loop->remove_writer(fd);
        }
        ::close(fd);
        fd = -1;
        reading = false;
        writing = false;
        eof = true;
        if (loop != nullptr && !loop->is_closed()) {
            wake(read_waiter);
            wake(drain_waiter);
            for (auto& waiter : closed_waiters) {
                if (!waiter.done()) {
                    waiter.set_result();
                }
            }
        }
        closed_waiters.clear();
    }
};

namespace {

// Waits until on_readable has added data or seen EOF (StreamReader._wait_for_data).
Coroutine<void> wait_for_data(std::shared_ptr<StreamSocket> socket, const char* function) {
    // kata: begin step41 §11
    if (socket->read_waiter) {
        throw RuntimeError(
            std::string(function) +
            "() called while another coroutine is already waiting for incoming data");
    }
    socket->maybe_resume();
    Future<void> waiter(*socket->loop);
    socket->read_waiter = waiter;
    struct Clear {
        StreamSocket& socket;
        ~Clear() { socket.read_waiter.reset(); }
    } clear{*socket};
    co_await waiter;
    // kata: skeleton co_return;
    // kata: end
}

void raise_if_error(const StreamSocket& socket) {
    if (socket.error && socket.buffer.empty()) {
        std::rethrow_exception(socket.error);
    }
}

std::string take(StreamSocket& socket, std::size_t n) {
    std::string chunk = socket.buffer.substr(0, n);
    socket.buffer.erase(0, n);
    socket.maybe_resume();
    return chunk;
}

}  // namespace

Coroutine<std::string> StreamReader::read(std::ptrdiff_t n) {
    auto socket = socket_;
    raise_if_error(*socket);
    if (n == 0) {
        co_return std::string();
    }
    if (n < 0) {
        while (!socket->eof) {
            co_await wait_for_data(socket, "read");
        }
        raise_if_error(*socket);
        co_return take(*socket, socket->buffer.size());
    }
    if (socket->buffer.empty() && !socket->eof) {
        co_await wait_for_data(socket, "read");
    }
    raise_if_error(*socket);
    co_return take(*socket, std::min(socket->buffer.size(), static_cast<std::size_t>(n)));
}

Coroutine<std::string> StreamReader::readuntil(std::string separator) {
    auto socket = socket_;
    if (separator.empty()) {
        throw ValueError("Separator should be at least one-byte string");
    }
    std::size_t offset = 0;
    for (;;) {
        raise_if_error(*socket);
        std::size_t found = socket->buffer.find(separator, offset);
        if (found != std::string::npos) {
            if (found > socket->limit) {
                throw LimitOverrunError("Separator is found, but chunk is longer than limit",
                                        found);
            }
            co_return take(*socket, found + separator.size());
        }
        if (socket->buffer.size() + 1 >= separator.size()) {
            offset = socket->buffer.size() + 1 - separator.size();
        }
        if (socket->buffer.size() > socket->limit) {
            throw LimitOverrunError("Separator is not found, and chunk exceed the limit",
                                    socket->buffer.size());
        }
        if (socket->eof) {
            std::string partial = take(*socket, socket->buffer.size());
            throw IncompleteReadError(std::move(partial), -1);
        }
        co_await wait_for_data(socket, "readuntil");
    }
}

Coroutine<std::string> StreamReader::readline() {
    std::string line;
    std::exception_ptr overrun;
    try {
        line = co_await readuntil("\n");
    } catch (const IncompleteReadError& e) {
        line = e.partial();
    } catch (const LimitOverrunError& e) {
        // streams.py: drop what overran (up to and including a separator in the buffer).
        std::size_t found = socket_->buffer.find('\n', e.consumed());
        socket_->buffer.erase(0, found == std::string::npos ? socket_->buffer.size() : found + 1);
        overrun = std::make_exception_ptr(ValueError(e.what()));
    }
    if (overrun) {
        std::rethrow_exception(overrun);
    }
    co_return line;
}

Coroutine<std::string> StreamReader::readexactly(std::size_t n) {
    auto socket = socket_;
    raise_if_error(*socket);
    while (socket->buffer.size() < n) {
        if (socket->eof) {
            std::string partial = take(*socket, socket->buffer.size());
            throw IncompleteReadError(std::move(partial), static_cast<std::ptrdiff_t>(n));
        }
        co_await wait_for_data(socket, "readexactly");
        raise_if_error(*socket);
    }
    co_return take(*socket, n);
}

bool StreamReader::at_eof() const {
    return socket_->eof && socket_->buffer.empty();
}

void StreamWriter::write(std::string_view data) {
    StreamSocket& socket = *socket_;
    if (socket.closing || socket.fd < 0 || data.empty()) {
        return;
    }
    // kata: begin step42 §11
    bool was_empty = socket.out.empty();
    socket.out.append(data);
    if (was_empty) {
        socket.flush();  // most writes go straight out
    }
    if (!socket.out.empty() && !socket.writing && socket.fd >= 0) {
        socket.writing = true;
        socket.loop->add_writer(socket.fd, [weak = socket.weak_from_this()] {
            if (auto self = weak.lock()) {
                self->on_writable();
            }
        });
    }
    // kata: end
}

Coroutine<void> StreamWriter::drain() {
    auto socket = socket_;
    // kata: begin step42 §11
    if (socket->lost) {
        throw ConnectionResetError("Connection lost");
    }
    while (socket->out.size() > high_water && !socket->lost) {
        Future<void> waiter(*socket->loop);
        socket->drain_waiter = waiter;
        co_await waiter;
        socket->drain_waiter.reset();
    }
    if (socket->lost) {
        throw ConnectionResetError("Connection lost");
    }
    // kata: skeleton co_return;
    // kata: end
}

void StreamWriter::write_eof() {
    socket_->eof_requested = true;
    if (socket_->out.empty()) {
        socket_->finish_writing();
    }
}

void StreamWriter::close() {
    socket_->closing = true;
    if (socket_->out.empty()) {
        socket_->close_now();
    }
}

bool StreamWriter::is_closing() const {
    return socket_->closing || socket_->fd < 0;
}
std::size_t StreamWriter::buffer_size() const {
    return socket_->out.size();
}
int StreamWriter::fileno() const {
    return socket_->fd;
}

Coroutine<void> StreamWriter::wait_closed() {
    auto socket = socket_;
    if (socket->fd < 0) {
        co_return;
    }
    Future<void> waiter(*socket->loop);
    socket->closed_waiters.push_back(waiter);
    co_await waiter;
}

namespace {

std::shared_ptr<StreamSocket> adopt(EventLoop& loop, int fd, std::size_t limit) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as asyncio does for TCP
    auto socket = std::make_shared<StreamSocket>(loop, fd, limit);
    socket->start_reading();
    return socket;
}

addrinfo* resolve(const std::string& host, int port, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* result = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &result);
    if (rc != 0) {
        throw OSError("[Errno " + std::to_string(rc) + "] " + ::gai_strerror(rc));
    }
    return result;
}

}  // namespace

Coroutine<Connection> open_connection(std::string host, int port, std::size_t limit) {
    EventLoop& loop = get_running_loop();
    addrinfo* addresses = resolve(host, port, false);
    struct Free {
        addrinfo* list;
        ~Free() { ::freeaddrinfo(list); }
    } free_list{addresses};
    int fd = ::socket(addresses->ai_family, addresses->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      addresses->ai_protocol);
    if (fd < 0) {
        throw OSError(std::string("socket: ") + std::strerror(errno));
    }
    struct Guard {
        int fd;
        EventLoop& loop;
        bool keep = false;
        ~Guard() {
            if (!keep) {
                loop.remove_writer(fd);
                ::close(fd);
            }
        }
    } guard{fd, loop};
    const std::string address = "('" + host + "', " + std::to_string(port) + ")";
    if (::connect(fd, addresses->ai_addr, addresses->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            std::rethrow_exception(os_error(errno, "Connect call failed " + address));
        }
        // Connecting in the background: writable means done (selector_events._sock_connect_cb).
        Future<void> connected(loop);
        loop.add_writer(fd, [connected] {
            if (!connected.done()) {
                connected.set_result();
            }
        });
        co_await connected;
        loop.remove_writer(fd);
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            std::rethrow_exception(os_error(error, "Connect call failed " + address));
        }
    }
    guard.keep = true;
    auto socket = adopt(loop, fd, limit);
    co_return Connection{StreamReader(socket), StreamWriter(socket)};
}

struct Server::State : std::enable_shared_from_this<Server::State> {
    EventLoop* loop = nullptr;
    int fd = -1;
    int port = 0;
    std::size_t limit = default_stream_limit;
    ClientConnected callback;
    std::vector<Task<void>> handlers;

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { close(); }

    void close() {
        if (fd >= 0) {
            if (!loop->is_closed()) {
                loop->remove_reader(fd);
            }
            ::close(fd);
            fd = -1;
        }
    }

    void on_acceptable() {
        for (;;) {
            int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (client < 0) {
                return;  // EAGAIN (or an aborted connection): wait for the next readiness
            }
            auto socket = adopt(*loop, client, limit);
            std::erase_if(handlers, [](const Task<void>& t) { return t.done(); });
            handlers.push_back(
                create_task(callback(StreamReader(socket), StreamWriter(socket)), {}, loop));
        }
    }
};

int Server::port() const {
    return state_->port;
}
void Server::close() {
    state_->close();
}
bool Server::is_serving() const {
    return state_->fd >= 0;
}

Coroutine<Server> start_server(ClientConnected callback, std::string host, int port,
                               std::size_t limit) {
    EventLoop& loop = get_running_loop();
    addrinfo* addresses = resolve(host, port, true);
    struct Free {
        addrinfo* list;
        ~Free() { ::freeaddrinfo(list); }
    } free_list{addresses};
    auto state = std::make_shared<Server::State>();
    state->loop = &loop;
    state->limit = limit;
    state->callback = std::move(callback);
    state->fd =
        ::socket(addresses->ai_family, addresses->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 addresses->ai_protocol);
    if (state->fd < 0) {
        throw OSError(std::string("socket: ") + std::strerror(errno));
    }
    int one = 1;
    ::setsockopt(state->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(state->fd, addresses->ai_addr, addresses->ai_addrlen) != 0 ||
        ::listen(state->fd, 100) != 0) {
        std::rethrow_exception(os_error(errno, std::string("could not bind on address ('") + host +
                                                   "', " + std::to_string(port) +
                                                   "): " + std::strerror(errno)));
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(state->fd, reinterpret_cast<sockaddr*>(&bound), &length);
    state->port = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    loop.add_reader(state->fd, [weak = std::weak_ptr<Server::State>(state)] {
        if (auto self = weak.lock()) {
            self->on_acceptable();
        }
    });
    co_await sleep(0);  // as start_server does: the server starts serving on the next iteration
    co_return Server(state);
}

}  // namespace py::asyncio
