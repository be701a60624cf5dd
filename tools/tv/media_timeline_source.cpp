#include "tv/media_timeline_source.hpp"

#include <dvbcss/media/control_timestamps.hpp>

#include <utility>

namespace dvbcss::tools {

media_timeline_source::media_timeline_source(media::timeline_mapping mapping)
    : mapping_(std::move(mapping)) {}

bool media_timeline_source::recognises(std::string_view selector) const {
    return selector == mapping_.selector;
}

std::optional<ts::control_timestamp>
media_timeline_source::control_timestamp_for(std::string_view /*selector*/) {
    return current_;
}

bool media_timeline_source::update(const media::playback_state& state, std::int64_t now_wall_ns,
                                   std::int64_t clock_to_wall_ns) {
    if (withheld_) {
        const bool was_available = !current_ || current_->available();
        set_unavailable(now_wall_ns);
        return was_available;
    }
    const auto ct = media::control_timestamp_from(state, mapping_, now_wall_ns, clock_to_wall_ns);
    // A paused timeline's timestamp is stamped "now": the same pause re-reported is no change.
    if (current_ && current_->content_time == ct.content_time &&
        current_->timeline_speed_multiplier == ct.timeline_speed_multiplier &&
        (current_->wall_clock_time == ct.wall_clock_time || ct.timeline_speed_multiplier == 0.0 ||
         !ct.available())) {
        return false;
    }
    set(ct);
    return true;
}

void media_timeline_source::set_unavailable(std::int64_t now_wall_ns) {
    if (current_ && !current_->available()) {
        return;
    }
    set(ts::control_timestamp::unavailable(now_wall_ns));
}

bool media_timeline_source::withhold(bool withheld, const media::playback_state& state,
                                     std::int64_t now_wall_ns) {
    withheld_ = withheld;
    return update(state, now_wall_ns);
}

void media_timeline_source::set(const ts::control_timestamp& ct) {
    current_ = ct;
    notify_changed(mapping_.selector);
}

std::optional<std::string> unreachable_ticks(const media::timeline_mapping& mapping,
                                             std::int64_t ticks,
                                             std::optional<std::int64_t> near_ns,
                                             std::optional<std::int64_t> duration_ns) {
    if (mapping.position_within(ticks, near_ns, 0, duration_ns)) {
        return std::nullopt;
    }
    std::string ranges;
    for (std::size_t line = 0; line <= mapping.jumps.size(); ++line) {
        const auto from = line == 0 ? std::int64_t{0} : mapping.jumps[line - 1].position_ns;
        const auto to = line < mapping.jumps.size() ? std::optional(mapping.jumps[line].position_ns)
                                                    : duration_ns;
        ranges += (ranges.empty() ? "" : ", ") + std::to_string(mapping.ticks_on(line, from)) +
                  " to " + (to ? std::to_string(mapping.ticks_on(line, *to)) : std::string("..."));
    }
    return mapping.selector + " never has " + std::to_string(ticks) +
           " ticks in this media (it has " + ranges + ")";
}

} // namespace dvbcss::tools
