// §6 Queue, JoinableQueue and SimpleQueue: a pipe, a feeder thread, two locks and a semaphore, as
// Lib/multiprocessing/queues.py builds them.
#include "py/queues.hpp"

#include <chrono>
#include <climits>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <vector>

#include "py/kata.hpp"
#include "py/pickle.hpp"
#include "queue_state.hpp"

namespace py::multiprocessing {
namespace {

// SEM_VALUE_MAX on Linux: what maxsize <= 0 means.
constexpr int kSemValueMax = INT_MAX;

std::shared_ptr<detail::QueueState> make_state(int maxsize, bool joinable) {
    auto [reader, writer] = connection::Pipe(false);
    auto state = std::make_shared<detail::QueueState>(
        std::move(reader), std::move(writer), maxsize <= 0 ? kSemValueMax : maxsize, joinable);
    detail::register_queue(state);
    return state;
}

// The feeder thread (Queue._feed): wait for buffered messages, write each under the write lock;
// the sentinel closes this process's write end and ends the thread. It holds the state, so the
// pipe and the locks outlive a Queue destroyed while the thread still flushes.
[[maybe_unused]] void feed(const std::shared_ptr<detail::QueueState>& state,
                           detail::Feeder& feeder) {
    PY_KATA_TODO("§6");
}

}  // namespace

Queue::Queue(int maxsize) : state_(make_state(maxsize, false)) {}

Queue::Queue(std::shared_ptr<detail::QueueState> state) : state_(std::move(state)) {}

Queue::~Queue() {
    detail::Feeder& feeder = state_->feeder();
    {
        const std::lock_guard guard(feeder.mutex);
        if (!feeder.started) {
            return;
        }
        if (!state_->closed) {
            state_->closed = true;
            feeder.buffer.emplace_back(std::nullopt);
            feeder.not_empty.notify_one();
        }
    }
    if (feeder.join_cancelled) {
        feeder.thread.detach();
    } else if (feeder.thread.joinable()) {
        feeder.thread.join();
    }
}

std::string Queue::repr() const {
    std::ostringstream out;
    out << "<multiprocessing.queues.Queue object at " << static_cast<const void*>(this) << ">";
    return out.str();
}

connection::Connection& Queue::raw_reader() {
    return state_->reader;
}

connection::Connection& Queue::raw_writer() {
    return state_->writer;
}

void Queue::check_not_closed() const {
    if (state_->closed) {
        throw ValueError("Queue " + repr() + " is closed");
    }
}

void Queue::buffer_for_feeder(std::string message) {
    PY_KATA_TODO("§6");
}

void Queue::put(Object* obj, bool block, std::optional<double> timeout) {
    check_not_closed();
    PY_KATA_TODO("§6");
}

Ref<Object> Queue::get(bool block, std::optional<double> timeout) {
    check_not_closed();
    PY_KATA_TODO("§6");
}

int Queue::qsize() const {
    PY_KATA_TODO("§6");
}

bool Queue::empty() const {
    PY_KATA_TODO("§6");
}

bool Queue::full() const {
    PY_KATA_TODO("§6");
}

void Queue::close() {
    PY_KATA_TODO("§6");
}

void Queue::join_thread() {
    PY_KATA_TODO("§6");
}

void Queue::cancel_join_thread() {
    PY_KATA_TODO("§6");
}

JoinableQueue::JoinableQueue(int maxsize) : Queue(make_state(maxsize, true)) {}

std::string JoinableQueue::repr() const {
    std::ostringstream out;
    out << "<multiprocessing.queues.JoinableQueue object at " << static_cast<const void*>(this)
        << ">";
    return out.str();
}

void JoinableQueue::put(Object* obj, bool block, std::optional<double> timeout) {
    check_not_closed();
    PY_KATA_TODO("§6");
}

void JoinableQueue::task_done() {
    PY_KATA_TODO("§6");
}

void JoinableQueue::join() {
    PY_KATA_TODO("§6");
}

SimpleQueue::SimpleQueue() : state_(make_state(1, false)) {}

SimpleQueue::~SimpleQueue() = default;

void SimpleQueue::put(Object* obj) {
    PY_KATA_TODO("§6");
}

Ref<Object> SimpleQueue::get() {
    PY_KATA_TODO("§6");
}

bool SimpleQueue::empty() const {
    return !state_->reader.poll();
}

void SimpleQueue::close() {
    state_->reader.close();
    state_->writer.close();
}

}  // namespace py::multiprocessing
