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
    // kata: begin step29 §5
    // One MAP_SHARED mapping for the data: every process forked from here maps the same pages.
    // The RLock (chapter 09) keeps its state in a shared mapping of its own.
    mapping_size_ = size == 0 ? 1 : size;
    mapping_ =
        ::mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) {
        mapping_ = nullptr;
        raise_os_error(errno);
    }
    data_ = static_cast<std::byte*>(mapping_);
    if (with_lock) {
        lock_ = std::make_unique<RLock>();
    }
    // kata: end
}

SharedBuffer::~SharedBuffer() {
    if (mapping_ != nullptr) {
        ::munmap(mapping_, mapping_size_);
    }
}

void SharedBuffer::read(std::size_t offset, void* out, std::size_t n) const {
    // kata: begin step29 step30 §5
    if (lock_ != nullptr) {
        const std::lock_guard guard(*lock_);
        std::memcpy(out, data_ + offset, n);
    } else {
        std::memcpy(out, data_ + offset, n);
    }
    // kata: end
}

void SharedBuffer::write(std::size_t offset, const void* in, std::size_t n) {
    // kata: begin step29 step30 §5
    if (lock_ != nullptr) {
        const std::lock_guard guard(*lock_);
        std::memcpy(data_ + offset, in, n);
    } else {
        std::memcpy(data_ + offset, in, n);
    }
    // kata: end
}

}  // namespace py::multiprocessing::detail
