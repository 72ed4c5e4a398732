// Process-shared Lock, RLock, Semaphore and BoundedSemaphore (CPython 3.11:
// Lib/multiprocessing/synchronize.py, Modules/_multiprocessing/semaphore.c). The state is in
// shared memory (shared_memory.hpp); the locks are robust pthread mutexes, the semaphores
// process-shared POSIX semaphores.
#include "py/synchronize.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "py/kata.hpp"
#include "shared_memory.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace py::multiprocessing {
namespace detail {

// ThreadSanitizer's pthread_mutex_timedlock wrapper records the lock only when it returns 0, not
// for EOWNERDEAD (its pthread_mutex_lock and trylock wrappers handle both): without this note
// the matching unlock would be reported as the unlock of an unlocked mutex.
void tell_thread_sanitizer_we_hold(pthread_mutex_t* mutex) {
#if defined(__SANITIZE_THREAD__)
    __tsan_mutex_pre_lock(mutex, 0);
    __tsan_mutex_post_lock(mutex, 0, 0);
#else
    (void)mutex;
#endif
}

// EOWNERDEAD: the previous holder died holding the mutex. The kernel handed it to us; marking
// it consistent makes it usable again (otherwise the next unlock would leave it unrecoverable).
void make_consistent(SharedLock* state) {
    PY_KATA_TODO("§5");
}

// Takes the mutex: at once (block false), by a deadline, or waiting as long as it takes.
// Returns false when it is not taken; `owner_died` says whether a dead holder left it to us.
bool lock_mutex(SharedLock* state, bool block, std::optional<double> timeout, bool& owner_died) {
    PY_KATA_TODO("§5");
}

bool held_by_caller(const SharedLock* state) {
    return state->owner_pid == ::getpid() && state->owner_thread == current_thread_id();
}

// A new robust, process-shared mutex of that kind in its own shared memory.
SharedLock* create_lock(int kind, int& fd) {
    SharedLock* state = create_shared<SharedLock>(fd);
    state->kind = kind;
    init_robust_mutex(&state->mutex);
    return state;
}

// A lock destroyed while this process holds it keeps its mapping: the kernel's robust list
// points into it, and must still be readable when the process dies, so that the next acquirer
// gets the lock with EOWNERDEAD instead of waiting forever.
void destroy_lock(SharedLock* state, int fd) noexcept {
    if (state->owner_pid == ::getpid()) {
        ::close(fd);
        return;
    }
    destroy_shared(state, fd);
}

// A child's view of its parent's lock: the memory behind the descriptor it was passed, mapped
// here (the object is already in it; nothing is constructed). The size and the kind say whether
// the descriptor really is such a lock. `own_fd` gets a duplicate the lock keeps.
template <class T>
T* attach_shared(int fd, int kind, const char* what, int& own_fd) {
    PY_KATA_TODO("§7");
}

}  // namespace detail

using detail::SharedLock;
using detail::SharedSemaphore;

// --- Lock -------------------------------------------------------------------------------------

// In the body: fd_ is declared after state_, so its -1 would overwrite what create_lock wrote.
Lock::Lock() {
    state_ = detail::create_lock(detail::LOCK_KIND, fd_);
}

Lock::~Lock() {
    detail::destroy_lock(state_, fd_);
}

Lock Lock::attach(int fd) {
    int own_fd = -1;
    auto* state = detail::attach_shared<SharedLock>(fd, detail::LOCK_KIND, "Lock", own_fd);
    return {state, own_fd};
}

bool Lock::acquire(bool block, std::optional<double> timeout) {
    return detail::lock_mutex(state_, block, timeout, owner_died_);
}

// A free lock cannot be released; a held one only by its holder (a mutex has an owner).
void Lock::release() {
    PY_KATA_TODO("§5");
}

// --- RLock ------------------------------------------------------------------------------------

RLock::RLock() {
    state_ = detail::create_lock(detail::RLOCK_KIND, fd_);
}

RLock::~RLock() {
    detail::destroy_lock(state_, fd_);
}

RLock RLock::attach(int fd) {
    int own_fd = -1;
    auto* state = detail::attach_shared<SharedLock>(fd, detail::RLOCK_KIND, "RLock", own_fd);
    return {state, own_fd};
}

// The owner acquires again by counting; anyone else takes the mutex.
bool RLock::acquire(bool block, std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

void RLock::release() {
    PY_KATA_TODO("§5");
}

// --- Semaphore --------------------------------------------------------------------------------

Semaphore::Semaphore(int value) {
    if (value < 0) {
        throw ValueError("semaphore initial value must be >= 0");
    }
    state_ = detail::create_shared<SharedSemaphore>(fd_);
    state_->kind = detail::SEMAPHORE_KIND;
    state_->max_value = value;
    ::sem_init(&state_->semaphore, /*pshared=*/1, static_cast<unsigned>(value));
}

Semaphore::~Semaphore() {
    detail::destroy_shared(state_, fd_);
}

Semaphore Semaphore::attach(int fd) {
    int own_fd = -1;
    auto* state =
        detail::attach_shared<SharedSemaphore>(fd, detail::SEMAPHORE_KIND, "Semaphore", own_fd);
    return {state, own_fd};
}

// sem_trywait, sem_timedwait or sem_wait, retried when a signal interrupts the wait.
bool Semaphore::acquire(bool block, std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

void Semaphore::release() {
    PY_KATA_TODO("§5");
}

int Semaphore::get_value() const {
    PY_KATA_TODO("§5");
}

BoundedSemaphore::BoundedSemaphore(int value) : Semaphore(value), max_value_(value) {
    state_->kind = detail::BOUNDED_SEMAPHORE_KIND;
}

BoundedSemaphore BoundedSemaphore::attach(int fd) {
    int own_fd = -1;
    auto* state = detail::attach_shared<SharedSemaphore>(fd, detail::BOUNDED_SEMAPHORE_KIND,
                                                         "BoundedSemaphore", own_fd);
    return {state, own_fd, state->max_value};
}

// As CPython on Linux: compare with the initial value, then post (not atomic, like theirs).
void BoundedSemaphore::release() {
    PY_KATA_TODO("§5");
}

}  // namespace py::multiprocessing
