// The loop's Chrome trace (given, not a kata; chapters/11-coroutines/README.md §9): see trace.hpp.
#include "trace.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "loop_impl.hpp"

namespace py::asyncio {

// Writes the trace: the JSON array's brackets, one event a line.
class Tracer {
  public:
    // Writes to a file it owns (OSError, FileNotFoundError as open() raises them) or to a stream
    // the caller keeps alive until the trace is finished.
    explicit Tracer(const std::string& path);
    explicit Tracer(std::ostream& out);
    ~Tracer();  // finish()
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

    // The callback being run: opened before it, written after it.
    void begin_handle(const HandleState* handle);  // null: a task's step
    void name_task_step(const std::string& task_name);
    void end_handle();
    // One wait in epoll_wait, from `started` (now_ns()) to now.
    void wait(std::int64_t started, int timeout_ms, std::size_t queued);
    // Closes the JSON array; nothing is written after.
    void finish();

    static std::int64_t now_ns();

  private:
    void start();
    void write(const nlohmann::ordered_json& event);
    [[nodiscard]] double micros(std::int64_t ns) const;
    nlohmann::ordered_json slice(const char* name, const char* category, std::int64_t start,
                                 std::int64_t end) const;

    std::ofstream file_;
    std::ostream* out_;
    std::int64_t origin_ = now_ns();
    long pid_;
    long tid_;
    bool first_ = true;
    bool finished_ = false;

    // The open callback slice.
    bool in_handle_ = false;
    std::int64_t handle_start_ = 0;
    std::string handle_name_;
    const char* handle_category_ = "callback";
    double timer_when_ = 0;  // a timer's deadline, loop.time() seconds
};

namespace {

// open()'s errors: "[Errno 2] No such file or directory: 'path'".
[[noreturn]] void raise_open_error(int error, const std::string& path) {
    std::string text =
        "[Errno " + std::to_string(error) + "] " + std::strerror(error) + ": '" + path + "'";
    if (error == ENOENT) {
        throw FileNotFoundError(text);
    }
    throw OSError(text);
}

Tracer* tracer_of(EventLoop& loop) {
    return loop.impl().tracer.get();
}

}  // namespace

Tracer::Tracer(const std::string& path) : out_(&file_), pid_(::getpid()), tid_(::gettid()) {
    errno = 0;
    file_.open(path, std::ios::out | std::ios::trunc);
    if (!file_) {
        raise_open_error(errno != 0 ? errno : EIO, path);
    }
    start();
}

Tracer::Tracer(std::ostream& out) : out_(&out), pid_(::getpid()), tid_(::gettid()) {
    start();
}

Tracer::~Tracer() {
    finish();
}

std::int64_t Tracer::now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);  // the loop's clock (EventLoop::time)
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

double Tracer::micros(std::int64_t ns) const {
    return static_cast<double>(ns - origin_) / 1000.0;
}

void Tracer::start() {
    *out_ << "[";
    // Metadata events: what Perfetto shows as the process's and the thread's names.
    write({{"name", "process_name"},
           {"ph", "M"},
           {"pid", pid_},
           {"tid", tid_},
           {"args", {{"name", "py::asyncio"}}}});
    write({{"name", "thread_name"},
           {"ph", "M"},
           {"pid", pid_},
           {"tid", tid_},
           {"args", {{"name", "event loop"}}}});
}

void Tracer::write(const nlohmann::ordered_json& event) {
    if (finished_) {
        return;
    }
    *out_ << (first_ ? "\n" : ",\n")
          << event.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    first_ = false;
}

void Tracer::finish() {
    if (finished_) {
        return;
    }
    *out_ << "\n]\n";
    out_->flush();
    finished_ = true;
    if (file_.is_open()) {
        file_.close();
    }
}

nlohmann::ordered_json Tracer::slice(const char* name, const char* category, std::int64_t start,
                                     std::int64_t end) const {
    return {{"name", name},
            {"cat", category},
            {"ph", "X"},
            {"ts", micros(start)},
            {"dur", static_cast<double>(end - start) / 1000.0},
            {"pid", pid_},
            {"tid", tid_}};
}

