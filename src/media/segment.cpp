#include <dvbcss/media/segment.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace dvbcss::media {
namespace {

// `value / |rate|` (or `value * |rate|`), exact when |rate| is 1, else rounded to the nearest ns.
std::int64_t divide_by_rate(std::int64_t value, double rate) noexcept {
    const double magnitude = std::fabs(rate);
    if (magnitude == 1.0) {
        return value;
    }
    return static_cast<std::int64_t>(std::llroundl(static_cast<long double>(value) / magnitude));
}

std::int64_t multiply_by_rate(std::int64_t value, double rate) noexcept {
    const double magnitude = std::fabs(rate);
    if (magnitude == 1.0) {
        return value;
    }
    return static_cast<std::int64_t>(std::llroundl(static_cast<long double>(value) * magnitude));
}

} // namespace

std::optional<std::int64_t> to_running_time(const segment& s, std::int64_t position) noexcept {
    if (s.rate > 0) {
        const std::int64_t from = s.start + s.offset;
        if (position < from || (s.stop && position > *s.stop)) {
            return std::nullopt;
        }
        return divide_by_rate(position - from, s.rate) + s.base;
    }
    if (!s.stop) {
        return std::nullopt;
    }
    const std::int64_t from = *s.stop - s.offset;
    if (position > from || position < s.start) {
        return std::nullopt;
    }
    return divide_by_rate(from - position, s.rate) + s.base;
}

std::optional<std::int64_t> position_from_running_time(const segment& s,
                                                       std::int64_t running_time) noexcept {
    if (running_time < s.base) {
        return std::nullopt;
    }
    const std::int64_t played = multiply_by_rate(running_time - s.base, s.rate);
    if (s.rate > 0) {
        const std::int64_t position = s.start + s.offset + played;
        if (s.stop && position > *s.stop) {
            return std::nullopt;
        }
        return position;
    }
    if (!s.stop) {
        return std::nullopt;
    }
    const std::int64_t position = *s.stop - s.offset - played;
    if (position < s.start) {
        return std::nullopt;
    }
    return position;
}

std::optional<std::int64_t> to_stream_time(const segment& s, std::int64_t position) noexcept {
    if (position < s.start || (s.stop && position > *s.stop)) {
        return std::nullopt;
    }
    const std::int64_t moved = multiply_by_rate(position - s.start, s.applied_rate);
    const std::int64_t stream = s.applied_rate > 0 ? s.time + moved : s.time - moved;
    if (stream < 0) {
        return std::nullopt;
    }
    return stream;
}

std::optional<segment> after_instant_rate_change(const segment& s, std::int64_t running_time,
                                                 double rate) noexcept {
    if (!(rate > 0) || !(s.rate > 0)) {
        return std::nullopt;
    }
    const std::int64_t from = std::max(running_time, s.base);
    std::int64_t position = s.start + s.offset;
    if (const auto reached = position_from_running_time(s, from)) {
        position = *reached;
    } else if (s.stop) {
        position = *s.stop; // past the segment's end: the change applies to nothing played
    }
    segment out = s;
    out.rate = rate;
    out.start = position;
    out.offset = 0;
    out.base = from;
    out.time = s.time +
               (s.applied_rate > 0 ? 1 : -1) * multiply_by_rate(position - s.start, s.applied_rate);
    return out;
}

} // namespace dvbcss::media
