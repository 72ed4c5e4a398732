// libFuzzer target for chapter 10: the Connection frame reader and the handshake, fed bytes
// nobody vetted (what a hostile or broken peer sends before and after authentication).
//
// The first input byte picks the consumer:
//   0: recv_bytes() over and over, with a maxlength from the second byte (or none), until EOF;
//   1: answer_challenge(): the input is the server's side of the stream (a challenge frame, then
//      a verdict frame); our answer goes into the other end, which nobody reads (buffers suffice);
//   2: deliver_challenge(): the input is the client's reply;
//   3: what the manager's server does with a request's bytes: pickle::loads with the manager's
//      find_class (slices, proxies' RebuildProxy and Token; proxy_pickle.hpp), whose errors
//      (chapter 09's unpickler's, fuzzed there, and the TypeErrors of a bad call) are expected.
// Every outcome must be one of the documented Python errors; anything else (a crash, a hang, an
// unexpected exception type, a read past the input) is a finding.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "object_leaks.hpp"
#include "proxy_pickle.hpp"
#include "py/connection.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/pickle.hpp"

using py::multiprocessing::connection::Connection;

namespace {

constexpr std::size_t kMaxInput = 60000;  // fits in a socketpair's buffer: no writer thread needed

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2 || size > kMaxInput) {
        return 0;
    }
    const int mode = data[0] % 4;
    const std::uint8_t limit = data[1];
    const std::string wire(reinterpret_cast<const char*>(data + 2), size - 2);
    if (mode == 3) {
        static const auto find_class = py::multiprocessing::detail::manager_find_class(
            [](const py::multiprocessing::managers::Token&) {});
        // Made after find_class, whose first use may build the objects it keeps.
        const py::Ref<py::List> marker = py::List::create();
        try {
            (void)py::pickle::loads(wire, find_class);
        } catch (const py::BaseException&) {  // the unpickler's documented errors
        }
        // A list that contains itself (`]q\0h\0a` then a truncated rest) is garbage that
        // CPython's gc would free; anything else left alive is a leak.
        fuzz::abort_on_objects_newer_than(marker.get());
        return 0;
    }

    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        std::abort();
    }
    // The peer's bytes, then its end of the stream.
    if (!wire.empty() &&
        ::write(fds[1], wire.data(), wire.size()) != static_cast<ssize_t>(wire.size())) {
        std::abort();
    }
    ::shutdown(fds[1], SHUT_WR);
    Connection ours(fds[0]);
    try {
        if (mode == 0) {
            for (;;) {
                if (limit == 0) {
                    (void)ours.recv_bytes();
                } else {
                    (void)ours.recv_bytes(limit);
                }
            }
        } else if (mode == 1) {
            py::multiprocessing::connection::answer_challenge(ours, "fuzz key");
        } else {
            py::multiprocessing::connection::deliver_challenge(ours, "fuzz key",
                                                               limit % 2 == 0 ? "sha256" : "");
        }
    } catch (const py::EOFError&) {
    } catch (const py::AuthenticationError&) {
    } catch (const py::OSError&) {  // "got end of file during message", "bad message length"
    }
    ::close(fds[1]);
    return 0;
}
