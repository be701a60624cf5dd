#pragma once

/// One entry of the CSS-CII `timelines` property: a timeline the TV can report on CSS-TS, with its
/// tick rate.

#include <dvbcss/error.hpp>
#include <dvbcss/json/private_data.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace dvbcss::cii {

/// The JSON `timelineProperties` object of a timeline option: the tick rate as the fraction
/// `units_per_second / units_per_tick` ticks per second (e.g. 1001 and 30000 give 29.97 Hz), and
/// an optional accuracy.
///
/// Thread safety: a value type; distinct objects safe, shared objects unsafe to mutate.
struct timeline_properties {
    std::uint64_t units_per_tick = 1;   ///< "unitsPerTick": a positive integer.
    std::uint64_t units_per_second = 1; ///< "unitsPerSecond": a positive integer.
    /// "accuracy": how far the timeline may be from the content, seconds (finite, >= 0).
    std::optional<double> accuracy;

    /// Ticks per second (`units_per_second / units_per_tick`). Undefined if units_per_tick is 0.
    [[nodiscard]] double tick_rate() const noexcept {
        return static_cast<double>(units_per_second) / static_cast<double>(units_per_tick);
    }

    friend bool operator==(const timeline_properties&, const timeline_properties&) = default;
};

/// A timeline option: `{"timelineSelector": ..., "timelineProperties": {...}, "private": [...]}`.
///
/// Valid when the selector is a non-empty string, both unit counts are positive and any accuracy is
/// finite and not negative (see `validate`). The decoder only produces valid options; `encode`
/// requires them.
///
/// Thread safety: a value type; distinct objects safe, shared objects unsafe to mutate.
struct timeline_option {
    /// "timelineSelector": a URN such as `urn:dvb:css:timeline:pts`.
    std::string timeline_selector;
    /// "timelineProperties". Qualified type name: the member has the same name.
    cii::timeline_properties timeline_properties;
    /// "private": optional; absent when not set (null is not allowed here).
    std::optional<json::private_data> private_data;

    friend bool operator==(const timeline_option&, const timeline_option&) = default;
};

/// Checks the invariants above. Returns errc::bad_field_value (empty selector, zero units,
/// negative or non-finite accuracy) or success.
[[nodiscard]] error_code validate(const timeline_option& option) noexcept;

} // namespace dvbcss::cii
