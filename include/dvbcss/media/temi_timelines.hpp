#pragma once
/// The TEMI timelines a transport stream carries (DVB-CSS, ETSI TS 103 286-2:
/// `urn:dvb:css:timeline:temi:<component_tag>:<timeline_id>`), found from the
/// `temi_timeline_descriptor`s that `pts_scanner` reports with their PES PTS, and how each maps to
/// pipeline positions.
///
/// A TEMI timeline is served as straight lines: two consecutive descriptors that agree (at
/// most 5 s apart, the second within max(1 tick, 1 ms) of where the first's line puts its PTS,
/// same timescale, not paused) establish the first, so one damaged descriptor cannot set a
/// timeline's rate or origin: a first descriptor the next one does not confirm is replaced by it.
/// Later descriptors on the line count; one off it is set aside, and forgotten when the next is on
/// the line again (a damaged packet). Two in a row off the line that agree with each other at the
/// same timescale, not paused, are a jump (a programme boundary): the line goes on from the first
/// of them (`temi_timeline_seen::jumps`). Two that agree paused at the same media time, or at
/// another timescale, or a jump beyond `max_jumps`, mark where the stream departs from what can
/// be served (`temi_timeline_seen::departs_at_pts`); docs/media.md says what a TV does with that.
/// The discontinuity flag alone is not a jump: the values decide.
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

/// Where a TEMI timeline jumps: from the descriptor at `pts` (33-bit, 90 kHz) on, the line through
/// its media time.
struct temi_jump {
    std::int64_t pts = 0;
    std::uint64_t media_timestamp = 0;

    friend bool operator==(const temi_jump&, const temi_jump&) = default;
};

/// One TEMI timeline as the stream gives it.
struct temi_timeline_seen {
    std::uint16_t pid = 0;                     ///< The PID whose adaptation fields carry it.
    std::uint8_t timeline_id = 0;              ///< From its descriptors.
    std::optional<std::uint8_t> component_tag; ///< Of that PID (PMT), if known.
    std::uint32_t timescale = 0;               ///< Ticks per second (> 0).
    std::int64_t first_pts = 0;                ///< 33-bit PTS (90 kHz) of the line's first ...
    std::uint64_t first_media_timestamp = 0;   ///< ... descriptor and the media time it gives.
    /// Descriptors on the line: 1 until a second confirms the first (not served until then).
    std::uint64_t descriptors = 0;
    std::uint64_t set_aside = 0; ///< Descriptors neither on the line nor confirmed off it.
    /// Jumps after the first line, in stream order (at most `temi_timeline_finder::max_jumps`).
    std::vector<temi_jump> jumps;
    /// The PTS of the first of two descriptors in a row that agree off the line but are no jump
    /// that can be served (paused, another timescale, too many jumps), if any: later descriptors
    /// are not read.
    std::optional<std::int64_t> departs_at_pts;

    /// Two descriptors agree on the line: it can be served.
    [[nodiscard]] bool confirmed() const noexcept { return descriptors >= 2; }

    friend bool operator==(const temi_timeline_seen&, const temi_timeline_seen&) = default;
};

/// Collects TEMI timelines from PES starts.
///
/// Thread safety: distinct objects safe; shared objects unsafe.
class temi_timeline_finder {
public:
    static constexpr std::size_t max_timelines = 64;
    static constexpr std::size_t max_jumps = 256; ///< Per timeline.

    /// The descriptors of one PES start (`pes_pts::temi`), the component tag of its PID if known
    /// (`pts_scanner::component_tag`). Descriptors without a timescale and media timestamp, or
    /// with timescale 0, say nothing about the line and are passed over.
    void add(const pes_pts& start, std::optional<std::uint8_t> component_tag);

    /// `add` for each of `starts` that carries TEMI descriptors, with the component tag
    /// `scanner` (which reported them) knows for its PID.
    void add_all(const std::vector<pes_pts>& starts, const pts_scanner& scanner);

    /// The timelines in the order their first descriptors came.
    [[nodiscard]] const std::vector<temi_timeline_seen>& timelines() const noexcept {
        return timelines_;
    }

private:
    struct pending {
        std::int64_t pts = 0;
        temi_timeline_descriptor descriptor;
    };

    std::vector<temi_timeline_seen> timelines_;
    std::vector<std::optional<pending>> set_aside_; // per timeline: the last one off its line
};

/// "urn:dvb:css:timeline:temi:<component_tag>:<timeline_id>", both in decimal.
[[nodiscard]] std::string temi_selector(std::uint8_t component_tag, std::uint8_t timeline_id);

/// `a - b` for 33-bit PTS values, taken the short way round the wrap: in [-2^32, 2^32).
[[nodiscard]] std::int64_t pts_difference(std::int64_t a, std::int64_t b) noexcept;

/// The most ticks per second a served TEMI timeline may have (1 GHz, as every DVB-CSS timeline
/// here: `tv::max_tick_rate`).
inline constexpr std::uint32_t max_temi_timescale = 1'000'000'000;

/// The position (ns) where the PTS timeline `pts` places the 33-bit PTS `value` (taken the short
/// way round the wrap from `pts`'s origin).
[[nodiscard]] std::int64_t position_of_pts(const timeline_mapping& pts,
                                           std::int64_t value) noexcept;

/// Why `seen` cannot be served as a timeline over the positions [0, `last_position_ns`] of the
/// PTS timeline `pts` (one line, for a TV to print), or nullopt if it can: not confirmed, no
/// component tag, a timescale above `max_temi_timescale`, ticks that would leave the signed
/// 64-bit range within those positions, or jumps that are not in order of position (the PTS
/// went back).
[[nodiscard]] std::optional<std::string> temi_timeline_problem(const temi_timeline_seen& seen,
                                                               const timeline_mapping& pts,
                                                               std::int64_t last_position_ns);

/// The mapping of `seen` (tick rate: its timescale) onto the positions of `pts`, the PTS
/// timeline of the same program (`pts_timeline`): the first line's first descriptor's PTS is
/// placed where `pts` puts it, and so is each jump's (`timeline_mapping::jumps`). nullopt where
/// `temi_timeline_problem` finds one at that position (call it with the media's last position to
/// check the range too).
[[nodiscard]] std::optional<timeline_mapping> temi_timeline(const temi_timeline_seen& seen,
                                                            const timeline_mapping& pts);

} // namespace dvbcss::media