void Tracer::begin_handle(const HandleState* handle) {
    in_handle_ = true;
    handle_start_ = now_ns();
    timer_when_ = 0;
    if (handle != nullptr && handle->persistent) {
        handle_name_ = "fd ready";
        handle_category_ = "io";
    } else if (handle != nullptr && handle->when > 0) {  // only call_at sets a deadline
        handle_name_ = "timer";
        handle_category_ = "timer";
        timer_when_ = handle->when;
    } else {
        handle_name_ = "callback";
        handle_category_ = "callback";
    }
}

void Tracer::name_task_step(const std::string& task_name) {
    if (in_handle_) {
        handle_name_ = task_name;
        handle_category_ = "task";
    }
}

void Tracer::end_handle() {
    if (!in_handle_) {
        return;
    }
    in_handle_ = false;
    nlohmann::ordered_json event =
        slice(handle_name_.c_str(), handle_category_, handle_start_, now_ns());
    if (timer_when_ > 0) {
        auto due = static_cast<std::int64_t>(timer_when_ * 1e9);
        event["args"] = {{"due", micros(due)},
                         {"late_us", static_cast<double>(handle_start_ - due) / 1000.0}};
    }
    write(event);
}

void Tracer::wait(std::int64_t started, int timeout_ms, std::size_t queued) {
    nlohmann::ordered_json event = slice("select", "loop", started, now_ns());
    event["args"] = {{"timeout_ms", timeout_ms}, {"queued", queued}};
    write(event);
}

TracedHandle::TracedHandle(EventLoop& loop, const HandleState* handle) : loop_(loop) {
    if (Tracer* tracer = tracer_of(loop)) {
        tracer->begin_handle(handle);
    }
}

TracedHandle::~TracedHandle() {
    // Asked again: the callback may have stopped the trace or started another one (whose
    // end_handle without a begin_handle writes nothing).
    if (Tracer* tracer = tracer_of(loop_)) {
        try {
            tracer->end_handle();
        } catch (...) {  // out of memory for the event: the trace loses this slice
        }
    }
}

TracedWait::TracedWait(EventLoop& loop, int timeout_ms) : loop_(loop), timeout_ms_(timeout_ms) {
    if (tracer_of(loop) != nullptr) {
        open_ = true;
        ready_before_ = loop.ready_count();
        started_ = Tracer::now_ns();
    }
}

void TracedWait::end() noexcept {
    if (!open_) {
        return;
    }
    open_ = false;
    if (Tracer* tracer = tracer_of(loop_)) {
        std::size_t ready = loop_.ready_count();
        try {
            tracer->wait(started_, timeout_ms_, ready > ready_before_ ? ready - ready_before_ : 0);
        } catch (...) {  // out of memory for the event: the trace loses this slice
        }
    }
}

void trace_task_step(EventLoop& loop, const TaskBase& task) {
    if (Tracer* tracer = tracer_of(loop)) {
        tracer->name_task_step(task.get_name());
    }
}

// ---------------------------------------------------------------------------------------------
// The EventLoop's side.

void TracerDeleter::operator()(Tracer* tracer) const {
    delete tracer;  // NOLINT(cppcoreguidelines-owning-memory): the unique_ptr's deleter
}

void EventLoop::set_trace(const std::string& path) {
    auto tracer = std::make_unique<Tracer>(path);  // raises before the old trace is finished
    impl_->tracer.reset(tracer.release());
}

void EventLoop::set_trace(std::ostream& out) {
    impl_->tracer.reset(std::make_unique<Tracer>(out).release());
}

void EventLoop::stop_trace() {
    impl_->tracer.reset();  // ~Tracer finishes the JSON
}

bool EventLoop::tracing() const {
    return impl_->tracer != nullptr;
}

}  // namespace py::asyncio
