// §5 Value and Array: a MAP_SHARED mapping with a process-shared lock in front of the data.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "os_error.hpp"
#include "py/kata.hpp"
#include "py/sharedctypes.hpp"

namespace py::multiprocessing::detail {

SharedBuffer::SharedBuffer(std::size_t size, bool with_lock) : size_(size) {
    PY_KATA_TODO("§5");
}

SharedBuffer::~SharedBuffer() {
    if (mapping_ != nullptr) {
        ::munmap(mapping_, mapping_size_);
    }
}

void SharedBuffer::read(std::size_t offset, void* out, std::size_t n) const {
    PY_KATA_TODO("§5");
}

void SharedBuffer::write(std::size_t offset, const void* in, std::size_t n) {
    PY_KATA_TODO("§5");
}

}  // namespace py::multiprocessing::detail
