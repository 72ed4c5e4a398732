#include "sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "hmac.hpp"
#include "os_error.hpp"
#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {
namespace {

// A unix address and its length. The length counts the path's bytes only (CPython's
// getsockaddrarg does the same): an abstract address ("\0name", Linux) is then exactly its name,
// not its name padded with NULs to sizeof(sun_path), so a python3 process finds the same socket.
struct UnixAddress {
    sockaddr_un address{};
    socklen_t length = 0;
};

UnixAddress unix_address(const std::string& path) {
    UnixAddress out;
    out.address.sun_family = AF_UNIX;
    if (path.size() >= sizeof out.address.sun_path) {
        throw OSError("AF_UNIX path too long");
    }
    std::memcpy(out.address.sun_path, path.data(), path.size());
    out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    return out;
}

sockaddr_in inet_address(const connection::TcpAddress& tcp) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(tcp.second));
    const std::string host = tcp.first == "localhost" ? "127.0.0.1" : tcp.first;
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        throw OSError("[Errno -2] Name or service not known");  // socket.gaierror's text
    }
    return address;
}

// Closes `fd` and raises the OSError for the errno saved before the close (without a file name:
// Python's socket errors have none, e.g. "[Errno 98] Address already in use").
[[noreturn]] void fail(int fd) {
    const int saved = errno;
    ::close(fd);
    raise_os_error(saved);
}

}  // namespace

int listen_on(connection::Address& address, int backlog) {
    if (auto* path = std::get_if<std::string>(&address)) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            raise_os_error(errno);
        }
        const UnixAddress where = unix_address(*path);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&where.address), where.length) != 0 ||
            ::listen(fd, backlog) != 0) {
            fail(fd);
        }
        return fd;
    }
    auto& tcp = std::get<connection::TcpAddress>(address);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        raise_os_error(errno);
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in where = inet_address(tcp);
    socklen_t length = sizeof where;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0 ||
        ::listen(fd, backlog) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&where), &length) != 0) {
        fail(fd);
    }
    tcp.second = ntohs(where.sin_port);
    return fd;
}

int accept_on(int listening_socket) {
    for (;;) {
        const int fd = ::accept4(listening_socket, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        if (errno != EINTR) {
            raise_os_error(errno);
        }
    }
}

int connect_to(const connection::Address& address) {
    const bool is_unix = std::holds_alternative<std::string>(address);
    const int fd = ::socket(is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        raise_os_error(errno);
    }
    int result = 0;
    if (is_unix) {
        const UnixAddress where = unix_address(std::get<std::string>(address));
        result = ::connect(fd, reinterpret_cast<const sockaddr*>(&where.address), where.length);
    } else {
        const sockaddr_in where = inet_address(std::get<connection::TcpAddress>(address));
        result = ::connect(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where);
    }
    if (result != 0) {
        fail(fd);
    }
    return fd;
}

std::string arbitrary_unix_address() {
    static const char hex[] = "0123456789abcdef";
    std::string name = "listener-";
    for (const char byte : urandom(4)) {
        const auto value = static_cast<unsigned char>(byte);
        name += hex[value >> 4];
        name += hex[value & 0xf];
    }
    const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
    return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + name;
}

}  // namespace py::multiprocessing::detail
