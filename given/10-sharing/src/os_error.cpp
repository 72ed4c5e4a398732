#include "os_error.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {

void raise_os_error(int error_number, std::string_view filename) {
    std::string message = "[Errno " + std::to_string(error_number) + "] " +
                          std::strerror(error_number);  // NOLINT(concurrency-mt-unsafe)
    if (!filename.empty()) {
        message += ": '" + std::string(filename) + "'";
    }
    switch (error_number) {
        case ENOENT:
            throw FileNotFoundError(message);
        case EEXIST:
            throw FileExistsError(message);
        case EPIPE:
            throw BrokenPipeError(message);
        case ECONNRESET:
            throw ConnectionResetError(message);
        case ECONNREFUSED:
            throw ConnectionRefusedError(message);
        default:
            throw OSError(message);
    }
}

}  // namespace py::multiprocessing::detail
