#pragma once

// Reading a TV's timeline truth (tv-device / ts-server --json "timeline" lines) and a companion's
// estimates (ts-client --json status lines), and the truth's content time at any instant. Every
// process reads the same CLOCK_MONOTONIC, which is also the TV's wall clock, so the two outputs
// can be set side by side.

#include "support/child_process.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dvbcss::test {

/// The selector of the PTS timeline every tv-device content offers.
inline constexpr auto pts = "urn:dvb:css:timeline:pts";

/// One state of the TV's timeline: a {"event":"timeline",...} line for one selector.
struct truth_point {
    std::int64_t monotonic_ns = 0;            ///< When the TV printed it.
    std::int64_t wall_clock_ns = 0;           ///< The correlation's wall clock time.
    std::optional<std::int64_t> content_time; ///< Ticks at wall_clock_ns; none: unavailable.
    double speed = 0;
    double tick_rate = 0;
};

/// The timeline lines ({"event":"timeline",...}) of `output` for `selector`, in order, whole.
inline std::vector<nlohmann::json> timeline_lines_of(const std::string& output,
                                                     const std::string& selector) {
    std::vector<nlohmann::json> out;
    for (const auto& line : lines_of(output)) {
        if (line.empty() || line.front() != '{') {
            continue;
        }
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.value("event", "") == "timeline" &&
            j.value("selector", "") == selector) {
            out.push_back(std::move(j));
        }
    }
    return out;
}

/// The timeline lines of `output` for `selector`, in order.
inline std::vector<truth_point> truth_of(const std::string& output, const std::string& selector) {
    std::vector<truth_point> points;
    for (const auto& j : timeline_lines_of(output, selector)) {
        truth_point p;
        p.monotonic_ns = j.at("monotonic_ns").get<std::int64_t>();
        p.wall_clock_ns = j.at("wall_clock_ns").get<std::int64_t>();
        if (!j.at("content_time").is_null()) {
            p.content_time = j.at("content_time").get<std::int64_t>();
            p.speed = j.at("speed").get<double>();
        }
        p.tick_rate = j.at("tick_rate").get<double>();
        points.push_back(p);
    }
    return points;
}

/// The content time (ticks, unrounded) `point` gives at CLOCK_MONOTONIC `monotonic_ns`; none if
/// the timeline is unavailable.
inline std::optional<double> truth_at(const truth_point& point, std::int64_t monotonic_ns) {
    if (!point.content_time) {
        return std::nullopt;
    }
    return static_cast<double>(*point.content_time) +
           static_cast<double>(monotonic_ns - point.wall_clock_ns) * point.speed * point.tick_rate /
               1e9;
}

/// One status line of ts-client --json.
struct timeline_estimate {
    std::int64_t monotonic_ns = 0;
    std::optional<double> content_time; ///< Ticks, unrounded (position_s * tick_rate).
    double tick_rate = 0;
};

/// The status lines (not the events) of ts-client --json `output`, in order.
inline std::vector<timeline_estimate> timeline_estimates_of(const std::string& output) {
    std::vector<timeline_estimate> out;
    for (const auto& line : lines_of(output)) {
        if (line.empty() || line.front() != '{') {
            continue;
        }
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || j.contains("event") || !j.contains("position_s")) {
            continue;
        }
        timeline_estimate e;
        e.monotonic_ns = j.at("monotonic_ns").get<std::int64_t>();
        e.tick_rate = j.at("tick_rate").get<double>();
        if (!j.at("position_s").is_null()) {
            e.content_time = j.at("position_s").get<double>() * e.tick_rate;
        }
        out.push_back(e);
    }
    return out;
}

} // namespace dvbcss::test
