// Deadlines for the timed waits of src/ (not a public header): a timeout in seconds becomes a
// point on the steady clock, and a wait that wakes early waits again for what is left of it.
#pragma once

#include <chrono>

namespace py::threading::detail {

using Clock = std::chrono::steady_clock;

// `seconds` from now.
inline Clock::time_point deadline_after(double seconds) {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Seconds left until `deadline` (negative once it has passed).
inline double seconds_until(Clock::time_point deadline) {
    return std::chrono::duration<double>(deadline - Clock::now()).count();
}

}  // namespace py::threading::detail
