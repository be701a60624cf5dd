#include <dvbcss/media/control_timestamps.hpp>
#include <dvbcss/media/segment.hpp>

namespace dvbcss::media {

std::optional<std::int64_t> render_clock_time(const playback_state& state,
                                              std::int64_t position_ns) noexcept {
    const auto running = to_running_time(state.seg, position_ns);
    if (!running) {
        return std::nullopt;
    }
    return state.base_time_ns + *running + state.latency_ns;
}

ts::control_timestamp control_timestamp_from(const playback_state& state,
                                             const std::optional<timeline_mapping>& mapping,
                                             std::int64_t now_wall_ns,
                                             std::int64_t clock_to_wall_ns) noexcept {
    const auto unavailable = ts::control_timestamp::unavailable(now_wall_ns);
    if (!mapping) {
        return unavailable;
    }
    if (!state.playing) {
        if (!state.paused_position_ns) {
            return unavailable;
        }
        return ts::control_timestamp{mapping->ticks_at(*state.paused_position_ns), now_wall_ns,
                                     0.0};
    }
    // Where the segment begins (running time `base`), then the first whole tick from there on
    // (rate > 0: the position after it; rate < 0: the position before it, positions count down).
    const auto begin = position_from_running_time(state.seg, state.seg.base);
    if (!begin) {
        return unavailable;
    }
    const bool forward = state.seg.rate > 0;
    std::int64_t ticks = mapping->ticks_at(*begin);
    std::int64_t position = mapping->position_at(ticks);
    if (forward ? position < *begin : position > *begin) {
        ticks += forward ? 1 : -1;
        position = mapping->position_at(ticks);
    }
    auto clock = render_clock_time(state, position);
    if (!clock) {
        // The tick's position lies just outside a segment that ends there: use the segment's
        // own beginning, whose tick value is then rounded.
        clock = render_clock_time(state, *begin);
        ticks = mapping->ticks_at(*begin);
        if (!clock) {
            return unavailable;
        }
    }
    return ts::control_timestamp{ticks, *clock + clock_to_wall_ns, state.seg.effective_rate()};
}

} // namespace dvbcss::media
