#include <dvbcss/media/control_timestamps.hpp>
#include <dvbcss/media/segment.hpp>

#include <algorithm>

namespace dvbcss::media {

std::optional<std::int64_t> render_clock_time(const playback_state& state,
                                              std::int64_t position_ns) noexcept {
    const auto running = to_running_time(state.seg, position_ns);
    if (!running) {
        return std::nullopt;
    }
    return state.base_time_ns + *running + state.latency_ns;
}

namespace {

/// The position rendered at pipeline clock time `clock_ns` while playing, if inside the segment.
std::optional<std::int64_t> position_rendered_at(const playback_state& state,
                                                 std::int64_t clock_ns) noexcept {
    return position_from_running_time(state.seg, clock_ns - state.base_time_ns - state.latency_ns);
}

} // namespace

std::optional<std::int64_t> next_jump_clock_time(const playback_state& state,
                                                 const timeline_mapping& mapping,
                                                 std::int64_t now_wall_ns,
                                                 std::int64_t clock_to_wall_ns) noexcept {
    if (!state.playing || !(state.seg.rate > 0) || mapping.jumps.empty()) {
        return std::nullopt;
    }
    const auto now = position_rendered_at(state, now_wall_ns - clock_to_wall_ns);
    const auto begin = position_from_running_time(state.seg, state.seg.base);
    if (!now || !begin) {
        return std::nullopt;
    }
    const auto next = mapping.next_jump_after(std::max(*now, *begin));
    if (!next) {
        return std::nullopt;
    }
    const auto clock = render_clock_time(state, *next);
    if (!clock) {
        return std::nullopt;
    }
    return *clock + clock_to_wall_ns;
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
    // A timeline that jumps: the line in force at the position rendered now, from its jump.
    std::size_t line = mapping->line_at(*begin);
    std::int64_t from = *begin;
    if (forward && !mapping->jumps.empty()) {
        if (const auto now = position_rendered_at(state, now_wall_ns - clock_to_wall_ns)) {
            if (const auto l = mapping->line_at(*now); l > line) {
                line = l;
                from = mapping->jumps[l - 1].position_ns;
            }
        }
    }
    std::int64_t ticks = mapping->ticks_on(line, from);
    std::int64_t position = mapping->position_on(line, ticks);
    if (forward ? position < from : position > from) {
        ticks += forward ? 1 : -1;
        position = mapping->position_on(line, ticks);
    }
    auto clock = render_clock_time(state, position);
    if (!clock) {
        // The tick's position lies just outside a segment that ends there: use the reference
        // position itself, whose tick value is then rounded.
        clock = render_clock_time(state, from);
        ticks = mapping->ticks_on(line, from);
        if (!clock) {
            return unavailable;
        }
    }
    return ts::control_timestamp{ticks, *clock + clock_to_wall_ns, state.seg.effective_rate()};
}

} // namespace dvbcss::media
