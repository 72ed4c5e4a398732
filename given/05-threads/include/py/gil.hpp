// The global interpreter lock (CPython: Python/ceval_gil.c, 3.11).
//
// One lock that a thread must hold while it touches the runtime of chapters 01-04 (refcounts,
// lists, dicts, the collector). Our "bytecode" is C++, so there is no evaluation loop to
// interrupt: a thread holding the GIL calls `py::gil::yield_if_requested()` at its check points
// (in every long loop), the way CPython's eval loop checks `eval_breaker` between instructions.
//
// Switching follows CPython's "new GIL" (Antoine Pitrou, 3.2):
// - a thread that wants the GIL waits at most `get_switch_interval()` seconds (default 0.005);
//   if nobody switched in that time, it sets the drop request;
// - the holder sees the request at its next check point, drops the GIL, and then waits until
//   another thread has taken it (FORCE_SWITCHING), so it cannot take it straight back;
// - a blocking call drops the GIL around the wait (`py::gil::Release`) and takes it back after.
//
// Nobody holds the GIL when the program starts: a thread takes it with `py::gil::Hold` around
// runtime work (like PyGILState_Ensure in a C thread that calls into Python).
#pragma once

#include <cstdint>

namespace py::gil {

// sys.setswitchinterval / sys.getswitchinterval, in seconds. ValueError("switch interval must be
// strictly positive") for a value <= 0.
void set_switch_interval(double seconds);
[[nodiscard]] double get_switch_interval() noexcept;

// Does the calling thread hold the GIL? (PyGILState_Check)
[[nodiscard]] bool held() noexcept;
// Does any thread hold it?
[[nodiscard]] bool locked() noexcept;
// How many times the GIL went to a different thread than the one that held it last (CPython's
// gil->switch_number).
[[nodiscard]] std::uint64_t switch_number() noexcept;
// Is a waiting thread asking the holder to drop the GIL? (gil_drop_request)
[[nodiscard]] bool drop_requested() noexcept;

// take_gil: blocks until the calling thread holds the GIL. RuntimeError("the GIL is already held
// by this thread") if it does already (CPython makes that a fatal error).
void acquire();
// drop_gil: RuntimeError("the GIL is not held by this thread") if the caller does not hold it.
void release();

// The eval breaker's check point. If the caller holds the GIL and a waiter asked for it: drop it,
// wait until another thread has taken it, take it back, and return true. Otherwise return false
// at the cost of one atomic load.
bool yield_if_requested();

// RAII take: acquires the GIL unless the calling thread holds it already; gives it back on
// destruction only if it took it (so Holds nest, like PyGILState_Ensure/Release).
class Hold {
  public:
    Hold();
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

  private:
    bool took_;
};

// RAII drop around a blocking call (Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS): drops the
// GIL if the calling thread holds it, takes it back on destruction.
class Release {
  public:
    Release();
    ~Release();
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;

  private:
    bool dropped_;
};

}  // namespace py::gil
