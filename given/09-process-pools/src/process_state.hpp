// The module-level state of py::multiprocessing (given, not a kata): what CPython keeps in
// Lib/multiprocessing/process.py's globals _current_process, _parent_process, _children and
// _process_counter, and os.register_at_fork's hook lists.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "py/multiprocessing.hpp"

namespace py::multiprocessing::detail {

struct ForkHooks {
    std::function<void()> before;
    std::function<void()> after_in_parent;
    std::function<void()> after_in_child;
};

struct ModuleState {
    std::recursive_mutex mutex;         // guards the fields below
    std::vector<Process*> children;     // _children: started here, not yet known to be done
    int counter = 0;                    // _process_counter: the last number given to a Process
    Process* current = nullptr;         // _current_process; nullptr means the main process
    std::unique_ptr<Process> parent;    // _parent_process, in a child
    std::vector<ForkHooks> fork_hooks;  // os.register_at_fork
    bool exit_handler_installed = false;
    std::string start_method;        // set_start_method's choice; "" until set (then "fork")
    std::vector<int> inherited_fds;  // in a child: the parent's pass_fds, as this process has them
};

// True in a process started by spawn until its main guard has taken over: code that starts a
// spawn child then is running where only the guard should run (_check_not_importing_main).
bool& inheriting();

ModuleState& module_state();

// The "MainProcess" object of this process (created on first use).
Process& main_process();

// Removes `process` from the children list, if it is there.
void forget_child(Process* process);

// After fork, in the child: the parent's children are not ours, numbering restarts at 1.
void reset_after_fork_in_child(Process* current, std::unique_ptr<Process> parent);

// CPython's util._exit_function at interpreter exit: terminate daemonic children, then join
// every child. Installed with atexit() by the first start().
void install_exit_handler();

// Calls __gcov_dump() when the library is built for coverage, so a child that leaves with
// _exit() still records what it ran.
void dump_coverage() noexcept;

}  // namespace py::multiprocessing::detail
