#pragma once

// Private helpers shared by the JSON codecs of every area (CII, TS): bounded parsing, canonical
// text for opaque values, and a small writer. Includes nlohmann/json.hpp, so only codec .cpp files
// include this header; it is never installed.

#include <dvbcss/error.hpp>
#include <dvbcss/json/private_data.hpp>
#include <dvbcss/json/raw_json.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace dvbcss::json::detail {

/// Parses untrusted text with no exceptions and with the limits of limits.hpp enforced during the
/// parse: errc::message_too_large if longer than limits::max_json_message_bytes, errc::bad_json if
/// malformed or if containers nest more than limits::max_json_depth deep. A value returned here is
/// bounded, so it may then be copied or dumped.
///
/// A number token that is well-formed JSON but beyond the range of a double (`1e400`, a 400-digit
/// integer) does not fail the parse: the value at its place is an out-of-range placeholder (see
/// is_out_of_range_number), so a decoder can ignore it in an unknown property and report
/// errc::value_out_of_range, with the path it knows, in a known one. (nlohmann's own parser stops
/// at such a token, which would make a whole valid message "not JSON".)
[[nodiscard]] result<nlohmann::json> parse_bounded(std::string_view text) noexcept;

/// True if `v` is the placeholder parse_bounded leaves for a number beyond the range of a double.
/// The placeholder is a JSON "binary" value, a type that parsed text cannot otherwise produce, so
/// it never collides with anything a peer sent, and a decoder that forgets to test for it still
/// rejects it as the wrong type.
[[nodiscard]] bool is_out_of_range_number(const nlohmann::json& v) noexcept;

/// True if `v` or any value nested in it is such a placeholder. `v` must come from parse_bounded
/// (the walk recurses once per level of nesting).
[[nodiscard]] bool contains_out_of_range_number(const nlohmann::json& v) noexcept;

/// The canonical text of a value returned by parse_bounded (or a part of it). Precondition:
/// `!contains_out_of_range_number(bounded)`; throws std::invalid_argument otherwise.
[[nodiscard]] raw_json to_raw_json(const nlohmann::json& bounded);

/// Checks that `bounded` has the shape of a `private` array: errc::value_out_of_range if it
/// holds a number beyond the range of a double anywhere, errc::bad_field_type if it is not an
/// array of objects or a "type" is not a string, errc::missing_field if an object has no "type".
[[nodiscard]] result<private_data> to_private_data(const nlohmann::json& bounded);

/// Appends `s` as a quoted JSON string. Control characters are escaped; bytes that are not valid
/// UTF-8 are replaced by U+FFFD, so the output is always valid JSON.
void append_string(std::string& out, std::string_view s);

/// Appends a finite double in the shortest form that reads back as the same value. Precondition:
/// `std::isfinite(v)` (JSON has no NaN or infinity); throws std::invalid_argument otherwise.
void append_double(std::string& out, double v);

/// Appends an unsigned integer in decimal.
void append_uint(std::string& out, unsigned long long v);

/// Reads a JSON number with a whole, non-negative value ("1.0" and "3e2" count):
/// errc::bad_field_type for strings, fractions and other types, errc::bad_field_value for negative
/// values, errc::value_out_of_range for whole numbers beyond 2^64-1 and numbers beyond the range
/// of a double.
[[nodiscard]] result<unsigned long long> read_uint(const nlohmann::json& v) noexcept;

} // namespace dvbcss::json::detail
