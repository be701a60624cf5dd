#pragma once

/// Converting transport timestamps (CLOCK_MONOTONIC nanoseconds, from the kernel or from user
/// space) into nanoseconds of a clock in a clock tree, for the CSS-WC server (t2, t3 on its wall
/// clock) and client (t1, t4 on its local clock).

#include <dvbcss/clock/clock_base.hpp>

#include <cstdint>

namespace dvbcss::net {

/// Reads a clock of a clock tree at a given CLOCK_MONOTONIC instant, in nanoseconds of that clock
/// (tick value * 1e9 / tick rate, floored).
///
/// When the tree's root is a `sys_clock` reading the OS monotonic clock, the conversion is exact:
/// the root's tick value at that instant is computed and carried down the tree. For any other
/// root (a fake time source in tests), the clock is read now and moved back by the instant's age
/// times the clock's effective speed.
///
/// Thread safety: as the clock tree it reads (distinct objects safe; shared objects unsafe).
class wall_clock_time {
public:
    /// `clk` must outlive this object.
    explicit wall_clock_time(const clock::clock_base& clk);

    /// The clock's nanoseconds at CLOCK_MONOTONIC time `monotonic_ns`.
    [[nodiscard]] std::int64_t at_monotonic(std::int64_t monotonic_ns) const;

    /// The clock's nanoseconds now.
    [[nodiscard]] std::int64_t now() const;

    /// True if the root reads CLOCK_MONOTONIC, so kernel timestamps convert exactly.
    [[nodiscard]] bool exact() const noexcept { return exact_; }

    [[nodiscard]] const clock::clock_base& clock() const noexcept { return *clock_; }

private:
    const clock::clock_base* clock_;
    bool exact_ = false;
};

} // namespace dvbcss::net
