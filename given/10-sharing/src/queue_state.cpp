#include "queue_state.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <vector>

#include "os_error.hpp"
#include "py/queues.hpp"

namespace py::multiprocessing::detail {
namespace {

std::mutex registry_mutex;
std::vector<std::weak_ptr<QueueState>>& registry() {
    static auto* queues = new std::vector<std::weak_ptr<QueueState>>();  // never destroyed
    return *queues;
}

}  // namespace

QueueState::QueueState(connection::Connection reader_end, connection::Connection writer_end,
                       int max, bool is_joinable)
    : reader(std::move(reader_end)),
      writer(std::move(writer_end)),
      maxsize(max),
      joinable(is_joinable) {
    void* block = ::mmap(nullptr, sizeof(QueueShared), PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
        raise_os_error(errno);
    }
    shared = new (block) QueueShared(maxsize);
    pthread_mutexattr_t mutex_attributes;
    pthread_mutexattr_init(&mutex_attributes);
    pthread_mutexattr_setpshared(&mutex_attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&shared->tasks_mutex, &mutex_attributes);
    pthread_mutexattr_destroy(&mutex_attributes);
    pthread_condattr_t cond_attributes;
    pthread_condattr_init(&cond_attributes);
    pthread_condattr_setpshared(&cond_attributes, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&shared->tasks_done, &cond_attributes);
    pthread_condattr_destroy(&cond_attributes);
    feeder_ = new Feeder();
}

QueueState::~QueueState() {
    // Only the creating process gets here (children leave with _exit), after the feeder is gone.
    delete feeder_;
    pthread_cond_destroy(&shared->tasks_done);
    pthread_mutex_destroy(&shared->tasks_mutex);
    shared->~QueueShared();
    ::munmap(shared, sizeof(QueueShared));
}

Feeder& QueueState::feeder() {
    if (feeder_->pid != ::getpid()) {
        feeder_ = new Feeder();  // the parent's copy is leaked on purpose (see Feeder)
    }
    return *feeder_;
}

void register_queue(const std::shared_ptr<QueueState>& state) {
    const std::lock_guard guard(registry_mutex);
    auto& queues = registry();
    std::erase_if(queues, [](const auto& weak) { return weak.expired(); });
    queues.push_back(state);
}

}  // namespace py::multiprocessing::detail

namespace py::multiprocessing::util {

void exit_function() {
    std::vector<std::shared_ptr<detail::QueueState>> alive;
    {
        const std::lock_guard guard(detail::registry_mutex);
        for (const auto& weak : detail::registry()) {
            if (auto state = weak.lock()) {
                alive.push_back(std::move(state));
            }
        }
    }
    for (const auto& state : alive) {
        detail::Feeder& feeder = state->feeder();
        {
            const std::lock_guard guard(feeder.mutex);
            if (!feeder.started) {
                continue;
            }
            if (!state->closed) {
                state->closed = true;
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
}

}  // namespace py::multiprocessing::util
