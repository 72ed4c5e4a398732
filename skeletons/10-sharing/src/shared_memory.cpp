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
    PY_KATA_TODO("§1");
}

}  // namespace

SharedMemory::SharedMemory(std::optional<std::string> name, bool create, std::int64_t size) {
    check_arguments(name, create, size);
    PY_KATA_TODO("§1");
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
    PY_KATA_TODO_NOEXCEPT("§1");
}

void SharedMemory::unlink() {
    PY_KATA_TODO("§1");
}

}  // namespace py::multiprocessing::shared_memory
