// For tests that must know a thread is really blocked (asleep in the kernel, e.g. in a futex
// wait) before they go on: "a waiter that fell asleep is woken" cannot be tested by hoping the
// waiter got that far. Linux only: reads the state letter of /proc/self/task/TID/stat.
//
// This is an observation, not a timer: wait_until_asleep() polls (yielding) until the kernel says
// 'S', and gives up only after `patience` (a broken implementation whose thread never blocks),
// so that the test fails instead of hanging.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace workbook {

// The calling thread's kernel id (gettid()).
inline pid_t current_tid() noexcept {
    return static_cast<pid_t>(::syscall(SYS_gettid));
}

// The state letter of thread `tid` of this process: 'R' running, 'S' asleep (interruptible:
// futex, poll, read), 'D', 'T', ... '?' if it is gone.
inline char thread_state(pid_t tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // "tid (comm) S ...": the name may contain spaces and parentheses, so look after the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) {
        return '?';
    }
    return text[close + 2];
}

// Whether thread `tid` was seen asleep within `patience`.
inline bool wait_until_asleep(pid_t tid,
                              std::chrono::milliseconds patience = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < deadline) {
        const char state = thread_state(tid);
        if (state == 'S') {
            return true;
        }
        if (state == '?') {
            return false;  // the thread is gone: it will not fall asleep any more
        }
        std::this_thread::yield();
    }
    return false;
}

}  // namespace workbook
