// OSError from errno, as CPython raises it: the subclass the errno maps to (PEP 3151) and the
// message "[Errno 2] No such file or directory: '/name'" that str(exc) shows.
#pragma once

#include <string_view>

namespace py::multiprocessing::detail {

[[noreturn]] void raise_os_error(int error_number, std::string_view filename = {});

}  // namespace py::multiprocessing::detail
