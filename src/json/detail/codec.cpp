#include "json/detail/codec.hpp"

#include <dvbcss/limits.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace dvbcss::json::detail {

namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// True if `token` (a maximal run of number characters) is a JSON number token that a double cannot
// hold: its value, rounded to the nearest double, is infinite. False for tokens that are not
// well-formed numbers: the parser rejects those itself.
bool overflows_double(std::string_view token) noexcept {
    std::size_t i = 0;
    if (i < token.size() && token[i] == '-')
        ++i;
    const std::size_t int_begin = i;
    if (i == token.size() || !is_digit(token[i]))
        return false;
    if (token[i] == '0')
        ++i;
    else
        while (i < token.size() && is_digit(token[i]))
            ++i;
    const std::size_t int_end = i;
    std::size_t frac_begin = i;
    std::size_t frac_end = i;
    if (i < token.size() && token[i] == '.') {
        frac_begin = ++i;
        while (i < token.size() && is_digit(token[i]))
            ++i;
        frac_end = i;
        if (frac_end == frac_begin)
            return false;
    }
    // The exponent, saturated: the mantissa has at most max_json_message_bytes digits, so a
    // saturated exponent still tells overflow from underflow.
    constexpr std::int64_t exponent_cap = 1'000'000'000;
    std::int64_t exponent = 0;
    if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
        ++i;
        bool negative = false;
        if (i < token.size() && (token[i] == '+' || token[i] == '-'))
            negative = token[i++] == '-';
        const std::size_t exp_begin = i;
        while (i < token.size() && is_digit(token[i])) {
            if (exponent < exponent_cap)
                exponent = exponent * 10 + (token[i] - '0');
            ++i;
        }
        if (i == exp_begin)
            return false;
        if (negative)
            exponent = -exponent;
    }
    if (i != token.size())
        return false;

    // The decimal order of magnitude of the leading significant digit.
    std::int64_t order = 0;
    bool nonzero = false;
    for (std::size_t k = int_begin; k < int_end && !nonzero; ++k) {
        if (token[k] != '0') {
            nonzero = true;
            order = static_cast<std::int64_t>(int_end - k) - 1;
        }
    }
    for (std::size_t k = frac_begin; k < frac_end && !nonzero; ++k) {
        if (token[k] != '0') {
            nonzero = true;
            order = -static_cast<std::int64_t>(k - frac_begin) - 1;
        }
    }
    if (!nonzero)
        return false;
    order += exponent;
    // DBL_MAX is about 1.8e308: below order 308 every value fits, above it none does, and at 308
    // the correctly rounded conversion decides (as the parser's own strtod would).
    if (order < 308)
        return false;
    if (order > 308)
        return true;
    double value = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    return ec == std::errc::result_out_of_range || !std::isfinite(value);
}

// Finds the number tokens (outside strings) that overflow a double. Returns their ordinals among
// all number tokens of the text, ascending, and writes into `patched` the text with each of them
// replaced by 0 (left empty when there are none). For text that is not well-formed JSON the
// result does not matter: the parse fails anyway.
std::vector<std::size_t> find_overflowing_numbers(std::string_view text, std::string& patched) {
    std::vector<std::size_t> ordinals;
    std::size_t copied = 0; // text[0, copied) is already in `patched`
    std::size_t ordinal = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\')
                    ++i;
            }
            ++i;
            continue;
        }
        if (c != '-' && !is_digit(c)) {
            ++i;
            continue;
        }
        const std::size_t begin = i;
        while (i < text.size() && (is_digit(text[i]) || text[i] == '-' || text[i] == '+' ||
                                   text[i] == '.' || text[i] == 'e' || text[i] == 'E'))
            ++i;
        if (overflows_double(text.substr(begin, i - begin))) {
            ordinals.push_back(ordinal);
            patched.append(text.substr(copied, begin - copied));
            patched.push_back('0');
            copied = i;
        }
        ++ordinal;
    }
    if (!ordinals.empty())
        patched.append(text.substr(copied));
    return ordinals;
}

} // namespace

