#pragma once
/// The arithmetic of a media pipeline's playback segment (GStreamer's GstSegment in TIME format):
/// how a buffer timestamp (a "position", ns) maps to running time (the time since playback began,
/// paused periods excluded, ns) and to stream time (the position shown to users, ns).
///
/// This is the sans-I/O model of GStreamer 1.22's `gst_segment_to_running_time`,
/// `gst_segment_to_stream_time` and `gst_segment_position_from_running_time`, so that control
/// timestamps and a follower's plan can be computed and tested without GStreamer. A pipeline
/// renders the buffer at `position` when its clock reads
/// `base_time + to_running_time(position) + latency`.
#include <cstdint>
#include <optional>

namespace dvbcss::media {

/// One playback segment (GstSegment, TIME format). All times in nanoseconds.
///
/// `rate` is the playback rate asked for (negative: reverse), `applied_rate` the rate already
/// applied upstream; the speed of the stream time against running time is `rate * applied_rate`.
/// For `rate > 0` the segment runs from `start` (+ `offset`), for `rate < 0` from `stop`
/// (- `offset`) downwards, which then must be set. `base` is the running time at the segment's
/// beginning (the running time accumulated by earlier segments); `time` the stream time at
/// `start`.
///
/// Thread safety: a value type.
struct segment {
    double rate = 1.0;                ///< Non-zero.
    double applied_rate = 1.0;        ///< Non-zero.
    std::int64_t start = 0;           ///< ns, position where the segment starts.
    std::optional<std::int64_t> stop; ///< ns, position where it stops (none: open-ended).
    std::int64_t time = 0;            ///< ns, stream time at `start`.
    std::int64_t base = 0;            ///< ns, running time at the segment's beginning.
    std::int64_t offset = 0; ///< ns, running-time offset already played (GstSegment offset).

    /// The speed of stream time against running time: `rate * applied_rate`.
    [[nodiscard]] double effective_rate() const noexcept { return rate * applied_rate; }

    friend bool operator==(const segment&, const segment&) = default;
};

/// The running time (ns) at which the buffer at `position` (ns) is due, or nullopt if `position`
/// lies outside the segment (before start + offset for rate > 0, after stop - offset for rate < 0,
/// or rate < 0 without a stop). Rates other than ±1 are applied in long double and rounded to the
/// nearest ns.
[[nodiscard]] std::optional<std::int64_t> to_running_time(const segment& s,
                                                          std::int64_t position) noexcept;

/// The position (ns) due at `running_time` (ns): the inverse of `to_running_time`, or nullopt if
/// `running_time` is before the segment's base or would be outside it.
[[nodiscard]] std::optional<std::int64_t>
position_from_running_time(const segment& s, std::int64_t running_time) noexcept;

/// The stream time (ns) of the buffer at `position` (ns), or nullopt if `position` is outside
/// [start, stop] or the result would be negative (GStreamer's rules).
[[nodiscard]] std::optional<std::int64_t> to_stream_time(const segment& s,
                                                         std::int64_t position) noexcept;

/// The segment a sink plays by once an instant rate change (GStreamer 1.18+,
/// `GST_SEEK_FLAG_INSTANT_RATE_CHANGE`) took effect at `running_time` (ns): from the position `s`
/// had reached then, on at `rate`, with the running time carrying on from there (GStreamer's
/// base sink applies the change at that running time without a flush). A change before the
/// segment began playing (`running_time < s.base`) applies from its beginning. The stream time
/// of the positions from there on stays that of `s`.
///
/// Returns nullopt for a rate of 0, a change of direction or a reverse segment (instant rate
/// changes are followed forward only).
[[nodiscard]] std::optional<segment>
after_instant_rate_change(const segment& s, std::int64_t running_time, double rate) noexcept;

} // namespace dvbcss::media
