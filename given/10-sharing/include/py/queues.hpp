// multiprocessing.Queue, SimpleQueue and JoinableQueue (Lib/multiprocessing/queues.py).
//
// A Queue is a one-way pipe that every process forked after its creation shares, plus:
//   - a feeder thread per process: put() only appends to an in-process buffer and returns; the
//     feeder writes the buffered messages into the pipe, so put() does not block on a full pipe;
//   - a read lock and a write lock (process-shared), so that concurrent readers and writers take
//     whole messages;
//   - a bounded semaphore of maxsize, counting free places: put() takes one (Full when none is
//     left), get() gives one back. qsize() is maxsize minus its value.
// Objects travel pickled (chapter 09). Unlike CPython, put() pickles at once in the caller (the
// runtime's objects are not thread-safe, so the feeder thread only ever touches bytes); the reader
// unpickles after releasing the read lock, so a corrupted message is that reader's error alone.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "py/connection.hpp"
#include "py/exceptions.hpp"
#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::queue {
// The standard library's queue.Empty and queue.Full, which multiprocessing raises too.
PY_DECLARE_EXCEPTION(Empty, Exception);
PY_DECLARE_EXCEPTION(Full, Exception);
}  // namespace py::queue

namespace py::multiprocessing {

namespace detail {
struct QueueState;
}

class Queue {
  public:
    // Queue(maxsize=0): maxsize <= 0 means SEM_VALUE_MAX places.
    explicit Queue(int maxsize = 0);
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;
    // Closes; joins this process's feeder thread (flushing what it buffered) unless
    // cancel_join_thread() was called.
    virtual ~Queue();

    // put(obj, block=True, timeout=None): queue.Full when no place frees up in time;
    // ValueError("Queue <...> is closed") after close().
    virtual void put(Object* obj, bool block = true, std::optional<double> timeout = std::nullopt);
    template <class T>
    void put(const Ref<T>& obj, bool block = true, std::optional<double> timeout = std::nullopt) {
        put(static_cast<Object*>(obj.get()), block, timeout);
    }
    // get(block=True, timeout=None): queue.Empty when nothing arrives in time.
    Ref<Object> get(bool block = true, std::optional<double> timeout = std::nullopt);
    void put_nowait(Object* obj) { put(obj, false); }
    Ref<Object> get_nowait() { return get(false); }

    // Approximate, as in CPython: another process may change them right after.
    [[nodiscard]] int qsize() const;
    [[nodiscard]] bool empty() const;
    [[nodiscard]] bool full() const;

    // No more put() or get() from this process; the feeder flushes its buffer and exits.
    void close();
    // After close(): wait for the feeder to flush (AssertionError "Queue <...> not closed" before).
    void join_thread();
    // Do not wait for the feeder at exit: buffered messages may be lost.
    void cancel_join_thread();

    // repr(): "<multiprocessing.queues.Queue object at 0x...>".
    [[nodiscard]] virtual std::string repr() const;
    // q._reader and q._writer in CPython: the pipe's ends, for tests that forge a message.
    connection::Connection& raw_reader();
    connection::Connection& raw_writer();

  protected:
    explicit Queue(std::shared_ptr<detail::QueueState> state);
    // The part of put() after the place is taken: buffer the message for the feeder thread.
    void buffer_for_feeder(std::string message);
    void check_not_closed() const;
    std::shared_ptr<detail::QueueState> state_;
};

// JoinableQueue: a Queue that counts unfinished tasks; task_done() marks one done and join()
// waits until none is left.
class JoinableQueue : public Queue {
  public:
    explicit JoinableQueue(int maxsize = 0);
    using Queue::put;
    // Queue.put, and one more unfinished task.
    void put(Object* obj, bool block = true, std::optional<double> timeout = std::nullopt) override;
    // ValueError("task_done() called too many times") when nothing is unfinished.
    void task_done();
    void join();
    [[nodiscard]] std::string repr() const override;
};

// SimpleQueue: just the pipe and its two locks; put() writes at once (no feeder thread).
class SimpleQueue {
  public:
    SimpleQueue();
    SimpleQueue(const SimpleQueue&) = delete;
    SimpleQueue& operator=(const SimpleQueue&) = delete;
    ~SimpleQueue();
    void put(Object* obj);
    template <class T>
    void put(const Ref<T>& obj) {
        put(static_cast<Object*>(obj.get()));
    }
    Ref<Object> get();
    [[nodiscard]] bool empty() const;
    void close();

  private:
    std::shared_ptr<detail::QueueState> state_;
};

namespace util {
// What a child process runs before it exits (CPython: util._exit_function, run by
// Process._bootstrap): every Queue of this process is closed and its feeder joined, unless
// cancel_join_thread() was called. The tests' fork helper calls it before _exit; chapter 09's
// Process has no finalizer hook yet, so a target that used a Queue calls it last.
void exit_function();
}  // namespace util

}  // namespace py::multiprocessing
