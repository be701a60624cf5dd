#pragma once
/// A snapshot of a media pipeline's timing: everything needed to say which position is rendered
/// at which clock time (the TV's control timestamps) or to plan how a follower's pipeline must
/// move (the companion). Filled from GStreamer by dvbcss::media, built by hand in unit tests.
#include <dvbcss/media/segment.hpp>

#include <cstdint>
#include <optional>

namespace dvbcss::media {

/// A pipeline's timing at one moment. Times are the pipeline clock's ns (for tv-device that clock
/// reads CLOCK_MONOTONIC, as the TV's wall clock does; for a companion it is the wall clock
/// estimate).
///
/// While `playing`, the buffer at `position` is rendered when the pipeline clock reads
/// `base_time_ns + to_running_time(seg, position) + latency_ns`. While paused, `paused_position_ns`
/// is the position on screen (the prerolled buffer), if known.
///
/// Thread safety: a value type.
struct playback_state {
    bool playing = false;                           ///< Clock running (PLAYING), else paused.
    segment seg;                                    ///< The current segment (TIME format).
    std::int64_t base_time_ns = 0;                  ///< Clock time at running time 0.
    std::int64_t latency_ns = 0;                    ///< Pipeline latency (live + sink), ns.
    std::optional<std::int64_t> paused_position_ns; ///< Position shown while paused.

    friend bool operator==(const playback_state&, const playback_state&) = default;
};

} // namespace dvbcss::media
