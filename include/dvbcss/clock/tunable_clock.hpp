#pragma once

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/time.hpp>

namespace dvbcss::clock {

/// A correlated clock that is steered "from now": changing its speed, slew or tick rate first
/// rebases the correlation at the current instant, so the tick value never jumps; only its rate
/// of advance changes. Models a locally generated timeline (a media player's position, a
/// simulated TV's clock) that is nudged rather than replaced.
///
/// At construction it shows `start_ticks` and runs at speed 1.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use the whole tree from one thread
/// or executor.
class tunable_clock : public correlated_clock {
public:
    /// `tick_rate`: finite and > 0, else std::invalid_argument. `parent` must outlive this clock.
    tunable_clock(clock_base& parent, double tick_rate, tick_t start_ticks = 0);

    /// Rebases at the current instant, then sets the speed (no jump) and notifies.
    void set_speed(double s) override;

    /// Rebases at the current instant, then sets the tick rate (no jump) and notifies.
    void set_tick_rate(double r) override;

    /// Ticks per second gained (> 0) or lost (< 0) relative to speed 1: (speed - 1) * tick rate.
    [[nodiscard]] double slew() const;

    /// Sets the slew, in ticks per second: speed becomes 1 + slew / tick rate (from now).
    void set_slew(double ticks_per_second);

    /// Moves the tick value by `offset` ticks at once (a jump) and notifies.
    void adjust_ticks(tick_t offset);

    /// Rebases at the current instant and sets the error there to `current_ns` nanoseconds,
    /// growing by `growth_rate` (seconds of error per second of parent time) away from now.
    /// Notifies. Both must be finite and >= 0, else std::invalid_argument.
    void set_error(double current_ns, double growth_rate = 0);
};

} // namespace dvbcss::clock
