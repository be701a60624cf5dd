#pragma once

/// The CSS-CII message (ETSI TS 103 286-2 §6): the JSON object a TV pushes to companions to say
/// what it is showing and where its other endpoints are, and the codec, diff and merge operations
/// on it.

#include <dvbcss/cii/timeline_option.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/json/field.hpp>
#include <dvbcss/json/private_data.hpp>

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::cii {

/// The only protocol version spoken: "1.1".
inline constexpr std::string_view protocol_version_1_1 = "1.1";

/// The properties of a CII message, in the order the encoder writes them.
enum class property : std::uint8_t {
    protocol_version,    ///< "protocolVersion"
    mrs_url,             ///< "mrsUrl"
    content_id,          ///< "contentId"
    content_id_status,   ///< "contentIdStatus"
    presentation_status, ///< "presentationStatus"
    wc_url,              ///< "wcUrl"
    ts_url,              ///< "tsUrl"
    te_url,              ///< "teUrl"
    timelines,           ///< "timelines"
    private_data,        ///< "private"
};

inline constexpr std::size_t property_count = 10;

/// Every property, in encoder order, for iteration.
inline constexpr std::array<property, property_count> all_properties{property::protocol_version,
                                                                     property::mrs_url,
                                                                     property::content_id,
                                                                     property::content_id_status,
                                                                     property::presentation_status,
                                                                     property::wc_url,
                                                                     property::ts_url,
                                                                     property::te_url,
                                                                     property::timelines,
                                                                     property::private_data};

/// A set of properties, indexed by `static_cast<std::size_t>(property)`.
using property_set = std::bitset<property_count>;

/// Adds `p` to `set` and returns it.
inline property_set& add(property_set& set, property p) {
    return set.set(static_cast<std::size_t>(p));
}

/// True if `p` is in `set`.
[[nodiscard]] inline bool contains(const property_set& set, property p) {
    return set.test(static_cast<std::size_t>(p));
}

/// The JSON key of a property, e.g. "contentIdStatus".
[[nodiscard]] std::string_view json_key(property p) noexcept;

/// The property with JSON key `key`, if it is one of the ten.
[[nodiscard]] std::optional<property> property_from_json_key(std::string_view key) noexcept;

/// The JSON keys of the properties in `set`, comma-separated in encoder order (for log lines).
[[nodiscard]] std::string describe(const property_set& set);

/// "contentIdStatus": whether the contentId is still being built up (partial) or complete (final).
enum class id_status : std::uint8_t {
    partial, ///< "partial"
    final,   ///< "final"
};

/// The first token of presentationStatus as a category. Tokens other than the three defined ones
/// are accepted (clients must tolerate extensions) and reported as `other`.
enum class primary_status : std::uint8_t {
    okay,
    transitioning,
    fault,
    other,
};

/// A CSS-CII message: ten properties, each absent (not in the JSON object), null (unknown) or a
/// value.
///
/// Valid when (see `validate`): protocol_version is null or "1.1"; presentation_status, if a value,
/// is a non-empty list of non-empty tokens without spaces; every timeline option is valid.
/// `decode_cii` produces only valid messages and `encode` requires one.
///
/// Thread safety: a value type; distinct objects safe, shared objects unsafe to mutate.
struct message {
    json::field<std::string> protocol_version; ///< "protocolVersion": null or "1.1".
    json::field<std::string> mrs_url;          ///< "mrsUrl": URL of the material resolution server.
    json::field<std::string> content_id;       ///< "contentId": e.g. a dvb:// URL; "" allowed.
    json::field<id_status> content_id_status;  ///< "contentIdStatus".
    /// "presentationStatus": the space-separated token list split into tokens; the first is
    /// normally okay, transitioning or fault (see `primary`).
    json::field<std::vector<std::string>> presentation_status;
    json::field<std::string> wc_url; ///< "wcUrl": CSS-WC endpoint, udp://host:port (not checked).
    json::field<std::string> ts_url; ///< "tsUrl": CSS-TS endpoint, ws://... (not checked).
    json::field<std::string> te_url; ///< "teUrl": CSS-TE endpoint (carried only).
    json::field<std::vector<timeline_option>> timelines; ///< "timelines": [] allowed.
    json::field<json::private_data> private_data;        ///< "private".

    /// The properties that are not absent.
    [[nodiscard]] property_set defined_properties() const noexcept;

    /// True when every property is absent (the message encodes to "{}").
    [[nodiscard]] bool empty() const noexcept { return defined_properties().none(); }

    /// The category of the first presentationStatus token, if there is a value.
    [[nodiscard]] std::optional<primary_status> primary() const noexcept;

    /// A message with every property null: what a client knows before anything is received.
    [[nodiscard]] static message all_null();

    friend bool operator==(const message&, const message&) = default;
};

/// True if property `p` holds the same state and value in `a` and `b`.
[[nodiscard]] bool same_property(const message& a, const message& b, property p);

/// Copies property `p` (whatever its state) from `from` into `to`.
void copy_property(message& to, const message& from, property p);

/// Sets property `p` of `m` to absent or null.
void set_property_absent(message& m, property p);
void set_property_null(message& m, property p);

/// The state (absent, null, value) of property `p` in `m`.
[[nodiscard]] json::field_state property_state(const message& m, property p) noexcept;

/// Checks the invariants listed on `message`. Returns errc::bad_version (protocolVersion not
/// "1.1"), errc::bad_field_value, or success.
[[nodiscard]] error_code validate(const message& m) noexcept;

/// Parses one CII message. Unknown properties are ignored. Never throws on bad input; errors:
/// - errc::message_too_large: longer than limits::max_json_message_bytes;
/// - errc::bad_json: not well-formed JSON, or nested deeper than limits::max_json_depth;
/// - errc::bad_field_type: not an object, or a property of the wrong JSON type;
/// - errc::bad_version: protocolVersion is a string other than "1.1";
/// - errc::bad_field_value: contentIdStatus not partial/final, malformed presentationStatus,
///   zero unitsPerTick/unitsPerSecond, negative accuracy, empty timelineSelector;
/// - errc::missing_field: a timeline option without timelineSelector, timelineProperties,
///   unitsPerTick or unitsPerSecond, or a private entry without "type";
/// - errc::value_out_of_range: a unit count larger than 2^64-1, or a known property (or a value
///   inside `private`) holding a number beyond the range of a double, such as `1e400`. The same
///   number in an unknown property is ignored like any other value.
[[nodiscard]] result<message> decode_cii(std::string_view text);

/// Serialises `m` as compact JSON: absent properties are left out, null ones written as null, in
/// `all_properties` order. Throws std::invalid_argument if `validate(m)` fails (a caller bug: every
/// decoded message is valid). `decode_cii(encode(m)) == m` for every valid `m`.
[[nodiscard]] std::string encode(const message& m);

/// The changes that turn `old_cii` into `new_cii`: each property whose state or value differs, set
/// to its state in `new_cii`, and everything else absent.
///
/// Unlike the reference implementation (pydvbcss), a property that holds a value in `old_cii` but
/// is absent in `new_cii` appears in the diff as **null**: the receiver then knows the value is no
/// longer known, where the reference would silently leave the old value in place. (Null or absent
/// in `old_cii` and absent in `new_cii` is no change.) Hence `combine(old_cii, diff(old_cii,
/// new_cii))` equals `new_cii` except that properties absent in `new_cii` read as null wherever
/// `old_cii` had a value, and keep their old null.
[[nodiscard]] message diff(const message& old_cii, const message& new_cii);

/// Overwrites every property of `target` that is present (null or value) in `changes`, and leaves
/// the rest alone: how a client folds a received message into what it knows.
void update(message& target, const message& changes);

/// `update` on a copy: `base` with `changes` applied.
[[nodiscard]] message combine(message base, const message& changes);

/// The properties present in `changes` whose state or value differs from `current`: what an
/// `update(current, changes)` would actually change.
[[nodiscard]] property_set changed_properties(const message& current, const message& changes);

} // namespace dvbcss::cii
