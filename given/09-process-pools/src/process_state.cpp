// Module-level state of py::multiprocessing (given, not a kata).
#include "process_state.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

// libgcov's entry point exists only in a coverage build; a weak reference is null otherwise.
extern "C" void __gcov_dump() __attribute__((weak));  // NOLINT(bugprone-reserved-identifier)

namespace py::multiprocessing::detail {

ModuleState& module_state() {
    static ModuleState* state = new ModuleState;  // never destroyed: children may outlive main
    return *state;
}

Process& main_process() {
    static Process* main = new Process(Process::Existing{"MainProcess", ::getpid(), -1});
    return *main;
}

void forget_child(Process* process) {
    ModuleState& state = module_state();
    std::lock_guard lock(state.mutex);
    std::erase(state.children, process);
}

void reset_after_fork_in_child(Process* current, std::unique_ptr<Process> parent) {
    ModuleState& state = module_state();
    // The mutex was copied in whatever state the parent's threads left it: start afresh.
    new (&state.mutex) std::recursive_mutex();
    state.children.clear();
    state.counter = 0;
    state.current = current;
    (void)state.parent.release();  // the parent's object belongs to the parent's memory image
    state.parent = std::move(parent);
}

namespace {

void exit_function() {
    ModuleState& state = module_state();
    std::vector<Process*> children;
    {
        std::lock_guard lock(state.mutex);
        children = state.children;
    }
    for (Process* child : children) {
        if (child->daemon()) {
            child->terminate();
        }
    }
    for (Process* child : children) {
        child->join();
    }
}

}  // namespace

void install_exit_handler() {
    ModuleState& state = module_state();
    std::lock_guard lock(state.mutex);
    if (!state.exit_handler_installed) {
        state.exit_handler_installed = true;
        std::atexit(&exit_function);
    }
}

bool& inheriting() {
    static bool value = [] {
        // The command line as the kernel has it: NUL-separated arguments.
        std::FILE* file = std::fopen("/proc/self/cmdline", "rb");
        if (file == nullptr) {
            return false;
        }
        std::string all;
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
            all.append(buffer, n);
        }
        std::fclose(file);
        return all.find(std::string("--workbook-spawn-child\0", 23)) != std::string::npos;
    }();
    return value;
}

void dump_coverage() noexcept {
    if (&__gcov_dump != nullptr) {
        __gcov_dump();
    }
}

}  // namespace py::multiprocessing::detail
