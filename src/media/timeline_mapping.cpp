#include <dvbcss/media/timeline_mapping.hpp>

#include <limits>

namespace dvbcss::media {
namespace {

__extension__ using wide = __int128;
constexpr wide ns_per_s = 1'000'000'000;

// numerator / denominator rounded to the nearest integer, halves away from zero (denominator > 0).
std::int64_t divide_rounded(wide numerator, wide denominator) noexcept {
    const wide half = denominator / 2;
    const wide rounded =
        numerator >= 0 ? (numerator + half) / denominator : -((-numerator + half) / denominator);
    return static_cast<std::int64_t>(rounded);
}

} // namespace

std::size_t timeline_mapping::line_at(std::int64_t position_ns) const noexcept {
    std::size_t line = 0;
    while (line < jumps.size() && jumps[line].position_ns <= position_ns) {
        ++line;
    }
    return line;
}

timeline_jump timeline_mapping::line_start(std::size_t line) const noexcept {
    return line == 0 || line > jumps.size() ? timeline_jump{origin_position_ns, origin_ticks}
                                            : jumps[line - 1];
}

std::int64_t timeline_mapping::ticks_on(std::size_t line, std::int64_t position_ns) const noexcept {
    const auto [at_ns, at_ticks] = line_start(line);
    const wide elapsed = static_cast<wide>(position_ns) - at_ns;
    return at_ticks + divide_rounded(elapsed * static_cast<wide>(units_per_second),
                                     static_cast<wide>(units_per_tick) * ns_per_s);
}

std::int64_t timeline_mapping::position_on(std::size_t line, std::int64_t ticks) const noexcept {
    const auto [at_ns, at_ticks] = line_start(line);
    const wide moved = static_cast<wide>(ticks) - at_ticks;
    return at_ns + divide_rounded(moved * static_cast<wide>(units_per_tick) * ns_per_s,
                                  static_cast<wide>(units_per_second));
}

std::int64_t timeline_mapping::ticks_at(std::int64_t position_ns) const noexcept {
    return ticks_on(line_at(position_ns), position_ns);
}

std::optional<std::int64_t>
timeline_mapping::position_within(std::int64_t ticks, std::optional<std::int64_t> near_ns,
                                  std::int64_t first_ns,
                                  std::optional<std::int64_t> last_ns) const noexcept {
    const std::int64_t near = near_ns.value_or(origin_position_ns);
    const auto distance = [near](std::int64_t p) {
        const wide d = static_cast<wide>(p) - near;
        return d < 0 ? -d : d;
    };
    std::optional<std::int64_t> best;
    for (std::size_t line = 0; line <= jumps.size(); ++line) {
        const auto p = position_on(line, ticks);
        const bool after_start = p >= first_ns && (line == 0 || p >= jumps[line - 1].position_ns);
        const bool before_end =
            (!last_ns || p <= *last_ns) && (line == jumps.size() || p < jumps[line].position_ns);
        if (after_start && before_end && (!best || distance(p) < distance(*best))) {
            best = p;
        }
    }
    return best;
}

std::int64_t timeline_mapping::position_at(std::int64_t ticks,
                                           std::optional<std::int64_t> near_ns) const noexcept {
    if (jumps.empty()) {
        return position_on(0, ticks);
    }
    if (const auto p = position_within(ticks, near_ns, std::numeric_limits<std::int64_t>::min(),
                                       std::nullopt)) {
        return *p;
    }
    return position_on(line_at(near_ns.value_or(origin_position_ns)), ticks);
}

std::optional<std::int64_t>
timeline_mapping::next_jump_after(std::int64_t position_ns) const noexcept {
    for (const auto& j : jumps) {
        if (j.position_ns > position_ns) {
            return j.position_ns;
        }
    }
    return std::nullopt;
}

timeline_mapping pts_timeline(std::int64_t first_pts, std::int64_t first_position_ns) {
    return timeline_mapping{"urn:dvb:css:timeline:pts", 1,         90'000,
                            first_position_ns,          first_pts, {}};
}

timeline_mapping ct_timeline(std::uint32_t timescale, std::int64_t first_ct,
                             std::int64_t first_position_ns) {
    return timeline_mapping{"urn:dvb:css:timeline:ct", 1,        timescale,
                            first_position_ns,         first_ct, {}};
}

} // namespace dvbcss::media
