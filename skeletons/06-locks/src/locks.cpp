// Lock and RLock on a futex word, and Condition, Semaphore, BoundedSemaphore, Event and Barrier
// on top of them: write them here (lesson §1-§8).
#include "py/locks.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

#include "py/exceptions.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"

namespace py::threading {
namespace detail {

bool FutexLock::acquire_for(double timeout) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return false;
}

void FutexLock::wake_one() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

void check_acquire_args(bool blocking, double timeout) {
    PY_KATA_TODO("§1");
}

}  // namespace detail

Lock::~Lock() = default;

bool Lock::acquire(bool blocking, double timeout) {
    PY_KATA_TODO("§1");
}

void Lock::release() {
    PY_KATA_TODO("§1");
}

std::optional<Ident> Lock::owner() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return std::nullopt;
}

RLock::~RLock() = default;

bool RLock::acquire(bool blocking, double timeout) {
    PY_KATA_TODO("§3");
}

void RLock::release() {
    PY_KATA_TODO("§3");
}

bool RLock::is_owned() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return false;
}

std::optional<Ident> RLock::owner() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return std::nullopt;
}

std::size_t RLock::count() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§3");
    return 0;
}

std::size_t RLock::release_save() {
    PY_KATA_TODO("§4");
}

void RLock::acquire_restore(std::size_t count) {
    PY_KATA_TODO("§4");
}

// The condition's state: the lock it uses (its own RLock, or the Lock/RLock it was given) and
// the queue of waiters.
struct Condition::Impl {};

Condition::Condition() : impl_(nullptr) {
    PY_KATA_TODO("§4");
}

Condition::Condition(Lock& lock) : impl_(nullptr) {
    PY_KATA_TODO("§4");
}

Condition::Condition(RLock& lock) : impl_(nullptr) {
    PY_KATA_TODO("§4");
}

Condition::~Condition() {
    delete impl_;
}

bool Condition::acquire(bool blocking, double timeout) {
    PY_KATA_TODO("§4");
}

void Condition::release() {
    PY_KATA_TODO("§4");
}

bool Condition::wait(std::optional<double> timeout) {
    PY_KATA_TODO("§4");
}

bool Condition::wait_for(const std::function<bool()>& predicate, std::optional<double> timeout) {
    PY_KATA_TODO("§4");
}

void Condition::notify(std::size_t n) {
    PY_KATA_TODO("§4");
}

void Condition::notify_all() {
    PY_KATA_TODO("§4");
}

std::size_t Condition::waiter_count() const {
    PY_KATA_TODO("§4");
}

Semaphore::Semaphore(long value) : cond_(lock_), value_(value) {
    PY_KATA_TODO("§5");
}

Semaphore::~Semaphore() = default;

bool Semaphore::acquire(bool blocking, std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

void Semaphore::release(long n) {
    PY_KATA_TODO("§5");
}

long Semaphore::value() const {
    PY_KATA_TODO("§5");
}

BoundedSemaphore::BoundedSemaphore(long value) : Semaphore(value), initial_value_(value) {
    PY_KATA_TODO("§5");
}

void BoundedSemaphore::release(long n) {
    PY_KATA_TODO("§5");
}

Event::Event() : cond_(lock_) {
    PY_KATA_TODO("§6");
}

Event::~Event() = default;

bool Event::is_set() const {
    PY_KATA_TODO("§6");
}

void Event::set() {
    PY_KATA_TODO("§6");
}

void Event::clear() {
    PY_KATA_TODO("§6");
}

bool Event::wait(std::optional<double> timeout) {
    PY_KATA_TODO("§6");
}

Barrier::Barrier(std::size_t parties, std::function<void()> action, std::optional<double> timeout)
    : cond_(lock_), action_(std::move(action)), timeout_(timeout), parties_(parties) {
    PY_KATA_TODO("§7");
}

Barrier::~Barrier() = default;

std::size_t Barrier::wait(std::optional<double> timeout) {
    PY_KATA_TODO("§7");
}

void Barrier::reset() {
    PY_KATA_TODO("§7");
}

void Barrier::abort() {
    PY_KATA_TODO("§7");
}

std::size_t Barrier::n_waiting() const {
    PY_KATA_TODO("§7");
}

bool Barrier::broken() const {
    PY_KATA_TODO("§7");
}

}  // namespace py::threading
