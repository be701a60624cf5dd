#pragma once

/// A timeline source backed by a clock of the clock tree (the reference's
/// SimpleClockTimelineSource): the TV's PTS or TEMI clock becomes control timestamps, and every
/// change of that clock is pushed to the servers the source is attached to.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::ts {

/// Reports a timeline clock as control timestamps for one timeline selector (exact match).
///
/// The control timestamp, computed from a single reading of the root of the clock tree:
/// - `content_time`: the timeline clock's tick value at that instant, rounded down to a whole tick
///   (floor: the last tick the timeline has reached; equals the reference's truncation for
///   non-negative values);
/// - `wall_clock_time`: the wall clock time, in nanoseconds rounded to the nearest, at which the
///   timeline was exactly at `content_time` (so the pair is an exact correlation, whatever the
///   tick rate: the reference paired the truncated tick with the reading's time, an error of up
///   to one tick, 20 ms for a 50 Hz TEMI timeline). At speed 0, the reading's wall clock time;
/// - `timeline_speed_multiplier`: the speed of `speed_source` relative to the wall clock, i.e.
///   the product of the speeds from `speed_source` up to the nearest clock it shares with the
///   wall clock, divided by the same product for the wall clock. For the usual tree (timeline
///   clocks below the wall clock) this is the product of the speeds below the wall clock: a TEMI
///   clock that is a child of a paused PTS clock reports 0, not its own speed 1 (the reference
///   reported the own speed of `speed_source`, which is wrong for such children).
///
/// The timestamp is "unavailable" (stamped with the wall clock time) when the timeline clock or
/// an ancestor is unavailable, when it shares no root with the wall clock or the speed source,
/// when the content time does not fit in int64, or when the speed is not finite. If the wall
/// clock itself has been destroyed, or its time does not fit in int64, the source answers "not
/// yet" (nothing is sent).
///
/// The source listens to the wall clock, the timeline clock and the speed source (and so to their
/// ancestors) from construction: any change of correlation, speed, tick rate, parent or
/// availability invalidates the cached timestamp and is pushed to every attached sink. While
/// nothing changes, the cached timestamp is returned unchanged, so servers resend nothing.
///
/// Lifetime: the clocks should outlive the source; if one dies first the source forgets it (see
/// above) instead of dangling.
///
/// Thread safety: distinct objects safe; shared objects unsafe. The source belongs to the thread
/// or executor that owns the clock tree.
class clock_timeline_source final : public timeline_source, private clock::clock_listener {
public:
    /// Speed taken from `timeline_clock` itself.
    clock_timeline_source(std::string selector, clock::clock_base& wall_clock,
                          clock::clock_base& timeline_clock);

    /// Speed taken from `speed_source` (e.g. a clock that models the media's play speed while
    /// `timeline_clock` is derived from it).
    clock_timeline_source(std::string selector, clock::clock_base& wall_clock,
                          clock::clock_base& timeline_clock, clock::clock_base& speed_source);

    ~clock_timeline_source() override;
    clock_timeline_source(const clock_timeline_source&) = delete;
    clock_timeline_source& operator=(const clock_timeline_source&) = delete;
    clock_timeline_source(clock_timeline_source&&) = delete;
    clock_timeline_source& operator=(clock_timeline_source&&) = delete;

    [[nodiscard]] bool recognises(std::string_view selector) const override;

    /// The cached control timestamp (recomputed if a clock changed since it was last computed),
    /// whatever `selector`; nullopt only as described in the class comment.
    [[nodiscard]] std::optional<control_timestamp>
    control_timestamp_for(std::string_view selector) override;

    [[nodiscard]] const std::string& selector() const noexcept { return selector_; }

private:
    void on_clock_changed(clock::clock_base& cause) override;
    void on_clock_destroyed(clock::clock_base& clock) override;

    [[nodiscard]] std::optional<control_timestamp> compute() const;

    std::string selector_;
    clock::clock_base* wall_;
    clock::clock_base* timeline_;
    clock::clock_base* speed_;
    std::optional<control_timestamp> cached_;
    bool changed_ = true;
};

} // namespace dvbcss::ts
