#pragma once
/// CSS-TS control timestamps (ETSI TS 103 286-2 clause 5.7.5) from a media pipeline's timing: what
/// a TV that plays real media tells its companions.
///
/// While playing, the buffer at position p is rendered when the pipeline clock reads
/// `base_time + to_running_time(segment, p) + latency` (media/segment.hpp); the timeline says
/// p is tick `mapping.ticks_at(p)`. A control timestamp is one such pair, converted to the wall
/// clock (`wall = clock + clock_to_wall_ns`), with the speed `rate * applied_rate`.
///
/// The reference point is chosen so that the control timestamp stays the same for as long as the
/// timing does (nothing is sent between changes): the first whole tick at or after the position
/// where the current segment begins (its running time `base`). The content time is that tick
/// exactly; the wall clock time is when that tick's position is rendered (rounded to the ns).
/// A timeline that jumps (`timeline_mapping::jumps`) is served on the line in force at the
/// position rendered now: from the later of the segment's beginning and that line's jump, so the
/// control timestamp changes once at each jump (`next_jump_clock_time` says when to recompute).
/// Integer arithmetic for both wire values (128-bit intermediates; a rate other than 1 only
/// scales a duration, rounded to the nearest ns).
#include <dvbcss/media/playback_state.hpp>
#include <dvbcss/media/timeline_mapping.hpp>
#include <dvbcss/ts/message.hpp>

#include <cstdint>
#include <optional>

namespace dvbcss::media {

/// The control timestamp for timeline `mapping` given the pipeline's timing `state`.
///
/// - playing: as above; speed `state.seg.effective_rate()`.
/// - paused (`!state.playing`) with a known `paused_position_ns`: content time at that position,
///   wall clock time `now_wall_ns` (the moment the caller computes it: call once per change and
///   keep the value), speed 0.
/// - `mapping` empty (the media does not carry the timeline), paused without a known position,
///   or a segment that cannot place its beginning (a reverse segment without stop): unavailable,
///   stamped `now_wall_ns`.
///
/// `clock_to_wall_ns`: wall clock time minus pipeline clock time (0 for tv-device, whose wall
/// clock and GStreamer's system clock both read CLOCK_MONOTONIC).
///
/// Thread safety: a pure function.
[[nodiscard]] ts::control_timestamp
control_timestamp_from(const playback_state& state, const std::optional<timeline_mapping>& mapping,
                       std::int64_t now_wall_ns, std::int64_t clock_to_wall_ns = 0) noexcept;

/// While playing forward: the wall clock time (`clock_to_wall_ns` as above) at which the next jump
/// of `mapping` after the position rendered at `now_wall_ns` is rendered, when the control
/// timestamp must be computed again; nullopt if none (paused, no jump ahead, outside the segment).
///
/// Thread safety: a pure function.
[[nodiscard]] std::optional<std::int64_t>
next_jump_clock_time(const playback_state& state, const timeline_mapping& mapping,
                     std::int64_t now_wall_ns, std::int64_t clock_to_wall_ns = 0) noexcept;

/// The pipeline clock time (ns) at which the buffer at `position_ns` is rendered while playing,
/// or nullopt if the position is outside the segment: `base_time + running_time + latency`.
///
/// Thread safety: a pure function.
[[nodiscard]] std::optional<std::int64_t> render_clock_time(const playback_state& state,
                                                            std::int64_t position_ns) noexcept;

} // namespace dvbcss::media
