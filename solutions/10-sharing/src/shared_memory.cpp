// §1 SharedMemory: shm_open + ftruncate + mmap, and CPython's errors.
#include "py/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "hmac.hpp"
#include "os_error.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/scalars.hpp"

namespace py::multiprocessing::shared_memory {
namespace {

// shared_memory.py: _SHM_SAFE_NAME_LENGTH = 14 and _SHM_NAME_PREFIX = '/psm_' leave room for
// (14 - 5) // 2 = 4 random bytes, written as 8 hex digits.
[[maybe_unused]] std::string make_filename() {
    static const char hex[] = "0123456789abcdef";
    std::string name = "/psm_";
    for (const char byte : detail::urandom(4)) {
        const auto value = static_cast<unsigned char>(byte);
        name += hex[value >> 4];
        name += hex[value & 0xf];
    }
    return name;
}

void check_arguments(const std::optional<std::string>& name, bool create, std::int64_t size) {
    // kata: begin step03 §1
    if (size < 0) {
        throw ValueError("'size' must be a positive integer");
    }
    if (create && size == 0) {
        throw ValueError("'size' must be a positive number different from zero");
    }
    if (!name && !create) {
        throw ValueError("'name' can only be None if create=True");
    }
    // kata: end
}

}  // namespace

SharedMemory::SharedMemory(std::optional<std::string> name, bool create, std::int64_t size) {
    check_arguments(name, create, size);
    // kata: begin step01 step02 step04 §1
    const int flags = O_RDWR | (create ? O_CREAT | O_EXCL : 0);
    constexpr mode_t mode = 0600;
    if (!name) {
        // A fresh random name; a collision with an existing block just means another try.
        do {
            os_name_ = make_filename();
            fd_ = ::shm_open(os_name_.c_str(), flags, mode);
        } while (fd_ < 0 && errno == EEXIST);
    } else {
        os_name_ = "/" + *name;
        fd_ = ::shm_open(os_name_.c_str(), flags, mode);
    }
    if (fd_ < 0) {
        detail::raise_os_error(errno, os_name_);
    }
    // From here a failure must not leave a half-made block behind: close, and unlink what we made.
    struct stat stats {};
    if ((create && ::ftruncate(fd_, size) != 0) || ::fstat(fd_, &stats) != 0) {
        const int saved = errno;
        close();
        if (create) {
            ::shm_unlink(os_name_.c_str());
        }
        detail::raise_os_error(saved);
    }
    size_ = static_cast<std::size_t>(stats.st_size);
    if (size_ == 0) {
        close();
        throw ValueError("cannot mmap an empty file");  // mmap.mmap's message
    }
    void* mapped = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (mapped == MAP_FAILED) {
        const int saved = errno;
        close();
        if (create) {
            ::shm_unlink(os_name_.c_str());
        }
        detail::raise_os_error(saved);
    }
    data_ = static_cast<std::byte*>(mapped);
    mapped_ = size_;
    // kata: end
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : os_name_(std::move(other.os_name_)),
      fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
    if (this != &other) {
        close();
        os_name_ = std::move(other.os_name_);
        fd_ = std::exchange(other.fd_, -1);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
}

SharedMemory::~SharedMemory() {
    if (fd_ >= 0 || data_ != nullptr) {
        close();
    }
}

std::span<std::byte> SharedMemory::buf() const noexcept {
    return {data_, mapped_};
}

std::string SharedMemory::name() const {
    return !os_name_.empty() && os_name_.front() == '/' ? os_name_.substr(1) : os_name_;
}

std::string SharedMemory::repr() const {
    return "SharedMemory(" + py::repr(Str::create(name()).get()) +
           ", size=" + std::to_string(size_) + ")";
}

void SharedMemory::close() noexcept {
    // kata: begin step05 §1 noexcept
    if (data_ != nullptr) {
        ::munmap(data_, mapped_);
        data_ = nullptr;
        mapped_ = 0;
    }
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    // kata: end
}

void SharedMemory::unlink() {
    // kata: begin step04 step05 §1
    if (::shm_unlink(os_name_.c_str()) != 0) {
        detail::raise_os_error(errno, os_name_);
    }
    // kata: end
}

}  // namespace py::multiprocessing::shared_memory
