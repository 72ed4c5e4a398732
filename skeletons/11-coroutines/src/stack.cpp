// A greenlet's stack: mmap'd, with a guard page below it (chapters/11-coroutines/README.md §3).
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "greenlet_impl.hpp"
#include "py/kata.hpp"

namespace py::greenlet {

void allocate_stack(greenlet::Impl& impl) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t usable = (impl.stack_size + page - 1) / page * page;
    const std::size_t total = usable + page;
    // Reserved, not committed: MAP_NORESERVE and untouched pages cost no memory, so a suspended
    // greenlet one call deep costs a few pages however large its stack may grow.
    void* mapping = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) {
        throw MemoryError("cannot allocate a greenlet stack of " + std::to_string(total) +
                          " bytes: " + std::strerror(errno));
    }
    impl.mapping = mapping;
    impl.mapping_size = total;
    // Stacks grow down: the lowest page is the guard.
    // §3: without a guard page an overflow runs into whatever lies below.
    impl.context.bottom = static_cast<char*>(mapping) + page;
    impl.context.size = usable;
}

void free_stack(greenlet::Impl& impl) noexcept {
    if (impl.mapping != nullptr) {
        detail::forget_stack_memory(impl.context.bottom, impl.context.size);
        ::munmap(impl.mapping, impl.mapping_size);
        impl.mapping = nullptr;
    }
}

}  // namespace py::greenlet
