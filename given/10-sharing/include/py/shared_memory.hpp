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
#include <vector>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::shared_memory {

class SharedMemory {
  public:
    // SharedMemory(name=None, create=False, size=0), with CPython's errors:
    //   size < 0
    //       ValueError("'size' must be a positive integer")
    //   create and size == 0
    //       ValueError("'size' must be a positive number different from zero")
    //   no name and not create
    //       ValueError("'name' can only be None if create=True")
    //   name missing (attach)
    //       FileNotFoundError("[Errno 2] No such file or directory: '/name'")
    //   name taken (create)
    //       FileExistsError("[Errno 17] File exists: '/name'")
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
    // repr(): "SharedMemory('psm_1a2b3c4d', size=512)", as SharedMemory.__repr__.
    [[nodiscard]] std::string repr() const;

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

// multiprocessing.shared_memory.ShareableList (3.8+; the layout of 3.11): a list of fixed length
// packed into one SharedMemory block, so that any process, python3 included, can attach to it by
// name. Items are int, float, bool, str, bytes or None. The block holds, with N items:
//
//   8 bytes           N, native-endian int64
//   (N + 1) * 8       the offset of each item in the data area, and where the data area ends
//   data area         8 bytes per int/float/bool/None, a multiple of 8 per str/bytes
//   N * 8             each item's struct format ("q", "d", "xxxxxxx?", "xxxxxx?x", "16s"),
//   NUL-padded N                 each item's back-transform code: 0 as is, 1 str, 2 bytes, 3 None
class ShareableList {
  public:
    // ShareableList(sequence=None, *, name=None): a new block holding `sequence` (under `name`, or
    // a fresh "psm_" name) when sequence is given; otherwise attaches to the block called `name`.
    // An item of another type is KeyError("<class 'list'>") (shared_memory.py's _types_mapping).
    explicit ShareableList(const std::optional<std::vector<Ref<Object>>>& sequence,
                           const std::optional<std::string>& name = std::nullopt);

    // sl[i] (negative i counts from the end): IndexError("index out of range").
    [[nodiscard]] Ref<Object> getitem(std::int64_t position) const;
    // sl[i] = value: a str or bytes must fit in the room its item was given when the list was made
    // (ValueError("bytes/str item exceeds available storage")); IndexError("assignment index out
    // of range").
    void setitem(std::int64_t position, Object* value);
    // len(sl), read from the block (offset 0).
    [[nodiscard]] std::int64_t len() const;
    // sl.format: the struct formats of all items, joined ("q8sxxxxxx?x").
    [[nodiscard]] std::string format() const;
    // sl.count(value), sl.index(value) (ValueError("5 not in this container")), with ==.
    [[nodiscard]] std::int64_t count(Object* value) const;
    [[nodiscard]] std::int64_t index(Object* value) const;
    // "ShareableList([1, 'a', None], name='psm_1a2b3c4d')".
    [[nodiscard]] std::string repr() const;
    // sl.shm: the block (close() and unlink() it as any SharedMemory).
    [[nodiscard]] SharedMemory& shm() noexcept { return shm_; }
    [[nodiscard]] const SharedMemory& shm() const noexcept { return shm_; }

  private:
    // The packing format and the back-transform code of one item (_get_packing_format,
    // _get_back_transform), and where its data starts in the block.
    [[nodiscard]] std::string packing_format(std::int64_t position) const;
    [[nodiscard]] int back_transform(std::int64_t position) const;
    [[nodiscard]] std::size_t offset_data_start() const;
    [[nodiscard]] std::size_t offset_packing_formats() const;
    [[nodiscard]] std::size_t offset_back_transform_codes() const;

    SharedMemory shm_;
    std::int64_t list_len_ = 0;
    std::vector<std::int64_t> allocated_offsets_;  // N + 1 offsets into the data area
};

}  // namespace py::multiprocessing::shared_memory
