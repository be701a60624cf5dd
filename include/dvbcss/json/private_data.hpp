#pragma once

/// The `private` property of DVB-CSS messages (CSS-CII, its timeline options, CSS-TS set-up data):
/// an array of objects, each with at least a string "type" (a URI naming the kind of data), and any
/// other members the defining party chooses.

#include <dvbcss/error.hpp>
#include <dvbcss/json/raw_json.hpp>

#include <string_view>
#include <utility>

namespace dvbcss::json {

/// A validated `private` array, kept as canonical JSON text (see raw_json).
///
/// Invariant: the value is a JSON array (possibly empty) whose every element is an object with a
/// member "type" whose value is a string. Default-constructed: the empty array `[]`.
///
/// Thread safety: a value type; distinct objects safe, shared objects unsafe to mutate.
class private_data {
public:
    /// The empty array.
    private_data();

    /// Parses `text` and checks the shape above. Errors: those of raw_json::parse (including
    /// errc::value_out_of_range for a number beyond the range of a double anywhere inside), and
    /// errc::bad_field_type / errc::missing_field if the shape is wrong. Never throws on bad input.
    [[nodiscard]] static result<private_data> parse(std::string_view text);

    /// The array as canonical JSON text, e.g. `[{"type":"urn:x","v":1}]`.
    [[nodiscard]] const std::string& text() const noexcept { return json_.text(); }

    [[nodiscard]] const raw_json& json() const noexcept { return json_; }

    /// For codecs only: wraps a value already checked for the shape above.
    private_data(raw_json checked, detail::trusted_text_tag) noexcept
        : json_(std::move(checked)) {}

    friend bool operator==(const private_data&, const private_data&) = default;

private:
    raw_json json_;
};

} // namespace dvbcss::json
