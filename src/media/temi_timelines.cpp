#include <dvbcss/media/temi_timelines.hpp>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <vector>

namespace dvbcss::media {
namespace {

__extension__ using wide = __int128;
constexpr std::int64_t pts_modulus = std::int64_t{1} << 33;
constexpr std::int64_t max_agreeing_gap_pts = 5 * 90'000; // 5 s

// The media time the line through (`pts0`, `stamp0`) at `timescale` gives `pts`, rounded to the
// nearest tick.
wide on_line(std::int64_t pts0, std::uint64_t stamp0, std::uint32_t timescale, std::int64_t pts) {
    const wide moved = static_cast<wide>(pts_difference(pts, pts0)) * timescale;
    const wide ticks = moved >= 0 ? (moved + 45'000) / 90'000 : -((-moved + 45'000) / 90'000);
    return static_cast<wide>(stamp0) + ticks;
}

// `later` at `later_pts` agrees with the line that `earlier` at `earlier_pts` starts: the same
// timescale, within max(1 tick, 1 ms); neither paused, or both paused at the same media time;
// for a `pair` (two descriptors vouching for each other), at most 5 s apart.
bool agree(std::int64_t earlier_pts, const temi_timeline_descriptor& earlier,
           std::int64_t later_pts, const temi_timeline_descriptor& later, bool pair = true) {
    if (*earlier.timescale != *later.timescale || earlier.paused != later.paused) {
        return false;
    }
    if (pair && std::abs(pts_difference(later_pts, earlier_pts)) > max_agreeing_gap_pts) {
        return false; // too far apart to vouch for each other (two damaged ids could be)
    }
    if (earlier.paused) {
        return *earlier.media_timestamp == *later.media_timestamp;
    }
    const wide tolerance = std::max<wide>(1, *later.timescale / 1000);
    const wide off = static_cast<wide>(*later.media_timestamp) -
                     on_line(earlier_pts, *earlier.media_timestamp, *earlier.timescale, later_pts);
    return off <= tolerance && off >= -tolerance;
}

// The line followed now: the first, or the last jump's.
temi_jump current_line(const temi_timeline_seen& t) {
    return t.jumps.empty() ? temi_jump{t.first_pts, t.first_media_timestamp} : t.jumps.back();
}

temi_timeline_descriptor line_start(const temi_timeline_seen& t) {
    temi_timeline_descriptor d;
    d.timeline_id = t.timeline_id;
    d.timescale = t.timescale;
    d.media_timestamp = current_line(t).media_timestamp;
    return d;
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
        const auto restart = [&](temi_timeline_seen& seen) {
            seen.timescale = *d.timescale;
            seen.first_pts = start.pts;
            seen.first_media_timestamp = *d.media_timestamp;
            seen.descriptors = d.paused ? 0 : 1; // a line cannot start standing still
        };
        if (t == timelines_.end()) {
            if (timelines_.size() >= max_timelines) {
                continue;
            }
            temi_timeline_seen seen;
            seen.pid = start.pid;
            seen.timeline_id = d.timeline_id;
            seen.component_tag = component_tag;
            restart(seen);
            timelines_.push_back(seen);
            set_aside_.emplace_back();
            continue;
        }
        auto& aside = set_aside_[static_cast<std::size_t>(t - timelines_.begin())];
        if (component_tag) {
            t->component_tag = component_tag; // the latest PMT's
        }
        if (t->departs_at_pts) {
            continue;
        }
        // Against a confirmed line, any distance; a first descriptor vouches only for a near one.
        const bool on_line = t->descriptors > 0 && agree(current_line(*t).pts, line_start(*t),
                                                         start.pts, d, !t->confirmed());
        if (!t->confirmed()) {
            // Not yet two in agreement: this one confirms the line, or starts it afresh.
            if (on_line) {
                ++t->descriptors;
            } else {
                ++t->set_aside;
                restart(*t);
            }
            continue;
        }
        if (on_line) {
            ++t->descriptors;
            if (aside) {
                aside.reset(); // a lone one off the line between two on it: damaged
            }
            continue;
        }
        if (aside && agree(aside->pts, aside->descriptor, start.pts, d)) {
            if (*d.timescale == t->timescale && !d.paused && t->jumps.size() < max_jumps) {
                t->jumps.push_back(temi_jump{aside->pts, *aside->descriptor.media_timestamp});
                t->descriptors += 2;
            } else {
                t->departs_at_pts = aside->pts;
            }
            aside.reset();
            continue;
        }
        ++t->set_aside;
        aside = pending{start.pts, d};
    }
}

void temi_timeline_finder::add_all(const std::vector<pes_pts>& starts, const pts_scanner& scanner) {
    for (const auto& start : starts) {
        if (!start.temi.empty()) {
            add(start, scanner.component_tag(start.pid));
        }
    }
}

std::string temi_selector(std::uint8_t component_tag, std::uint8_t timeline_id) {
    return "urn:dvb:css:timeline:temi:" + std::to_string(component_tag) + ":" +
           std::to_string(timeline_id);
}

std::int64_t position_of_pts(const timeline_mapping& pts, std::int64_t value) noexcept {
    return pts.position_at(pts.origin_ticks + pts_difference(value, pts.origin_ticks));
}

std::optional<std::string> temi_timeline_problem(const temi_timeline_seen& seen,
                                                 const timeline_mapping& pts,
                                                 std::int64_t last_position_ns) {
    if (!seen.confirmed()) {
        return "not served (no two descriptors in a row agree on a running line)";
    }
    if (!seen.component_tag) {
        return "not served (the PMT gives its stream no component tag: no "
               "stream_identifier_descriptor)";
    }
    if (seen.timescale > max_temi_timescale) {
        return "not served (its timescale, " + std::to_string(seen.timescale) +
               " ticks/s, is above the 1 GHz a timeline may tick at)";
    }
    // Each line over its range of positions: from its start to the next line's (the last to the
    // end of the media).
    std::vector<temi_jump> lines{temi_jump{seen.first_pts, seen.first_media_timestamp}};
    lines.insert(lines.end(), seen.jumps.begin(), seen.jumps.end());
    const wide max = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const wide from_ns = position_of_pts(pts, lines[i].pts);
        const wide to_ns = i + 1 < lines.size() ? position_of_pts(pts, lines[i + 1].pts)
                                                : std::max<wide>(last_position_ns, from_ns);
        if (to_ns <= from_ns && i + 1 < lines.size()) {
            return "not served (its jumps are not in order of position: the PTS went back)";
        }
        const wide last_ticks = static_cast<wide>(lines[i].media_timestamp) +
                                (to_ns - from_ns) * seen.timescale / 1'000'000'000 + 1;
        if (last_ticks > max) {
            return "not served (its media time passes 2^63 - 1 ticks within the media)";
        }
    }
    return std::nullopt;
}

std::optional<timeline_mapping> temi_timeline(const temi_timeline_seen& seen,
                                              const timeline_mapping& pts) {
    if (temi_timeline_problem(seen, pts, 0)) {
        return std::nullopt;
    }
    timeline_mapping m;
    m.selector = temi_selector(*seen.component_tag, seen.timeline_id);
    m.units_per_tick = 1;
    m.units_per_second = seen.timescale;
    m.origin_position_ns = position_of_pts(pts, seen.first_pts);
    m.origin_ticks = static_cast<std::int64_t>(seen.first_media_timestamp);
    for (const auto& j : seen.jumps) {
        m.jumps.push_back(timeline_jump{position_of_pts(pts, j.pts),
                                        static_cast<std::int64_t>(j.media_timestamp)});
    }
    return m;
}

} // namespace dvbcss::media
