// multiprocessing.connection: Connection, Pipe, Listener, Client and the authentication handshake.
//
// A Connection is a file descriptor that carries whole messages. Each message goes on the wire as
// CPython's multiprocessing does it (Lib/multiprocessing/connection.py, 3.11 and 3.12 alike):
//
//     length < 2**31:   4-byte big-endian signed length, then the bytes
//     otherwise:        -1 as that 4-byte length, then an 8-byte big-endian length, then the bytes
//
// so a Python process on the other end of a pipe or socket reads our messages and we read its.
// Messages are bytes; a std::string holds them (it may contain any byte, including '\0').
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::connection {

class Connection {
  public:
    // Connection(handle, readable=True, writable=True) takes ownership of the descriptor.
    // ValueError("invalid handle") for a negative one, and
    // ValueError("at least one of `readable` and `writable` must be True").
    explicit Connection(int handle, bool readable = true, bool writable = true);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    ~Connection();

    [[nodiscard]] bool closed() const noexcept { return handle_ < 0; }
    [[nodiscard]] bool readable() const noexcept { return readable_; }
    [[nodiscard]] bool writable() const noexcept { return writable_; }
    // The descriptor; OSError("handle is closed") after close().
    [[nodiscard]] int fileno() const;
    // Closes the descriptor (again is harmless).
    void close() noexcept;

    // send_bytes(buf, offset=0, size=None): one message of buf[offset:offset+size].
    void send_bytes(std::string_view buf, std::int64_t offset = 0,
                    std::optional<std::int64_t> size = std::nullopt);
    // recv_bytes(maxlength=None): the next whole message. EOFError when the peer closed between
    // messages, OSError("got end of file during message") when it closed inside one; a message
    // longer than maxlength closes the connection and raises OSError("bad message length").
    std::string recv_bytes(std::optional<std::int64_t> maxlength = std::nullopt);
    // recv_bytes_into(buffer): the next message replaces buffer's contents, reusing its memory
    // (a loop of large messages then allocates once); returns the message's length. CPython's
    // takes a fixed buffer and raises BufferTooShort; a std::string grows instead.
    std::size_t recv_bytes_into(std::string& buffer);
    // recv_bytes_into(buf, offset=0), CPython's own: the next message into the fixed `buffer` at
    // byte `offset`; returns its length. ValueError("negative offset"), ValueError("offset too
    // large") (offset > len(buffer)), and BufferTooShort when it does not fit: the message is
    // consumed and what() holds its bytes (Python's e.args[0]).
    std::size_t recv_bytes_into(std::span<std::byte> buffer, std::int64_t offset = 0);
    // Several messages in as few writes as possible; the peer reads them one by one as usual.
    // (Ours: the Queue's feeder thread writes what it has buffered this way.)
    void send_many(const std::vector<std::string>& messages);
    // send(obj): one message holding pickle.dumps(obj) (protocol 4, CPython's default), so a
    // Python peer's recv() gets an equal object. recv(): pickle.loads of the next message.
    void send(Object* obj);
    template <class T>
    void send(const Ref<T>& obj) {
        send(static_cast<Object*>(obj.get()));
    }
    Ref<Object> recv();
    // poll(timeout=0.0): true when there is something to read (a message or an EOF). nullopt waits
    // as long as it takes; a negative timeout does not wait.
    bool poll(std::optional<double> timeout = 0.0);

  private:
    void check_closed() const;
    void check_readable() const;
    void check_writable() const;
    // The kata: the frame on the wire.
    void send_all(std::string_view data);  // Connection._send
    // Connection._recv: exactly `size` bytes into out[offset:], growing out only as bytes arrive.
    void recv_exact(std::string& out, std::size_t offset, std::uint64_t size);
    void send_frame(std::string_view payload);  // Connection._send_bytes
    // Connection._recv_bytes: the next message into `out`; false if it is longer than maxsize.
    bool recv_frame(std::string& out, std::optional<std::uint64_t> maxsize);

    int handle_ = -1;
    bool readable_ = true;
    bool writable_ = true;
};

// The header that precedes an n-byte message: 4 bytes, or 12 for n > 0x7fffffff.
std::string frame_header(std::uint64_t n);

// Pipe(duplex=True): two connected Connections. Duplex is a socketpair(2) with both ends readable
// and writable; otherwise a pipe(2), the first end only reads and the second only writes.
std::pair<Connection, Connection> Pipe(bool duplex = true);

// An address: a filesystem path for AF_UNIX, or (host, port) for AF_INET.
using TcpAddress = std::pair<std::string, int>;
using Address = std::variant<std::string, TcpAddress>;

// The handshake (connection.py: deliver_challenge, answer_challenge). The server delivers a
// challenge and checks the client's HMAC of it, then the client does the same to the server.
// digest_name "sha256" is CPython 3.12's "{sha256}" form; "" sends the 3.11 form (20 random bytes,
// answered with a raw HMAC-MD5). Both sides accept both forms.
void deliver_challenge(Connection& connection, std::string_view authkey,
                       std::string_view digest_name = "sha256");
void answer_challenge(Connection& connection, std::string_view authkey);

// Listener(address=None, family=None, backlog=1, authkey=None). No address: a fresh AF_UNIX path
// in the temporary directory. TcpAddress with port 0 binds a free port; address() says which.
class Listener {
  public:
    explicit Listener(std::optional<Address> address = std::nullopt, int backlog = 1,
                      std::optional<std::string> authkey = std::nullopt);
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();

    // The next client, after the handshake both ways when there is an authkey (the server's
    // challenge first). AuthenticationError if the client fails it; OSError("listener is closed").
    Connection accept();
    // Stops listening and removes a unix socket's file.
    void close() noexcept;
    [[nodiscard]] const Address& address() const noexcept { return address_; }
    // The listening socket (CPython: listener._listener._socket), e.g. to shutdown(2) it from
    // another thread, which wakes a blocked accept().
    [[nodiscard]] int fileno() const noexcept { return socket_; }

  private:
    int socket_ = -1;
    Address address_;
    std::optional<std::string> authkey_;
};

// Client(address, family=None, authkey=None): connects and, with an authkey, answers the
// server's challenge and then delivers its own.
Connection Client(const Address& address, std::optional<std::string> authkey = std::nullopt);

// What wait() watches: a Connection, a Listener (its listening socket, which is readable when a
// client waits to be accepted; CPython passes `listener._listener._socket`) or a descriptor.
using Waitable = std::variant<Connection*, Listener*, int>;

// wait(object_list, timeout=None), 3.11 on Unix: the objects of object_list that are ready to
// read (a message, an end of file, a client to accept), in object_list's order. An empty list when
// `timeout` seconds pass first; nullopt waits as long as it takes. selectors' errors, raised before
// anything is watched:
//   a closed Connection           OSError("handle is closed")
//   a negative descriptor         ValueError("Invalid file descriptor: -1") (a closed Listener)
//   one descriptor twice          KeyError("'3 (FD 3) is already registered'")
std::vector<Waitable> wait(const std::vector<Waitable>& object_list,
                           std::optional<double> timeout = std::nullopt);

}  // namespace py::multiprocessing::connection

namespace py::multiprocessing {
using connection::Pipe;
}  // namespace py::multiprocessing
