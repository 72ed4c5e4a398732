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
    // kata: begin step33 §6
    for (;;) {
        std::deque<std::optional<std::string>> batch;
        {
            std::unique_lock lock(feeder.mutex);
            feeder.not_empty.wait(lock, [&] { return !feeder.buffer.empty(); });
            batch.swap(feeder.buffer);
        }
        // Everything buffered goes out under one write lock, in as few writes as possible:
        // CPython writes message by message, one system call each.
        std::vector<std::string> messages;
        bool sentinel = false;
        for (auto& message : batch) {
            if (!message) {
                sentinel = true;
                break;
            }
            messages.push_back(std::move(*message));
        }
        try {
            const std::lock_guard write_lock(state->shared->wlock);
            state->writer.send_many(messages);
        } catch (const OSError& e) {
            // CPython prints the traceback and goes on (_on_queue_feeder_error); a broken
            // pipe means every reader is gone, so nothing more can be delivered.
            std::fprintf(stderr, "multiprocessing Queue feeder: %s\n", e.what());
        }
        if (sentinel) {
            state->writer.close();
            return;
        }
    }
    // kata: end
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
    // kata: begin step33 §6
    detail::Feeder& feeder = state_->feeder();
    const std::lock_guard guard(feeder.mutex);
    if (!feeder.started) {
        feeder.started = true;
        feeder.thread = std::thread(feed, state_, std::ref(feeder));
    }
    feeder.buffer.emplace_back(std::move(message));
    feeder.not_empty.notify_one();
    // kata: end
}

void Queue::put(Object* obj, bool block, std::optional<double> timeout) {
    check_not_closed();
    // kata: begin step33 step34 §6
    std::string message = pickle::dumps(obj);  // in the caller: see the header
    if (!state_->shared->sem.acquire(block, timeout)) {
        throw queue::Full("");
    }
    buffer_for_feeder(std::move(message));
    // kata: end
}

Ref<Object> Queue::get(bool block, std::optional<double> timeout) {
    check_not_closed();
    // kata: begin step33 step34 §6
    auto& shared = *state_->shared;
    std::string message;
    if (block && !timeout) {
        {
            const std::lock_guard read_lock(shared.rlock);
            message = state_->reader.recv_bytes();
        }
        shared.sem.release();
    } else {
        using Clock = std::chrono::steady_clock;
        const auto deadline =
            Clock::now() + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(timeout.value_or(0)));
        if (!shared.rlock.acquire(block, timeout)) {
            throw queue::Empty("");
        }
        try {
            const double left =
                block ? std::chrono::duration<double>(deadline - Clock::now()).count() : 0.0;
            if (!state_->reader.poll(left)) {
                throw queue::Empty("");
            }
            message = state_->reader.recv_bytes();
            shared.sem.release();
        } catch (...) {
            shared.rlock.release();
            throw;
        }
        shared.rlock.release();
    }
    // Unpickled after the lock is released: a bad message is this reader's error only.
    return pickle::loads(message);
    // kata: end
}

int Queue::qsize() const {
    // kata: begin step35 §6
    return state_->maxsize - state_->shared->sem.get_value();
    // kata: end
}

bool Queue::empty() const {
    // kata: begin step35 §6
    return !state_->reader.poll();
    // kata: end
}

bool Queue::full() const {
    // kata: begin step35 §6
    return state_->shared->sem.get_value() == 0;
    // kata: end
}

void Queue::close() {
    // kata: begin step36 §6
    detail::Feeder& feeder = state_->feeder();
    const std::lock_guard guard(feeder.mutex);
    if (state_->closed) {
        return;
    }
    state_->closed = true;
    if (feeder.started) {
        feeder.buffer.emplace_back(std::nullopt);  // Queue._finalize_close
        feeder.not_empty.notify_one();
    }
    // kata: end
}

void Queue::join_thread() {
    // kata: begin step36 §6
    if (!state_->closed) {
        throw AssertionError("Queue " + repr() + " not closed");
    }
    detail::Feeder& feeder = state_->feeder();
    if (!feeder.join_cancelled && feeder.thread.joinable()) {
        feeder.thread.join();
    }
    // kata: end
}

void Queue::cancel_join_thread() {
    // kata: begin step41 §6
    state_->feeder().join_cancelled = true;
    // kata: end
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
    // kata: begin step40 §6
    std::string message = pickle::dumps(obj);
    if (!state_->shared->sem.acquire(block, timeout)) {
        throw queue::Full("");
    }
    auto& shared = *state_->shared;
    pthread_mutex_lock(&shared.tasks_mutex);
    ++shared.unfinished_tasks;
    pthread_mutex_unlock(&shared.tasks_mutex);
    buffer_for_feeder(std::move(message));
    // kata: end
}

void JoinableQueue::task_done() {
    // kata: begin step40 §6
    auto& shared = *state_->shared;
    pthread_mutex_lock(&shared.tasks_mutex);
    if (shared.unfinished_tasks == 0) {
        pthread_mutex_unlock(&shared.tasks_mutex);
        throw ValueError("task_done() called too many times");
    }
    if (--shared.unfinished_tasks == 0) {
        pthread_cond_broadcast(&shared.tasks_done);
    }
    pthread_mutex_unlock(&shared.tasks_mutex);
    // kata: end
}

void JoinableQueue::join() {
    // kata: begin step40 §6
    auto& shared = *state_->shared;
    pthread_mutex_lock(&shared.tasks_mutex);
    while (shared.unfinished_tasks != 0) {
        pthread_cond_wait(&shared.tasks_done, &shared.tasks_mutex);
    }
    pthread_mutex_unlock(&shared.tasks_mutex);
    // kata: end
}

SimpleQueue::SimpleQueue() : state_(make_state(1, false)) {}

SimpleQueue::~SimpleQueue() = default;

void SimpleQueue::put(Object* obj) {
    // kata: begin step39 §6
    const std::string message = pickle::dumps(obj);  // before taking the lock
    const std::lock_guard write_lock(state_->shared->wlock);
    state_->writer.send_bytes(message);
    // kata: end
}

Ref<Object> SimpleQueue::get() {
    // kata: begin step39 §6
    std::string message;
    {
        const std::lock_guard read_lock(state_->shared->rlock);
        message = state_->reader.recv_bytes();
    }
    return pickle::loads(message);
    // kata: end
}

bool SimpleQueue::empty() const {
    return !state_->reader.poll();
}

void SimpleQueue::close() {
    state_->reader.close();
    state_->writer.close();
}

}  // namespace py::multiprocessing
