#pragma once

/// Scheduling requests a program makes for its own threads (Linux): a short time slice for a
/// thread that must answer within microseconds, a lower priority for bulk work.

#include <chrono>

namespace dvbcss::tools {

/// Asks the kernel to give the calling thread time slices of `slice` (an EEVDF custom slice:
/// `sched_setattr` with `sched_runtime` under SCHED_OTHER, Linux 6.12 and later, 0.1-100 ms). A
/// thread that wakes with a short slice gets an early virtual deadline and so preempts a thread
/// running a default slice (about 3 ms) at once, instead of waiting for it: what the CSS-WC thread
/// needs while WebSocket threads keep every core busy. Needs no privilege and changes neither the
/// policy nor the nice value. Returns true if the kernel applied it (read back with
/// `sched_getattr`); false on kernels without custom slices (the request is then ignored) or if
/// refused.
///
/// Thread safety: affects only the calling thread.
bool request_time_slice(std::chrono::nanoseconds slice) noexcept;

/// Sets the calling thread's nice value (19 lowest priority to -20 highest; raising it needs no
/// privilege). Returns false if refused.
///
/// Thread safety: affects only the calling thread.
bool set_thread_niceness(int nice) noexcept;

} // namespace dvbcss::tools
