#pragma once

/// Time vocabulary shared by every area. Conventions (see docs/time.md):
/// - Instants and durations on a monotonic timebase are integer nanoseconds (`std::int64_t`,
///   `std::chrono::nanoseconds` in APIs). Wire timestamps are never floating point.
/// - Clock ticks are `tick_t` (long double: its 64-bit significand holds every int64 exactly, so a
///   system clock's integer ticks are exact and derived clocks keep sub-nanosecond resolution for
///   centuries of uptime). A tick value is always paired with its clock's tick rate.
/// - Errors, dispersions and precisions are `double` nanoseconds, always >= 0 (an error bound);
///   +infinity means "unbounded / not comparable".
/// - Frequency errors are parts per million (ppm) at API boundaries, and dimensionless ratios
///   (seconds of error per second of time) inside the clock model.

#include <chrono>
#include <cstdint>

namespace dvbcss {

using nanoseconds = std::chrono::nanoseconds;

/// A tick value of a clock. See the file comment for why it is long double.
using tick_t = long double;

/// Nanoseconds per second, as the integer the wire uses.
inline constexpr std::int64_t nanos_per_second = 1'000'000'000;

} // namespace dvbcss
