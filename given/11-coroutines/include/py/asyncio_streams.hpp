// py::asyncio streams: open_connection, start_server, StreamReader, StreamWriter
// (CPython 3.11: Lib/asyncio/streams.py over selector_events.py's socket transport).
//
//     auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
//     writer.write("GET / HTTP/1.0\r\n\r\n");
//     co_await writer.drain();
//     std::string line = co_await reader.readline();
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "py/asyncio.hpp"

namespace py::asyncio {

// asyncio.IncompleteReadError: "N bytes read on a total of M expected bytes".
class IncompleteReadError : public EOFError {
  public:
    IncompleteReadError(std::string partial, std::ptrdiff_t expected)
        : EOFError(std::to_string(partial.size()) + " bytes read on a total of " +
                   (expected < 0 ? std::string("undefined") : std::to_string(expected)) +
                   " expected bytes"),
          partial_(std::move(partial)),
          expected_(expected) {}
    [[nodiscard]] const char* python_name() const noexcept override {
        return "IncompleteReadError";
    }
    [[nodiscard]] const std::string& partial() const noexcept { return partial_; }
    [[nodiscard]] std::ptrdiff_t expected() const noexcept { return expected_; }

  private:
    std::string partial_;
    std::ptrdiff_t expected_;
};

// asyncio.LimitOverrunError: the separator was not found within the buffer limit.
class LimitOverrunError : public Exception {
  public:
    LimitOverrunError(const std::string& message, std::size_t consumed)
        : Exception(message), consumed_(consumed) {}
    [[nodiscard]] const char* python_name() const noexcept override { return "LimitOverrunError"; }
    [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }

  private:
    std::size_t consumed_;
};

// One connected, non-blocking socket and its buffers, shared by a reader and a writer.
struct StreamSocket;

constexpr std::size_t default_stream_limit = 64 * 1024;  // streams._DEFAULT_LIMIT

class StreamReader {
  public:
    StreamReader() = default;
    explicit StreamReader(std::shared_ptr<StreamSocket> socket) : socket_(std::move(socket)) {}
    // read(n): up to n bytes (at least one unless at EOF); read(-1): everything until EOF.
    Coroutine<std::string> read(std::ptrdiff_t n = -1);
    // Up to and including "\n"; what is left at EOF; ValueError beyond the limit.
    Coroutine<std::string> readline();
    // Exactly n bytes, or IncompleteReadError at EOF.
    Coroutine<std::string> readexactly(std::size_t n);
    // Up to and including `separator`; IncompleteReadError at EOF, LimitOverrunError past limit.
    Coroutine<std::string> readuntil(std::string separator = "\n");
    [[nodiscard]] bool at_eof() const;
    [[nodiscard]] const std::shared_ptr<StreamSocket>& socket() const { return socket_; }

  private:
    std::shared_ptr<StreamSocket> socket_;
};

class StreamWriter {
  public:
    StreamWriter() = default;
    explicit StreamWriter(std::shared_ptr<StreamSocket> socket) : socket_(std::move(socket)) {}
    // Sends what the socket takes now and buffers the rest (never blocks).
    void write(std::string_view data);
    // Waits while more than the high-water mark (64 KiB) is buffered; ConnectionResetError
    // ("Connection lost") once the peer is gone.
    Coroutine<void> drain();
    // Half-close: shutdown(SHUT_WR) once the buffer is flushed.
    void write_eof();
    void close();
    [[nodiscard]] bool is_closing() const;
    Coroutine<void> wait_closed();
    [[nodiscard]] std::size_t buffer_size() const;
    // The socket's fd, -1 once closed (get_extra_info('socket').fileno()).
    [[nodiscard]] int fileno() const;
    [[nodiscard]] const std::shared_ptr<StreamSocket>& socket() const { return socket_; }

  private:
    std::shared_ptr<StreamSocket> socket_;
};

struct Connection {
    StreamReader reader;
    StreamWriter writer;
};

// asyncio.open_connection(host, port). Host names are resolved with getaddrinfo; a refused
// connection is ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 1)").
Coroutine<Connection> open_connection(std::string host, int port,
                                      std::size_t limit = default_stream_limit);

class Server {
  public:
    struct State;
    explicit Server(std::shared_ptr<State> state) : state_(std::move(state)) {}
    // The port it listens on (the one the kernel chose for port 0).
    [[nodiscard]] int port() const;
    void close();
    [[nodiscard]] bool is_serving() const;

  private:
    std::shared_ptr<State> state_;
};

using ClientConnected = std::function<Coroutine<void>(StreamReader, StreamWriter)>;

// asyncio.start_server(cb, host, port): each accepted connection runs cb in a task of its own.
Coroutine<Server> start_server(ClientConnected callback, std::string host, int port,
                               std::size_t limit = default_stream_limit);

}  // namespace py::asyncio
