#pragma once

/// Where the root of every clock tree reads time: a monotonic nanosecond counter. Production code
/// uses `monotonic_time_source`; tests inject a fake one (tests/support/fake_time_source.hpp).

#include <cstdint>

namespace dvbcss::clock {

/// A source of monotonic time in integer nanoseconds since an arbitrary epoch.
///
/// Thread safety: implementations document their own; `monotonic_time_source` is safe to call
/// from any thread.
class time_source {
public:
    virtual ~time_source() = default;

    /// Current time, nanoseconds. Never decreases.
    [[nodiscard]] virtual std::int64_t now_ns() const = 0;
};

/// The OS monotonic clock. Reads CLOCK_MONOTONIC: it is the clock Asio's steady_timer, condition
/// variables and the kernel's socket timestamps can be mapped onto, and NTP only slews its rate
/// (never steps it), which keeps the local clock's frequency error inside the advertised bound.
/// CLOCK_MONOTONIC_RAW would expose the raw oscillator's error (often tens of ppm) and cannot be
/// waited on with timers, so every wake-up would need a conversion.
///
/// Thread safety: safe from any thread (stateless).
class monotonic_time_source final : public time_source {
public:
    [[nodiscard]] std::int64_t now_ns() const override;

    /// A shared instance, for code that wants the OS clock without owning one.
    static const monotonic_time_source& instance() noexcept;
};

} // namespace dvbcss::clock
