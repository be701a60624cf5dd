#include <dvbcss/media/follow_plan.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace dvbcss::media {
namespace {

std::int64_t round_ns(long double v) noexcept {
    return static_cast<std::int64_t>(std::llroundl(v));
}

/// Where the segment's running time starts counting from, as a position.
std::int64_t anchor(const segment& seg) noexcept {
    return seg.rate > 0 ? seg.start + seg.offset : seg.stop.value_or(seg.start) - seg.offset;
}

/// Position (ns) that should be rendered at pipeline clock time `when_ns`. A timeline that jumps
/// can give the TV's content time on several lines: the position nearest `near_ns` (the
/// player's) is taken.
std::int64_t should_position(const follow_input& in, double speed, std::int64_t when_ns,
                             std::optional<std::int64_t> near_ns) noexcept {
    const std::int64_t at_ct = in.timeline.position_at(*in.tv.content_time, near_ns);
    const long double elapsed =
        static_cast<long double>(when_ns - in.render_delay_ns - in.tv.wall_clock_time);
    return at_ct + round_ns(elapsed * speed);
}

/// A time measured as position (content ns) expressed as rendering time at `speed`.
long double as_time(std::int64_t position_ns, double speed) noexcept {
    return static_cast<long double>(position_ns) / std::fabs(speed);
}

} // namespace

const char* to_string(follow_action a) noexcept {
    switch (a) {
    case follow_action::nothing:
        return "nothing";
    case follow_action::set_base_time:
        return "set_base_time";
    case follow_action::play:
        return "play";
    case follow_action::seek:
        return "seek";
    case follow_action::pause:
        return "pause";
    case follow_action::pause_at:
        return "pause_at";
    case follow_action::change_rate:
        return "change_rate";
    }
    return "unknown";
}

std::int64_t running_time_linear(const segment& seg, std::int64_t position) noexcept {
    const long double moved = seg.rate > 0 ? static_cast<long double>(position - anchor(seg))
                                           : static_cast<long double>(anchor(seg) - position);
    return seg.base + round_ns(moved / std::fabs(seg.rate));
}

std::int64_t position_linear(const segment& seg, std::int64_t running_time) noexcept {
    const std::int64_t played =
        round_ns(static_cast<long double>(running_time - seg.base) * std::fabs(seg.rate));
    return seg.rate > 0 ? anchor(seg) + played : anchor(seg) - played;
}

std::int64_t stream_time_linear(const segment& seg, std::int64_t position) noexcept {
    const std::int64_t moved =
        round_ns(static_cast<long double>(position - seg.start) * std::fabs(seg.applied_rate));
    return seg.applied_rate > 0 ? seg.time + moved : seg.time - moved;
}

follow_plan plan_follow(const follow_input& in, const follow_thresholds& t) {
    follow_plan plan;
    const auto& player = in.player;
    if (!in.tv.available() || !std::isfinite(*in.tv.timeline_speed_multiplier)) {
        plan.action = player.playing ? follow_action::pause : follow_action::nothing;
        return plan;
    }
    const double speed = *in.tv.timeline_speed_multiplier;
    // Where the player is now: the position being rendered (playing), or shown (paused).
    std::optional<std::int64_t> player_position;
    if (player.playing) {
        player_position =
            position_linear(player.seg, in.now_ns - player.base_time_ns - player.latency_ns);
    } else {
        player_position = player.paused_position_ns;
    }
    const std::int64_t should = should_position(in, speed, in.now_ns, player_position);
    plan.should_position_ns = should;
    const std::int64_t should_stream = stream_time_linear(player.seg, should);

    if (player_position) {
        plan.offset_ns = *player_position - should;
    }

    const auto outside = [&](std::int64_t stream) {
        return stream < -t.seek_threshold_ns ||
               (in.duration_ns &&
                stream > *in.duration_ns + std::max(t.seek_threshold_ns, t.end_margin_ns));
    };

    if (speed == 0.0 || speed < 0) {
        // Paused (or reverse, which is not followed: hold the TV's current frame).
        plan.reverse = speed < 0;
        if (outside(should_stream)) {
            plan.outside_media = true;
            plan.action = player.playing ? follow_action::pause : follow_action::nothing;
            return plan;
        }
        // Near enough (the TV's pause reached a player in step): pause where it is, without a
        // flushing seek. A flush on a pulsesink stream can leave its clock reading garbage after
        // the next uncork, and the sink then drops every buffer as late (docs/media.md).
        const bool near =
            player_position && std::llabs(*player_position - should) <= t.seek_threshold_ns;
        if (player.playing || !near) {
            plan.action = follow_action::pause_at;
            if (!near) {
                plan.stream_time_ns = should_stream;
            }
        }
        return plan;
    }

    const std::int64_t target_seek =
        should_position(in, speed, in.now_ns + in.preroll_ns, player_position);
    const auto seek_plan = [&] {
        plan.action = follow_action::seek;
        plan.stream_time_ns = stream_time_linear(player.seg, target_seek);
        return plan;
    };
    if (outside(should_stream) && outside(stream_time_linear(player.seg, target_seek))) {
        plan.outside_media = true;
        plan.action = player.playing ? follow_action::pause : follow_action::nothing;
        return plan;
    }
    if (std::fabs(player.seg.effective_rate() - speed) > t.rate_tolerance * std::fabs(speed)) {
        // In step: change the rate where the player is (an instant change keeps it in step).
        // Else one flushing seek at the TV's speed (not a rate change and then a seek).
        plan.rate = speed;
        const bool in_step = player.playing && plan.offset_ns &&
                             std::fabs(as_time(*plan.offset_ns, speed)) <=
                                 static_cast<long double>(t.seek_threshold_ns);
        if (!in_step) {
            return seek_plan();
        }
        plan.action = follow_action::change_rate;
        return plan;
    }
    // The base time at which `should` is rendered now (the same for every position: the
    // segment runs at the TV's speed).
    const std::int64_t base =
        in.now_ns - player.latency_ns - running_time_linear(player.seg, should);
    if (player.playing) {
        const long double error = as_time(*plan.offset_ns, speed);
        if (std::fabs(error) > static_cast<long double>(t.seek_threshold_ns)) {
            return seek_plan();
        }
        if (std::llabs(base - player.base_time_ns) > t.rebase_threshold_ns) {
            plan.action = follow_action::set_base_time;
            plan.base_time_ns = base;
        }
        return plan;
    }
    if (!plan.offset_ns) {
        return seek_plan();
    }
    // Paused on a frame: late by more than the threshold, or due too far ahead: seek; else play
    // and let the sinks wait for it.
    const long double ahead = as_time(*plan.offset_ns, speed);
    if (ahead < -static_cast<long double>(t.seek_threshold_ns) ||
        ahead > static_cast<long double>(t.max_wait_ns)) {
        return seek_plan();
    }
    plan.action = follow_action::play;
    plan.base_time_ns = base;
    return plan;
}

} // namespace dvbcss::media
