// §4 Listener and Client (connection.py): a socket server and client whose first exchange, when
// there is an authkey, is the handshake both ways; nothing else is read or sent before it passes.
#include <unistd.h>

#include <utility>

#include "py/connection.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "sockets.hpp"

namespace py::multiprocessing::connection {

Listener::Listener(std::optional<Address> address, int backlog, std::optional<std::string> authkey)
    : address_(address ? std::move(*address) : Address(detail::arbitrary_unix_address())),
      authkey_(std::move(authkey)) {
    socket_ = detail::listen_on(address_, backlog);
}

Listener::~Listener() {
    close();
}

void Listener::close() noexcept {
    if (socket_ >= 0) {
        ::close(socket_);
        socket_ = -1;
        // SocketListener unlinks its unix socket file when it closes (util.Finalize(os.unlink));
        // an abstract address ("\0name") has no file.
        if (const auto* path = std::get_if<std::string>(&address_);
            path != nullptr && !path->empty() && path->front() != '\0') {
            ::unlink(path->c_str());
        }
    }
}

Connection Listener::accept() {
    if (socket_ < 0) {
        throw OSError("listener is closed");
    }
    Connection connection(detail::accept_on(socket_));
    PY_KATA_TODO("§4");
}

Connection Client(const Address& address, std::optional<std::string> authkey) {
    Connection connection(detail::connect_to(address));
    PY_KATA_TODO("§4");
}

}  // namespace py::multiprocessing::connection
