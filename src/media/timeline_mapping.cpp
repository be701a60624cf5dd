#include <dvbcss/media/timeline_mapping.hpp>

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

std::int64_t timeline_mapping::ticks_at(std::int64_t position_ns) const noexcept {
    const wide elapsed = static_cast<wide>(position_ns) - origin_position_ns;
    return origin_ticks + divide_rounded(elapsed * static_cast<wide>(units_per_second),
                                         static_cast<wide>(units_per_tick) * ns_per_s);
}

std::int64_t timeline_mapping::position_at(std::int64_t ticks) const noexcept {
    const wide moved = static_cast<wide>(ticks) - origin_ticks;
    return origin_position_ns + divide_rounded(moved * static_cast<wide>(units_per_tick) * ns_per_s,
                                               static_cast<wide>(units_per_second));
}

timeline_mapping pts_timeline(std::int64_t first_pts, std::int64_t first_position_ns) {
    return timeline_mapping{"urn:dvb:css:timeline:pts", 1, 90'000, first_position_ns, first_pts};
}

timeline_mapping ct_timeline(std::uint32_t timescale, std::int64_t first_ct,
                             std::int64_t first_position_ns) {
    return timeline_mapping{"urn:dvb:css:timeline:ct", 1, timescale, first_position_ns, first_ct};
}

} // namespace dvbcss::media
