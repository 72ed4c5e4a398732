// Small blocks recycled per thread, for what the event loop allocates once per task step and
// frees a round later: the coroutine frame of each sleep(0) and the handle of each call_soon.
// With 100k tasks, 100k of each are alive at once: glibc's per-thread cache keeps 7 blocks per
// size, so most of them went through malloc's slow paths (bins, consolidation). A free list per
// size class (16-byte steps up to 512 bytes) that keeps what it is given makes them a few
// instructions. Given (not a kata).
#pragma once

#include <cstddef>
#include <new>

namespace py::asyncio::detail {

void* pool_allocate(std::size_t size);
void pool_deallocate(void* block, std::size_t size) noexcept;

// For std::allocate_shared: the control block and the object in one pooled block.
template <class T>
struct PoolAllocator {
    using value_type = T;
    PoolAllocator() = default;
    template <class U>
    explicit PoolAllocator(const PoolAllocator<U>& /*unused*/) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
    void deallocate(T* block, std::size_t n) noexcept { pool_deallocate(block, n * sizeof(T)); }
    template <class U>
    friend bool operator==(const PoolAllocator& /*unused*/, const PoolAllocator<U>& /*unused*/) {
        return true;
    }
};

}  // namespace py::asyncio::detail
