// concurrent.futures: write Future's state machine, wait, as_completed and the thread pool here
// (lesson §5, §6).
#include "py/concurrent.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "py/exceptions.hpp"
#include "py/gil.hpp"
#include "py/kata.hpp"
#include "py/threading.hpp"

namespace py::concurrent {

const char* state_name(FutureState state) noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
    return "";
}

// The future's state: a mutex, a condition variable, the state, the exception, callbacks and
// installed waiters.
struct FutureCore::Impl {};

FutureCore::FutureCore() {
    PY_KATA_TODO("§5");
}

FutureCore::~FutureCore() = default;

bool FutureCore::cancel() {
    PY_KATA_TODO("§5");
}

bool FutureCore::cancelled() const {
    PY_KATA_TODO("§5");
}

bool FutureCore::running() const {
    PY_KATA_TODO("§5");
}

bool FutureCore::done() const {
    PY_KATA_TODO("§5");
}

FutureState FutureCore::state() const {
    PY_KATA_TODO("§5");
}

void FutureCore::wait_result(std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

std::exception_ptr FutureCore::exception(std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

void FutureCore::add_done_callback(Callback callback) {
    PY_KATA_TODO("§5");
}

bool FutureCore::set_running_or_notify_cancel() {
    PY_KATA_TODO("§5");
}

void FutureCore::set_result_with(const std::function<void()>& store) {
    PY_KATA_TODO("§5");
}

void FutureCore::set_exception(std::exception_ptr exception) {
    PY_KATA_TODO("§5");
}

std::string FutureCore::repr() const {
    PY_KATA_TODO("§5");
}

bool FutureCore::install_waiter(const std::shared_ptr<Waiter>& waiter) {
    PY_KATA_TODO("§5");
}

void FutureCore::remove_waiter(const std::shared_ptr<Waiter>& waiter) {
    PY_KATA_TODO("§5");
}

std::vector<std::size_t> wait_cores(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                    std::optional<double> timeout, ReturnWhen return_when) {
    PY_KATA_TODO("§5");
}

// as_completed's state: the distinct futures, their indexes, a waiter, the ready queue, the
// deadline.
struct AsCompletedCore::Impl {};

AsCompletedCore::AsCompletedCore(const std::vector<std::shared_ptr<FutureCore>>& futures,
                                 std::optional<double> timeout) {
    PY_KATA_TODO("§5");
}

AsCompletedCore::~AsCompletedCore() = default;

std::optional<std::size_t> AsCompletedCore::next() {
    PY_KATA_TODO("§5");
}

// The executor's state, shared with its workers: queue, mutex, condition variable, idle count,
// shutdown flag, threads.
struct ThreadPoolExecutor::Impl {};

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<int> max_workers,
                                       std::string thread_name_prefix) {
    PY_KATA_TODO("§6");
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
    PY_KATA_TODO_NOEXCEPT("§6");
}

void ThreadPoolExecutor::submit_core(const std::shared_ptr<FutureCore>& future,
                                     std::function<std::function<void()>()> task) {
    PY_KATA_TODO("§6");
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
    PY_KATA_TODO("§6");
}

int ThreadPoolExecutor::max_workers() const noexcept {
    PY_KATA_TODO_NOEXCEPT("§6");
    return 0;
}

std::size_t ThreadPoolExecutor::thread_count() const {
    PY_KATA_TODO("§6");
}

std::vector<std::string> ThreadPoolExecutor::thread_names() const {
    PY_KATA_TODO("§6");
}

double ThreadPoolExecutor::monotonic() noexcept {
    PY_KATA_TODO_NOEXCEPT("§6");
    return 0;
}

}  // namespace py::concurrent
