#pragma once

/// An opaque JSON value carried through a codec without being interpreted, such as the `private`
/// data of CSS-CII and CSS-TS messages.

#include <dvbcss/error.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace dvbcss::json {

namespace detail {
/// Passkey for codecs that build a raw_json from a value they have already parsed and checked
/// against the limits (see src/json/detail/parse.hpp). Not for users.
struct trusted_text_tag {
    explicit trusted_text_tag() = default;
};
} // namespace detail

/// One well-formed JSON value, stored as its canonical serialised text (no insignificant
/// whitespace, object keys sorted, numbers and strings in a fixed form).
///
/// Invariant: the text is valid JSON, at most `limits::max_json_message_bytes` long and nested at
/// most `limits::max_json_depth` deep. Because it is only text, copying, comparing and destroying
/// a raw_json never recurses, whatever a peer sent. Two values that differ only in whitespace or
/// key order compare equal.
///
/// Thread safety: a value type; distinct objects safe, shared objects unsafe to mutate.
class raw_json {
public:
    /// JSON `null`.
    raw_json();

    /// Parses and canonicalises `text`. Errors: errc::message_too_large if longer than
    /// `limits::max_json_message_bytes`; errc::bad_json if not exactly one well-formed JSON value
    /// or nested deeper than `limits::max_json_depth`; errc::value_out_of_range if it holds a
    /// number beyond the range of a double (e.g. `1e400`), which could not be kept exactly.
    /// Never throws on bad input.
    [[nodiscard]] static result<raw_json> parse(std::string_view text);

    /// The canonical text.
    [[nodiscard]] const std::string& text() const noexcept { return text_; }

    /// For codecs only: wraps text that is already canonical and within limits.
    raw_json(std::string canonical_text, detail::trusted_text_tag) noexcept
        : text_(std::move(canonical_text)) {}

    friend bool operator==(const raw_json&, const raw_json&) = default;

private:
    std::string text_;
};

} // namespace dvbcss::json
