#pragma once
/// The TEMI timelines a transport stream carries (DVB-CSS, ETSI TS 103 286-2:
/// `urn:dvb:css:timeline:temi:<component_tag>:<timeline_id>`), found from the
/// `temi_timeline_descriptor`s that `pts_scanner` reports with their PES PTS, and how each maps to
/// pipeline positions.
///
/// A TEMI timeline is served as one straight line: its first descriptor pairs a PTS with a media
/// time (ticks of the descriptor's timescale), and every later descriptor is checked against that
/// line. One that is not on it (more than max(1 tick, 1 ms) off, another timescale, the
/// discontinuity or paused flag) marks where the stream's timeline departs from what is served
/// (`temi_timeline_seen::departs_at_pts`); docs/media.md says what a TV does with that.
///
/// Sans-I/O; bounded: at most `max_timelines` timelines are followed.
#include <dvbcss/media/pts_scanner.hpp>
#include <dvbcss/media/timeline_mapping.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvbcss::media {

/// One TEMI timeline as the stream gives it.
struct temi_timeline_seen {
    std::uint16_t pid = 0;                     ///< The PID whose adaptation fields carry it.
    std::uint8_t timeline_id = 0;              ///< From its descriptors.
    std::optional<std::uint8_t> component_tag; ///< Of that PID (PMT), if known.
    std::uint32_t timescale = 0;               ///< Ticks per second (> 0).
    std::int64_t first_pts = 0;                ///< 33-bit PTS (90 kHz) of the first descriptor ...
    std::uint64_t first_media_timestamp = 0;   ///< ... and the media time it gives it (ticks).
    std::uint64_t descriptors = 0;             ///< Descriptors seen on the line.
    /// The PTS of the first later descriptor that is not on the line, if any.
    std::optional<std::int64_t> departs_at_pts;

    friend bool operator==(const temi_timeline_seen&, const temi_timeline_seen&) = default;
};

/// Collects TEMI timelines from PES starts.
///
/// Thread safety: distinct objects safe; shared objects unsafe.
class temi_timeline_finder {
public:
    static constexpr std::size_t max_timelines = 64;

    /// The descriptors of one PES start (`pes_pts::temi`), the component tag of its PID if known
    /// (`pts_scanner::component_tag`). Descriptors without a timescale and media timestamp, or
    /// with timescale 0, say nothing about the line and are passed over.
    void add(const pes_pts& start, std::optional<std::uint8_t> component_tag);

    /// The timelines in the order their first descriptors came.
    [[nodiscard]] const std::vector<temi_timeline_seen>& timelines() const noexcept {
        return timelines_;
    }

private:
    std::vector<temi_timeline_seen> timelines_;
};

/// "urn:dvb:css:timeline:temi:<component_tag>:<timeline_id>", both in decimal.
[[nodiscard]] std::string temi_selector(std::uint8_t component_tag, std::uint8_t timeline_id);

/// `a - b` for 33-bit PTS values, taken the short way round the wrap: in [-2^32, 2^32).
[[nodiscard]] std::int64_t pts_difference(std::int64_t a, std::int64_t b) noexcept;

/// The mapping of `seen` (tick rate: its timescale) onto the positions of `pts`, the PTS
/// timeline of the same program (`pts_timeline`): its first descriptor's PTS is placed where
/// `pts` puts it. nullopt without a component tag, or with a media time or timescale past what
/// a DVB-CSS timeline carries (`INT64_MAX` ticks, 1 GHz).
[[nodiscard]] std::optional<timeline_mapping> temi_timeline(const temi_timeline_seen& seen,
                                                            const timeline_mapping& pts);

} // namespace dvbcss::media
