#pragma once
/// What a companion's media pipeline must do to render the TV's timeline in step with the TV:
/// the decision behind `gst::follower`, without GStreamer (unit-tested with synthetic inputs).
///
/// The TV's control timestamp (ETSI TS 103 286-2 clause 5.7.5) says the TV renders content time
/// `content_time` (timeline ticks) at wall clock time `wall_clock_time`, advancing at
/// `timeline_speed_multiplier`. The companion's `timeline_mapping` for the same timeline selector
/// turns ticks into its own pipeline positions, so the position the companion should render at
/// pipeline clock time W (the pipeline clock is the wall clock estimate) is
/// `position_at(content_time) + (W - render_delay - wall_clock_time) * speed`. The player renders
/// position p at `base_time + running_time(p) + latency` (GstSegment arithmetic, `segment.hpp`),
/// so following the TV is choosing the base time (and, when far off, the position and rate).
#include <dvbcss/media/playback_state.hpp>
#include <dvbcss/media/timeline_mapping.hpp>
#include <dvbcss/ts/message.hpp>

#include <cstdint>
#include <optional>

namespace dvbcss::media {

/// Thresholds of the plan. Times are ns of pipeline clock (wall clock) time.
struct follow_thresholds {
    /// A player further than this from where it should be (either way, measured as rendering
    /// time) is moved by a flushing seek; nearer, by a new base time (and the audio sink's drift
    /// tolerance, 1 ms, slaves its output to it). 20 ms: a seek costs a preroll (~0.1-0.3 s of
    /// silence), a base time change below this is a short resync of the audio ring buffer.
    std::int64_t seek_threshold_ns = 20'000'000;
    /// A base time change smaller than this is not applied (the player is already there).
    std::int64_t rebase_threshold_ns = 100'000;
    /// A paused player whose shown frame is due up to this far in the future starts playing and
    /// waits for it; further ahead, it seeks.
    std::int64_t max_wait_ns = 5'000'000'000;
    /// Rates closer than this (relative) to the TV's speed count as equal.
    double rate_tolerance = 1e-6;
    /// A TV position up to this far past the media's duration is its end, not outside it: a
    /// TV at end of stream shows its last buffer's end, which may lie a buffer or a container's
    /// duration estimate beyond what the companion's pipeline reports (30.162 s for clicks.ts).
    std::int64_t end_margin_ns = 500'000'000;
};

/// Everything the plan looks at, read at one instant.
struct follow_input {
    ts::control_timestamp tv;         ///< The TV's latest control timestamp.
    timeline_mapping timeline;        ///< The companion's mapping for the TV's timeline selector.
    playback_state player;            ///< The companion's pipeline now.
    std::int64_t now_ns = 0;          ///< Pipeline clock now (= wall clock estimate), ns.
    std::int64_t render_delay_ns = 0; ///< Render each moment this much later than the TV.
    /// How long a flushing seek takes until the new position is prerolled (the seek target is
    /// where the TV will be by then).
    std::int64_t preroll_ns = 300'000'000;
    /// The media's duration (stream time, ns), if known: a target outside [0, duration] means
    /// the TV plays something this file does not have.
    std::optional<std::int64_t> duration_ns;
};

/// The one thing to do now.
enum class follow_action {
    nothing,       ///< In step (or nothing can be done).
    set_base_time, ///< Playing, a small error: set `base_time_ns`.
    play,          ///< Paused at a good position: set `base_time_ns`, then play.
    /// Far off: flushing seek to `stream_time_ns` (keeping the state), at `rate` if set (the
    /// TV's speed differs too), re-plan.
    seek,
    pause, ///< The timeline is unavailable (or the TV plays outside this media): pause.
    /// The TV is paused (speed 0): pause, and seek to `stream_time_ns` if set (only when the
    /// player is further than the seek threshold from the TV's paused position).
    pause_at,
    /// The TV's speed differs from the player's rate while the player is in step (playing,
    /// within the seek threshold): set `rate` (an instant rate change), re-plan.
    change_rate,
};

/// "nothing", "set_base_time", "play", "seek", "pause", "pause_at", "change_rate".
[[nodiscard]] const char* to_string(follow_action a) noexcept;

/// A plan and the measurements behind it.
///
/// Thread safety: a value type.
struct follow_plan {
    follow_action action = follow_action::nothing;
    std::optional<std::int64_t> base_time_ns;   ///< For set_base_time, play.
    std::optional<std::int64_t> stream_time_ns; ///< For seek, pause_at: where to go.
    std::optional<double> rate;                 ///< For change_rate; for seek, if it changes.
    /// Where the player is minus where the timeline says it should be, as positions (ns; > 0:
    /// the player is ahead). Unknown (nullopt) when the timeline is unavailable or the player's
    /// position cannot be told.
    std::optional<std::int64_t> offset_ns;
    /// The position (ns) the player should render now, if the timeline is available.
    std::optional<std::int64_t> should_position_ns;
    /// The TV's position is outside this media (before its start or after its end).
    bool outside_media = false;
    /// The TV asks for reverse playback, which the follower does not do (it pauses instead).
    bool reverse = false;
};

/// Decides the next action (see the file comment and `follow_thresholds`). Never throws.
[[nodiscard]] follow_plan plan_follow(const follow_input& in, const follow_thresholds& t = {});

/// The running time (ns) of position `position` (ns) in `seg`, extrapolated linearly beyond the
/// segment's edges (where `to_running_time` says nullopt). Rounded to the nearest ns.
[[nodiscard]] std::int64_t running_time_linear(const segment& seg, std::int64_t position) noexcept;

/// The position (ns) at running time `running_time`, extrapolated linearly the same way.
[[nodiscard]] std::int64_t position_linear(const segment& seg, std::int64_t running_time) noexcept;

/// The stream time (ns) of `position`, extrapolated linearly (may be negative).
[[nodiscard]] std::int64_t stream_time_linear(const segment& seg, std::int64_t position) noexcept;

} // namespace dvbcss::media
