// The per-thread free lists of py/block_pool.hpp (given).
#include "py/block_pool.hpp"

#include <array>

// AddressSanitizer must see every free, or a use after free of a recycled block goes unnoticed.
#if defined(__SANITIZE_ADDRESS__)
#define PY_BLOCK_POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PY_BLOCK_POOL_OFF 1
#endif
#endif

namespace py::asyncio::detail {

namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t classes = 33;  // blocks of 16, 32, ... 512 bytes
// Above this many free blocks of one size, frees go back to malloc: a burst of a million tasks
// leaves at most 64 MiB per size behind on the thread.
constexpr std::size_t max_kept = std::size_t{1} << 17;

struct FreeBlock {
    FreeBlock* next;
};

// Trivially destructible, so that its storage outlives every destructor that runs at thread
// exit; the reaper below empties it and marks it closed.
struct Lists {
    std::array<FreeBlock*, classes> heads;
    std::array<std::size_t, classes> counts;
    bool closed;
    bool reaper_armed;
};
[[gnu::tls_model("initial-exec")]] constinit thread_local Lists lists{};

struct Reaper {
    Reaper() = default;
    Reaper(const Reaper&) = delete;
    Reaper& operator=(const Reaper&) = delete;
    ~Reaper() {
        lists.closed = true;
        for (std::size_t c = 0; c < classes; ++c) {
            while (FreeBlock* block = lists.heads[c]) {
                lists.heads[c] = block->next;
                ::operator delete(block);
            }
            lists.counts[c] = 0;
        }
    }
};

void arm_reaper() {
    thread_local Reaper reaper;
    (void)reaper;
    lists.reaper_armed = true;
}

}  // namespace

void* pool_allocate(std::size_t size) {
    std::size_t c = (size + granule - 1) / granule;
#ifndef PY_BLOCK_POOL_OFF
    if (c < classes && !lists.closed) {
        if (FreeBlock* block = lists.heads[c]) {
            lists.heads[c] = block->next;
            --lists.counts[c];
            return block;
        }
        if (!lists.reaper_armed) {
            arm_reaper();
        }
    }
#endif
    return ::operator new(c < classes ? c * granule : size);
}

void pool_deallocate(void* block, std::size_t size) noexcept {
    std::size_t c = (size + granule - 1) / granule;
#ifndef PY_BLOCK_POOL_OFF
    if (c < classes && c > 0 && !lists.closed && lists.reaper_armed && lists.counts[c] < max_kept) {
        auto* free_block = static_cast<FreeBlock*>(block);
        free_block->next = lists.heads[c];
        lists.heads[c] = free_block;
        ++lists.counts[c];
        return;
    }
#endif
    ::operator delete(block);
}

}  // namespace py::asyncio::detail
