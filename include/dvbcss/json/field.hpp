#pragma once

/// The three states a property of a CSS-CII or CSS-TS JSON message can be in: absent (the key is
/// not in the object), null (the key maps to JSON `null`) or a value. The protocols give each a
/// different meaning (for CII: "unchanged", "unknown", "now this"), so the codecs keep all three.

#include <compare>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace dvbcss::json {

/// Tag type for "the key is not in the JSON object". Use the constant `json::absent`.
struct absent_t {
    friend constexpr bool operator==(absent_t, absent_t) noexcept = default;
};

/// Tag type for "the key maps to JSON null". Use the constant `json::null`.
struct null_t {
    friend constexpr bool operator==(null_t, null_t) noexcept = default;
};

inline constexpr absent_t absent{};
inline constexpr null_t null{};

/// Which of the three states a field is in.
enum class field_state : std::uint8_t {
    absent_key, ///< Not present in the JSON object.
    json_null,  ///< Present, with the value JSON null.
    value,      ///< Present, with a value of type T.
};

/// Thrown by `field<T>::value()` when the field holds no value: reading a value that is not there
/// is a programming error (check `has_value()` first), never a consequence of network input.
class bad_field_access : public std::logic_error {
public:
    bad_field_access()
        : std::logic_error("dvbcss::json::field has no value") {}
};

/// One JSON property that may be absent, null or hold a value of type T.
///
/// Default-constructed fields are absent. Assign `json::absent`, `json::null` or anything a T can
/// be built from:
/// ```
/// field<std::string> url;        // absent
/// url = json::null;              // null
/// url = "udp://10.0.0.1:6677";   // value
/// ```
/// Two fields are equal when they are in the same state and, for values, the values are equal.
///
/// Thread safety: a value type; distinct objects safe, shared objects unsafe to mutate.
template <class T>
class field {
public:
    using value_type = T;

    /// An absent field.
    constexpr field() noexcept = default;

    constexpr field(absent_t) noexcept {}

    constexpr field(null_t) noexcept
        : v_(null_t{}) {}

    /// A field holding `v` (anything T is constructible from, e.g. a string literal).
    template <class U = T>

    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, field> &&
             !std::is_same_v<std::remove_cvref_t<U>, absent_t> &&
             !std::is_same_v<std::remove_cvref_t<U>,
                             null_t>) constexpr field(U&& v) // NOLINT(google-explicit-constructor):
                                                             // fields read like plain values
        : v_(std::in_place_index<2>, std::forward<U>(v)) {}

    /// Factories, for when a named form reads better than assignment.
    [[nodiscard]] static constexpr field make_absent() noexcept { return field{}; }

    [[nodiscard]] static constexpr field make_null() noexcept { return field{null_t{}}; }

    template <class... Args>
    [[nodiscard]] static constexpr field make_value(Args&&... args) {
        field f;
        f.v_.template emplace<2>(std::forward<Args>(args)...);
        return f;
    }

    [[nodiscard]] constexpr field_state state() const noexcept {
        return static_cast<field_state>(v_.index());
    }

    [[nodiscard]] constexpr bool is_absent() const noexcept { return v_.index() == 0; }

    [[nodiscard]] constexpr bool is_null() const noexcept { return v_.index() == 1; }

    [[nodiscard]] constexpr bool has_value() const noexcept { return v_.index() == 2; }

    /// True when the key is in the object, whether null or a value.
    [[nodiscard]] constexpr bool is_present() const noexcept { return !is_absent(); }

    /// The value. Throws bad_field_access if the field is absent or null.
    [[nodiscard]] constexpr const T& value() const& {
        if (!has_value())
            throw bad_field_access();
        return std::get<2>(v_);
    }

    [[nodiscard]] constexpr T& value() & {
        if (!has_value())
            throw bad_field_access();
        return std::get<2>(v_);
    }

    /// A pointer to the value, or nullptr if the field is absent or null.
    [[nodiscard]] constexpr const T* get_if() const noexcept { return std::get_if<2>(&v_); }

    [[nodiscard]] constexpr T* get_if() noexcept { return std::get_if<2>(&v_); }

    /// The value, or `fallback` if the field is absent or null.
    template <class U>
    [[nodiscard]] constexpr T value_or(U&& fallback) const& {
        return has_value() ? std::get<2>(v_) : static_cast<T>(std::forward<U>(fallback));
    }

    /// Replaces the contents with a value built in place.
    template <class... Args>
    constexpr T& emplace(Args&&... args) {
        return v_.template emplace<2>(std::forward<Args>(args)...);
    }

    constexpr void set_null() noexcept { v_.template emplace<1>(); }

    constexpr void reset() noexcept { v_.template emplace<0>(); }

    friend constexpr bool operator==(const field&, const field&) = default;

private:
    std::variant<absent_t, null_t, T> v_;
};

} // namespace dvbcss::json
