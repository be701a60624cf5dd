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
/// Integer arithmetic throughout (128-bit intermediates); ticks are rounded to the nearest tick,
/// positions to the nearest ns.
#include <cstdint>
#include <string>

namespace dvbcss::media {

/// A linear map between pipeline positions (ns) and timeline ticks.
///
/// Thread safety: a value type.
struct timeline_mapping {
    std::string selector;                ///< e.g. "urn:dvb:css:timeline:pts".
    std::uint64_t units_per_tick = 1;    ///< Positive.
    std::uint64_t units_per_second = 1;  ///< Positive.
    std::int64_t origin_position_ns = 0; ///< A position (ns) ...
    std::int64_t origin_ticks = 0;       ///< ... and its tick value on this timeline.

    /// The tick value at `position_ns`, rounded to the nearest tick.
    [[nodiscard]] std::int64_t ticks_at(std::int64_t position_ns) const noexcept;
    /// The position (ns) at tick value `ticks`, rounded to the nearest ns.
    [[nodiscard]] std::int64_t position_at(std::int64_t ticks) const noexcept;

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
