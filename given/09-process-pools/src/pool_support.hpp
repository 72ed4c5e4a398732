// Plumbing for the process pool (given, not a kata): length-prefixed frames on a socket, and
// exceptions rebuilt in the parent from what a worker sent back.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace py::concurrent::detail {

// One message: a 4-byte big-endian length, then the bytes (multiprocessing.connection's
// send_bytes framing). send_frame returns false when the peer is gone (no SIGPIPE: sockets are
// written with MSG_NOSIGNAL); recv_frame returns nullopt at EOF or on a short read.
bool send_frame(int fd, std::string_view payload);
std::optional<std::string> recv_frame(int fd);

// A connected pair of AF_UNIX stream sockets, close-on-exec.
void socket_pair(int fds[2]);

// Appends / reads little-endian integers and length-prefixed strings in a message.
void put_u64(std::string& out, std::uint64_t value);
void put_string(std::string& out, std::string_view text);
class Reader {
  public:
    explicit Reader(std::string_view data) : data_(data) {}
    std::uint64_t u64();
    std::uint8_t u8();
    std::string_view string();
    std::string_view rest();

  private:
    std::string_view take(std::size_t n);
    std::string_view data_;
    std::size_t pos_ = 0;
};

// The exception a worker raised, rebuilt as the same py:: type (by Python name; unknown names
// become py::Exception) carrying the worker's traceback text for remote_traceback().
std::exception_ptr remote_exception(std::string_view type, std::string_view message,
                                    std::string_view traceback);

}  // namespace py::concurrent::detail
