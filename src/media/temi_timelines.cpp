#include <dvbcss/media/temi_timelines.hpp>

#include <algorithm>
#include <limits>

namespace dvbcss::media {
namespace {

__extension__ using wide = __int128;
constexpr std::int64_t pts_modulus = std::int64_t{1} << 33;
constexpr std::uint32_t max_timescale = 1'000'000'000; // the most ticks/s a timeline may have

// The media time the line of `t` gives `pts`, rounded to the nearest tick.
wide on_line(const temi_timeline_seen& t, std::int64_t pts) {
    const wide moved = static_cast<wide>(pts_difference(pts, t.first_pts)) * t.timescale;
    const wide ticks = moved >= 0 ? (moved + 45'000) / 90'000 : -((-moved + 45'000) / 90'000);
    return static_cast<wide>(t.first_media_timestamp) + ticks;
}

} // namespace

std::int64_t pts_difference(std::int64_t a, std::int64_t b) noexcept {
    auto d = (a - b) % pts_modulus;
    if (d < 0) {
        d += pts_modulus;
    }
    return d >= pts_modulus / 2 ? d - pts_modulus : d;
}

void temi_timeline_finder::add(const pes_pts& start, std::optional<std::uint8_t> component_tag) {
    for (const auto& d : start.temi) {
        if (!d.timescale || !d.media_timestamp || *d.timescale == 0) {
            continue;
        }
        auto t = std::find_if(timelines_.begin(), timelines_.end(), [&](const auto& seen) {
            return seen.pid == start.pid && seen.timeline_id == d.timeline_id;
        });
        if (t == timelines_.end()) {
            if (timelines_.size() >= max_timelines) {
                continue;
            }
            temi_timeline_seen seen;
            seen.pid = start.pid;
            seen.timeline_id = d.timeline_id;
            seen.component_tag = component_tag;
            seen.timescale = *d.timescale;
            seen.first_pts = start.pts;
            seen.first_media_timestamp = *d.media_timestamp;
            seen.descriptors = 1;
            if (d.paused) {
                seen.departs_at_pts = start.pts; // a line cannot stand still
            }
            timelines_.push_back(seen);
            continue;
        }
        if (!t->component_tag) {
            t->component_tag = component_tag;
        }
        if (t->departs_at_pts) {
            continue;
        }
        const wide tolerance = std::max<wide>(1, t->timescale / 1000);
        const wide off = static_cast<wide>(*d.media_timestamp) - on_line(*t, start.pts);
        if (d.discontinuity || d.paused || *d.timescale != t->timescale || off > tolerance ||
            off < -tolerance) {
            t->departs_at_pts = start.pts;
        } else {
            ++t->descriptors;
        }
    }
}

std::string temi_selector(std::uint8_t component_tag, std::uint8_t timeline_id) {
    return "urn:dvb:css:timeline:temi:" + std::to_string(component_tag) + ":" +
           std::to_string(timeline_id);
}

std::optional<timeline_mapping> temi_timeline(const temi_timeline_seen& seen,
                                              const timeline_mapping& pts) {
    if (!seen.component_tag || seen.timescale == 0 || seen.timescale > max_timescale ||
        seen.first_media_timestamp >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    // The descriptor's PTS on the (unwrapped) PTS timeline, then its position.
    const auto unwrapped = pts.origin_ticks + pts_difference(seen.first_pts, pts.origin_ticks);
    timeline_mapping m;
    m.selector = temi_selector(*seen.component_tag, seen.timeline_id);
    m.units_per_tick = 1;
    m.units_per_second = seen.timescale;
    m.origin_position_ns = pts.position_at(unwrapped);
    m.origin_ticks = static_cast<std::int64_t>(seen.first_media_timestamp);
    return m;
}

} // namespace dvbcss::media
