// The socket plumbing under Listener and Client (connection.py: SocketListener, SocketClient):
// not a kata, so given. Every descriptor is close-on-exec, so a spawned python3 does not inherit
// it.
#pragma once

#include <string>

#include "py/connection.hpp"

namespace py::multiprocessing::detail {

// socket + bind + listen. A TCP address gets SO_REUSEADDR (as CPython on POSIX) and, for port 0,
// the port the kernel picked written back into `address`.
int listen_on(connection::Address& address, int backlog);
// accept(2), retried on EINTR.
int accept_on(int listening_socket);
// socket + connect to a unix path or (host, port).
int connect_to(const connection::Address& address);
// A path for a new unix socket in the temporary directory ("/tmp/listener-1a2b3c4d"),
// like connection.arbitrary_address('AF_UNIX').
std::string arbitrary_unix_address();

}  // namespace py::multiprocessing::detail
