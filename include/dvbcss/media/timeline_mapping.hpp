#pragma once
/// How a media pipeline's positions (buffer timestamps, ns) map to the ticks of a DVB-CSS timeline
/// carried by the media: `urn:dvb:css:timeline:pts` (90 kHz, the stream's own PES PTS) for MPEG
/// transport streams, `urn:dvb:css:timeline:ct` (the track's timescale) for ISOBMFF/MP4.
///
/// A mapping pairs one position with the tick value the stream gives it (the "origin": e.g. the
/// first PES PTS and the first buffer the demuxer output for it) and converts linearly at the
/// timeline's tick rate `units_per_second / units_per_tick` (the CII timeline properties). Ticks
/// are not wrapped: a PTS timeline that passes 2^33 during playback keeps counting, so a control
/// timestamp stays a straight line (docs/media.md says why).
///
/// A timeline whose values jump within the media (a TEMI timeline across programme boundaries)
/// is a list of lines at the same tick rate: the origin's line up to the first jump, then from
/// each jump's position on the line through that position and the tick value the stream gives it,
/// up to the next. Each line is "in force" over its range of positions.
///
/// Integer arithmetic throughout (128-bit intermediates); ticks are rounded to the nearest tick,
/// positions to the nearest ns.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvbcss::media {

/// Where a timeline's values jump: from `position_ns` on, the line through it and `ticks`.
struct timeline_jump {
    std::int64_t position_ns = 0;
    std::int64_t ticks = 0;

    friend bool operator==(const timeline_jump&, const timeline_jump&) = default;
};

/// A map between pipeline positions (ns) and timeline ticks: one line, or one line per range of
/// positions where the timeline jumps.
///
/// Thread safety: a value type.
struct timeline_mapping {
    std::string selector;                ///< e.g. "urn:dvb:css:timeline:pts".
    std::uint64_t units_per_tick = 1;    ///< Positive.
    std::uint64_t units_per_second = 1;  ///< Positive.
    std::int64_t origin_position_ns = 0; ///< A position (ns) ...
    std::int64_t origin_ticks = 0;       ///< ... and its tick value on this timeline.
    /// Jumps, in increasing order of position, all after `origin_position_ns`; empty: one line.
    std::vector<timeline_jump> jumps;

    /// The line in force at `position_ns`: 0 the origin's (also before it), k the one from
    /// `jumps[k - 1]`.
    [[nodiscard]] std::size_t line_at(std::int64_t position_ns) const noexcept;
    /// The point line `line` passes through: the origin for 0 (or a line beyond the last),
    /// else `jumps[line - 1]`.
    [[nodiscard]] timeline_jump line_start(std::size_t line) const noexcept;
    /// The tick value at `position_ns` on line `line` (extended beyond its range), rounded.
    [[nodiscard]] std::int64_t ticks_on(std::size_t line, std::int64_t position_ns) const noexcept;
    /// The position (ns) of tick value `ticks` on line `line` (extended beyond its range),
    /// rounded.
    [[nodiscard]] std::int64_t position_on(std::size_t line, std::int64_t ticks) const noexcept;

    /// The tick value at `position_ns` (on the line in force there), rounded to the nearest tick.
    [[nodiscard]] std::int64_t ticks_at(std::int64_t position_ns) const noexcept;
    /// The position (ns) of tick value `ticks`, rounded to the nearest ns. Where the timeline
    /// jumps, a value can occur on several lines (or, skipped by a jump, on none): the one whose
    /// line has it in its range nearest to `near_ns` (the origin if not given); on none, the
    /// position on the line in force at `near_ns`.
    [[nodiscard]] std::int64_t position_at(std::int64_t ticks,
                                           std::optional<std::int64_t> near_ns = {}) const noexcept;
    /// As `position_at`, but only a position in [`first_ns`, `last_ns`] (no upper bound if not
    /// given) where its line is in force: nullopt if the timeline never has `ticks` there (a value
    /// a jump skips, or outside the media).
    [[nodiscard]] std::optional<std::int64_t>
    position_within(std::int64_t ticks, std::optional<std::int64_t> near_ns, std::int64_t first_ns,
                    std::optional<std::int64_t> last_ns) const noexcept;
    /// The position of the first jump after `position_ns`, if any.
    [[nodiscard]] std::optional<std::int64_t>
    next_jump_after(std::int64_t position_ns) const noexcept;

    /// Ticks per second as a double (for speeds and display only).
    [[nodiscard]] double tick_rate() const noexcept {
        return static_cast<double>(units_per_second) / static_cast<double>(units_per_tick);
    }

    friend bool operator==(const timeline_mapping&, const timeline_mapping&) = default;
};

/// `urn:dvb:css:timeline:pts`: 90 000 ticks/s, `first_pts` (33-bit PES PTS, 90 kHz) at
/// `first_position_ns`.
[[nodiscard]] timeline_mapping pts_timeline(std::int64_t first_pts, std::int64_t first_position_ns);

/// `urn:dvb:css:timeline:ct`: `timescale` ticks/s (the media track's mdhd timescale), composition
/// time `first_ct` at `first_position_ns`.
[[nodiscard]] timeline_mapping ct_timeline(std::uint32_t timescale, std::int64_t first_ct,
                                           std::int64_t first_position_ns);

} // namespace dvbcss::media
