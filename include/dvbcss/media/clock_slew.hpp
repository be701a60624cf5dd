#pragma once
/// Steering a media pipeline's clock towards a companion's wall clock estimate without ever
/// stepping it backwards: the arithmetic behind `gst::wall_clock_gst_clock`, without GStreamer.
///
/// A GStreamer clock's time is its calibration applied to its internal time (for a system clock,
/// CLOCK_MONOTONIC ns): `time = external + (internal_now - internal) * rate_num / rate_den`
/// (`gst_clock_set_calibration`). The companion's wall clock estimate is also a straight line of
/// CLOCK_MONOTONIC (a correlation and a speed), so "pipeline clock = wall clock" is one
/// calibration, the target. When the estimate changes, the pipeline clock must not jump back (a
/// GstClock never reads less than it did: it would stand still, and so would playback), so:
/// - the pipeline clock behind the target (error > 0): one step forward to the target;
/// - ahead of it (error < 0): it runs slower than the target by `max_slew_ppm` until the two
///   meet, then follows the target exactly (`done_at_internal_ns`); 1 ms takes 2 s at 500 ppm;
/// - within `exact_within_ns`: the target at once (no visible jump).
#include <cstdint>
#include <optional>

namespace dvbcss::media {

/// A clock calibration (GstClock's): at internal time `internal_ns` the clock reads `external_ns`
/// and it advances `rate_num / rate_den` ns per internal ns. Both rates positive.
///
/// Thread safety: a value type.
struct clock_calibration {
    std::int64_t internal_ns = 0;
    std::int64_t external_ns = 0;
    std::uint64_t rate_num = 1;
    std::uint64_t rate_den = 1;

    /// The clock time at internal time `internal_ns` (rounded down, as GStreamer does).
    [[nodiscard]] std::int64_t time_at(std::int64_t internal_ns) const noexcept;

    /// rate_num / rate_den.
    [[nodiscard]] double rate() const noexcept {
        return static_cast<double>(rate_num) / static_cast<double>(rate_den);
    }

    friend bool operator==(const clock_calibration&, const clock_calibration&) = default;
};

/// The calibration of a line through (`internal_ns`, `external_ns`) with slope `rate` (finite,
/// > 0), as rate_num / 1e9 (rounded to the nearest part per 1e9).
[[nodiscard]] clock_calibration calibration_from_line(std::int64_t internal_ns,
                                                      std::int64_t external_ns, double rate);

/// Settings of the slew.
struct clock_slew_options {
    /// How much slower than the target the clock may run while it is ahead, parts per million
    /// (> 0, < 1e6). 500 ppm: 0.5 ms per second, inaudible with an audio sink slaved to the
    /// pipeline clock.
    double max_slew_ppm = 500;
    /// An error this small either way is removed at once (the target calibration is used as is).
    std::int64_t exact_within_ns = 1'000;
};

/// What `plan_clock_slew` decided.
enum class clock_slew_kind {
    exact,        ///< Within `exact_within_ns`: the target itself.
    step_forward, ///< Behind: jumped forward to the target.
    slewing,      ///< Ahead: running slow until `done_at_internal_ns`.
};

/// The next calibration of the clock.
///
/// Thread safety: a value type.
struct clock_slew_step {
    clock_slew_kind kind = clock_slew_kind::exact;
    clock_calibration next;    ///< To apply now.
    std::int64_t error_ns = 0; ///< target - current at `now_internal_ns` (> 0: clock behind).
    /// When slewing: the internal time at which the clock reaches the target (then apply the
    /// target calibration, which reads the same there).
    std::optional<std::int64_t> done_at_internal_ns;
};

/// From the clock's `current` calibration, the `target` one and the internal time now: the
/// calibration to apply now. Never makes the clock read less than `current` does at
/// `now_internal_ns` or later; the result's value at `now_internal_ns` is current's (slewing) or
/// target's (exact, step). std::invalid_argument for a rate of 0 or options out of range.
[[nodiscard]] clock_slew_step plan_clock_slew(const clock_calibration& current,
                                              const clock_calibration& target,
                                              std::int64_t now_internal_ns,
                                              const clock_slew_options& options = {});

} // namespace dvbcss::media