result<nlohmann::json> parse_bounded(std::string_view text) noexcept {
    if (text.size() > limits::max_json_message_bytes)
        return make_error_code(errc::message_too_large);
    try {
        std::string patched;
        const std::vector<std::size_t> overflowing = find_overflowing_numbers(text, patched);
        const std::string_view input = overflowing.empty() ? text : std::string_view(patched);
        std::size_t numbers_seen = 0;
        std::size_t next_overflowing = 0;
        bool too_deep = false;
        // The callback sees each container start with the number of containers around it; refusing
        // one discards it (and everything inside) while the iterative parser carries on, so the
        // DOM never holds more than max_json_depth levels. It also sees every number in text
        // order, so the n-th one is the n-th number token: those that overflowed (now 0 in
        // `input`) become the out-of-range placeholder.
        auto limit = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
            const bool opens = event == nlohmann::json::parse_event_t::object_start ||
                               event == nlohmann::json::parse_event_t::array_start;
            if (opens && depth >= limits::max_json_depth) {
                too_deep = true;
                return false;
            }
            if (event == nlohmann::json::parse_event_t::value && parsed.is_number()) {
                if (next_overflowing < overflowing.size() &&
                    overflowing[next_overflowing] == numbers_seen) {
                    parsed = nlohmann::json::binary({});
                    ++next_overflowing;
                }
                ++numbers_seen;
            }
            return !too_deep;
        };
        auto j = nlohmann::json::parse(input.begin(), input.end(), limit,
                                       /*allow_exceptions=*/false, /*ignore_comments=*/false);
        if (too_deep || j.is_discarded())
            return make_error_code(errc::bad_json);
        return j;
    } catch (const nlohmann::json::exception&) {
        return make_error_code(errc::bad_json);
    } catch (const std::bad_alloc&) {
        return make_error_code(errc::message_too_large);
    }
}

bool is_out_of_range_number(const nlohmann::json& v) noexcept {
    return v.is_binary();
}

bool contains_out_of_range_number(const nlohmann::json& v) noexcept {
    if (v.is_binary())
        return true;
    if (v.is_structured()) {
        for (const auto& item : v) {
            if (contains_out_of_range_number(item))
                return true;
        }
    }
    return false;
}

raw_json to_raw_json(const nlohmann::json& bounded) {
    if (contains_out_of_range_number(bounded))
        throw std::invalid_argument("to_raw_json: the value holds an out-of-range number");
    // Keys come out sorted (nlohmann stores objects in a std::map), without whitespace.
    return raw_json(bounded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    trusted_text_tag{});
}

result<private_data> to_private_data(const nlohmann::json& bounded) {
    if (contains_out_of_range_number(bounded))
        return make_error_code(errc::value_out_of_range);
    if (!bounded.is_array())
        return make_error_code(errc::bad_field_type);
    for (const auto& item : bounded) {
        if (!item.is_object())
            return make_error_code(errc::bad_field_type);
        const auto type = item.find("type");
        if (type == item.end())
            return make_error_code(errc::missing_field);
        if (!type->is_string())
            return make_error_code(errc::bad_field_type);
    }
    return private_data(to_raw_json(bounded), trusted_text_tag{});
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not one
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(s[k]);
    };
    const unsigned char b0 = byte(i);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi)
        return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return len;
}

} // namespace

void append_string(std::string& out, std::string_view s) {
    static constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                              '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t len = utf8_sequence_length(s, i);
            if (len == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out.push_back(hex[c >> 4U]);
                out.push_back(hex[c & 0xFU]);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        ++i;
    }
    out.push_back('"');
}

void append_double(std::string& out, double v) {
    if (!std::isfinite(v))
        throw std::invalid_argument("JSON cannot represent a non-finite number");
    if (v == 0 && std::signbit(v)) {
        // to_chars gives "-0", which JSON readers take for the integer 0: keep the sign.
        out += "-0.0";
        return;
    }
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{})
        throw std::logic_error("to_chars failed for a finite double");
    out.append(buf.data(), end);
}

void append_uint(std::string& out, unsigned long long v) {
    std::array<char, 24> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{})
        throw std::logic_error("to_chars failed for an integer");
    out.append(buf.data(), end);
}

result<unsigned long long> read_uint(const nlohmann::json& v) noexcept {
    if (is_out_of_range_number(v))
        return make_error_code(errc::value_out_of_range);
    if (v.is_number_unsigned())
        return v.get<nlohmann::json::number_unsigned_t>();
    if (v.is_number_integer()) // signed, so negative (non-negative ones parse as unsigned)
        return make_error_code(errc::bad_field_value);
    if (v.is_number_float()) {
        // Written with a fraction or exponent ("1.0", "3e2"), or a whole number beyond what the
        // integer types hold. A whole value is accepted as the integer it equals.
        const double d = v.get<double>();
        if (std::trunc(d) != d)
            return make_error_code(errc::bad_field_type);
        if (d < 0)
            return make_error_code(errc::bad_field_value);
        if (d >= 18446744073709551616.0) // 2^64
            return make_error_code(errc::value_out_of_range);
        return static_cast<unsigned long long>(d);
    }
    return make_error_code(errc::bad_field_type);
}

} // namespace dvbcss::json::detail
