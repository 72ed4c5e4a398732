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
    PY_KATA_TODO("§4");
    return {};
}

}  // namespace py::multiprocessing::connection
