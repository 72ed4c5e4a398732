// §3 connection.wait(): many connections, listeners and descriptors watched by one poll(2), as
// Lib/multiprocessing/connection.py (3.11) does with a selectors.PollSelector.
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <sstream>
#include <string>

#include "os_error.hpp"
#include "py/connection.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::multiprocessing::connection {
namespace {

// selectors._fileobj_to_fd: obj.fileno() (OSError for a closed Connection), or the int itself.
[[maybe_unused]] int file_descriptor(const Waitable& object) {
    if (const auto* connection = std::get_if<Connection*>(&object)) {
        return (*connection)->fileno();
    }
    if (const auto* listener = std::get_if<Listener*>(&object)) {
        return (*listener)->fileno();
    }
    return std::get<int>(object);
}

// repr(obj) for selectors' "already registered" message.
[[maybe_unused]] std::string repr_of(const Waitable& object) {
    std::ostringstream out;
    if (const auto* connection = std::get_if<Connection*>(&object)) {
        out << "<multiprocessing.connection.Connection object at "
            << static_cast<const void*>(*connection) << ">";
    } else if (const auto* listener = std::get_if<Listener*>(&object)) {
        out << "<multiprocessing.connection.Listener object at "
            << static_cast<const void*>(*listener) << ">";
    } else {
        out << std::get<int>(object);
    }
    return out.str();
}

}  // namespace

std::vector<Waitable> wait(const std::vector<Waitable>& object_list,
                           std::optional<double> timeout) {
    // kata: begin step27 §4
    // selector.register(obj, EVENT_READ) for each object: its descriptor, checked, once.
    std::vector<pollfd> entries;
    entries.reserve(object_list.size());
    for (const Waitable& object : object_list) {
        const int fd = file_descriptor(object);
        if (fd < 0) {
            throw ValueError("Invalid file descriptor: " + std::to_string(fd));
        }
        for (const pollfd& entry : entries) {
            if (entry.fd == fd) {
                throw KeyError("'" + repr_of(object) + " (FD " + std::to_string(fd) +
                               ") is already registered'");
            }
        }
        entries.push_back({fd, POLLIN, 0});
    }
    // The loop of wait(): select with the time left until the deadline; a poll(2) that a signal
    // cut short (EINTR) selects nothing and goes round again.
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(timeout.value_or(0)));
    for (;;) {
        int wait_ms = -1;
        if (timeout) {
            const auto left = std::chrono::duration<double, std::milli>(deadline - Clock::now());
            wait_ms = left.count() <= 0 ? 0 : static_cast<int>(std::ceil(left.count()));
        }
        const int ready = ::poll(entries.data(), entries.size(), wait_ms);
        if (ready < 0 && errno != EINTR) {
            detail::raise_os_error(errno);
        }
        if (ready > 0) {
            // PollSelector counts every event but POLLOUT as readable: POLLHUP, POLLERR and
            // POLLNVAL too, so the caller's recv() or accept() reports what happened.
            std::vector<Waitable> found;
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (entries[i].revents != 0) {
                    found.push_back(object_list[i]);
                }
            }
            return found;
        }
        if (timeout && Clock::now() >= deadline) {
            return {};
        }
    }
    // kata: skeleton return {};
    // kata: end
}

}  // namespace py::multiprocessing::connection
