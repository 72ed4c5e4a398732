// Shared by the chapter 08 tests: factories that count and fail on demand, a rendezvous that
// forces an interleaving, and a way to release many threads at once.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "py/singleton.hpp"
#include "workbook/asleep.hpp"

namespace singleton_test {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kUnderThreadSanitizer = true;
#else
inline constexpr bool kUnderThreadSanitizer = false;
#endif
#else
inline constexpr bool kUnderThreadSanitizer = false;
#endif

// A factory for the singletons: counts its calls, and throws py::RuntimeError("constructor
// failed") on its first `failures` calls (a constructor that fails).
class CountingFactory {
  public:
    explicit CountingFactory(int failures = 0) : failures_left_(failures) {}

    py::singleton::Factory factory(const std::string& name = "x") {
        return [this, name]() -> std::unique_ptr<py::singleton::Widget> {
            calls_.fetch_add(1);
            int left = failures_left_.load();
            while (left > 0 && !failures_left_.compare_exchange_weak(left, left - 1)) {
            }
            if (left > 0) {
                throw py::RuntimeError("constructor failed");
            }
            return std::make_unique<py::singleton::Widget>(name);
        };
    }
    [[nodiscard]] int calls() const { return calls_.load(); }

  private:
    std::atomic<int> calls_{0};
    std::atomic<int> failures_left_;
};

// `parties` threads meet here: arrive_and_wait() returns once all have arrived. It is a safety
// net, not a timer: if they have not all arrived after `patience` (a broken implementation that
// skips the hook), it gives up, remembers that, and lets the test fail instead of hang.
class Rendezvous {
  public:
    explicit Rendezvous(int parties, std::chrono::seconds patience = std::chrono::seconds(5))
        : parties_(parties), patience_(patience) {}

    void arrive_and_wait() {
        std::unique_lock lock(mutex_);
        if (++arrived_ >= parties_) {
            all_here_.notify_all();
            return;
        }
        if (!all_here_.wait_for(lock, patience_, [this] { return arrived_ >= parties_; })) {
            gave_up_ = true;
        }
    }
    // A hook that meets here: pass it as a singleton's Hook.
    py::singleton::Hook hook() {
        return [this] { arrive_and_wait(); };
    }
    [[nodiscard]] bool gave_up() const {
        const std::lock_guard lock(mutex_);
        return gave_up_;
    }
    [[nodiscard]] int arrived() const {
        const std::lock_guard lock(mutex_);
        return arrived_;
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable all_here_;
    int parties_;
    int arrived_ = 0;
    bool gave_up_ = false;
    std::chrono::seconds patience_;
};

// Threads that will block in the code under test. Each calls announce() first; the thread that
// must wait for the others to block calls others_asleep(), which returns true once every other
// announced thread is asleep in the kernel (false if one never got there: a broken kata).
class SleepingThreads {
  public:
    explicit SleepingThreads(int parties) : tids_(static_cast<std::size_t>(parties)) {}

    void announce() {
        tids_[static_cast<std::size_t>(next_.fetch_add(1))] = workbook::current_tid();
        announced_.fetch_add(1);  // only now is this thread's slot filled in
    }

    [[nodiscard]] bool others_asleep() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (announced_.load() < static_cast<int>(tids_.size())) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::yield();
        }
        const pid_t self = workbook::current_tid();
        for (const auto& tid : tids_) {
            if (tid.load() != self && !workbook::wait_until_asleep(tid.load())) {
                return false;
            }
        }
        return true;
    }

  private:
    std::vector<std::atomic<pid_t>> tids_;
    std::atomic<int> next_{0};       // slots handed out
    std::atomic<int> announced_{0};  // slots filled in
};

// What one thread got: the object (and its name, read in that thread) or the error's message.
struct Outcome {
    const py::singleton::Widget* widget = nullptr;
    std::string name;
    std::string error;
};

// Starts `threads` threads, releases them together through a latch, and has each call `get()`
// once. Returns what each got, in thread order.
inline std::vector<Outcome> call_together(int threads,
                                          const std::function<py::singleton::Widget&()>& get) {
    std::vector<Outcome> outcomes(static_cast<std::size_t>(threads));
    std::latch start(threads);
    {
        std::vector<std::jthread> workers;
        workers.reserve(outcomes.size());
        for (Outcome& outcome : outcomes) {
            workers.emplace_back([&start, &get, &outcome] {
                start.arrive_and_wait();
                try {
                    const py::singleton::Widget& widget = get();
                    outcome.widget = &widget;
                    outcome.name = widget.name;  // TSan checks this read is ordered after the write
                } catch (const std::exception& error) {
                    outcome.error = error.what();
                }
            });
        }
    }  // jthreads join here
    return outcomes;
}

// The distinct objects the threads got.
inline std::set<const py::singleton::Widget*> distinct_widgets(
    const std::vector<Outcome>& outcomes) {
    std::set<const py::singleton::Widget*> widgets;
    for (const Outcome& outcome : outcomes) {
        if (outcome.widget != nullptr) {
            widgets.insert(outcome.widget);
        }
    }
    return widgets;
}

// The errors the threads got (empty strings left out).
inline std::vector<std::string> errors_of(const std::vector<Outcome>& outcomes) {
    std::vector<std::string> errors;
    for (const Outcome& outcome : outcomes) {
        if (!outcome.error.empty()) {
            errors.push_back(outcome.error);
        }
    }
    return errors;
}

// The message of the py::RuntimeError that `action` throws, or "" if it throws none.
template <class Action>
std::string runtime_error_of(Action action) {
    try {
        action();
    } catch (const py::RuntimeError& error) {
        return error.what();
    }
    return "";
}

}  // namespace singleton_test
