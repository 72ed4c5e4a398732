// multiprocessing.shared_memory.SharedMemory: a named block of memory that any process can map.
//
// CPython (Lib/multiprocessing/shared_memory.py, 3.8+) opens the block with shm_open(3), sizes it
// with ftruncate(2) and maps it with mmap(2); the name is what another process passes to attach.
// On Linux the block is a file in /dev/shm that lives until someone calls unlink(), even after
// every process has closed it: creating a block makes you responsible for unlinking it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace py::multiprocessing::shared_memory {

class SharedMemory {
  public:
    // SharedMemory(name=None, create=False, size=0), with CPython's errors:
    //   size < 0                    ValueError("'size' must be a positive integer")
    //   create and size == 0        ValueError("'size' must be a positive number different from
    //   zero") no name and not create      ValueError("'name' can only be None if create=True")
    //   name missing (attach)       FileNotFoundError("[Errno 2] No such file or directory:
    //   '/name'") name taken (create)         FileExistsError("[Errno 17] File exists: '/name'")
    // Without a name, create picks a fresh "psm_" + 8 hex digits. Attaching maps the whole block:
    // size() is the block's size, whatever `size` was passed.
    explicit SharedMemory(std::optional<std::string> name = std::nullopt, bool create = false,
                          std::int64_t size = 0);
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;
    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;
    // Closes (never unlinks: like CPython's __del__, the block outlives this object).
    ~SharedMemory();

    // The mapped bytes; empty after close().
    [[nodiscard]] std::span<std::byte> buf() const noexcept;
    // The name without the leading slash, as CPython reports it ("psm_1a2b3c4d").
    [[nodiscard]] std::string name() const;
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    // Unmaps and closes the descriptor; the block stays. Calling it twice is harmless.
    void close() noexcept;
    // Removes the name (shm_unlink): FileNotFoundError if it is already gone.
    void unlink();

  private:
    std::string os_name_;  // with the leading slash, as passed to shm_open
    int fd_ = -1;
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mapped_ = 0;
};

}  // namespace py::multiprocessing::shared_memory
