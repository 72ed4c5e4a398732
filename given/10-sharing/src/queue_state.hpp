// What a Queue is made of (not a kata: the kata is what put, get and the feeder do with it).
#pragma once

#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "py/connection.hpp"
#include "py/synchronize.hpp"

namespace py::multiprocessing::detail {

// Lives in a MAP_SHARED mapping that every forked process shares.
struct QueueShared {
    explicit QueueShared(int maxsize) : sem(maxsize) {}
    // Chapter 09's process-shared locks (each keeps its state in a shared mapping of its own).
    Lock rlock;            // one reader at a time takes a whole message
    Lock wlock;            // one writer at a time puts a whole message
    BoundedSemaphore sem;  // free places
    // JoinableQueue only: the unfinished-task count under a process-shared mutex and condition
    // (CPython: Semaphore(0) + Condition()).
    pthread_mutex_t tasks_mutex{};
    pthread_cond_t tasks_done{};
    long unfinished_tasks = 0;
};

// Per process: the buffer between put() and the feeder thread. A forked child gets a copy of the
// parent's, whose thread does not exist in the child; the queue then makes a fresh one (and
// leaks the copy on purpose: destroying a std::thread object that looks joinable would terminate).
struct Feeder {
    pid_t pid = ::getpid();
    std::mutex mutex;
    std::condition_variable not_empty;
    std::deque<std::optional<std::string>> buffer;  // nullopt: the sentinel "close and exit"
    std::thread thread;
    bool started = false;
    bool join_cancelled = false;
};

struct QueueState {
    QueueState(connection::Connection reader, connection::Connection writer, int maxsize,
               bool joinable);
    QueueState(const QueueState&) = delete;
    QueueState& operator=(const QueueState&) = delete;
    ~QueueState();

    // This process's feeder (a fresh one after a fork).
    Feeder& feeder();

    connection::Connection reader;
    connection::Connection writer;
    int maxsize;
    bool joinable;
    QueueShared* shared = nullptr;  // in its own MAP_SHARED mapping
    Feeder* feeder_ = nullptr;
    bool closed = false;
};

// The queues of this process that util::exit_function() closes and joins.
void register_queue(const std::shared_ptr<QueueState>& state);

}  // namespace py::multiprocessing::detail
