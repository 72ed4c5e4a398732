// Chapter 07: deadlock detection and avoidance for the py::threading locks of chapter 06.
//
// Three tools, as in the lesson:
// - Before it happens (§1-§5): a lock-order graph. Every time a thread acquires a lock while it
//   holds others, each held lock gets an edge to the new one, remembered with the thread and the
//   place where that order was first seen. An edge that closes a cycle means two code paths take
//   the same locks in opposite orders: they can deadlock, even if this run did not. A Lock
//   acquired again by the thread that holds it is reported at once.
// - While it happens (§6): find_deadlocks() builds the wait-for graph (thread -> lock it waits
//   for -> thread that holds it) and returns its cycles.
// - Avoidance (§7): acquire_all() takes several locks without deadlocking against any other
//   acquire_all of the same locks, in whatever order they are listed.
//
// Detection is a lock observer (py/lock_observer.hpp, chapter 06): deadlock::enable() installs
// it, deadlock::disable() removes it, and then a lock costs what it cost in chapter 06 again.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/lock_observer.hpp"
#include "py/locks.hpp"
#include "py/threading.hpp"

namespace py::threading {

// One edge of the lock-order graph: `after` was acquired while `before` was held.
struct LockOrder {
    const void* before = nullptr;
    const void* after = nullptr;
    std::string before_name;
    std::string after_name;
    Ident thread = 0;         // the thread that first took them in this order
    std::string thread_name;  // its name then ("MainThread", "Thread-3 (task1)", ...)
    std::string where;        // "file.cpp:42" of that acquisition of `after`, "" if unknown
};

// What the detector found.
struct DeadlockReport {
    enum class Kind {
        SelfDeadlock,    // a thread acquires a Lock it already holds
        LockOrderCycle,  // an acquisition closes a cycle in the lock-order graph
    };
    Kind kind = Kind::LockOrderCycle;
    // LockOrderCycle: the cycle's edges, starting with the new one (held -> acquired) and then
    // following the graph back to the held lock. SelfDeadlock: one edge from the lock to itself.
    std::vector<LockOrder> cycle;
    std::string message;  // the text of the py::DeadlockError
};

// One thread of a deadlock happening now.
struct WaitingThread {
    Ident thread = 0;
    std::string thread_name;
    const void* lock = nullptr;  // the lock it is blocked acquiring
    std::string lock_name;
    Ident owner = 0;  // the thread holding that lock: the next one in the cycle
};

namespace deadlock {

// Installs the detector as the process's lock observer (idempotent).
void enable();
// Removes it; what it learnt is kept until reset().
void disable();
[[nodiscard]] bool is_enabled() noexcept;
// Forgets the lock-order graph, the threads' held locks, lock names and the last report.
void reset();

// Who hears about a report. Empty (the default): the acquiring thread gets py::DeadlockError
// and the lock is not touched. A hook: it is called in the acquiring thread and the acquisition
// goes on, except a blocking acquire of a Lock the thread already holds without a timeout, which
// can never succeed and still raises. Returns the previous hook.
using ReportHook = std::function<void(const DeadlockReport&)>;
ReportHook set_report_hook(ReportHook hook);

// A name for reports and pictures. Unnamed locks are "Lock@0x..." or "RLock@0x...".
void set_name(const void* lock, std::string name);
[[nodiscard]] std::string name_of(const void* lock);

// Every edge of the lock-order graph, in the order first seen.
[[nodiscard]] std::vector<LockOrder> lock_orders();
// The last report (raised or given to the hook), if any since reset().
[[nodiscard]] std::optional<DeadlockReport> last_report();
// The lock-order graph in Graphviz DOT: one node per lock, one edge per order with the thread
// and the place; the last report's cycle in red (a refused edge dashed).
void write_dot(std::ostream& out);

// Tells the detector where this thread's next acquisition happens (a lock observer cannot see
// its caller). Hold does it for you; a plain lock.acquire() is reported without a place. The
// defaults are the caller's file and line (GCC and clang builtins: std::source_location does not
// compile with clang 14, which clang-tidy uses, against GCC 12's library).
void note_site(const char* file = __builtin_FILE(), int line = __builtin_LINE());

// Python's `with lock:` that also records where: acquires in the constructor, releases in the
// destructor.
template <class Lockable>
class Hold {
  public:
    explicit Hold(Lockable& lock, const char* file = __builtin_FILE(), int line = __builtin_LINE())
        : lock_(lock) {
        note_site(file, line);
        lock_.acquire();
    }
    ~Hold() { lock_.release(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

  private:
    Lockable& lock_;
};

}  // namespace deadlock

// The deadlocks happening now: every cycle of the wait-for graph, each listed from the thread
// with the smallest ident, each thread followed by the owner of the lock it waits for. Needs
// deadlock::enable() (the observer is what knows who waits).
[[nodiscard]] std::vector<std::vector<WaitingThread>> find_deadlocks();

// Acquires every lock in `locks` without deadlocking against another acquire_all of the same
// locks in any order: take one blocking, try the others without blocking, and if one is busy
// release everything and start again blocking on the busy one. ValueError("acquire_all() got
// the same lock twice") for a repeated lock.
void acquire_all(std::initializer_list<Lock*> locks);
// Releases every lock in `locks`.
void release_all(std::initializer_list<Lock*> locks);

}  // namespace py::threading
