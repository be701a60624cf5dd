#pragma once

/// CSS-TS messages (ETSI TS 103 286-2 clause 5.7.4-5.7.6): set-up data (companion to TV), control
/// timestamps (TV to companion) and actual, earliest and latest presentation timestamps
/// (companion to TV), with their JSON codecs.
///
/// Integers on the wire are decimal strings. Unlike the reference (unbounded Python ints), every
/// content time and wall clock time here is a signed 64-bit integer: a value outside that range
/// is rejected with errc::value_out_of_range (see docs/ts.md). A JSON number beyond the range of
/// a double in a known field is also errc::value_out_of_range, never errc::bad_json; unknown
/// properties are ignored whatever their value.

#include <dvbcss/error.hpp>
#include <dvbcss/json/private_data.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::ts {

/// The first message on a CSS-TS connection: which content (by content id prefix) and which
/// timeline of it the companion wants (clause 5.7.4).
///
/// Thread safety: a value type.
struct setup_data {
    /// Matches every content id that starts with it; the empty stem matches any content id.
    std::string content_id_stem;
    /// The timeline, e.g. "urn:dvb:css:timeline:pts" or "urn:dvb:css:timeline:temi:1:1".
    std::string timeline_selector;
    /// The optional `private` array.
    std::optional<json::private_data> private_data;

    friend bool operator==(const setup_data&, const setup_data&) = default;
};

/// A control timestamp (clause 5.7.5): the timeline position `content_time` (ticks of the
/// timeline) that corresponds to `wall_clock_time` (ns of the wall clock), and the speed at which
/// the timeline advances relative to the wall clock. `content_time` and
/// `timeline_speed_multiplier` are both empty when the timeline is unavailable; `wall_clock_time`
/// is always present.
///
/// Thread safety: a value type.
struct control_timestamp {
    std::optional<std::int64_t> content_time;
    std::int64_t wall_clock_time = 0;
    std::optional<double> timeline_speed_multiplier;

    /// True when the timeline is available (both optional parts present).
    [[nodiscard]] bool available() const noexcept {
        return content_time.has_value() && timeline_speed_multiplier.has_value();
    }

    /// The "timeline unavailable" form, stamped with the wall clock time `wall_clock_ns`.
    [[nodiscard]] static control_timestamp unavailable(std::int64_t wall_clock_ns) noexcept {
        return control_timestamp{std::nullopt, wall_clock_ns, std::nullopt};
    }

    friend bool operator==(const control_timestamp&, const control_timestamp&) = default;
};

/// A wall clock time in a presentation timestamp: nanoseconds, or one of the two infinities the
/// protocol allows ("minusinfinity" only in `earliest`, "plusinfinity" only in `latest`).
///
/// Thread safety: a value type.
struct wall_time {
    enum class kind : std::uint8_t {
        finite,
        minus_infinity,
        plus_infinity
    };
    kind k = kind::finite;
    std::int64_t ns = 0; ///< Meaningful only when `k == kind::finite`.

    [[nodiscard]] static constexpr wall_time at(std::int64_t ns) noexcept {
        return {kind::finite, ns};
    }

    [[nodiscard]] static constexpr wall_time minus_infinity() noexcept {
        return {kind::minus_infinity, 0};
    }

    [[nodiscard]] static constexpr wall_time plus_infinity() noexcept {
        return {kind::plus_infinity, 0};
    }

    [[nodiscard]] constexpr bool finite() const noexcept { return k == kind::finite; }

    friend constexpr bool operator==(const wall_time& a, const wall_time& b) noexcept {
        return a.k == b.k && (a.k != kind::finite || a.ns == b.ns);
    }
};

/// A content time (timeline ticks) paired with the wall clock time at which it is presented.
struct presentation_timestamp {
    std::int64_t content_time = 0;
    wall_time wall_clock_time;

    friend bool operator==(const presentation_timestamp&, const presentation_timestamp&) = default;
};

/// Actual, earliest and latest presentation timestamps (clause 5.7.6): when the companion is
/// presenting (`actual`, optional) and could at the earliest / at the latest present a given
/// content time. By default the companion can present anything: earliest at minus infinity,
/// latest at plus infinity.
///
/// Thread safety: a value type.
struct apt_ept_lpt {
    std::optional<presentation_timestamp> actual;
    presentation_timestamp earliest{0, wall_time::minus_infinity()};
    presentation_timestamp latest{0, wall_time::plus_infinity()};

    friend bool operator==(const apt_ept_lpt&, const apt_ept_lpt&) = default;
};

/// Where a decode failed: the JSON path of the offending property (e.g. "contentTime",
/// "earliest.wallClockTime", "private"), empty when the failure concerns the whole text.
struct decode_detail {
    std::string field;
};

/// Decoders. Errors (never exceptions on bad input):
/// - errc::message_too_large, errc::bad_json: text too long, malformed, too deep, or not an object;
/// - errc::missing_field: a required property is absent;
/// - errc::bad_field_type: wrong JSON type (e.g. a number where a decimal string is required, or
///   null where null is not allowed);
/// - errc::bad_field_value: a string that is not a canonical decimal integer ("-0", "007", "+5",
///   " 1", "1\n"), an infinity in the wrong place, contentTime and speed not both null or both set;
/// - errc::value_out_of_range: an integer outside int64, a number outside double range.
/// If `detail` is given, it receives the path of the offending property.
[[nodiscard]] result<setup_data> decode_setup_data(std::string_view text,
                                                   decode_detail* detail = nullptr);
[[nodiscard]] result<control_timestamp> decode_control_timestamp(std::string_view text,
                                                                 decode_detail* detail = nullptr);
[[nodiscard]] result<apt_ept_lpt> decode_apt_ept_lpt(std::string_view text,
                                                     decode_detail* detail = nullptr);

/// Encoders: compact JSON; integers as decimal strings; the speed as the shortest JSON number that
/// reads back as the same double. Throws std::invalid_argument for a value the protocol cannot
/// carry (a non-finite speed; an available/unavailable mismatch in a control timestamp; minus
/// infinity in `latest`, plus infinity in `earliest`, or any infinity in `actual`).
/// `decode_x(encode(v)) == v` for every encodable v.
[[nodiscard]] std::string encode(const setup_data& m);
[[nodiscard]] std::string encode(const control_timestamp& m);
[[nodiscard]] std::string encode(const apt_ept_lpt& m);

} // namespace dvbcss::ts
